/*
 * llm.h - LLM clients over HTTP (libcurl + cJSON).
 *
 * Two providers: "openai" speaks the OpenAI-compatible chat-completions API
 * (OpenAI, vLLM, llama.cpp server, Ollama, OpenRouter, Together...),
 * "anthropic" speaks the Messages API. A model is named
 * "provider::model" or "provider@BASE_URL::model".
 *
 * One llm_client is shared by the whole daemon: it bounds the requests in
 * flight, retries 429/5xx/network errors with exponential backoff, jitter
 * and Retry-After, and never lets an API key reach an error message.
 * llm_complete blocks: call it from engine threads, never from FUSE.
 */
#ifndef AC_LLM_H
#define AC_LLM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct llm_model {
	char *spec;       /* as written: "openai@http://127.0.0.1:8000/v1::Qwen/Qwen3-8B" */
	char *provider;   /* "openai" or "anthropic" */
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
	int max_tokens;         /* <= 0: 8192 */
};

struct llm_reply {
	char *text;             /* the answer, reasoning excluded; NULL on failure */
	char *reasoning;        /* a separate reasoning field if the API sent one */
	long prompt_tokens;
	long completion_tokens;
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
 * the text). reply is overwritten, not freed: clear a used one first.
 * The caller owns what reply holds: llm_reply_clear. cancel may be NULL.
 * The optional wait_note callback is told (once per wait) why the client is
 * waiting ("429 from openai::gpt-4.1, retrying in 4 s") so the engine can log it. */
int llm_complete(struct llm_client *c, const struct llm_request *req,
                 struct llm_reply *reply, const atomic_int *cancel,
                 void (*wait_note)(void *arg, const char *line), void *note_arg);

void llm_reply_clear(struct llm_reply *r);

/* Reads a 2xx reply body of provider ("anthropic": the Messages API;
 * anything else: chat completions) into reply, as llm_complete does after
 * each successful exchange: text (an inline <think> section moved to
 * reasoning), reasoning, token counts and truncated. body is len bytes and
 * need not end in a NUL. reply->text and reply->reasoning are freed and
 * replaced; attempts, http_status and error are not touched. Returns 0, -EPROTO when the
 * body is not the reply expected (why, in words, in detail), or -ENOMEM.
 * On failure text and reasoning may hold part of the reply: the caller
 * still owns them (llm_reply_clear). */
int llm_parse_reply(const char *provider, const char *body, size_t len,
                    struct llm_reply *reply, char *detail, size_t dlen);

#endif
