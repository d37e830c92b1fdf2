/*
 * llm_openai.c - the "openai" provider: the chat-completions API
 * (POST {base}/chat/completions) that OpenAI and every OpenAI-compatible
 * server (vLLM, llama.cpp server, Ollama, OpenRouter, Together...) speak.
 *
 * The output cap has two spellings. OpenAI itself wants
 * max_completion_tokens (its reasoning models refuse max_tokens); the
 * compatible servers all know max_tokens, and not all of them know the
 * newer name. So the first guess is max_completion_tokens for
 * api.openai.com and for OpenAI reasoning-model names (o1, o3, gpt-5...,
 * also behind a proxy), max_tokens for everything else; a 400 naming one
 * of them makes llm.c swap to the other for that model (LLM_SWAP_CAP).
 * Temperature is left out for the reasoning-model names, which take only
 * the default, and for any model that refused it once.
 *
 * This file only builds and reads JSON: the transport is llm.c.
 */
#include "engine/llm/llm_provider.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void openai_url(const char *base, char *url, size_t len)
{
	snprintf(url, len, "%s/chat/completions", base);
}

/* Whether max_completion_tokens is the parameter sent under w. */
static bool completion_cap(const struct llm_wire *w)
{
	bool first = w->official || llm_reasoning_model(w->req->model->name);
	return (w->learned & LLM_SWAP_CAP) ? !first : first;
}

static char *openai_build(const struct llm_wire *w)
{
	const struct llm_request *req = w->req;
	cJSON *root = llm_body_start(w);
	bool ok = root != NULL;
	ok = ok && cJSON_AddNumberToObject(root, completion_cap(w) ? "max_completion_tokens"
					   : "max_tokens", w->cap);
	ok = ok && llm_add_temperature(root, w);
	if (ok && req->reasoning_effort && !(w->learned & LLM_NO_EFFORT))
		ok = cJSON_AddStringToObject(root, "reasoning_effort", req->reasoning_effort) != NULL;
	cJSON *msgs = ok ? cJSON_AddArrayToObject(root, "messages") : NULL;
	ok = ok && msgs;
	if (ok && req->system && *req->system)
		ok = llm_add_message(msgs, "system", req->system);
	ok = ok && llm_add_message(msgs, "user", req->prompt);
	return llm_body_end(root, ok);
}

/* Text of a message content: a string or an array of text parts. */
static int openai_content(const cJSON *content, char **out)
{
	if (cJSON_IsString(content))
		return llm_append(out, content->valuestring, strlen(content->valuestring));
	if (!cJSON_IsArray(content))
		return -EPROTO;
	const cJSON *part;
	if (!*out && llm_append(out, "", 0))
		return -ENOMEM;
	cJSON_ArrayForEach(part, content) {
		const char *t = llm_json_str(part, "text");
		if (t && llm_append(out, t, strlen(t)))
			return -ENOMEM;
	}
	return 0;
}

static int openai_parse(const cJSON *root, struct llm_reply *r, char *detail, size_t dlen)
{
	const cJSON *choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
	const cJSON *choice = cJSON_IsArray(choices) ? cJSON_GetArrayItem(choices, 0) : NULL;
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(choice, "message");
	if (!cJSON_IsObject(msg)) {
		snprintf(detail, dlen, "no choices[0].message");
		return -EPROTO;
	}
	const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
	r->prompt_tokens = llm_json_long(usage, "prompt_tokens");
	r->completion_tokens = llm_json_long(usage, "completion_tokens");
	r->reasoning_tokens = llm_json_long(
		cJSON_GetObjectItemCaseSensitive(usage, "completion_tokens_details"),
		"reasoning_tokens");
	const char *finish = llm_json_str(choice, "finish_reason");
	r->truncated = finish && !strcmp(finish, "length");
	const char *reasoning = llm_json_str(msg, "reasoning_content");
	if (!reasoning)
		reasoning = llm_json_str(msg, "reasoning");
	if (reasoning && llm_add_reasoning(r, reasoning))
		return -ENOMEM;
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
	if (content && !cJSON_IsNull(content)) {
		int rc = openai_content(content, &r->text);
		if (rc == -EPROTO)
			snprintf(detail, dlen, "message.content is neither text nor parts");
		return rc;
	}
	if (r->truncated)
		return 0;
	const char *refusal = llm_json_str(msg, "refusal");
	snprintf(detail, dlen, "%s%s", refusal ? "the model refused: " : "no message.content",
		 refusal ? refusal : "");
	return -EPROTO;
}

static const struct llm_param openai_params[] = {
	{"max_tokens", LLM_SWAP_CAP, "sending max_completion_tokens"},
	{"max_completion_tokens", LLM_SWAP_CAP, "sending max_tokens"},
	{"temperature", LLM_NO_TEMPERATURE, "leaving temperature out"},
	{"reasoning_effort", LLM_NO_EFFORT, "leaving reasoning_effort out"},
	{NULL, 0, NULL},
};

const struct llm_provider llm_openai = {
	.name = "openai",
	.default_base = "https://api.openai.com/v1",
	.base_env = "OPENAI_BASE_URL",
	.key_env = "OPENAI_API_KEY",
	.effort = true,
	.url = openai_url,
	.auth = llm_bearer_auth,
	.build = openai_build,
	.parse = openai_parse,
	.params = openai_params,
};
