/*
 * fuzz_llm.c - libFuzzer harness for the LLM providers' reply bodies
 * (engine/llm/llm.c: llm_parse_reply).
 *
 * The input is the body of a 2xx HTTP answer, not NUL-terminated (as it
 * comes from the wire); each input is read as an OpenAI chat-completions
 * reply, an Anthropic Messages reply and an OpenAI Responses reply. Checks
 * the contract: success leaves text set, a failure says why, token counts
 * (reasoning tokens included) are never negative, however large the
 * server's numbers.
 */
#include "engine/llm/llm.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const providers[] = {"openai", "anthropic", "openai-responses"};

	for (size_t i = 0; i < sizeof(providers) / sizeof(providers[0]); i++) {
		struct llm_reply r;
		char detail[512] = "";
		memset(&r, 0, sizeof(r));
		int rc = llm_parse_reply(providers[i], (const char *)data, size, &r,
					 detail, sizeof(detail));
		if (rc != 0 && rc != -EPROTO && rc != -ENOMEM)
			abort();
		if (rc == -EPROTO && !detail[0])
			abort();
		if (rc == 0 && !r.text && !r.truncated)
			abort();
		if (r.prompt_tokens < 0 || r.completion_tokens < 0 || r.reasoning_tokens < 0)
			abort();   /* a count from the server never goes negative */
		llm_reply_clear(&r);
	}
	return 0;
}
