/*
 * fuzz_reply.c - libFuzzer harness for reading an LLM's answer
 * (engine/llm/reply.c: reply_code, reply_code_for, reply_plan,
 * reply_apply_edits).
 *
 * The input is a model's reply text, cut at its first NUL (the engine
 * hands these functions C strings). Edits are applied to a fixed parent,
 * a small GEMM like tests/kernels/gemm/input.c, so that SEARCH blocks from
 * the seeds can match. Besides memory errors, it checks the contracts:
 * an edit that fails says why, the plan is trimmed.
 */
#include "engine/llm/reply.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_reply_parent[] =
	"#include <stddef.h>\n"
	"\n"
	"void gemm(int n, const float *a, const float *b, float *c)\n"
	"{\n"
	"\tfor (int i = 0; i < n; i++)\n"
	"\t\tfor (int j = 0; j < n; j++) {\n"
	"\t\t\tfloat acc = 0;\n"
	"\t\t\tfor (int k = 0; k < n; k++)\n"
	"\t\t\t\tacc += a[i * n + k] * b[k * n + j];\n"
	"\t\t\tc[i * n + j] = acc;\n"
	"\t\t}\n"
	"}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	free(reply_code(text));
	/* the target's language and the parent's functions decide among blocks */
	struct reply_want want = {.file_name = "input.c", .parent = fuzz_reply_parent};
	free(reply_code_for(text, &want));
	free(reply_code_for(text, &(struct reply_want){.file_name = "input.py", .parent = text}));

	char *plan = reply_plan(text);
	size_t n = plan ? strlen(plan) : 0;
	if (n && (isspace((unsigned char)plan[0]) || isspace((unsigned char)plan[n - 1])))
		abort();   /* the plan is trimmed */
	free(plan);

	char *out = NULL;
	char err[256];
	int rc = reply_apply_edits(fuzz_reply_parent, text, &out, err, sizeof(err));
	if (rc && (out || !err[0]))
		abort();   /* a failed edit leaves nothing and says why */
	if (!rc && !out)
		abort();
	free(out);
	free(text);
	return 0;
}
