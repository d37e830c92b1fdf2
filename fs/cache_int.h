/*
 * cache_int.h - the insides of the mount's cache, shared by its two
 * halves: cache.c (the files served, what the kernel holds of them, the
 * invalidations to carry out) and refresh.c (the kernel records, and
 * keeping everything current). Nothing else includes it.
 *
 * Locking: c->lock guards the table, the LRU list, the queue, the list of
 * records and every field of an entry or a record that a request reads;
 * it is never held while rendering or reading the store. A record's
 * refresh mutex lets one refresh of a kernel run at a time.
 */
#ifndef AC_CACHE_INT_H
#define AC_CACHE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "fs/cache.h"
#include "fs/logfile.h"

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

/* Monotonic nanoseconds. */
int64_t cache_now(void);

/* The calls below are made with c->lock held. */

/* Queues path for the kernel to forget (gen 0: not an entry's version)
 * and wakes the refresher. */
void cache_queue(struct cache *c, const char *path, uint64_t gen);
/* Takes x out of the table; the kernel forgets what it held of the path
 * (a later entry for it starts from nothing known). */
void cache_drop(struct cache *c, struct centry *x);
/* Drops a reference to x; frees it at zero. */
void cache_entry_put(struct centry *x);
/* The record of kid, made (empty) when missing, marked used. NULL on OOM. */
struct ckernel *cache_record(struct cache *c, int64_t kid);
/* Publishes b as x's content (the caller's reference goes to x): a new
 * generation, queued for invalidation, when the bytes differ. */
void cache_publish(struct cache *c, struct centry *x, struct blob *b, uint64_t dep,
                   uint64_t key);

/* The key of candidate num's files in index idx (of n rows): what they
 * are rendered from; 0 when there is no such candidate. */
uint64_t cache_cand_key(const struct view_cand *idx, int n, int64_t num);

/* refresh.c: frees record k (accepts NULL). */
void cache_kernel_free(struct ckernel *k);

#endif
