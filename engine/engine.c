/*
 * engine.c - kernels in memory, the scheduler, run drivers, evaluation.
 *
 * The store is the truth; this file keeps only what threads need to
 * coordinate: per-kernel versions (for the mount's caches), the debounce
 * deadline, the active run. A run's driver thread evaluates the baseline,
 * hands over to the search phase (search.c), and records how it ended.
 *
 * What this file does not do: render anything the mount shows (fs/), talk
 * to an LLM (llm.c), or know how a target builds (targets/).
 */
#include "engine/engine.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ac_config.h"
#include "engine/config.h"
#include "engine/llm.h"
#include "engine/menubuild.h"
#include "engine/noise.h"
#include "engine/run.h"
#include "engine/scratch.h"

struct kernel {
	int64_t id;
	char name[80];
	atomic_uint_fast64_t version;
	int64_t due_mono_ns;        /* debounce deadline, 0 if nothing pending */
	int64_t resume_rid;         /* start this stored run instead of a new one */
	struct run_ctx *run;        /* the active run, NULL if none */
	pthread_t thread;
	atomic_bool thread_done;    /* the driver returned; join it */
	bool deleted;
};

/* A count of timed runs that may go at once to one executor. */
struct slot_pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int busy;
	int total;                   /* >= 1 */
	bool fixed;                  /* given by the mount (slots=N) */
	bool used;                   /* some run went through it */
	int64_t checked_ns;          /* when total was last asked of the executor */
	atomic_int waiting;
};

/* How often a pool without a fixed size asks how many nodes are up. */
#define SLOTS_REFRESH_NS (30 * (int64_t)1000000000)

struct engine {
	struct engine_opts opts;
	char state_dir[2048];
	char scratch_dir[2048 + 16]; /* builds and runs happen under here */
	bool scratch_own;            /* scratch_dir is ours to remove at exit */
	int lock_fd;
	struct store *writer;
	struct store *reader;
	char **models;
	int64_t debounce_ns;

	pthread_mutex_t lock;        /* kernels[], k->run, k->due */
	pthread_cond_t wake;
	struct kernel **kernels;
	int nkernels;
	atomic_uint_fast64_t version;

	pthread_t scheduler;
	bool started;
	bool stopping;

	pthread_mutex_t build_lock;  /* build slots */
	pthread_cond_t build_cond;
	int builds_free;
	int build_jobs;
	atomic_int builds_waiting;
	pthread_mutex_t timing_lock; /* local timed runs one at a time */
	atomic_int timing_waiting;
	const struct ac_executor *executor; /* the mount's default */
	struct slot_pool slurm;      /* Slurm timed runs at once */
	char slurm_where[256];       /* the last probe's words ("2 nodes up in
	                                partition debug"), under slurm.lock */
	char state_id[20];           /* this state directory's identity (STATE/id) */
	char incarnation[12];        /* this daemon's, among those of the state dir */

	pthread_mutex_t targets_lock;
	char *targets_text;
	pthread_t prober;
	bool prober_started;

	atomic_long tokens;
	atomic_long reasoning_tokens;
	atomic_llong cost_microdollars; /* spent by this daemon's calls (any price known) */
	atomic_long evaluated;
	struct llm_client *llm;
	atomic_llong full_mono_ns;   /* when a run last paused on a full disk */
};

/* How long a run paused by a full disk waits before it tries again. */
#define NOSPACE_RETRY_NS (5 * (int64_t)1000000000)

static void *driver_main(void *arg);

/* ---- small helpers ---- */

static char menus_dir_buf[PATH_MAX];
static pthread_once_t menus_once = PTHREAD_ONCE_INIT;

static void menus_dir_init(void)
{
	const char *env = getenv("AUTOCOMP_MENUS_DIR");
	struct stat st;
	if (env && *env) {
		snprintf(menus_dir_buf, sizeof(menus_dir_buf), "%s", env);
		return;
	}
	snprintf(menus_dir_buf, sizeof(menus_dir_buf), "%s/menus", AC_SOURCE_DIR);
	if (stat(menus_dir_buf, &st) == 0 && S_ISDIR(st.st_mode))
		return;
	snprintf(menus_dir_buf, sizeof(menus_dir_buf), "%s/menus", AC_DATA_DIR);
}

const char *engine_menus_dir(void)
{
	pthread_once(&menus_once, menus_dir_init);
	return menus_dir_buf;
}

char *const *engine_models(struct engine *e)
{
	return e->models;
}

struct llm_client *engine_llm(struct engine *e)
{
	return e->llm;
}

const struct engine_opts *engine_options(struct engine *e)
{
	return &e->opts;
}

void engine_add_reasoning_tokens(struct engine *e, long n)
{
	atomic_fetch_add(&e->reasoning_tokens, n);
}

void engine_add_cost(struct engine *e, double dollars)
{
	if (dollars > 0)
		atomic_fetch_add(&e->cost_microdollars, (long long)llround(dollars * 1e6));
}

void engine_add_tokens(struct engine *e, long n)
{
	atomic_fetch_add(&e->tokens, n);
}

struct store *engine_reader(struct engine *e)
{
	return e->reader;
}

struct store *engine_writer(struct engine *e)
{
	return e->writer;
}

uint64_t engine_version(struct engine *e)
{
	return atomic_load(&e->version);
}

static struct kernel *find_id(struct engine *e, int64_t kid)
{
	for (int i = 0; i < e->nkernels; i++)
		if (!e->kernels[i]->deleted && e->kernels[i]->id == kid)
			return e->kernels[i];
	return NULL;
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
	struct kernel *k = find_id(e, kid);
	uint64_t v = k ? atomic_load(&k->version) : 0;
	pthread_mutex_unlock(&e->lock);
	return v;
}

static void touch_kernel(struct engine *e, struct kernel *k)
{
	if (k)
		atomic_fetch_add(&k->version, 1);
	atomic_fetch_add(&e->version, 1);
}

void engine_touch(struct engine *e, int64_t kid)
{
	pthread_mutex_lock(&e->lock);
	touch_kernel(e, find_id(e, kid));
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

static void vlog_line(struct engine *e, int64_t kid, const char *fmt, va_list ap)
{
	char line[2048];
	vsnprintf(line, sizeof(line), fmt, ap);
	if (kid < 0) {
		fprintf(stderr, "autocompfs: %s\n", line);
		return;
	}
	/* kid 0: the menus' own log (menus/log) */
	store_log_add(e->writer, kid, now_ns(), line);
	engine_touch(e, kid);
}

void engine_log(struct engine *e, int64_t kid, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog_line(e, kid, fmt, ap);
	va_end(ap);
}

void run_log(struct run_ctx *rc, const char *fmt, ...)
{
	if (atomic_load(&rc->cancel) == RUN_DELETED)
		return;
	va_list ap;
	va_start(ap, fmt);
	vlog_line(rc->e, rc->kid, fmt, ap);
	va_end(ap);
}

static void set_status(struct engine *e, int64_t kid, const char *state, const char *line)
{
	int64_t t = now_ns();
	store_kernel_set_status(e->writer, kid, state, line, t);
	store_log_add(e->writer, kid, t, line);
	engine_touch(e, kid);
}

void run_progress(struct run_ctx *rc, const char *state, const char *fmt, ...)
{
	if (atomic_load(&rc->cancel) == RUN_DELETED)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	store_kernel_set_status(rc->e->writer, rc->kid, state, line, now_ns());
	engine_touch(rc->e, rc->kid);
}

void run_status(struct run_ctx *rc, const char *state, const char *fmt, ...)
{
	if (atomic_load(&rc->cancel) == RUN_DELETED)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	set_status(rc->e, rc->kid, state, line);
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
	int rc = store_kernel_list(e->writer, &rows, &n);
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
	remove_tree(path);
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
		remove_tree(old);
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
	if (!e)
		return -ENOMEM;
	e->opts = *o;
	e->lock_fd = -1;
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->wake, NULL);
	pthread_mutex_init(&e->build_lock, NULL);
	pthread_cond_init(&e->build_cond, NULL);
	pthread_mutex_init(&e->timing_lock, NULL);
	pthread_mutex_init(&e->slurm.lock, NULL);
	pthread_cond_init(&e->slurm.cond, NULL);
	e->slurm.total = o->slots > 0 ? o->slots : 1;
	e->slurm.fixed = o->slots > 0;
	e->executor = ac_executor_find(o->executor);
	if (!e->executor)
		e->executor = &ac_executor_local;
	pthread_mutex_init(&e->targets_lock, NULL);
	e->build_jobs = o->build_jobs > 0 ? o->build_jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (e->build_jobs < 1)
		e->build_jobs = 1;
	e->builds_free = e->build_jobs;
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
	struct llm_client_opts lo = {.max_in_flight = o->llm_in_flight > 0 ? o->llm_in_flight : 4};
	e->llm = llm_client_new(&lo);
	if (!e->llm) {
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
	char db[PATH_MAX + 32];
	snprintf(db, sizeof(db), "%s/autocompfs.db", e->state_dir);
	int fd = open(db, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	rc = store_open(db, &e->writer, err, errlen);
	if (!rc)
		rc = store_open(db, &e->reader, err, errlen);
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
		const char *dflt = ex[i] == e->executor ? " (the mount's default)" : "";
		if (ex[i] == &ac_executor_slurm && rc == 0) {
			int n = ex[i]->slots(NULL);
			pthread_mutex_lock(&e->slurm.lock);
			if (!e->slurm.fixed && n > 0) {
				e->slurm.total = n;
				e->slurm.checked_ns = mono_ns();
			}
			int total = e->slurm.total;
			snprintf(e->slurm_where, sizeof(e->slurm_where), "%s", line);
			pthread_cond_broadcast(&e->slurm.cond);
			pthread_mutex_unlock(&e->slurm.lock);
			sb_addf(sb, "executor slurm: available%s, %s; up to %d timed runs at once%s\n",
			        dflt, line, total, e->slurm.fixed ? " (slots=)" : "");
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
	atomic_fetch_add(&e->version, 1);
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

void engine_totals(struct engine *e, struct strbuf *sb)
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
	sb_addf(sb, "engine: %d kernels, %d running, %d queued; builds %d/%d busy, %d waiting; "
	        "timed runs waiting %d; candidates evaluated %ld; tokens %ld",
	        nk, running, queued, e->build_jobs - e->builds_free, e->build_jobs,
	        atomic_load(&e->builds_waiting), atomic_load(&e->timing_waiting),
	        atomic_load(&e->evaluated), atomic_load(&e->tokens));
	long reasoning = atomic_load(&e->reasoning_tokens);
	if (reasoning)
		sb_addf(sb, " (%ld reasoning)", reasoning);
	/* what every kernel's runs cost, from the store: a deleted kernel's
	 * calls go with it, a restarted daemon still counts the earlier ones */
	double cost = 0;
	store_call_cost(e->reader, -1, &cost);
	long long mine = atomic_load(&e->cost_microdollars);
	if (cost > 0)
		sb_addf(sb, "; cost $%.4f (this daemon $%.4f)", cost, (double)mine / 1e6);
	char *menus = menubuild_state(e);
	if (menus && menus[0])
		sb_addf(sb, "; menus: %s", menus);
	free(menus);
	sb_adds(sb, "; models: ");
	if (!e->models || !e->models[0])
		sb_adds(sb, "none");
	for (int i = 0; e->models && e->models[i]; i++)
		sb_addf(sb, "%s%s", i ? "," : "", e->models[i]);
	pthread_mutex_lock(&e->slurm.lock);
	bool slurm_used = e->slurm.used || e->executor == &ac_executor_slurm;
	int sbusy = e->slurm.busy, stotal = e->slurm.total;
	char where[sizeof(e->slurm_where)];
	snprintf(where, sizeof(where), "%s", e->slurm_where);
	pthread_mutex_unlock(&e->slurm.lock);
	if (slurm_used) {
		char why[600] = "";
		sb_addf(sb, "; slurm: %s%s%d/%d timed runs, %d waiting", where, where[0] ? ", " : "",
		        sbusy, stotal, atomic_load(&e->slurm.waiting));
		ac_executor_slurm.status(why, sizeof(why));
		if (why[0])
			sb_addf(sb, "; %s", why);
	}
	/* Rendered from memory: with the disk full no status can be stored. */
	int64_t full = atomic_load(&e->full_mono_ns);
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
		rc = store_kernel_create(e->writer, name, &k->id);
	if (!rc) {
		snprintf(k->name, sizeof(k->name), "%s", name);
		e->kernels[e->nkernels++] = k;
		k = NULL;
		atomic_fetch_add(&e->version, 1);
	}
	pthread_mutex_unlock(&e->lock);
	free(k);
	return rc;
}

/* Asks the kernel's active run to stop for reason; the scheduler joins it.
 * Called with e->lock held. */
static void cancel_run_locked(struct kernel *k, int reason)
{
	if (k->run)
		atomic_store(&k->run->cancel, reason);
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
	cancel_run_locked(k, RUN_DELETED);
	int64_t kid = k->id;
	atomic_fetch_add(&e->version, 1);
	pthread_cond_broadcast(&e->wake);
	pthread_mutex_unlock(&e->lock);
	return store_kernel_delete(e->writer, kid);
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
		rc = store_kernel_rename(e->writer, k->id, to);
	if (!rc) {
		snprintf(k->name, sizeof(k->name), "%s", to);
		if (k->run)
			snprintf(k->run->kernel_name, sizeof(k->run->kernel_name), "%s", to);
		touch_kernel(e, k);
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

/* The target a kernel's files imply when config.json names neither a
 * target nor an input: cpu for input.c, else the target whose input file
 * is there (input.cu: cuda, input.cl: opencl), else cpu. */
static const struct ac_target *implied_target(const struct file_row *files, int n)
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

/* The input file name for a config and the kernel's files (static storage). */
const char *engine_input_name_for(const char *config_text, size_t len,
                                  const struct file_row *files, int nfiles)
{
	struct ac_config cfg;
	char err[256];
	const char *name = implied_target(files, nfiles)->input_name;
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

static bool is_trigger(const char *name)
{
	return !strncmp(name, "input.", 6) || !strncmp(name, "harness.", 8) ||
	       !strcmp(name, "config.json");
}

void engine_file_changed(struct engine *e, int64_t kid, const char *name)
{
	if (!is_trigger(name))
		return;
	pthread_mutex_lock(&e->lock);
	struct kernel *k = find_id(e, kid);
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
	int rc = menubuild_start(e, name);
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
	return menubuild_state(e);
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
	struct kernel *k = find_id(e, kid);
	int rc = 0;
	if (!k) {
		rc = -ENOENT;
	} else if (!strcmp(word, "stop")) {
		k->due_mono_ns = 0;
		if (k->run)
			cancel_run_locked(k, RUN_STOP);
	} else if (!strcmp(word, "start")) {
		if (!k->run) {
			/* resume a stopped or unfinished run; otherwise start anew */
			struct run_row r;
			if (store_run_latest(e->writer, kid, &r) == 0 &&
			    (!strcmp(r.state, "stopped") || r.finished_ns == 0))
				k->resume_rid = r.id;
			else
				k->resume_rid = 0;
			run_row_clear(&r);
			k->due_mono_ns = mono_ns();
			pthread_cond_broadcast(&e->wake);
		}
	} else if (!strcmp(word, "restart")) {
		if (k->run)
			cancel_run_locked(k, RUN_SUPERSEDED);
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

/* ---- starting runs (scheduler thread) ---- */

/* Files a run snapshots: everything but the input, config.json and hidden
 * or backup files (editor swap files must not go into a build). */
static bool goes_into_build(const char *name, const char *input_name)
{
	if (name[0] == '.' || name[strlen(name) - 1] == '~')
		return false;
	if (!strcmp(name, input_name) || !strcmp(name, "config.json"))
		return false;
	return true;
}

/* Creates a new run from the kernel's current files. Returns 0 and the run
 * id, -EAGAIN when a file is missing (status says which), or -errno. */
static int create_run(struct engine *e, int64_t kid, int64_t *rid)
{
	struct file_row *files;
	int n;
	int rc = store_file_list(e->writer, kid, true, &files, &n);
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
		set_status(e, kid, "failed", line);
		file_rows_free(files, n);
		return -EINVAL;
	}
	const struct ac_target *t = cfg.target ? ac_target_find(cfg.target)
	                          : cfg.input ? ac_target_find("cpu") : implied_target(files, n);
	const char *input_name = cfg.input ? cfg.input : t->input_name;
	const char *input = NULL;
	bool have_harness = t->harness_name == NULL;
	for (int i = 0; i < n; i++) {
		if (!strcmp(files[i].name, input_name))
			input = files[i].data;
		if (t->harness_name && !strcmp(files[i].name, t->harness_name))
			have_harness = true;
	}
	if (!input || !have_harness) {
		char line[300];
		/* without a target in config.json, say how another one is chosen */
		const char *hint = cfg.target || cfg.input ? ""
		                   : " (or input.cu for cuda, input.cl for opencl; or set "
		                     "\"target\" in config.json)";
		if (!input && !have_harness)
			snprintf(line, sizeof(line), "waiting: copy %s and %s here%s", input_name,
			         t->harness_name, hint);
		else if (!input)
			snprintf(line, sizeof(line), "waiting: %s is missing%s", input_name, hint);
		else
			snprintf(line, sizeof(line), "waiting: %s is missing (the %s target needs a "
			         "harness)", t->harness_name, t->name);
		set_status(e, kid, "waiting", line);
		config_clear(&cfg);
		file_rows_free(files, n);
		return -EAGAIN;
	}
	struct ac_file *af = calloc((size_t)n + 1, sizeof(*af));
	size_t naf = 0;
	for (int i = 0; af && i < n; i++) {
		if (!goes_into_build(files[i].name, input_name))
			continue;
		af[naf].name = files[i].name;
		af[naf].data = files[i].data;
		af[naf].size = files[i].size;
		naf++;
	}
	rc = af ? store_run_create(e->writer, kid, t->name, input_name, input, config, af, naf,
	                           rid)
	        : -ENOMEM;
	free(af);
	config_clear(&cfg);
	file_rows_free(files, n);
	if (!rc)
		set_status(e, kid, "queued", "queued");
	return rc;
}

/* Starts a driver thread for run rid of kernel k. Called with e->lock held. */
static int spawn_driver(struct engine *e, struct kernel *k, int64_t rid)
{
	struct run_ctx *rc = calloc(1, sizeof(*rc));
	if (!rc)
		return -ENOMEM;
	rc->e = e;
	rc->k = k;
	rc->kid = k->id;
	rc->rid = rid;
	rc->best_num = -1;
	pthread_mutex_init(&rc->lock, NULL);
	snprintf(rc->kernel_name, sizeof(rc->kernel_name), "%s", k->name);
	atomic_store(&rc->cancel, RUN_GO);
	k->run = rc;
	atomic_store(&k->thread_done, false);
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 1 << 20);
	int r = pthread_create(&k->thread, &a, driver_main, rc);
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
				store_run_set_state(e->writer, rid, "queued", false);
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

int engine_start(struct engine *e)
{
	if (e->started)
		return 0;
	int64_t *rids = NULL;
	int n = 0;
	store_runs_unfinished(e->writer, &rids, &n);
	pthread_mutex_lock(&e->lock);
	for (int i = 0; i < n; i++) {
		struct run_row r;
		if (store_run_get(e->writer, rids[i], &r) == 0) {
			struct kernel *k = find_id(e, r.kernel_id);
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
	e->prober_started = pthread_create(&e->prober, NULL, probe_main, e) == 0;
	e->started = true;
	return 0;
}

void engine_shutdown(struct engine *e)
{
	if (!e || !e->started)
		return;
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
	menubuild_stop(e);
	if (e->prober_started)
		pthread_join(e->prober, NULL);
	e->started = false;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	engine_shutdown(e);
	store_close(e->reader);
	store_close(e->writer);
	for (int i = 0; i < e->nkernels; i++)
		free(e->kernels[i]);
	free(e->kernels);
	strv_free(e->models);
	llm_client_free(e->llm);
	free(e->targets_text);
	if (e->scratch_own)
		remove_tree(e->scratch_dir);
	if (e->lock_fd >= 0)
		close(e->lock_fd);
	pthread_mutex_destroy(&e->lock);
	pthread_cond_destroy(&e->wake);
	pthread_mutex_destroy(&e->build_lock);
	pthread_cond_destroy(&e->build_cond);
	pthread_mutex_destroy(&e->timing_lock);
	pthread_mutex_destroy(&e->slurm.lock);
	pthread_cond_destroy(&e->slurm.cond);
	pthread_mutex_destroy(&e->targets_lock);
	free(e);
}

/* ---- evaluation ---- */

int run_build_jobs(struct run_ctx *rc)
{
	return rc->e->build_jobs;
}

/* Builds keep off the core timed runs are pinned to (the last one), so a
 * compile never shares a core with a measurement. The calling thread's
 * affinity is what the build's processes inherit. */
static void build_affinity(bool building)
{
	/* builds also yield to the mount's request threads: a compile must
	 * not make `cat best.c` wait (the thread's nice value is inherited by
	 * the compiler; lowering it back needs CAP_SYS_NICE, else it stays) */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), building ? 10 : 0);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 2)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	for (long i = 0; i < n; i++)
		if (!building || i != n - 1)
			CPU_SET((int)i, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void build_acquire(struct engine *e)
{
	build_affinity(true);
	atomic_fetch_add(&e->builds_waiting, 1);
	pthread_mutex_lock(&e->build_lock);
	while (e->builds_free == 0)
		pthread_cond_wait(&e->build_cond, &e->build_lock);
	e->builds_free--;
	pthread_mutex_unlock(&e->build_lock);
	atomic_fetch_sub(&e->builds_waiting, 1);
}

static void build_release(struct engine *e)
{
	build_affinity(false);
	pthread_mutex_lock(&e->build_lock);
	e->builds_free++;
	pthread_cond_signal(&e->build_cond);
	pthread_mutex_unlock(&e->build_lock);
}

int run_parallel(struct run_ctx *rc)
{
	int n = rc->e->build_jobs * 2;
	if (rc->executor == &ac_executor_slurm) {
		pthread_mutex_lock(&rc->e->slurm.lock);
		int slots = rc->e->slurm.total;
		pthread_mutex_unlock(&rc->e->slurm.lock);
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
	struct engine *e = rc->e;
	if (rc->executor != &ac_executor_slurm) {
		atomic_fetch_add(&e->timing_waiting, 1);
		pthread_mutex_lock(&e->timing_lock);
		atomic_fetch_sub(&e->timing_waiting, 1);
		return;
	}
	struct slot_pool *p = &e->slurm;
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
		pthread_mutex_unlock(&rc->e->timing_lock);
		return;
	}
	struct slot_pool *p = &rc->e->slurm;
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
	if (store_kernel_get(rc->e->writer, rc->kid, &k) == 0) {
		char state[32];
		snprintf(state, sizeof(state), "%s", k.state);
		kernel_row_clear(&k);
		run_progress(rc, state, "%s: waiting: %s", state, line);
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
	char name[160], comment[sizeof(rc->e->state_dir) + 300], host[128] = "";
	gethostname(host, sizeof(host) - 1);
	snprintf(name, sizeof(name), "ac-%s-%s-k%lld-r%lld-%s%lld", rc->e->state_id,
	         rc->e->incarnation, (long long)rc->kid, (long long)rc->rid, retime ? "t" : "c",
	         (long long)num);
	snprintf(comment, sizeof(comment), "autocompfs %s candidate %lld, state %s on %s",
	         rc->kernel_name, (long long)num, rc->e->state_dir, host);
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

int run_add_candidate(struct run_ctx *rc, struct cand_row *c)
{
	c->run_id = rc->rid;
	int r = store_cand_add(rc->e->writer, c);
	if (!r)
		engine_touch(rc->e, rc->kid);
	return r;
}

void run_offer_best(struct run_ctx *rc, int64_t num, int64_t time_ns, double spread)
{
	if (time_ns <= 0)
		return;
	pthread_mutex_lock(&rc->lock);
	/* beyond the noise of both measurements, or a copy of the input
	 * would move best.c by luck */
	bool better = rc->best_num < 0 ||
	              noise_first_beats(time_ns, spread, rc->best_time_ns, rc->best_spread);
	if (better) {
		rc->best_num = num;
		rc->best_time_ns = time_ns;
		rc->best_spread = spread;
		store_run_set_best(rc->e->writer, rc->rid, num, now_ns());
	}
	pthread_mutex_unlock(&rc->lock);
	if (!better)
		return;
	engine_touch(rc->e, rc->kid);
	if (num != 0 && rc->input_time_ns > 0) {
		char d[32];
		run_log(rc, "best: #%lld, %s, %.2fx over the input", (long long)num,
		        fmt_duration(time_ns, d, sizeof(d)), (double)rc->input_time_ns / time_ns);
	}
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
	if (c->parent < 0 || store_cand_get(rc->e->writer, rc->rid, c->parent, &parent))
		return;
	if (!strcmp(parent.outcome, "ok"))
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

int run_evaluate(struct run_ctx *rc, int64_t num, struct ac_result *r)
{
	memset(r, 0, sizeof(*r));
	struct cand_row c;
	int err = store_cand_get(rc->e->writer, rc->rid, num, &c);
	if (err)
		return err;
	char dir[PATH_MAX + 32];
	snprintf(dir, sizeof(dir), "%s/cand-%lld", rc->run_dir, (long long)num);
	remove_tree(dir);
	err = mkdir_p(dir, 0700);
	if (err) {
		cand_row_clear(&c);
		return err;
	}
	struct ac_job job = {
		.scratch_dir = dir,
		.run_dir = rc->run_dir,
		.candidate = c.source,
		.candidate_size = strlen(c.source),
		.reference = rc->row.input,
		.reference_size = strlen(rc->row.input),
		.files = rc->afiles,
		.nfiles = (size_t)rc->nfiles,
		.opts = &rc->topts,
		.cancel = &rc->cancel,
	};
	struct ac_exec_ctx where;
	memset(&where, 0, sizeof(where));
	build_acquire(rc->e);
	err = rc->target->build(&job, r);
	build_release(rc->e);
	if (!err && r->outcome == AC_OK && !run_cancelled(rc)) {
		struct ac_result built = *r;
		memset(r, 0, sizeof(*r));
		if (!run_cancelled(rc))
			err = timed_run(rc, &job, num, false, r, &where);
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
	remove_tree(dir);
	if (run_cancelled(rc)) {
		cand_row_clear(&c);
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
		recheck(rc, &c, r, verdict);
	if (run_cancelled(rc)) {
		cJSON_Delete(verdict);
		cand_row_clear(&c);
		ac_result_clear(r);
		return -ECANCELED;
	}
	err = store_cand_set_result(rc->e->writer, rc->rid, num, r, now_ns());
	if (!err && verdict) {
		char *text = cJSON_PrintUnformatted(verdict);
		if (text)
			err = store_cand_set_verdict(rc->e->writer, rc->rid, num, text);
		free(text);
	}
	cJSON_Delete(verdict);
	if (!err && where.job_id[0])
		err = store_cand_set_where(rc->e->writer, rc->rid, num, where.job_id, where.node);
	pthread_mutex_lock(&rc->lock);
	rc->evaluated++;
	pthread_mutex_unlock(&rc->lock);
	atomic_fetch_add(&rc->e->evaluated, 1);
	char d[32];
	if (r->outcome == AC_OK) {
		double sp = rc->input_time_ns > 0 ? (double)rc->input_time_ns / r->time_ns : 1.0;
		run_log(rc, "candidate %lld: ok, %s (%.2fx, spread %.1f%%, %d samples)",
		        (long long)num, fmt_duration(r->time_ns, d, sizeof(d)), sp,
		        r->spread * 100, r->samples);
	} else {
		run_log(rc, "candidate %lld: %s%s%s", (long long)num, ac_outcome_name(r->outcome),
		        r->message ? ": " : "", r->message ? r->message : "");
	}
	cand_row_clear(&c);
	return err;
}

int run_remeasure(struct run_ctx *rc, int64_t num, struct ac_result *r)
{
	memset(r, 0, sizeof(*r));
	struct cand_row c;
	int err = store_cand_get(rc->e->writer, rc->rid, num, &c);
	if (err)
		return err;
	char dir[PATH_MAX + 48];
	snprintf(dir, sizeof(dir), "%s/recheck-%lld", rc->run_dir, (long long)num);
	remove_tree(dir);
	err = mkdir_p(dir, 0700);
	struct ac_job job = {
		.scratch_dir = dir,
		.run_dir = rc->run_dir,
		.candidate = c.source,
		.candidate_size = strlen(c.source),
		.reference = rc->row.input,
		.reference_size = strlen(rc->row.input),
		.files = rc->afiles,
		.nfiles = (size_t)rc->nfiles,
		.opts = &rc->topts,
		.cancel = &rc->cancel,
	};
	if (!err) {
		build_acquire(rc->e);
		err = rc->target->build(&job, r);
		build_release(rc->e);
	}
	if (!err && r->outcome == AC_OK && !run_cancelled(rc)) {
		ac_result_clear(r);
		struct ac_exec_ctx where;
		err = timed_run(rc, &job, num, true, r, &where);
	}
	remove_tree(dir);
	cand_row_clear(&c);
	if (run_cancelled(rc))
		return -ECANCELED;
	return err;
}

void run_set_best(struct run_ctx *rc, int64_t num, int64_t time_ns)
{
	pthread_mutex_lock(&rc->lock);
	bool changed = num != rc->best_num;
	rc->best_num = num;
	rc->best_time_ns = time_ns;
	if (changed)
		store_run_set_best(rc->e->writer, rc->rid, num, now_ns());
	pthread_mutex_unlock(&rc->lock);
	if (changed)
		engine_touch(rc->e, rc->kid);
}

static int by_time_then_num(const void *a, const void *b)
{
	const struct cand_row *x = a, *y = b;
	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? -1 : 1;
	return x->num < y->num ? -1 : (x->num > y->num);
}

/* One candidate of the final re-timing: built once, run once a round. */
struct member {
	int64_t num;
	char dir[PATH_MAX + 48];
	struct cand_row c;
	struct ac_job job;
	bool built;
	int64_t t[RUN_RETIME_MAX_ROUNDS];
	struct noise_ratio nr;
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
	for (int i = 0; i < n; i++)
		if (t[i] > 0)
			v[k++] = t[i];
	if (!k)
		return 0;
	qsort(v, (size_t)k, sizeof(v[0]), cmp_i64);
	return k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
}

/* Adds "retime" to the candidate's stored verdict. */
static void store_retime_verdict(struct run_ctx *rc, struct member *m, int rounds, bool incumbent)
{
	cJSON *v = m->c.verdict && m->c.verdict[0] ? cJSON_Parse(m->c.verdict) : NULL;
	if (!cJSON_IsObject(v)) {
		cJSON_Delete(v);
		v = cJSON_CreateObject();
	}
	if (!v)
		return;
	cJSON_DeleteItemFromObject(v, "retime");
	cJSON *o = cJSON_CreateObject();
	cJSON *times = cJSON_CreateArray();
	for (int i = 0; i < rounds && times; i++)
		cJSON_AddItemToArray(times, cJSON_CreateNumber((double)m->t[i]));
	cJSON_AddItemToObject(o, "rounds_ns", times);
	if (incumbent) {
		cJSON_AddBoolToObject(o, "incumbent", true);
	} else if (m->nr.rounds >= 2) {
		cJSON_AddNumberToObject(o, "ratio", m->nr.ratio);
		cJSON *ci = cJSON_CreateArray();
		cJSON_AddItemToArray(ci, cJSON_CreateNumber(m->nr.lo));
		cJSON_AddItemToArray(ci, cJSON_CreateNumber(m->nr.hi));
		cJSON_AddItemToObject(o, "ratio_95", ci);
		cJSON_AddBoolToObject(o, "faster", m->nr.faster);
	}
	cJSON_AddItemToObject(v, "retime", o);
	char *text = cJSON_PrintUnformatted(v);
	if (text)
		store_cand_set_verdict(rc->e->writer, rc->rid, m->num, text);
	free(text);
	cJSON_Delete(v);
}

void run_finalists(struct run_ctx *rc, const char *state)
{
	struct cand_row *rows;
	int n;
	if (store_cand_list(rc->e->writer, rc->rid, &rows, &n))
		return;
	/* the correct candidates, fastest first by their first measurement; a
	 * duplicate is its original's code, so it takes no finalist's place */
	int ok = 0;
	for (int i = 0; i < n; i++)
		if (!strcmp(rows[i].outcome, "ok") && rows[i].time_ns > 0 && rows[i].same_as < 0)
			rows[ok++] = rows[i];
		else
			cand_row_clear(&rows[i]);
	qsort(rows, (size_t)ok, sizeof(*rows), by_time_then_num);
	struct member *m = calloc(RUN_FINALISTS + 1, sizeof(*m));
	int nm = 1;
	int rounds = rc->cfg.retime_rounds;
	if (rounds < 2)
		rounds = 2;
	if (rounds > RUN_RETIME_MAX_ROUNDS)
		rounds = RUN_RETIME_MAX_ROUNDS;
	if (m) {
		m[0].num = 0;   /* the incumbent: the input */
		for (int i = 0; i < ok && nm < RUN_FINALISTS + 1; i++)
			if (rows[i].num != 0)
				m[nm++].num = rows[i].num;
	}
	cand_rows_free(rows, ok);
	if (!m || nm < 2) {
		free(m);
		return;   /* nothing correct but the input: it stays */
	}
	run_progress(rc, state, "%s: timing the %d finalists and the input again, interleaved "
	             "(%d rounds)", state, nm - 1, rounds);
	run_log(rc, "timing the %d finalists and the input again, interleaved (%d rounds)", nm - 1,
	        rounds);
	for (int j = 0; j < nm && !run_cancelled(rc); j++) {
		struct member *x = &m[j];
		struct ac_result r = {0};
		if (store_cand_get(rc->e->writer, rc->rid, x->num, &x->c))
			continue;
		snprintf(x->dir, sizeof(x->dir), "%s/retime-%lld", rc->run_dir, (long long)x->num);
		remove_tree(x->dir);
		if (mkdir_p(x->dir, 0700))
			continue;
		x->job = (struct ac_job){
			.scratch_dir = x->dir,
			.run_dir = rc->run_dir,
			.candidate = x->c.source,
			.candidate_size = strlen(x->c.source),
			.reference = rc->row.input,
			.reference_size = strlen(rc->row.input),
			.files = rc->afiles,
			.nfiles = (size_t)rc->nfiles,
			.opts = &rc->topts,
			.cancel = &rc->cancel,
		};
		build_acquire(rc->e);
		x->built = rc->target->build(&x->job, &r) == 0 && r.outcome == AC_OK;
		build_release(rc->e);
		ac_result_clear(&r);
	}
	/* round after round, each in another order, so that what the machine
	 * does meanwhile falls on all of them alike; the rounds repeat the
	 * measurement, so each run of a round can be short */
	double min_time = rc->topts.min_time_s;
	rc->topts.min_time_s = RUN_RETIME_MIN_TIME_S;
	for (int round = 0; round < rounds && !run_cancelled(rc); round++) {
		for (int j = 0; j < nm && !run_cancelled(rc); j++) {
			struct member *x = &m[(j + round) % nm];
			struct ac_result r = {0};
			if (!x->built)
				continue;
			struct ac_exec_ctx where;
			int err = timed_run(rc, &x->job, x->num, true, &r, &where);
			x->t[round] = !err && r.outcome == AC_OK ? r.time_ns : 0;
			ac_result_clear(&r);
		}
	}
	rc->topts.min_time_s = min_time;
	int64_t t_in = median_pos(m[0].t, rounds);
	if (!run_cancelled(rc) && t_in > 0) {
		int win = 0;
		char d[32];
		store_cand_set_retime(rc->e->writer, rc->rid, 0, t_in);
		store_retime_verdict(rc, &m[0], rounds, true);
		for (int j = 1; j < nm; j++) {
			struct member *x = &m[j];
			noise_paired_ratio_k(x->t, m[0].t, rounds, nm - 1, &x->nr);
			if (x->nr.rounds < 2) {
				run_log(rc, "finalist #%lld: not timed again (it failed when re-run)",
				        (long long)x->num);
				store_retime_verdict(rc, x, rounds, false);
				continue;
			}
			/* its figure: the input's re-timed median times the paired ratio */
			int64_t t = llround((double)t_in * x->nr.ratio);
			store_cand_set_retime(rc->e->writer, rc->rid, x->num, t > 0 ? t : 1);
			store_retime_verdict(rc, x, rounds, false);
			run_log(rc, "finalist #%lld: %s again, %.2fx the input [95%%: %.2fx-%.2fx over %d "
			        "rounds]%s", (long long)x->num, fmt_duration(t, d, sizeof(d)),
			        1 / x->nr.ratio, 1 / x->nr.hi, 1 / x->nr.lo, x->nr.rounds,
			        x->nr.faster ? "" : ": not faster beyond the noise");
			if (x->nr.faster && (!win || x->nr.ratio < m[win].nr.ratio))
				win = j;
		}
		cJSON *v = cJSON_CreateObject();
		if (v) {
			cJSON_AddNumberToObject(v, "incumbent", 0);
			cJSON_AddNumberToObject(v, "rounds", rounds);
			cJSON_AddNumberToObject(v, "winner", (double)m[win].num);
			cJSON_AddBoolToObject(v, "significant", win != 0);
			cJSON_AddStringToObject(v, "rule", "the family-wise 95% interval of the paired "
			                        "time ratio to the input lies below 0.99");
			char *text = cJSON_PrintUnformatted(v);
			if (text)
				store_run_set_verdict(rc->e->writer, rc->rid, text);
			free(text);
			cJSON_Delete(v);
		}
		rc->no_gain = win == 0;
		rc->closest = 0;
		for (int j = 1; j < nm; j++)
			if (m[j].nr.rounds >= 2 && (!rc->closest || m[j].nr.ratio < rc->closest_ratio)) {
				rc->closest = m[j].num;
				rc->closest_ratio = m[j].nr.ratio;
				rc->closest_lo = m[j].nr.lo;
				rc->closest_hi = m[j].nr.hi;
			}
		if (win)
			run_set_best(rc, m[win].num, llround((double)t_in * m[win].nr.ratio));
		else
			run_set_best(rc, 0, t_in);
		if (!win)
			run_log(rc, "no finalist is faster than the input beyond the noise: best.c stays "
			        "the input");
	}
	for (int j = 0; j < nm; j++) {
		if (m[j].dir[0])
			remove_tree(m[j].dir);
		cand_row_clear(&m[j].c);
	}
	free(m);
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
	if (store_cand_get(rc->e->writer, rc->rid, 0, &in) == 0) {
		if (store_cand_get(rc->e->writer, rc->rid, rc->best_num, &b) == 0) {
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

/* ---- the driver ---- */

/* Loads what the run needs: row, config, target, file snapshot. */
static int driver_load(struct run_ctx *rc)
{
	struct engine *e = rc->e;
	int err = store_run_get(e->writer, rc->rid, &rc->row);
	if (err)
		return err;
	char msg[512];
	if (config_parse(rc->row.config, strlen(rc->row.config), &rc->cfg, msg, sizeof(msg))) {
		run_status(rc, "failed", "failed: %s", msg);
		return -EINVAL;
	}
	rc->target = ac_target_find(rc->row.target);
	if (!rc->target) {
		run_status(rc, "failed", "failed: unknown target %s", rc->row.target);
		return -EINVAL;
	}
	rc->executor = rc->cfg.executor ? ac_executor_find(rc->cfg.executor) : e->executor;
	if (!rc->executor)
		rc->executor = &ac_executor_local;
	rc->topts.cc = rc->cfg.cc;
	rc->topts.cflags = rc->cfg.cflags;
	rc->topts.arch = rc->cfg.arch;
	rc->topts.command = rc->cfg.command;
	rc->topts.timeout_s = rc->cfg.timeout_s;
	rc->topts.cpu = -1;
	err = store_run_files(e->writer, rc->rid, &rc->files, &rc->nfiles);
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
	snprintf(rc->run_dir, sizeof(rc->run_dir), "%s/run-%lld", e->scratch_dir,
	         (long long)rc->rid);
	err = mkdir_p(rc->run_dir, 0711);
	if (err)
		return err;
	chmod(rc->run_dir, 0711);   /* whatever the umask: the sandbox user passes through */
	rc->tokens = rc->row.tokens;
	rc->started_mono_ns = mono_ns();
	return 0;
}

/* Restores best and the input's time from stored candidates (resume). */
static void driver_restore(struct run_ctx *rc)
{
	struct cand_row *rows;
	int n;
	if (store_cand_list(rc->e->writer, rc->rid, &rows, &n))
		return;
	for (int i = 0; i < n; i++) {
		if (strcmp(rows[i].outcome, "ok"))
			continue;
		if (rows[i].num == 0)
			rc->input_time_ns = rows[i].time_ns;
	}
	if (rc->row.best >= 0) {
		for (int i = 0; i < n; i++)
			if (rows[i].num == rc->row.best && !strcmp(rows[i].outcome, "ok")) {
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

static int driver_baseline(struct run_ctx *rc)
{
	struct cand_row c;
	int err = store_cand_get(rc->e->writer, rc->rid, 0, &c);
	if (err == -ENOENT) {
		memset(&c, 0, sizeof(c));
		c.num = 0;
		c.parent = -1;
		c.origin = strdup("input");
		c.plan = strdup("the input");
		c.source = strdup(rc->row.input);
		err = run_add_candidate(rc, &c);
		cand_row_clear(&c);
		if (err)
			return err;
		err = store_cand_get(rc->e->writer, rc->rid, 0, &c);
	}
	if (err)
		return err;
	bool pending = !strcmp(c.outcome, "pending");
	struct ac_result r = {0};
	if (pending) {
		cand_row_clear(&c);
		run_status(rc, "baseline", "baseline: building and timing the input (%s target)",
		           rc->target->name);
		err = run_evaluate(rc, 0, &r);
		if (err) {
			ac_result_clear(&r);
			return err;
		}
	} else {
		r.outcome = ac_outcome_parse(c.outcome);
		r.time_ns = c.time_ns;
		r.message = c.message ? strdup(c.message) : NULL;
		cand_row_clear(&c);
	}
	if (r.outcome != AC_OK) {
		char why[600];
		baseline_failure(rc, &r, why, sizeof(why));
		run_status(rc, "failed", "failed: %s (see candidates/0.log)", why);
		store_run_set_state(rc->e->writer, rc->rid, "failed", true);
		ac_result_clear(&r);
		return -ENOEXEC;
	}
	rc->input_time_ns = r.time_ns;
	if (rc->best_num < 0)
		run_offer_best(rc, 0, r.time_ns, r.spread);
	ac_result_clear(&r);
	return 0;
}

static void driver_free(struct run_ctx *rc)
{
	run_row_clear(&rc->row);
	config_clear(&rc->cfg);
	file_rows_free(rc->files, rc->nfiles);
	free(rc->afiles);
	rc->files = NULL;
	rc->afiles = NULL;
	if (rc->run_dir[0])
		remove_tree(rc->run_dir);
}

static void *driver_main(void *arg)
{
	struct run_ctx *rc = arg;
	struct engine *e = rc->e;
	rc->full_mark = store_full_count();
	int err = driver_load(rc);
	if (!err) {
		driver_restore(rc);
		store_run_set_state(e->writer, rc->rid, "baseline", false);
		/* a disk still full shows here, before anything is asked or built */
		err = run_cancelled(rc) ? -ECANCELED : driver_baseline(rc);
	}
	if (!err && !run_cancelled(rc)) {
		store_run_set_state(e->writer, rc->rid, "searching", false);
		err = search_phase(rc);
		if (!err && !run_cancelled(rc))
			store_run_set_state(e->writer, rc->rid, "done", true);
	}
	run_cancelled(rc);   /* notices a write that failed for want of space */
	int why = atomic_load(&rc->cancel);
	if (why == RUN_GO && err == -ENOSPC)
		why = RUN_NOSPACE;
	if (why == RUN_NOSPACE) {
		/* The run stays unfinished in the store and is resumed in a few
		 * seconds; this line is stored only if there is room for it. */
		atomic_store(&e->full_mono_ns, mono_ns());
		run_status(rc, "waiting", "waiting: the disk of the state directory is full (%s); "
		           "the run goes on by itself when there is space", strerror(ENOSPC));
	} else if (why == RUN_STOP || why == RUN_SUPERSEDED) {
		store_run_set_state(e->writer, rc->rid, "stopped", true);
		char d[32] = "-";
		if (rc->best_time_ns > 0)
			fmt_duration(rc->best_time_ns, d, sizeof(d));
		if (why == RUN_STOP)
			run_status(rc, "stopped", "stopped: by ctl after %d candidates, best %s (#%lld); "
			           "write start to ctl to go on", rc->evaluated, d, (long long)rc->best_num);
		else
			run_status(rc, "stopped", "stopped: superseded by a new run");
	} else if (err && err != -ENOEXEC && err != -EINVAL && why == RUN_GO) {
		store_run_set_state(e->writer, rc->rid, "failed", true);
		run_status(rc, "failed", "failed: internal error: %s", strerror(-err));
	}
	driver_free(rc);
	pthread_mutex_lock(&e->lock);
	if (why == RUN_NOSPACE && !rc->k->deleted && !e->stopping && !rc->k->due_mono_ns) {
		rc->k->resume_rid = rc->rid;
		rc->k->due_mono_ns = mono_ns() + NOSPACE_RETRY_NS;
	}
	atomic_store(&rc->k->thread_done, true);
	pthread_cond_broadcast(&e->wake);
	pthread_mutex_unlock(&e->lock);
	return NULL;
}
