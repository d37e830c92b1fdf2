/*
 * llm.c - the LLM clients declared in llm.h: model strings, the shared
 * client with its bound on requests in flight, one HTTP exchange per
 * attempt (libcurl) and the retry policy around it.
 *
 * Two wire formats: "openai" posts to {base}/chat/completions (OpenAI and
 * every OpenAI-compatible server), "anthropic" posts to {base}/v1/messages.
 * A request gets a fresh easy handle driven by a private multi handle, so
 * that the cancel flag is looked at every 50 ms even while a server says
 * nothing (the progress callback alone may only run once a second).
 *
 * Retries: 429 and 5xx answers, timeouts and network errors are retried
 * with exponential backoff and full jitter (a random delay between 0 and
 * base * 2^(n-1), capped at 60 s); a Retry-After from the server replaces
 * that delay. A reply that is not the JSON we expect (malformed) is retried
 * as well, but at most twice, because a server that sends garbage three
 * times in a row is unlikely to stop. A truncated reply is not retried: the
 * same prompt at the same limit would most likely be cut again, and the
 * engine decides what to do. Other 4xx answers fail at once with the
 * server's own message.
 *
 * Keys come from OPENAI_API_KEY / ANTHROPIC_API_KEY. Every error text and
 * every wait note passes through redact(), which removes the key's value,
 * anything shaped like an "sk-..." key and any "Bearer ..." credential, so
 * a server that echoes a key back cannot leak it into logs. This file does
 * not decide what to ask or what an answer means (prompt.c, reply.c).
 */
#include "engine/llm.h"

#include "ac_config.h"
#include "engine/util.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define OPENAI_DEFAULT_BASE "https://api.openai.com/v1"
#define ANTHROPIC_DEFAULT_BASE "https://api.anthropic.com"
#define ANTHROPIC_VERSION "2023-06-01"

#define MAX_REPLY_BYTES (64u << 20) /* a larger reply is refused */
#define MALFORMED_RETRIES 2         /* extra attempts after a malformed reply */
#define BACKOFF_CAP_S 60.0
#define RETRY_AFTER_CAP_S 300.0     /* a longer Retry-After is cut to this */
#define POLL_MS 50                  /* how often waits look at the cancel flag */
#define DEFAULT_MAX_TOKENS 8192

struct llm_client {
	struct llm_client_opts opts;
	pthread_mutex_t lock;
	pthread_cond_t freed;   /* signalled when a request slot frees up */
	int in_flight;
	uint64_t rng;           /* xorshift state for jitter, under lock */
};

/* ---- model strings ---- */

void llm_model_free(struct llm_model *m)
{
	if (!m)
		return;
	free(m->spec);
	free(m->provider);
	free(m->base_url);
	free(m->name);
	free(m);
}

/* The first "::" at or after p that is not inside [...] (an IPv6 host). */
static const char *find_sep(const char *p)
{
	int depth = 0;
	for (; *p; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']' && depth > 0)
			depth--;
		else if (depth == 0 && p[0] == ':' && p[1] == ':')
			return p;
	}
	return NULL;
}

int llm_model_parse(const char *spec, struct llm_model **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!spec) {
		snprintf(err, errlen, "no model given");
		return -EINVAL;
	}
	while (isspace((unsigned char)*spec))
		spec++;
	size_t slen = strlen(spec);
	while (slen > 0 && isspace((unsigned char)spec[slen - 1]))
		slen--;
	char *s = strndup(spec, slen);
	if (!s)
		return -ENOMEM;

	const char *sep = find_sep(s);
	const char *at = strchr(s, '@');
	if (at && sep && at > sep)
		at = NULL; /* an '@' in the model name, not a base URL */
	if (!sep) {
		snprintf(err, errlen, "model \"%s\": expected provider::model "
			 "(e.g. openai::gpt-4.1) or provider@URL::model", s);
		free(s);
		return -EINVAL;
	}
	const char *pend = at ? at : sep;
	char *provider = strndup(s, (size_t)(pend - s));
	char *base = at ? strndup(at + 1, (size_t)(sep - at - 1)) : NULL;
	char *name = strdup(sep + 2);
	struct llm_model *m = calloc(1, sizeof(*m));
	if (!provider || (at && !base) || !name || !m) {
		free(provider);
		free(base);
		free(name);
		free(m);
		free(s);
		return -ENOMEM;
	}
	m->spec = s;
	m->provider = provider;
	m->base_url = base;
	m->name = name;
	for (char *p = provider; *p; p++)
		*p = (char)tolower((unsigned char)*p);

	int rc = 0;
	if (strcmp(provider, "openai") && strcmp(provider, "anthropic")) {
		snprintf(err, errlen, "model \"%s\": unknown provider \"%s\" "
			 "(openai or anthropic)", s, provider);
		rc = -EINVAL;
	} else if (!*name) {
		snprintf(err, errlen, "model \"%s\": no model name after \"::\"", s);
		rc = -EINVAL;
	} else if (base && strncmp(base, "http://", 7) && strncmp(base, "https://", 8)) {
		snprintf(err, errlen, "model \"%s\": base URL \"%s\" must start with "
			 "http:// or https://", s, base);
		rc = -EINVAL;
	}
	if (rc) {
		llm_model_free(m);
		return rc;
	}
	if (base) {
		size_t bl = strlen(base);
		while (bl > 0 && base[bl - 1] == '/')
			base[--bl] = '\0';
	}
	*out = m;
	return 0;
}

/* ---- the client ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct llm_client *llm_client_new(const struct llm_client_opts *opts)
{
	pthread_once(&curl_once, curl_init_once);
	struct llm_client *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->opts.max_in_flight = 4;
	c->opts.timeout_s = 300;
	c->opts.max_attempts = 6;
	c->opts.backoff_base_s = 1.0;
	if (opts) {
		if (opts->max_in_flight > 0)
			c->opts.max_in_flight = opts->max_in_flight;
		if (opts->timeout_s > 0)
			c->opts.timeout_s = opts->timeout_s;
		if (opts->max_attempts > 0)
			c->opts.max_attempts = opts->max_attempts;
		if (opts->backoff_base_s > 0)
			c->opts.backoff_base_s = opts->backoff_base_s;
	}
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->freed, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&c->lock, NULL);
	c->rng = (uint64_t)mono_ns() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)c;
	if (!c->rng)
		c->rng = 0x2545F4914F6CDD1DULL;
	return c;
}

void llm_client_free(struct llm_client *c)
{
	if (!c)
		return;
	pthread_cond_destroy(&c->freed);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void llm_reply_clear(struct llm_reply *r)
{
	if (!r)
		return;
	free(r->text);
	free(r->reasoning);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

static bool cancelled(const atomic_int *cancel)
{
	return cancel && atomic_load(cancel) != 0;
}

/* A uniform random number in [0, 1) for jitter. */
static double jitter_unit(struct llm_client *c)
{
	pthread_mutex_lock(&c->lock);
	uint64_t x = c->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	c->rng = x;
	pthread_mutex_unlock(&c->lock);
	return (double)(x >> 11) * 0x1.0p-53;
}

/* Takes a request slot, waiting while max_in_flight requests run.
 * Returns 0 or -ECANCELED. */
static int slot_take(struct llm_client *c, const atomic_int *cancel)
{
	int rc = 0;
	pthread_mutex_lock(&c->lock);
	while (c->in_flight >= c->opts.max_in_flight) {
		if (cancelled(cancel)) {
			rc = -ECANCELED;
			break;
		}
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += POLL_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&c->freed, &c->lock, &ts);
	}
	if (!rc)
		c->in_flight++;
	pthread_mutex_unlock(&c->lock);
	return rc;
}

static void slot_give(struct llm_client *c)
{
	pthread_mutex_lock(&c->lock);
	c->in_flight--;
	pthread_cond_signal(&c->freed);
	pthread_mutex_unlock(&c->lock);
}

/* Sleeps for seconds in small steps; returns -ECANCELED if cancel is set. */
static int sleep_cancellable(double seconds, const atomic_int *cancel)
{
	int64_t end = mono_ns() + (int64_t)(seconds * 1e9);
	for (;;) {
		if (cancelled(cancel))
			return -ECANCELED;
		int64_t left = end - mono_ns();
		if (left <= 0)
			return 0;
		if (left > 20 * 1000000LL)
			left = 20 * 1000000LL;
		struct timespec ts = {0, (long)left};
		nanosleep(&ts, NULL);
	}
}

/* ---- keeping keys out of words ---- */

static bool token_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '-' || ch == '_' || ch == '*' || ch == '.';
}

/* Returns a new copy of s with the key, "sk-..." tokens and "Bearer ..."
 * credentials replaced by "[redacted]". NULL on OOM. */
static char *redact(const char *s, const char *key)
{
	struct strbuf sb = {0};
	size_t klen = key ? strlen(key) : 0;
	const char *p = s;
	while (*p) {
		if (klen >= 4 && !strncmp(p, key, klen)) {
			if (sb_adds(&sb, "[redacted]"))
				goto oom;
			p += klen;
			continue;
		}
		bool boundary = p == s || !token_char(p[-1]);
		if (boundary && !strncmp(p, "sk-", 3)) {
			size_t n = 3;
			while (token_char(p[n]))
				n++;
			if (n >= 3 + 6) {
				if (sb_adds(&sb, "[redacted]"))
					goto oom;
				p += n;
				continue;
			}
		}
		if (boundary && !strncasecmp(p, "Bearer ", 7) && token_char(p[7])) {
			size_t n = 7;
			while (token_char(p[n]))
				n++;
			if (sb_adds(&sb, "Bearer [redacted]"))
				goto oom;
			p += n;
			continue;
		}
		if (sb_add(&sb, p, 1))
			goto oom;
		p++;
	}
	return sb_detach(&sb);
oom:
	sb_release(&sb);
	return NULL;
}

/* Sets reply->error to the redacted printf-style text. */
static void set_error(struct llm_reply *reply, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_error(struct llm_reply *reply, const char *key, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	free(reply->error);
	reply->error = redact(buf, key);
}

/* ---- one request ---- */

/* Where and how to send, resolved from the model and the environment. */
struct endpoint {
	bool anthropic;
	char url[1024];
	const char *key;       /* from the environment; NULL when not set */
	bool default_base;     /* the provider's own API (not a local server) */
};

static int resolve_endpoint(const struct llm_model *m, struct endpoint *ep,
                            struct llm_reply *reply)
{
	ep->anthropic = !strcmp(m->provider, "anthropic");
	const char *def = ep->anthropic ? ANTHROPIC_DEFAULT_BASE : OPENAI_DEFAULT_BASE;
	const char *env = getenv(ep->anthropic ? "ANTHROPIC_BASE_URL" : "OPENAI_BASE_URL");
	const char *base = m->base_url;
	if (!base || !*base)
		base = env && *env ? env : def;
	char b[900];
	snprintf(b, sizeof(b), "%s", base);
	size_t bl = strlen(b);
	while (bl > 0 && b[bl - 1] == '/')
		b[--bl] = '\0';
	ep->default_base = !strcmp(b, def);
	if (ep->anthropic) {
		bool has_v1 = bl >= 3 && !strcmp(b + bl - 3, "/v1");
		snprintf(ep->url, sizeof(ep->url), "%s%s", b, has_v1 ? "/messages" : "/v1/messages");
	} else {
		snprintf(ep->url, sizeof(ep->url), "%s/chat/completions", b);
	}
	const char *kname = ep->anthropic ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY";
	ep->key = getenv(kname);
	if (ep->key && !*ep->key)
		ep->key = NULL;
	/* A local server (vLLM, llama.cpp, a mock) needs no key; the real APIs do. */
	if (!ep->key && ep->default_base) {
		set_error(reply, NULL, "%s is not set", kname);
		return -ENOKEY;
	}
	return 0;
}

/* OpenAI's reasoning models take only the default temperature. */
static bool fixed_temperature(const char *name)
{
	const char *slash = strrchr(name, '/');
	const char *n = slash ? slash + 1 : name;
	return (n[0] == 'o' && isdigit((unsigned char)n[1])) || !strncmp(n, "gpt-5", 5);
}

/* The JSON request body; a new string or NULL on OOM. */
static char *build_body(const struct llm_request *req, const struct endpoint *ep)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *msgs = NULL;
	int max_tokens = req->max_tokens > 0 ? req->max_tokens : DEFAULT_MAX_TOKENS;
	bool ok = root != NULL;
	ok = ok && cJSON_AddStringToObject(root, "model", req->model->name);
	if (ep->anthropic) {
		double t = req->temperature < 0 ? 0 : req->temperature > 1 ? 1 : req->temperature;
		ok = ok && cJSON_AddNumberToObject(root, "max_tokens", max_tokens);
		ok = ok && cJSON_AddNumberToObject(root, "temperature", t);
		if (ok && req->system && *req->system)
			ok = cJSON_AddStringToObject(root, "system", req->system) != NULL;
	} else {
		/* api.openai.com wants max_completion_tokens; compatible servers
		 * (vLLM, llama.cpp, Ollama) all take max_tokens. */
		ok = ok && cJSON_AddNumberToObject(root, ep->default_base ? "max_completion_tokens"
						   : "max_tokens", max_tokens);
		if (ok && !fixed_temperature(req->model->name))
			ok = cJSON_AddNumberToObject(root, "temperature", req->temperature) != NULL;
	}
	if (ok)
		msgs = cJSON_AddArrayToObject(root, "messages");
	ok = ok && msgs;
	if (ok && !ep->anthropic && req->system && *req->system) {
		cJSON *sys = cJSON_CreateObject();
		ok = sys && cJSON_AddItemToArray(msgs, sys) &&
		     cJSON_AddStringToObject(sys, "role", "system") &&
		     cJSON_AddStringToObject(sys, "content", req->system);
	}
	if (ok) {
		cJSON *user = cJSON_CreateObject();
		ok = user && cJSON_AddItemToArray(msgs, user) &&
		     cJSON_AddStringToObject(user, "role", "user") &&
		     cJSON_AddStringToObject(user, "content", req->prompt);
	}
	char *body = ok ? cJSON_PrintUnformatted(root) : NULL;
	cJSON_Delete(root);
	return body;
}

/* What one HTTP exchange brought back. */
struct xfer {
	struct strbuf body;
	double retry_after;     /* seconds; < 0 when the server gave none */
	bool too_big;
	const atomic_int *cancel;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;
	if (x->body.len + n > MAX_REPLY_BYTES) {
		x->too_big = true;
		return 0;
	}
	if (sb_add(&x->body, data, n))
		return 0;
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;
	char line[256];
	size_t l = n < sizeof(line) - 1 ? n : sizeof(line) - 1;
	memcpy(line, data, l);
	line[l] = '\0';
	while (l > 0 && isspace((unsigned char)line[l - 1]))
		line[--l] = '\0';
	if (!strncmp(line, "HTTP/", 5)) {
		x->retry_after = -1; /* a new response (after a 100 or a redirect) */
	} else if (!strncasecmp(line, "retry-after-ms:", 15)) {
		char *end;
		double v = strtod(line + 15, &end);
		if (end != line + 15 && v >= 0)
			x->retry_after = v / 1000.0;
	} else if (!strncasecmp(line, "retry-after:", 12) && x->retry_after < 0) {
		const char *v = line + 12;
		while (*v == ' ')
			v++;
		char *end;
		double secs = strtod(v, &end);
		if (end != v && secs >= 0) {
			x->retry_after = secs;
		} else {
			time_t when = curl_getdate(v, NULL);
			if (when > 0) {
				double d = difftime(when, time(NULL));
				x->retry_after = d > 0 ? d : 0;
			}
		}
	}
	return n;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct xfer *x = arg;
	return cancelled(x->cancel) ? 1 : 0;
}

/* Posts body to ep->url once. Returns the curl result; the HTTP status in
 * *status and the curl error text in errbuf. */
static CURLcode post_once(const struct llm_client *c, const struct endpoint *ep,
                          const char *body, struct xfer *x, long *status,
                          char *errbuf)
{
	*status = 0;
	errbuf[0] = '\0';
	CURL *h = curl_easy_init();
	CURLM *m = curl_multi_init();
	struct curl_slist *hdrs = NULL;
	CURLcode res = CURLE_OUT_OF_MEMORY;
	if (!h || !m)
		goto out;

	char auth[1024];
	const char *headers[6];
	int nh = 0;
	headers[nh++] = "Content-Type: application/json";
	headers[nh++] = "Expect:"; /* no 100-continue round trip */
	if (ep->anthropic) {
		headers[nh++] = "anthropic-version: " ANTHROPIC_VERSION;
		if (ep->key) {
			snprintf(auth, sizeof(auth), "x-api-key: %s", ep->key);
			headers[nh++] = auth;
		}
	} else if (ep->key) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", ep->key);
		headers[nh++] = auth;
	}
	for (int i = 0; i < nh; i++) {
		struct curl_slist *n = curl_slist_append(hdrs, headers[i]);
		if (!n)
			goto out;
		hdrs = n;
	}
	memset(auth, 0, sizeof(auth));

	long timeout_ms = (long)(c->opts.timeout_s * 1000.0);
	if (timeout_ms < 1)
		timeout_ms = 1;
	curl_easy_setopt(h, CURLOPT_URL, ep->url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 30000 ? timeout_ms : 30000L);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "autocompfs/" AC_VERSION);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");

	if (curl_multi_add_handle(m, h) != CURLM_OK)
		goto out;
	int running = 1;
	res = CURLE_OK;
	bool done = false;
	while (!done) {
		if (curl_multi_perform(m, &running) != CURLM_OK) {
			res = CURLE_RECV_ERROR;
			break;
		}
		int left;
		CURLMsg *msg;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg == CURLMSG_DONE) {
				res = msg->data.result;
				done = true;
			}
		}
		if (done || !running)
			break;
		if (cancelled(x->cancel)) {
			res = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		curl_multi_poll(m, NULL, 0, POLL_MS, NULL);
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_multi_remove_handle(m, h);
out:
	curl_multi_cleanup(m);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	return res;
}

/* ---- reading replies ---- */

/* A string member, or NULL. */
static const char *json_str(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A token count, or 0. The server's number is clamped to 0..1e15 first:
 * converting a double out of long's range is undefined behaviour, and a
 * negative count would hand the kernel's token budget back. */
static long json_long(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (!cJSON_IsNumber(v) || !(v->valuedouble > 0))
		return 0;
	return v->valuedouble < 1e15 ? (long)v->valuedouble : 1000000000000000L;
}

/* The server's own words from an error body (JSON or not), made safe:
 * at most 300 bytes, control characters turned into spaces. */
static void server_message(const char *body, char *out, size_t outlen)
{
	out[0] = '\0';
	if (!body || !*body)
		return;
	const char *msg = NULL;
	cJSON *root = cJSON_Parse(body);
	if (root) {
		const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
		if (cJSON_IsObject(err))
			msg = json_str(err, "message");
		else if (cJSON_IsString(err))
			msg = err->valuestring;
		if (!msg)
			msg = json_str(root, "message");
		if (!msg)
			msg = json_str(root, "detail");
	}
	snprintf(out, outlen < 301 ? outlen : 301, "%s", msg ? msg : body);
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	cJSON_Delete(root);
}

/* Whether a 429 says the account is out of credit (retrying cannot help). */
static bool quota_exhausted(const char *body)
{
	return body && strstr(body, "insufficient_quota") != NULL;
}

/* Appends s to *dst (a malloc'd string or NULL); 0 or -ENOMEM. */
static int append_str(char **dst, const char *s, size_t len)
{
	size_t old = *dst ? strlen(*dst) : 0;
	char *n = realloc(*dst, old + len + 1);
	if (!n)
		return -ENOMEM;
	memcpy(n + old, s, len);
	n[old + len] = '\0';
	*dst = n;
	return 0;
}

/* Moves an inline "<think>...</think>" (or a leading "...</think>" whose
 * opening tag was in the chat template) from the text into the reasoning,
 * so that text is the answer alone. */
static int split_inline_think(struct llm_reply *r)
{
	char *t = r->text;
	const char *p = t;
	while (isspace((unsigned char)*p))
		p++;
	const char *close = strstr(p, "</think>");
	if (!close)
		return 0;
	const char *open = strstr(p, "<think>");
	const char *from;
	if (open == p)
		from = p + strlen("<think>");
	else if (!open || open > close)
		from = p;
	else
		return 0; /* text before the reasoning: leave it to reply.c */
	if (r->reasoning && *r->reasoning && append_str(&r->reasoning, "\n", 1))
		return -ENOMEM;
	if (append_str(&r->reasoning, from, (size_t)(close - from)))
		return -ENOMEM;
	const char *rest = close + strlen("</think>");
	while (isspace((unsigned char)*rest))
		rest++;
	memmove(t, rest, strlen(rest) + 1);
	return 0;
}

/* Text of an OpenAI message content: a string or an array of text parts. */
static int openai_content(const cJSON *content, char **out)
{
	if (cJSON_IsString(content))
		return append_str(out, content->valuestring, strlen(content->valuestring));
	if (!cJSON_IsArray(content))
		return -EPROTO;
	const cJSON *part;
	if (!*out && append_str(out, "", 0))
		return -ENOMEM;
	cJSON_ArrayForEach(part, content) {
		const char *t = json_str(part, "text");
		if (t && append_str(out, t, strlen(t)))
			return -ENOMEM;
	}
	return 0;
}

/* Reads a chat-completions reply. 0, -EPROTO (malformed; why in detail) or -ENOMEM. */
static int parse_openai(cJSON *root, struct llm_reply *r, char *detail, size_t dlen)
{
	const cJSON *choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
	const cJSON *choice = cJSON_IsArray(choices) ? cJSON_GetArrayItem(choices, 0) : NULL;
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(choice, "message");
	if (!cJSON_IsObject(msg)) {
		snprintf(detail, dlen, "no choices[0].message");
		return -EPROTO;
	}
	const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
	r->prompt_tokens = json_long(usage, "prompt_tokens");
	r->completion_tokens = json_long(usage, "completion_tokens");
	const char *finish = json_str(choice, "finish_reason");
	r->truncated = finish && !strcmp(finish, "length");
	const char *reasoning = json_str(msg, "reasoning_content");
	if (!reasoning)
		reasoning = json_str(msg, "reasoning");
	if (reasoning && append_str(&r->reasoning, reasoning, strlen(reasoning)))
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
	const char *refusal = json_str(msg, "refusal");
	snprintf(detail, dlen, "%s%s", refusal ? "the model refused: " : "no message.content",
		 refusal ? refusal : "");
	return -EPROTO;
}

/* Reads a Messages API reply. 0, -EPROTO (why in detail) or -ENOMEM. */
static int parse_anthropic(cJSON *root, struct llm_reply *r, char *detail, size_t dlen)
{
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(root, "content");
	if (!cJSON_IsArray(content)) {
		snprintf(detail, dlen, "no content array");
		return -EPROTO;
	}
	const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
	r->prompt_tokens = json_long(usage, "input_tokens") +
			   json_long(usage, "cache_creation_input_tokens") +
			   json_long(usage, "cache_read_input_tokens");
	r->completion_tokens = json_long(usage, "output_tokens");
	const char *stop = json_str(root, "stop_reason");
	r->truncated = stop && !strcmp(stop, "max_tokens");
	if (append_str(&r->text, "", 0))
		return -ENOMEM;
	const cJSON *block;
	cJSON_ArrayForEach(block, content) {
		const char *type = json_str(block, "type");
		if (!type)
			continue;
		if (!strcmp(type, "text")) {
			const char *t = json_str(block, "text");
			if (t && append_str(&r->text, t, strlen(t)))
				return -ENOMEM;
		} else if (!strcmp(type, "thinking")) {
			const char *t = json_str(block, "thinking");
			if (!t)
				continue;
			if (r->reasoning && *r->reasoning && append_str(&r->reasoning, "\n", 1))
				return -ENOMEM;
			if (append_str(&r->reasoning, t, strlen(t)))
				return -ENOMEM;
		}
	}
	return 0;
}

int llm_parse_reply(const char *provider, const char *body, size_t len,
                    struct llm_reply *r, char *detail, size_t dlen)
{
	free(r->text);
	free(r->reasoning);
	r->text = NULL;
	r->reasoning = NULL;
	cJSON *root = cJSON_ParseWithLength(body, len);
	if (!cJSON_IsObject(root)) {
		snprintf(detail, dlen, "not a JSON object");
		cJSON_Delete(root);
		return -EPROTO;
	}
	int rc;
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
	if (err && !cJSON_IsNull(err)) {
		/* server_message wants a string; body need not end in a NUL. */
		char msg[320] = "";
		char *copy = strndup(body, len);
		server_message(copy, msg, sizeof(msg));
		free(copy);
		snprintf(detail, dlen, "error in a 2xx reply: %s", msg);
		rc = -EPROTO;
	} else if (provider && !strcmp(provider, "anthropic")) {
		rc = parse_anthropic(root, r, detail, dlen);
	} else {
		rc = parse_openai(root, r, detail, dlen);
	}
	if (!rc && r->text)
		rc = split_inline_think(r);
	cJSON_Delete(root);
	return rc;
}

/* ---- the retry loop ---- */

/* How one attempt ended. */
enum verdict { V_DONE, V_RETRY, V_FAIL };

/* The errno for a final HTTP error status. */
static int status_errno(long status)
{
	if (status == 401 || status == 403)
		return -EACCES;
	if (status == 404)
		return -ENOENT;
	if (status == 400 || status == 413 || status == 422)
		return -EINVAL;
	if (status == 429)
		return -EAGAIN;
	if (status >= 500)
		return -EIO;
	return -EPROTO;
}

/* Classifies a curl failure: sets *rc, a short reason for wait notes and
 * the error words; returns whether it is worth retrying. */
static enum verdict curl_verdict(CURLcode res, const char *errbuf, const char *url,
                                 double timeout_s, bool too_big, int *rc,
                                 char *why, size_t whylen, char *words, size_t wlen)
{
	const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(res);
	switch (res) {
	case CURLE_OPERATION_TIMEDOUT:
		*rc = -ETIMEDOUT;
		snprintf(why, whylen, "timeout");
		snprintf(words, wlen, "no complete reply from %s within %g s", url, timeout_s);
		return V_RETRY;
	case CURLE_COULDNT_CONNECT:
		*rc = -ECONNREFUSED;
		snprintf(why, whylen, "connection refused");
		snprintf(words, wlen, "cannot connect to %s: %s", url, detail);
		return V_RETRY;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		*rc = -EHOSTUNREACH;
		snprintf(why, whylen, "host not found");
		snprintf(words, wlen, "cannot resolve the host of %s: %s", url, detail);
		return V_RETRY;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		*rc = -EINVAL;
		snprintf(words, wlen, "bad URL %s: %s", url, detail);
		return V_FAIL;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		*rc = -EACCES;
		snprintf(words, wlen, "TLS certificate problem with %s: %s", url, detail);
		return V_FAIL;
	case CURLE_OUT_OF_MEMORY:
		*rc = -ENOMEM;
		snprintf(words, wlen, "out of memory");
		return V_FAIL;
	case CURLE_WRITE_ERROR:
		if (too_big) {
			*rc = -EPROTO;
			snprintf(words, wlen, "reply from %s is larger than %u MiB", url,
				 MAX_REPLY_BYTES >> 20);
			return V_FAIL;
		}
		*rc = -ENOMEM;
		snprintf(words, wlen, "out of memory reading the reply from %s", url);
		return V_FAIL;
	default:
		*rc = -EIO;
		snprintf(why, whylen, "network error");
		snprintf(words, wlen, "network error talking to %s: %s", url, detail);
		return V_RETRY;
	}
}

int llm_complete(struct llm_client *c, const struct llm_request *req,
                 struct llm_reply *reply, const atomic_int *cancel,
                 void (*wait_note)(void *arg, const char *line), void *note_arg)
{
	memset(reply, 0, sizeof(*reply));
	if (!c || !req || !req->model || !req->prompt) {
		set_error(reply, NULL, "incomplete request");
		return -EINVAL;
	}
	const char *spec = req->model->spec ? req->model->spec : req->model->name;
	struct endpoint ep;
	int rc = resolve_endpoint(req->model, &ep, reply);
	if (rc)
		return rc;
	char *body = build_body(req, &ep);
	if (!body) {
		set_error(reply, NULL, "out of memory");
		return -ENOMEM;
	}

	int malformed = 0;
	char words[2048];
	char why[64];
	char errbuf[CURL_ERROR_SIZE];
	rc = -EIO;
	words[0] = '\0';
	for (int attempt = 1; attempt <= c->opts.max_attempts; attempt++) {
		if (cancelled(cancel)) {
			rc = -ECANCELED;
			break;
		}
		rc = slot_take(c, cancel);
		if (rc)
			break;
		struct xfer x = {.retry_after = -1, .cancel = cancel};
		long status = 0;
		CURLcode res = post_once(c, &ep, body, &x, &status, errbuf);
		slot_give(c);
		reply->attempts = attempt;
		reply->http_status = (int)status;

		enum verdict v;
		why[0] = '\0';
		if (res == CURLE_ABORTED_BY_CALLBACK && cancelled(cancel)) {
			sb_release(&x.body);
			rc = -ECANCELED;
			break;
		}
		if (res != CURLE_OK) {
			v = curl_verdict(res, errbuf, ep.url, c->opts.timeout_s, x.too_big, &rc,
					 why, sizeof(why), words, sizeof(words));
		} else if (status >= 200 && status < 300) {
			char detail[512] = "";
			rc = llm_parse_reply(req->model->provider, x.body.buf ? x.body.buf : "",
					     x.body.len, reply, detail, sizeof(detail));
			if (!rc && reply->truncated) {
				rc = -EPROTO;
				snprintf(words, sizeof(words), "the reply from %s was cut off at "
					 "the length limit (%ld tokens)", spec, reply->completion_tokens);
				v = V_FAIL;
			} else if (!rc) {
				v = V_DONE;
			} else if (rc == -ENOMEM) {
				snprintf(words, sizeof(words), "out of memory");
				v = V_FAIL;
			} else {
				snprintf(words, sizeof(words), "malformed reply from %s: %s",
					 spec, detail);
				snprintf(why, sizeof(why), "malformed reply");
				v = ++malformed > MALFORMED_RETRIES ? V_FAIL : V_RETRY;
			}
		} else {
			char msg[320];
			server_message(x.body.buf, msg, sizeof(msg));
			snprintf(words, sizeof(words), "%s: HTTP %ld%s%s", spec, status,
				 msg[0] ? ": " : "", msg);
			rc = status_errno(status);
			bool transient = status == 429 || status == 408 || status == 425 ||
					 status >= 500;
			if (status == 429 && quota_exhausted(x.body.buf))
				transient = false;
			snprintf(why, sizeof(why), "%ld", status);
			v = transient ? V_RETRY : V_FAIL;
		}
		sb_release(&x.body);
		if (v == V_DONE) {
			free(reply->error);
			reply->error = NULL;
			free(body);
			return 0;
		}
		if (v == V_FAIL || attempt == c->opts.max_attempts) {
			if (v == V_RETRY)
				set_error(reply, ep.key, "%s (gave up after %d attempts)", words, attempt);
			else
				set_error(reply, ep.key, "%s", words);
			break;
		}

		double delay;
		if (x.retry_after >= 0) {
			delay = x.retry_after < RETRY_AFTER_CAP_S ? x.retry_after : RETRY_AFTER_CAP_S;
		} else {
			double cap = c->opts.backoff_base_s * pow(2.0, attempt - 1);
			if (cap > BACKOFF_CAP_S)
				cap = BACKOFF_CAP_S;
			delay = cap * jitter_unit(c);
		}
		if (wait_note) {
			char line[512];
			if (delay >= 1.0)
				snprintf(line, sizeof(line), "%s from %s, retrying in %.0f s (attempt %d of %d)",
					 why, spec, delay, attempt + 1, c->opts.max_attempts);
			else
				snprintf(line, sizeof(line), "%s from %s, retrying in %.1f s (attempt %d of %d)",
					 why, spec, delay, attempt + 1, c->opts.max_attempts);
			char *safe = redact(line, ep.key);
			if (safe)
				wait_note(note_arg, safe);
			free(safe);
		}
		rc = sleep_cancellable(delay, cancel);
		if (rc)
			break;
	}
	if (rc == -ECANCELED)
		set_error(reply, ep.key, "request to %s cancelled", spec);
	free(body);
	free(reply->text);
	free(reply->reasoning);
	reply->text = NULL;
	reply->reasoning = NULL;
	if (!reply->error)
		set_error(reply, ep.key, "request to %s failed", spec);
	return rc;
}
