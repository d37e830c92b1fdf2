/*
 * tuner.c - choosing which knob settings to build and time (no LLM).
 *
 * The tuner only proposes points and learns their times; building, running
 * and timing belong to the caller. It never proposes a point twice, so a
 * point that failed (build error, wrong result, timeout: time_ns <= 0) is
 * remembered and never retried, and it never hands out more than the budget.
 *
 * Two strategies:
 *
 * Exhaustive, when the whole space fits the budget: every point, the start
 * point first, then in order of how many knobs differ from the start (so a
 * search stopped early has looked at the start's neighbourhood first).
 *
 * Guided, otherwise: exploration, then iterated local search built from
 * line sweeps.
 *   - Exploration: the start point and a third of the budget spread over the
 *     space as a Latin hypercube on the grid (each knob cycles through its
 *     values in a random order), so every value of every knob is seen early
 *     and in varied company. The first descent starts from the best of them.
 *   - A descent holds a centre, the best point it has found. One step sweeps
 *     one knob: every value of that knob with all other knobs at the centre
 *     (one batch, so its builds can run in parallel). When the results are
 *     in, the centre moves to the best point of the descent. Knobs are swept
 *     in a fresh random order each round; a round without improvement means
 *     the centre is a local optimum (no single knob change helps).
 *   - Then a restart: a new descent from the global best with 2 to k/2+1
 *     knobs changed at once. The new values are drawn in proportion to how
 *     good the best point seen with each value was (values never tried count
 *     as good, values seen only failing count little), so restarts lean
 *     towards promising values without giving up on unexplored ones.
 * Why this shape: the performance of a kernel over its knobs is mostly a
 * product of per-knob effects (tile size, unroll, order) with a few strong
 * couplings (register block MR x NR, cache tile MC x KC, a knob that only
 * matters for one FORM) and invalid corners (a tile that does not divide,
 * too many accumulators, a miscompile). Sweeping a whole line finds each
 * knob's best value in one batch whatever its shape along the line (often
 * not unimodal: powers of two alias in caches), which solves the separable
 * part in about sum(n_i - 1) points; multi-knob jumps from the incumbent get
 * across couplings and invalid regions that block single-knob moves. The
 * exploration is there because real spaces are deceptive: on the suite's
 * transpose a large tile only pays with a 16-wide micro-tile written
 * row-wise, and a descent from the input never sees that combination
 * (without exploration the replayed transpose ended 1.45x from its best,
 * worse than random sampling; with it, 1.10x). Random sampling, by
 * contrast, needs on the order of 1/p points to hit a near-optimal fraction
 * p of the space. Kernel Tuner ships the same family (greedy iterated and
 * multi-start local search); Ansor instead fits a learned cost model, which
 * pays off at hundreds of trials per task, more than a quarter of these
 * spaces.
 *
 * Measured (test_tuner replays tests/kernels/tune-* /space.tsv with a
 * quarter of each space): on the spaces of several hundred points it ends
 * within 5% of the best point on average; on the small ones (60-96 points,
 * 15-24 evaluations) it still beats random sampling but not always by
 * enough for 5%, where the measured best stands alone more than 5% ahead
 * of every other point.
 *
 * Schedule reuse (tuner_set_donor): the point a similar kernel's tuning
 * ended at is a head start, never a fence.
 *   - It is tried first, in the same batch as the exploration, which is
 *     kept whole: the start and the same third of the budget spread over
 *     the space as a free run makes.
 *   - The first descent follows the donor only if its point is the best so
 *     far; otherwise it has lost already and the run goes on exactly as a
 *     free one (from the exploration's best).
 *   - While followed, the donor's region is left as soon as a line swept
 *     around its centre (all of it reported) does not move the centre: its
 *     neighbours stopped improving. The next descent starts from the best
 *     point outside that region, the one a free run would have descended
 *     from; restarts are then a free run's.
 * So a donor that does not transfer costs its own point when the
 * exploration beats it, and at most one line sweep more when it is a
 * local optimum that looks good, while one that transfers is built on
 * from the first descent. Why not simply start from the donor's point
 * (the earlier rule): when that point is a local optimum of the new space
 * and better than anything the exploration finds, every descent and
 * restart goes back to it and the search never leaves its basin. The
 * suite's pairs showed it (conv2d once at 0.87 of a free run's speedup,
 * transpose at 0.88), and test_tuner's two-basin space shows it every
 * time (at 24 points the earlier rule ends 18% slower than a free run,
 * this one 6%: the donor's point and one sweep). Why not give the donor a
 * fixed share of the budget instead: a share large enough to follow a
 * donor that transfers is wasted on one that does not, and the first
 * sweep around it tells which case it is. On the suite's measured
 * pairs (tests/kernels/tune-*-b, the donor's point from a 24-point run of
 * the first kernel), at 12 points: gemm 1.26x the free run's speedup,
 * conv2d 1.18x, transpose 0.99x (its donor's micro-tile is wrong for the
 * second shape: the cost of one point). See test_tuner's reuse tests.
 *
 * Batching: tuner_next hands out the pending batch (e.g. one line sweep).
 * When the caller asks again before reporting, the tuner speculates (the
 * next line from the centre it knows) rather than stall: only an empty
 * answer ends the search.
 */
#include "engine/search/tuner.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum point_state {
	POINT_PROPOSED = 0,   /* handed out, no result yet */
	POINT_OK,
	POINT_FAILED,
};

struct point {
	int64_t time_ns;
	int state;
	int descent;          /* which descent proposed it; -1 for none */
};

struct tuner {
	int k;                /* number of knobs */
	int *nvalues;         /* k entries */
	size_t space;         /* saturating product of nvalues */
	size_t budget;
	size_t proposed;      /* points handed out or reported (<= budget) */
	size_t reported;
	uint64_t rng;

	/* Every point seen, with its choice vector at choices + i * k. */
	int *choices;
	struct point *points;
	size_t npoints, cap;
	size_t *slots;        /* open addressing: point index + 1, 0 empty */
	size_t nslots;

	long best;            /* index of the best OK point, -1 if none */

	/* Points waiting to be handed out, k ints each. */
	int *queue;
	size_t qhead, qlen, qcap;

	int exhaustive;
	size_t enum_at;       /* exhaustive: next index of the ordered list */
	int *enum_list;       /* exhaustive: all points, k ints each */

	/* Guided: the current descent. */
	int descent;          /* its number */
	int *centre;          /* k ints: the best point of this descent */
	int64_t centre_time;  /* its time, INT64_MAX while none known */
	int *order;           /* knob sweep order of this round */
	int pos;              /* next entry of order; k: round over */
	int improved;         /* the centre moved during this round */
	int round_new;        /* points this round queued */
	int need_restart;
	int *start;           /* k ints: the caller's start point */
	int started;          /* tuner_next was called */

	/* Schedule reuse (guided only): see tuner_set_donor. */
	int *donor;           /* k ints, NULL without a donor */
	enum tuner_donor donor_state;
	int donor_descent;    /* the descent that follows the donor; -1 none */
	int donor_swept;      /* a line around it was queued since the last look */
	int donor_gain;       /* its centre moved since the last look */
	int64_t *value_best;  /* per knob value: best time seen, 0 none */
	int *value_failed;    /* per knob value: failures seen */
	int *value_at;        /* k entries: offset of knob i in the two above */
	int *scratch;         /* k ints */
};

/* splitmix64: small, fast and good enough to shuffle knobs. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int rng_below(uint64_t *s, int n)
{
	return n <= 1 ? 0 : (int)(rng_next(s) % (uint64_t)n);
}

static double rng_unit(uint64_t *s)
{
	return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

static uint64_t hash_choice(const int *c, int k)
{
	uint64_t h = 1469598103934665603ULL;

	for (int i = 0; i < k; i++) {
		h ^= (uint64_t)(uint32_t)c[i];
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 29);
}

/* The index of point c, or -1 if it was never seen. */
static long find_point(const struct tuner *t, const int *c)
{
	size_t mask = t->nslots - 1;
	size_t i = (size_t)hash_choice(c, t->k) & mask;

	while (t->slots[i]) {
		size_t p = t->slots[i] - 1;
		if (memcmp(t->choices + p * (size_t)t->k, c,
		           (size_t)t->k * sizeof(int)) == 0)
			return (long)p;
		i = (i + 1) & mask;
	}
	return -1;
}

static void slot_insert(struct tuner *t, size_t p)
{
	size_t mask = t->nslots - 1;
	size_t i = (size_t)hash_choice(t->choices + p * (size_t)t->k, t->k) &
	           mask;

	while (t->slots[i])
		i = (i + 1) & mask;
	t->slots[i] = p + 1;
}

/* Records a new point; returns its index or -ENOMEM. */
static long add_point(struct tuner *t, const int *c, int state)
{
	size_t p;

	if (t->npoints == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 64;
		int *nc = realloc(t->choices, ncap * (size_t)t->k * sizeof(int) +
		                  sizeof(int));
		struct point *np;

		if (!nc)
			return -ENOMEM;
		t->choices = nc;
		np = realloc(t->points, ncap * sizeof(*np));
		if (!np)
			return -ENOMEM;
		t->points = np;
		t->cap = ncap;
	}
	if ((t->npoints + 1) * 2 > t->nslots) {
		size_t nn = t->nslots * 2;
		size_t *ns = calloc(nn, sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		free(t->slots);
		t->slots = ns;
		t->nslots = nn;
		for (size_t i = 0; i < t->npoints; i++)
			slot_insert(t, i);
	}
	p = t->npoints++;
	memcpy(t->choices + p * (size_t)t->k, c, (size_t)t->k * sizeof(int));
	t->points[p].time_ns = 0;
	t->points[p].state = state;
	t->points[p].descent = -1;
	slot_insert(t, p);
	return (long)p;
}

static int valid_choice(const struct tuner *t, const int *c)
{
	for (int i = 0; i < t->k; i++)
		if (c[i] < 0 || c[i] >= t->nvalues[i])
			return 0;
	return 1;
}

/* Queues c unless it was seen or is queued already; returns 1 if queued. */
static int enqueue(struct tuner *t, const int *c)
{
	size_t k = (size_t)t->k;

	if (find_point(t, c) >= 0)
		return 0;
	for (size_t q = 0; q < t->qlen; q++)
		if (memcmp(t->queue + (t->qhead + q) * k, c, k * sizeof(int)) == 0)
			return 0;
	if (t->qhead + t->qlen == t->qcap) {
		if (t->qhead > 0) {
			memmove(t->queue, t->queue + t->qhead * k,
			        t->qlen * k * sizeof(int));
			t->qhead = 0;
		} else {
			size_t ncap = t->qcap ? t->qcap * 2 : 32;
			int *nq = realloc(t->queue, ncap * k * sizeof(int) +
			                  sizeof(int));
			if (!nq)
				return 0;
			t->queue = nq;
			t->qcap = ncap;
		}
	}
	memcpy(t->queue + (t->qhead + t->qlen) * k, c, k * sizeof(int));
	t->qlen++;
	return 1;
}

static void shuffle(uint64_t *rng, int *a, int n)
{
	for (int i = n - 1; i > 0; i--) {
		int j = rng_below(rng, i + 1);
		int x = a[i];
		a[i] = a[j];
		a[j] = x;
	}
}

static int hamming(const int *a, const int *b, int k)
{
	int d = 0;

	for (int i = 0; i < k; i++)
		d += a[i] != b[i];
	return d;
}

/* Lists every point, the start first, then by distance from the start. */
static int build_enumeration(struct tuner *t)
{
	size_t n = t->space;
	size_t k = (size_t)t->k;
	size_t at = 0;
	int *c = t->scratch;

	t->enum_list = malloc(n * k * sizeof(int) + sizeof(int));
	if (!t->enum_list)
		return -ENOMEM;
	/* Counting sort by Hamming distance: one pass per distance keeps the
	 * mixed-radix order within a distance (deterministic and cheap). */
	for (int d = 0; d <= t->k; d++) {
		memset(c, 0, k * sizeof(int));
		for (size_t p = 0; p < n; p++) {
			if (hamming(c, t->start, t->k) == d) {
				memcpy(t->enum_list + at * k, c, k * sizeof(int));
				at++;
			}
			for (int i = t->k - 1; i >= 0; i--) {
				if (++c[i] < t->nvalues[i])
					break;
				c[i] = 0;
			}
		}
	}
	return 0;
}

static int random_unseen(struct tuner *t, int *c);

/* Queues n points spread over the space: each knob cycles through its
 * values in a random order (a Latin hypercube on the grid), so every value
 * of every knob is seen early, in varied company. */
static void explore(struct tuner *t, int n)
{
	int *c = t->scratch;
	int total = 0;
	int *perm;

	for (int i = 0; i < t->k; i++)
		total += t->nvalues[i];
	perm = malloc(((size_t)total + 1) * sizeof(int));
	if (!perm)
		return;
	for (int i = 0; i < t->k; i++) {
		int *p = perm + t->value_at[i];
		for (int v = 0; v < t->nvalues[i]; v++)
			p[v] = v;
		shuffle(&t->rng, p, t->nvalues[i]);
	}
	for (int j = 0; j < n; j++) {
		for (int i = 0; i < t->k; i++) {
			int *p = perm + t->value_at[i];
			if (j % t->nvalues[i] == 0 && j > 0)
				shuffle(&t->rng, p, t->nvalues[i]);
			c[i] = p[j % t->nvalues[i]];
		}
		if (!enqueue(t, c) && random_unseen(t, c))
			enqueue(t, c);
	}
	free(perm);
}

void tuner_free(struct tuner *t)
{
	if (!t)
		return;
	free(t->nvalues);
	free(t->choices);
	free(t->points);
	free(t->slots);
	free(t->queue);
	free(t->enum_list);
	free(t->centre);
	free(t->order);
	free(t->start);
	free(t->donor);
	free(t->value_best);
	free(t->value_failed);
	free(t->value_at);
	free(t->scratch);
	free(t);
}

struct tuner *tuner_new(const struct knob_set *set, const int *start,
                        size_t budget, uint64_t seed)
{
	struct tuner *t = calloc(1, sizeof(*t));
	int k = set ? set->count : 0;
	size_t kk = (size_t)k + 1;
	int total = 0;

	if (!t)
		return NULL;
	t->k = k;
	t->budget = budget;
	t->rng = seed ^ 0x5deece66dULL;
	t->best = -1;
	t->centre_time = INT64_MAX;
	t->donor_descent = -1;
	t->nvalues = calloc(kk, sizeof(int));
	t->centre = calloc(kk, sizeof(int));
	t->order = calloc(kk, sizeof(int));
	t->start = calloc(kk, sizeof(int));
	t->value_at = calloc(kk, sizeof(int));
	t->scratch = calloc(kk, sizeof(int));
	if (!t->nvalues || !t->centre || !t->order || !t->start ||
	    !t->value_at || !t->scratch)
		goto fail;
	t->space = 1;
	for (int i = 0; i < k; i++) {
		int n = set->knobs[i].nvalues > 0 ? set->knobs[i].nvalues : 1;
		t->nvalues[i] = n;
		t->value_at[i] = total;
		total += n;
		if (t->space > (SIZE_MAX / 2) / (size_t)n)
			t->space = SIZE_MAX / 2;
		else
			t->space *= (size_t)n;
		t->start[i] = start && start[i] >= 0 && start[i] < n ? start[i] : 0;
		t->order[i] = i;
	}
	t->value_best = calloc((size_t)total + 1, sizeof(int64_t));
	t->value_failed = calloc((size_t)total + 1, sizeof(int));
	t->nslots = 128;
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	if (!t->value_best || !t->value_failed || !t->slots)
		goto fail;
	if (t->budget > t->space)
		t->budget = t->space;
	/* Enumerating costs space * k ints: only for spaces that fit. */
	t->exhaustive = t->space <= budget && t->space <= ((size_t)1 << 20);
	if (t->exhaustive) {
		if (build_enumeration(t) < 0)
			goto fail;
	} else {
		memcpy(t->centre, t->start, (size_t)k * sizeof(int));
		shuffle(&t->rng, t->order, k);
		enqueue(t, t->start);
		explore(t, (int)(t->budget / 3));
	}
	return t;
fail:
	tuner_free(t);
	return NULL;
}

/* Weight of value v of knob i for restarts: how good the best point with
 * that value was relative to the best overall. */
static double value_weight(const struct tuner *t, int i, int v)
{
	int64_t b = t->value_best[t->value_at[i] + v];
	int64_t g;

	if (b == 0)
		return t->value_failed[t->value_at[i] + v] ? 0.05 : 1.0;
	g = t->best >= 0 ? t->points[t->best].time_ns : b;
	return exp(-log((double)b / (double)g) / 0.15) + 0.02;
}

static int draw_value(struct tuner *t, int i, int avoid)
{
	double w[256];
	double sum = 0;
	int n = t->nvalues[i];
	double r;

	if (n > 256)
		return rng_below(&t->rng, n);
	for (int v = 0; v < n; v++) {
		w[v] = v == avoid ? 0 : value_weight(t, i, v);
		sum += w[v];
	}
	if (sum <= 0)
		return rng_below(&t->rng, n);
	r = rng_unit(&t->rng) * sum;
	for (int v = 0; v < n; v++) {
		if (r < w[v])
			return v;
		r -= w[v];
	}
	return n - 1;
}

/* Some unseen point at random, or 0 if none could be found. */
static int random_unseen(struct tuner *t, int *c)
{
	for (int tries = 0; tries < 256; tries++) {
		for (int i = 0; i < t->k; i++)
			c[i] = rng_below(&t->rng, t->nvalues[i]);
		if (find_point(t, c) < 0)
			return 1;
	}
	/* Nearly everything was seen: walk the space from a random point. */
	if (t->space < SIZE_MAX / 2) {
		for (size_t p = 0; p < t->space; p++) {
			if (find_point(t, c) < 0)
				return 1;
			for (int i = t->k - 1; i >= 0; i--) {
				if (++c[i] < t->nvalues[i])
					break;
				c[i] = 0;
			}
		}
	}
	return 0;
}

/* Starts a descent (a new number) at c, whose time may be known. */
static void new_descent(struct tuner *t, const int *c, int64_t time_ns)
{
	t->descent++;
	memcpy(t->centre, c, (size_t)t->k * sizeof(int));
	t->centre_time = time_ns;
	shuffle(&t->rng, t->order, t->k);
	t->pos = 0;
	t->improved = 0;
	t->round_new = 0;
	t->need_restart = 0;
}

/* Starts a new descent from the global best with several knobs changed. */
static void restart(struct tuner *t)
{
	int *c = t->scratch;
	int found = 0;

	for (int tries = 0; tries < 64 && !found && t->k > 0; tries++) {
		int hi = t->k / 2 + 1;
		int m = 2 + rng_below(&t->rng, hi > 2 ? hi - 1 : 1);

		if (m > t->k)
			m = t->k;
		if (t->best >= 0)
			memcpy(c, t->choices + (size_t)t->best * (size_t)t->k,
			       (size_t)t->k * sizeof(int));
		else
			memcpy(c, t->start, (size_t)t->k * sizeof(int));
		shuffle(&t->rng, t->order, t->k);
		for (int j = 0; j < m; j++) {
			int i = t->order[j];
			if (t->nvalues[i] > 1)
				c[i] = draw_value(t, i, c[i]);
		}
		found = find_point(t, c) < 0;
	}
	if (!found && !random_unseen(t, c))
		memcpy(c, t->centre, (size_t)t->k * sizeof(int));
	new_descent(t, c, INT64_MAX);
	enqueue(t, c);
}

static int pending_in_descent(const struct tuner *t)
{
	for (size_t p = t->npoints; p-- > 0;)
		if (t->points[p].state == POINT_PROPOSED &&
		    t->points[p].descent == t->descent)
			return 1;
	return 0;
}

static int is_donor(const struct tuner *t, size_t p)
{
	return !memcmp(t->choices + p * (size_t)t->k, t->donor,
	               (size_t)t->k * sizeof(int));
}

/* The best correct point that is neither the donor's nor in its region,
 * or -1. */
static long best_outside_donor(const struct tuner *t)
{
	long best = -1;

	for (size_t p = 0; p < t->npoints; p++)
		if (t->points[p].state == POINT_OK &&
		    t->points[p].descent != t->donor_descent && !is_donor(t, p) &&
		    (best < 0 || t->points[p].time_ns < t->points[best].time_ns))
			best = (long)p;
	return best;
}

/* The exploration is in: the donor's point is followed only if it is the
 * best point so far. Otherwise it has lost already, and the descent under
 * way (from the exploration's best) is exactly a free run's. */
static void after_exploration(struct tuner *t)
{
	long d = find_point(t, t->donor);
	long o = best_outside_donor(t);

	if (d < 0 || t->points[d].state != POINT_OK ||
	    (o >= 0 && t->points[o].time_ns <= t->points[d].time_ns)) {
		t->donor_state = TUNER_DONOR_BEATEN;
		/* on a tie the centre may still be the donor's point */
		if (o >= 0 && !memcmp(t->centre, t->donor, (size_t)t->k * sizeof(int))) {
			memcpy(t->centre, t->choices + (size_t)o * (size_t)t->k,
			       (size_t)t->k * sizeof(int));
			t->centre_time = t->points[o].time_ns;
		}
		return;
	}
	new_descent(t, t->donor, t->points[d].time_ns);
	t->donor_descent = t->descent;
	t->donor_state = TUNER_DONOR_FOLLOWED;
	t->donor_swept = 0;
	t->donor_gain = 0;
}

/* The donor's neighbours stopped improving: the descent a free run would
 * have made, from the best point outside the donor's region. */
static void leave_donor(struct tuner *t)
{
	long o = best_outside_donor(t);

	t->donor_state = TUNER_DONOR_LEFT;
	if (o < 0) {
		t->need_restart = 1;
		return;
	}
	new_descent(t, t->choices + (size_t)o * (size_t)t->k,
	            t->points[o].time_ns);
}

/* Following the donor: true when its region must be left now (a line
 * swept around it, all reported, did not move its centre; or its round
 * ended). Clears the marks for the next line otherwise. */
static int donor_exhausted(struct tuner *t)
{
	if (t->need_restart)
		return 1;
	if (!t->donor_swept || pending_in_descent(t))
		return 0;   /* nothing to judge yet: go on (or speculate) */
	if (!t->donor_gain)
		return 1;
	t->donor_swept = 0;
	t->donor_gain = 0;
	return 0;
}

/* Fills the queue with the guided strategy's next batch. */
static void refill_guided(struct tuner *t)
{
	int *c = t->scratch;

	for (int guard = 0; guard < 4 * t->k + 8 && t->qlen == 0; guard++) {
		if (t->donor_state == TUNER_DONOR_QUEUED) {
			after_exploration(t);
			continue;
		}
		if (t->donor_state == TUNER_DONOR_FOLLOWED && donor_exhausted(t)) {
			leave_donor(t);
			continue;
		}
		if (t->need_restart) {
			restart(t);
			continue;
		}
		if (t->pos >= t->k) {
			/* Round over: another if it helped or may still. */
			if (t->improved ||
			    (t->round_new > 0 && pending_in_descent(t))) {
				shuffle(&t->rng, t->order, t->k);
				t->pos = 0;
				t->improved = 0;
				t->round_new = 0;
			} else {
				t->need_restart = 1;
			}
			continue;
		}
		int i = t->order[t->pos++];
		int queued = 0;
		memcpy(c, t->centre, (size_t)t->k * sizeof(int));
		for (int v = 0; v < t->nvalues[i]; v++) {
			c[i] = v;
			queued += enqueue(t, c);
		}
		t->round_new += queued;
		if (queued && t->donor_state == TUNER_DONOR_FOLLOWED &&
		    t->descent == t->donor_descent)
			t->donor_swept = 1;
	}
	if (t->qlen == 0 && random_unseen(t, c))
		enqueue(t, c);
}

int tuner_next(struct tuner *t, int *out, int max)
{
	size_t k = (size_t)t->k;
	int n = 0;

	t->started = 1;
	while (n < max && t->proposed < t->budget) {
		const int *c = NULL;
		long p;

		if (t->exhaustive) {
			if (t->enum_at >= t->space)
				break;
			c = t->enum_list + t->enum_at++ * k;
			if (find_point(t, c) >= 0)
				continue;
		} else {
			if (t->qlen == 0) {
				/* Have a batch and results are outstanding:
				 * hand it out rather than guess further. */
				if (n > 0 && t->reported < t->npoints)
					break;
				refill_guided(t);
				if (t->qlen == 0)
					break;
			}
			c = t->queue + t->qhead * k;
			t->qhead++;
			t->qlen--;
			if (t->qlen == 0)
				t->qhead = 0;
			if (find_point(t, c) >= 0)
				continue;
		}
		p = add_point(t, c, POINT_PROPOSED);
		if (p < 0)
			break;
		t->points[p].descent = t->exhaustive ? -1 : t->descent;
		memcpy(out + (size_t)n * k, c, k * sizeof(int));
		t->proposed++;
		n++;
	}
	return n;
}

void tuner_report(struct tuner *t, const int *choice, int64_t time_ns)
{
	long p;
	struct point *pt;

	if (!valid_choice(t, choice))
		return;
	p = find_point(t, choice);
	if (p < 0) {
		/* Evaluated by the caller on its own (the engine reports the
		 * parent it already timed): it counts all the same, and it
		 * belongs to the current descent so that a good one becomes
		 * the centre. */
		p = add_point(t, choice, POINT_PROPOSED);
		if (p < 0)
			return;
		t->points[p].descent = t->exhaustive ? -1 : t->descent;
		t->proposed++;
	}
	pt = &t->points[p];
	if (pt->state != POINT_PROPOSED)
		return;   /* a second report of the same point changes nothing */
	t->reported++;
	if (time_ns <= 0) {
		pt->state = POINT_FAILED;
		for (int i = 0; i < t->k; i++)
			t->value_failed[t->value_at[i] + choice[i]]++;
		return;
	}
	pt->state = POINT_OK;
	pt->time_ns = time_ns;
	for (int i = 0; i < t->k; i++) {
		int64_t *b = &t->value_best[t->value_at[i] + choice[i]];
		if (*b == 0 || time_ns < *b)
			*b = time_ns;
	}
	if (t->best < 0 || time_ns < t->points[t->best].time_ns)
		t->best = p;
	if (!t->exhaustive && pt->descent == t->descent &&
	    time_ns < t->centre_time) {
		if (memcmp(t->centre, choice, (size_t)t->k * sizeof(int))) {
			t->improved = 1;
			if (t->descent == t->donor_descent)
				t->donor_gain = 1;
		}
		t->centre_time = time_ns;
		memcpy(t->centre, choice, (size_t)t->k * sizeof(int));
	}
}

/* Puts c first in the queue (moving it there if it was queued already).
 * Returns 1, or 0 when c was seen already or memory ran out. */
static int enqueue_front(struct tuner *t, const int *c)
{
	size_t k = (size_t)t->k;
	size_t at = t->qlen;

	for (size_t q = 0; q < t->qlen && at == t->qlen; q++)
		if (!memcmp(t->queue + (t->qhead + q) * k, c, k * sizeof(int)))
			at = q;
	if (at == t->qlen) {
		if (!enqueue(t, c))
			return 0;
		at = t->qlen - 1;
	}
	memmove(t->queue + (t->qhead + 1) * k, t->queue + t->qhead * k,
	        at * k * sizeof(int));
	memcpy(t->queue + t->qhead * k, c, k * sizeof(int));
	return 1;
}

int tuner_set_donor(struct tuner *t, const int *donor)
{
	int *d;

	if (!donor || !valid_choice(t, donor) || t->started || t->donor)
		return -EINVAL;
	if (!memcmp(donor, t->start, (size_t)t->k * sizeof(int)))
		return 0;   /* the start itself: nothing to add */
	d = malloc((size_t)t->k * sizeof(int) + sizeof(int));
	if (!d)
		return -ENOMEM;
	memcpy(d, donor, (size_t)t->k * sizeof(int));
	if (t->exhaustive) {
		/* every point is tried anyway: the donor's first, then its
		 * neighbours, so that a search cut short has seen them */
		int *list = t->enum_list;
		memcpy(t->scratch, t->start, (size_t)t->k * sizeof(int));
		memcpy(t->start, donor, (size_t)t->k * sizeof(int));
		t->enum_list = NULL;
		if (build_enumeration(t) < 0) {
			free(t->enum_list);
			t->enum_list = list;
			memcpy(t->start, t->scratch, (size_t)t->k * sizeof(int));
			free(d);
			return -ENOMEM;
		}
		free(list);
		t->donor = d;
		return 0;
	}
	if (find_point(t, donor) >= 0) {
		free(d);
		return 0;   /* reported already: nothing to add */
	}
	if (!enqueue_front(t, donor)) {
		free(d);
		return -ENOMEM;
	}
	t->donor = d;
	t->donor_state = TUNER_DONOR_QUEUED;
	return 0;
}

enum tuner_donor tuner_donor_state(const struct tuner *t)
{
	return t->donor_state;
}

const int *tuner_best(const struct tuner *t, int64_t *time_ns)
{
	if (t->best < 0) {
		if (time_ns)
			*time_ns = 0;
		return NULL;
	}
	if (time_ns)
		*time_ns = t->points[t->best].time_ns;
	return t->choices + (size_t)t->best * (size_t)t->k;
}

size_t tuner_evaluated(const struct tuner *t)
{
	return t->reported;
}
