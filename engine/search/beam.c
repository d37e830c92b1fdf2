/*
 * beam.c - the beam rule (beam.h).
 */
#include "engine/search/beam.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

double beam_slack(int iteration)
{
	return iteration <= 2 ? 1.10 : 1.0;
}

static bool eligible(const struct beam_cand *c, int iteration)
{
	if ((!c->incumbent && !c->child) || c->time_ns <= 0)
		return false;
	/* a child must not be slower than its parent */
	if (c->child && !c->incumbent && c->parent_time_ns > 0 &&
	    (double)c->time_ns > beam_slack(iteration) * (double)c->parent_time_ns)
		return false;
	return true;
}

static int by_time(const void *a, const void *b)
{
	const struct beam_cand *x = a, *y = b;
	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? -1 : 1;
	if (x->incumbent != y->incumbent)
		return x->incumbent ? -1 : 1;
	return x->num < y->num ? -1 : (x->num > y->num);
}

/* Whether c would take a place another chosen one holds already. */
static bool repeats(const struct beam_cand *c, const struct beam_cand *chosen)
{
	if (!strcmp(c->key, chosen->key))
		return true;
	return !c->incumbent && !chosen->incumbent && c->parent == chosen->parent &&
	       !strcmp(c->plan, chosen->plan);
}

int beam_choose(struct beam_cand *pool, int n, int width, int iteration, int64_t *out)
{
	int np = 0;

	assert(n >= 0 && width >= 0);
	for (int i = 0; i < n; i++)
		if (eligible(&pool[i], iteration))
			pool[np++] = pool[i];
	if (np > 1)
		qsort(pool, (size_t)np, sizeof(*pool), by_time);
	/* the chosen ones are moved to the front: pool[0..nb) */
	int nb = 0;
	for (int i = 0; i < np && nb < width; i++) {
		bool dup = false;
		assert(pool[i].key && pool[i].plan);
		for (int j = 0; j < nb && !dup; j++)
			dup = repeats(&pool[i], &pool[j]);
		if (dup)
			continue;
		struct beam_cand c = pool[i];
		pool[i] = pool[nb];
		pool[nb] = c;
		out[nb++] = c.num;
	}
	return nb;
}
