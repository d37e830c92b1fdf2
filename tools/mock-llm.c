/*
 * mock-llm.c - a scripted stand-in for an LLM API, for tests and demos.
 *
 * It speaks just enough HTTP/1.1 (keep-alive, Content-Length, one write
 * per response, TCP_NODELAY, a thread per connection) to answer
 *   POST /v1/chat/completions, /chat/completions   (OpenAI format)
 *   POST /v1/responses, /responses                 (OpenAI Responses format)
 *   POST /v1/messages, /messages                   (Anthropic format)
 *   GET  /health, /v1/models
 * with replies chosen by a script, including usage token counts (about one
 * token per four bytes). It is not a model and knows nothing about code:
 * what it says comes from files a person wrote.
 *
 * It checks parameters as today's APIs do, by the model's name:
 *   o1, o3, o4-mini, gpt-5... (OpenAI reasoning models; "openai/" prefix
 *     ignored): max_tokens is refused (HTTP 400, param "max_tokens", code
 *     "unsupported_parameter", OpenAI's words), so is a temperature other
 *     than 1; hidden reasoning is reported in completion_tokens_details /
 *     output_tokens_details.reasoning_tokens (256 a reply unless the entry
 *     says "reasoning_tokens") and counts against the output cap.
 *   reasoner-... is a reasoning model too (a deployment under its own name).
 *   compat-..., compat/... (an older OpenAI-compatible server): max_completion_tokens
 *     and reasoning_effort are refused the way pydantic servers word it
 *     ("extra_forbidden", no param), whatever the rest of the name.
 *   nocap-...: every output-cap parameter is refused (a server no client
 *     can satisfy by adapting).
 *   fixedtemp-...: any temperature other than 1 is refused (unsupported_value).
 *   Anthropic with "thinking": budget_tokens >= 1024 and < max_tokens, no
 *     temperature other than 1 (the API's rules); the reply starts with a
 *     thinking block.
 * Any reply whose output (text plus reasoning) is over the request's cap
 * is cut there: finish_reason "length", stop_reason "max_tokens" or
 * status "incomplete" (max_output_tokens).
 *
 *   $ mock-llm --script tests/mock/gemm --port 0 --log /tmp/mock.log &
 *   41237                      <- the chosen port, first line of stdout
 *   mock-llm: serving tests/mock/gemm at http://127.0.0.1:41237/v1; mount with
 *   -o models=openai@http://127.0.0.1:41237/v1::mock       <- stderr, for people
 *   $ curl -s localhost:41237/v1/chat/completions -d '{"model":"m",
 *       "messages":[{"role":"user","content":"## Phase: plan\n- [3] tiling"}]}'
 *   {"id":"mock-1","object":"chat.completion",...,"content":"[3] Tile ..."}
 *
 * Usage: mock-llm --script DIR [--port N] [--latency-ms N] [--log FILE]
 * --port 0 (the default) picks a free port. --latency-ms delays every
 * answer. --log appends one JSON object per request (seq, t_ms, path,
 * provider, model, phase, kernel, attempt, rule, entry, fault, status,
 * in_flight, auth, and what was asked: cap_param, cap, temperature, effort,
 * thinking_budget). SIGTERM or SIGINT ends the process at once. A request
 * that is not HTTP or not the JSON an API expects gets a 400.
 *
 * The script: DIR/script.json (the full description with examples is in
 * tests/mock/README.md).
 *
 *   { "rules": [ RULE, ... ], "default": RULE }
 *
 * A request is handled by the first rule, in order, whose "match" holds and
 * that is not used up, else by "default"; with neither, it gets a 400.
 * RULE members, all optional:
 *   "name"        shown in the log
 *   "match"       { "phase": "plan", "kernel": "gemm", "provider": "openai",
 *                   "model": "m", "contains": ["s", ...], "not_contains": [...],
 *                   "offered": [3, 7], "attempt": 1 }
 *                 phase and kernel come from the prompt's "## Phase: X" and
 *                 "## Kernel: X" lines; offered are the option numbers of
 *                 its "- [N] text" lines; attempt counts the identical
 *                 request bodies seen so far, this one included (a retry
 *                 is attempt 2).
 *   "times"       N: the rule handles only the first N requests it matches
 *   "latency_ms"  extra delay before answering
 *   "reply" | "replies"   one entry, or a list rotated through: the k-th
 *                 request the rule handles gets entry k mod length
 *   "fault", "retry_after", "stall_ms", "reasoning": as in an entry
 * An entry is a file name in DIR, or an object with
 *   "file" or "text"   the reply (text is used when both are given)
 *   "reasoning"        sent as message.reasoning_content / a thinking block
 *   "fault"            "429" (with Retry-After), "500" or any other status,
 *                      "stall" (never answer; "stall_ms" > 0 closes the
 *                      connection after that long), "close" (hang up),
 *                      "malformed" (a 200 with a body that is not JSON),
 *                      "truncated" (finish_reason "length" / stop_reason
 *                      "max_tokens"; the entry's text, else a reply cut in
 *                      the middle of a code fence), "nocode" (the entry's
 *                      text, else built-in prose without a code fence),
 *                      "echo-key" (a 401 whose message repeats the key sent)
 *   "retry_after"      seconds for a 429 [1]
 *   "reasoning_tokens" hidden reasoning reported in the usage (see above)
 *   "usage_example"    true: the text is followed, as real replies often
 *                      are, by "Compile and run it with:" and a ```bash
 *                      block (also for every implement reply when the
 *                      script says "usage_examples": true)
 * A reply's text may use {option} (an offered option number, a different
 * one for each request the rule handles; 0 when none was offered),
 * {kernel}, {phase}, {n} (the rule's request count) and {file:NAME}
 * (the contents of DIR/NAME). Reply files are read when used.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEADER_BYTES (64 * 1024)
#define MAX_BODY_BYTES (64 * 1024 * 1024)

/* ---- a growable string (the mock links nothing of the engine) ---- */

struct buf {
	char *p;
	size_t len;
	size_t cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np) {
			fprintf(stderr, "mock-llm: out of memory\n");
			_exit(3);
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	char *tmp = malloc((size_t)n + 1);
	if (!tmp) {
		fprintf(stderr, "mock-llm: out of memory\n");
		_exit(3);
	}
	va_start(ap, fmt);
	vsnprintf(tmp, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf_add(b, tmp, (size_t)n);
	free(tmp);
}

/* ---- global state ---- */

struct rule {
	cJSON *json;        /* the rule's object inside the script */
	int hits;           /* requests this rule has handled */
};

struct seen {               /* how often a request body has been seen */
	uint64_t hash;
	int count;
	struct seen *next;
};

static struct {
	const char *dir;
	cJSON *script;
	struct rule *rules;
	int nrules;
	struct rule deflt;
	bool has_default;
	bool usage_examples;    /* every implement reply ends with a usage block */
	int latency_ms;
	FILE *log;
	pthread_mutex_t lock;   /* rules' hits, seen, seq, log */
	struct seen *seen;
	long seq;
	atomic_int in_flight;
	int64_t t0;
} g = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	if (ms <= 0)
		return;
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Reads DIR/name; a new string or NULL. Names may not leave DIR. */
static char *read_script_file(const char *name)
{
	if (!name || !*name || name[0] == '/' || strstr(name, ".."))
		return NULL;
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", g.dir, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct buf b = {0};
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	if (!b.p)
		buf_adds(&b, "");
	return b.p;
}

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* ---- what a request asks ---- */

enum api { API_CHAT, API_MESSAGES, API_RESPONSES };

static const char *api_name(enum api a)
{
	return a == API_MESSAGES ? "anthropic" : a == API_RESPONSES ? "openai-responses" : "openai";
}

struct request {
	const char *path;
	enum api api;
	bool anthropic;         /* api == API_MESSAGES */
	char *model;
	char cap_param[32];     /* the output-cap parameter sent, "" if none */
	double cap;             /* its value; 0: none */
	bool has_temperature;
	double temperature;
	char effort[32];        /* reasoning_effort / reasoning.effort */
	double thinking_budget; /* Anthropic thinking.budget_tokens; 0: none */
	bool has_store;
	char refuse[600];       /* a parameter error the API would give, "" if none */
	char refuse_json[900];  /* its whole error body */
	struct buf prompt;      /* system + every message's text, joined */
	char phase[64];
	char kernel[128];
	int offered[256];
	int noffered;
	int attempt;
	char auth_key[1024];    /* the key the client sent, for echo-key */
};

/* Appends the text of a content value (string or array of text parts). */
static void add_content(struct buf *b, const cJSON *content)
{
	if (cJSON_IsString(content)) {
		buf_adds(b, content->valuestring);
		buf_adds(b, "\n");
	} else if (cJSON_IsArray(content)) {
		const cJSON *part;
		cJSON_ArrayForEach(part, content) {
			const cJSON *t = cJSON_GetObjectItemCaseSensitive(part, "text");
			if (cJSON_IsString(t)) {
				buf_adds(b, t->valuestring);
				buf_adds(b, "\n");
			}
		}
	}
}

/* The rest of the line at v, blanks at both ends left out, into out. */
static void line_value(const char *v, char *out, size_t outlen)
{
	while (*v == ' ' || *v == '\t')
		v++;
	size_t n = strcspn(v, "\r\n");
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		n--;
	snprintf(out, outlen, "%.*s", (int)n, v);
}

/* The rest of the line after marker at a line start, trimmed, into out. */
static void marker_value(const char *text, const char *marker, char *out, size_t outlen)
{
	out[0] = '\0';
	size_t ml = strlen(marker);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, marker, ml))
			continue;
		line_value(p + ml, out, outlen);
		return;
	}
}

static void find_offered(struct request *r)
{
	const char *text = r->prompt.p;
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, "- [", 3) || !isdigit((unsigned char)p[3]))
			continue;
		char *end;
		long n = strtol(p + 3, &end, 10);
		if (*end == ']' && r->noffered < (int)(sizeof(r->offered) / sizeof(r->offered[0])))
			r->offered[r->noffered++] = (int)n;
	}
}

/* Whether the model name is one of OpenAI's reasoning models (or a
 * deployment of one under a name of its own, "reasoner-..."). */
static bool reasoning_name(const char *name)
{
	if (!strncmp(name, "compat", 6))
		return false;
	const char *slash = strrchr(name, '/');
	const char *n = slash ? slash + 1 : name;
	return (n[0] == 'o' && isdigit((unsigned char)n[1])) || !strncmp(n, "gpt-5", 5) ||
	       !strncmp(n, "reasoner-", 9);
}

/* Sets the refusal: message in words, body the error reply (freed here). */
static void set_refusal(struct request *r, const char *message, cJSON *body)
{
	char *s = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	snprintf(r->refuse, sizeof(r->refuse), "%s", message);
	snprintf(r->refuse_json, sizeof(r->refuse_json), "%s", s ? s : "{}");
	free(s);
}

/* Sets the refusal an OpenAI-shaped API gives for param. */
static void refuse_openai(struct request *r, const char *param, const char *code,
                          const char *message)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *err = cJSON_AddObjectToObject(root, "error");
	cJSON_AddStringToObject(err, "message", message);
	cJSON_AddStringToObject(err, "type", "invalid_request_error");
	if (param)
		cJSON_AddStringToObject(err, "param", param);
	else
		cJSON_AddNullToObject(err, "param");
	cJSON_AddStringToObject(err, "code", code);
	set_refusal(r, message, root);
}

/* Sets the refusal a pydantic-based compatible server (older vLLM) gives. */
static void refuse_extra(struct request *r, const char *field)
{
	char msg[300];
	snprintf(msg, sizeof(msg), "[{'type': 'extra_forbidden', 'loc': ('body', '%s'), "
		 "'msg': 'Extra inputs are not permitted'}]", field);
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "object", "error");
	cJSON_AddStringToObject(root, "message", msg);
	cJSON_AddStringToObject(root, "type", "BadRequestError");
	cJSON_AddNullToObject(root, "param");
	cJSON_AddNumberToObject(root, "code", 400);
	set_refusal(r, msg, root);
}

/* Reads the parameters of the request and decides what today's API of
 * that name would refuse (see the top of this file). */
static void check_params(struct request *r, const cJSON *root)
{
	static const char *const caps[] = {"max_completion_tokens", "max_output_tokens",
					   "max_tokens"};
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]) && !r->cap_param[0]; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, caps[i]);
		if (cJSON_IsNumber(v)) {
			snprintf(r->cap_param, sizeof(r->cap_param), "%s", caps[i]);
			r->cap = v->valuedouble;
		}
	}
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "temperature");
	r->has_temperature = cJSON_IsNumber(t);
	r->temperature = r->has_temperature ? t->valuedouble : 1;
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "reasoning_effort");
	if (!cJSON_IsString(e))
		e = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(root, "reasoning"), "effort");
	if (cJSON_IsString(e))
		snprintf(r->effort, sizeof(r->effort), "%s", e->valuestring);
	const cJSON *th = cJSON_GetObjectItemCaseSensitive(root, "thinking");
	const cJSON *bt = cJSON_GetObjectItemCaseSensitive(th, "budget_tokens");
	r->thinking_budget = cJSON_IsNumber(bt) ? bt->valuedouble : 0;
	r->has_store = cJSON_GetObjectItemCaseSensitive(root, "store") != NULL;

	const char *slash = strrchr(r->model, '/');
	const char *name = slash ? slash + 1 : r->model;
	char msg[300];
	if (r->api == API_MESSAGES) {
		if (th && r->thinking_budget < 1024) {
			refuse_openai(r, NULL, "invalid_request_error",
				      "thinking.enabled.budget_tokens: Input should be greater than "
				      "or equal to 1024");
		} else if (th && r->cap <= r->thinking_budget) {
			refuse_openai(r, NULL, "invalid_request_error",
				      "`max_tokens` must be greater than `thinking.budget_tokens`.");
		} else if (th && r->has_temperature && r->temperature != 1) {
			refuse_openai(r, NULL, "invalid_request_error",
				      "`temperature` may only be set to 1 when thinking is enabled.");
		}
		return;
	}
	if (reasoning_name(r->model)) {
		if (!strcmp(r->cap_param, "max_tokens")) {
			refuse_openai(r, "max_tokens", "unsupported_parameter",
				      "Unsupported parameter: 'max_tokens' is not supported with this "
				      "model. Use 'max_completion_tokens' instead.");
			return;
		}
	}
	if (reasoning_name(r->model) || !strncmp(name, "fixedtemp-", 10)) {
		if (r->has_temperature && r->temperature != 1) {
			snprintf(msg, sizeof(msg), "Unsupported value: 'temperature' does not support "
				 "%g with this model. Only the default (1) value is supported.",
				 r->temperature);
			refuse_openai(r, "temperature", "unsupported_value", msg);
			return;
		}
	}
	if (!strncmp(name, "nocap-", 6) && r->cap_param[0]) {
		snprintf(msg, sizeof(msg), "Unsupported parameter: '%s' is not supported with "
			 "this model.", r->cap_param);
		refuse_openai(r, r->cap_param, "unsupported_parameter", msg);
		return;
	}
	if (!strncmp(r->model, "compat", 6)) {
		if (!strcmp(r->cap_param, "max_completion_tokens"))
			refuse_extra(r, "max_completion_tokens");
		else if (cJSON_GetObjectItemCaseSensitive(root, "reasoning_effort"))
			refuse_extra(r, "reasoning_effort");
	}
}

/* Appends the text of a Responses API input: a string, or a list of
 * messages whose content is a string or input_text parts. */
static void add_input(struct buf *b, const cJSON *input)
{
	if (cJSON_IsString(input)) {
		add_content(b, input);
		return;
	}
	const cJSON *m;
	cJSON_ArrayForEach(m, input) {
		const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
		add_content(b, content);
	}
}

/* Parses the JSON body. 0, or -1 with why in err. */
static int parse_request(struct request *r, const char *body, size_t len, char *err, size_t errlen)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	if (!cJSON_IsObject(root)) {
		snprintf(err, errlen, "the body is not a JSON object");
		cJSON_Delete(root);
		return -1;
	}
	const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
	if (r->api == API_RESPONSES) {
		const cJSON *input = cJSON_GetObjectItemCaseSensitive(root, "input");
		if (!cJSON_IsString(model) || (!cJSON_IsString(input) && !cJSON_IsArray(input))) {
			snprintf(err, errlen, "\"model\" (a string) and \"input\" (text or a list of "
				 "messages) are required");
			cJSON_Delete(root);
			return -1;
		}
		r->model = strdup(model->valuestring);
		add_content(&r->prompt, cJSON_GetObjectItemCaseSensitive(root, "instructions"));
		add_input(&r->prompt, input);
		check_params(r, root);
		goto parsed;
	}
	const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(root, "messages");
	if (!cJSON_IsString(model) || !cJSON_IsArray(msgs) || cJSON_GetArraySize(msgs) == 0) {
		snprintf(err, errlen, "\"model\" (a string) and \"messages\" (a non-empty array) are required");
		cJSON_Delete(root);
		return -1;
	}
	if (r->anthropic && !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(root, "max_tokens"))) {
		snprintf(err, errlen, "max_tokens: Field required");
		cJSON_Delete(root);
		return -1;
	}
	r->model = strdup(model->valuestring);
	if (r->anthropic)
		add_content(&r->prompt, cJSON_GetObjectItemCaseSensitive(root, "system"));
	const cJSON *m;
	cJSON_ArrayForEach(m, msgs) {
		const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
		const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
		if (!cJSON_IsString(role) || (!cJSON_IsString(content) && !cJSON_IsArray(content))) {
			snprintf(err, errlen, "each message needs a role and a content");
			cJSON_Delete(root);
			return -1;
		}
		add_content(&r->prompt, content);
	}
	check_params(r, root);
parsed:
	cJSON_Delete(root);
	if (!r->prompt.p)
		buf_adds(&r->prompt, "");
	marker_value(r->prompt.p, "## Phase:", r->phase, sizeof(r->phase));
	marker_value(r->prompt.p, "## Kernel:", r->kernel, sizeof(r->kernel));
	find_offered(r);

	uint64_t h = fnv1a(body, len);
	pthread_mutex_lock(&g.lock);
	struct seen *s = g.seen;
	while (s && s->hash != h)
		s = s->next;
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (s) {
			s->hash = h;
			s->next = g.seen;
			g.seen = s;
		}
	}
	r->attempt = s ? ++s->count : 1;
	pthread_mutex_unlock(&g.lock);
	return 0;
}

/* ---- choosing the answer ---- */

static const char *jstr(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool jnum(const cJSON *o, const char *name, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	if (!cJSON_IsNumber(v))
		return false;
	*out = v->valuedouble;
	return true;
}

static bool all_contained(const cJSON *list, const char *text, bool want)
{
	if (cJSON_IsString(list))
		return (strstr(text, list->valuestring) != NULL) == want;
	const cJSON *s;
	cJSON_ArrayForEach(s, list) {
		if (cJSON_IsString(s) && (strstr(text, s->valuestring) != NULL) != want)
			return false;
	}
	return true;
}

static bool rule_matches(const cJSON *rule, const struct request *r)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(rule, "match");
	if (!m)
		return true;
	const char *s;
	double d;
	if ((s = jstr(m, "phase")) && strcmp(s, r->phase))
		return false;
	if ((s = jstr(m, "kernel")) && strcmp(s, r->kernel))
		return false;
	if ((s = jstr(m, "provider")) && strcmp(s, api_name(r->api)))
		return false;
	if ((s = jstr(m, "model")) && strcmp(s, r->model))
		return false;
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(m, "contains");
	if (c && !all_contained(c, r->prompt.p, true))
		return false;
	c = cJSON_GetObjectItemCaseSensitive(m, "not_contains");
	if (c && !all_contained(c, r->prompt.p, false))
		return false;
	if (jnum(m, "attempt", &d) && (int)d != r->attempt)
		return false;
	const cJSON *off = cJSON_GetObjectItemCaseSensitive(m, "offered");
	const cJSON *n;
	cJSON_ArrayForEach(n, off) {
		bool found = false;
		for (int i = 0; i < r->noffered && cJSON_IsNumber(n); i++)
			found = found || r->offered[i] == (int)n->valuedouble;
		if (!found)
			return false;
	}
	return true;
}

/* The answer decided for one request. */
struct answer {
	const char *rule_name;
	int hits;               /* the rule's count including this request */
	const cJSON *entry;     /* the reply entry (string or object), may be NULL */
	const cJSON *rule;
	char entry_name[256];
	char fault[32];
	double retry_after;
	long stall_ms;
	long latency_ms;
};

/* An entry field, falling back to the rule's own. */
static const char *entry_str(const struct answer *a, const char *name)
{
	const char *s = cJSON_IsObject(a->entry) ? jstr(a->entry, name) : NULL;
	return s ? s : jstr(a->rule, name);
}

static bool entry_bool(const struct answer *a, const char *name)
{
	const cJSON *v = cJSON_IsObject(a->entry)
		? cJSON_GetObjectItemCaseSensitive(a->entry, name) : NULL;
	if (!v)
		v = cJSON_GetObjectItemCaseSensitive(a->rule, name);
	return cJSON_IsTrue(v);
}

static double entry_num(const struct answer *a, const char *name, double dflt)
{
	double d;
	if (cJSON_IsObject(a->entry) && jnum(a->entry, name, &d))
		return d;
	if (jnum(a->rule, name, &d))
		return d;
	return dflt;
}

/* Picks the rule and the entry. Returns false when nothing matches. */
static bool choose(const struct request *r, struct answer *a)
{
	memset(a, 0, sizeof(*a));
	struct rule *chosen = NULL;
	pthread_mutex_lock(&g.lock);
	for (int i = 0; i < g.nrules && !chosen; i++) {
		struct rule *ru = &g.rules[i];
		double times;
		if (jnum(ru->json, "times", &times) && ru->hits >= (int)times)
			continue;
		if (rule_matches(ru->json, r))
			chosen = ru;
	}
	if (!chosen && g.has_default)
		chosen = &g.deflt;
	if (chosen) {
		a->hits = ++chosen->hits;
		a->rule = chosen->json;
	}
	pthread_mutex_unlock(&g.lock);
	if (!chosen)
		return false;

	a->rule_name = jstr(a->rule, "name");
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(a->rule, "replies");
	if (cJSON_IsArray(list) && cJSON_GetArraySize(list) > 0)
		a->entry = cJSON_GetArrayItem(list, (a->hits - 1) % cJSON_GetArraySize(list));
	else
		a->entry = cJSON_GetObjectItemCaseSensitive(a->rule, "reply");
	const char *name = cJSON_IsString(a->entry) ? a->entry->valuestring : NULL;
	if (!name && cJSON_IsObject(a->entry))
		name = jstr(a->entry, "file");
	snprintf(a->entry_name, sizeof(a->entry_name), "%s", name ? name : "");
	const char *fault = entry_str(a, "fault");
	snprintf(a->fault, sizeof(a->fault), "%s", fault ? fault : "");
	a->retry_after = entry_num(a, "retry_after", 1);
	a->stall_ms = (long)entry_num(a, "stall_ms", 0);
	a->latency_ms = (long)entry_num(a, "latency_ms", 0) + g.latency_ms;
	return true;
}

/* Expands {option}, {kernel}, {phase}, {n} and {file:NAME} in text. */
static void expand(struct buf *out, const char *text, const struct request *r,
                   const struct answer *a)
{
	int options[256];
	int nopt = 0;
	for (int i = 0; i < r->noffered; i++)
		if (r->offered[i] != 0)
			options[nopt++] = r->offered[i];
	for (const char *p = text; *p;) {
		if (*p != '{') {
			const char *q = strchr(p, '{');
			size_t n = q ? (size_t)(q - p) : strlen(p);
			buf_add(out, p, n);
			p += n;
			continue;
		}
		const char *end = strchr(p, '}');
		if (!end) {
			buf_adds(out, p);
			break;
		}
		size_t n = (size_t)(end - p - 1);
		const char *name = p + 1;
		if (n == 6 && !strncmp(name, "option", 6)) {
			buf_addf(out, "%d", nopt ? options[(a->hits - 1) % nopt] : 0);
		} else if (n == 6 && !strncmp(name, "kernel", 6)) {
			buf_adds(out, r->kernel);
		} else if (n == 5 && !strncmp(name, "phase", 5)) {
			buf_adds(out, r->phase);
		} else if (n == 1 && name[0] == 'n') {
			buf_addf(out, "%d", a->hits);
		} else if (n > 5 && !strncmp(name, "file:", 5)) {
			char fname[256];
			snprintf(fname, sizeof(fname), "%.*s", (int)(n - 5), name + 5);
			char *content = read_script_file(fname);
			if (content)
				buf_adds(out, content);
			else
				fprintf(stderr, "mock-llm: cannot read %s/%s\n", g.dir, fname);
			free(content);
		} else {
			buf_add(out, p, (size_t)(end - p + 1));
		}
		p = end + 1;
	}
	if (!out->p)
		buf_adds(out, "");
}

/* ---- responses ---- */

static const char *reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 529: return "Overloaded";
	default: return "Status";
	}
}

/* Writes all of data; false when the peer is gone. */
static bool write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		data += n;
		len -= (size_t)n;
	}
	return true;
}

/* Sends status line, headers and body in one write. */
static bool respond(int fd, int status, const char *body, double retry_after, bool keep_alive)
{
	struct buf b = {0};
	buf_addf(&b, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
		 "Content-Length: %zu\r\nConnection: %s\r\n", status, reason_phrase(status),
		 strlen(body), keep_alive ? "keep-alive" : "close");
	if (retry_after >= 0)
		buf_addf(&b, "Retry-After: %g\r\n", retry_after);
	buf_adds(&b, "\r\n");
	buf_adds(&b, body);
	bool ok = write_all(fd, b.p, b.len);
	free(b.p);
	return ok;
}

/* An error body in the provider's format; a new string. */
static char *error_body(bool anthropic, int status, const char *message)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *err = cJSON_CreateObject();
	const char *type = status == 429 ? "rate_limit_error" : status == 529
		? "overloaded_error" : status == 401
		? "authentication_error" : status >= 500 ? "api_error" : "invalid_request_error";
	if (anthropic)
		cJSON_AddStringToObject(root, "type", "error");
	cJSON_AddItemToObject(root, "error", err);
	cJSON_AddStringToObject(err, "type", type);
	cJSON_AddStringToObject(err, "message", message);
	char *s = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return s;
}

static long tokens_of(size_t bytes)
{
	long t = (long)((bytes + 3) / 4);
	return t > 0 ? t : 1;
}

/* A success body in the provider's format; a new string. hidden is the
 * reasoning the model did without showing it (tokens). */
static char *success_body(const struct request *r, const char *text, const char *reasoning,
                          bool truncated, long seq, long hidden)
{
	long in = tokens_of(r->prompt.len);
	long thought = hidden > 0 ? hidden : reasoning ? tokens_of(strlen(reasoning)) : 0;
	long out = tokens_of(strlen(text)) + thought;
	char *cut = NULL;
	if (r->cap > 0 && out > (long)r->cap) {
		/* the cap is reached: reasoning first, then as much text as fits */
		truncated = true;
		long room = (long)r->cap - thought;
		size_t keep = room > 0 ? (size_t)room * 4 : 0;
		cut = strndup(text, keep < strlen(text) ? keep : strlen(text));
		text = cut ? cut : "";
		out = (long)r->cap;
		if (thought > out)
			thought = out;
		if (hidden > out)
			hidden = out;
	}
	cJSON *root = cJSON_CreateObject();
	char id[64];
	if (r->api == API_MESSAGES) {
		snprintf(id, sizeof(id), "msg_mock_%ld", seq);
		cJSON_AddStringToObject(root, "id", id);
		cJSON_AddStringToObject(root, "type", "message");
		cJSON_AddStringToObject(root, "role", "assistant");
		cJSON_AddStringToObject(root, "model", r->model);
		cJSON *content = cJSON_AddArrayToObject(root, "content");
		if (reasoning) {
			cJSON *t = cJSON_CreateObject();
			cJSON_AddStringToObject(t, "type", "thinking");
			cJSON_AddStringToObject(t, "thinking", reasoning);
			cJSON_AddStringToObject(t, "signature", "mock");
			cJSON_AddItemToArray(content, t);
		}
		cJSON *t = cJSON_CreateObject();
		cJSON_AddStringToObject(t, "type", "text");
		cJSON_AddStringToObject(t, "text", text);
		cJSON_AddItemToArray(content, t);
		cJSON_AddStringToObject(root, "stop_reason", truncated ? "max_tokens" : "end_turn");
		cJSON_AddNullToObject(root, "stop_sequence");
		cJSON *usage = cJSON_AddObjectToObject(root, "usage");
		cJSON_AddNumberToObject(usage, "input_tokens", (double)in);
		cJSON_AddNumberToObject(usage, "output_tokens", (double)out);
	} else if (r->api == API_RESPONSES) {
		snprintf(id, sizeof(id), "resp_mock_%ld", seq);
		cJSON_AddStringToObject(root, "id", id);
		cJSON_AddStringToObject(root, "object", "response");
		cJSON_AddNumberToObject(root, "created_at", (double)time(NULL));
		cJSON_AddStringToObject(root, "status", truncated ? "incomplete" : "completed");
		if (truncated) {
			cJSON *d = cJSON_AddObjectToObject(root, "incomplete_details");
			cJSON_AddStringToObject(d, "reason", "max_output_tokens");
		} else {
			cJSON_AddNullToObject(root, "incomplete_details");
		}
		cJSON_AddNullToObject(root, "error");
		cJSON_AddStringToObject(root, "model", r->model);
		cJSON *output = cJSON_AddArrayToObject(root, "output");
		if (thought > 0) {
			cJSON *it = cJSON_CreateObject();
			cJSON_AddStringToObject(it, "type", "reasoning");
			cJSON_AddStringToObject(it, "id", "rs_mock");
			cJSON *summary = cJSON_AddArrayToObject(it, "summary");
			if (reasoning) {
				cJSON *p = cJSON_CreateObject();
				cJSON_AddStringToObject(p, "type", "summary_text");
				cJSON_AddStringToObject(p, "text", reasoning);
				cJSON_AddItemToArray(summary, p);
			}
			cJSON_AddItemToArray(output, it);
		}
		if (!truncated || text[0]) {
			cJSON *it = cJSON_CreateObject();
			cJSON_AddStringToObject(it, "type", "message");
			cJSON_AddStringToObject(it, "id", "msg_mock");
			cJSON_AddStringToObject(it, "status", truncated ? "incomplete" : "completed");
			cJSON_AddStringToObject(it, "role", "assistant");
			cJSON *content = cJSON_AddArrayToObject(it, "content");
			cJSON *p = cJSON_CreateObject();
			cJSON_AddStringToObject(p, "type", "output_text");
			cJSON_AddStringToObject(p, "text", text);
			cJSON_AddArrayToObject(p, "annotations");
			cJSON_AddItemToArray(content, p);
			cJSON_AddItemToArray(output, it);
		}
		cJSON *usage = cJSON_AddObjectToObject(root, "usage");
		cJSON_AddNumberToObject(usage, "input_tokens", (double)in);
		cJSON_AddNumberToObject(usage, "output_tokens", (double)out);
		cJSON *d = cJSON_AddObjectToObject(usage, "output_tokens_details");
		cJSON_AddNumberToObject(d, "reasoning_tokens", (double)thought);
		cJSON_AddNumberToObject(usage, "total_tokens", (double)(in + out));
	} else {
		snprintf(id, sizeof(id), "mock-%ld", seq);
		cJSON_AddStringToObject(root, "id", id);
		cJSON_AddStringToObject(root, "object", "chat.completion");
		cJSON_AddNumberToObject(root, "created", (double)time(NULL));
		cJSON_AddStringToObject(root, "model", r->model);
		cJSON *choices = cJSON_AddArrayToObject(root, "choices");
		cJSON *choice = cJSON_CreateObject();
		cJSON_AddItemToArray(choices, choice);
		cJSON_AddNumberToObject(choice, "index", 0);
		cJSON *msg = cJSON_AddObjectToObject(choice, "message");
		cJSON_AddStringToObject(msg, "role", "assistant");
		cJSON_AddStringToObject(msg, "content", text);
		if (reasoning)
			cJSON_AddStringToObject(msg, "reasoning_content", reasoning);
		cJSON_AddStringToObject(choice, "finish_reason", truncated ? "length" : "stop");
		cJSON *usage = cJSON_AddObjectToObject(root, "usage");
		cJSON_AddNumberToObject(usage, "prompt_tokens", (double)in);
		cJSON_AddNumberToObject(usage, "completion_tokens", (double)out);
		cJSON_AddNumberToObject(usage, "total_tokens", (double)(in + out));
		if (hidden > 0) {
			cJSON *d = cJSON_AddObjectToObject(usage, "completion_tokens_details");
			cJSON_AddNumberToObject(d, "reasoning_tokens", (double)hidden);
		}
	}
	char *s = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	free(cut);
	return s;
}

static void log_request(long seq, const struct request *r, const struct answer *a,
                        int status, int in_flight)
{
	if (!g.log)
		return;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "seq", (double)seq);
	cJSON_AddNumberToObject(o, "t_ms", (double)(mono_ms() - g.t0));
	cJSON_AddStringToObject(o, "path", r->path);
	cJSON_AddStringToObject(o, "provider", api_name(r->api));
	cJSON_AddStringToObject(o, "model", r->model ? r->model : "");
	cJSON_AddStringToObject(o, "phase", r->phase);
	cJSON_AddStringToObject(o, "kernel", r->kernel);
	cJSON_AddNumberToObject(o, "attempt", r->attempt);
	cJSON_AddStringToObject(o, "rule", a && a->rule_name ? a->rule_name : "");
	cJSON_AddStringToObject(o, "entry", a ? a->entry_name : "");
	cJSON_AddStringToObject(o, "fault", a ? a->fault : "");
	cJSON_AddNumberToObject(o, "status", status);
	cJSON_AddNumberToObject(o, "in_flight", in_flight);
	cJSON_AddBoolToObject(o, "auth", r->auth_key[0] != '\0');
	cJSON_AddStringToObject(o, "cap_param", r->cap_param);
	cJSON_AddNumberToObject(o, "cap", r->cap);
	if (r->has_temperature)
		cJSON_AddNumberToObject(o, "temperature", r->temperature);
	else
		cJSON_AddNullToObject(o, "temperature");
	cJSON_AddStringToObject(o, "effort", r->effort);
	cJSON_AddNumberToObject(o, "thinking_budget", r->thinking_budget);
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	pthread_mutex_lock(&g.lock);
	if (s) {
		fprintf(g.log, "%s\n", s);
		fflush(g.log);
	}
	pthread_mutex_unlock(&g.lock);
	free(s);
}

/* Waits until the client hangs up, or ms have passed when ms > 0. */
static void stall(int fd, long ms)
{
	int64_t end = ms > 0 ? mono_ms() + ms : 0;
	for (;;) {
		int wait = 1000;
		if (ms > 0) {
			int64_t left = end - mono_ms();
			if (left <= 0)
				return;
			wait = left < 1000 ? (int)left : 1000;
		}
		struct pollfd p = {fd, POLLIN, 0};
		int n = poll(&p, 1, wait);
		if (n > 0) {
			char tmp[4096];
			ssize_t got = recv(fd, tmp, sizeof(tmp), 0);
			if (got <= 0)
				return;
		}
	}
}

static const char nocode_text[] =
	"I looked at the code and I would restructure the loops, but I am not "
	"going to write the code out here. The idea is to improve data reuse "
	"in the inner loop.\n";

static const char usage_text[] =
	"\n\nCompile and run it with:\n\n```bash\ngcc -O3 -march=native -o bench harness.c "
	"input.c && ./bench\n```\n\nThis should print the time per call.\n";

static const char thinking_text[] =
	"The inner loop walks B with a stride; reordering the loops makes it unit-stride.";

static const char truncated_text[] =
	"Here is the new version:\n\n```c\nvoid gemm(int M, int N, int K, "
	"const float *A, const float *B, float *C)\n{\n\tfor (int i = 0; i < M; i++) {\n";

/* Answers one parsed API request. Returns false to close the connection. */
static bool serve_api(int fd, struct request *r, bool keep_alive)
{
	int in_flight = atomic_fetch_add(&g.in_flight, 1) + 1;
	bool counted = true;
	pthread_mutex_lock(&g.lock);
	long seq = ++g.seq;
	pthread_mutex_unlock(&g.lock);
	struct answer a;
	int status = 200;
	bool ok = true;
	char *body = NULL;
	double retry_after = -1;
	bool matched = false;
	if (r->refuse[0]) {
		/* the API refuses the request's parameters before anything else */
		status = 400;
		body = strdup(r->refuse_json);
		log_request(seq, r, NULL, status, in_flight);
		atomic_fetch_sub(&g.in_flight, 1);
		counted = false;
		ok = body && respond(fd, status, body, -1, keep_alive);
		goto done;
	}
	matched = choose(r, &a);

	if (!matched) {
		char msg[300];
		snprintf(msg, sizeof(msg), "mock: no rule matches this request "
			 "(phase \"%s\", kernel \"%s\")", r->phase, r->kernel);
		status = 400;
		body = error_body(r->anthropic, status, msg);
		log_request(seq, r, NULL, status, in_flight);
		atomic_fetch_sub(&g.in_flight, 1);
		counted = false;
		ok = respond(fd, status, body, -1, keep_alive);
		goto done;
	}
	if (!strcmp(a.fault, "stall")) {
		log_request(seq, r, &a, 0, in_flight);
		stall(fd, a.stall_ms);
		ok = false;
		goto done;
	}
	if (!strcmp(a.fault, "close")) {
		log_request(seq, r, &a, 0, in_flight);
		ok = false;
		goto done;
	}
	sleep_ms(a.latency_ms);
	if (isdigit((unsigned char)a.fault[0])) {
		status = atoi(a.fault);
		if (status < 100 || status > 599)
			status = 500;
		char msg[200];
		if (status == 429) {
			retry_after = a.retry_after;
			snprintf(msg, sizeof(msg), "mock: rate limit reached, try again in %g s",
				 retry_after);
		} else {
			snprintf(msg, sizeof(msg), "mock: scripted HTTP %d", status);
		}
		body = error_body(r->anthropic, status, msg);
	} else if (!strcmp(a.fault, "echo-key")) {
		status = 401;
		char msg[1200];
		snprintf(msg, sizeof(msg), "Incorrect API key provided: %s. You can find "
			 "your API key in your account settings.", r->auth_key);
		body = error_body(r->anthropic, status, msg);
	} else if (!strcmp(a.fault, "malformed")) {
		body = strdup("{\"id\": \"mock\", \"choices\": [{\"message\": {\"content\": \"trunc");
	} else {
		struct buf text = {0};
		const char *inline_text = entry_str(&a, "text");
		char *file_text = NULL;
		if (!inline_text && !a.entry_name[0] && !strcmp(a.fault, "nocode")) {
			buf_adds(&text, nocode_text);
		} else if (!inline_text && !a.entry_name[0] && !strcmp(a.fault, "truncated")) {
			buf_adds(&text, truncated_text);
		} else if (inline_text) {
			expand(&text, inline_text, r, &a);
		} else if (a.entry_name[0]) {
			file_text = read_script_file(a.entry_name);
			if (!file_text) {
				fprintf(stderr, "mock-llm: cannot read reply file %s/%s\n", g.dir,
					a.entry_name);
				status = 500;
				char msg[400];
				snprintf(msg, sizeof(msg), "mock: cannot read reply file %s", a.entry_name);
				body = error_body(r->anthropic, status, msg);
			} else {
				expand(&text, file_text, r, &a);
			}
		} else {
			buf_adds(&text, "");
		}
		if (!body) {
			if (entry_bool(&a, "usage_example") ||
			    (g.usage_examples && !strcmp(r->phase, "implement")))
				buf_adds(&text, usage_text);
			const char *reasoning = entry_str(&a, "reasoning");
			struct buf rs = {0};
			if (reasoning)
				expand(&rs, reasoning, r, &a);
			else if (r->thinking_budget > 0)
				buf_adds(&rs, thinking_text);
			long hidden = (long)entry_num(&a, "reasoning_tokens", -1);
			if (hidden < 0)
				hidden = reasoning_name(r->model) && r->api != API_MESSAGES ? 256 : 0;
			body = success_body(r, text.p, rs.p, !strcmp(a.fault, "truncated"), seq,
					    hidden);
			free(rs.p);
		}
		free(text.p);
		free(file_text);
	}
	log_request(seq, r, &a, status, in_flight);
	/* Not answering any more once the answer is on its way: a client that
	 * reads it may send its next request before this thread runs again. */
	atomic_fetch_sub(&g.in_flight, 1);
	counted = false;
	ok = body && respond(fd, status, body, retry_after, keep_alive);
done:
	free(body);
	if (counted)
		atomic_fetch_sub(&g.in_flight, 1);
	return ok && keep_alive;
}

/* ---- HTTP ---- */

struct conn {
	int fd;
	struct buf in;          /* bytes read and not yet consumed */
};

/* Reads more bytes into c->in; false on EOF or error. */
static bool read_more(struct conn *c)
{
	char tmp[16384];
	for (;;) {
		ssize_t n = recv(c->fd, tmp, sizeof(tmp), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf_add(&c->in, tmp, (size_t)n);
		return true;
	}
}

/* A header's value (trimmed) into out; false when absent. */
static bool header_value(const char *headers, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	for (const char *p = headers; p && *p; p = strstr(p, "\r\n"), p = p ? p + 2 : NULL) {
		if (strncasecmp(p, name, nl) || p[nl] != ':')
			continue;
		line_value(p + nl + 1, out, outlen);
		return true;
	}
	return false;
}

static void bad_request(int fd, const char *why)
{
	char *body = error_body(false, 400, why);
	respond(fd, 400, body ? body : "{}", -1, false);
	free(body);
}

/* Serves one connection until it closes. */
static void *conn_main(void *arg)
{
	struct conn *c = arg;
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (;;) {
		char *end;
		while (!(end = c->in.p ? strstr(c->in.p, "\r\n\r\n") : NULL)) {
			if (c->in.len > MAX_HEADER_BYTES) {
				bad_request(c->fd, "mock: request headers too large");
				goto out;
			}
			if (!read_more(c))
				goto out;
		}
		size_t hlen = (size_t)(end - c->in.p) + 4;
		char *head = strndup(c->in.p, hlen);
		if (!head)
			goto out;
		char method[16];
		char path[1024];
		char version[16];
		if (sscanf(head, "%15s %1023s %15s", method, path, version) != 3 ||
		    strncmp(version, "HTTP/1.", 7)) {
			free(head);
			bad_request(c->fd, "mock: not an HTTP/1.x request");
			goto out;
		}
		char *headers = strstr(head, "\r\n") + 2;
		char val[1024];
		bool keep_alive = strcmp(version, "HTTP/1.0") != 0;
		if (header_value(headers, "Connection", val, sizeof(val)))
			keep_alive = !strcasecmp(val, "keep-alive") ||
				     (keep_alive && strcasecmp(val, "close"));
		if (header_value(headers, "Transfer-Encoding", val, sizeof(val))) {
			free(head);
			bad_request(c->fd, "mock: chunked request bodies are not supported");
			goto out;
		}
		long clen = 0;
		if (header_value(headers, "Content-Length", val, sizeof(val))) {
			char *e;
			clen = strtol(val, &e, 10);
			if (*e || clen < 0 || clen > MAX_BODY_BYTES) {
				free(head);
				bad_request(c->fd, "mock: bad Content-Length");
				goto out;
			}
		}
		if (header_value(headers, "Expect", val, sizeof(val)) &&
		    !strcasecmp(val, "100-continue") && c->in.len < hlen + (size_t)clen) {
			static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
			write_all(c->fd, cont, sizeof(cont) - 1);
		}
		while (c->in.len < hlen + (size_t)clen) {
			if (!read_more(c)) {
				free(head);
				goto out;
			}
		}
		struct request r = {.path = path};
		if (header_value(headers, "Authorization", val, sizeof(val)) &&
		    !strncasecmp(val, "Bearer ", 7))
			snprintf(r.auth_key, sizeof(r.auth_key), "%s", val + 7);
		else if (header_value(headers, "x-api-key", val, sizeof(val)))
			snprintf(r.auth_key, sizeof(r.auth_key), "%s", val);
		const char *body = c->in.p + hlen;
		bool keep = true;
		bool openai = !strcmp(path, "/v1/chat/completions") ||
			      !strcmp(path, "/chat/completions");
		bool anthropic = !strcmp(path, "/v1/messages") || !strcmp(path, "/messages");
		bool responses = !strcmp(path, "/v1/responses") || !strcmp(path, "/responses");
		if (!strcmp(method, "GET") && !strcmp(path, "/health")) {
			keep = respond(c->fd, 200, "{\"ok\":true}", -1, keep_alive) && keep_alive;
		} else if (!strcmp(method, "GET") && !strcmp(path, "/v1/models")) {
			keep = respond(c->fd, 200, "{\"object\":\"list\",\"data\":[{\"id\":\"mock\","
				       "\"object\":\"model\",\"owned_by\":\"mock-llm\"}]}", -1,
				       keep_alive) && keep_alive;
		} else if (openai || anthropic || responses) {
			r.anthropic = anthropic;
			r.api = anthropic ? API_MESSAGES : responses ? API_RESPONSES : API_CHAT;
			char err[256];
			if (strcmp(method, "POST")) {
				char *b = error_body(anthropic, 405, "mock: use POST");
				keep = respond(c->fd, 405, b ? b : "{}", -1, keep_alive) && keep_alive;
				free(b);
			} else if (parse_request(&r, body, (size_t)clen, err, sizeof(err))) {
				char msg[300];
				snprintf(msg, sizeof(msg), "mock: %s", err);
				char *b = error_body(anthropic, 400, msg);
				keep = respond(c->fd, 400, b ? b : "{}", -1, keep_alive) && keep_alive;
				free(b);
			} else {
				keep = serve_api(c->fd, &r, keep_alive);
			}
		} else {
			char *b = error_body(false, 404, "mock: unknown path");
			keep = respond(c->fd, 404, b ? b : "{}", -1, keep_alive) && keep_alive;
			free(b);
		}
		free(r.model);
		free(r.prompt.p);
		free(head);
		size_t used = hlen + (size_t)clen;
		memmove(c->in.p, c->in.p + used, c->in.len - used + 1);
		c->in.len -= used;
		if (!keep)
			break;
	}
out:
	close(c->fd);
	free(c->in.p);
	free(c);
	return NULL;
}

/* ---- start-up ---- */

static void on_signal(int sig)
{
	_exit(0);
}

static void usage(void)
{
	fprintf(stderr, "usage: mock-llm --script DIR [--port N] [--latency-ms N] [--log FILE]\n");
	exit(2);
}

static void load_script(void)
{
	char *text = read_script_file("script.json");
	if (!text) {
		fprintf(stderr, "mock-llm: cannot read %s/script.json\n", g.dir);
		exit(2);
	}
	g.script = cJSON_Parse(text);
	free(text);
	if (!cJSON_IsObject(g.script)) {
		fprintf(stderr, "mock-llm: %s/script.json is not a JSON object\n", g.dir);
		exit(2);
	}
	cJSON *rules = cJSON_GetObjectItemCaseSensitive(g.script, "rules");
	if (rules && !cJSON_IsArray(rules)) {
		fprintf(stderr, "mock-llm: \"rules\" must be an array\n");
		exit(2);
	}
	g.nrules = cJSON_GetArraySize(rules);
	g.rules = calloc((size_t)(g.nrules ? g.nrules : 1), sizeof(*g.rules));
	if (!g.rules)
		exit(3);
	for (int i = 0; i < g.nrules; i++) {
		g.rules[i].json = cJSON_GetArrayItem(rules, i);
		if (!cJSON_IsObject(g.rules[i].json)) {
			fprintf(stderr, "mock-llm: rule %d is not an object\n", i + 1);
			exit(2);
		}
	}
	g.usage_examples = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g.script, "usage_examples"));
	cJSON *d = cJSON_GetObjectItemCaseSensitive(g.script, "default");
	if (cJSON_IsObject(d)) {
		g.deflt.json = d;
		g.has_default = true;
	}
}

int main(int argc, char **argv)
{
	int port = 0;
	const char *log_path = NULL;
	for (int i = 1; i < argc; i++) {
		bool has = i + 1 < argc;
		if (!strcmp(argv[i], "--script") && has)
			g.dir = argv[++i];
		else if (!strcmp(argv[i], "--port") && has)
			port = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--latency-ms") && has)
			g.latency_ms = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--log") && has)
			log_path = argv[++i];
		else
			usage();
	}
	if (!g.dir || port < 0 || port > 65535 || g.latency_ms < 0)
		usage();
	load_script();
	if (log_path) {
		g.log = fopen(log_path, "a");
		if (!g.log) {
			fprintf(stderr, "mock-llm: cannot open %s: %s\n", log_path, strerror(errno));
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(lfd, 128) < 0) {
		fprintf(stderr, "mock-llm: cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
		return 1;
	}
	socklen_t alen = sizeof(addr);
	getsockname(lfd, (struct sockaddr *)&addr, &alen);
	g.t0 = mono_ms();
	printf("%d\n", ntohs(addr.sin_port));
	fflush(stdout);
	/* for people (stderr: stdout's first line stays the port alone) */
	fprintf(stderr, "mock-llm: serving %s at http://127.0.0.1:%d/v1; mount with "
	        "-o models=openai@http://127.0.0.1:%d/v1::mock\n", g.dir, ntohs(addr.sin_port),
	        ntohs(addr.sin_port));

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE ||
			    errno == ENFILE) {
				if (errno == EMFILE || errno == ENFILE)
					sleep_ms(50);
				continue;
			}
			fprintf(stderr, "mock-llm: accept: %s\n", strerror(errno));
			return 1;
		}
		struct conn *c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		pthread_t t;
		if (pthread_create(&t, &attr, conn_main, c)) {
			free(c);
			close(fd);
		}
	}
}
