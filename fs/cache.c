/*
 * cache.c - what the mount serves, kept current off the request path
 * (cache.h).
 *
 * Two kinds of things are kept. Entries: one per generated file served
 * lately, keyed by path, holding its current blob, a generation that
 * moves only when the content differs, and what the kernel is known to
 * hold of it (attributes, pages). Kernel records: per live kernel its
 * candidate index, its input's extension and its log (logfile.h), with
 * the engine versions they were brought up to.
 *
 * The refresher (inval.c) calls cache_refresh after every change; for a
 * kernel whose version moved it renders every entry of the kernel and the
 * candidate entries whose index row moved, compares each with what was
 * served, and queues the paths that differ for invalidation; a kernel
 * whose log alone grew only has its log taken further, and the log shows
 * its new lines once the files they tell of are invalidated. What it does not do: render (fs.c does, through
 * cache_render_fn), or talk to FUSE (inval.c does).
 *
 *   refresher:  version moved -> render -> differs? -> gen++ -> queue path
 *   inval.c:    fuse_invalidate_path(path) -> cache_inval_done(path, gen)
 *   open:       attributes known to be gen's and no other version's pages
 *               in use -> page cache; else the handle's blob, directly
 */
#include "fs/cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/util/util.h"
#include "fs/logfile.h"

/* The root files are rendered again at most this often for changes the
 * engine made (every log line moves the engine's version). */
#define ROOT_MIN_NS 50000000
/* A kernel nobody asked about for this long loses its record, its
 * entries and what the renderer keeps of it (memory follows the kernels
 * in use, not every kernel there is). */
#define KERNEL_IDLE_NS (600 * 1000000000LL)

struct centry {
	char *path;
	uint64_t hash;
	struct centry *chain;           /* the hash bucket's next */
	struct centry *older, *newer;   /* the LRU list */
	int refs;                       /* the table's one while in it, and handles' */
	bool in_table;
	int64_t kid;
	enum cache_scope scope;
	int64_t num;
	uint64_t dep;                   /* the version it was rendered at */
	uint64_t key;                   /* CACHE_CANDIDATE: the index row's */
	struct blob *blob;
	uint64_t gen;
	int64_t changed_ns;             /* monotonic: when gen last moved */
	uint64_t attr_gen;              /* the kernel's attributes are gen's (0: unknown) */
	uint64_t pages_gen;             /* the kernel's pages are gen's (0: none) */
	int page_readers;               /* handles reading through the pages */
};

struct ckernel {
	int64_t kid;
	char name[256];
	pthread_mutex_t refresh;        /* one refresh of this kernel at a time */
	bool loaded;                    /* kver, ext, idx are set */
	uint64_t kver, lver;
	int64_t created_ns;
	char ext[32];
	struct view_cand *idx;
	int nidx;
	struct logfile *log;
	bool show_pending;              /* log lines taken in, not shown yet */
	bool alive;                     /* seen in the last pass */
	int refs;                       /* users outside the lock */
	int64_t used_ns;                /* monotonic: last asked for */
};

struct cache {
	struct engine *e;
	struct view *v;
	cache_render_fn *render;
	void *arg;
	pthread_mutex_t lock;
	struct centry **buckets;
	size_t nbuckets;
	struct centry lru;              /* sentinel: lru.newer is the oldest */
	size_t nentries, bytes;
	uint64_t gens;
	uint64_t root_dep;
	int64_t root_at_ns;
	pthread_mutex_t root_refresh;
	struct ckernel **k;
	int nk;
	/* invalidations for inval.c */
	struct cache_inval *q;
	int nq, capq;
	uint64_t queued, done;
	pthread_cond_t q_cond;
};

static int64_t mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static uint64_t mix(uint64_t h, uint64_t x)
{
	h ^= x + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h;
}

struct cache *cache_new(struct engine *e, struct view *v, cache_render_fn *render, void *arg)
{
	struct cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->nbuckets = 1024;
	c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
	if (!c->buckets) {
		free(c);
		return NULL;
	}
	c->e = e;
	c->v = v;
	c->render = render;
	c->arg = arg;
	c->lru.older = c->lru.newer = &c->lru;
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->root_refresh, NULL);
	pthread_cond_init(&c->q_cond, NULL);
	return c;
}

static void entry_put(struct centry *x)
{
	if (!x || --x->refs > 0)
		return;
	blob_put(x->blob);
	free(x->path);
	free(x);
}

static void kernel_free(struct ckernel *k)
{
	if (!k)
		return;
	logfile_free(k->log);
	free(k->idx);
	pthread_mutex_destroy(&k->refresh);
	free(k);
}

void cache_free(struct cache *c)
{
	if (!c)
		return;
	/* every entry goes, whoever still holds one: no request comes any
	 * more (handles the kernel never released go with the process) */
	for (size_t i = 0; i < c->nbuckets; i++) {
		struct centry *x = c->buckets[i];
		while (x) {
			struct centry *next = x->chain;
			x->refs = 1;
			entry_put(x);
			x = next;
		}
	}
	free(c->buckets);
	for (int i = 0; i < c->nk; i++)
		kernel_free(c->k[i]);
	free(c->k);
	for (int i = 0; i < c->nq; i++)
		free(c->q[i].path);
	free(c->q);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->root_refresh);
	pthread_cond_destroy(&c->q_cond);
	free(c);
}

/* ---- the table (all with c->lock held) ---- */

static struct centry *find(struct cache *c, const char *path, uint64_t h)
{
	for (struct centry *x = c->buckets[h % c->nbuckets]; x; x = x->chain)
		if (x->hash == h && !strcmp(x->path, path))
			return x;
	return NULL;
}

static void lru_unlink(struct centry *x)
{
	x->older->newer = x->newer;
	x->newer->older = x->older;
	x->older = x->newer = x;
}

/* Makes x the most recently used. */
static void lru_touch(struct cache *c, struct centry *x)
{
	lru_unlink(x);
	x->older = c->lru.older;
	x->newer = &c->lru;
	c->lru.older->newer = x;
	c->lru.older = x;
}

/* Queues path for invalidation (gen 0: not an entry's version). A path
 * queued twice is invalidated twice: cheaper than looking for it. */
static void queue(struct cache *c, const char *path, uint64_t gen)
{
	if (c->nq == c->capq) {
		int cap = c->capq ? 2 * c->capq : 64;
		struct cache_inval *p = realloc(c->q, (size_t)cap * sizeof(*p));
		if (!p)
			return;   /* the attribute timeout still ends the staleness */
		c->q = p;
		c->capq = cap;
	}
	char *dup = strdup(path);
	if (!dup)
		return;
	c->q[c->nq++] = (struct cache_inval){dup, gen};
	c->queued++;
	engine_wake(c->e);
}

static void unhash(struct cache *c, struct centry *x)
{
	struct centry **p = &c->buckets[x->hash % c->nbuckets];
	while (*p && *p != x)
		p = &(*p)->chain;
	if (*p)
		*p = x->chain;
	lru_unlink(x);
	c->nentries--;
	c->bytes -= x->blob ? x->blob->len : 0;
	x->in_table = false;
}

/* Takes x out of the table; the kernel forgets what it held of the path
 * (a later entry for it starts from nothing known). */
static void drop(struct cache *c, struct centry *x)
{
	unhash(c, x);
	queue(c, x->path, 0);
	entry_put(x);
}

/* Evicts the least recently used entries over the limits; an entry read
 * through the page cache by an open handle stays. */
static void evict(struct cache *c)
{
	struct centry *x = c->lru.newer;
	while (x != &c->lru && (c->bytes > CACHE_BYTES || c->nentries > CACHE_ENTRIES)) {
		struct centry *next = x->newer;
		if (!x->page_readers)
			drop(c, x);
		x = next;
	}
}

/* The record of kid, made (empty) when missing, marked used. NULL on OOM.
 * Called with c->lock held. */
static struct ckernel *record(struct cache *c, int64_t kid)
{
	struct ckernel *k = NULL;
	for (int i = 0; i < c->nk && !k; i++)
		if (c->k[i]->kid == kid)
			k = c->k[i];
	if (!k) {
		k = calloc(1, sizeof(*k));
		struct ckernel **p = k ? realloc(c->k, (size_t)(c->nk + 1) * sizeof(*p)) : NULL;
		if (!p) {
			free(k);
			return NULL;
		}
		c->k = p;
		k->kid = kid;
		k->alive = true;
		pthread_mutex_init(&k->refresh, NULL);
		c->k[c->nk++] = k;
	}
	k->used_ns = mono();
	return k;
}

/* Publishes b as x's content (the caller's reference goes to x): a new
 * generation when the bytes differ, queued for invalidation. */
static void publish(struct cache *c, struct centry *x, struct blob *b, uint64_t dep, uint64_t key)
{
	x->dep = dep;
	x->key = key;
	if (x->blob && x->blob->len == b->len && !memcmp(x->blob->data, b->data, b->len)) {
		/* the same bytes: the mtime stays that of the last change */
		blob_put(b);
		return;
	}
	if (x->in_table)
		c->bytes += b->len - (x->blob ? x->blob->len : 0);
	blob_put(x->blob);
	x->blob = b;
	x->gen = ++c->gens;
	x->changed_ns = mono();
	if (x->in_table)
		queue(c, x->path, x->gen);
}

static uint64_t dep_of(struct cache *c, int64_t kid, enum cache_scope scope)
{
	return scope == CACHE_ROOT ? engine_version(c->e) : engine_kernel_version(c->e, kid);
}

/* The key of candidate num's files in index idx: what they are rendered
 * from (its row, and the input's figures its speedup divides); 0 when
 * there is no such candidate. */
static uint64_t cand_key(const struct view_cand *idx, int n, int64_t num)
{
	const struct view_cand *v = NULL;
	if (num >= 0 && num < n && idx[num].num == num)
		v = &idx[num];
	for (int i = 0; !v && i < n; i++)
		if (idx[i].num == num)
			v = &idx[i];
	if (!v)
		return 0;
	uint64_t h = mix(mix(mix(mix(mix(v->created_ns, v->evaluated_ns), v->retime_ns),
	                         v->source_len), v->log_len),
	                 n ? mix(idx[0].evaluated_ns, idx[0].retime_ns) : 0);
	return h | 1;
}

/* The key of candidate num's files in the index of kernel kid's record, as
 * the cache knows it now (0: none). Called with c->lock held. */
static uint64_t entry_key(struct cache *c, int64_t kid, int64_t num)
{
	for (int i = 0; i < c->nk; i++)
		if (c->k[i]->kid == kid && c->k[i]->loaded)
			return cand_key(c->k[i]->idx, c->k[i]->nidx, num);
	return 0;
}

/* The entry for path, rendered on a miss; with a reference the caller
 * puts (entry_put under c->lock). 0 or -errno. */
static int lookup(struct cache *c, const char *path, int64_t kid, enum cache_scope scope,
                  int64_t num, struct centry **out)
{
	uint64_t h = hash_str(path);
	pthread_mutex_lock(&c->lock);
	struct centry *x = find(c, path, h);
	if (x && x->kid == kid) {
		lru_touch(c, x);
		x->refs++;
		if (scope != CACHE_ROOT)
			record(c, kid);   /* in use: the refresher keeps it current */
		pthread_mutex_unlock(&c->lock);
		*out = x;
		return 0;
	}
	if (x)
		drop(c, x);   /* a kernel of that name before: another kid */
	pthread_mutex_unlock(&c->lock);

	uint64_t dep = dep_of(c, kid, scope);
	struct blob *b = NULL;
	int rc = c->render(c->arg, path, &b);
	if (rc)
		return rc;
	struct centry *n = calloc(1, sizeof(*n));
	char *p = strdup(path);
	if (!n || !p) {
		free(n);
		free(p);
		blob_put(b);
		return -ENOMEM;
	}
	n->path = p;
	n->hash = h;
	n->kid = kid;
	n->scope = scope;
	n->num = num;
	n->older = n->newer = n;
	pthread_mutex_lock(&c->lock);
	x = find(c, path, h);
	if (x && x->kid == kid) {
		/* another thread was first: one entry per path */
		free(n->path);
		free(n);
		blob_put(b);
	} else {
		if (x)
			drop(c, x);
		x = n;
		x->blob = b;
		x->gen = ++c->gens;
		x->changed_ns = 0;   /* no change seen yet: it counts as settled */
		x->dep = dep;
		x->refs = 1;
		x->in_table = true;
		x->chain = c->buckets[h % c->nbuckets];
		c->buckets[h % c->nbuckets] = x;
		c->nentries++;
		c->bytes += b->len;
		/* the kernel may hold attributes of an earlier life of this
		 * path (evicted, then changed): it forgets them first */
		queue(c, x->path, x->gen);
		/* rendered from an older version than a pass that already ran
		 * without it: the next pass renders it again */
		struct ckernel *k = scope == CACHE_ROOT ? NULL : record(c, kid);
		if (scope == CACHE_ROOT && c->root_dep != dep) {
			c->root_dep = 0;
			engine_wake(c->e);
		} else if (k && k->loaded && k->kver != dep) {
			k->kver = 0;
			engine_wake(c->e);
		}
		if (scope == CACHE_CANDIDATE)
			x->key = entry_key(c, kid, num);
	}
	if (scope != CACHE_ROOT)
		record(c, kid);
	lru_touch(c, x);
	x->refs++;
	evict(c);
	pthread_mutex_unlock(&c->lock);
	*out = x;
	return 0;
}

int cache_get(struct cache *c, const char *path, int64_t kid, enum cache_scope scope,
              int64_t num, struct blob **out)
{
	struct centry *x;
	*out = NULL;
	int rc = lookup(c, path, kid, scope, num, &x);
	if (rc)
		return rc;
	pthread_mutex_lock(&c->lock);
	*out = blob_get(x->blob);
	entry_put(x);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

int cache_open(struct cache *c, const char *path, int64_t kid, enum cache_scope scope,
               int64_t num, struct blob **out, enum cache_mode *mode, struct centry **ref)
{
	struct centry *x;
	*out = NULL;
	*ref = NULL;
	*mode = CACHE_DIRECT;
	int rc = lookup(c, path, kid, scope, num, &x);
	if (rc)
		return rc;
	pthread_mutex_lock(&c->lock);
	*out = blob_get(x->blob);
	bool settled = mono() - x->changed_ns >= CACHE_SETTLE_NS;
	bool attrs_ok = x->attr_gen == x->gen;
	bool pages_free = !x->page_readers || x->pages_gen == x->gen;
	if (x->in_table && settled && attrs_ok && pages_free) {
		*mode = x->pages_gen == x->gen ? CACHE_PAGES_KEEP : CACHE_PAGES;
		x->pages_gen = x->gen;
		x->page_readers++;
		*ref = x;   /* keeps the table's reference count of the open handle */
	} else {
		entry_put(x);
	}
	pthread_mutex_unlock(&c->lock);
	return 0;
}

void cache_paged_read(struct cache *c, struct centry *x, const struct blob *b)
{
	if (!x)
		return;
	pthread_mutex_lock(&c->lock);
	if (x->in_table && b != x->blob) {
		/* a short read of an older version tells the kernel that size:
		 * it is told the current one again */
		x->attr_gen = 0;
		queue(c, x->path, x->gen);
	}
	pthread_mutex_unlock(&c->lock);
}

void cache_close(struct cache *c, struct centry *x, const struct blob *b)
{
	if (!x)
		return;
	pthread_mutex_lock(&c->lock);
	x->page_readers--;
	if (x->in_table && b != x->blob) {
		/* it read an older version through the pages: a short read of
		 * it may have told the kernel that version's size */
		x->attr_gen = 0;
		queue(c, x->path, x->gen);
	}
	entry_put(x);
	pthread_mutex_unlock(&c->lock);
}

/* ---- kernel records ---- */

/* record(), with a reference the caller returns with kernel_put. */
static struct ckernel *kernel_get(struct cache *c, int64_t kid)
{
	pthread_mutex_lock(&c->lock);
	struct ckernel *k = record(c, kid);
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
	queue(c, p, 0);
	snprintf(p, sizeof(p), "/kernels/%s/candidates/%lld.log", name, (long long)num);
	queue(c, p, 0);
	snprintf(p, sizeof(p), "/kernels/%s/plans/%lld.md", name, (long long)num);
	queue(c, p, 0);
	snprintf(p, sizeof(p), "/kernels/%s/plans/%lld.prompt", name, (long long)num);
	queue(c, p, 0);
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
			key = cand_key(idx, nidx, x->num);
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
				publish(c, x, b, dep, jobs[i].key);
			else if (rc == -ENOENT)
				drop(c, x);
			else
				x->dep = dep;   /* kept as it was; tried again next change */
		} else {
			blob_put(b);
		}
		entry_put(x);
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
	struct store *s = engine_reader(c->e);
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
	if (store_log_last(s, k->kid, &upto))
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
		if (view_candidates(c->v, k->kid, &idx, &nidx))
			nidx = 0;
		struct kernel_row kr;
		if (store_kernel_get(s, k->kid, &kr) == 0)
			created = kr.created_ns;
		kernel_row_clear(&kr);
		rerender(c, k->kid, kver, idx, nidx);
	}
	if (!k->log)
		k->log = logfile_new(k->kid, created ? created : now_ns());
	if (k->log)
		logfile_extend(k->log, s, upto);

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
	queue(c, p, 0);
	return true;
}

bool cache_show_logs(struct cache *c)
{
	bool any = false;
	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < c->nk; i++)
		if (c->k[i]->show_pending)
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
	int64_t now = mono();
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
	if (k->log && store_log_last(engine_reader(c->e), k->kid, &upto) == 0 &&
	    logfile_extend(k->log, engine_reader(c->e), upto) == 0) {
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
	if (store_kernel_list(engine_reader(c->e), &rows, &n))
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
	int64_t now = mono();
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
				drop(c, x);
			x = next;
		}
		int64_t *p = realloc(gone, (size_t)(ngone + 1) * sizeof(*p));
		if (p) {
			gone = p;
			gone[ngone++] = k->kid;
		}
		c->k[i] = c->k[--c->nk];
		kernel_free(k);
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
	bool have = kid != STORE_MENUS_KERNEL && store_kernel_get(engine_reader(c->e), kid, &kr) == 0;
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
			if (k->log && store_log_last(engine_reader(c->e), kid, &upto) == 0)
				logfile_extend(k->log, engine_reader(c->e), upto);
			pthread_mutex_unlock(&k->refresh);
		} else {
			struct kernel_row kr;
			bool have = store_kernel_get(engine_reader(c->e), kid, &kr) == 0;
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

int cache_candidates(struct cache *c, int64_t kid, struct view_cand **out, int *n)
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
	size_t n = k->log ? logfile_read(k->log, engine_reader(c->e), buf, size, off) : 0;
	kernel_put(c, k);
	return n;
}

/* ---- invalidations ---- */

uint64_t cache_take_invals(struct cache *c, struct cache_inval **out, int *n)
{
	pthread_mutex_lock(&c->lock);
	*out = c->q;
	*n = c->nq;
	uint64_t seq = c->queued;
	c->q = NULL;
	c->nq = c->capq = 0;
	pthread_mutex_unlock(&c->lock);
	return seq;
}

void cache_inval_done(struct cache *c, const char *path, uint64_t gen)
{
	if (!gen)
		return;
	pthread_mutex_lock(&c->lock);
	struct centry *x = find(c, path, hash_str(path));
	if (x && x->gen == gen) {
		x->attr_gen = gen;
		if (!x->page_readers)
			x->pages_gen = 0;   /* the kernel dropped them */
	}
	pthread_mutex_unlock(&c->lock);
}

void cache_invals_through(struct cache *c, uint64_t seq)
{
	pthread_mutex_lock(&c->lock);
	if (seq > c->done)
		c->done = seq;
	pthread_cond_broadcast(&c->q_cond);
	pthread_mutex_unlock(&c->lock);
}

static void deadline(struct timespec *ts, int timeout_ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	int64_t at = (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec + (int64_t)timeout_ms * 1000000;
	ts->tv_sec = at / 1000000000;
	ts->tv_nsec = at % 1000000000;
}

void cache_wait_invals(struct cache *c, int timeout_ms)
{
	struct timespec ts;
	deadline(&ts, timeout_ms);
	pthread_mutex_lock(&c->lock);
	uint64_t want = c->queued;
	while (c->done < want && pthread_cond_timedwait(&c->q_cond, &c->lock, &ts) == 0)
		;
	pthread_mutex_unlock(&c->lock);
}

void cache_usage(struct cache *c, size_t *entries, size_t *bytes)
{
	pthread_mutex_lock(&c->lock);
	*entries = c->nentries;
	*bytes = c->bytes;
	pthread_mutex_unlock(&c->lock);
}
