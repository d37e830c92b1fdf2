/*
 * driver.c - one run, from its stored row to its final state (driver.h).
 *
 * Everything a run learns is stored before it is acted on, so a run can
 * be resumed by a new daemon from the store alone: driver_restore reads
 * back the best and the input's time, and a baseline already evaluated is
 * not evaluated again.
 */
#include "engine/driver.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/core/config.h"
#include "engine/describe.h"
#include "engine/core/host.h"
#include "engine/search/search.h"
#include "engine/core/state.h"
#include "engine/util/util.h"
#include "targets/exec/fileio.h"

/* Loads what the run needs: row, config, target, file snapshot. */
static int driver_load(struct run_ctx *rc)
{
	struct run_host *h = rc->host;
	int err = store_run_get(h->writer, rc->rid, &rc->row);
	if (err)
		return err;
	char msg[512];
	if (config_parse(rc->row.config, strlen(rc->row.config), &rc->cfg, msg, sizeof(msg))) {
		run_status(rc, RS_FAILED, "failed: %s", msg);
		return -EINVAL;
	}
	rc->target = ac_target_find(rc->row.target);
	if (!rc->target) {
		run_status(rc, RS_FAILED, "failed: unknown target %s", rc->row.target);
		return -EINVAL;
	}
	rc->executor = config_executor(rc->cfg.executor, h->executor);
	rc->topts.cc = rc->cfg.cc;
	rc->topts.cflags = rc->cfg.cflags;
	rc->topts.arch = rc->cfg.arch;
	rc->topts.command = rc->cfg.command;
	rc->topts.timeout_s = rc->cfg.timeout_s;
	rc->topts.cpu = -1;
	rc->topts.cores = rc->cfg.cores > 0 ? rc->cfg.cores : h->cores;
	if (rc->executor == &ac_executor_local && rc->topts.cores > host_cores_max()) {
		run_status(rc, RS_FAILED, "failed: cores is %d, and this machine has %d: a timed run "
		           "gets at most every core", rc->topts.cores, host_cores_max());
		return -EINVAL;
	}
	err = store_run_files(h->writer, rc->rid, &rc->files, &rc->nfiles);
	if (err)
		return err;
	rc->afiles = calloc((size_t)rc->nfiles + 1, sizeof(*rc->afiles));
	if (!rc->afiles)
		return -ENOMEM;
	for (int i = 0; i < rc->nfiles; i++) {
		rc->afiles[i].name = rc->files[i].name;
		rc->afiles[i].data = rc->files[i].data;
		rc->afiles[i].size = rc->files[i].size;
	}
	snprintf(rc->run_dir, sizeof(rc->run_dir), "%s/run-%lld", h->scratch_dir,
	         (long long)rc->rid);
	err = mkdir_p(rc->run_dir, 0711);
	if (err)
		return err;
	chmod(rc->run_dir, 0711);   /* whatever the umask: the sandbox user passes through */
	rc->tokens = rc->row.tokens;
	rc->started_mono_ns = mono_ns();
	return 0;
}

/* Restores best and the input's time from stored candidates (resume),
 * and says in the log what a resumed run kept. */
static void driver_restore(struct run_ctx *rc)
{
	struct cand_row *rows;
	int n;
	if (store_cand_list(rc->host->writer, rc->rid, &rows, &n))
		return;
	if (n > 0) {
		struct cand_tally t;
		char counted[160], best[96] = "";
		cand_tally(rows, n, &t);
		cand_tally_words(&t, counted, sizeof(counted));
		for (int i = 0; i < n; i++)
			if (rows[i].num == rc->row.best && rc->row.best > 0)
				snprintf(best, sizeof(best), ", best #%lld (%.2fx)", (long long)rows[i].num,
				         cand_speedup(&rows[0], &rows[i]));
		run_log(rc, "resumed: kept the input%s and %s%s; going on after iteration %d",
		        rows[0].outcome == AC_PENDING ? " (its baseline not timed yet)" : "",
		        counted, best, rc->row.iteration);
	}
	for (int i = 0; i < n; i++) {
		if (rows[i].outcome != AC_OK)
			continue;
		if (rows[i].num == 0)
			rc->input_time_ns = rows[i].time_ns;
	}
	if (rc->row.best >= 0) {
		for (int i = 0; i < n; i++)
			if (rows[i].num == rc->row.best && rows[i].outcome == AC_OK) {
				rc->best_num = rows[i].num;
				rc->best_time_ns = rows[i].time_ns;
				rc->best_spread = rows[i].spread;
			}
	}
	cand_rows_free(rows, n);
}

/* Why the baseline failed, in words, for "failed: ...". */
static void baseline_failure(const struct run_ctx *rc, const struct ac_result *r,
                             char *buf, size_t len)
{
	const char *m = r->message && r->message[0] ? r->message : NULL;
	switch (r->outcome) {
	case AC_BUILD_ERROR:
		snprintf(buf, len, "%s", m ? m : "the input does not build");
		break;
	case AC_WRONG:
		snprintf(buf, len, "the input is wrong against itself%s%s", m ? ": " : "",
		         m ? m : "");
		break;
	case AC_TIMEOUT:
		snprintf(buf, len, "the input timed out after %g s", rc->cfg.timeout_s);
		break;
	default:
		snprintf(buf, len, "the input %s%s%s",
		         r->outcome == AC_RUN_ERROR ? "did not run" : ac_outcome_name(r->outcome),
		         m ? ": " : "", m ? m : "");
		break;
	}
}

/* Refuses, before any build, a configuration that cannot run: config.json
 * was checked when written, but the mount's models may have changed since
 * (a daemon started without -o models). */
static int driver_check(struct run_ctx *rc)
{
	char *const *models = rc->cfg.models ? rc->cfg.models : rc->host->models;
	if (rc->cfg.strategy != STRATEGY_LLM || strv_len(models) > 0)
		return 0;
	run_status(rc, RS_FAILED, "failed: strategy \"llm\" needs a model (set \"models\" in "
	           "config.json, -o models=... or AUTOCOMP_MODELS)");
	run_set_state(rc, RS_FAILED);
	return -EINVAL;
}

static int driver_baseline(struct run_ctx *rc)
{
	struct cand_row c;
	int err = store_cand_get(rc->host->writer, rc->rid, 0, &c);
	if (err == -ENOENT) {
		memset(&c, 0, sizeof(c));
		c.num = 0;
		c.parent = -1;
		c.origin = ORIGIN_INPUT;
		c.plan = strdup("the input");
		c.source = strdup(rc->row.input);
		err = run_cand_add(rc, &c);
		cand_row_clear(&c);
		if (err)
			return err;
		err = store_cand_get(rc->host->writer, rc->rid, 0, &c);
	}
	if (err)
		return err;
	bool pending = c.outcome == AC_PENDING;
	struct ac_result r = {0};
	if (pending) {
		cand_row_clear(&c);
		run_status(rc, RS_BASELINE, "baseline: building and timing the input (%s target%s%s)",
		           rc->target->name, rc->call_note[0] ? "; " : "", rc->call_note);
		err = run_evaluate(rc, 0, &r);
		if (err) {
			ac_result_clear(&r);
			return err;
		}
	} else {
		r.outcome = c.outcome;
		r.time_ns = c.time_ns;
		r.message = c.message ? strdup(c.message) : NULL;
		cand_row_clear(&c);
	}
	if (r.outcome != AC_OK) {
		char why[600];
		baseline_failure(rc, &r, why, sizeof(why));
		run_status(rc, RS_FAILED, "failed: %s (see candidates/0.log)", why);
		run_set_state(rc, RS_FAILED);
		ac_result_clear(&r);
		return -ENOEXEC;
	}
	rc->input_time_ns = r.time_ns;
	if (rc->best_num < 0)
		err = run_offer_best(rc, 0, r.time_ns, r.spread);
	ac_result_clear(&r);
	return err;
}

static void driver_free(struct run_ctx *rc)
{
	run_row_clear(&rc->row);
	config_clear(&rc->cfg);
	file_rows_free(rc->files, rc->nfiles);
	free(rc->afiles);
	free(rc->call_words);
	rc->call_words = NULL;
	rc->files = NULL;
	rc->afiles = NULL;
	if (rc->run_dir[0])
		ac_remove_tree(rc->run_dir);
}

enum run_cancel driver_run(struct run_ctx *rc)
{
	assert(rc->host && rc->rid > 0);
	rc->full_mark = store_full_count();
	int err = driver_load(rc);
	if (!err) {
		driver_restore(rc);
		run_set_state(rc, RS_BASELINE);
		/* a disk still full shows here, before anything is asked or built */
		err = run_cancelled(rc) ? -ECANCELED : driver_check(rc);
		if (!err)
			err = run_cancelled(rc) ? -ECANCELED : describe_run(rc);
		if (!err)
			err = run_cancelled(rc) ? -ECANCELED : driver_baseline(rc);
	}
	if (!err && !run_cancelled(rc)) {
		run_set_state(rc, RS_SEARCHING);
		err = search_phase(rc);
		if (!err && !run_cancelled(rc))
			run_set_state(rc, RS_DONE);
	}
	run_cancelled(rc);   /* notices a write that failed for want of space */
	enum run_cancel why = atomic_load(&rc->cancel);
	if (why == RUN_GO && err == -ENOSPC)
		why = RUN_NOSPACE;
	if (why == RUN_NOSPACE) {
		/* The run stays unfinished in the store and is resumed in a few
		 * seconds; this line is stored only if there is room for it. */
		atomic_store(&rc->host->full_mono_ns, mono_ns());
		run_status(rc, RS_WAITING, "waiting: the disk of the state directory is full (%s); "
		           "the run goes on by itself when there is space", strerror(ENOSPC));
	} else if (why == RUN_STOP || why == RUN_SUPERSEDED) {
		run_set_state(rc, RS_STOPPED);
		char d[32] = "-";
		if (rc->best_time_ns > 0)
			fmt_duration(rc->best_time_ns, d, sizeof(d));
		struct cand_tally t;
		char counted[160];
		run_tally(rc, &t);
		cand_tally_words(&t, counted, sizeof(counted));
		if (why == RUN_STOP)
			run_status(rc, RS_STOPPED, "stopped: by ctl after %s, best %s (#%lld); "
			           "write start to ctl to go on", counted, d, (long long)rc->best_num);
		else
			run_status(rc, RS_STOPPED, "stopped: superseded by a new run");
	} else if (why == RUN_SHUTDOWN) {
		/* the state stays as it is: the next daemon resumes the run */
		struct cand_tally t;
		char counted[160];
		run_tally(rc, &t);
		cand_tally_words(&t, counted, sizeof(counted));
		run_log(rc, "stopped by unmount: %s kept; the next mount on this state directory "
		        "resumes the run", counted);
	} else if (err && err != -ENOEXEC && err != -EINVAL && why == RUN_GO) {
		run_set_state(rc, RS_FAILED);
		run_status(rc, RS_FAILED, "failed: internal error: %s", strerror(-err));
	}
	driver_free(rc);
	return why;
}
