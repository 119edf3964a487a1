#include "schemafile_tree.h"
#include <yaml.h>

#include "schemafile.h"
#include "text.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- diagnostics ---- */

void schemafile_err(struct pctx *c, struct reg_loc loc, const char *fmt, ...)
{
	if (c->stop)
		return;
	va_list ap;
	va_start(ap, fmt);
	if (diags_vadd(c->diags, c->file, loc, DIAG_ERROR, fmt, ap))
		c->oom = true;
	va_end(ap);
	if (++c->errors == YAML_MAX_ERRORS) {
		if (diags_add(c->diags, c->file, loc, DIAG_ERROR,
			      "too many errors, stopping here"))
			c->oom = true;
		c->stop = true;
	}
	if (c->oom)
		c->stop = true;
}

/*
 * User text quoted in a message: control characters escaped (a key could
 * carry a terminal escape sequence through "\e"), long text cut. Returns
 * a static buffer; two subjects per message are enough, hence two slots.
 */
const char *schemafile_subject(const char *s)
{
	static __thread char slots[2][SUBJECT_MAX * 4 + 8];
	static __thread int which;
	char *out = slots[which ^= 1];
	size_t o = 0, i;
	for (i = 0; s[i] && i < SUBJECT_MAX; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch == 0x7f) {
			static const char hex[] = "0123456789abcdef";
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		} else {
			out[o++] = (char)ch;
		}
	}
	if (s[i]) {
		o = text_utf8_cut(out, o); /* not in the middle of a character */
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* ---- input checks before libyaml sees a byte ---- */

/* The place of byte offset off, as libyaml counts it. */
static struct reg_loc loc_of_offset(const struct pctx *c, size_t off)
{
	return text_loc((const char *)c->bytes, c->len, off, TEXT_BREAKS_YAML);
}

int schemafile_check_bytes(struct pctx *c)
{
	const unsigned char *b = c->bytes;
	size_t len = c->len;
	if (len > REG_MAX_FILE_SIZE) {
		schemafile_err(c, (struct reg_loc){ 0, 0 },
		    "file is %zu bytes, over the limit of %d bytes", len, REG_MAX_FILE_SIZE);
		return c->oom ? REG_ENOMEM : REG_E2BIG;
	}
	for (size_t i = 0; i < len;) {
		/* most of a schema file is ASCII without NULs: eight bytes at
		 * a time while no byte has its high bit set or is zero */
		uint64_t word;
		while (i + 8 <= len) {
			memcpy(&word, b + i, 8);
			if ((word & 0x8080808080808080ull) ||
			    ((word - 0x0101010101010101ull) & ~word & 0x8080808080808080ull))
				break;
			i += 8;
		}
		if (i >= len)
			break;
		if (b[i] == 0) {
			schemafile_err(c, loc_of_offset(c, i), "NUL byte in file (not a text file?)");
			return c->oom ? REG_ENOMEM : REG_EINVAL;
		}
		size_t w = text_utf8_len((const char *)b, len, i);
		if (!w) {
			schemafile_err(c, loc_of_offset(c, i),
			    "invalid UTF-8 (byte 0x%02x); schema files must be UTF-8", b[i]);
			return c->oom ? REG_ENOMEM : REG_EINVAL;
		}
		i += w;
	}
	return 0;
}

/* ---- pass 1: events to tree ---- */

static struct reg_loc loc_of_mark(yaml_mark_t m)
{
	return (struct reg_loc){ (uint32_t)m.line + 1, (uint32_t)m.column + 1 };
}

struct ynode *schemafile_node(struct pctx *c, uint32_t i)
{
	return &c->nodes[i];
}

static uint32_t add_node(struct pctx *c, enum ykind kind, struct reg_loc loc, uint32_t parent)
{
	if (c->n == c->alloc) {
		size_t alloc = c->alloc ? c->alloc * 2 : 256;
		struct ynode *p = realloc(c->nodes, alloc * sizeof(*p));
		if (!p) {
			c->oom = true;
			return Y_NONE;
		}
		c->nodes = p;
		c->alloc = alloc;
	}
	uint32_t i = (uint32_t)c->n++;
	c->nodes[i] = (struct ynode){ NULL, Y_NONE, Y_NONE, Y_NONE, 0, loc, (uint8_t)kind, false };
	if (parent == Y_NONE) {
		c->root = i;
	} else {
		struct ynode *p = schemafile_node(c, parent);
		if (p->last == Y_NONE)
			p->first = i;
		else
			schemafile_node(c, p->last)->next = i;
		p->last = i;
		p->count++;
	}
	return i;
}

static void report_parser_error(struct pctx *c, const yaml_parser_t *p)
{
	switch (p->error) {
	case YAML_MEMORY_ERROR:
		c->oom = true;
		return;
	case YAML_READER_ERROR:
		if (p->problem_value != -1)
			schemafile_err(c, loc_of_offset(c, p->problem_offset),
			    "invalid input: %s (0x%x)", p->problem, (unsigned)p->problem_value);
		else
			schemafile_err(c, loc_of_offset(c, p->problem_offset),
			    "invalid input: %s", p->problem);
		return;
	default:
		break;
	}
	const char *problem = p->problem ? p->problem : "unknown error";
	if (p->context)
		schemafile_err(c, loc_of_mark(p->problem_mark), "invalid YAML: %s (%s at %zu:%zu)",
		    problem, p->context, p->context_mark.line + 1, p->context_mark.column + 1);
	else
		schemafile_err(c, loc_of_mark(p->problem_mark), "invalid YAML: %s", problem);
}

static bool tag_ok(const yaml_char_t *tag, enum ykind kind)
{
	if (!tag)
		return true;
	const char *t = (const char *)tag;
	switch (kind) {
	case Y_SCALAR: return !strcmp(t, YAML_STR_TAG);
	case Y_SEQ: return !strcmp(t, YAML_SEQ_TAG);
	case Y_MAP: return !strcmp(t, YAML_MAP_TAG);
	}
	return false;
}

/* Checks what every node event may not carry; false after an error. */
static bool node_event_ok(struct pctx *c, const yaml_event_t *ev, const yaml_char_t *anchor,
			  const yaml_char_t *tag, enum ykind kind)
{
	struct reg_loc loc = loc_of_mark(ev->start_mark);
	if (anchor) {
		schemafile_err(c, loc, "anchors are not allowed ('&%s'); write the value out",
		    schemafile_subject((const char *)anchor));
		return false;
	}
	if (!tag_ok(tag, kind)) {
		/* show the tag as written: !!binary, not tag:yaml.org,2002:binary */
		const char *t = (const char *)tag;
		size_t core = strlen("tag:yaml.org,2002:");
		bool short_form = !strncmp(t, "tag:yaml.org,2002:", core);
		schemafile_err(c, loc, "tags are not allowed ('%s%s')", short_form ? "!!" : "",
		    schemafile_subject(short_form ? t + core : t));
		return false;
	}
	return true;
}

/* Runs libyaml over the bytes; on success c->root is the document's top
 * node, or Y_NONE for a stream without a document. Stops at the first
 * problem: nothing after a syntax error or a refused construct is trusted. */
int schemafile_build_tree(struct pctx *c)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	uint32_t stack[YAML_MAX_DEPTH];
	int depth = 0, docs = 0;
	bool done = false;

	c->root = Y_NONE;
	if (!yaml_parser_initialize(&parser))
		return REG_ENOMEM;
	/* no yaml_parser_set_encoding: check_bytes already proved UTF-8, and
	 * only libyaml's own detection skips a leading byte order mark */
	yaml_parser_set_input_string(&parser, c->bytes, c->len);

	while (!done && !c->stop) {
		if (!yaml_parser_parse(&parser, &ev)) {
			report_parser_error(c, &parser);
			break;
		}
		uint32_t parent = depth ? stack[depth - 1] : Y_NONE;
		struct reg_loc loc = loc_of_mark(ev.start_mark);
		uint32_t i;

		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				schemafile_err(c, loc, "more than one YAML document; a schema file holds one mapping");
			break;
		case YAML_ALIAS_EVENT:
			schemafile_err(c, loc, "aliases are not allowed ('*%s'); write the value out",
			    schemafile_subject((const char *)ev.data.alias.anchor));
			break;
		case YAML_SCALAR_EVENT:
			if (!node_event_ok(c, &ev, ev.data.scalar.anchor, ev.data.scalar.tag, Y_SCALAR))
				break;
			if (strlen((const char *)ev.data.scalar.value) != ev.data.scalar.length) {
				schemafile_err(c, loc, "NUL character in a value");
				break;
			}
			i = add_node(c, Y_SCALAR, loc, parent);
			if (i == Y_NONE)
				break;
			/* take the value: libyaml allocates with malloc, and
			 * yaml_event_delete skips the NULL we leave behind */
			schemafile_node(c, i)->text = (char *)ev.data.scalar.value;
			ev.data.scalar.value = NULL;
			schemafile_node(c, i)->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
					    !ev.data.scalar.tag;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT: {
			bool seq = ev.type == YAML_SEQUENCE_START_EVENT;
			enum ykind kind = seq ? Y_SEQ : Y_MAP;
			const yaml_char_t *anchor = seq ? ev.data.sequence_start.anchor
							: ev.data.mapping_start.anchor;
			const yaml_char_t *tag = seq ? ev.data.sequence_start.tag
						     : ev.data.mapping_start.tag;
			if (!node_event_ok(c, &ev, anchor, tag, kind))
				break;
			if (depth == YAML_MAX_DEPTH) {
				schemafile_err(c, loc, "nesting deeper than %d levels", YAML_MAX_DEPTH);
				break;
			}
			i = add_node(c, kind, loc, parent);
			if (i != Y_NONE)
				stack[depth++] = i;
			break;
		}
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (c->errors || c->oom)
			break;
	}
	yaml_parser_delete(&parser);
	if (c->oom)
		return REG_ENOMEM;
	return c->errors ? REG_EINVAL : 0;
}

void schemafile_free_tree(struct pctx *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->nodes[i].text);
	free(c->nodes);
	c->nodes = NULL;
	c->n = c->alloc = 0;
}
