/*
 * inval.c - the refresher thread (inval.h).
 *
 * It sleeps in engine_wait_change until the engine's version moves (every
 * stored change touches it) or the cache queues work (engine_wake), then
 * brings the cache up to date, carries out the queued invalidations, and
 * only then shows the new log lines (cache_show_logs), so that what a log
 * says has happened is already what stat and read give:
 * fuse_invalidate_path drops the kernel's attributes and pages of a path,
 * and the cache learns that from now on the kernel's attributes of it are
 * those of the version just published. A path the kernel has not looked
 * up is not in libfuse's table, and libfuse answers -ENOENT for it: that
 * is fine and ignored.
 *
 * What it does not do: render (the cache asks fs.c), or decide what
 * changed (the cache compares).
 */
#include "fs/inval.h"

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

/* How long it sleeps when nothing happens (it checks for stop). */
#define IDLE_MS 1000
/* The root files wait at most this long after a change (cache.c). */
#define ROOT_RETRY_MS 50
/* How often, at most, free heap pages are given back to the system. */
#define TRIM_NS 10000000000LL

struct inval {
	struct fuse *f;
	struct engine *e;
	struct cache *c;
	pthread_t thread;
	atomic_bool stop;
};

/* Carries out what is queued; returns the sequence number it reached. */
static uint64_t invalidate(struct inval *w)
{
	struct cache_inval *q;
	int n;
	uint64_t seq = cache_take_invals(w->c, &q, &n);
	for (int i = 0; i < n; i++) {
		fuse_invalidate_path(w->f, q[i].path);
		cache_inval_done(w->c, q[i].path, q[i].gen);
		free(q[i].path);
	}
	free(q);
	return seq;
}

/* The files first, then the logs that tell of their changes: a line seen
 * in a log is already true of every file's stat and read. */
static void carry_out(struct inval *w)
{
	uint64_t seq = invalidate(w);
	if (cache_show_logs(w->c, -1))
		seq = invalidate(w);
	cache_invals_through(w->c, seq);
}

static int64_t mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Gives free heap pages back to the system now and then: what renders,
 * builds and requests free in the middle of a heap stays resident until
 * then (glibc trims only a heap's top by itself). */
static void trim(int64_t *last)
{
#ifdef M_TRIM_THRESHOLD
	int64_t now = mono_now();
	if (now - *last < TRIM_NS)
		return;
	*last = now;
	malloc_trim(0);
#else
	(void)last;
#endif
}

static void *watch(void *arg)
{
	struct inval *w = arg;
	uint64_t seen = engine_version(w->e);
	int64_t trimmed = mono_now();
	bool later = cache_refresh(w->c, true);
	carry_out(w);
	while (!atomic_load(&w->stop)) {
		uint64_t ver = engine_wait_change(w->e, seen, later ? ROOT_RETRY_MS : IDLE_MS);
		if (atomic_load(&w->stop))
			break;
		if (ver != seen || later) {
			seen = ver;
			later = cache_refresh(w->c, false);
		}
		carry_out(w);
		trim(&trimmed);
	}
	return NULL;
}

struct inval *inval_start(struct fuse *f, struct engine *e, struct cache *c)
{
	struct inval *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->f = f;
	w->e = e;
	w->c = c;
	if (pthread_create(&w->thread, NULL, watch, w)) {
		free(w);
		return NULL;
	}
	return w;
}

void inval_stop(struct inval *w)
{
	if (!w)
		return;
	atomic_store(&w->stop, true);
	engine_wake(w->e);
	pthread_join(w->thread, NULL);
	free(w);
}
