/*
 * inval.c - the invalidation thread.
 *
 * Every 50 ms it compares the engine's version with the last one it saw.
 * On a change it walks the kernels whose own version moved and invalidates
 * their generated files, plus the candidates and plans created or
 * evaluated since its last pass; the root files are invalidated on any
 * change. A path the kernel has not looked up is not cached, and libfuse
 * answers -ENOENT for it: that is fine and ignored.
 */
#include "fs/inval.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/util/util.h"

struct seen {
	int64_t kid;
	uint64_t version;
	int64_t last_ns;     /* newest candidate change already invalidated */
};

struct inval {
	struct fuse *f;
	struct engine *e;
	struct view *v;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	struct seen *seen;
	int nseen;
};

static struct seen *seen_for(struct inval *w, int64_t kid)
{
	for (int i = 0; i < w->nseen; i++)
		if (w->seen[i].kid == kid)
			return &w->seen[i];
	struct seen *p = realloc(w->seen, (size_t)(w->nseen + 1) * sizeof(*p));
	if (!p)
		return NULL;
	w->seen = p;
	memset(&p[w->nseen], 0, sizeof(*p));
	p[w->nseen].kid = kid;
	return &p[w->nseen++];
}

static void inval(struct inval *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void inval(struct inval *w, const char *fmt, ...)
{
	char path[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	fuse_invalidate_path(w->f, path);
}

static void pass_kernel(struct inval *w, const struct kernel_row *k)
{
	struct seen *s = seen_for(w, k->id);
	if (!s)
		return;
	uint64_t ver = engine_kernel_version(w->e, k->id);
	if (ver == s->version)
		return;
	s->version = ver;
	char ext[32];
	view_input_ext(w->v, k->id, ext, sizeof(ext));
	static const char *const gen[] = {"status", "log", "metrics.json", "schedule",
	                                  "progress.svg", "index.html"};
	for (size_t i = 0; i < sizeof(gen) / sizeof(gen[0]); i++)
		inval(w, "/kernels/%s/%s", k->name, gen[i]);
	inval(w, "/kernels/%s/best.%s", k->name, ext);
	inval(w, "/kernels/%s", k->name);
	struct view_cand *vc;
	int n;
	if (view_candidates(w->v, k->id, &vc, &n))
		return;
	int64_t newest = s->last_ns;
	for (int i = 0; i < n; i++) {
		int64_t t = vc[i].evaluated_ns > vc[i].created_ns ? vc[i].evaluated_ns : vc[i].created_ns;
		if (t <= s->last_ns)
			continue;
		long long num = (long long)vc[i].num;
		inval(w, "/kernels/%s/candidates/%lld.%s", k->name, num, ext);
		inval(w, "/kernels/%s/candidates/%lld.log", k->name, num);
		inval(w, "/kernels/%s/plans/%lld.md", k->name, num);
		inval(w, "/kernels/%s/plans/%lld.prompt", k->name, num);
		if (t > newest)
			newest = t;
	}
	/* a new run starts numbering again: forget what was seen */
	s->last_ns = n ? newest : 0;
	free(vc);
}

static void *watch(void *arg)
{
	struct inval *w = arg;
	uint64_t last = (uint64_t)-1;
	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		pthread_mutex_unlock(&w->lock);
		uint64_t ver = engine_version(w->e);
		if (ver != last) {
			last = ver;
			inval(w, "/status");
			inval(w, "/targets");
			inval(w, "/progress.svg");
			inval(w, "/index.html");
			struct kernel_row *rows;
			int n;
			if (store_kernel_list(engine_reader(w->e), &rows, &n) == 0) {
				for (int i = 0; i < n; i++)
					pass_kernel(w, &rows[i]);
				kernel_rows_free(rows, n);
			}
		}
		pthread_mutex_lock(&w->lock);
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (!w->stop)
			pthread_cond_timedwait(&w->cond, &w->lock, &ts);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct inval *inval_start(struct fuse *f, struct engine *e, struct view *v)
{
	struct inval *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->f = f;
	w->e = e;
	w->v = v;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (pthread_create(&w->thread, NULL, watch, w)) {
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->cond);
		free(w);
		return NULL;
	}
	return w;
}

void inval_stop(struct inval *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w->seen);
	free(w);
}
