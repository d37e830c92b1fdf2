/*
 * engine.c - the engine's facade: what the mount calls (engine.h).
 *
 * Kernels in memory (per-kernel versions for the mount's caches, the
 * debounce deadline, the active run), the state directory (its lock, its
 * identity, the scratch directory), ctl commands, the `targets` probe and
 * the root status's totals. Everything here returns at once: runs start
 * on the scheduler's thread (sched.c) and go on their own (driver.c).
 *
 * What this file does not do: render anything the mount shows (fs/), talk
 * to an LLM (llm.c), evaluate a candidate (run.c) or know how a target
 * builds (targets/).
 */
#include "engine/engine_int.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/core/calldesc.h"
#include "engine/core/config.h"
#include "engine/llm/llm.h"
#include "engine/search/menubuild.h"
#include "engine/core/run.h"
#include "engine/core/scratch.h"
#include "engine/core/sigcache.h"
#include "targets/exec/fileio.h"

/* ---- what the mount and the host ask ---- */

/* Each thread that reads the store gets a connection of its own: the
 * mount's request threads and its refresher never queue behind each
 * other's queries (a long render holds its connection, not theirs). The
 * page cache of each is kept small; the connection goes when its thread
 * exits, or with the engine. A thread whose connection cannot be opened
 * shares host.reader (marked by the key pointing at the engine itself). */
#define READER_CACHE_KIB 128

struct reader {
	struct engine *e;
	struct store *s;
	struct reader *next;
};

/* The key's destructor: the thread exits, its connection goes. */
static void reader_gone(void *arg)
{
	struct reader *r = arg;
	if (!r || (void *)r == (void *)r->e)
		return;
	struct engine *e = r->e;
	pthread_mutex_lock(&e->readers_lock);
	for (struct reader **p = &e->readers; *p; p = &(*p)->next) {
		if (*p == r) {
			*p = r->next;
			break;
		}
	}
	pthread_mutex_unlock(&e->readers_lock);
	store_close(r->s);
	free(r);
}

struct store *engine_reader(struct engine *e)
{
	if (!e->reader_key_made)
		return e->host.reader;
	void *got = pthread_getspecific(e->reader_key);
	if (got == (void *)e)
		return e->host.reader;
	if (got)
		return ((struct reader *)got)->s;
	struct reader *r = calloc(1, sizeof(*r));
	char err[256];
	if (!r || store_open(e->db_path, &r->s, err, sizeof(err))) {
		free(r);
		pthread_setspecific(e->reader_key, e);
		return e->host.reader;
	}
	/* a smaller cache only costs re-reads from the OS's page cache */
	store_cache_limit(r->s, READER_CACHE_KIB);
	r->e = e;
	pthread_mutex_lock(&e->readers_lock);
	r->next = e->readers;
	e->readers = r;
	pthread_mutex_unlock(&e->readers_lock);
	pthread_setspecific(e->reader_key, r);
	return r->s;
}

/* Closes every thread's reader; no thread may read any more. */
static void readers_close(struct engine *e)
{
	if (!e->reader_key_made)
		return;
	pthread_key_delete(e->reader_key);
	e->reader_key_made = false;
	while (e->readers) {
		struct reader *r = e->readers;
		e->readers = r->next;
		store_close(r->s);
		free(r);
	}
	pthread_mutex_destroy(&e->readers_lock);
}

struct store *engine_writer(struct engine *e)
{
	return e->host.writer;
}

uint64_t engine_version(struct engine *e)
{
	return atomic_load(&e->version);
}

/* Something changed: a new global version, and engine_wait_change's
 * waiters woken. */
static void changed(struct engine *e)
{
	atomic_fetch_add(&e->version, 1);
	pthread_mutex_lock(&e->change_lock);
	pthread_cond_broadcast(&e->change_cond);
	pthread_mutex_unlock(&e->change_lock);
}

uint64_t engine_wait_change(struct engine *e, uint64_t seen, int timeout_ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t at = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + (int64_t)timeout_ms * 1000000;
	ts.tv_sec = at / 1000000000;
	ts.tv_nsec = at % 1000000000;
	pthread_mutex_lock(&e->change_lock);
	uint64_t v = atomic_load(&e->version);
	while (v == seen && !e->woken &&
	       pthread_cond_timedwait(&e->change_cond, &e->change_lock, &ts) == 0)
		v = atomic_load(&e->version);
	v = atomic_load(&e->version);
	e->woken = false;
	pthread_mutex_unlock(&e->change_lock);
	return v;
}

void engine_wake(struct engine *e)
{
	pthread_mutex_lock(&e->change_lock);
	e->woken = true;
	pthread_cond_broadcast(&e->change_cond);
	pthread_mutex_unlock(&e->change_lock);
}

static struct kernel *find_name(struct engine *e, const char *name)
{
	for (int i = 0; i < e->nkernels; i++)
		if (!e->kernels[i]->deleted && !strcmp(e->kernels[i]->name, name))
			return e->kernels[i];
	return NULL;
}

uint64_t engine_kernel_version(struct engine *e, int64_t kid)
{
	pthread_mutex_lock(&e->lock);
	struct kernel *k = kernel_find(e, kid);
	uint64_t v = k ? atomic_load(&k->version) : 0;
	pthread_mutex_unlock(&e->lock);
	return v;
}

uint64_t engine_kernel_log_version(struct engine *e, int64_t kid)
{
	pthread_mutex_lock(&e->lock);
	struct kernel *k = kernel_find(e, kid);
	uint64_t v = k ? atomic_load(&k->log_version) : 0;
	pthread_mutex_unlock(&e->lock);
	return v;
}

static void touch_kernel(struct engine *e, struct kernel *k)
{
	if (k)
		atomic_fetch_add(&k->version, 1);
	changed(e);
}

void engine_touch(struct engine *e, int64_t kid)
{
	pthread_mutex_lock(&e->lock);
	touch_kernel(e, kernel_find(e, kid));
	pthread_mutex_unlock(&e->lock);
}

void engine_touch_log(struct engine *e, int64_t kid)
{
	pthread_mutex_lock(&e->lock);
	struct kernel *k = kernel_find(e, kid);
	if (k)
		atomic_fetch_add(&k->log_version, 1);
	changed(e);
	pthread_mutex_unlock(&e->lock);
}

int engine_kernel_id(struct engine *e, const char *name, int64_t *kid)
{
	pthread_mutex_lock(&e->lock);
	struct kernel *k = find_name(e, name);
	if (k)
		*kid = k->id;
	pthread_mutex_unlock(&e->lock);
	return k ? 0 : -ENOENT;
}

void engine_log(struct engine *e, int64_t kid, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	host_vlog(&e->host, kid, fmt, ap);
	va_end(ap);
}

/* The host's side (host.h): what a run tells the engine. */
static void host_touched(void *arg, int64_t kid)
{
	engine_touch(arg, kid);
}

static void host_log_touched(void *arg, int64_t kid)
{
	engine_touch_log(arg, kid);
}

static char *host_targets_text(void *arg)
{
	return engine_targets_text(arg);
}

/* ---- the state directory and opening ---- */

/* Random hex into buf (n digits). */
static void random_hex(char *buf, size_t n)
{
	unsigned char raw[16] = {0};
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, raw, sizeof(raw)) < 0)
			memset(raw, 0, sizeof(raw));
		close(fd);
	}
	/* without /dev/urandom: the clock and pid still tell daemons apart */
	int64_t t = now_ns() ^ ((int64_t)getpid() << 20);
	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] ^= (unsigned char)(t >> (8 * (i % 8)));
	for (size_t i = 0; i < n && i / 2 < sizeof(raw); i++)
		buf[i] = "0123456789abcdef"[(raw[i / 2] >> (i % 2 ? 0 : 4)) & 15];
	buf[n] = '\0';
}

/* The state directory's identity, kept in STATE/id (made on first use),
 * and this daemon's incarnation: a cluster job's name carries both, so a
 * later daemon finds the jobs a killed one left (and not its own). */
static void load_identity(struct engine *e)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/id", e->state_dir);
	FILE *f = fopen(path, "r");
	char id[64] = "";
	if (f) {
		if (!fgets(id, sizeof(id), f))
			id[0] = '\0';
		fclose(f);
	}
	id[strcspn(id, "\n")] = '\0';
	bool ok = strlen(id) == 12;
	for (size_t i = 0; ok && id[i]; i++)
		ok = (id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f');
	if (!ok) {
		random_hex(id, 12);
		f = fopen(path, "w");
		if (f) {
			fprintf(f, "%s\n", id);
			fclose(f);
		}
	}
	snprintf(e->state_id, sizeof(e->state_id), "%s", id);
	random_hex(e->incarnation, 6);
}

static int lock_state_dir(struct engine *e, char *err, size_t errlen)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/lock", e->state_dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		char pid[32] = "";
		ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
		if (n > 0)
			pid[n] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		snprintf(err, errlen, "state directory %s is in use by another autocompfs%s%s%s "
		         "(the database is locked); unmount it first",
		         e->state_dir, pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "");
		close(fd);
		return -EBUSY;
	}
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) < 0)
		fprintf(stderr, "autocompfs: cannot write %s\n", path);
	e->lock_fd = fd;
	return 0;
}

static int load_kernels(struct engine *e)
{
	struct kernel_row *rows;
	int n;
	int rc = store_kernel_list(e->host.writer, &rows, &n);
	if (rc)
		return rc;
	for (int i = 0; i < n && !rc; i++) {
		struct kernel *k = calloc(1, sizeof(*k));
		struct kernel **p = realloc(e->kernels, (size_t)(e->nkernels + 1) * sizeof(*p));
		if (!k || !p) {
			free(k);
			if (p)
				e->kernels = p;
			rc = -ENOMEM;
			break;
		}
		e->kernels = p;
		k->id = rows[i].id;
		snprintf(k->name, sizeof(k->name), "%s", rows[i].name);
		e->kernels[e->nkernels++] = k;
	}
	kernel_rows_free(rows, n);
	return rc;
}

/* Scratch directories (one per build and run) must be reachable by their
 * path for the sandbox to run candidates as its unprivileged user (see
 * ac_sandbox_run: every ancestor searchable by "nobody"); otherwise it
 * keeps root, and a candidate could read the daemon's environment and
 * write the database. The state directory is private (0700), so a daemon
 * running as root keeps them in a fresh directory of its own under /tmp
 * (0711: others may pass through, not list), noted in STATE/scratch-dir so
 * that the next start removes what a killed daemon left there, and holding
 * an owner record so that any later daemon removes it once its daemon is
 * dead and its state directory gone (scratch.h). A daemon
 * that is not root has no uid to drop to and keeps them in STATE/scratch. */
static int open_scratch(struct engine *e, char *err, size_t errlen)
{
	static const char prefix[] = "/tmp/autocompfs-scratch-";
	char path[sizeof(e->state_dir) + 16];
	char old[PATH_MAX] = "";
	struct stat st;

	snprintf(path, sizeof(path), "%s/scratch", e->state_dir);
	ac_remove_tree(path);
	if (geteuid() != 0) {
		snprintf(e->scratch_dir, sizeof(e->scratch_dir), "%s", path);
		return mkdir_p(path, 0700);
	}
	snprintf(path, sizeof(path), "%s/scratch-dir", e->state_dir);
	FILE *f = fopen(path, "r");
	if (f) {
		if (!fgets(old, sizeof(old), f))
			old[0] = '\0';
		fclose(f);
		old[strcspn(old, "\n")] = '\0';
	}
	/* only a directory we made: a note edited to name another is ignored */
	if (!strncmp(old, prefix, sizeof(prefix) - 1) && !strstr(old, "/..") &&
	    lstat(old, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0)
		ac_remove_tree(old);
	/* and those of daemons that died with their state directory */
	scratch_sweep("/tmp", "autocompfs-scratch-");
	snprintf(e->scratch_dir, sizeof(e->scratch_dir), "%sXXXXXX", prefix);
	if (!mkdtemp(e->scratch_dir) || chmod(e->scratch_dir, 0711) < 0) {
		int rc = -errno;
		snprintf(err, errlen, "cannot create a scratch directory under /tmp: %s",
		         strerror(errno));
		e->scratch_dir[0] = '\0';
		return rc;
	}
	e->scratch_own = true;
	scratch_mark_owner(e->scratch_dir, e->state_dir);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%s\n", e->scratch_dir);
		fclose(f);
	}
	return 0;
}

int engine_open(const struct engine_opts *o, struct engine **out, char *err, size_t errlen)
{
	struct engine *e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	e->opts = *o;
	e->lock_fd = -1;
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->wake, NULL);
	pthread_mutex_init(&e->change_lock, NULL);
	pthread_cond_init(&e->change_cond, NULL);
	pthread_mutex_init(&e->readers_lock, NULL);
	e->reader_key_made = pthread_key_create(&e->reader_key, reader_gone) == 0;
	if (!e->reader_key_made)
		pthread_mutex_destroy(&e->readers_lock);
	host_init(&e->host, o->build_jobs, o->slots);
	e->host.cores = o->cores > 0 ? o->cores : 1;
	e->host.executor = config_executor(o->executor, &ac_executor_local);
	e->host.touch = host_touched;
	e->host.touch_log = host_log_touched;
	e->host.targets_text = host_targets_text;
	e->host.arg = e;
	e->host.state_dir = e->state_dir;
	e->host.scratch_dir = e->scratch_dir;
	e->host.state_id = e->state_id;
	e->host.incarnation = e->incarnation;
	e->host.reasoning_effort = o->reasoning_effort;
	e->host.thinking_budget = o->thinking_budget;
	e->host.max_output_tokens = o->max_output_tokens;
	pthread_mutex_init(&e->targets_lock, NULL);
	e->debounce_ns = (int64_t)((o->debounce_s >= 0 ? o->debounce_s : 0.3) * 1e9);
	if (strlen(o->state_dir) >= sizeof(e->state_dir)) {
		snprintf(err, errlen, "state directory path is too long");
		engine_free(e);
		return -ENAMETOOLONG;
	}
	snprintf(e->state_dir, sizeof(e->state_dir), "%s", o->state_dir);
	e->opts.state_dir = e->state_dir;
	if (o->models) {
		int n = strv_len(o->models);
		e->models = calloc((size_t)n + 1, sizeof(char *));
		for (int i = 0; e->models && i < n; i++)
			e->models[i] = strdup(o->models[i]);
	}
	e->opts.models = e->models;
	e->host.models = e->models;
	struct llm_client_opts lo = {.max_in_flight = o->llm_in_flight > 0 ? o->llm_in_flight : 4};
	e->host.llm = llm_client_new(&lo);
	if (!e->host.llm) {
		snprintf(err, errlen, "cannot set up the LLM client");
		engine_free(e);
		return -ENOMEM;
	}

	int rc = mkdir_p(e->state_dir, 0700);
	if (rc) {
		snprintf(err, errlen, "cannot create state directory %s: %s", e->state_dir,
		         strerror(-rc));
		engine_free(e);
		return rc;
	}
	chmod(e->state_dir, 0700);
	rc = lock_state_dir(e, err, errlen);
	if (rc) {
		engine_free(e);
		return rc;
	}
	load_identity(e);
	char *db = e->db_path;
	snprintf(e->db_path, sizeof(e->db_path), "%s/autocompfs.db", e->state_dir);
	int fd = open(db, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	rc = store_open(db, &e->host.writer, err, errlen);
	if (!rc)
		rc = store_open(db, &e->host.reader, err, errlen);
	if (!rc)
		rc = load_kernels(e);
	if (rc) {
		if (!err[0])
			snprintf(err, errlen, "cannot load %s: %s", db, strerror(-rc));
		engine_free(e);
		return rc;
	}
	rc = open_scratch(e, err, errlen);
	if (rc) {
		engine_free(e);
		return rc;
	}
	*out = e;
	return 0;
}

/* ---- targets ---- */

/* The executor lines of `targets`; for Slurm also sizes the pool and
 * cancels the jobs an earlier daemon of this state directory left. */
static void probe_executors(struct engine *e, struct strbuf *sb)
{
	const struct ac_executor *ex[] = {&ac_executor_local, &ac_executor_slurm};
	for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		char line[512] = "";
		int rc = ex[i]->probe(NULL, line, sizeof(line));
		const char *dflt = ex[i] == e->host.executor ? " (the mount's default)" : "";
		if (ex[i] == &ac_executor_slurm && rc == 0) {
			int n = ex[i]->slots(NULL);
			pthread_mutex_lock(&e->host.slurm.lock);
			if (!e->host.slurm.fixed && n > 0) {
				e->host.slurm.total = n;
				e->host.slurm.checked_ns = mono_ns();
			}
			int total = e->host.slurm.total;
			snprintf(e->host.slurm.where, sizeof(e->host.slurm.where), "%s", line);
			pthread_cond_broadcast(&e->host.slurm.cond);
			pthread_mutex_unlock(&e->host.slurm.lock);
			sb_addf(sb, "executor slurm: available%s, %s; up to %d timed runs at once%s\n",
			        dflt, line, total, e->host.slurm.fixed ? " (slots=)" : "");
			char prefix[64], keep[64], what[1024];
			snprintf(prefix, sizeof(prefix), "ac-%s-", e->state_id);
			snprintf(keep, sizeof(keep), "ac-%s-%s-", e->state_id, e->incarnation);
			if (ex[i]->cleanup(prefix, keep, what, sizeof(what)) > 0)
				fprintf(stderr, "autocompfs: %s\n", what);
		} else if (rc == 0) {
			sb_addf(sb, "executor %s: available%s, %s\n", ex[i]->name, dflt, line);
		} else {
			sb_addf(sb, "executor %s: unavailable%s: %s\n", ex[i]->name, dflt, line);
		}
	}
}

static void *probe_main(void *arg)
{
	struct engine *e = arg;
	struct strbuf sb = {0};
	const struct ac_target *const *all = ac_target_all();
	for (int i = 0; all[i]; i++) {
		char line[512] = "";
		int rc = all[i]->probe ? all[i]->probe(line, sizeof(line)) : 0;
		if (rc == 0)
			sb_addf(&sb, "%s: available, %s\n", all[i]->name, line);
		else
			sb_addf(&sb, "%s: unavailable: %s\n", all[i]->name, line);
	}
	probe_executors(e, &sb);
	pthread_mutex_lock(&e->targets_lock);
	free(e->targets_text);
	e->targets_text = sb_detach(&sb);
	pthread_mutex_unlock(&e->targets_lock);
	changed(e);
	return NULL;
}

char *engine_targets_text(struct engine *e)
{
	pthread_mutex_lock(&e->targets_lock);
	char *t = e->targets_text ? strdup(e->targets_text) : NULL;
	pthread_mutex_unlock(&e->targets_lock);
	if (t)
		return t;
	struct strbuf sb = {0};
	const struct ac_target *const *all = ac_target_all();
	for (int i = 0; all[i]; i++)
		sb_addf(&sb, "%s: probing\n", all[i]->name);
	return sb_detach(&sb);
}

void engine_totals(struct engine *e, const struct engine_sums *sums, struct strbuf *sb)
{
	int running = 0, queued = 0;
	pthread_mutex_lock(&e->lock);
	for (int i = 0; i < e->nkernels; i++) {
		struct kernel *k = e->kernels[i];
		if (k->deleted)
			continue;
		if (k->run)
			running++;
		if (k->due_mono_ns)
			queued++;
	}
	int nk = 0;
	for (int i = 0; i < e->nkernels; i++)
		nk += !e->kernels[i]->deleted;
	pthread_mutex_unlock(&e->lock);
	char counted[200];
	cand_tally_words(&sums->tally, counted, sizeof(counted));
	sb_addf(sb, "engine: %d kernels, %d running, %d queued; builds %d/%d busy, %d waiting; "
	        "timed runs waiting %d; %s; tokens %ld",
	        nk, running, queued, e->host.build_jobs - e->host.builds_free, e->host.build_jobs,
	        atomic_load(&e->host.builds_waiting), atomic_load(&e->host.timing_waiting),
	        counted, sums->tokens);
	if (sums->reasoning)
		sb_addf(sb, " (%ld reasoning)", sums->reasoning);
	/* what every kernel's runs cost, from the store: a deleted kernel's
	 * calls go with it, a restarted daemon still counts the earlier ones */
	double cost = 0;
	store_call_cost(engine_reader(e), -1, &cost);
	long long mine = atomic_load(&e->host.cost_microdollars);
	if (cost > 0)
		sb_addf(sb, "; cost $%.4f (this daemon $%.4f)", cost, (double)mine / 1e6);
	char *menus = menubuild_state(&e->host);
	if (menus && menus[0])
		sb_addf(sb, "; menus: %s", menus);
	free(menus);
	sb_adds(sb, "; models: ");
	if (!e->models || !e->models[0])
		sb_adds(sb, "none");
	for (int i = 0; e->models && e->models[i]; i++)
		sb_addf(sb, "%s%s", i ? "," : "", e->models[i]);
	pthread_mutex_lock(&e->host.slurm.lock);
	bool slurm_used = e->host.slurm.used || e->host.executor == &ac_executor_slurm;
	int sbusy = e->host.slurm.busy, stotal = e->host.slurm.total;
	char where[sizeof(e->host.slurm.where)];
	snprintf(where, sizeof(where), "%s", e->host.slurm.where);
	pthread_mutex_unlock(&e->host.slurm.lock);
	if (slurm_used) {
		char why[600] = "";
		sb_addf(sb, "; slurm: %s%s%d/%d timed runs, %d waiting", where, where[0] ? ", " : "",
		        sbusy, stotal, atomic_load(&e->host.slurm.waiting));
		ac_executor_slurm.status(why, sizeof(why));
		if (why[0])
			sb_addf(sb, "; %s", why);
	}
	/* Rendered from memory: with the disk full no status can be stored. */
	int64_t full = atomic_load(&e->host.full_mono_ns);
	if (full && mono_ns() - full < 3 * NOSPACE_RETRY_NS)
		sb_addf(sb, "; the disk of the state directory %s is full: runs are paused and go "
		        "on by themselves when there is space", e->state_dir);
	sb_adds(sb, "\n");
}

/* ---- kernels ---- */

int engine_kernel_create(struct engine *e, const char *name)
{
	if (!kernel_name_valid(name))
		return -EINVAL;
	pthread_mutex_lock(&e->lock);
	int rc = find_name(e, name) ? -EEXIST : 0;
	struct kernel *k = NULL;
	if (!rc) {
		k = calloc(1, sizeof(*k));
		struct kernel **p = realloc(e->kernels, (size_t)(e->nkernels + 1) * sizeof(*p));
		if (p)
			e->kernels = p;
		if (!k || !p)
			rc = -ENOMEM;
	}
	if (!rc)
		rc = store_kernel_create(e->host.writer, name, &k->id);
	if (!rc) {
		snprintf(k->name, sizeof(k->name), "%s", name);
		e->kernels[e->nkernels++] = k;
		k = NULL;
		changed(e);
	}
	pthread_mutex_unlock(&e->lock);
	free(k);
	return rc;
}

int engine_kernel_delete(struct engine *e, const char *name)
{
	pthread_mutex_lock(&e->lock);
	struct kernel *k = find_name(e, name);
	if (!k) {
		pthread_mutex_unlock(&e->lock);
		return -ENOENT;
	}
	k->deleted = true;
	k->due_mono_ns = 0;
	sched_cancel_locked(k, RUN_DELETED);
	int64_t kid = k->id;
	changed(e);
	pthread_cond_broadcast(&e->wake);
	pthread_mutex_unlock(&e->lock);
	sigcache_forget(e->host.sigs, kid);
	return store_kernel_delete(e->host.writer, kid);
}

int engine_kernel_rename(struct engine *e, const char *from, const char *to)
{
	if (!kernel_name_valid(to))
		return -EINVAL;
	pthread_mutex_lock(&e->lock);
	struct kernel *k = find_name(e, from);
	int rc = k ? 0 : -ENOENT;
	if (!rc && find_name(e, to))
		rc = -EEXIST;
	if (!rc)
		rc = store_kernel_rename(e->host.writer, k->id, to);
	if (!rc) {
		snprintf(k->name, sizeof(k->name), "%s", to);
		if (k->run)
			snprintf(k->run->kernel_name, sizeof(k->run->kernel_name), "%s", to);
		touch_kernel(e, k);
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

/* The name of the input file for a config text (config.json content) and
 * the kernel's files (may be NULL), as engine_input_name says. Static
 * storage, never NULL. */
static const char *input_name_for(const char *config_text, size_t len,
                                  const struct file_row *files, int nfiles)
{
	struct ac_config cfg;
	char err[256];
	const char *name = sched_implied_target(files, nfiles)->input_name;
	if (config_parse(config_text ? config_text : "", config_text ? len : 0, &cfg, err,
	                 sizeof(err)) == 0) {
		if (cfg.input) {
			/* interned so the pointer outlives cfg */
			static __thread char buf[256];
			snprintf(buf, sizeof(buf), "%s", cfg.input);
			name = buf;
		} else if (cfg.target) {
			const struct ac_target *t = ac_target_find(cfg.target);
			if (t && t->input_name)
				name = t->input_name;
		}
	}
	config_clear(&cfg);
	return name;
}

void engine_input_name(struct engine *e, int64_t kid, char *name, size_t len)
{
	struct store *s = engine_reader(e);
	struct file_row cfg = {0}, *files = NULL;
	int n = 0;
	if (store_file_list(s, kid, false, &files, &n))
		n = 0;
	bool have_cfg = store_file_get(s, kid, "config.json", true, &cfg) == 0;
	snprintf(name, len, "%s", input_name_for(have_cfg ? cfg.data : NULL,
	                                         have_cfg ? cfg.size : 0, files, n));
	file_row_clear(&cfg);
	file_rows_free(files, n);
}

int engine_config_check(struct engine *e, int64_t kid, const char *text, size_t len,
                        char *err, size_t errlen)
{
	struct ac_config cfg;
	int rc = config_parse(text, len, &cfg, err, errlen);
	if (rc)
		return rc;
	/* what cannot run is refused now, not after a baseline */
	char *const *models = cfg.models ? cfg.models : e->models;
	if (cfg.strategy == STRATEGY_LLM && strv_len(models) == 0) {
		snprintf(err, errlen, "config.json: \"strategy\": \"llm\" needs a model: set "
		         "\"models\" here, or mount with -o models=... (or AUTOCOMP_MODELS)");
		rc = -EINVAL;
	}
	if (!rc && cfg.call && kid > 0) {
		struct file_row *files = NULL, f;
		int n = 0;
		if (store_file_list(e->host.reader, kid, false, &files, &n) == 0) {
			const char *input = input_name_for(text, len, files, n);
			if (store_file_get(e->host.reader, kid, input, true, &f) == 0 && f.data) {
				struct ac_call call;
				char why[600];
				if (calldesc_parse_text(cfg.call, &call, why, sizeof(why)) == 0 &&
				    sigcache_check(e->host.sigs, kid, sigcache_hash(f.data, f.size), &call,
				                   why, sizeof(why)) == -EINVAL) {
					snprintf(err, errlen, "config.json: \"call\": %s", why);
					rc = -EINVAL;
				}
				ac_call_clear(&call);
			}
			file_row_clear(&f);
			file_rows_free(files, n);
		}
	}
	config_clear(&cfg);
	return rc;
}

static bool is_trigger(const char *name)
{
	return !strncmp(name, "input.", 6) || !strncmp(name, "harness.", 8) ||
	       !strcmp(name, "config.json");
}

void engine_file_stored(struct engine *e, int64_t kid, const char *name)
{
	if (is_trigger(name) && kid != STORE_MENUS_KERNEL)
		sched_note_written(e, kid);
}

void engine_file_changed(struct engine *e, int64_t kid, const char *name)
{
	if (!is_trigger(name))
		return;
	engine_file_stored(e, kid, name);
	pthread_mutex_lock(&e->lock);
	struct kernel *k = kernel_find(e, kid);
	if (k) {
		k->due_mono_ns = mono_ns() + e->debounce_ns;
		k->resume_rid = 0;
		pthread_cond_broadcast(&e->wake);
	}
	pthread_mutex_unlock(&e->lock);
}

/* menus/ctl: "build NAME" or "build" (menubuild.h). */
static int menus_ctl(struct engine *e, const char *cmd, size_t len)
{
	char line[160];
	if (len >= sizeof(line) || (len != 5 && strncmp(cmd, "build ", 6)) || strncmp(cmd, "build", 5)) {
		engine_log(e, STORE_MENUS_KERNEL, "ctl: unknown command (use \"build NAME\" to write "
		           "NAME.menu and NAME.md from menus/NAME.docs/, or \"build\" for all)");
		return -EINVAL;
	}
	snprintf(line, sizeof(line), "%.*s", (int)len, cmd);
	const char *name = len > 6 ? line + 6 : NULL;
	while (name && *name == ' ')
		name++;
	if (name && !*name)
		name = NULL;
	int rc = menubuild_start(&e->host, name);
	if (rc == -EBUSY)
		engine_log(e, STORE_MENUS_KERNEL, "ctl: %s: a menu is being built; try again when it "
		           "is done", line);
	else if (rc)
		engine_log(e, STORE_MENUS_KERNEL, "ctl: %s: %s", line, strerror(-rc));
	else
		engine_log(e, STORE_MENUS_KERNEL, "ctl: %s", line);
	engine_touch(e, STORE_MENUS_KERNEL);
	return rc;
}

char *engine_menus_state(struct engine *e)
{
	return menubuild_state(&e->host);
}

int engine_ctl(struct engine *e, int64_t kid, const char *cmd, size_t len)
{
	while (len && (cmd[len - 1] == '\n' || cmd[len - 1] == ' ' || cmd[len - 1] == '\t' ||
	               cmd[len - 1] == '\r'))
		len--;
	while (len && (*cmd == ' ' || *cmd == '\t')) {
		cmd++;
		len--;
	}
	if (kid == STORE_MENUS_KERNEL)
		return menus_ctl(e, cmd, len);
	char word[32];
	if (len == 0 || len >= sizeof(word)) {
		engine_log(e, kid, "ctl: unknown command (use start, stop or restart)");
		return -EINVAL;
	}
	memcpy(word, cmd, len);
	word[len] = '\0';
	pthread_mutex_lock(&e->lock);
	struct kernel *k = kernel_find(e, kid);
	int rc = 0;
	if (!k) {
		rc = -ENOENT;
	} else if (!strcmp(word, "stop")) {
		k->due_mono_ns = 0;
		if (k->run)
			sched_cancel_locked(k, RUN_STOP);
	} else if (!strcmp(word, "start")) {
		if (!k->run) {
			/* resume a stopped or unfinished run; otherwise start anew */
			struct run_row r;
			if (store_run_latest(e->host.writer, kid, &r) == 0 &&
			    (r.state == RS_STOPPED || r.finished_ns == 0))
				k->resume_rid = r.id;
			else
				k->resume_rid = 0;
			run_row_clear(&r);
			k->due_mono_ns = mono_ns();
			pthread_cond_broadcast(&e->wake);
		}
	} else if (!strcmp(word, "restart")) {
		if (k->run)
			sched_cancel_locked(k, RUN_SUPERSEDED);
		k->resume_rid = 0;
		k->due_mono_ns = mono_ns();
		pthread_cond_broadcast(&e->wake);
	} else {
		rc = -EINVAL;
	}
	pthread_mutex_unlock(&e->lock);
	if (rc == -EINVAL)
		engine_log(e, kid, "ctl: unknown command \"%s\" (use start, stop or restart)", word);
	else if (!rc)
		engine_log(e, kid, "ctl: %s", word);
	return rc;
}


/* ---- threads ---- */

int engine_start(struct engine *e)
{
	if (e->started)
		return 0;
	int rc = sched_start(e);
	if (rc)
		return rc;
	e->prober_started = pthread_create(&e->prober, NULL, probe_main, e) == 0;
	e->started = true;
	return 0;
}

void engine_shutdown(struct engine *e)
{
	if (!e || !e->started)
		return;
	sched_stop(e);
	menubuild_stop(&e->host);
	if (e->prober_started)
		pthread_join(e->prober, NULL);
	e->started = false;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	engine_shutdown(e);
	readers_close(e);
	store_close(e->host.reader);
	store_close(e->host.writer);
	for (int i = 0; i < e->nkernels; i++)
		free(e->kernels[i]);
	free(e->kernels);
	strv_free(e->models);
	llm_client_free(e->host.llm);
	free(e->targets_text);
	if (e->scratch_own)
		ac_remove_tree(e->scratch_dir);
	if (e->lock_fd >= 0)
		close(e->lock_fd);
	pthread_mutex_destroy(&e->lock);
	pthread_cond_destroy(&e->wake);
	pthread_mutex_destroy(&e->change_lock);
	pthread_cond_destroy(&e->change_cond);
	host_destroy(&e->host);
	pthread_mutex_destroy(&e->targets_lock);
	free(e);
}
