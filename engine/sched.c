/*
 * sched.c - the scheduler: when a kernel's run starts, and its thread.
 *
 * One thread waits for a kernel's files to be quiet for the debounce time
 * (engine_file_changed sets the deadline), snapshots them into a new run
 * (or resumes a stored one: ctl start, a daemon's restart, a full disk
 * that has room again), starts the run's thread and joins it when the
 * driver returns. A new input while a run goes on supersedes it: the run
 * is asked to stop, and the new one starts on a later pass.
 *
 * What this file does not do: evaluate anything (driver.c, run.c) or
 * answer the mount (engine.c). It calls nothing in engine.c: a status line
 * and a change it makes go through the host (host_set_status, host_touch),
 * as a run's do.
 */
#include "engine/engine_int.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/core/config.h"
#include "engine/describe.h"
#include "targets/harness/harness.h"
#include "engine/driver.h"
#include "engine/core/run.h"

/* Files a run snapshots: everything but the input, config.json, the
 * engine's draft description, a harness.c the engine wrote (the run
 * writes its own, engine/describe.h) and hidden or backup files (editor
 * swap files must not go into a build). */
static bool goes_into_build(const struct file_row *f, const char *input_name)
{
	const char *name = f->name;
	if (name[0] == '.' || name[strlen(name) - 1] == '~')
		return false;
	if (!strcmp(name, input_name) || !strcmp(name, "config.json") ||
	    !strcmp(name, DESCRIBE_DRAFT))
		return false;
	if (!strcmp(name, "harness.c") && ac_harness_generated(f->data, f->size))
		return false;
	return true;
}

/* Files first, then the targets' table: cpu's input.c wins over any other
 * input beside it. */
const struct ac_target *sched_implied_target(const struct file_row *files, int n)
{
	const struct ac_target *cpu = ac_target_find("cpu");
	for (int i = 0; i < n; i++)
		if (!strcmp(files[i].name, cpu->input_name))
			return cpu;
	for (const struct ac_target *const *t = ac_target_all(); *t; t++)
		for (int i = 0; (*t)->input_name && i < n; i++)
			if (!strcmp(files[i].name, (*t)->input_name))
				return *t;
	return cpu;
}

/* Whether the files (names only) hold what a run with cfg needs: the
 * input, and the harness where the target takes one. Sets *t and
 * *input_name; when something is missing, writes the waiting line. */
static bool files_complete(const struct ac_config *cfg, const struct file_row *files, int n,
                           const struct ac_target **t, const char **input_name, char *line,
                           size_t len)
{
	*t = cfg->target ? ac_target_find(cfg->target)
	     : cfg->input ? ac_target_find("cpu") : sched_implied_target(files, n);
	*input_name = cfg->input ? cfg->input : (*t)->input_name;
	bool have_input = false;
	/* the cpu target's runs write a harness when the user brings none */
	bool have_harness = (*t)->harness_name == NULL || describe_supported((*t)->name);
	for (int i = 0; i < n; i++) {
		if (!strcmp(files[i].name, *input_name))
			have_input = true;
		if ((*t)->harness_name && !strcmp(files[i].name, (*t)->harness_name))
			have_harness = true;
	}
	if (have_input && have_harness)
		return true;
	/* without a target in config.json, say how another one is chosen */
	const char *hint = cfg->target || cfg->input ? ""
	                   : " (or input.cu for cuda, input.cl for opencl; or set "
	                     "\"target\" in config.json)";
	if (!have_input && !have_harness)
		snprintf(line, len, "waiting: copy %s and %s here%s", *input_name,
		         (*t)->harness_name, hint);
	else if (!have_input)
		snprintf(line, len, "waiting: %s is missing%s", *input_name, hint);
	else
		snprintf(line, len, "waiting: %s is missing (the %s target needs a harness of "
		         "yours; the engine writes one for the cpu target only)",
		         (*t)->harness_name, (*t)->name);
	return false;
}

void sched_note_written(struct engine *e, int64_t kid)
{
	struct store *s = e->host.writer;
	struct kernel_row k;
	if (store_kernel_get(s, kid, &k))
		return;
	enum run_state state = k.state;
	kernel_row_clear(&k);
	if (!run_state_idle(state))
		return;
	struct file_row *files, cfgrow;
	int n;
	if (store_file_list(s, kid, false, &files, &n))
		return;
	bool have_cfg = store_file_get(s, kid, "config.json", true, &cfgrow) == 0;
	struct ac_config cfg;
	char err[512], line[300];
	const struct ac_target *t;
	const char *input_name;
	enum run_state word = RS_COUNT;
	if (config_parse(have_cfg ? cfgrow.data : "", have_cfg ? cfgrow.size : 0, &cfg, err,
	                 sizeof(err)) == 0) {
		if (files_complete(&cfg, files, n, &t, &input_name, line, sizeof(line))) {
			word = RS_QUEUED;
			snprintf(line, sizeof(line), "%s", run_state_name(RS_QUEUED));
		} else if (state == RS_WAITING) {
			word = RS_WAITING;
		}
	}
	config_clear(&cfg);
	if (have_cfg)
		file_row_clear(&cfgrow);
	file_rows_free(files, n);
	if (word == RS_COUNT)
		return;
	/* Under the engine's lock, so that no run of this kernel starts in
	 * between (spawn_driver holds it) and a run's own status is never
	 * overwritten. Not logged: create_run logs the same words when it
	 * acts. */
	pthread_mutex_lock(&e->lock);
	struct kernel *kk = kernel_find(e, kid);
	bool idle = kk && !kk->run && !kk->deleted;
	if (idle)
		host_stored(store_kernel_set_status(s, kid, word, line, now_ns()),
		            "a status line");
	pthread_mutex_unlock(&e->lock);
	if (idle)
		host_touch(&e->host, kid);
}

/* Creates a new run from the kernel's current files. Returns 0 and the run
 * id, -EAGAIN when a file is missing (status says which), or -errno. */
static int create_run(struct engine *e, int64_t kid, int64_t *rid)
{
	struct file_row *files;
	int n;
	int rc = store_file_list(e->host.writer, kid, true, &files, &n);
	if (rc)
		return rc;
	const char *config = "";
	size_t config_len = 0;
	for (int i = 0; i < n; i++)
		if (!strcmp(files[i].name, "config.json")) {
			config = files[i].data;
			config_len = files[i].size;
		}
	struct ac_config cfg;
	char err[512];
	if (config_parse(config, config_len, &cfg, err, sizeof(err))) {
		char line[700];
		snprintf(line, sizeof(line), "failed: %s", err);
		host_set_status(&e->host, kid, RS_FAILED, line, true);
		file_rows_free(files, n);
		return -EINVAL;
	}
	const struct ac_target *t;
	const char *input_name;
	char line[300];
	if (!files_complete(&cfg, files, n, &t, &input_name, line, sizeof(line))) {
		host_set_status(&e->host, kid, RS_WAITING, line, true);
		config_clear(&cfg);
		file_rows_free(files, n);
		return -EAGAIN;
	}
	const char *input = NULL;
	for (int i = 0; i < n; i++)
		if (!strcmp(files[i].name, input_name))
			input = files[i].data;
	struct ac_file *af = calloc((size_t)n + 1, sizeof(*af));
	size_t naf = 0;
	for (int i = 0; af && i < n; i++) {
		if (!goes_into_build(&files[i], input_name))
			continue;
		af[naf].name = files[i].name;
		af[naf].data = files[i].data;
		af[naf].size = files[i].size;
		naf++;
	}
	rc = af ? store_run_create(e->host.writer, kid, t->name, input_name, input, config, af, naf,
	                           rid)
	        : -ENOMEM;
	free(af);
	config_clear(&cfg);
	file_rows_free(files, n);
	if (!rc)
		host_set_status(&e->host, kid, RS_QUEUED, run_state_name(RS_QUEUED), true);
	return rc;
}

/* The thread of one run: the driver, then the scheduler's bookkeeping. A
 * run paused by a full disk is due again in NOSPACE_RETRY_NS. */
static void *run_thread(void *arg)
{
	struct kernel *k = arg;
	struct engine *e = k->engine;
	struct run_ctx *rc = k->run;
	enum run_cancel why = driver_run(rc);

	pthread_mutex_lock(&e->lock);
	if (why == RUN_NOSPACE && !k->deleted && !e->stopping && !k->due_mono_ns) {
		k->resume_rid = rc->rid;
		k->due_mono_ns = mono_ns() + NOSPACE_RETRY_NS;
	}
	atomic_store(&k->thread_done, true);
	pthread_cond_broadcast(&e->wake);
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

/* Starts a run's thread for run rid of kernel k. Called with e->lock held. */
static int spawn_driver(struct engine *e, struct kernel *k, int64_t rid)
{
	assert(!k->run);
	struct run_ctx *rc = calloc(1, sizeof(*rc));
	if (!rc)
		return -ENOMEM;
	rc->host = &e->host;
	rc->kid = k->id;
	rc->rid = rid;
	rc->best_num = -1;
	pthread_mutex_init(&rc->lock, NULL);
	snprintf(rc->kernel_name, sizeof(rc->kernel_name), "%s", k->name);
	atomic_store(&rc->cancel, RUN_GO);
	k->run = rc;
	k->engine = e;
	atomic_store(&k->thread_done, false);
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 1 << 20);
	int r = pthread_create(&k->thread, &a, run_thread, k);
	pthread_attr_destroy(&a);
	if (r) {
		k->run = NULL;
		pthread_mutex_destroy(&rc->lock);
		free(rc);
		return -r;
	}
	return 0;
}

/* Joins a finished driver and frees its context. Called with e->lock held;
 * drops it while joining. */
static void reap_locked(struct engine *e, struct kernel *k)
{
	struct run_ctx *rc = k->run;
	pthread_t th = k->thread;
	pthread_mutex_unlock(&e->lock);
	pthread_join(th, NULL);
	pthread_mutex_lock(&e->lock);
	k->run = NULL;
	pthread_mutex_destroy(&rc->lock);
	free(rc);
}

static void *scheduler_main(void *arg)
{
	struct engine *e = arg;
	pthread_mutex_lock(&e->lock);
	while (!e->stopping) {
		int64_t now = mono_ns();
		int64_t next = now + 200000000; /* poll reaping at least every 200 ms */
		for (int i = 0; i < e->nkernels && !e->stopping; i++) {
			struct kernel *k = e->kernels[i];
			if (k->run && atomic_load(&k->thread_done))
				reap_locked(e, k);
			if (k->deleted || !k->due_mono_ns)
				continue;
			if (k->due_mono_ns > now) {
				if (k->due_mono_ns < next)
					next = k->due_mono_ns;
				continue;
			}
			if (k->run) {
				/* a new input supersedes the running search: stop it,
				 * then start on a later pass */
				if (atomic_load(&k->run->cancel) == RUN_GO)
					atomic_store(&k->run->cancel, RUN_SUPERSEDED);
				continue;
			}
			k->due_mono_ns = 0;
			int64_t rid = k->resume_rid;
			k->resume_rid = 0;
			int64_t kid = k->id;
			pthread_mutex_unlock(&e->lock);
			int rc = 0;
			if (rid) {
				/* the driver says so again as it starts: not worth stopping for */
				host_stored(store_run_set_state(e->host.writer, rid, RS_QUEUED, false),
				            "a resumed run's state");
			} else {
				rc = create_run(e, kid, &rid);
			}
			pthread_mutex_lock(&e->lock);
			if (!rc && !k->deleted && !k->run && !e->stopping)
				spawn_driver(e, k, rid);
			/* the array may have grown while unlocked: restart the scan */
			i = -1;
			now = mono_ns();
		}
		struct timespec ts;
		int64_t wait = next - mono_ns();
		if (wait < 1000000)
			wait = 1000000;
		clock_gettime(CLOCK_REALTIME, &ts);
		int64_t abs_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + wait;
		ts.tv_sec = abs_ns / 1000000000;
		ts.tv_nsec = abs_ns % 1000000000;
		pthread_cond_timedwait(&e->wake, &e->lock, &ts);
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

void sched_cancel_locked(struct kernel *k, int reason)
{
	if (k->run)
		atomic_store(&k->run->cancel, reason);
}

int sched_start(struct engine *e)
{
	int64_t *rids = NULL;
	int n = 0;
	store_runs_unfinished(e->host.writer, &rids, &n);
	pthread_mutex_lock(&e->lock);
	for (int i = 0; i < n; i++) {
		struct run_row r;
		if (store_run_get(e->host.writer, rids[i], &r) == 0) {
			struct kernel *k = kernel_find(e, r.kernel_id);
			if (k) {
				k->resume_rid = r.id;
				k->due_mono_ns = mono_ns();
			}
		}
		run_row_clear(&r);
	}
	pthread_mutex_unlock(&e->lock);
	free(rids);
	if (pthread_create(&e->scheduler, NULL, scheduler_main, e))
		return -EAGAIN;
	return 0;
}

void sched_stop(struct engine *e)
{
	pthread_mutex_lock(&e->lock);
	e->stopping = true;
	for (int i = 0; i < e->nkernels; i++)
		if (e->kernels[i]->run && atomic_load(&e->kernels[i]->run->cancel) == RUN_GO)
			atomic_store(&e->kernels[i]->run->cancel, RUN_SHUTDOWN);
	pthread_cond_broadcast(&e->wake);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->scheduler, NULL);
	pthread_mutex_lock(&e->lock);
	for (int i = 0; i < e->nkernels; i++)
		if (e->kernels[i]->run)
			reap_locked(e, e->kernels[i]);
	pthread_mutex_unlock(&e->lock);
}
