/*
 * test_tuner.c - the knob search, on synthetic cost functions and on the
 * measured spaces of the benchmark suite.
 *
 * Synthetic spaces (separable, coupled like a blocked GEMM with invalid
 * corners, rugged with random failures) check the contract (no point twice,
 * never over budget, failures never retried, start first) and the quality
 * claim: exhaustive finds the optimum exactly; guided, with a quarter of the
 * space, gets within 5% of the optimum on average over seeds and beats
 * random sampling with the same budget. The replay test runs the tuner
 * against tests/kernels/tune-* /space.tsv, the offline exhaustive
 * measurement of each suite kernel (tools/tune-exhaustive), and checks the
 * claim on real timings: within 5% on the spaces of several hundred points,
 * better than random everywhere (see replay() for the small spaces).
 * Schedule reuse (the reuse_* tests): the donor's point comes first and
 * the free run's exploration after it, whole; the donor is followed only
 * while it leads; a donor that does not transfer costs at most its point
 * and one line sweep (a two-basin space where starting from the donor
 * fences the search in); on the suite's measured pairs (tune-X ->
 * tune-X-b) reuse gains where the donor transfers and costs about one
 * point where it does not.
 * Everything is seeded: no flakiness.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ac_config.h"
#include "engine/search/knob.h"
#include "engine/search/tuner.h"

#define MAXK 16

/* A space: knob sizes and a cost function (ns; <= 0 means "fails"). */
struct space {
	const char *name;
	int k;
	int n[MAXK];
	int64_t (*cost)(const struct space *sp, const int *c);
	int64_t *table;   /* replayed spaces: time per mixed-radix index */
};

static size_t space_size(const struct space *sp)
{
	size_t n = 1;

	for (int i = 0; i < sp->k; i++)
		n *= (size_t)sp->n[i];
	return n;
}

static size_t space_index(const struct space *sp, const int *c)
{
	size_t x = 0;

	for (int i = 0; i < sp->k; i++)
		x = x * (size_t)sp->n[i] + (size_t)c[i];
	return x;
}

static void space_point(const struct space *sp, size_t x, int *c)
{
	for (int i = sp->k - 1; i >= 0; i--) {
		c[i] = (int)(x % (size_t)sp->n[i]);
		x /= (size_t)sp->n[i];
	}
}

/* A knob_set with sp's shape (values "0", "1", ...). */
static void make_set(const struct space *sp, struct knob_set *s)
{
	char src[4096];
	size_t used = 0;
	char err[128];

	for (int i = 0; i < sp->k; i++) {
		used += (size_t)snprintf(src + used, sizeof(src) - used,
		                         "#define K%d 0 // autocomp-tune:", i);
		for (int v = 0; v < sp->n[i]; v++)
			used += (size_t)snprintf(src + used, sizeof(src) - used,
			                         " %d", v);
		used += (size_t)snprintf(src + used, sizeof(src) - used, "\n");
	}
	cr_assert_eq(knob_parse(src, s, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(s->count, sp->k);
}

/* Deterministic pseudo-random numbers in [0, 1) from a few integers. */
static double hash01(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t z = a * 0x9e3779b97f4a7c15ULL ^ b * 0xc2b2ae3d27d4eb4fULL ^
	             c * 0x165667b19e3779f9ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0;
}

/* Separable: a product of per-knob factors, 6*6*5*4 = 720 points. */
static int64_t cost_separable(const struct space *sp, const int *c)
{
	double t = 1e6;

	for (int i = 0; i < sp->k; i++)
		t *= 1.0 + 2.0 * hash01(11, (uint64_t)i, (uint64_t)c[i]);
	return (int64_t)t;
}

/*
 * Coupled, shaped like a blocked GEMM: MC, KC (cache tiles), MR, NR
 * (register block), LOOP (3 orders), PACK (2): 4*4*4*4*3*2 = 1536 points.
 * Register blocks over 16 accumulator vectors do not build; the cache tiles
 * must fit L2 together; packing pays off with large KC only; loop orders
 * prefer different tile shapes.
 */
static int64_t cost_gemm_like(const struct space *sp, const int *c)
{
	int mc = 32 << c[0], kc = 64 << c[1], mr = 1 << c[2], nr = 1 << c[3];
	int loop = c[4], pack = c[5];
	double t = 1e6;
	double acc = mr * nr;

	(void)sp;
	if (acc > 16)
		return 0;                                /* build error */
	if (loop == 2 && mr == 1)
		return -1;                               /* wrong result */
	t *= 1.0 + 4.0 / acc;                            /* latency bound */
	t *= 1.0 + 0.6 * (mr + nr) / acc;                /* loads per FMA */
	if ((double)mc * kc * 4 > 512 * 1024)
		t *= 1.9;                                /* A block out of L2 */
	if ((double)kc * nr * 64 > 48 * 1024)
		t *= 1.4;                                /* B panel out of L1 */
	t *= 1.0 + 16.0 / kc + 8.0 / mc;                 /* loop overhead */
	if (pack)
		t *= kc >= 256 ? 0.8 : 1.15;
	if (loop == 1)
		t *= mc >= 128 ? 0.9 : 1.2;
	if (loop == 2)
		t *= nr >= 4 ? 0.93 : 1.3;
	return (int64_t)t;
}

/*
 * Rugged: random main effects plus random pairwise couplings between
 * neighbouring knobs (an NK-style landscape) and about 12% of the points
 * failing at random: 5*5*4*4*3 = 1200 points.
 */
static int64_t cost_rugged(const struct space *sp, const int *c)
{
	double e = 0;

	if (hash01(99, space_index(sp, c), 7) < 0.12)
		return 0;
	for (int i = 0; i < sp->k; i++) {
		e += 0.8 * hash01(1, (uint64_t)i, (uint64_t)c[i]);
		if (i + 1 < sp->k)
			e += 0.5 * hash01(2, (uint64_t)i,
			                  (uint64_t)(c[i] * 16 + c[i + 1]));
	}
	return (int64_t)(1e6 * exp(e));
}

static int64_t cost_table(const struct space *sp, const int *c)
{
	return sp->table[space_index(sp, c)];
}

static const struct space separable = {
	"separable", 4, { 6, 6, 5, 4 }, cost_separable, NULL };
static const struct space gemm_like = {
	"gemm-like", 6, { 4, 4, 4, 4, 3, 2 }, cost_gemm_like, NULL };
static const struct space rugged = {
	"rugged", 5, { 5, 5, 4, 4, 3 }, cost_rugged, NULL };

static int64_t space_best(const struct space *sp)
{
	int c[MAXK];
	int64_t best = INT64_MAX;

	for (size_t x = 0; x < space_size(sp); x++) {
		int64_t t;
		space_point(sp, x, c);
		t = sp->cost(sp, c);
		if (t > 0 && t < best)
			best = t;
	}
	return best;
}

struct run_stats {
	int64_t best;
	size_t evaluated;
	size_t proposed_twice;
	size_t first_best_at;   /* evaluations until the final best appeared */
};

/*
 * Runs the tuner over sp to the end, batch points at a time, reporting
 * each batch before asking again (like the engine: build in parallel, time
 * one by one). Checks the contract on the way.
 */
static struct run_stats run_tuner(const struct space *sp, const int *start,
                                  size_t budget, uint64_t seed, int batch)
{
	struct knob_set set = { 0 };
	struct tuner *t;
	size_t size = space_size(sp);
	unsigned char *seen = calloc(size, 1);
	int *out = calloc((size_t)batch * MAXK, sizeof(int));
	struct run_stats st = { INT64_MAX, 0, 0, 0 };
	int n;

	make_set(sp, &set);
	t = tuner_new(&set, start, budget, seed);
	cr_assert_not_null(t);
	while ((n = tuner_next(t, out, batch)) > 0) {
		cr_assert_leq(n, batch);
		for (int j = 0; j < n; j++) {
			const int *c = out + (size_t)j * (size_t)sp->k;
			size_t x = space_index(sp, c);
			int64_t ns = sp->cost(sp, c);

			if (st.evaluated == 0 && start) {
				for (int i = 0; i < sp->k; i++)
					cr_assert_eq(c[i], start[i] < 0 ? 0 : start[i],
					             "the start point comes first");
			}
			if (seen[x])
				st.proposed_twice++;
			seen[x] = 1;
			tuner_report(t, c, ns);
			st.evaluated++;
			if (ns > 0 && ns < st.best) {
				st.best = ns;
				st.first_best_at = st.evaluated;
			}
		}
		cr_assert_leq(st.evaluated, budget, "over budget");
	}
	cr_assert_eq(tuner_evaluated(t), st.evaluated);
	{
		int64_t bt;
		const int *b = tuner_best(t, &bt);
		if (st.best == INT64_MAX) {
			cr_assert_null(b);
		} else {
			cr_assert_not_null(b);
			cr_assert_eq(bt, st.best);
			cr_assert_eq(sp->cost(sp, b), st.best);
		}
	}
	tuner_free(t);
	knob_set_clear(&set);
	free(seen);
	free(out);
	return st;
}

/* Random sampling without replacement: the baseline to beat. */
static int64_t run_random(const struct space *sp, const int *start,
                          size_t budget, uint64_t seed)
{
	size_t size = space_size(sp);
	size_t *perm = malloc(size * sizeof(*perm));
	uint64_t s = seed * 0x2545f4914f6cdd1dULL + 1;
	int64_t best = INT64_MAX;
	int c[MAXK];

	for (size_t i = 0; i < size; i++)
		perm[i] = i;
	/* The start point first, as the tuner gets it for free. */
	if (start)
		perm[0] = space_index(sp, start), perm[space_index(sp, start)] = 0;
	for (size_t i = size - 1; i > 1; i--) {
		size_t j;
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		j = 1 + (size_t)(s % i);
		size_t x = perm[i];
		perm[i] = perm[j];
		perm[j] = x;
	}
	for (size_t i = 0; i < budget && i < size; i++) {
		int64_t t;
		space_point(sp, perm[i], c);
		t = sp->cost(sp, c);
		if (t > 0 && t < best)
			best = t;
	}
	free(perm);
	return best;
}

/* A mediocre start: the median-cost valid point (deterministic). */
static void mediocre_start(const struct space *sp, int *start)
{
	size_t size = space_size(sp);
	int64_t *v = malloc(size * sizeof(*v));
	size_t nv = 0;
	int c[MAXK];
	int64_t med;

	for (size_t x = 0; x < size; x++) {
		space_point(sp, x, c);
		if (sp->cost(sp, c) > 0)
			v[nv++] = sp->cost(sp, c);
	}
	for (size_t i = 1; i < nv; i++)
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			int64_t x = v[j];
			v[j] = v[j - 1];
			v[j - 1] = x;
		}
	med = v[nv / 2];
	for (size_t x = 0; x < size; x++) {
		space_point(sp, x, start);
		if (sp->cost(sp, start) == med)
			break;
	}
	free(v);
}

/* Guided at a quarter of the space vs random at the same budget. */
static void check_guided(const struct space *sp, int seeds, int batch)
{
	int start[MAXK];
	size_t budget = space_size(sp) / 4;
	int64_t opt = space_best(sp);
	double g = 0;
	double r = 0;
	double worst = 0;
	size_t used = 0;

	mediocre_start(sp, start);
	for (int s = 1; s <= seeds; s++) {
		struct run_stats st = run_tuner(sp, start, budget, (uint64_t)s, batch);
		double ratio = (double)st.best / (double)opt;
		cr_assert_eq(st.proposed_twice, 0);
		g += ratio;
		r += (double)run_random(sp, start, budget, (uint64_t)s) / (double)opt;
		used += st.evaluated;
		if (ratio > worst)
			worst = ratio;
	}
	g /= seeds;
	r /= seeds;
	cr_log_info("%s: %zu points, budget %zu: guided %.4f (worst %.4f), "
	            "random %.4f of optimum, %.1f points used", sp->name,
	            space_size(sp), budget, g, worst, r, (double)used / seeds);
	cr_assert_leq(g, 1.05, "%s: guided %.4f of optimum on average", sp->name, g);
	cr_assert_lt(g, r, "%s: guided %.4f does not beat random %.4f",
	             sp->name, g, r);
}

Test(tuner, exhaustive_finds_optimum_exactly)
{
	static const struct space *spaces[] = { &separable, &gemm_like, &rugged };

	for (size_t i = 0; i < 3; i++) {
		const struct space *sp = spaces[i];
		int start[MAXK];
		struct run_stats st;

		mediocre_start(sp, start);
		st = run_tuner(sp, start, space_size(sp), 1, 4);
		cr_assert_eq(st.evaluated, space_size(sp), "%s", sp->name);
		cr_assert_eq(st.proposed_twice, 0);
		cr_assert_eq(st.best, space_best(sp), "%s", sp->name);
		/* A budget above the space size is the same search. */
		st = run_tuner(sp, start, space_size(sp) * 3, 2, 7);
		cr_assert_eq(st.evaluated, space_size(sp));
		cr_assert_eq(st.best, space_best(sp));
	}
}

Test(tuner, exhaustive_order_is_start_then_neighbours)
{
	struct knob_set set = { 0 };
	int start[] = { 2, 1, 3, 0 };
	int c[4];
	int last = 0;
	struct tuner *t;

	make_set(&separable, &set);
	t = tuner_new(&set, start, 10000, 5);
	while (tuner_next(t, c, 1) == 1) {
		int d = 0;
		for (int i = 0; i < 4; i++)
			d += c[i] != start[i];
		if (tuner_evaluated(t) == 0)
			cr_assert_eq(d, 0);
		cr_assert_geq(d, last, "distance from the start never shrinks");
		last = d;
		tuner_report(t, c, 100);
	}
	cr_assert_eq(tuner_evaluated(t), 720);
	tuner_free(t);
	knob_set_clear(&set);
}

Test(tuner, guided_separable)
{
	check_guided(&separable, 10, 4);
}

Test(tuner, guided_coupled_with_invalid_regions)
{
	check_guided(&gemm_like, 10, 4);
}

Test(tuner, guided_rugged_with_random_failures)
{
	check_guided(&rugged, 10, 4);
}

/* gemm-like with the LOOP knob fixed to its second order. */
static int64_t cost_gemm512(const struct space *sp, const int *c)
{
	int full[6] = { c[0], c[1], c[2], c[3], 1, c[4] };

	return cost_gemm_like(sp, full);
}

/* Several hundred points (the size of the suite's big spaces), whatever
 * the batch size the engine asks for. */
Test(tuner, guided_gemm_like_512_batch_sizes)
{
	struct space sp = { "gemm-like-512", 5, { 4, 4, 4, 4, 2 }, cost_gemm512, NULL };

	for (int batch = 1; batch <= 8; batch *= 2)
		check_guided(&sp, 10, batch);
}

Test(tuner, failures_never_retried_and_budget_kept)
{
	struct knob_set set = { 0 };
	int c[8 * MAXK];
	size_t total = 0;
	struct tuner *t;
	int n;

	make_set(&gemm_like, &set);
	t = tuner_new(&set, NULL, 200, 3);
	while ((n = tuner_next(t, c, 8)) > 0) {
		for (int j = 0; j < n; j++)
			tuner_report(t, c + j * 6, 0);   /* everything fails */
		total += (size_t)n;
	}
	cr_assert_eq(total, 200);
	cr_assert_eq(tuner_evaluated(t), 200);
	cr_assert_null(tuner_best(t, NULL));
	cr_assert_eq(tuner_next(t, c, 8), 0, "over stays over");
	tuner_free(t);
	knob_set_clear(&set);
}

Test(tuner, start_minus_one_means_first_value)
{
	struct knob_set set = { 0 };
	int start[] = { -1, 3, -1, 99 };
	int c[MAXK];
	struct tuner *t;

	make_set(&separable, &set);
	t = tuner_new(&set, start, 50, 1);
	cr_assert_eq(tuner_next(t, c, 1), 1);
	cr_assert_eq(c[0], 0);
	cr_assert_eq(c[1], 3);
	cr_assert_eq(c[2], 0);
	cr_assert_eq(c[3], 0, "out of range counts as first value");
	tuner_free(t);
	tuner_free(NULL);
	knob_set_clear(&set);
}

Test(tuner, batches_and_speculation)
{
	struct knob_set set = { 0 };
	int c[16 * MAXK];
	struct tuner *t;
	int n;
	size_t got = 0;

	make_set(&separable, &set);
	t = tuner_new(&set, NULL, 100, 9);
	n = tuner_next(t, c, 16);
	cr_assert_geq(n, 1);
	got += (size_t)n;
	/* Nothing reported yet: asking again still gives new points (the
	 * tuner speculates rather than end the search). */
	for (int r = 0; r < 5; r++) {
		int m = tuner_next(t, c + 0, 16);
		cr_assert_gt(m, 0);
		got += (size_t)m;
	}
	cr_assert_leq(got, 100);
	tuner_free(t);
	/* With results coming back, line sweeps come in batches > 1. */
	t = tuner_new(&set, NULL, 100, 9);
	int big = 0;
	while ((n = tuner_next(t, c, 16)) > 0) {
		if (n > 1)
			big++;
		for (int j = 0; j < n; j++)
			tuner_report(t, c + j * 4, cost_separable(&separable, c + j * 4));
	}
	cr_assert_gt(big, 3);
	tuner_free(t);
	knob_set_clear(&set);
}

Test(tuner, reports_from_outside_count)
{
	struct knob_set set = { 0 };
	int c[MAXK];
	int mine[] = { 5, 5, 4, 3 };
	struct tuner *t;
	int64_t bt;

	make_set(&separable, &set);
	t = tuner_new(&set, NULL, 10, 1);
	tuner_report(t, mine, 42);
	tuner_report(t, mine, 7);   /* a second report changes nothing */
	cr_assert_eq(tuner_evaluated(t), 1);
	cr_assert_not_null(tuner_best(t, &bt));
	cr_assert_eq(bt, 42);
	size_t total = 1;
	int n;
	while ((n = tuner_next(t, c, 1)) > 0) {
		cr_assert(memcmp(c, mine, sizeof(mine)) != 0, "not proposed again");
		tuner_report(t, c, 1000);
		total++;
	}
	cr_assert_eq(total, 10);
	tuner_free(t);
	knob_set_clear(&set);
}

/* The engine's flow: the parent (the start point) was timed already and is
 * reported before the first tuner_next. The search must build on it, not
 * wander off to the first line's best when that is worse. */
Test(tuner, parent_reported_first)
{
	struct space sp = { "gemm-like-512", 5, { 4, 4, 4, 4, 2 }, cost_gemm512, NULL };
	struct knob_set set = { 0 };
	int start[MAXK];
	int c[8 * MAXK];
	int64_t opt = space_best(&sp);
	double g = 0;

	make_set(&sp, &set);
	mediocre_start(&sp, start);
	for (int seed = 1; seed <= 10; seed++) {
		struct tuner *t = tuner_new(&set, start, space_size(&sp) / 4,
		                            (uint64_t)seed);
		int64_t bt;
		int n;

		tuner_report(t, start, sp.cost(&sp, start));
		while ((n = tuner_next(t, c, 8)) > 0) {
			for (int j = 0; j < n; j++) {
				cr_assert(memcmp(c + j * sp.k, start,
				                 (size_t)sp.k * sizeof(int)) != 0);
				tuner_report(t, c + j * sp.k, sp.cost(&sp, c + j * sp.k));
			}
		}
		cr_assert_eq(tuner_evaluated(t), space_size(&sp) / 4);
		tuner_best(t, &bt);
		g += (double)bt / (double)opt;
		tuner_free(t);
	}
	g /= 10;
	cr_assert_leq(g, 1.05, "%.4f of the optimum", g);
	knob_set_clear(&set);
}

Test(tuner, no_knobs_and_huge_spaces)
{
	struct knob_set set = { 0 };
	char src[4096];
	size_t used = 0;
	int c[64];
	struct tuner *t = tuner_new(&set, NULL, 10, 1);

	cr_assert_eq(tuner_next(t, c, 4), 1, "one point: the input itself");
	tuner_report(t, c, 5);
	cr_assert_eq(tuner_next(t, c, 4), 0);
	tuner_free(t);
	for (int i = 0; i < 40; i++)
		used += (size_t)snprintf(src + used, sizeof(src) - used,
		        "#define K%d 1 // autocomp-tune: 1 2 3 4 5 6 7 8\n", i);
	cr_assert_eq(knob_parse(src, &set, NULL, 0), 0);
	t = tuner_new(&set, NULL, 300, 1);
	size_t total = 0;
	int n;
	while ((n = tuner_next(t, c, 1)) > 0) {
		int64_t ns = 1000;
		for (int i = 0; i < 40; i++)
			ns += (c[i] - 3) * (c[i] - 3);
		tuner_report(t, c, ns);
		total++;
	}
	cr_assert_eq(total, 300);
	int64_t bt;
	tuner_best(t, &bt);
	cr_assert_lt(bt, 1000 + 40 * 4, "it went downhill");
	tuner_free(t);
	knob_set_clear(&set);
}

/*
 * Replay: the offline exhaustive measurement of each suite kernel.
 * space.tsv: '#' comment lines, a header of knob names then "time_ns", and
 * one row per point: the values, then the median time (0 = failed).
 */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)len + 1);
	if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void load_space(const char *dir, struct space *sp, struct knob_set *set,
                       int *start)
{
	char path[4096];
	char *src;
	char *tsv;
	char *save = NULL;
	char *line;
	int col[MAXK];
	int header = 0;
	size_t rows = 0;
	char err[256];

	snprintf(path, sizeof(path), "%s/input.c", dir);
	src = slurp(path);
	cr_assert_not_null(src, "%s", path);
	cr_assert_eq(knob_parse(src, set, err, sizeof(err)), 0, "%s", err);
	cr_assert_leq(set->count, MAXK);
	sp->k = set->count;
	for (int i = 0; i < set->count; i++) {
		sp->n[i] = set->knobs[i].nvalues;
		start[i] = set->knobs[i].current;
	}
	sp->table = calloc(space_size(sp), sizeof(int64_t));
	for (size_t x = 0; x < space_size(sp); x++)
		sp->table[x] = -2;   /* not measured */
	sp->cost = cost_table;
	snprintf(path, sizeof(path), "%s/space.tsv", dir);
	tsv = slurp(path);
	cr_assert_not_null(tsv, "%s", path);
	for (line = strtok_r(tsv, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *fs = NULL;
		char *f;
		int c[MAXK];
		int i = 0;

		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (!header) {
			for (f = strtok_r(line, "\t", &fs); f && i < set->count;
			     f = strtok_r(NULL, "\t", &fs), i++) {
				col[i] = knob_find(set, f);
				cr_assert_geq(col[i], 0, "unknown knob %s", f);
			}
			cr_assert_eq(i, set->count);
			cr_assert_str_eq(f, "time_ns");
			header = 1;
			continue;
		}
		for (f = strtok_r(line, "\t", &fs); f && i < set->count;
		     f = strtok_r(NULL, "\t", &fs), i++) {
			c[col[i]] = knob_value_index(&set->knobs[col[i]], f);
			cr_assert_geq(c[col[i]], 0, "value %s", f);
		}
		cr_assert_not_null(f, "row without a time");
		sp->table[space_index(sp, c)] = strtoll(f, NULL, 10);
		rows++;
	}
	cr_assert_eq(rows, space_size(sp), "%s: every point measured", dir);
	for (size_t x = 0; x < space_size(sp); x++)
		cr_assert_neq(sp->table[x], -2);
	free(tsv);
	free(src);
}

/*
 * Replays one suite kernel: budget a quarter of its space, 10 seeds, the
 * start at the input's knob values, batches of 4. Every space: the tuner
 * beats random sampling with the same budget on average. Spaces of several
 * hundred points (the ones the claim is about): within 5% of the measured
 * best on average. Small spaces (60-96 points, so 15-24 evaluations, against
 * a measured best that stands more than 5% ahead of every other point):
 * within 15%; the log line shows the figures.
 */
#define LARGE_SPACE 250

static void replay(const char *name)
{
	const char *root = getenv("AC_SOURCE_DIR");
	char dir[2048];
	struct space sp = { name, 0, { 0 }, NULL, NULL };
	struct knob_set set = { 0 };
	int start[MAXK];
	size_t size;
	size_t budget;
	int64_t opt;
	double g = 0;
	double r = 0;
	double worst = 0;
	size_t used = 0;
	const int seeds = 10;

	if (!root)
		root = AC_SOURCE_DIR;
	snprintf(dir, sizeof(dir), "%s/tests/kernels/%s", root, name);
	load_space(dir, &sp, &set, start);
	size = space_size(&sp);
	budget = size / 4;
	opt = space_best(&sp);
	cr_assert_lt(opt, INT64_MAX, "%s: nothing valid", name);
	cr_assert_gt(cost_table(&sp, start), 0, "%s: the input is valid", name);
	for (int s = 1; s <= seeds; s++) {
		struct run_stats st = run_tuner(&sp, start, budget, (uint64_t)s, 4);
		double ratio = (double)st.best / (double)opt;

		cr_assert_eq(st.proposed_twice, 0);
		g += ratio;
		if (ratio > worst)
			worst = ratio;
		r += (double)run_random(&sp, start, budget, (uint64_t)s) /
		     (double)opt;
		used += st.evaluated;
	}
	g /= seeds;
	r /= seeds;
	cr_log_info("replay %s: %zu points, budget %zu (%.1f used): input "
	            "%.3f ms, best %.3f ms; tuner %.4f of best (worst seed "
	            "%.4f), random %.4f", name, size, budget,
	            (double)used / seeds, cost_table(&sp, start) / 1e6,
	            opt / 1e6, g, worst, r);
	cr_assert_leq(g, r, "%s: tuner %.4f, random sampling %.4f", name, g, r);
	if (size >= LARGE_SPACE)
		cr_assert_leq(g, 1.05, "%s: tuner %.4f of the best", name, g);
	else
		cr_assert_leq(g, 1.15, "%s: tuner %.4f of the best", name, g);
	free(sp.table);
	knob_set_clear(&set);
}

Test(tuner, replay_gemm) { replay("tune-gemm"); }
Test(tuner, replay_bgemm) { replay("tune-bgemm"); }
Test(tuner, replay_conv2d) { replay("tune-conv2d"); }
Test(tuner, replay_softmax) { replay("tune-softmax"); }
Test(tuner, replay_transpose) { replay("tune-transpose"); }
Test(tuner, replay_elementwise) { replay("tune-elementwise"); }

/* The "quarter of the space" claim needs spaces of several hundred points:
 * at least two suite kernels have them. */
Test(tuner, suite_has_large_spaces)
{
	static const char *names[] = {
		"tune-gemm", "tune-bgemm", "tune-conv2d", "tune-softmax",
		"tune-transpose", "tune-elementwise",
	};
	const char *root = getenv("AC_SOURCE_DIR");
	int big = 0;

	if (!root)
		root = AC_SOURCE_DIR;
	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
		char path[2048];
		struct knob_set set = { 0 };
		char *src;

		snprintf(path, sizeof(path), "%s/tests/kernels/%s/input.c", root,
		         names[n]);
		src = slurp(path);
		cr_assert_not_null(src, "%s", path);
		cr_assert_eq(knob_parse(src, &set, NULL, 0), 0, "%s", path);
		if (knob_space_size(&set) >= LARGE_SPACE)
			big++;
		knob_set_clear(&set);
		free(src);
	}
	cr_assert_geq(big, 2);
}

/*
 * Schedule reuse: the donor's point is a head start, never a fence
 * (tuner.c). The engine's flow throughout: the start (the input) was
 * timed already and is reported before the first tuner_next.
 */

/* One run with an optional donor; returns the best time, and what became
 * of the donor in *state (may be NULL). */
static int64_t run_reuse(const struct space *sp, const int *start, const int *donor,
                         size_t budget, uint64_t seed, enum tuner_donor *state)
{
	struct knob_set set = { 0 };
	int c[4 * MAXK];
	int64_t bt = 0;
	int n;

	make_set(sp, &set);
	struct tuner *t = tuner_new(&set, start, budget, seed);
	cr_assert_not_null(t);
	if (donor)
		cr_assert_eq(tuner_set_donor(t, donor), 0);
	tuner_report(t, start, sp->cost(sp, start));
	while ((n = tuner_next(t, c, 4)) > 0)
		for (int j = 0; j < n; j++)
			tuner_report(t, c + j * sp->k, sp->cost(sp, c + j * sp->k));
	cr_assert_eq(tuner_evaluated(t), budget < space_size(sp) ? budget : space_size(sp));
	cr_assert_not_null(tuner_best(t, &bt));
	if (state)
		*state = tuner_donor_state(t);
	tuner_free(t);
	knob_set_clear(&set);
	return bt;
}

/* The geometric mean over seeds 1..seeds of the best time. */
static double gm_best(const struct space *sp, const int *start, const int *donor,
                      size_t budget, int seeds)
{
	double l = 0;

	for (int s = 1; s <= seeds; s++)
		l += log((double)run_reuse(sp, start, donor, budget, (uint64_t)s, NULL));
	return exp(l / seeds);
}

Test(tuner, reuse_set_donor_contract)
{
	struct knob_set set = { 0 };
	int start[] = { 1, 1, 1, 1 };
	int donor[] = { 5, 5, 4, 3 };
	int bad[] = { 6, 0, 0, 0 };
	int c[MAXK];
	struct tuner *t;

	make_set(&separable, &set);
	t = tuner_new(&set, start, 50, 1);
	cr_assert_eq(tuner_set_donor(t, bad), -EINVAL, "out of range");
	cr_assert_eq(tuner_set_donor(t, NULL), -EINVAL);
	cr_assert_eq(tuner_donor_state(t), TUNER_DONOR_NONE);
	cr_assert_eq(tuner_set_donor(t, start), 0, "the start itself: nothing to add");
	cr_assert_eq(tuner_donor_state(t), TUNER_DONOR_NONE);
	cr_assert_eq(tuner_set_donor(t, donor), 0);
	cr_assert_eq(tuner_donor_state(t), TUNER_DONOR_QUEUED);
	cr_assert_eq(tuner_set_donor(t, start), -EINVAL, "one donor");
	cr_assert_eq(tuner_next(t, c, 1), 1);
	cr_assert_arr_eq(c, donor, sizeof(donor), "the donor's point comes first");
	tuner_free(t);
	t = tuner_new(&set, start, 50, 1);
	cr_assert_eq(tuner_next(t, c, 1), 1);
	cr_assert_eq(tuner_set_donor(t, donor), -EINVAL, "too late");
	tuner_free(t);
	/* a point reported already (a resumed run) adds nothing */
	t = tuner_new(&set, start, 50, 1);
	tuner_report(t, donor, 100);
	cr_assert_eq(tuner_set_donor(t, donor), 0);
	cr_assert_eq(tuner_donor_state(t), TUNER_DONOR_NONE);
	tuner_free(t);
	knob_set_clear(&set);
}

/* The exploration is a free run's, whole: the same points in the same
 * order, after the donor's. */
Test(tuner, reuse_keeps_the_free_exploration)
{
	struct knob_set set = { 0 };
	int start[MAXK];
	int donor[] = { 3, 0, 2, 1, 0 };
	int free_pts[64 * MAXK], reuse_pts[64 * MAXK];
	const size_t budget = 48;
	const int explore = (int)(budget / 3);
	struct space sp = { "gemm-like-512", 5, { 4, 4, 4, 4, 2 }, cost_gemm512, NULL };

	make_set(&sp, &set);
	mediocre_start(&sp, start);
	for (int arm = 0; arm < 2; arm++) {
		int *pts = arm ? reuse_pts : free_pts;
		int got = 0;
		struct tuner *t = tuner_new(&set, start, budget, 7);
		if (arm)
			cr_assert_eq(tuner_set_donor(t, donor), 0);
		tuner_report(t, start, sp.cost(&sp, start));
		while (got < explore + arm) {
			int n = tuner_next(t, pts + got * sp.k, 4);
			cr_assert_gt(n, 0);
			for (int j = 0; j < n; j++)
				tuner_report(t, pts + (got + j) * sp.k,
				             sp.cost(&sp, pts + (got + j) * sp.k));
			got += n;
		}
		tuner_free(t);
	}
	cr_assert_arr_eq(reuse_pts, donor, sizeof(donor), "the donor's point first");
	cr_assert_arr_eq(reuse_pts + sp.k, free_pts, (size_t)explore * (size_t)sp.k * sizeof(int),
	                 "then the free run's exploration");
	knob_set_clear(&set);
}

/* Followed when it leads, passed over when the exploration beats it or it
 * fails; and never worse than its own point. */
Test(tuner, reuse_donor_followed_only_when_it_leads)
{
	struct space sp = { "gemm-like-512", 5, { 4, 4, 4, 4, 2 }, cost_gemm512, NULL };
	int start[MAXK];
	int opt[MAXK], worst[MAXK], failing[MAXK];
	int64_t best = INT64_MAX, bad = 0;

	mediocre_start(&sp, start);
	for (size_t x = 0; x < space_size(&sp); x++) {
		int c[MAXK];
		space_point(&sp, x, c);
		int64_t t = sp.cost(&sp, c);
		if (t > 0 && t < best) {
			best = t;
			memcpy(opt, c, sizeof(c));
		}
		if (t > bad) {
			bad = t;
			memcpy(worst, c, sizeof(c));
		}
		if (t <= 0)
			memcpy(failing, c, sizeof(c));
	}
	for (int seed = 1; seed <= 10; seed++) {
		enum tuner_donor st;
		int64_t bt = run_reuse(&sp, start, opt, 32, (uint64_t)seed, &st);
		cr_assert_eq(bt, best, "a donor that transfers is kept");
		cr_assert(st == TUNER_DONOR_FOLLOWED || st == TUNER_DONOR_LEFT, "%d", st);
		run_reuse(&sp, start, worst, 32, (uint64_t)seed, &st);
		cr_assert_eq(st, TUNER_DONOR_BEATEN);
		run_reuse(&sp, start, failing, 32, (uint64_t)seed, &st);
		cr_assert_eq(st, TUNER_DONOR_BEATEN);
	}
}

/*
 * Two basins: the donor's point is the optimum of the shallow one (1.6),
 * better than anything the exploration finds; the deep one (1.0) is where
 * a free run's descent goes. Starting from the donor (the earlier rule)
 * fences the search into the shallow basin; the head start leaves it after
 * one line sweep and costs at most the donor's point and that sweep: a
 * free run with that many points fewer does no better.
 */
static int64_t cost_two_basins(const struct space *sp, const int *c)
{
	double da = 0, db = 0;

	for (int i = 0; i < sp->k; i++) {
		da += abs(c[i] - 1);
		db += abs(c[i] - 4);
	}
	double a = 1.6 * (1 + 0.15 * da), b = 1.0 * (1 + 0.15 * db);
	return (int64_t)(1e6 * (a < b ? a : b));
}

Test(tuner, reuse_leaves_a_donor_that_does_not_transfer)
{
	struct space sp = { "two-basins", 4, { 6, 6, 6, 6 }, cost_two_basins, NULL };
	int start[] = { 0, 0, 5, 0 };
	int donor[] = { 1, 1, 1, 1 };
	const size_t budget = 24;
	const int seeds = 300;
	const size_t cost = 1 + 5;   /* the donor's point and one line sweep */
	double g_free = gm_best(&sp, start, NULL, budget, seeds);
	double g_less = gm_best(&sp, start, NULL, budget - cost, seeds);
	double g_reuse = gm_best(&sp, start, donor, budget, seeds);
	double g_old = 0;
	int left = 0;

	for (int s = 1; s <= seeds; s++) {
		enum tuner_donor st;
		/* the earlier rule: the donor's point as the start */
		g_old += log((double)run_reuse(&sp, donor, NULL, budget, (uint64_t)s, NULL));
		run_reuse(&sp, start, donor, budget, (uint64_t)s, &st);
		left += st == TUNER_DONOR_LEFT;
	}
	g_old = exp(g_old / seeds);
	cr_log_info("two basins, %zu points: free %.3f, free with %zu fewer %.3f, reuse %.3f, "
	            "starting from the donor %.3f (best time, optimum 1.000); left %d of %d",
	            budget, g_free / 1e6, cost, g_less / 1e6, g_reuse / 1e6, g_old / 1e6, left,
	            seeds);
	cr_assert_gt(left, 0, "followed, then left");
	cr_assert_leq(g_reuse, g_less, "reuse %.3f, free with %zu points fewer %.3f",
	              g_reuse / 1e6, cost, g_less / 1e6);
	cr_assert_gt(g_old, g_free * 1.1, "the fence this rule removes is there");
}

/*
 * The suite's measured pairs: the donor's point is where a 24-point run
 * of the first kernel ended (seeded), the second kernel is tuned with 12
 * points (tools/bench-search part 4) with and without it. A pair whose
 * donor transfers gains; one whose donor does not (transpose: the second
 * shape wants another micro-tile) loses at most about one point's worth.
 */
static void load_pair_space(const char *name, struct space *sp, struct knob_set *set,
                            int *start)
{
	const char *root = getenv("AC_SOURCE_DIR");
	char dir[2048];

	if (!root)
		root = AC_SOURCE_DIR;
	snprintf(dir, sizeof(dir), "%s/tests/kernels/%s", root, name);
	sp->name = name;
	load_space(dir, sp, set, start);
}

static double replay_pair(const char *donor_name, const char *name, int seeds)
{
	struct space ds = { 0 }, sp = { 0 };
	struct knob_set dset = { 0 }, set = { 0 };
	int dstart[MAXK], start[MAXK];
	double l = 0, lf = 0, lr = 0;

	load_pair_space(donor_name, &ds, &dset, dstart);
	load_pair_space(name, &sp, &set, start);
	cr_assert_eq(ds.k, sp.k, "the same knobs");
	for (int s = 1; s <= seeds; s++) {
		/* the donor's run: as the engine tunes (the input reported first) */
		int c[4 * MAXK];
		int donor[MAXK];
		int64_t bt;
		int n;
		struct tuner *t = tuner_new(&dset, dstart, 24, (uint64_t)s * 7919 + 1);
		tuner_report(t, dstart, ds.cost(&ds, dstart));
		while ((n = tuner_next(t, c, 4)) > 0)
			for (int j = 0; j < n; j++)
				tuner_report(t, c + j * ds.k, ds.cost(&ds, c + j * ds.k));
		memcpy(donor, tuner_best(t, &bt), (size_t)ds.k * sizeof(int));
		tuner_free(t);
		int64_t f = run_reuse(&sp, start, NULL, 12, (uint64_t)s * 31, NULL);
		int64_t r = run_reuse(&sp, start, donor, 12, (uint64_t)s * 31, NULL);
		l += log((double)f / (double)r);
		lf += log((double)f);
		lr += log((double)r);
	}
	cr_log_info("reuse %s -> %s, 12 points, %d seeds: free %.3f ms, reuse %.3f ms (geometric "
	            "means); reuse / free %.3f", donor_name, name, seeds, exp(lf / seeds) / 1e6,
	            exp(lr / seeds) / 1e6, exp(l / seeds));
	free(ds.table);
	free(sp.table);
	knob_set_clear(&dset);
	knob_set_clear(&set);
	return exp(l / seeds);
}

Test(tuner, reuse_replay_gemm_pair)
{
	cr_assert_geq(replay_pair("tune-gemm", "tune-gemm-b", 200), 1.15);
}

Test(tuner, reuse_replay_conv2d_pair)
{
	cr_assert_geq(replay_pair("tune-conv2d", "tune-conv2d-b", 200), 1.08);
}

Test(tuner, reuse_replay_transpose_pair)
{
	cr_assert_geq(replay_pair("tune-transpose", "tune-transpose-b", 200), 0.96);
}

/* A space that fits the budget is tried whole: the donor's point first,
 * then its neighbours. */
Test(tuner, reuse_exhaustive_donor_first)
{
	struct knob_set set = { 0 };
	int start[] = { 0, 0, 0, 0 };
	int donor[] = { 2, 1, 3, 0 };
	int c[4];
	int last = 0;
	struct tuner *t;

	make_set(&separable, &set);
	t = tuner_new(&set, start, 10000, 5);
	cr_assert_eq(tuner_set_donor(t, donor), 0);
	tuner_report(t, start, 100);
	while (tuner_next(t, c, 1) == 1) {
		int d = 0;
		for (int i = 0; i < 4; i++)
			d += c[i] != donor[i];
		if (tuner_evaluated(t) == 1)
			cr_assert_eq(d, 0, "the donor's point first");
		cr_assert_geq(d, last, "then by distance from it");
		last = d;
		tuner_report(t, c, 100);
	}
	cr_assert_eq(tuner_evaluated(t), 720);
	tuner_free(t);
	knob_set_clear(&set);
}
