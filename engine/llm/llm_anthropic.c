/*
 * llm_anthropic.c - the "anthropic" provider: the Messages API
 * (POST {base}/v1/messages, anthropic-version 2023-06-01, x-api-key).
 *
 * Extended thinking: a thinking budget sends
 *   "thinking": {"type": "enabled", "budget_tokens": N}
 * and with it the constraints the API imposes: max_tokens (the output cap,
 * thinking included) must exceed the budget, which the caller's cap
 * already does (llm_default_cap: budget + room for a kernel), and the
 * temperature must be left at its default, so it is not sent. Thinking
 * blocks of the reply go to the reasoning, never into the text; the API
 * does not count thinking tokens apart from output_tokens, so llm.c
 * estimates them from the thinking text.
 *
 * This file only builds and reads JSON: the transport is llm.c.
 */
#include "engine/llm/llm_provider.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void anthropic_url(const char *base, char *url, size_t len)
{
	size_t bl = strlen(base);
	bool has_v1 = bl >= 3 && !strcmp(base + bl - 3, "/v1");
	snprintf(url, len, "%s%s", base, has_v1 ? "/messages" : "/v1/messages");
}

static void anthropic_auth(const char *key, char *line, size_t len)
{
	snprintf(line, len, "x-api-key: %s", key);
}

static char *anthropic_build(const struct llm_wire *w)
{
	const struct llm_request *req = w->req;
	bool thinking = req->thinking_budget > 0 && !(w->learned & LLM_NO_THINKING);
	cJSON *root = llm_body_start(w);
	bool ok = root != NULL;
	ok = ok && cJSON_AddNumberToObject(root, "max_tokens", w->cap);
	if (ok && thinking) {
		cJSON *t = cJSON_AddObjectToObject(root, "thinking");
		ok = t && cJSON_AddStringToObject(t, "type", "enabled") &&
		     cJSON_AddNumberToObject(t, "budget_tokens", req->thinking_budget);
	} else if (ok && !(w->learned & LLM_NO_TEMPERATURE)) {
		double t = req->temperature < 0 ? 0 : req->temperature > 1 ? 1 : req->temperature;
		ok = cJSON_AddNumberToObject(root, "temperature", t) != NULL;
	}
	if (ok && req->system && *req->system)
		ok = cJSON_AddStringToObject(root, "system", req->system) != NULL;
	cJSON *msgs = ok ? cJSON_AddArrayToObject(root, "messages") : NULL;
	ok = ok && msgs && llm_add_message(msgs, "user", req->prompt);
	return llm_body_end(root, ok);
}

static int anthropic_parse(const cJSON *root, struct llm_reply *r, char *detail, size_t dlen)
{
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(root, "content");
	if (!cJSON_IsArray(content)) {
		snprintf(detail, dlen, "no content array");
		return -EPROTO;
	}
	const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
	r->prompt_tokens = llm_json_long(usage, "input_tokens") +
			   llm_json_long(usage, "cache_creation_input_tokens") +
			   llm_json_long(usage, "cache_read_input_tokens");
	r->completion_tokens = llm_json_long(usage, "output_tokens");
	const char *stop = llm_json_str(root, "stop_reason");
	r->truncated = stop && !strcmp(stop, "max_tokens");
	if (llm_append(&r->text, "", 0))
		return -ENOMEM;
	const cJSON *block;
	cJSON_ArrayForEach(block, content) {
		const char *type = llm_json_str(block, "type");
		if (!type)
			continue;
		if (!strcmp(type, "text")) {
			const char *t = llm_json_str(block, "text");
			if (t && llm_append(&r->text, t, strlen(t)))
				return -ENOMEM;
		} else if (!strcmp(type, "thinking")) {
			const char *t = llm_json_str(block, "thinking");
			if (t && llm_add_reasoning(r, t))
				return -ENOMEM;
		}
	}
	return 0;
}

static const struct llm_param anthropic_params[] = {
	{"temperature", LLM_NO_TEMPERATURE, "leaving temperature out"},
	{"thinking", LLM_NO_THINKING, "asking without extended thinking"},
	{NULL, 0, NULL},
};

const struct llm_provider llm_anthropic = {
	.name = "anthropic",
	.default_base = "https://api.anthropic.com",
	.base_env = "ANTHROPIC_BASE_URL",
	.key_env = "ANTHROPIC_API_KEY",
	.version_header = "anthropic-version: 2023-06-01",
	.thinking = true,
	.url = anthropic_url,
	.auth = anthropic_auth,
	.build = anthropic_build,
	.parse = anthropic_parse,
	.params = anthropic_params,
};
