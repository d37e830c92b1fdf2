/*
 * fuzz_config.c - libFuzzer harness for config.json validation
 * (engine/core/config.c: config_parse).
 *
 * The input is the bytes a user writes into kernels/N/config.json; they
 * are handed over without a terminating NUL, as the mount does. Besides
 * "does not crash or leak", it checks the contract: a refusal is -EINVAL
 * with a reason and leaves the defaults, a success leaves every number in
 * its documented range. Built by tools/fuzz; tests/test_fuzz_corpus.c
 * replays the corpus through this same function in the normal build.
 */
#include "engine/core/config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ac_config c;
	char err[256];
	int rc = config_parse((const char *)data, size, &c, err, sizeof(err));

	if (rc) {
		if (rc != -EINVAL && rc != -ENOMEM)
			abort();
		if (rc == -EINVAL && !err[0])
			abort();   /* a refusal always says why */
		if (c.target || c.models || c.command || c.beam != 4)
			abort();   /* a refusal leaves the defaults */
	} else {
		if (c.beam < 1 || c.beam > 64 || c.iterations < 0 || c.iterations > 1000 ||
		    c.dropout < 0 || c.dropout > 1 || c.timeout_s < 0.01)
			abort();
		if (c.command && !c.command[0])
			abort();
		if (c.input && (!c.input[0] || strchr(c.input, '/')))
			abort();
	}
	config_clear(&c);
	return 0;
}
