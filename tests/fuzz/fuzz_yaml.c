/*
 * fuzz_yaml: libFuzzer harness for one schema file's bytes
 * (reg_schema_from_bytes, then the emit/re-parse round trip). The
 * properties are in props.h; tests/fuzz/run.sh builds and runs this.
 */
#include <stdio.h>
#include <stdlib.h>

#include "props.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf why = SBUF_INIT;
	int rc = fz_check_yaml(data, size, &why);
	/* the cache keeps every text it saw: empty it so memory stays flat
	 * and each input is judged as in a fresh process */
	sqlcheck_cleanup();
	if (rc) {
		fprintf(stderr, "fuzz_yaml: property violated (%d): %s\n", rc,
			why.buf ? why.buf : "out of memory");
		abort();
	}
	sbuf_release(&why);
	return 0;
}
