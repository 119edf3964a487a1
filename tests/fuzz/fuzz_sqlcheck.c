/*
 * fuzz_sqlcheck: libFuzzer harness for sqlcheck_type and sqlcheck_expr on
 * arbitrary text, and for what an accepted text does once spliced into DDL.
 * The properties are in props.h; tests/fuzz/run.sh builds and runs this.
 */
#include <stdio.h>
#include <stdlib.h>

#include "props.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf why = SBUF_INIT;
	int rc = fz_check_sql(data, size, &why);
	sqlcheck_cleanup();
	if (rc) {
		fprintf(stderr, "fuzz_sqlcheck: property violated (%d): %s\n", rc,
			why.buf ? why.buf : "out of memory");
		abort();
	}
	sbuf_release(&why);
	return 0;
}
