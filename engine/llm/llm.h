/*
 * llm.h - LLM clients over HTTP (libcurl + cJSON).
 *
 * Three providers: "openai" speaks the OpenAI-compatible chat-completions
 * API (OpenAI, vLLM, llama.cpp server, Ollama, OpenRouter, Together...),
 * "openai-responses" speaks OpenAI's Responses API (POST /v1/responses),
 * "anthropic" speaks the Messages API. A model is named
 * "provider::model" or "provider@BASE_URL::model". Each wire format lives
 * in its own file behind struct llm_provider (llm_provider.h).
 *
 * One llm_client is shared by the whole daemon: it bounds the requests in
 * flight, retries 429/5xx/network errors with exponential backoff, jitter
 * and Retry-After, never lets an API key reach an error message, and
 * remembers, per model, the parameters the model refused (a 400 naming
 * max_tokens, temperature, reasoning_effort...), so that each refusal costs
 * one adapted retry once in the mount's life.
 * llm_complete blocks: call it from engine threads, never from FUSE.
 *
 * Folder engine/llm/ owns talking to models: this client and its three
 * providers, what a call costs (cost.c), the prompts (prompt.c) and
 * reading replies (reply.c). It may call only engine/util/.
 */
#ifndef AC_LLM_H
#define AC_LLM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct llm_model {
	char *spec;       /* as written: "openai@http://127.0.0.1:8000/v1::Qwen/Qwen3-8B" */
	char *provider;   /* "openai", "openai-responses" or "anthropic" */
	char *base_url;   /* NULL: OPENAI_BASE_URL / the provider's default */
	char *name;       /* the model name sent in the request */
};

/* Parses a model string. Returns 0 and a new model in *out (free with
 * llm_model_free), or -EINVAL with a reason in err. */
int llm_model_parse(const char *spec, struct llm_model **out, char *err, size_t errlen);
void llm_model_free(struct llm_model *m);

struct llm_client_opts {
	int max_in_flight;     /* requests in flight across the daemon [4] */
	double timeout_s;      /* per attempt [300] */
	int max_attempts;      /* including the first [6] */
	double backoff_base_s; /* first retry delay [1.0]; doubles, with jitter, capped at 60 s */
};

struct llm_client;

/* Creates the shared client (calls curl_global_init once). NULL on OOM.
 * opts may be NULL for the defaults. */
struct llm_client *llm_client_new(const struct llm_client_opts *opts);
void llm_client_free(struct llm_client *c);

struct llm_request {
	const struct llm_model *model;
	const char *system;     /* may be NULL */
	const char *prompt;     /* the user message */
	double temperature;
	int max_tokens;         /* the output cap, reasoning included; <= 0: llm_default_cap */
	const char *reasoning_effort; /* "low", "medium", "high"... for OpenAI's
	                           reasoning_effort / reasoning.effort; NULL: not sent */
	int thinking_budget;    /* Anthropic extended thinking, budget_tokens; 0: off */
};

/* The output cap a request with max_tokens <= 0 gets: room for a whole
 * kernel (8192 tokens); for Anthropic plus the thinking budget when there
 * is one; for the OpenAI providers 32768 in all for a reasoning model (an
 * effort set, or an OpenAI reasoning model's name: o1, o3, o4-mini,
 * gpt-5...), whose hidden reasoning counts against the cap. */
int llm_default_cap(const struct llm_request *req);

/* Whether the model string names an OpenAI reasoning model (o1, o3,
 * o4-mini, gpt-5...), whatever the provider. */
bool llm_model_reasons(const struct llm_model *m);

struct llm_reply {
	char *text;             /* the answer, reasoning excluded; NULL on failure */
	char *reasoning;        /* a separate reasoning field if the API sent one */
	long prompt_tokens;
	long completion_tokens; /* reasoning included */
	long reasoning_tokens;  /* of completion_tokens, spent reasoning: as the API
	                           reports it, else estimated from the reasoning text */
	int output_cap;         /* the output cap that was sent */
	bool truncated;         /* stopped at the length limit */
	int attempts;           /* HTTP attempts made */
	int http_status;        /* of the last attempt, 0 if none completed */
	char *error;            /* why it failed, in words, never containing a key; NULL on success */
};

/* Sends one request and waits for the reply, retrying as configured.
 * Returns 0 with reply->text set, or a negative errno (-ETIMEDOUT,
 * -ECONNREFUSED, -EPROTO for an unusable reply, -ECANCELED when *cancel
 * became non-zero, -ENOKEY when the provider's key is not set) with
 * reply->error in words. Other errnos: -EAGAIN (still rate limited after
 * the last attempt), -EIO (5xx or a network error after the last attempt),
 * -EHOSTUNREACH (host not found), -EACCES (401/403, TLS), -ENOENT (404),
 * -EINVAL (400/413/422, bad URL). Inline "<think>...</think>" at the
 * start of an answer is moved from text to reasoning. On -EPROTO for a
 * truncated reply, reply->truncated is set (and the token counts, but not
 * the text), and reply->error says which setting to raise.
 * A 400 or 422 that names a parameter the model refuses (param, code or
 * message: max_tokens, max_completion_tokens, temperature, reasoning
 * effort, thinking, store) is answered by one retry without it (or with
 * the other output-cap parameter); the client remembers that for this
 * model, and a second refusal of the same parameter fails with the
 * provider's own message. reply is overwritten, not freed: clear a used
 * one first. The caller owns what reply holds: llm_reply_clear. cancel may
 * be NULL. The optional wait_note callback is told (once per wait) why the
 * client is waiting ("429 from openai::gpt-4.1, retrying in 4 s"), and
 * once per model and parameter what a refusal taught ("openai::gpt-5.1
 * refuses max_tokens (HTTP 400: ...): sending max_completion_tokens from
 * now on"), so the engine can log it. */
int llm_complete(struct llm_client *c, const struct llm_request *req,
                 struct llm_reply *reply, const atomic_int *cancel,
                 void (*wait_note)(void *arg, const char *line), void *note_arg);

void llm_reply_clear(struct llm_reply *r);

/* Reads a 2xx reply body of provider ("anthropic": the Messages API;
 * "openai-responses": the Responses API; anything else: chat completions)
 * into reply, as llm_complete does after each successful exchange: text
 * (an inline <think> section moved to reasoning), reasoning, token counts
 * (reasoning_tokens estimated at four bytes a token from the reasoning
 * text when the API does not count them) and truncated. body is len bytes and
 * need not end in a NUL. reply->text and reply->reasoning are freed and
 * replaced; attempts, http_status and error are not touched. Returns 0, -EPROTO when the
 * body is not the reply expected (why, in words, in detail), or -ENOMEM.
 * On failure text and reasoning may hold part of the reply: the caller
 * still owns them (llm_reply_clear). */
int llm_parse_reply(const char *provider, const char *body, size_t len,
                    struct llm_reply *reply, char *detail, size_t dlen);

#endif
