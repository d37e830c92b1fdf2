/*
 * sigcache.c - the signatures of the kernels' inputs, by kernel id
 * (sigcache.h). A small array under one mutex: there are as many
 * entries as kernels, and a lookup happens once per config.json write.
 */
#include "engine/core/sigcache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/util.h"
#include "targets/exec/fileio.h"

struct entry {
	int64_t kid;
	uint64_t hash;
	struct ac_sig sig;
};

struct sigcache {
	pthread_mutex_t lock;
	struct entry *v;
	int n;
};

struct sigcache *sigcache_new(void)
{
	struct sigcache *c = calloc(1, sizeof *c);

	if (c)
		pthread_mutex_init(&c->lock, NULL);
	return c;
}

void sigcache_free(struct sigcache *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->n; i++)
		ac_sig_free(&c->v[i].sig);
	free(c->v);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

uint64_t sigcache_hash(const char *text, size_t len)
{
	return ac_fnv1a(AC_FNV1A_START, text, len);
}

/* The entry of kid, or NULL. Call with c->lock held. */
static struct entry *find(struct sigcache *c, int64_t kid)
{
	assert_held(&c->lock);
	for (int i = 0; i < c->n; i++)
		if (c->v[i].kid == kid)
			return &c->v[i];
	return NULL;
}

void sigcache_put(struct sigcache *c, int64_t kid, uint64_t hash, struct ac_sig *sig)
{
	struct entry *e;

	if (!c) {
		ac_sig_free(sig);
		return;
	}
	pthread_mutex_lock(&c->lock);
	e = find(c, kid);
	if (!e) {
		struct entry *v = realloc(c->v, sizeof *v * (size_t)(c->n + 1));

		if (!v) {
			pthread_mutex_unlock(&c->lock);
			ac_sig_free(sig);
			return;
		}
		c->v = v;
		e = &c->v[c->n++];
		memset(e, 0, sizeof *e);
	}
	ac_sig_free(&e->sig);
	e->kid = kid;
	e->hash = hash;
	e->sig = *sig;
	memset(sig, 0, sizeof *sig);
	pthread_mutex_unlock(&c->lock);
}

void sigcache_forget(struct sigcache *c, int64_t kid)
{
	struct entry *e;

	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	e = find(c, kid);
	if (e) {
		ac_sig_free(&e->sig);
		*e = c->v[--c->n];
	}
	pthread_mutex_unlock(&c->lock);
}

int sigcache_check(struct sigcache *c, int64_t kid, uint64_t hash, const struct ac_call *call,
                   char *why, size_t whylen)
{
	struct entry *e;
	struct ac_plan plan;
	int rc = 0;

	if (!c)
		return 0;
	pthread_mutex_lock(&c->lock);
	e = find(c, kid);
	if (e && e->hash == hash) {
		rc = ac_plan_make(&e->sig, call, &plan, why, whylen);
		if (!rc)
			ac_plan_free(&plan);
		if (rc != -EINVAL)
			rc = 0;   /* out of memory is not the description's fault */
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}
