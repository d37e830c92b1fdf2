/*
 * llm.c - the LLM clients declared in llm.h: model strings, the shared
 * client with its bound on requests in flight, one HTTP exchange per
 * attempt (libcurl), the retry policy around it, and what each model
 * refused.
 *
 * The wire formats are providers (llm_provider.h): llm_openai.c,
 * llm_anthropic.c and llm_responses.c build the JSON and read it; this file
 * never looks at which one it drives. A request gets a fresh easy handle
 * driven by a private multi handle, so that the cancel flag is looked at
 * every 50 ms even while a server says nothing (the progress callback alone
 * may only run once a second).
 *
 * Retries: 429 and 5xx answers, timeouts and network errors are retried
 * with exponential backoff and full jitter (a random delay between 0 and
 * base * 2^(n-1), capped at 60 s); a Retry-After from the server replaces
 * that delay. A reply that is not the JSON we expect (malformed) is retried
 * as well, but at most twice, because a server that sends garbage three
 * times in a row is unlikely to stop. A truncated reply is not retried: the
 * same prompt at the same limit would most likely be cut again, and the
 * engine decides what to do. Other 4xx answers fail at once with the
 * server's own message, except one kind: a 400 (or 422) whose error names
 * a parameter we sent that the model refuses (its param, its code, or its
 * message next to words like "unsupported"). Then the request is sent
 * again adapted (the other output-cap parameter, no temperature, no
 * reasoning effort...), the lesson is kept for that model (provider, URL
 * and name) for the client's life and told once through wait_note. Each
 * lesson is learned once, so adapting ends; a second refusal of the same
 * parameter fails with the provider's message.
 *
 * Keys come from OPENAI_API_KEY / ANTHROPIC_API_KEY. Every error text and
 * every wait note passes through redact(), which removes the key's value,
 * anything shaped like an "sk-..." key and any "Bearer ..." credential, so
 * a server that echoes a key back cannot leak it into logs. This file does
 * not decide what to ask or what an answer means (prompt.c, reply.c).
 */
#include "engine/llm/llm.h"
#include "engine/llm/llm_provider.h"

#include "ac_config.h"
#include "engine/util/util.h"

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

#define MAX_REPLY_BYTES (64u << 20) /* a larger reply is refused */
#define MALFORMED_RETRIES 2         /* extra attempts after a malformed reply */
#define BACKOFF_CAP_S 60.0
#define RETRY_AFTER_CAP_S 300.0     /* a longer Retry-After is cut to this */
#define POLL_MS 50                  /* how often waits look at the cancel flag */
#define KERNEL_ROOM_TOKENS 8192       /* a whole kernel after any reasoning */
#define REASONING_CAP_TOKENS 32768     /* the default cap of a reasoning model */

/* What one model refused: enum llm_learned bits, kept for the client's life. */
struct learned {
	char *key;              /* provider, URL and model name */
	unsigned bits;
	struct learned *next;
};

struct llm_client {
	struct llm_client_opts opts;
	pthread_mutex_t lock;
	pthread_cond_t freed;   /* signalled when a request slot frees up */
	int in_flight;
	uint64_t rng;           /* xorshift state for jitter, under lock */
	struct learned *learned; /* under lock */
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
	if (!llm_provider_find(provider)) {
		snprintf(err, errlen, "model \"%s\": unknown provider \"%s\" "
			 "(openai, openai-responses or anthropic)", s, provider);
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
	while (c->learned) {
		struct learned *l = c->learned;
		c->learned = l->next;
		free(l->key);
		free(l);
	}
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
	const struct llm_provider *p;
	char url[1024];
	const char *key;       /* from the environment; NULL when not set */
	bool default_base;     /* the provider's own API (not a local server) */
};

static int resolve_endpoint(const struct llm_model *m, struct endpoint *ep,
                            struct llm_reply *reply)
{
	ep->p = llm_provider_find(m->provider);
	if (!ep->p) {
		set_error(reply, NULL, "unknown provider \"%s\"", m->provider);
		return -EINVAL;
	}
	const char *def = ep->p->default_base;
	const char *env = getenv(ep->p->base_env);
	const char *base = m->base_url;
	if (!base || !*base)
		base = env && *env ? env : def;
	char b[900];
	snprintf(b, sizeof(b), "%s", base);
	size_t bl = strlen(b);
	while (bl > 0 && b[bl - 1] == '/')
		b[--bl] = '\0';
	ep->default_base = !strcmp(b, def);
	ep->p->url(b, ep->url, sizeof(ep->url));
	const char *kname = ep->p->key_env;
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

bool llm_reasoning_model(const char *name)
{
	const char *slash = strrchr(name, '/');
	const char *n = slash ? slash + 1 : name;
	return (n[0] == 'o' && isdigit((unsigned char)n[1])) || !strncmp(n, "gpt-5", 5);
}

bool llm_model_reasons(const struct llm_model *m)
{
	return m && m->name && llm_reasoning_model(m->name);
}

int llm_default_cap(const struct llm_request *req)
{
	if (req->max_tokens > 0)
		return req->max_tokens;
	/* each setting counts only where its provider sends it */
	const struct llm_provider *p = req->model ? llm_provider_find(req->model->provider) : NULL;
	if (!p)
		p = &llm_openai;
	if (p->thinking && req->thinking_budget > 0)
		return req->thinking_budget + KERNEL_ROOM_TOKENS;
	if (p->effort && ((req->reasoning_effort && strcmp(req->reasoning_effort, "none")) ||
			  llm_model_reasons(req->model)))
		return REASONING_CAP_TOKENS;
	return KERNEL_ROOM_TOKENS;
}

/* ---- what models refused ---- */

static void learned_key(const struct endpoint *ep, const struct llm_model *m, char *key,
                        size_t len)
{
	snprintf(key, len, "%s %s %s", ep->p->name, ep->url, m->name);
}

static unsigned learned_get(struct llm_client *c, const char *key)
{
	unsigned bits = 0;
	pthread_mutex_lock(&c->lock);
	for (struct learned *l = c->learned; l; l = l->next)
		if (!strcmp(l->key, key))
			bits = l->bits;
	pthread_mutex_unlock(&c->lock);
	return bits;
}

/* Adds bit for key; true when this call is the one that learned it (and
 * so the one to tell). */
static bool learned_add(struct llm_client *c, const char *key, unsigned bit)
{
	bool news = true;
	pthread_mutex_lock(&c->lock);
	struct learned *l = c->learned;
	while (l && strcmp(l->key, key))
		l = l->next;
	if (!l) {
		l = calloc(1, sizeof(*l));
		if (l)
			l->key = strdup(key);
		if (l && l->key) {
			l->next = c->learned;
			c->learned = l;
		} else if (l) {
			free(l);
			l = NULL;
		}
	}
	if (l) {
		news = !(l->bits & bit);
		l->bits |= bit;
	}
	pthread_mutex_unlock(&c->lock);
	return news;
}

/* Whether the JSON body has the member at path ("reasoning.effort"). */
static bool body_has(const cJSON *root, const char *path)
{
	char part[64];
	const cJSON *node = root;
	while (*path && node) {
		size_t n = strcspn(path, ".");
		snprintf(part, sizeof(part), "%.*s", (int)n, path);
		node = cJSON_GetObjectItemCaseSensitive(node, part);
		path += n;
		if (*path == '.')
			path++;
	}
	return node != NULL;
}

/* Whether text holds word (case-insensitive) not inside a longer name. */
static bool names(const char *text, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = strcasestr(text, word); p; p = strcasestr(p + 1, word)) {
		bool before = p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
		bool after = !(isalnum((unsigned char)p[n]) || p[n] == '_');
		if (before && after)
			return true;
	}
	return false;
}

/* Words with which servers say a parameter or value is not taken. */
static bool says_refused(const char *text)
{
	static const char *const words[] = {
		"unsupported", "not supported", "does not support", "unrecognized",
		"unknown", "not permitted", "extra_forbidden", "extra inputs",
		"not allowed", "only the default", "unexpected", "not available",
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(text, words[i]))
			return true;
	return false;
}

/* The parameter of the provider that a 400's error body refuses, among
 * those the request body sent and not learned yet; NULL when none. */
static const struct llm_param *refused_param(const struct llm_provider *p, const char *err_body,
                                             const char *req_body, unsigned learned)
{
	cJSON *err = err_body ? cJSON_Parse(err_body) : NULL;
	cJSON *sent = cJSON_Parse(req_body);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(err, "error");
	if (!cJSON_IsObject(e))
		e = err;
	const char *param = llm_json_str(e, "param");
	const char *code = llm_json_str(e, "code");
	const char *msg = llm_json_str(e, "message");
	if (!msg && cJSON_IsString(e))
		msg = e->valuestring;
	if (!msg)
		msg = err_body ? err_body : "";
	bool refusal = (code && (strstr(code, "unsupported") || strstr(code, "unknown"))) ||
		       says_refused(msg);
	const struct llm_param *found = NULL;
	for (const struct llm_param *q = p->params; q->name && !found; q++) {
		if ((learned & q->learn) || !body_has(sent, q->name))
			continue;
		if (param && !strcmp(param, q->name))
			found = q;
		else if (refusal && names(msg, q->name))
			found = q;
	}
	cJSON_Delete(err);
	cJSON_Delete(sent);
	return found;
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
	if (ep->p->version_header)
		headers[nh++] = ep->p->version_header;
	if (ep->key) {
		ep->p->auth(ep->key, auth, sizeof(auth));
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

/* ---- building requests ---- */

cJSON *llm_body_start(const struct llm_wire *w)
{
	cJSON *root = cJSON_CreateObject();
	if (root && !cJSON_AddStringToObject(root, "model", w->req->model->name)) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

char *llm_body_end(cJSON *root, bool ok)
{
	char *body = ok && root ? cJSON_PrintUnformatted(root) : NULL;
	cJSON_Delete(root);
	return body;
}

bool llm_add_message(cJSON *msgs, const char *role, const char *content)
{
	cJSON *m = cJSON_CreateObject();
	if (!m)
		return false;
	if (!cJSON_AddItemToArray(msgs, m)) {
		cJSON_Delete(m);
		return false;
	}
	return cJSON_AddStringToObject(m, "role", role) &&
	       cJSON_AddStringToObject(m, "content", content);
}

bool llm_add_temperature(cJSON *root, const struct llm_wire *w)
{
	if ((w->learned & LLM_NO_TEMPERATURE) || llm_reasoning_model(w->req->model->name))
		return true;
	return cJSON_AddNumberToObject(root, "temperature", w->req->temperature) != NULL;
}

void llm_bearer_auth(const char *key, char *line, size_t len)
{
	snprintf(line, len, "Authorization: Bearer %s", key);
}

/* ---- reading replies ---- */

const char *llm_json_str(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The server's number is clamped to 0..1e15 first: converting a double
 * out of long's range is undefined behaviour, and a negative count would
 * hand the kernel's token budget back. */
long llm_json_long(const cJSON *obj, const char *name)
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
			msg = llm_json_str(err, "message");
		else if (cJSON_IsString(err))
			msg = err->valuestring;
		if (!msg)
			msg = llm_json_str(root, "message");
		if (!msg)
			msg = llm_json_str(root, "detail");
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

int llm_append(char **dst, const char *s, size_t len)
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
	if (r->reasoning && *r->reasoning && llm_append(&r->reasoning, "\n", 1))
		return -ENOMEM;
	if (llm_append(&r->reasoning, from, (size_t)(close - from)))
		return -ENOMEM;
	const char *rest = close + strlen("</think>");
	while (isspace((unsigned char)*rest))
		rest++;
	memmove(t, rest, strlen(rest) + 1);
	return 0;
}

int llm_add_reasoning(struct llm_reply *r, const char *t)
{
	if (r->reasoning && *r->reasoning && llm_append(&r->reasoning, "\n", 1))
		return -ENOMEM;
	return llm_append(&r->reasoning, t, strlen(t));
}

const struct llm_provider *llm_provider_find(const char *name)
{
	static const struct llm_provider *const all[] = {&llm_openai, &llm_responses,
							 &llm_anthropic};
	for (size_t i = 0; name && i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcmp(all[i]->name, name))
			return all[i];
	return NULL;
}

int llm_parse_reply(const char *provider, const char *body, size_t len,
                    struct llm_reply *r, char *detail, size_t dlen)
{
	free(r->text);
	free(r->reasoning);
	r->text = NULL;
	r->reasoning = NULL;
	r->reasoning_tokens = 0;
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
	} else {
		const struct llm_provider *p = llm_provider_find(provider);
		rc = (p ? p : &llm_openai)->parse(root, r, detail, dlen);
	}
	if (!rc && r->text)
		rc = split_inline_think(r);
	/* Not every API counts reasoning apart: about four bytes a token. */
	if (!rc && !r->reasoning_tokens && r->reasoning && *r->reasoning) {
		long est = (long)((strlen(r->reasoning) + 3) / 4);
		if (r->completion_tokens > 0 && est > r->completion_tokens)
			est = r->completion_tokens;
		r->reasoning_tokens = est;
	}
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

/* Tells wait_note a line, made safe. */
static void tell(void (*wait_note)(void *, const char *), void *arg, const char *key,
                 const char *line)
{
	if (!wait_note)
		return;
	char *safe = redact(line, key);
	if (safe)
		wait_note(arg, safe);
	free(safe);
}

/* The words for a reply cut off at the cap: which setting to raise. */
static void truncated_words(const struct llm_request *req, const struct llm_reply *reply,
                            const char *spec, char *words, size_t wlen)
{
	char used[128] = "";
	if (reply->reasoning_tokens > 0)
		snprintf(used, sizeof(used), ", %ld of them reasoning", reply->reasoning_tokens);
	const char *also = "";
	if (reply->reasoning_tokens * 2 > reply->completion_tokens) {
		if (req->thinking_budget > 0)
			also = ", or lower \"thinking_budget\"";
		else if (req->reasoning_effort)
			also = ", or lower \"reasoning_effort\"";
	}
	snprintf(words, wlen, "the reply from %s was cut off at the output cap of %d tokens "
		 "(%ld tokens written%s): raise \"max_output_tokens\" in config.json%s",
		 spec, reply->output_cap, reply->completion_tokens, used, also);
}

/* What a 2xx reply in body means: V_DONE with reply filled, V_RETRY for
 * a malformed one (up to MALFORMED_RETRIES, counted in *malformed), else
 * V_FAIL; *rc, why and words say what went wrong. */
static enum verdict reply_verdict(const struct llm_request *req, const struct strbuf *body,
				  const char *spec, struct llm_reply *reply, int *rc,
				  int *malformed, char *why, size_t whylen, char *words,
				  size_t wlen)
{
	char detail[512] = "";
	*rc = llm_parse_reply(req->model->provider, body->buf ? body->buf : "", body->len, reply,
			      detail, sizeof(detail));
	if (!*rc && reply->truncated) {
		*rc = -EPROTO;
		truncated_words(req, reply, spec, words, wlen);
		return V_FAIL;
	}
	if (!*rc)
		return V_DONE;
	if (*rc == -ENOMEM) {
		snprintf(words, wlen, "out of memory");
		return V_FAIL;
	}
	snprintf(words, wlen, "malformed reply from %s: %s", spec, detail);
	snprintf(why, whylen, "malformed reply");
	return ++*malformed > MALFORMED_RETRIES ? V_FAIL : V_RETRY;
}

/* Seconds to wait before attempt + 1: what the server asked for
 * (Retry-After, capped), else exponential backoff with jitter. */
static double retry_delay(struct llm_client *c, double retry_after, int attempt)
{
	if (retry_after >= 0)
		return retry_after < RETRY_AFTER_CAP_S ? retry_after : RETRY_AFTER_CAP_S;
	double cap = c->opts.backoff_base_s * pow(2.0, attempt - 1);
	if (cap > BACKOFF_CAP_S)
		cap = BACKOFF_CAP_S;
	return cap * jitter_unit(c);
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
	char lkey[1400];
	learned_key(&ep, req->model, lkey, sizeof(lkey));
	struct llm_wire wire = {
		.req = req,
		.official = ep.default_base,
		.learned = learned_get(c, lkey),
		.cap = llm_default_cap(req),
	};
	reply->output_cap = wire.cap;
	char *body = ep.p->build(&wire);
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
	int sent = 0;
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
		reply->attempts = ++sent;
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
			v = reply_verdict(req, &x.body, spec, reply, &rc, &malformed, why,
					  sizeof(why), words, sizeof(words));
		} else {
			char msg[320];
			char http[400];
			server_message(x.body.buf, msg, sizeof(msg));
			snprintf(http, sizeof(http), "HTTP %ld%s%s", status, msg[0] ? ": " : "", msg);
			snprintf(words, sizeof(words), "%s: %s", spec, http);
			rc = status_errno(status);
			const struct llm_param *refused = NULL;
			if (status == 400 || status == 422)
				refused = refused_param(ep.p, x.body.buf, body, wire.learned);
			if (refused) {
				/* the model refuses a parameter: ask again without it,
				 * at once, and remember it for this model */
				wire.learned |= refused->learn;
				char *nbody = ep.p->build(&wire);
				if (nbody) {
					if (learned_add(c, lkey, refused->learn)) {
						char line[800];
						snprintf(line, sizeof(line), "%s refuses %s (%s): %s from "
							 "now on", spec, refused->name, http,
							 refused->instead);
						tell(wait_note, note_arg, ep.key, line);
					}
					free(body);
					body = nbody;
					sb_release(&x.body);
					attempt--;
					continue;
				}
			}
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
				set_error(reply, ep.key, "%s (gave up after %d attempts)", words, sent);
			else
				set_error(reply, ep.key, "%s", words);
			break;
		}

		double delay = retry_delay(c, x.retry_after, attempt);
		char line[512];
		if (delay >= 1.0)
			snprintf(line, sizeof(line), "%s from %s, retrying in %.0f s (attempt %d of %d)",
				 why, spec, delay, attempt + 1, c->opts.max_attempts);
		else
			snprintf(line, sizeof(line), "%s from %s, retrying in %.1f s (attempt %d of %d)",
				 why, spec, delay, attempt + 1, c->opts.max_attempts);
		tell(wait_note, note_arg, ep.key, line);
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
