/*
 * llm_responses.c - the "openai-responses" provider: OpenAI's Responses
 * API (POST {base}/responses), the one OpenAI recommends for new projects
 * and the only one some of its models are served through.
 *
 * A request is {model, instructions (the system text), input (the
 * prompt), max_output_tokens, reasoning: {effort}, temperature, store:
 * false} (store false: a kernel's code is not kept on OpenAI's side, as
 * with chat completions). A reply's output is a list of items: the text is
 * the output_text parts of "message" items; "reasoning" items (their
 * summaries) go to the reasoning, never into the text. status
 * "incomplete" with reason max_output_tokens is a truncated reply.
 *
 * This file only builds and reads JSON: the transport is llm.c.
 */
#include "engine/llm/llm_provider.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void responses_url(const char *base, char *url, size_t len)
{
	snprintf(url, len, "%s/responses", base);
}

static char *responses_build(const struct llm_wire *w)
{
	const struct llm_request *req = w->req;
	cJSON *root = llm_body_start(w);
	bool ok = root != NULL;
	if (ok && req->system && *req->system)
		ok = cJSON_AddStringToObject(root, "instructions", req->system) != NULL;
	ok = ok && cJSON_AddStringToObject(root, "input", req->prompt);
	ok = ok && cJSON_AddNumberToObject(root, "max_output_tokens", w->cap);
	if (ok && req->reasoning_effort && !(w->learned & LLM_NO_EFFORT)) {
		cJSON *r = cJSON_AddObjectToObject(root, "reasoning");
		ok = r && cJSON_AddStringToObject(r, "effort", req->reasoning_effort);
	}
	ok = ok && llm_add_temperature(root, w);
	if (ok && !(w->learned & LLM_NO_STORE))
		ok = cJSON_AddBoolToObject(root, "store", 0) != NULL;
	return llm_body_end(root, ok);
}

/* The text parts of one "message" item; a refusal is kept in words. */
static int message_text(const cJSON *item, struct llm_reply *r, const char **refusal)
{
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(item, "content");
	const cJSON *part;
	cJSON_ArrayForEach(part, content) {
		const char *type = llm_json_str(part, "type");
		if (type && !strcmp(type, "output_text")) {
			const char *t = llm_json_str(part, "text");
			if (t && llm_append(&r->text, t, strlen(t)))
				return -ENOMEM;
		} else if (type && !strcmp(type, "refusal")) {
			*refusal = llm_json_str(part, "refusal");
		}
	}
	return 0;
}

/* The summaries (or content) of one "reasoning" item. */
static int reasoning_text(const cJSON *item, struct llm_reply *r)
{
	const char *lists[] = {"summary", "content"};
	for (int i = 0; i < 2; i++) {
		const cJSON *part;
		cJSON_ArrayForEach(part, cJSON_GetObjectItemCaseSensitive(item, lists[i])) {
			const char *t = llm_json_str(part, "text");
			if (t && llm_add_reasoning(r, t))
				return -ENOMEM;
		}
	}
	return 0;
}

static int responses_parse(const cJSON *root, struct llm_reply *r, char *detail, size_t dlen)
{
	const cJSON *output = cJSON_GetObjectItemCaseSensitive(root, "output");
	if (!cJSON_IsArray(output)) {
		snprintf(detail, dlen, "no output array");
		return -EPROTO;
	}
	const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
	r->prompt_tokens = llm_json_long(usage, "input_tokens");
	r->completion_tokens = llm_json_long(usage, "output_tokens");
	r->reasoning_tokens = llm_json_long(
		cJSON_GetObjectItemCaseSensitive(usage, "output_tokens_details"),
		"reasoning_tokens");
	const char *status = llm_json_str(root, "status");
	const char *why = llm_json_str(cJSON_GetObjectItemCaseSensitive(root, "incomplete_details"),
				       "reason");
	r->truncated = status && !strcmp(status, "incomplete") && why &&
		       !strcmp(why, "max_output_tokens");
	const char *refusal = NULL;
	bool message = false;
	const cJSON *item;
	cJSON_ArrayForEach(item, output) {
		const char *type = llm_json_str(item, "type");
		int rc = 0;
		if (type && !strcmp(type, "message")) {
			message = true;
			rc = message_text(item, r, &refusal);
		} else if (type && !strcmp(type, "reasoning")) {
			rc = reasoning_text(item, r);
		}
		if (rc)
			return rc;
	}
	if (r->text || r->truncated)
		return 0;
	if (status && !strcmp(status, "incomplete"))
		snprintf(detail, dlen, "the response is incomplete (%s)", why ? why : "no reason given");
	else if (refusal)
		snprintf(detail, dlen, "the model refused: %s", refusal);
	else
		snprintf(detail, dlen, "%s", message ? "no output_text in the message"
					       : "no message in the output");
	return -EPROTO;
}

static const struct llm_param responses_params[] = {
	{"temperature", LLM_NO_TEMPERATURE, "leaving temperature out"},
	{"reasoning.effort", LLM_NO_EFFORT, "leaving the reasoning effort out"},
	{"reasoning", LLM_NO_EFFORT, "leaving the reasoning effort out"},
	{"store", LLM_NO_STORE, "leaving store out"},
	{NULL, 0, NULL},
};

const struct llm_provider llm_responses = {
	.name = "openai-responses",
	.default_base = "https://api.openai.com/v1",
	.base_env = "OPENAI_BASE_URL",
	.key_env = "OPENAI_API_KEY",
	.effort = true,
	.url = responses_url,
	.auth = llm_bearer_auth,
	.build = responses_build,
	.parse = responses_parse,
	.params = responses_params,
};
