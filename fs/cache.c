/*
 * cache.c - what the mount serves: the files, and what the kernel holds
 * of them (cache.h; refresh.c keeps them current).
 *
 * An entry per generated file served lately, keyed by path: its current
 * blob, a generation that moves only when the bytes differ, and what the
 * kernel is known to hold of it (attributes, pages). A request finds the
 * entry, or renders the file once (through cache_render_fn) and makes it;
 * least recently used entries go past CACHE_BYTES or CACHE_ENTRIES. A
 * change of an entry's bytes queues its path for inval.c to invalidate,
 * and inval.c says when that is done: from then on the kernel's
 * attributes of the path are that generation's.
 *
 *   refresher:  version moved -> render -> differs? -> gen++ -> queue path
 *   inval.c:    fuse_invalidate_path(path) -> cache_inval_done(path, gen)
 *   open:       attributes known to be gen's and no other version's pages
 *               in use -> page cache; else the handle's blob, directly
 *
 * What it does not do: render (fs.c does), decide when to render again
 * (refresh.c does), or talk to FUSE (inval.c does).
 */
#include "fs/cache_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/util/util.h"

int64_t cache_now(void)
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

void cache_entry_put(struct centry *x)
{
	if (!x || --x->refs > 0)
		return;
	blob_put(x->blob);
	free(x->path);
	free(x);
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
			cache_entry_put(x);
			x = next;
		}
	}
	free(c->buckets);
	for (int i = 0; i < c->nk; i++)
		cache_kernel_free(c->k[i]);
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
	assert_held(&c->lock);
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
void cache_queue(struct cache *c, const char *path, uint64_t gen)
{
	assert_held(&c->lock);
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
void cache_drop(struct cache *c, struct centry *x)
{
	assert_held(&c->lock);
	unhash(c, x);
	cache_queue(c, x->path, 0);
	cache_entry_put(x);
}

/* Evicts the least recently used entries over the limits; an entry read
 * through the page cache by an open handle stays. */
static void evict(struct cache *c)
{
	struct centry *x = c->lru.newer;
	while (x != &c->lru && (c->bytes > CACHE_BYTES || c->nentries > CACHE_ENTRIES)) {
		struct centry *next = x->newer;
		if (!x->page_readers)
			cache_drop(c, x);
		x = next;
	}
}

/* The record of kid, made (empty) when missing, marked used. NULL on OOM.
 * Called with c->lock held. */
struct ckernel *cache_record(struct cache *c, int64_t kid)
{
	assert_held(&c->lock);
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
	k->used_ns = cache_now();
	return k;
}

/* Publishes b as x's content (the caller's reference goes to x): a new
 * generation when the bytes differ, queued for invalidation. */
void cache_publish(struct cache *c, struct centry *x, struct blob *b, uint64_t dep, uint64_t key)
{
	assert_held(&c->lock);
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
	x->changed_ns = cache_now();
	if (x->in_table)
		cache_queue(c, x->path, x->gen);
}

static uint64_t dep_of(struct cache *c, int64_t kid, enum cache_scope scope)
{
	return scope == CACHE_ROOT ? engine_version(c->e) : engine_kernel_version(c->e, kid);
}

/* The key of candidate num's files in index idx: what they are rendered
 * from (its row, and the input's figures its speedup divides); 0 when
 * there is no such candidate. */
uint64_t cache_cand_key(const struct view_cand *idx, int n, int64_t num)
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
	assert_held(&c->lock);
	for (int i = 0; i < c->nk; i++)
		if (c->k[i]->kid == kid && c->k[i]->loaded)
			return cache_cand_key(c->k[i]->idx, c->k[i]->nidx, num);
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
			cache_record(c, kid);   /* in use: the refresher keeps it current */
		pthread_mutex_unlock(&c->lock);
		*out = x;
		return 0;
	}
	if (x)
		cache_drop(c, x);   /* a kernel of that name before: another kid */
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
			cache_drop(c, x);
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
		cache_queue(c, x->path, x->gen);
		/* rendered from an older version than a pass that already ran
		 * without it: the next pass renders it again */
		struct ckernel *k = scope == CACHE_ROOT ? NULL : cache_record(c, kid);
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
		cache_record(c, kid);
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
	cache_entry_put(x);
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
	bool settled = cache_now() - x->changed_ns >= CACHE_SETTLE_NS;
	bool attrs_ok = x->attr_gen == x->gen;
	bool pages_free = !x->page_readers || x->pages_gen == x->gen;
	if (x->in_table && settled && attrs_ok && pages_free) {
		*mode = x->pages_gen == x->gen ? CACHE_PAGES_KEEP : CACHE_PAGES;
		x->pages_gen = x->gen;
		x->page_readers++;
		*ref = x;   /* keeps the table's reference count of the open handle */
	} else {
		cache_entry_put(x);
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
		cache_queue(c, x->path, x->gen);
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
		cache_queue(c, x->path, x->gen);
	}
	cache_entry_put(x);
	pthread_mutex_unlock(&c->lock);
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
