/*
 * fuzz_path.c - libFuzzer harness for the mount's path router
 * (fs/path.c: path_parse).
 *
 * The input is a path as FUSE hands it over, cut at its first NUL. Checks
 * the contract: 0, -ENOENT or -ENAMETOOLONG; a parsed node's names fit
 * their buffers and a numbered node has a canonical number.
 */
#include "fs/path.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path = malloc(size + 1);
	if (!path)
		return 0;
	memcpy(path, data, size);
	path[size] = '\0';

	struct node n;
	int rc = path_parse(path, &n);
	if (rc != 0 && rc != -ENOENT && rc != -ENAMETOOLONG)
		abort();
	if (rc == 0) {
		if (!memchr(n.kernel, '\0', sizeof(n.kernel)) ||
		    !memchr(n.file, '\0', sizeof(n.file)) ||
		    !memchr(n.ext, '\0', sizeof(n.ext)))
			abort();
		if (strchr(n.kernel, '/') || strchr(n.file, '/'))
			abort();
		if (n.type == NODE_PLAN || n.type == NODE_PLAN_PROMPT ||
		    n.type == NODE_CAND_SRC || n.type == NODE_CAND_LOG) {
			char again[300];
			snprintf(again, sizeof(again), "%lld.%s", (long long)n.num, n.ext);
			if (n.num < 0 || strcmp(again, n.file))
				abort();   /* one path per candidate */
		}
		(void)node_is_dir(n.type);
		(void)node_is_generated(n.type);
	}
	free(path);
	return 0;
}
