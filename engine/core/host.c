/*
 * host.c - what the engine lends every run (host.h): the log, the totals,
 * the build slots.
 *
 * Build slots are a counting semaphore under build_lock; a thread that
 * holds one keeps off the cores timed runs are pinned to (the last one, or
 * the last N while a run of N cores holds them) and runs at a lower
 * priority, so a compile never shares a core with a measurement nor makes
 * the mount wait. A run of N cores waits until the builds already on its
 * cores are done; on a machine with no core left over, builds wait for it.
 */
#include "engine/core/host.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine/core/sigcache.h"
#include "engine/core/store.h"
#include "engine/util/util.h"

/* Whether RLIMIT_NICE lets an unprivileged thread lower its nice value
 * back to nice (the limit is 20 - the lowest nice value allowed). */
static bool can_return_to(int nice)
{
	struct rlimit rl;

	return getrlimit(RLIMIT_NICE, &rl) == 0 &&
	       (rl.rlim_cur == RLIM_INFINITY || (long)rl.rlim_cur >= 20 - nice);
}

void host_init(struct run_host *h, int build_jobs, int slots)
{
	pthread_mutex_init(&h->build_lock, NULL);
	pthread_cond_init(&h->build_cond, NULL);
	pthread_mutex_init(&h->timing_lock, NULL);
	pthread_mutex_init(&h->slurm.lock, NULL);
	pthread_cond_init(&h->slurm.cond, NULL);
	h->slurm.total = slots > 0 ? slots : 1;
	h->slurm.fixed = slots > 0;
	h->build_jobs = build_jobs > 0 ? build_jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (h->build_jobs < 1)
		h->build_jobs = 1;
	h->builds_free = h->build_jobs;
	h->sigs = sigcache_new();
	h->cores = 1;
	errno = 0;
	h->nice = getpriority(PRIO_PROCESS, 0);
	if (errno)
		h->nice = 0;
	h->renice = geteuid() == 0 || can_return_to(h->nice);
	h->builds_on = calloc((size_t)host_cores_max(), sizeof *h->builds_on);
}

int host_cores_max(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

void host_destroy(struct run_host *h)
{
	sigcache_free(h->sigs);
	h->sigs = NULL;
	pthread_mutex_destroy(&h->build_lock);
	pthread_cond_destroy(&h->build_cond);
	pthread_mutex_destroy(&h->timing_lock);
	pthread_mutex_destroy(&h->slurm.lock);
	pthread_cond_destroy(&h->slurm.cond);
	free(h->builds_on);
	h->builds_on = NULL;
}

void host_touch(struct run_host *h, int64_t kid)
{
	if (h->touch)
		h->touch(h->arg, kid);
}

void host_log(struct run_host *h, int64_t kid, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	host_vlog(h, kid, fmt, ap);
	va_end(ap);
}

void host_vlog(struct run_host *h, int64_t kid, const char *fmt, va_list ap)
{
	char line[2048];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (kid < 0) {
		fprintf(stderr, "autocompfs: %s\n", line);
		return;
	}
	/* one that cannot be stored (a full disk) is counted by the store,
	 * which stops the runs (run_cancelled) */
	host_stored(store_log_add(h->writer, kid, now_ns(), line), "a log line");
	/* only the log changed: what the mount renders from the kernel's
	 * state stays valid */
	if (h->touch_log)
		h->touch_log(h->arg, kid);
	else
		host_touch(h, kid);
}

int host_stored(int err, const char *what)
{
	if (err && err != -ENOSPC)
		fprintf(stderr, "autocompfs: cannot store %s: %s\n", what, strerror(-err));
	return err;
}

void host_set_status(struct run_host *h, int64_t kid, enum run_state state, const char *line,
                     bool log)
{
	int64_t t = now_ns();

	host_stored(store_kernel_set_status(h->writer, kid, state, line, t), "a status line");
	if (log)
		host_stored(store_log_add(h->writer, kid, t, line), "a log line");
	host_touch(h, kid);
}

void host_add_tokens(struct run_host *h, long n)
{
	atomic_fetch_add(&h->tokens, n);
}

void host_add_reasoning_tokens(struct run_host *h, long n)
{
	atomic_fetch_add(&h->reasoning_tokens, n);
}

void host_add_cost(struct run_host *h, double dollars)
{
	if (dollars > 0)
		atomic_fetch_add(&h->cost_microdollars, (long long)llround(dollars * 1e6));
}

/* The highest core a build may use now, or -1 when none is free of timed
 * runs (a run holds them all). Call with build_lock held. */
static int build_top(const struct run_host *h)
{
	assert_held(&h->build_lock);
	int n = host_cores_max();

	if (n < 2)
		return 0;   /* one core: builds and runs share it, as they must */
	return n - 1 - (h->reserved > 1 ? h->reserved : 1);
}

/* A build thread's affinity (its compilers inherit it) and priority:
 * cores 0..top, and 10 below the daemon's own nice value, under the
 * mount's request threads (a compile must not make `cat best.c` wait;
 * the thread's nice value is inherited by the compiler). Afterwards the
 * thread returns to the daemon's value, so every timed run it starts has
 * the same priority; where it could not return (no CAP_SYS_NICE, no
 * RLIMIT_NICE to allow it) builds keep the daemon's priority instead. */
static void build_affinity(const struct run_host *h, bool building, int top)
{
	int n = host_cores_max();
	cpu_set_t set;

	if (h->renice)
		setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), h->nice + (building ? 10 : 0));
	if (n < 2)
		return;
	CPU_ZERO(&set);
	for (int i = 0; i < n; i++)
		if (!building || i <= top)
			CPU_SET(i, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* The top core of the calling build thread, between acquire and release. */
static __thread int build_thread_top = -1;

void host_build_acquire(struct run_host *h)
{
	int top;

	atomic_fetch_add(&h->builds_waiting, 1);
	pthread_mutex_lock(&h->build_lock);
	while (h->builds_free == 0 || build_top(h) < 0)
		pthread_cond_wait(&h->build_cond, &h->build_lock);
	h->builds_free--;
	top = build_top(h);
	if (h->builds_on)
		h->builds_on[top]++;
	pthread_mutex_unlock(&h->build_lock);
	atomic_fetch_sub(&h->builds_waiting, 1);
	build_thread_top = top;
	build_affinity(h, true, top);
}

void host_build_release(struct run_host *h)
{
	build_affinity(h, false, 0);
	pthread_mutex_lock(&h->build_lock);
	h->builds_free++;
	if (h->builds_on && build_thread_top >= 0)
		h->builds_on[build_thread_top]--;
	build_thread_top = -1;
	assert(h->builds_free <= h->build_jobs);
	pthread_cond_broadcast(&h->build_cond);
	pthread_mutex_unlock(&h->build_lock);
}

/* Running builds that may use a core at or above from. */
static int builds_from(const struct run_host *h, int from)
{
	int n = host_cores_max(), busy = 0;

	for (int t = from > 0 ? from : 0; h->builds_on && t < n; t++)
		busy += h->builds_on[t];
	return busy;
}

void host_cores_reserve(struct run_host *h, int cores)
{
	int n = host_cores_max();

	assert_held(&h->timing_lock);
	if (cores < 2 || n < 2)
		return;
	pthread_mutex_lock(&h->build_lock);
	h->reserved = cores < n ? cores : n;
	while (builds_from(h, n - h->reserved) > 0)
		pthread_cond_wait(&h->build_cond, &h->build_lock);
	pthread_mutex_unlock(&h->build_lock);
}

void host_cores_release(struct run_host *h)
{
	assert_held(&h->timing_lock);
	pthread_mutex_lock(&h->build_lock);
	h->reserved = 0;
	pthread_cond_broadcast(&h->build_cond);
	pthread_mutex_unlock(&h->build_lock);
}
