/*
 * render.c - turns store rows into the text of the generated files.
 *
 * Cached per kernel and invalidated by the engine's kernel version: the
 * candidate index of the latest run is loaded once per change, the rendered
 * blobs (status, metrics.json, best, schedule, progress.svg, index.html)
 * on first use after it. Every count and figure in them comes from
 * engine/core/figures.h over the same cached rows. The log is kept as text and extended with the lines added since
 * last time.
 *
 * Rendering never blocks on the engine: it reads through the engine's
 * view calls (engine.h), each on the calling thread's own reader
 * connection (WAL: no waiting on writers).
 */
#include "fs/render.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/config.h"
#include "engine/util/util.h"
#include "engine/core/figures.h"
#include "fs/html.h"
#include "fs/svg.h"

struct kcache {
	int64_t kid;
	uint64_t version;
	bool loaded;
	bool have_run;
	struct engine_run_view latest;  /* empty unless have_run */
	struct blob *status;
	struct blob *metrics;
	struct blob *best;
	struct blob *schedule;
	struct blob *progress;       /* progress.svg */
	struct blob *index;          /* index.html */
	char ext[32];
	/* the log, kept across versions: it only grows */
	struct strbuf log;
	int64_t log_last_id;
	int64_t log_mtime_ns;
	uint64_t log_version;
	bool log_loaded;
};

struct view {
	struct engine *e;
	int64_t mount_ns;       /* mtime of what has no time of its own yet */
	pthread_mutex_t lock;
	struct kcache **k;
	int n;
	/* /index.html, cached by the engine's version */
	struct blob *root_index;
	uint64_t root_index_ver;
};

struct blob *blob_new(const void *data, size_t len, int64_t mtime_ns)
{
	struct blob *b = malloc(sizeof(*b) + len + 1);
	if (!b)
		return NULL;
	atomic_store(&b->refs, 1);
	b->mtime_ns = mtime_ns;
	b->len = len;
	if (len)
		memcpy(b->data, data, len);
	b->data[len] = '\0';
	return b;
}

struct blob *blob_get(struct blob *b)
{
	if (b)
		atomic_fetch_add(&b->refs, 1);
	return b;
}

void blob_put(struct blob *b)
{
	if (b && atomic_fetch_sub(&b->refs, 1) == 1)
		free(b);
}

static struct blob *blob_sb(struct strbuf *sb, int64_t mtime_ns)
{
	struct blob *b = blob_new(sb->buf ? sb->buf : "", sb->len, mtime_ns);
	sb_release(sb);
	return b;
}

struct view *view_new(struct engine *e)
{
	struct view *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->e = e;
	v->mount_ns = now_ns();
	pthread_mutex_init(&v->lock, NULL);
	return v;
}

static void kc_drop(struct kcache *kc)
{
	blob_put(kc->status);
	blob_put(kc->metrics);
	blob_put(kc->best);
	blob_put(kc->schedule);
	blob_put(kc->progress);
	blob_put(kc->index);
	kc->status = kc->metrics = kc->best = kc->schedule = kc->progress = kc->index = NULL;
	engine_run_view_clear(&kc->latest);
	kc->have_run = false;
	kc->loaded = false;
}

void view_free(struct view *v)
{
	if (!v)
		return;
	for (int i = 0; i < v->n; i++) {
		kc_drop(v->k[i]);
		sb_release(&v->k[i]->log);
		free(v->k[i]);
	}
	free(v->k);
	blob_put(v->root_index);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

void view_drop(struct view *v, int64_t kid)
{
	pthread_mutex_lock(&v->lock);
	for (int i = 0; i < v->n; i++) {
		if (v->k[i]->kid != kid)
			continue;
		kc_drop(v->k[i]);
		sb_release(&v->k[i]->log);
		free(v->k[i]);
		v->k[i] = v->k[--v->n];
		break;
	}
	pthread_mutex_unlock(&v->lock);
}

static struct kcache *kc_find(struct view *v, int64_t kid)
{
	for (int i = 0; i < v->n; i++)
		if (v->k[i]->kid == kid)
			return v->k[i];
	struct kcache *kc = calloc(1, sizeof(*kc));
	struct kcache **p = realloc(v->k, (size_t)(v->n + 1) * sizeof(*p));
	if (!kc || !p) {
		free(kc);
		if (p)
			v->k = p;
		return NULL;
	}
	v->k = p;
	kc->kid = kid;
	v->k[v->n++] = kc;
	return kc;
}

static const char *ext_of(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot ? dot + 1 : "";
}

/* Brings kc up to the kernel's current version. Called with v->lock held. */
static void kc_refresh(struct view *v, struct kcache *kc)
{
	assert_held(&v->lock);
	uint64_t ver = engine_kernel_version(v->e, kc->kid);
	if (kc->loaded && kc->version == ver)
		return;
	kc_drop(kc);
	kc->version = ver;
	if (engine_run_view(v->e, kc->kid, &kc->latest) == 0) {
		kc->have_run = true;
		snprintf(kc->ext, sizeof(kc->ext), "%s", ext_of(kc->latest.run.input_name));
	} else {
		char input[256];
		engine_input_name(v->e, kc->kid, input, sizeof(input));
		snprintf(kc->ext, sizeof(kc->ext), "%s", ext_of(input));
	}
	kc->loaded = true;
}

static void log_line(void *arg, int64_t id, int64_t ts, const char *line)
{
	struct kcache *kc = arg;
	char t[64];
	sb_addf(&kc->log, "%s %s\n", fmt_time(ts, t, sizeof(t)), line);
	kc->log_last_id = id;
	kc->log_mtime_ns = ts;
}

static void kc_log_refresh(struct view *v, struct kcache *kc)
{
	/* both only grow: their sum moves whenever either does */
	uint64_t ver = engine_kernel_version(v->e, kc->kid) +
	               engine_kernel_log_version(v->e, kc->kid);
	if (kc->log_loaded && kc->log_version == ver)
		return;
	kc->log_version = ver;
	if (!kc->log_loaded) {
		struct kernel_row k;
		if (engine_kernel_get(v->e, kc->kid, &k) == 0)
			kc->log_mtime_ns = k.created_ns;
		kernel_row_clear(&k);
	}
	engine_log_since(v->e, kc->kid, kc->log_last_id, log_line, kc);
	kc->log_loaded = true;
}

void view_input_ext(struct view *v, int64_t kid, char *ext, size_t len)
{
	pthread_mutex_lock(&v->lock);
	struct kcache *kc = kc_find(v, kid);
	if (kc)
		kc_refresh(v, kc);
	snprintf(ext, len, "%s", kc ? kc->ext : "c");
	pthread_mutex_unlock(&v->lock);
}

int view_cand_list(struct view *v, int64_t kid, struct view_cand **out, int *n)
{
	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&v->lock);
	struct kcache *kc = kc_find(v, kid);
	int rc = kc ? 0 : -ENOMEM;
	if (kc) {
		kc_refresh(v, kc);
		*out = calloc((size_t)kc->latest.ncands + 1, sizeof(**out));
		if (!*out)
			rc = -ENOMEM;
		for (int i = 0; *out && i < kc->latest.ncands; i++) {
			(*out)[i].num = kc->latest.cands[i].num;
			(*out)[i].source_len = kc->latest.cands[i].source_len;
			(*out)[i].log_len = kc->latest.cands[i].log_len;
			(*out)[i].created_ns = kc->latest.cands[i].created_ns;
			(*out)[i].evaluated_ns = kc->latest.cands[i].evaluated_ns;
			(*out)[i].retime_ns = kc->latest.cands[i].retime_ns;
		}
		if (*out)
			*n = kc->latest.ncands;
	}
	pthread_mutex_unlock(&v->lock);
	return rc;
}

int view_log_stat(struct view *v, int64_t kid, size_t *len, int64_t *mtime_ns)
{
	pthread_mutex_lock(&v->lock);
	struct kcache *kc = kc_find(v, kid);
	if (kc) {
		kc_log_refresh(v, kc);
		*len = kc->log.len;
		*mtime_ns = kc->log_mtime_ns;
	}
	pthread_mutex_unlock(&v->lock);
	return kc ? 0 : -ENOMEM;
}

size_t view_log_read(struct view *v, int64_t kid, char *buf, size_t size, size_t off)
{
	size_t n = 0;
	pthread_mutex_lock(&v->lock);
	struct kcache *kc = kc_find(v, kid);
	if (kc) {
		kc_log_refresh(v, kc);
		if (off < kc->log.len) {
			n = kc->log.len - off;
			if (n > size)
				n = size;
			memcpy(buf, kc->log.buf + off, n);
		}
	}
	pthread_mutex_unlock(&v->lock);
	return n;
}

static const struct cand_row *cand_at(const struct kcache *kc, int64_t num)
{
	/* candidates are listed by number and numbered densely from 0 */
	if (num >= 0 && num < kc->latest.ncands && kc->latest.cands[num].num == num)
		return &kc->latest.cands[num];
	for (int i = 0; i < kc->latest.ncands; i++)
		if (kc->latest.cands[i].num == num)
			return &kc->latest.cands[i];
	return NULL;
}

/* The one figure (cand_speedup) status, metrics.json, plans and the
 * charts all show. */
static double speedup_of(const struct kcache *kc, const struct cand_row *c)
{
	return cand_speedup(cand_at(kc, 0), c);
}

static struct blob *render_status(struct view *v, struct kcache *kc)
{
	struct kernel_row k;
	if (engine_kernel_get(v->e, kc->kid, &k))
		return NULL;
	struct strbuf sb = {0};
	sb_addf(&sb, "%s\n", k.status[0] ? k.status : run_state_name(k.state));
	struct blob *b = blob_sb(&sb, k.status_ns);
	kernel_row_clear(&k);
	return b;
}

static void json_num_or_null(cJSON *o, const char *key, double x, bool ok)
{
	if (ok)
		cJSON_AddNumberToObject(o, key, x);
	else
		cJSON_AddNullToObject(o, key);
}

/* "verdict": how it was reached, as the engine stored it (an object); an
 * unreadable or empty one is left out. */
static void add_verdict(cJSON *o, const char *json)
{
	cJSON *v = json && json[0] ? cJSON_Parse(json) : NULL;

	if (cJSON_IsObject(v))
		cJSON_AddItemToObject(o, "verdict", v);
	else
		cJSON_Delete(v);
}

/* The run's tokens as metrics.json and the pages say them: what the run
 * recorded, or what its candidates add up to when that is more. */
static long kc_tokens(const struct kcache *kc)
{
	struct cand_tally t;
	cand_tally(kc->latest.cands, kc->latest.ncands, &t);
	long sum = t.tokens;
	for (int i = 0; i < kc->latest.ncands; i++)
		if (kc->latest.cands[i].num == 0)
			sum += kc->latest.cands[i].tokens;
	return kc->have_run && kc->latest.run.tokens > sum ? kc->latest.run.tokens : sum;
}

static void json_str_or_null(cJSON *o, const char *key, const char *s)
{
	if (s && s[0])
		cJSON_AddStringToObject(o, key, s);
	else
		cJSON_AddNullToObject(o, key);
}

/* metrics.json's object for candidate c (in_ok: the input's time is known). */
static cJSON *metrics_candidate(struct kcache *kc, const struct cand_row *c, bool in_ok)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)c->num);
	json_num_or_null(o, "parent", (double)c->parent, c->parent >= 0);
	json_num_or_null(o, "parent2", (double)c->parent2, c->parent2 > 0);
	json_num_or_null(o, "same_as", (double)c->same_as, cand_is_duplicate(c));
	cJSON_AddNumberToObject(o, "iteration", c->iteration);
	cJSON_AddStringToObject(o, "origin", cand_origin_name(c->origin));
	cJSON_AddStringToObject(o, "plan", c->plan);
	cJSON_AddStringToObject(o, "option", c->option);
	cJSON_AddStringToObject(o, "model", c->model);
	cJSON_AddStringToObject(o, "outcome", ac_outcome_name(c->outcome));
	bool ok = c->outcome == AC_OK;
	json_num_or_null(o, "time_ns", (double)c->time_ns, ok);
	json_num_or_null(o, "retime_ns", (double)c->retime_ns, ok && c->retime_ns > 0);
	json_num_or_null(o, "speedup", speedup_of(kc, c), ok && in_ok);
	add_verdict(o, c->verdict);
	cJSON_AddNumberToObject(o, "samples", c->samples);
	cJSON_AddNumberToObject(o, "spread", c->spread);
	cJSON_AddStringToObject(o, "message", c->message);
	cJSON_AddNumberToObject(o, "tokens", (double)c->tokens);
	cJSON_AddNumberToObject(o, "reasoning_tokens", (double)c->reasoning_tokens);
	/* the last iteration whose beam kept it (null: never), and whether
	 * that is the beam of the run's latest finished iteration */
	json_num_or_null(o, "beam_iteration", c->beam_iteration, c->beam_iteration > 0);
	cJSON_AddBoolToObject(o, "in_last_beam", kc->have_run && c->beam_iteration > 0 &&
	                                         c->beam_iteration == kc->latest.run.iteration);
	cJSON *fig = c->metrics && c->metrics[0] ? cJSON_Parse(c->metrics) : NULL;
	cJSON_AddItemToObject(o, "metrics", fig ? fig : cJSON_CreateObject());
	/* where the timed run happened: a Slurm job and node, null when local */
	json_str_or_null(o, "job", c->job);
	json_str_or_null(o, "node", c->node);
	return o;
}

/* metrics.json's "run": the latest run's figures, counts and costs, the
 * same as every view shows (figures.h). in is its input's row (or NULL);
 * builds and runs saved by duplicates as counted over its candidates. */
static cJSON *metrics_run(struct kcache *kc, const struct cand_row *in, int builds_saved,
                          int runs_saved)
{
	bool in_ok = in && in->outcome == AC_OK;
	cJSON *run = cJSON_CreateObject();
	cJSON_AddNumberToObject(run, "id", (double)kc->latest.run.id);
	cJSON_AddStringToObject(run, "state", run_state_name(kc->latest.run.state));
	cJSON_AddStringToObject(run, "target", kc->latest.run.target);
	cJSON_AddStringToObject(run, "input", kc->latest.run.input_name);
	const struct cand_row *b = kc->latest.run.best >= 0 ? cand_at(kc, kc->latest.run.best) : NULL;
	/* the figures and counts of figures.h, as every view shows them */
	int64_t in_t = 0, b_t = 0;
	bool figs = cand_figures(in, b, &in_t, &b_t);
	if (!figs && in_ok)
		in_t = cand_time(in);
	json_num_or_null(run, "input_time_ns", (double)in_t, in_t > 0);
	json_num_or_null(run, "best", b ? (double)b->num : 0, b != NULL);
	json_num_or_null(run, "best_time_ns", b ? (double)cand_time(b) : 0, b && cand_time(b));
	json_num_or_null(run, "speedup", b ? speedup_of(kc, b) : 0, figs);
	double lo, hi;
	if (figs && cand_speedup_interval(b, &lo, &hi)) {
		cJSON *iv = cJSON_CreateArray();
		cJSON_AddItemToArray(iv, cJSON_CreateNumber(lo));
		cJSON_AddItemToArray(iv, cJSON_CreateNumber(hi));
		cJSON_AddItemToObject(run, "speedup_95", iv);
	} else {
		cJSON_AddNullToObject(run, "speedup_95");
	}
	add_verdict(run, kc->latest.run.verdict);
	cJSON_AddNumberToObject(run, "iteration", kc->latest.run.iteration);
	struct cand_tally t;
	cand_tally(kc->latest.cands, kc->latest.ncands, &t);
	cJSON_AddNumberToObject(run, "candidates", t.candidates);
	cJSON_AddNumberToObject(run, "evaluated", t.evaluated);
	/* a count per outcome, pending last */
	for (int i = 1; i <= AC_OUTCOMES; i++)
		cJSON_AddNumberToObject(run, ac_outcome_name(i % AC_OUTCOMES),
		                        t.outcome[i % AC_OUTCOMES]);
	cJSON_AddNumberToObject(run, "tokens", (double)kc_tokens(kc));
	cJSON_AddNumberToObject(run, "reasoning_tokens", (double)kc->latest.reasoning);
	cJSON_AddNumberToObject(run, "llm_calls", (double)kc->latest.calls);
	cJSON_AddNumberToObject(run, "llm_wall_s", kc->latest.call_wall_ns / 1e9);
	cJSON_AddNumberToObject(run, "cost", kc->latest.cost);
	struct ac_config cfg;
	char err[300];
	const char *text = kc->latest.run.config;
	if (config_parse(text, strlen(text), &cfg, err, sizeof(err)) == 0)
		json_num_or_null(run, "max_cost", cfg.max_cost, cfg.max_cost > 0);
	config_clear(&cfg);
	cJSON_AddNumberToObject(run, "duplicates", t.duplicates);
	cJSON_AddNumberToObject(run, "builds_saved", builds_saved);
	cJSON_AddNumberToObject(run, "timed_runs_saved", runs_saved);
	int64_t end = kc->latest.run.finished_ns ? kc->latest.run.finished_ns : now_ns();
	cJSON_AddNumberToObject(run, "wall_s", (end - kc->latest.run.created_ns) / 1e9);
	return run;
}

static struct blob *render_metrics(struct view *v, struct kcache *kc)
{
	cJSON *root = cJSON_CreateObject();
	struct kernel_row k;
	int64_t mtime = 0;
	if (engine_kernel_get(v->e, kc->kid, &k) == 0) {
		cJSON_AddStringToObject(root, "kernel", k.name);
		cJSON_AddStringToObject(root, "state", run_state_name(k.state));
		cJSON_AddStringToObject(root, "status", k.status);
		mtime = k.created_ns;
	}
	kernel_row_clear(&k);
	const struct cand_row *in = kc->have_run ? cand_at(kc, 0) : NULL;
	bool in_ok = in && in->outcome == AC_OK;
	int builds_saved = 0, runs_saved = 0;
	cJSON *arr = cJSON_CreateArray();
	for (int i = 0; i < kc->latest.ncands; i++) {
		const struct cand_row *c = &kc->latest.cands[i];
		cJSON_AddItemToArray(arr, metrics_candidate(kc, c, in_ok));
		if (cand_is_duplicate(c)) {
			/* a duplicate was neither built nor timed; its original was
			 * timed only if it built */
			builds_saved++;
			runs_saved += c->outcome != AC_BUILD_ERROR;
		}
		if (c->evaluated_ns > mtime)
			mtime = c->evaluated_ns;
		if (c->created_ns > mtime)
			mtime = c->created_ns;
	}
	if (kc->have_run) {
		cJSON *run = metrics_run(kc, in, builds_saved, runs_saved);
		cJSON_AddItemToObject(root, "run", run);
		if (kc->latest.run.created_ns > mtime)
			mtime = kc->latest.run.created_ns;
	}
	cJSON_AddItemToObject(root, "candidates", arr);
	char *text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text)
		return NULL;
	struct strbuf sb = {0};
	sb_adds(&sb, text);
	sb_adds(&sb, "\n");
	free(text);
	return blob_sb(&sb, mtime);
}

static struct blob *render_best(struct view *v, struct kcache *kc)
{
	if (kc->have_run && kc->latest.run.best >= 0) {
		struct cand_row c;
		if (engine_cand_get(v->e, kc->latest.run.id, kc->latest.run.best, &c))
			return NULL;
		struct blob *b = blob_new(c.source, strlen(c.source), kc->latest.run.best_ns);
		cand_row_clear(&c);
		return b;
	}
	if (kc->have_run)
		return blob_new(kc->latest.run.input, strlen(kc->latest.run.input),
		                kc->latest.run.created_ns);
	/* no run yet: the input as it stands */
	struct file_row f;
	char name[64];
	snprintf(name, sizeof(name), "input.%s", kc->ext);
	if (engine_file_get(v->e, kc->kid, name, true, &f))
		return NULL;
	struct blob *b = blob_new(f.data, f.size, f.mtime_ns);
	file_row_clear(&f);
	return b;
}

static struct blob *render_schedule(struct view *v, struct kcache *kc)
{
	struct strbuf sb = {0};
	if (!kc->have_run || kc->latest.run.best < 0) {
		int64_t t = v->mount_ns;
		struct kernel_row k;
		if (kc->have_run)
			t = kc->latest.run.created_ns;
		else if (engine_kernel_get(v->e, kc->kid, &k) == 0)
			t = k.created_ns;
		if (!kc->have_run)
			kernel_row_clear(&k);
		sb_adds(&sb, "");
		return blob_sb(&sb, t);
	}
	/* walk best → input, then print input → best */
	int64_t chain[4096];
	int n = 0;
	for (int64_t num = kc->latest.run.best; num >= 0 && n < 4096;) {
		const struct cand_row *c = cand_at(kc, num);
		if (!c)
			break;
		chain[n++] = num;
		num = c->parent;
	}
	for (int i = n - 1; i >= 0; i--) {
		const struct cand_row *c = cand_at(kc, chain[i]);
		char plan[200];
		text_first_line(c->plan, plan, sizeof(plan));
		char d[32];
		fmt_duration(cand_time(c), d, sizeof(d));
		if (c->num == 0)
			sb_addf(&sb, "#0 input: %s\n", d);
		else
			sb_addf(&sb, "#%lld iteration %d: %s%s%s%s -> %s (%.2fx)\n", (long long)c->num,
			        c->iteration, plan, c->option[0] ? " [" : "", c->option,
			        c->option[0] ? "]" : "", d, speedup_of(kc, c));
	}
	return blob_sb(&sb, kc->latest.run.best_ns);
}

/* The newest time in the cached rows: when progress.svg last changed. */
static int64_t kc_mtime(const struct kcache *kc, int64_t fallback)
{
	int64_t t = kc->have_run ? kc->latest.run.created_ns : fallback;
	for (int i = 0; i < kc->latest.ncands; i++) {
		if (kc->latest.cands[i].evaluated_ns > t)
			t = kc->latest.cands[i].evaluated_ns;
		if (kc->latest.cands[i].created_ns > t)
			t = kc->latest.cands[i].created_ns;
	}
	return t;
}

static struct blob *render_progress(struct view *v, struct kcache *kc)
{
	struct kernel_row k;
	if (engine_kernel_get(v->e, kc->kid, &k))
		return NULL;
	struct svg_kernel sk = {k.name, kc->latest.cands, kc->latest.ncands,
	                        kc->have_run ? kc->latest.run.best : -1};
	struct strbuf sb = {0};
	struct blob *b = NULL;
	if (svg_progress(&sb, &sk) == 0)
		b = blob_sb(&sb, kc_mtime(kc, k.created_ns));
	sb_release(&sb);
	kernel_row_clear(&k);
	return b;
}

int view_root_progress(struct view *v, struct blob **out)
{
	*out = NULL;
	struct kernel_row *rows = NULL;
	int n = 0;
	int rc = engine_kernel_list(v->e, &rows, &n);
	if (rc)
		return rc;
	struct svg_kernel *ks = calloc((size_t)n + 1, sizeof(*ks));
	if (!ks) {
		kernel_rows_free(rows, n);
		return -ENOMEM;
	}
	int64_t mtime = v->mount_ns;
	pthread_mutex_lock(&v->lock);
	int m = 0;
	for (int i = 0; i < n; i++) {
		struct kcache *kc = kc_find(v, rows[i].id);
		if (!kc)
			continue;
		kc_refresh(v, kc);
		ks[m++] = (struct svg_kernel){rows[i].name, kc->latest.cands, kc->latest.ncands,
		                              kc->have_run ? kc->latest.run.best : -1, rows[i].state};
		int64_t t = kc_mtime(kc, rows[i].created_ns);
		if (t > mtime)
			mtime = t;
	}
	struct strbuf sb = {0};
	rc = svg_overview(&sb, ks, m);
	pthread_mutex_unlock(&v->lock);
	if (!rc) {
		*out = blob_sb(&sb, mtime);
		rc = *out ? 0 : -ENOMEM;
	}
	sb_release(&sb);
	free(ks);
	kernel_rows_free(rows, n);
	return rc;
}

static struct blob *render_plan(struct kcache *kc, int64_t num)
{
	const struct cand_row *c = cand_at(kc, num);
	if (!c)
		return NULL;
	struct strbuf sb = {0};
	char d[32];
	sb_addf(&sb, "# Candidate %lld\n\n", (long long)num);
	if (c->parent >= 0)
		sb_addf(&sb, "- parent: #%lld\n", (long long)c->parent);
	else
		sb_adds(&sb, "- parent: none (the input)\n");
	if (c->parent2 > 0)
		sb_addf(&sb, "- second parent: #%lld (combined with #%lld)\n", (long long)c->parent2,
		        (long long)c->parent);
	if (cand_is_duplicate(c))
		sb_addf(&sb, "- same code as #%lld: its result was reused\n", (long long)c->same_as);
	sb_addf(&sb, "- iteration: %d\n- origin: %s\n", c->iteration, cand_origin_name(c->origin));
	if (c->option[0])
		sb_addf(&sb, "- menu option: %s\n", c->option);
	if (c->model[0])
		sb_addf(&sb, "- model: %s\n", c->model);
	if (c->outcome == AC_OK)
		sb_addf(&sb, "- outcome: ok, %s (%.2fx)\n", fmt_duration(cand_time(c), d, sizeof(d)),
		        speedup_of(kc, c));
	else
		sb_addf(&sb, "- outcome: %s%s%s\n", ac_outcome_name(c->outcome), c->message[0] ? ": " : "",
		        c->message);
	if (c->tokens)
		sb_addf(&sb, "- tokens: %ld\n", c->tokens);
	sb_addf(&sb, "\n%s\n", c->plan);
	return blob_sb(&sb, c->created_ns);
}

static struct blob *render_prompt(struct view *v, struct kcache *kc, int64_t num)
{
	struct cand_row c;
	if (engine_cand_get(v->e, kc->latest.run.id, num, &c))
		return NULL;
	struct strbuf sb = {0};
	if (!c.plan_prompt[0] && !c.code_prompt[0])
		sb_addf(&sb, "Candidate %lld (%s) was not written by a model: no prompt.\n",
		        (long long)num, cand_origin_name(c.origin));
	if (c.plan_prompt[0])
		sb_addf(&sb, "=== plan prompt ===\n%s\n", c.plan_prompt);
	if (c.code_prompt[0])
		sb_addf(&sb, "=== implement prompt ===\n%s\n", c.code_prompt);
	struct blob *b = blob_sb(&sb, c.created_ns);
	cand_row_clear(&c);
	return b;
}

static struct blob *cached(struct blob **slot, struct blob *fresh)
{
	if (!*slot)
		*slot = fresh;
	else
		blob_put(fresh);
	return blob_get(*slot);
}

static struct blob *render_index(struct view *v, struct kcache *kc);

/* A new reference to the cached blob of a per-version file (status,
 * metrics.json, best, schedule, progress.svg, index.html), rendered first
 * when the version changed. Called with v->lock held. */
static struct blob *kc_blob(struct view *v, struct kcache *kc, enum node_type t)
{
	assert_held(&v->lock);
	switch (t) {
	case NODE_STATUS:
		return kc->status ? blob_get(kc->status) : cached(&kc->status, render_status(v, kc));
	case NODE_METRICS:
		return kc->metrics ? blob_get(kc->metrics) : cached(&kc->metrics, render_metrics(v, kc));
	case NODE_BEST:
		return kc->best ? blob_get(kc->best) : cached(&kc->best, render_best(v, kc));
	case NODE_SCHEDULE:
		return kc->schedule ? blob_get(kc->schedule)
		                    : cached(&kc->schedule, render_schedule(v, kc));
	case NODE_PROGRESS:
		return kc->progress ? blob_get(kc->progress)
		                    : cached(&kc->progress, render_progress(v, kc));
	case NODE_INDEX:
		return kc->index ? blob_get(kc->index) : cached(&kc->index, render_index(v, kc));
	default:
		return NULL;
	}
}

/* What the pages say of a kernel, from its cache and its row. The
 * strings stay kc's and k's. */
static void kc_html(const struct kcache *kc, const struct kernel_row *k, struct html_kernel *h)
{
	memset(h, 0, sizeof(*h));
	h->name = k->name;
	h->state = k->state;
	h->status = k->status[0] ? k->status : run_state_name(k->state);
	h->cands = kc->latest.cands;
	h->ncands = kc->latest.ncands;
	h->best = kc->have_run ? kc->latest.run.best : -1;
	h->target = kc->have_run ? kc->latest.run.target : NULL;
	h->ext = kc->ext;
	h->tokens = kc_tokens(kc);
	h->cost = kc->latest.cost;
	h->priced = kc->latest.cost > 0;
	if (kc->have_run)
		h->wall_s = ((kc->latest.run.finished_ns ? kc->latest.run.finished_ns : now_ns()) -
		             kc->latest.run.created_ns) / 1e9;
	h->input = kc->have_run ? kc->latest.run.input : NULL;
}

static struct blob *render_index(struct view *v, struct kcache *kc)
{
	struct kernel_row k;
	if (engine_kernel_get(v->e, kc->kid, &k))
		return NULL;
	struct blob *best = kc_blob(v, kc, NODE_BEST);
	struct blob *sched = kc_blob(v, kc, NODE_SCHEDULE);
	struct blob *chart = kc_blob(v, kc, NODE_PROGRESS);
	struct html_kernel h;
	kc_html(kc, &k, &h);
	h.best_src = kc->have_run && best ? best->data : NULL;
	h.schedule = sched ? sched->data : NULL;
	h.chart = chart ? chart->data : NULL;
	struct strbuf sb = {0};
	struct blob *b = NULL;
	int64_t t = kc_mtime(kc, k.created_ns);
	if (k.status_ns > t)
		t = k.status_ns;
	if (html_kernel_page(&sb, &h) == 0)
		b = blob_sb(&sb, t);
	sb_release(&sb);
	blob_put(best);
	blob_put(sched);
	blob_put(chart);
	kernel_row_clear(&k);
	return b;
}

/* The kernels' cache entries, refreshed, with their rows: the caller
 * holds v->lock and frees *rows (kernel_rows_free) and *kcs. */
static int root_kernels(struct view *v, struct kernel_row **rows, int *n, struct kcache ***kcs)
{
	int rc = engine_kernel_list(v->e, rows, n);
	if (rc)
		return rc;
	*kcs = calloc((size_t)*n + 1, sizeof(**kcs));
	if (!*kcs) {
		kernel_rows_free(*rows, *n);
		return -ENOMEM;
	}
	for (int i = 0; i < *n; i++) {
		(*kcs)[i] = kc_find(v, (*rows)[i].id);
		if ((*kcs)[i])
			kc_refresh(v, (*kcs)[i]);
	}
	return 0;
}

int view_root_status(struct view *v, struct blob **out)
{
	*out = NULL;
	struct kernel_row *rows;
	struct kcache **kcs;
	int n;
	pthread_mutex_lock(&v->lock);
	int rc = root_kernels(v, &rows, &n, &kcs);
	if (rc) {
		pthread_mutex_unlock(&v->lock);
		return rc;
	}
	struct strbuf sb = {0};
	struct engine_sums sum = {0};
	for (int i = 0; i < n; i++) {
		sb_addf(&sb, "%s: %s\n", rows[i].name,
		        rows[i].status[0] ? rows[i].status : run_state_name(rows[i].state));
		if (!kcs[i])
			continue;
		struct cand_tally t;
		cand_tally(kcs[i]->latest.cands, kcs[i]->latest.ncands, &t);
		cand_tally_add(&sum.tally, &t);
		sum.tokens += kc_tokens(kcs[i]);
		sum.reasoning += kcs[i]->latest.reasoning;
	}
	pthread_mutex_unlock(&v->lock);
	engine_totals(v->e, &sum, &sb);
	*out = blob_new(sb.buf ? sb.buf : "", sb.len, now_ns());
	sb_release(&sb);
	free(kcs);
	kernel_rows_free(rows, n);
	return *out ? 0 : -ENOMEM;
}

int view_root_index(struct view *v, struct blob **out)
{
	*out = NULL;
	uint64_t ver = engine_version(v->e);
	pthread_mutex_lock(&v->lock);
	if (v->root_index && v->root_index_ver == ver) {
		*out = blob_get(v->root_index);
		pthread_mutex_unlock(&v->lock);
		return 0;
	}
	pthread_mutex_unlock(&v->lock);
	/* the totals line: the root status's last line */
	struct blob *st = NULL, *chart = NULL;
	int rc = view_root_status(v, &st);
	if (!rc)
		rc = view_root_progress(v, &chart);
	const char *totals = NULL;
	if (st) {
		char *nl = st->len ? memrchr(st->data, '\n', st->len - 1) : NULL;
		totals = nl ? nl + 1 : st->data;
	}
	struct kernel_row *rows = NULL;
	struct kcache **kcs = NULL;
	int n = 0;
	pthread_mutex_lock(&v->lock);
	if (!rc)
		rc = root_kernels(v, &rows, &n, &kcs);
	struct html_kernel *hs = rc ? NULL : calloc((size_t)n + 1, sizeof(*hs));
	if (!rc && !hs)
		rc = -ENOMEM;
	int64_t mtime = v->mount_ns;
	int m = 0;
	for (int i = 0; !rc && i < n; i++) {
		if (!kcs[i])
			continue;
		kc_html(kcs[i], &rows[i], &hs[m++]);
		int64_t t = kc_mtime(kcs[i], rows[i].created_ns);
		if (rows[i].status_ns > t)
			t = rows[i].status_ns;
		if (t > mtime)
			mtime = t;
	}
	struct strbuf sb = {0};
	if (!rc)
		rc = html_root_page(&sb, hs, m, totals, chart ? chart->data : NULL);
	if (!rc) {
		*out = blob_sb(&sb, mtime);
		rc = *out ? 0 : -ENOMEM;
	}
	if (!rc) {
		blob_put(v->root_index);
		v->root_index = blob_get(*out);
		v->root_index_ver = ver;
	}
	pthread_mutex_unlock(&v->lock);
	sb_release(&sb);
	free(hs);
	free(kcs);
	if (rows)
		kernel_rows_free(rows, n);
	blob_put(st);
	blob_put(chart);
	return rc;
}

int view_render(struct view *v, int64_t kid, const struct node *n, struct blob **out)
{
	*out = NULL;
	if (n->type == NODE_LOG) {
		size_t len;
		int64_t mt;
		if (view_log_stat(v, kid, &len, &mt))
			return -ENOMEM;
		pthread_mutex_lock(&v->lock);
		struct kcache *kc = kc_find(v, kid);
		*out = blob_new(kc->log.buf ? kc->log.buf : "", kc->log.len, kc->log_mtime_ns);
		pthread_mutex_unlock(&v->lock);
		return *out ? 0 : -ENOMEM;
	}
	pthread_mutex_lock(&v->lock);
	struct kcache *kc = kc_find(v, kid);
	if (!kc) {
		pthread_mutex_unlock(&v->lock);
		return -ENOMEM;
	}
	kc_refresh(v, kc);
	struct blob *b = NULL;
	switch (n->type) {
	case NODE_BEST:
		if (strcmp(n->ext, kc->ext))
			break;
		b = kc_blob(v, kc, n->type);
		break;
	case NODE_STATUS:
	case NODE_METRICS:
	case NODE_SCHEDULE:
	case NODE_PROGRESS:
	case NODE_INDEX:
		b = kc_blob(v, kc, n->type);
		break;
	case NODE_PLAN:
		b = render_plan(kc, n->num);
		break;
	case NODE_PLAN_PROMPT:
		if (kc->have_run && cand_at(kc, n->num))
			b = render_prompt(v, kc, n->num);
		break;
	case NODE_CAND_SRC:
	case NODE_CAND_LOG: {
		const struct cand_row *c = kc->have_run ? cand_at(kc, n->num) : NULL;
		if (!c || (n->type == NODE_CAND_SRC && strcmp(n->ext, kc->ext)))
			break;
		struct cand_row full;
		if (engine_cand_get(v->e, kc->latest.run.id, n->num, &full))
			break;
		if (n->type == NODE_CAND_SRC)
			b = blob_new(full.source, strlen(full.source), full.created_ns);
		else
			b = blob_new(full.log, strlen(full.log),
			             full.evaluated_ns ? full.evaluated_ns : full.created_ns);
		cand_row_clear(&full);
		break;
	}
	default:
		break;
	}
	pthread_mutex_unlock(&v->lock);
	*out = b;
	return b ? 0 : -ENOENT;
}

int view_cand_stat(struct view *v, int64_t kid, int64_t num, bool is_log, const char *ext,
                   size_t *size, int64_t *mtime_ns)
{
	int rc = -ENOENT;
	pthread_mutex_lock(&v->lock);
	struct kcache *kc = kc_find(v, kid);
	if (kc) {
		kc_refresh(v, kc);
		const struct cand_row *c = kc->have_run ? cand_at(kc, num) : NULL;
		if (c && (is_log || !strcmp(ext, kc->ext))) {
			*size = is_log ? c->log_len : c->source_len;
			*mtime_ns = is_log && c->evaluated_ns ? c->evaluated_ns : c->created_ns;
			rc = 0;
		}
	}
	pthread_mutex_unlock(&v->lock);
	return rc;
}
