/*
 * llm_provider.h - the one interface every LLM wire format implements,
 * behind the shared transport of llm.c (internal to engine/).
 *
 * A provider says where a request goes, builds its JSON body, reads a
 * successful reply and names the parameters a model may refuse. It knows
 * nothing of retries, request slots, keys' values or the engine: llm.c
 * posts, retries, keeps keys out of words and remembers what each model
 * refused. Three providers fill this struct:
 *
 *   llm_openai.c     "openai"            POST {base}/chat/completions
 *   llm_anthropic.c  "anthropic"         POST {base}/v1/messages
 *   llm_responses.c  "openai-responses"  POST {base}/responses
 *
 * Calling sequence (llm_complete in llm.c, per attempt):
 *   url() once -> build(wire) -> POST -> 2xx: parse(root)
 *                                     -> 400 naming one of params[]:
 *                                        wire.learned |= its bit, build again
 */
#ifndef AC_LLM_PROVIDER_H
#define AC_LLM_PROVIDER_H

#include "engine/llm/llm.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* What a 400 taught about one model, remembered for the mount's life.
 * Each bit is learned at most once, so adapting can never loop. */
enum llm_learned {
	LLM_SWAP_CAP = 1u << 0,       /* send the other output-cap parameter */
	LLM_NO_TEMPERATURE = 1u << 1, /* leave temperature out */
	LLM_NO_EFFORT = 1u << 2,      /* leave the reasoning effort out */
	LLM_NO_THINKING = 1u << 3,    /* leave extended thinking out */
	LLM_NO_STORE = 1u << 4,       /* leave "store" out */
};

/* One request as a provider builds it. */
struct llm_wire {
	const struct llm_request *req;
	bool official;       /* the provider's own API, not a compatible server */
	unsigned learned;    /* enum llm_learned bits for this model */
	int cap;             /* the output cap in tokens, reasoning included */
};

/* A parameter a model may refuse, and the bit that answers the refusal. */
struct llm_param {
	const char *name;    /* as the API spells it: "max_tokens", "reasoning.effort" */
	unsigned learn;      /* an enum llm_learned bit */
	const char *instead; /* what is done from then on, in words */
};

struct llm_provider {
	const char *name;          /* as in model strings: "openai" */
	const char *default_base;  /* "https://api.openai.com/v1" */
	const char *base_env;      /* "OPENAI_BASE_URL" */
	const char *key_env;       /* "OPENAI_API_KEY" */
	const char *version_header; /* sent with every request; NULL: none */
	bool effort;               /* sends llm_request.reasoning_effort */
	bool thinking;             /* sends llm_request.thinking_budget */

	/* Writes the request URL for base (no trailing '/') into url. */
	void (*url)(const char *base, char *url, size_t len);

	/* Writes the header line that carries key into line ("Authorization:
	 * Bearer KEY"). key is never NULL here. */
	void (*auth)(const char *key, char *line, size_t len);

	/* The JSON body for w; a new string (caller frees) or NULL on OOM. */
	char *(*build)(const struct llm_wire *w);

	/* Reads a 2xx reply into r: text (appended to r->text, which may be
	 * NULL), reasoning, token counts, truncated. Returns 0, -EPROTO when
	 * the reply is not the one expected (why in detail) or -ENOMEM. */
	int (*parse)(const cJSON *root, struct llm_reply *r, char *detail, size_t dlen);

	/* The parameters a model may refuse, ended by a {NULL} entry. */
	const struct llm_param *params;
};

extern const struct llm_provider llm_openai;
extern const struct llm_provider llm_anthropic;
extern const struct llm_provider llm_responses;

/* The provider named name ("openai", "anthropic", "openai-responses"), or NULL. */
const struct llm_provider *llm_provider_find(const char *name);

/* ---- helpers the providers share (llm.c) ---- */

/* A request body's root object with "model" set (w's model), or NULL
 * when out of memory. Hand it to llm_body_end. */
cJSON *llm_body_start(const struct llm_wire *w);

/* The body as text (a new string the caller frees), root freed either
 * way; NULL when !ok or out of memory. */
char *llm_body_end(cJSON *root, bool ok);

/* Appends {"role": role, "content": content} to the array msgs; false
 * when out of memory. */
bool llm_add_message(cJSON *msgs, const char *role, const char *content);

/* Adds w's "temperature" to root, unless the model refused it once or is
 * an OpenAI reasoning model (those take only the default). False when out
 * of memory. */
bool llm_add_temperature(cJSON *root, const struct llm_wire *w);

/* The auth callback of the OpenAI APIs: "Authorization: Bearer KEY". */
void llm_bearer_auth(const char *key, char *line, size_t len);

/* A string member of obj, or NULL. */
const char *llm_json_str(const cJSON *obj, const char *name);

/* A token count member, clamped to 0..1e15 (0 when absent). */
long llm_json_long(const cJSON *obj, const char *name);

/* Appends len bytes of s to *dst (a malloc'd string or NULL). 0 or -ENOMEM. */
int llm_append(char **dst, const char *s, size_t len);

/* Appends a reasoning text to r->reasoning, a newline between parts. */
int llm_add_reasoning(struct llm_reply *r, const char *s);

/* Whether name is one of OpenAI's reasoning models (o1, o3, o4-mini,
 * gpt-5...), a provider prefix such as "openai/" ignored. */
bool llm_reasoning_model(const char *name);

#endif
