/*
 * run.c - the services a strategy uses on its run (run.h): the log and
 * status, evaluation (build in parallel, time alone), the best so far,
 * the final interleaved re-timing and task pools.
 *
 * Evaluation is one pipeline, prepare -> build (a build slot) -> timed
 * run (a timing slot of the run's executor) -> clean up; run_evaluate
 * stores what it found, run_remeasure and the finalists' re-timing only
 * measure again.
 *
 * What this file does not do: decide what to evaluate (search.c, tune.c)
 * or know how a target builds (targets/).
 */
#include "engine/core/run.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/core/host.h"
#include "engine/core/noise.h"
#include "engine/util/util.h"
#include "targets/exec/fileio.h"

/* ---- log and status ---- */

void run_log(struct run_ctx *rc, const char *fmt, ...)
{
	if (atomic_load(&rc->cancel) == RUN_DELETED)
		return;
	va_list ap;
	va_start(ap, fmt);
	host_vlog(rc->host, rc->kid, fmt, ap);
	va_end(ap);
}

/* run_status and run_progress: a deleted kernel's run writes nothing. */
static void __attribute__((format(printf, 4, 0)))
vstatus(struct run_ctx *rc, enum run_state state, bool log, const char *fmt, va_list ap)
{
	if (atomic_load(&rc->cancel) == RUN_DELETED)
		return;
	char line[1024];
	vsnprintf(line, sizeof(line), fmt, ap);
	host_set_status(rc->host, rc->kid, state, line, log);
}

void run_progress(struct run_ctx *rc, enum run_state state, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vstatus(rc, state, false, fmt, ap);
	va_end(ap);
}

void run_status(struct run_ctx *rc, enum run_state state, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vstatus(rc, state, true, fmt, ap);
	va_end(ap);
}

int run_set_state(struct run_ctx *rc, enum run_state state)
{
	assert(state != RS_WAITING);
	return store_run_set_state(rc->host->writer, rc->rid, state, run_state_final(state));
}

/* ---- evaluation ---- */

int run_build_jobs(struct run_ctx *rc)
{
	return rc->host->build_jobs;
}

int run_parallel(struct run_ctx *rc)
{
	int n = rc->host->build_jobs * 2;
	if (rc->executor == &ac_executor_slurm) {
		pthread_mutex_lock(&rc->host->slurm.lock);
		int slots = rc->host->slurm.total;
		pthread_mutex_unlock(&rc->host->slurm.lock);
		if (slots * 2 > n)
			n = slots * 2;
	}
	return n > 64 ? 64 : n;
}

/* Takes a timed-run slot of the run's executor: the local one is the
 * timing mutex (one core, one run); Slurm's holds as many as its nodes
 * that are up (or the mount's slots=N). */
static void slot_acquire(struct run_ctx *rc)
{
	struct run_host *h = rc->host;
	if (rc->executor != &ac_executor_slurm) {
		atomic_fetch_add(&h->timing_waiting, 1);
		pthread_mutex_lock(&h->timing_lock);
		host_cores_reserve(h, rc->topts.cores);
		atomic_fetch_sub(&h->timing_waiting, 1);
		return;
	}
	struct slot_pool *p = &h->slurm;
	pthread_mutex_lock(&p->lock);
	bool stale = !p->fixed && mono_ns() - p->checked_ns > SLOTS_REFRESH_NS;
	if (stale)
		p->checked_ns = mono_ns();
	p->used = true;
	pthread_mutex_unlock(&p->lock);
	if (stale) {
		/* asked outside the lock: sinfo may take a while */
		int n = rc->executor->slots(rc->cfg.slurm_args);
		pthread_mutex_lock(&p->lock);
		if (n > 0 && n != p->total) {
			p->total = n;
			pthread_cond_broadcast(&p->cond);
		}
		pthread_mutex_unlock(&p->lock);
	}
	atomic_fetch_add(&p->waiting, 1);
	pthread_mutex_lock(&p->lock);
	while (p->busy >= p->total && !run_cancelled(rc)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&p->cond, &p->lock, &ts);
	}
	p->busy++;
	pthread_mutex_unlock(&p->lock);
	atomic_fetch_sub(&p->waiting, 1);
}

static void slot_release(struct run_ctx *rc)
{
	if (rc->executor != &ac_executor_slurm) {
		host_cores_release(rc->host);
		pthread_mutex_unlock(&rc->host->timing_lock);
		return;
	}
	struct slot_pool *p = &rc->host->slurm;
	pthread_mutex_lock(&p->lock);
	p->busy--;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

/* The executor's notices ("the controller is unreachable") go into the
 * kernel's log and, while the run waits, its status line. */
static void exec_note(void *arg, bool waiting, const char *line)
{
	struct run_ctx *rc = arg;
	run_log(rc, "%s", line);
	if (!waiting)
		return;
	struct kernel_row k;
	if (store_kernel_get(rc->host->writer, rc->kid, &k) == 0) {
		enum run_state state = k.state;
		kernel_row_clear(&k);
		run_progress(rc, state, "%s: waiting: %s", run_state_name(state), line);
	}
}

/* Times a built candidate through the run's executor, holding one of its
 * slots. where is filled (job id, node) for the store. When the executor
 * could not do the run at all (where->why: srun missing, a job lost three
 * times), the result is a run error saying so and 0 is returned. */
static int timed_run(struct run_ctx *rc, const struct ac_job *job0, int64_t num, bool retime,
                     struct ac_result *r, struct ac_exec_ctx *where)
{
	struct ac_job job = *job0;
	char name[160], comment[PATH_MAX + 300], host[128] = "";
	gethostname(host, sizeof(host) - 1);
	snprintf(name, sizeof(name), "ac-%s-%s-k%lld-r%lld-%s%lld", rc->host->state_id,
	         rc->host->incarnation, (long long)rc->kid, (long long)rc->rid, retime ? "t" : "c",
	         (long long)num);
	snprintf(comment, sizeof(comment), "autocompfs %s candidate %lld, state %s on %s",
	         rc->kernel_name, (long long)num, rc->host->state_dir, host);
	memset(where, 0, sizeof(*where));
	where->executor = rc->executor;
	where->args = rc->cfg.slurm_args;
	where->job_name = name;
	where->comment = comment;
	where->note = exec_note;
	where->note_arg = rc;
	job.exec = where;
	slot_acquire(rc);
	int err = run_cancelled(rc) ? 0 : rc->target->run(&job, r);
	slot_release(rc);
	if (where->why[0] && !run_cancelled(rc)) {
		r->outcome = AC_RUN_ERROR;
		r->time_ns = 0;
		ac_result_set_message(r, "%s", where->why);
		err = 0;
	}
	return err;
}

int run_cand_add(struct run_ctx *rc, struct cand_row *c)
{
	c->run_id = rc->rid;
	int r = store_cand_add(rc->host->writer, c);
	if (!r)
		host_touch(rc->host, rc->kid);
	return r;
}

int run_cand_original(struct run_ctx *rc, const char *hash, int64_t before, int64_t *num)
{
	struct cand_row *rows;
	int n;
	int err = store_cand_by_hash(rc->host->writer, rc->rid, hash, before, &rows, &n);
	if (err)
		return err;
	err = -ENOENT;
	for (int i = 0; i < n && err; i++) {
		if (cand_reusable(&rows[i])) {
			*num = rows[i].num;
			err = 0;
		}
	}
	cand_rows_free(rows, n);
	return err;
}

/* The places left in the candidate budget (INT_MAX: no budget), the
 * candidates made before a restart counted the first time. Call with
 * rc->lock held. */
static int candidates_left_locked(struct run_ctx *rc)
{
	assert_held(&rc->lock);
	if (!rc->candidates_known) {
		struct cand_row *rows;
		int n;
		if (store_cand_list(rc->host->writer, rc->rid, &rows, &n) == 0) {
			rc->candidates = n > 0 ? n - 1 : 0;
			cand_rows_free(rows, n);
		}
		rc->candidates_known = true;
	}
	if (rc->cfg.max_candidates <= 0)
		return INT_MAX;
	return rc->candidates < rc->cfg.max_candidates ? rc->cfg.max_candidates - rc->candidates
	                                               : 0;
}

int run_candidates_left(struct run_ctx *rc)
{
	pthread_mutex_lock(&rc->lock);
	int left = candidates_left_locked(rc);
	pthread_mutex_unlock(&rc->lock);
	return left;
}

bool run_take_candidate(struct run_ctx *rc)
{
	pthread_mutex_lock(&rc->lock);
	bool ok = candidates_left_locked(rc) > 0;
	if (ok)
		rc->candidates++;
	pthread_mutex_unlock(&rc->lock);
	return ok;
}

void run_give_back_candidate(struct run_ctx *rc)
{
	pthread_mutex_lock(&rc->lock);
	assert(rc->candidates > 0);
	rc->candidates--;
	pthread_mutex_unlock(&rc->lock);
}

int run_offer_best(struct run_ctx *rc, int64_t num, int64_t time_ns, double spread)
{
	int err = 0;
	if (time_ns <= 0)
		return 0;
	pthread_mutex_lock(&rc->lock);
	/* beyond the noise of both measurements, or a copy of the input
	 * would move best.c by luck */
	bool better = rc->best_num < 0 ||
	              noise_first_beats(time_ns, spread, rc->best_time_ns, rc->best_spread);
	if (better)
		err = store_run_set_best(rc->host->writer, rc->rid, num, now_ns());
	if (better && !err) {
		/* memory follows the store: best.c shows what rc says */
		rc->best_num = num;
		rc->best_time_ns = time_ns;
		rc->best_spread = spread;
	}
	pthread_mutex_unlock(&rc->lock);
	if (!better || err)
		return err;
	host_touch(rc->host, rc->kid);
	if (num != 0 && rc->input_time_ns > 0) {
		char d[32];
		run_log(rc, "best: #%lld, %s, %.2fx over the input", (long long)num,
		        fmt_duration(time_ns, d, sizeof(d)), (double)rc->input_time_ns / time_ns);
	}
	return 0;
}

/* A figure too good to take on one measurement: a candidate more than
 * cfg.recheck times faster than its parent is built and run again, in a
 * fresh process with fresh inputs, before anything believes it. The
 * slower of the two times counts; a re-check that is not correct makes
 * the candidate what the re-check found. */
static void recheck(struct run_ctx *rc, const struct cand_row *c, struct ac_result *r,
                    cJSON *verdict)
{
	struct cand_row parent;
	int64_t pt = 0;
	if (c->parent < 0 || store_cand_get(rc->host->writer, rc->rid, c->parent, &parent))
		return;
	if (parent.outcome == AC_OK)
		pt = parent.retime_ns > 0 ? parent.retime_ns : parent.time_ns;
	cand_row_clear(&parent);
	if (pt <= 0 || r->time_ns <= 0 || (double)pt / (double)r->time_ns <= rc->cfg.recheck)
		return;
	double factor = (double)pt / (double)r->time_ns;
	run_log(rc, "re-check #%lld: %.1fx faster than its parent #%lld: evaluating it again in a "
	        "fresh process with fresh inputs", (long long)c->num, factor, (long long)c->parent);
	struct ac_result again;
	int err = run_remeasure(rc, c->num, &again);
	cJSON *o = cJSON_CreateObject();
	if (o) {
		cJSON_AddNumberToObject(o, "factor", factor);
		cJSON_AddStringToObject(o, "outcome", err ? "not run" : ac_outcome_name(again.outcome));
		if (!err && again.outcome == AC_OK)
			cJSON_AddNumberToObject(o, "time_ns", (double)again.time_ns);
		cJSON_AddItemToObject(verdict, "recheck", o);
	}
	if (err) {
		ac_result_clear(&again);
		return;
	}
	if (again.outcome == AC_OK) {
		if (again.time_ns > r->time_ns)
			r->time_ns = again.time_ns;
		run_log(rc, "re-check #%lld: confirmed", (long long)c->num);
	} else {
		r->outcome = again.outcome;
		r->time_ns = 0;
		ac_result_set_message(r, "re-checked in a fresh process: %s",
		                      again.message ? again.message : ac_outcome_name(again.outcome));
		ac_result_logf(r, "# re-check in a fresh process (%.1fx faster than #%lld):\n%s",
		               factor, (long long)c->parent, again.log ? again.log : "");
	}
	ac_result_clear(&again);
}

/*
 * The pipeline every evaluation goes through: eval_prepare (the row, a
 * fresh directory, the job), eval_build (holding a build slot), then
 * timed_run as often as the caller needs, then eval_free. run_evaluate
 * stores what it found; run_remeasure and the finalists only measure.
 */
struct eval {
	int64_t num;
	struct cand_row c;
	char dir[PATH_MAX + 48];
	struct ac_job job;
};

/* The job of candidate in dir, a directory that exists. */
static void job_in(struct run_ctx *rc, const char *dir, const char *candidate, struct ac_job *job)
{
	*job = (struct ac_job){
		.scratch_dir = dir,
		.run_dir = rc->run_dir,
		.candidate = candidate,
		.candidate_size = strlen(candidate),
		.reference = rc->row.input,
		.reference_size = strlen(rc->row.input),
		.files = rc->afiles,
		.nfiles = (size_t)rc->nfiles,
		.opts = &rc->topts,
		.cancel = &rc->cancel,
	};
}

int run_job(struct run_ctx *rc, const char *dir, const char *candidate, struct ac_job *job)
{
	ac_remove_tree(dir);
	int err = mkdir_p(dir, 0700);
	if (!err)
		job_in(rc, dir, candidate, job);
	return err;
}

/* run_dir/WHAT-NUM: the directory of candidate num for what ("cand" for
 * its evaluation, whose build may be kept; "retime", "recheck"). */
static void eval_dir(struct run_ctx *rc, const char *what, int64_t num, char *dir, size_t len)
{
	snprintf(dir, len, "%s/%s-%lld", rc->run_dir, what, (long long)num);
}

/* Loads candidate num and makes run_dir/WHAT-NUM afresh for it. 0 or
 * -errno; either way eval_free cleans up. */
static int eval_prepare(struct run_ctx *rc, int64_t num, const char *what, struct eval *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->num = num;
	int err = store_cand_get(rc->host->writer, rc->rid, num, &ev->c);
	if (err)
		return err;
	eval_dir(rc, what, num, ev->dir, sizeof(ev->dir));
	return run_job(rc, ev->dir, ev->c.source, &ev->job);
}

/* Builds the prepared candidate holding a build slot; r gets the build's
 * result. Returns the target's 0 or -errno. */
static int eval_build(struct run_ctx *rc, struct eval *ev, struct ac_result *r)
{
	assert(ev->job.scratch_dir);
	host_build_acquire(rc->host);
	int err = rc->target->build(&ev->job, r);
	host_build_release(rc->host);
	return err;
}

/* Removes the candidate's directory (what it built goes with it). */
static void eval_clean(struct eval *ev)
{
	if (ev->dir[0])
		ac_remove_tree(ev->dir);
	ev->dir[0] = '\0';
}

static void eval_free(struct eval *ev)
{
	eval_clean(ev);
	cand_row_clear(&ev->c);
}

/* ---- builds kept for the final re-timing ----
 *
 * An evaluation's directory holds what the target built; the candidate's
 * process can write none of it (targets/exec/sandbox.h), and the rounds
 * of the re-timing already run one build again and again. So the builds
 * of the input and of the RUN_FINALISTS fastest correct candidates so far
 * are kept (rc->kept) instead of removed, and a finalist found there is
 * timed again without being built again. A candidate that a faster one
 * displaces loses its directory at once; whatever is kept goes with the
 * run's directory, or when the re-timing is over. */

/* After ev's evaluation found r: keeps its directory when it may be a
 * finalist, else removes it now. */
static void keep_or_clean(struct run_ctx *rc, struct eval *ev, const struct ac_result *r)
{
	int64_t out = -1;
	bool keep = r->outcome == AC_OK && r->time_ns > 0 && !run_cancelled(rc);
	char dir[PATH_MAX + 48];
	eval_dir(rc, "cand", ev->num, dir, sizeof(dir));
	assert(!strcmp(dir, ev->dir));
	pthread_mutex_lock(&rc->lock);
	for (int i = 0; i < rc->nkept; i++)   /* evaluated again: its directory was made anew */
		if (rc->kept[i].num == ev->num)
			rc->kept[i--] = rc->kept[--rc->nkept];
	if (keep) {
		int slow = -1, cands = 0;   /* the slowest kept candidate, how many */
		for (int i = 0; i < rc->nkept; i++) {
			if (rc->kept[i].num == 0)
				continue;
			cands++;
			if (slow < 0 || rc->kept[i].time_ns > rc->kept[slow].time_ns)
				slow = i;
		}
		if (ev->num == 0 || cands < RUN_FINALISTS) {
			assert(rc->nkept < RUN_FINALISTS + 1);
			rc->kept[rc->nkept++] = (struct run_kept){ev->num, r->time_ns};
		} else if (slow >= 0 && r->time_ns < rc->kept[slow].time_ns) {
			out = rc->kept[slow].num;
			rc->kept[slow] = (struct run_kept){ev->num, r->time_ns};
		} else {
			keep = false;
		}
	}
	pthread_mutex_unlock(&rc->lock);
	if (keep)
		ev->dir[0] = '\0';   /* eval_free leaves it */
	else
		eval_clean(ev);
	if (out >= 0) {
		eval_dir(rc, "cand", out, dir, sizeof(dir));
		ac_remove_tree(dir);
	}
}

/* Takes num's kept build out of rc->kept into ev (whose eval_free then
 * removes it); false when there is none. */
static bool take_kept(struct run_ctx *rc, int64_t num, struct eval *ev)
{
	bool have = false;
	pthread_mutex_lock(&rc->lock);
	for (int i = 0; i < rc->nkept && !have; i++) {
		if (rc->kept[i].num == num) {
			rc->kept[i] = rc->kept[--rc->nkept];
			have = true;
		}
	}
	pthread_mutex_unlock(&rc->lock);
	if (!have)
		return false;
	memset(ev, 0, sizeof(*ev));
	ev->num = num;
	eval_dir(rc, "cand", num, ev->dir, sizeof(ev->dir));
	if (access(ev->dir, F_OK) != 0 || store_cand_get(rc->host->writer, rc->rid, num, &ev->c)) {
		eval_free(ev);
		return false;
	}
	job_in(rc, ev->dir, ev->c.source, &ev->job);
	return true;
}

/* Removes every kept build. */
static void drop_kept(struct run_ctx *rc)
{
	pthread_mutex_lock(&rc->lock);
	int n = rc->nkept;
	struct run_kept kept[RUN_FINALISTS + 1];
	memcpy(kept, rc->kept, sizeof(kept));
	rc->nkept = 0;
	pthread_mutex_unlock(&rc->lock);
	for (int i = 0; i < n; i++) {
		char dir[PATH_MAX + 48];
		eval_dir(rc, "cand", kept[i].num, dir, sizeof(dir));
		ac_remove_tree(dir);
	}
}

/* The compiler's first error line in a build's output ("input.c:9:48:
 * error: 'TILE_K' undeclared ..."), at most len - 1 bytes, or "" when
 * there is none: the log line names it, candidates/N.log keeps the rest. */
static void first_compiler_error(const char *log, char *buf, size_t len)
{
	static const char *const marks[] = {": fatal error:", ": error:", "error:"};
	buf[0] = '\0';
	for (size_t m = 0; log && m < sizeof(marks) / sizeof(marks[0]); m++) {
		const char *hit = strstr(log, marks[m]);
		if (!hit)
			continue;
		const char *start = hit;
		while (start > log && start[-1] != '\n')
			start--;
		size_t n = strcspn(start, "\n");
		if (n >= len)
			n = len - 1;
		memcpy(buf, start, n);
		buf[n] = '\0';
		return;
	}
}

int run_evaluate(struct run_ctx *rc, int64_t num, struct ac_result *r)
{
	memset(r, 0, sizeof(*r));
	struct eval ev;
	struct ac_exec_ctx where;
	memset(&where, 0, sizeof(where));
	int err = eval_prepare(rc, num, "cand", &ev);
	if (err) {
		eval_free(&ev);
		return err;
	}
	err = eval_build(rc, &ev, r);
	if (!err && r->outcome == AC_OK && !run_cancelled(rc)) {
		struct ac_result built = *r;
		memset(r, 0, sizeof(*r));
		if (!run_cancelled(rc))
			err = timed_run(rc, &ev.job, num, false, r, &where);
		/* keep the build's output ahead of the run's in the log */
		struct strbuf sb = {0};
		if (built.log)
			sb_adds(&sb, built.log);
		if (r->log)
			sb_adds(&sb, r->log);
		free(r->log);
		r->log = sb_detach(&sb);
		ac_result_clear(&built);
	}
	keep_or_clean(rc, &ev, r);
	if (run_cancelled(rc)) {
		eval_free(&ev);
		ac_result_clear(r);
		return -ECANCELED;
	}
	if (err) {
		r->outcome = AC_RUN_ERROR;
		/* the target's own words ("compiler cc not found") say more */
		char *why = r->message && r->message[0] ? strdup(r->message) : NULL;
		ac_result_set_message(r, "could not evaluate: %s", why ? why : strerror(-err));
		free(why);
	}
	if (r->outcome == AC_PENDING)
		r->outcome = AC_RUN_ERROR;
	cJSON *verdict = cJSON_CreateObject();
	if (verdict && r->judge) {
		cJSON *j = cJSON_Parse(r->judge);
		if (j)
			cJSON_AddItemToObject(verdict, "judge", j);
	}
	if (r->outcome == AC_OK && num != 0 && rc->cfg.recheck > 0)
		recheck(rc, &ev.c, r, verdict);
	if (run_cancelled(rc)) {
		cJSON_Delete(verdict);
		eval_free(&ev);
		ac_result_clear(r);
		return -ECANCELED;
	}
	err = store_cand_set_result(rc->host->writer, rc->rid, num, r, now_ns());
	if (!err && verdict) {
		char *text = cJSON_PrintUnformatted(verdict);
		if (text)
			err = store_cand_set_verdict(rc->host->writer, rc->rid, num, text);
		free(text);
	}
	cJSON_Delete(verdict);
	if (!err && where.job_id[0])
		err = store_cand_set_where(rc->host->writer, rc->rid, num, where.job_id, where.node);
	atomic_fetch_add(&rc->host->evaluated, 1);
	char d[32];
	if (r->outcome == AC_OK) {
		double sp = rc->input_time_ns > 0 ? (double)rc->input_time_ns / r->time_ns : 1.0;
		run_log(rc, "candidate %lld: ok, %s (%.2fx, spread %.1f%%, %d samples)",
		        (long long)num, fmt_duration(r->time_ns, d, sizeof(d)), sp,
		        r->spread * 100, r->samples);
	} else {
		char first[240] = "", more[64] = "";
		if (r->outcome == AC_BUILD_ERROR)
			first_compiler_error(r->log, first, sizeof(first));
		if (first[0])
			snprintf(more, sizeof(more), " (all of it: candidates/%lld.log)", (long long)num);
		run_log(rc, "candidate %lld: %s%s%s%s%s%s", (long long)num,
		        ac_outcome_name(r->outcome), r->message ? ": " : "",
		        r->message ? r->message : "", first[0] ? ": " : "", first, more);
	}
	eval_free(&ev);
	return err;
}

int run_remeasure(struct run_ctx *rc, int64_t num, struct ac_result *r)
{
	memset(r, 0, sizeof(*r));
	struct eval ev;
	int err = eval_prepare(rc, num, "recheck", &ev);
	if (!err)
		err = eval_build(rc, &ev, r);
	if (!err && r->outcome == AC_OK && !run_cancelled(rc)) {
		ac_result_clear(r);
		struct ac_exec_ctx where;
		err = timed_run(rc, &ev.job, num, true, r, &where);
	}
	eval_free(&ev);
	if (run_cancelled(rc))
		return -ECANCELED;
	return err;
}

int run_set_best(struct run_ctx *rc, int64_t num, int64_t time_ns)
{
	int err = 0;
	pthread_mutex_lock(&rc->lock);
	bool changed = num != rc->best_num;
	if (changed)
		err = store_run_set_best(rc->host->writer, rc->rid, num, now_ns());
	if (!err) {
		rc->best_num = num;
		rc->best_time_ns = time_ns;
	}
	pthread_mutex_unlock(&rc->lock);
	if (changed && !err)
		host_touch(rc->host, rc->kid);
	return err;
}

static int by_time_then_num(const void *a, const void *b)
{
	const struct cand_row *x = a, *y = b;
	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? -1 : 1;
	return x->num < y->num ? -1 : (x->num > y->num);
}

/* One candidate of the final re-timing: built once, run in the rounds
 * the verdict needs it (its times live in the verdict, struct noise_final). */
struct member {
	int64_t num;
	struct eval ev;
	bool built;
	bool kept;   /* its build was kept from its evaluation (not built again) */
	struct run_ctx *rc;
};

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The median of the positive entries of t[0..n); 0 if none. */
static int64_t median_pos(const int64_t *t, int n)
{
	int64_t v[RUN_RETIME_MAX_ROUNDS];
	int k = 0;
	assert(n <= RUN_RETIME_MAX_ROUNDS);
	for (int i = 0; i < n; i++)
		if (t[i] > 0)
			v[k++] = t[i];
	if (!k)
		return 0;
	qsort(v, (size_t)k, sizeof(v[0]), cmp_i64);
	return k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
}

/* Adds "retime" to member j's stored verdict: its times of every round
 * (0 where it was not timed), and for a finalist its ratio to the input,
 * the call and the round that made it. */
static void store_retime_verdict(struct run_ctx *rc, struct member *m, const struct noise_final *v,
                                 int j)
{
	const struct noise_finalist *f = &v->f[j];
	cJSON *cv = m[j].ev.c.verdict && m[j].ev.c.verdict[0] ? cJSON_Parse(m[j].ev.c.verdict) : NULL;
	if (!cJSON_IsObject(cv)) {
		cJSON_Delete(cv);
		cv = cJSON_CreateObject();
	}
	if (!cv)
		return;
	cJSON_DeleteItemFromObject(cv, "retime");
	cJSON *o = cJSON_CreateObject();
	cJSON *times = cJSON_CreateArray();
	for (int i = 0; i < v->rounds && times; i++)
		cJSON_AddItemToArray(times, cJSON_CreateNumber((double)v->t[j][i]));
	cJSON_AddItemToObject(o, "rounds_ns", times);
	if (j == 0) {
		cJSON_AddBoolToObject(o, "incumbent", true);
	} else if (f->nr.rounds >= 2) {
		cJSON_AddNumberToObject(o, "ratio", f->nr.ratio);
		cJSON *ci = cJSON_CreateArray();
		cJSON_AddItemToArray(ci, cJSON_CreateNumber(f->nr.lo));
		cJSON_AddItemToArray(ci, cJSON_CreateNumber(f->nr.hi));
		cJSON_AddItemToObject(o, "ratio_95", ci);
		cJSON_AddNumberToObject(o, "rounds", f->nr.rounds);
		cJSON_AddBoolToObject(o, "faster", f->call == NOISE_FASTER);
		cJSON_AddStringToObject(o, "call", noise_call_name(f->call));
		if (f->call == NOISE_BEATEN || f->call == NOISE_EVEN)
			cJSON_AddNumberToObject(o, "by", (double)m[f->by].num);
		if (f->decided_round)
			cJSON_AddNumberToObject(o, "decided_round", f->decided_round);
	}
	cJSON_AddItemToObject(cv, "retime", o);
	char *text = cJSON_PrintUnformatted(cv);
	if (text)
		host_stored(store_cand_set_verdict(rc->host->writer, rc->rid, m[j].num, text),
		            "a re-timing's verdict");
	free(text);
	cJSON_Delete(cv);
}

/* The finalists into m[1..]: the RUN_FINALISTS fastest correct candidates
 * by their first measurement (m[0], the input, is the incumbent), but none
 * that took more than RUN_FINALIST_SPAN times the fastest one's time (the
 * input's included): it cannot be the fastest, and timing it again would
 * only cost rounds and widen every interval. A duplicate is its
 * original's code, so it takes no finalist's place. Returns how many
 * members m holds, or 0. */
static int choose_finalists(struct run_ctx *rc, struct member *m)
{
	struct cand_row *rows;
	int n;
	if (store_cand_list(rc->host->writer, rc->rid, &rows, &n))
		return 0;
	int ok = 0;
	for (int i = 0; i < n; i++)
		if (rows[i].outcome == AC_OK && rows[i].time_ns > 0 && !cand_is_duplicate(&rows[i]))
			rows[ok++] = rows[i];
		else
			cand_row_clear(&rows[i]);
	qsort(rows, (size_t)ok, sizeof(*rows), by_time_then_num);
	int nm = 1;
	m[0].num = 0;
	const struct cand_row *far = NULL;   /* the first left out, and all after it */
	for (int i = 0; i < ok && nm < RUN_FINALISTS + 1 && !far; i++) {
		if (rows[i].num == 0)
			continue;
		if (rows[i].time_ns > RUN_FINALIST_SPAN * rows[0].time_ns)
			far = &rows[i];
		else
			m[nm++].num = rows[i].num;
	}
	if (far) {
		char d[32], f[32];
		run_log(rc, "#%lld (%s) is not timed again: more than %gx the fastest's %s",
		        (long long)far->num, fmt_duration(far->time_ns, d, sizeof(d)),
		        RUN_FINALIST_SPAN, fmt_duration(rows[0].time_ns, f, sizeof(f)));
	}
	cand_rows_free(rows, ok);
	return nm;
}

/* run_tasks: builds member i (in parallel with the others). */
static void build_member(void *arg, int i)
{
	struct member *x = (struct member *)arg + i;
	struct ac_result r = {0};
	if (run_cancelled(x->rc))
		return;
	x->kept = take_kept(x->rc, x->num, &x->ev);
	if (x->kept)
		x->built = true;
	else if (eval_prepare(x->rc, x->num, "retime", &x->ev) == 0)
		x->built = eval_build(x->rc, &x->ev, &r) == 0 && r.outcome == AC_OK;
	ac_result_clear(&r);
}

/* Times the members the verdict needs, once a round, each round in
 * another order, so that what the machine does meanwhile falls on all of
 * them alike, until the verdict is decided (noise.h) or the run is
 * cancelled; the rounds repeat the measurement, so each run of a round
 * can be short. A run that fails counts as not timed. Returns the number
 * of timed runs. */
static int time_rounds(struct run_ctx *rc, struct member *m, int nm, struct noise_final *v,
                        enum run_state state)
{
	double min_time = rc->topts.min_time_s;
	int runs = 0;
	rc->topts.min_time_s = RUN_RETIME_MIN_TIME_S;
	while (!v->done && !run_cancelled(rc)) {
		int64_t times[NOISE_MAX_MEMBERS] = {0};
		run_progress(rc, state, "%s: timing the %d finalists and the input again, "
		             "interleaved (round %d of at most %d)", run_state_name(state), nm - 1,
		             v->rounds + 1, v->cap);
		for (int j = 0; j < nm && !run_cancelled(rc); j++) {
			int i = (j + v->rounds) % nm;
			struct ac_result r = {0};
			if (!v->need[i])
				continue;
			struct ac_exec_ctx where;
			int err = timed_run(rc, &m[i].ev.job, m[i].num, true, &r, &where);
			times[i] = !err && r.outcome == AC_OK ? r.time_ns : 0;
			ac_result_clear(&r);
			runs++;
		}
		if (!run_cancelled(rc))
			noise_final_round(v, times);
	}
	rc->topts.min_time_s = min_time;
	return runs;
}

/* The words after a finalist's figures: how its call was made. */
static void call_words(const struct noise_final *v, const struct member *m, int j, char *buf,
                       size_t len)
{
	const struct noise_finalist *f = &v->f[j];
	long long by = (long long)m[f->call == NOISE_FASTER ? v->winner : f->by].num;
	switch (f->call) {
	case NOISE_FASTER:
		if (j == v->winner)
			snprintf(buf, len, "%s", "");
		else
			snprintf(buf, len, ": faster, but #%lld reads faster", by);
		break;
	case NOISE_SLOWER:
		snprintf(buf, len, ": slower beyond the noise");
		break;
	case NOISE_FUTILE:
		snprintf(buf, len, ": not faster beyond the noise (the rounds left could not show "
		         "it)");
		break;
	case NOISE_BEATEN:
		snprintf(buf, len, ": slower than #%lld beyond the noise", by);
		break;
	case NOISE_EVEN:
		snprintf(buf, len, ": not faster than #%lld beyond the noise", by);
		break;
	default:
		snprintf(buf, len, ": not faster beyond the noise");
		break;
	}
}

/* The verdict on the timed rounds, stored (figures and how they were
 * reached) and acted on: the winner becomes the best, else the input. */
static int judge_rounds(struct run_ctx *rc, struct member *m, int nm, const struct noise_final *v,
                        int64_t t_in, int runs, int64_t rounds_ns)
{
	int win = v->winner;
	char d[32], words[128];
	int err = store_cand_set_retime(rc->host->writer, rc->rid, 0, t_in);
	if (err)
		return err;
	store_retime_verdict(rc, m, v, 0);
	int kept = 0;
	for (int j = 0; j < nm; j++)
		kept += m[j].kept;
	run_log(rc, "verdict after %d of at most %d rounds (%d timed runs, %.1f s); %d of %d "
	        "builds kept from their evaluations", v->rounds, v->cap, runs, rounds_ns / 1e9, kept,
	        nm);
	for (int j = 1; j < nm; j++) {
		const struct noise_finalist *f = &v->f[j];
		if (f->nr.rounds < 2) {
			run_log(rc, "finalist #%lld: not timed again (it failed when re-run)",
			        (long long)m[j].num);
			store_retime_verdict(rc, m, v, j);
			continue;
		}
		/* its figure: the input's re-timed median times the paired ratio */
		int64_t t = llround((double)t_in * f->nr.ratio);
		err = store_cand_set_retime(rc->host->writer, rc->rid, m[j].num, t > 0 ? t : 1);
		if (err)
			return err;
		store_retime_verdict(rc, m, v, j);
		call_words(v, m, j, words, sizeof(words));
		run_log(rc, "finalist #%lld: %s again, %.2fx the input [95%%: %.2fx-%.2fx over %d "
		        "rounds]%s", (long long)m[j].num, fmt_duration(t, d, sizeof(d)),
		        1 / f->nr.ratio, 1 / f->nr.hi, 1 / f->nr.lo, f->nr.rounds, words);
	}
	cJSON *cv = cJSON_CreateObject();
	if (cv) {
		cJSON_AddNumberToObject(cv, "incumbent", 0);
		cJSON_AddNumberToObject(cv, "rounds", v->rounds);
		cJSON_AddNumberToObject(cv, "max_rounds", v->cap);
		cJSON_AddNumberToObject(cv, "runs", runs);
		cJSON_AddNumberToObject(cv, "winner", (double)m[win].num);
		cJSON_AddBoolToObject(cv, "significant", win != 0);
		cJSON_AddStringToObject(cv, "rule", "the family-wise 95% interval of the paired time "
		                        "ratio to the input lies below 0.99, looked at after every "
		                        "round from the 3rd with the error spent over the rounds; "
		                        "rounds stop when every finalist is decided");
		char *text = cJSON_PrintUnformatted(cv);
		if (text)
			err = store_run_set_verdict(rc->host->writer, rc->rid, text);
		free(text);
		cJSON_Delete(cv);
		if (err)
			return err;
	}
	rc->no_gain = win == 0;
	rc->closest = 0;
	for (int j = 1; j < nm; j++)
		if (v->f[j].nr.rounds >= 2 && (!rc->closest || v->f[j].nr.ratio < rc->closest_ratio)) {
			rc->closest = m[j].num;
			rc->closest_ratio = v->f[j].nr.ratio;
			rc->closest_lo = v->f[j].nr.lo;
			rc->closest_hi = v->f[j].nr.hi;
		}
	if (win)
		return run_set_best(rc, m[win].num, llround((double)t_in * v->f[win].nr.ratio));
	run_log(rc, "no finalist is faster than the input beyond the noise: best.c stays the input");
	return run_set_best(rc, 0, t_in);
}

int run_finalists(struct run_ctx *rc, enum run_state state)
{
	int rounds = rc->cfg.retime_rounds;
	if (rounds < 2)
		rounds = 2;
	if (rounds > RUN_RETIME_MAX_ROUNDS)
		rounds = RUN_RETIME_MAX_ROUNDS;
	struct member *m = calloc(RUN_FINALISTS + 1, sizeof(*m));
	struct noise_final *v = malloc(sizeof(*v));
	int nm = m && v ? choose_finalists(rc, m) : 0;
	if (nm < 2) {
		drop_kept(rc);
		free(m);
		free(v);
		return 0;   /* nothing correct but the input: it stays */
	}
	assert(nm <= RUN_FINALISTS + 1 && m[0].num == 0);
	run_progress(rc, state, "%s: timing the %d finalists and the input again, interleaved "
	             "(up to %d rounds)", run_state_name(state), nm - 1, rounds);
	run_log(rc, "timing the %d finalists and the input again, interleaved (up to %d rounds, "
	        "until the verdict is decided)", nm - 1, rounds);
	for (int j = 0; j < nm; j++)
		m[j].rc = rc;
	run_tasks(nm, nm, build_member, m);
	drop_kept(rc);   /* what was not chosen */
	noise_final_init(v, nm, rounds);
	for (int j = 1; j < nm; j++)
		if (!m[j].built)
			noise_final_absent(v, j);
	/* without the input there is nothing to compare with */
	int64_t t0 = now_ns();
	int runs = m[0].built ? time_rounds(rc, m, nm, v, state) : 0;
	int64_t rounds_ns = now_ns() - t0;
	int64_t t_in = median_pos(v->t[0], v->rounds);
	int err = 0;
	if (!run_cancelled(rc) && m[0].built && t_in > 0)
		err = judge_rounds(rc, m, nm, v, t_in, runs, rounds_ns);
	for (int j = 0; j < nm; j++)
		eval_free(&m[j].ev);
	free(m);
	free(v);
	return err;
}

void run_best_words(struct run_ctx *rc, char *buf, size_t len)
{
	struct cand_row in, b;
	double sp = 0;
	char d1[32] = "?", d2[32] = "?";
	if (rc->no_gain && rc->closest > 0) {
		snprintf(buf, len, "no significant improvement over the input (closest #%lld: %.2fx, "
		         "95%% interval %.2fx-%.2fx)", (long long)rc->closest, 1 / rc->closest_ratio,
		         1 / rc->closest_hi, 1 / rc->closest_lo);
		return;
	}
	if (store_cand_get(rc->host->writer, rc->rid, 0, &in) == 0) {
		if (store_cand_get(rc->host->writer, rc->rid, rc->best_num, &b) == 0) {
			sp = cand_speedup(&in, &b);
			fmt_duration(b.retime_ns > 0 ? b.retime_ns : b.time_ns, d1, sizeof(d1));
			fmt_duration(in.retime_ns > 0 && b.retime_ns > 0 ? in.retime_ns : in.time_ns, d2,
			             sizeof(d2));
			cand_row_clear(&b);
		}
		cand_row_clear(&in);
	}
	snprintf(buf, len, "best %.2fx (#%lld, %s vs %s)", sp > 0 ? sp : 1.0,
	         (long long)rc->best_num, d1, d2);
}

int run_tally(struct run_ctx *rc, struct cand_tally *t)
{
	struct cand_row *rows;
	int n;
	memset(t, 0, sizeof(*t));
	int err = store_cand_list(rc->host->writer, rc->rid, &rows, &n);
	if (err)
		return err;
	cand_tally(rows, n, t);
	cand_rows_free(rows, n);
	return 0;
}

struct task_pool {
	atomic_int next;
	int n;
	void (*fn)(void *arg, int i);
	void *arg;
};

static void *task_worker(void *arg)
{
	struct task_pool *p = arg;
	for (;;) {
		int i = atomic_fetch_add(&p->next, 1);
		if (i >= p->n)
			break;
		p->fn(p->arg, i);
	}
	return NULL;
}

void run_tasks(int n, int threads, void (*fn)(void *arg, int i), void *arg)
{
	struct task_pool p;
	atomic_store(&p.next, 0);
	p.n = n;
	p.fn = fn;
	p.arg = arg;
	if (threads > n)
		threads = n;
	if (threads < 1)
		threads = 1;
	pthread_t th[64];
	if (threads > 64)
		threads = 64;
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 1 << 20);
	int started = 0;
	for (int t = 1; t < threads; t++)
		if (pthread_create(&th[started], &a, task_worker, &p) == 0)
			started++;
	pthread_attr_destroy(&a);
	task_worker(&p);
	for (int t = 0; t < started; t++)
		pthread_join(th[t], NULL);
}

