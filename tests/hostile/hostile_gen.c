#include "hostile_gen.h"

/* Short distinct names: c0, c1, ... cz, c10 ... in base 36. */
static void base36(char *out, unsigned n)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	char tmp[16];
	int k = 0;
	do {
		tmp[k++] = digits[n % 36];
		n /= 36;
	} while (n);
	while (k)
		*out++ = tmp[--k];
	*out = '\0';
}

int hostile_wide_yaml(struct sbuf *out, unsigned columns, unsigned undeclared)
{
	char name[16];
	sbuf_adds(out, "name: wide\nowner: svc\ncolumns:\n");
	for (unsigned i = 0; i < columns; i++) {
		base36(name, i);
		sbuf_addf(out, "- {name: c%s, type: int}\n", name);
	}
	sbuf_adds(out, "indexes:\n- name: idx_wide\n  columns: [");
	for (unsigned i = 0; i < undeclared; i++) {
		base36(name, i);
		sbuf_addf(out, "%su%s", i ? "," : "", name);
	}
	sbuf_adds(out, "]\n");
	return sbuf_error(out);
}
