/*
 * refresh.c - keeping the mount's cache current (cache.h, cache_int.h).
 *
 * A record per kernel asked about: its candidate index, its input's
 * extension and its log (logfile.h), with the engine versions they were
 * brought up to. The refresher (inval.c) calls cache_refresh after every
 * change: for a kernel whose version moved it renders every entry of the
 * kernel and the candidate entries whose index row moved, publishes them
 * (only different bytes are invalidated), and queues the candidates whose
 * rows moved; a kernel whose log alone grew only has its log taken
 * further, and the log shows its new lines once the files they tell of
 * are invalidated (cache_show_logs). A handler that changed something
 * does the same for its kernel, at once (cache_sync). A kernel deleted or
 * not asked about for KERNEL_IDLE_NS loses its record and its entries.
 */
#include "fs/cache_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/util.h"

/* The root files are rendered again at most this often for changes the
 * engine made (every log line moves the engine's version). */
#define ROOT_MIN_NS 50000000
/* A kernel nobody asked about for this long loses its record, its
 * entries and what the renderer keeps of it (memory follows the kernels
 * in use, not every kernel there is). */
#define KERNEL_IDLE_NS (600 * 1000000000LL)

void cache_kernel_free(struct ckernel *k)
{
	if (!k)
		return;
	logfile_free(k->log);
	free(k->idx);
	pthread_mutex_destroy(&k->refresh);
	free(k);
}

/* ---- kernel records ---- */

/* cache_record(), with a reference the caller returns with kernel_put. */
static struct ckernel *kernel_get(struct cache *c, int64_t kid)
{
	pthread_mutex_lock(&c->lock);
	struct ckernel *k = cache_record(c, kid);
	if (k)
		k->refs++;
	pthread_mutex_unlock(&c->lock);
	return k;
}

static void kernel_put(struct cache *c, struct ckernel *k)
{
	pthread_mutex_lock(&c->lock);
	k->refs--;
	pthread_mutex_unlock(&c->lock);
}

/* Whether candidate rows a and b show the same files. */
static bool same_row(const struct view_cand *a, const struct view_cand *b)
{
	return a->num == b->num && a->source_len == b->source_len && a->log_len == b->log_len &&
	       a->created_ns == b->created_ns && a->evaluated_ns == b->evaluated_ns &&
	       a->retime_ns == b->retime_ns;
}

/* Paths of a candidate's files, for invalidation. */
static void queue_candidate(struct cache *c, const char *name, const char *ext, int64_t num)
{
	char p[600];
	snprintf(p, sizeof(p), "/kernels/%s/candidates/%lld.%s", name, (long long)num, ext);
	cache_queue(c, p, 0);
	snprintf(p, sizeof(p), "/kernels/%s/candidates/%lld.log", name, (long long)num);
	cache_queue(c, p, 0);
	snprintf(p, sizeof(p), "/kernels/%s/plans/%lld.md", name, (long long)num);
	cache_queue(c, p, 0);
	snprintf(p, sizeof(p), "/kernels/%s/plans/%lld.prompt", name, (long long)num);
	cache_queue(c, p, 0);
}

/* An entry to render again, taken out of the lock. */
struct job {
	struct centry *x;
	uint64_t key;
};

/* Renders again the entries of kid (all of scope CACHE_KERNEL, and those
 * of CACHE_CANDIDATE whose key in idx moved), or of the root when kid < 0;
 * publishes each. Entries whose file is gone are dropped. */
static void rerender(struct cache *c, int64_t kid, uint64_t dep, const struct view_cand *idx,
                     int nidx)
{
	struct job *jobs = NULL;
	int n = 0, cap = 0;
	pthread_mutex_lock(&c->lock);
	for (struct centry *x = c->lru.newer; x != &c->lru; x = x->newer) {
		bool mine = kid < 0 ? x->scope == CACHE_ROOT : x->kid == kid && x->scope != CACHE_ROOT;
		if (!mine)
			continue;
		uint64_t key = 0;
		if (x->scope == CACHE_CANDIDATE) {
			key = cache_cand_key(idx, nidx, x->num);
			if (key && key == x->key) {
				x->dep = dep;   /* its row did not move: still true */
				continue;
			}
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			struct job *p = realloc(jobs, (size_t)cap * sizeof(*p));
			if (!p)
				break;
			jobs = p;
		}
		x->refs++;
		jobs[n++] = (struct job){x, key};
	}
	pthread_mutex_unlock(&c->lock);
	for (int i = 0; i < n; i++) {
		struct centry *x = jobs[i].x;
		struct blob *b = NULL;
		int rc = jobs[i].key || x->scope != CACHE_CANDIDATE ? c->render(c->arg, x->path, &b)
		                                                    : -ENOENT;
		pthread_mutex_lock(&c->lock);
		if (x->in_table) {
			if (rc == 0)
				cache_publish(c, x, b, dep, jobs[i].key);
			else if (rc == -ENOENT)
				cache_drop(c, x);
			else
				x->dep = dep;   /* kept as it was; tried again next change */
		} else {
			blob_put(b);
		}
		cache_entry_put(x);
		pthread_mutex_unlock(&c->lock);
	}
	free(jobs);
}

/* After a pass rendered kid's entries (kid < 0: the root's) at version
 * dep: an entry a request made meanwhile from an older version may have
 * missed a change the pass rendered for the others. Such an entry makes
 * the next pass come, and render it too. Called with c->lock held;
 * returns whether there was one. */
static bool missed(struct cache *c, int64_t kid, uint64_t dep)
{
	assert_held(&c->lock);
	for (struct centry *x = c->lru.newer; x != &c->lru; x = x->newer) {
		bool mine = kid < 0 ? x->scope == CACHE_ROOT : x->kid == kid && x->scope != CACHE_ROOT;
		if (mine && x->dep != dep)
			return true;
	}
	return false;
}

/* Brings kernel k (named name, NULL if unknown) up to the engine's
 * versions: its state when kver moved (or force), its log when lver moved
 * (taken in; cache_show_logs shows it). Holds k->refresh. */
static void refresh_kernel(struct cache *c, struct ckernel *k, const char *name, bool force)
{
	pthread_mutex_lock(&k->refresh);
	/* The engine stores a change, then moves the version; a log line
	 * telling of a change is stored after it. So: the newest log line
	 * first, then the versions, then the renders (which read at least
	 * what the versions say), and the log only up to that line. A line
	 * shown thus tells of a change already rendered: the log never says
	 * "best: #5" while best.c still shows #4. The versions recorded are
	 * those read before rendering: a change racing the pass is rendered
	 * again by the next one, never missed. */
	uint64_t kver = engine_kernel_version(c->e, k->kid);
	uint64_t lver = engine_kernel_log_version(c->e, k->kid);
	if (!force && k->loaded && k->log && kver == k->kver && lver == k->lver) {
		pthread_mutex_unlock(&k->refresh);
		return;   /* nothing since the last pass (the common case) */
	}
	int64_t upto = 0;
	if (engine_log_last(c->e, k->kid, &upto))
		upto = 0;
	kver = engine_kernel_version(c->e, k->kid);
	lver = engine_kernel_log_version(c->e, k->kid);
	bool state = force || !k->loaded || kver != k->kver;

	char ext[32] = "c";
	struct view_cand *idx = NULL;
	int nidx = 0;
	int64_t created = 0;
	if (state) {
		view_input_ext(c->v, k->kid, ext, sizeof(ext));
		if (view_cand_list(c->v, k->kid, &idx, &nidx))
			nidx = 0;
		struct kernel_row kr;
		if (engine_kernel_get(c->e, k->kid, &kr) == 0)
			created = kr.created_ns;
		kernel_row_clear(&kr);
		rerender(c, k->kid, kver, idx, nidx);
	}
	if (!k->log)
		k->log = logfile_new(k->kid, created ? created : now_ns());
	if (k->log)
		logfile_extend(k->log, c->e, upto);

	pthread_mutex_lock(&c->lock);
	if (state) {
		/* candidates whose row moved: the kernel drops what it holds of
		 * their files, whether or not they are entries (ls -l gave it
		 * their attributes). Before the first load it holds nothing of
		 * them from this record: their attributes come from it. */
		for (int i = 0; name && k->loaded && i < nidx; i++) {
			int64_t num = idx[i].num;
			const struct view_cand *old = NULL;
			if (num >= 0 && num < k->nidx && k->idx[num].num == num)
				old = &k->idx[num];
			for (int j = 0; !old && j < k->nidx; j++)
				if (k->idx[j].num == num)
					old = &k->idx[j];
			if (!old || !same_row(old, &idx[i]))
				queue_candidate(c, name, ext, num);
		}
		for (int j = 0; name && k->loaded && j < k->nidx; j++)
			if (k->idx[j].num >= nidx || idx[k->idx[j].num].num != k->idx[j].num)
				queue_candidate(c, name, k->ext, k->idx[j].num);
		free(k->idx);
		k->idx = idx;
		k->nidx = nidx;
		snprintf(k->ext, sizeof(k->ext), "%s", ext);
		if (created)
			k->created_ns = created;
		k->kver = kver;
		k->loaded = true;
		if (missed(c, k->kid, kver)) {
			k->kver = 0;
			engine_wake(c->e);
		}
	}
	if (name)
		snprintf(k->name, sizeof(k->name), "%s", name);
	k->lver = lver;
	k->show_pending = true;
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_unlock(&k->refresh);
}

/* Shows k's log lines taken in; queues the log's path when its length
 * moved. Called with c->lock held. Returns whether it queued. */
static bool show_log(struct cache *c, struct ckernel *k)
{
	assert_held(&c->lock);
	k->show_pending = false;
	if (!k->log || !logfile_show(k->log))
		return false;
	char p[600];
	if (k->kid == STORE_MENUS_KERNEL)
		snprintf(p, sizeof(p), "/menus/log");
	else if (k->name[0])
		snprintf(p, sizeof(p), "/kernels/%s/log", k->name);
	else
		return false;
	cache_queue(c, p, 0);
	return true;
}

bool cache_show_logs(struct cache *c, int64_t kid)
{
	bool any = false;
	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < c->nk; i++)
		if ((kid < 0 || c->k[i]->kid == kid) && c->k[i]->show_pending)
			any |= show_log(c, c->k[i]);
	pthread_mutex_unlock(&c->lock);
	return any;
}

/* The root files, when the engine's version moved (and, unless force, not
 * within ROOT_MIN_NS of the last time). */
static bool refresh_root(struct cache *c, bool force)
{
	pthread_mutex_lock(&c->root_refresh);
	uint64_t ver = engine_version(c->e);
	int64_t now = cache_now();
	bool later = false;
	pthread_mutex_lock(&c->lock);
	uint64_t dep = c->root_dep;
	bool due = ver != dep && (force || now - c->root_at_ns >= ROOT_MIN_NS);
	if (due) {
		c->root_dep = ver;
		c->root_at_ns = now;
	}
	pthread_mutex_unlock(&c->lock);
	if (due) {
		rerender(c, -1, ver, NULL, 0);
		pthread_mutex_lock(&c->lock);
		if (c->root_dep == ver && missed(c, -1, ver)) {
			c->root_dep = 0;
			engine_wake(c->e);
		}
		pthread_mutex_unlock(&c->lock);
	} else if (ver != dep) {
		later = true;
	}
	pthread_mutex_unlock(&c->root_refresh);
	return later;
}

/* The menus' pseudo-kernel: its log only (its files are user files). */
static void refresh_menus_log(struct cache *c)
{
	struct ckernel *k = kernel_get(c, STORE_MENUS_KERNEL);
	if (!k)
		return;
	pthread_mutex_lock(&k->refresh);
	int64_t upto = 0;
	if (k->log && engine_log_last(c->e, k->kid, &upto) == 0 &&
	    logfile_extend(k->log, c->e, upto) == 0) {
		pthread_mutex_lock(&c->lock);
		k->show_pending = true;
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_unlock(&k->refresh);
	kernel_put(c, k);
}

bool cache_refresh(struct cache *c, bool force)
{
	bool later = refresh_root(c, force);
	refresh_menus_log(c);
	struct kernel_row *rows;
	int n;
	if (engine_kernel_list(c->e, &rows, &n))
		return later;
	/* the records there are (made when a kernel is asked about): a kernel
	 * nobody asked about has nothing here to keep current */
	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < c->nk; i++)
		c->k[i]->alive = c->k[i]->kid == STORE_MENUS_KERNEL;
	pthread_mutex_unlock(&c->lock);
	for (int i = 0; i < n; i++) {
		struct ckernel *k = NULL;
		pthread_mutex_lock(&c->lock);
		for (int j = 0; j < c->nk && !k; j++)
			if (c->k[j]->kid == rows[i].id)
				k = c->k[j];
		if (k) {
			k->alive = true;
			k->refs++;
		}
		pthread_mutex_unlock(&c->lock);
		if (!k)
			continue;
		refresh_kernel(c, k, rows[i].name, false);
		kernel_put(c, k);
	}
	kernel_rows_free(rows, n);
	/* a kernel deleted, or idle: its record goes, its entries go, and so
	 * does what the renderer keeps of it */
	int64_t now = cache_now();
	int64_t *gone = NULL;
	int ngone = 0;
	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < c->nk;) {
		struct ckernel *k = c->k[i];
		bool idle = now - k->used_ns > KERNEL_IDLE_NS && k->kid != STORE_MENUS_KERNEL;
		if ((k->alive && !idle) || k->refs) {
			i++;
			continue;
		}
		for (struct centry *x = c->lru.newer; x != &c->lru;) {
			struct centry *next = x->newer;
			if (x->kid == k->kid && x->scope != CACHE_ROOT && !x->page_readers)
				cache_drop(c, x);
			x = next;
		}
		int64_t *p = realloc(gone, (size_t)(ngone + 1) * sizeof(*p));
		if (p) {
			gone = p;
			gone[ngone++] = k->kid;
		}
		c->k[i] = c->k[--c->nk];
		cache_kernel_free(k);
	}
	pthread_mutex_unlock(&c->lock);
	for (int i = 0; i < ngone; i++)
		view_drop(c->v, gone[i]);
	free(gone);
	return later;
}

void cache_sync(struct cache *c, int64_t kid)
{
	refresh_root(c, true);
	if (kid == STORE_MENUS_KERNEL)
		refresh_menus_log(c);
	if (kid <= STORE_MENUS_KERNEL)
		return;
	struct ckernel *k = kernel_get(c, kid);
	if (!k)
		return;
	struct kernel_row kr;
	bool have = kid != STORE_MENUS_KERNEL && engine_kernel_get(c->e, kid, &kr) == 0;
	refresh_kernel(c, k, have ? kr.name : NULL, false);
	if (have)
		kernel_row_clear(&kr);
	kernel_put(c, k);
}

/* The record of kid brought up to date at least once (a kernel the
 * refresher has not seen yet is loaded by the asking thread). */
static struct ckernel *loaded(struct cache *c, int64_t kid)
{
	struct ckernel *k = kernel_get(c, kid);
	if (!k)
		return NULL;
	pthread_mutex_lock(&c->lock);
	bool ready = kid == STORE_MENUS_KERNEL ? k->log != NULL : k->loaded;
	pthread_mutex_unlock(&c->lock);
	if (!ready) {
		if (kid == STORE_MENUS_KERNEL) {
			pthread_mutex_lock(&k->refresh);
			int64_t upto = 0;
			if (!k->log)
				k->log = logfile_new(kid, now_ns());
			if (k->log && engine_log_last(c->e, kid, &upto) == 0)
				logfile_extend(k->log, c->e, upto);
			pthread_mutex_unlock(&k->refresh);
		} else {
			struct kernel_row kr;
			bool have = engine_kernel_get(c->e, kid, &kr) == 0;
			refresh_kernel(c, k, have ? kr.name : NULL, false);
			if (have)
				kernel_row_clear(&kr);
		}
		/* nothing of it was shown before: nothing to keep in order */
		pthread_mutex_lock(&c->lock);
		show_log(c, k);
		pthread_mutex_unlock(&c->lock);
	}
	return k;
}

void cache_input_ext(struct cache *c, int64_t kid, char *ext, size_t len)
{
	/* no loading here: the renderer asks this too, from inside a
	 * kernel's refresh; a kernel not loaded yet asks the view */
	bool have = false;
	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < c->nk && !have; i++) {
		if (c->k[i]->kid == kid && c->k[i]->loaded) {
			snprintf(ext, len, "%s", c->k[i]->ext);
			have = true;
		}
	}
	pthread_mutex_unlock(&c->lock);
	if (!have)
		view_input_ext(c->v, kid, ext, len);
}

int cache_cand_list(struct cache *c, int64_t kid, struct view_cand **out, int *n)
{
	*out = NULL;
	*n = 0;
	struct ckernel *k = loaded(c, kid);
	if (!k)
		return -ENOMEM;
	pthread_mutex_lock(&c->lock);
	int rc = 0;
	*out = malloc(((size_t)k->nidx + 1) * sizeof(**out));
	if (*out) {
		if (k->nidx)
			memcpy(*out, k->idx, (size_t)k->nidx * sizeof(**out));
		*n = k->nidx;
	} else {
		rc = -ENOMEM;
	}
	pthread_mutex_unlock(&c->lock);
	kernel_put(c, k);
	return rc;
}

int cache_cand_stat(struct cache *c, int64_t kid, int64_t num, bool is_log, const char *ext,
                    size_t *size, int64_t *mtime_ns)
{
	struct ckernel *k = loaded(c, kid);
	if (!k)
		return -ENOMEM;
	int rc = -ENOENT;
	pthread_mutex_lock(&c->lock);
	const struct view_cand *v = NULL;
	if (num >= 0 && num < k->nidx && k->idx[num].num == num)
		v = &k->idx[num];
	for (int i = 0; !v && i < k->nidx; i++)
		if (k->idx[i].num == num)
			v = &k->idx[i];
	if (v && (is_log || !strcmp(ext, k->ext))) {
		*size = is_log ? v->log_len : v->source_len;
		*mtime_ns = is_log && v->evaluated_ns ? v->evaluated_ns : v->created_ns;
		rc = 0;
	}
	pthread_mutex_unlock(&c->lock);
	kernel_put(c, k);
	return rc;
}

int cache_log_stat(struct cache *c, int64_t kid, size_t *len, int64_t *mtime_ns)
{
	struct ckernel *k = loaded(c, kid);
	if (!k)
		return -ENOMEM;
	int rc = -ENOMEM;
	if (k->log) {
		logfile_stat(k->log, len, mtime_ns);
		rc = 0;
	}
	kernel_put(c, k);
	return rc;
}

size_t cache_log_read(struct cache *c, int64_t kid, char *buf, size_t size, size_t off)
{
	struct ckernel *k = loaded(c, kid);
	if (!k)
		return 0;
	size_t n = k->log ? logfile_read(k->log, c->e, buf, size, off) : 0;
	kernel_put(c, k);
	return n;
}
