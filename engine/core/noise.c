/*
 * noise.c - the rules of noise.h.
 *
 * Why a confidence interval of paired ratios and not "the smaller
 * median wins": on a shared machine two measurements of the same code
 * differ by a few percent, and the smaller of several copies is always a
 * few percent "faster". Pairing by round cancels what the machine does to
 * both within a round; the interval on the logs of the ratios says how far
 * the rest can move the mean, and only a ratio whose whole interval is
 * below 1 (by AC_NOISE_MARGIN) is called faster. Several finalists compared
 * with one incumbent are several chances for luck: the interval is widened
 * for the family (Bonferroni), so an identical copy stays behind the
 * incumbent (its interval straddles 1) however many copies are tried.
 *
 * Why a sequence of looks with the error spent across them and not one
 * look after a fixed number of rounds: most verdicts are plain long before
 * the last round (a kernel twice as fast, a tuned point four times
 * slower than the best), and each round times every member again. Looking
 * after every round with the full 95% each time would let a copy's
 * interval wander below 1 at one of the looks far more often than 2.5%;
 * splitting the error over the looks (half to the last, where a small
 * gain needs all the rounds, half shared by the earlier ones) keeps the
 * whole sequence at 95% by the union bound, with no assumption about how
 * the looks depend on each other.
 *
 * Why also stop comparisons that are not decided: a copy of the input is
 * never decided (its interval straddles 1 to the last round), nor are two
 * tuned points of the same speed. What the rounds left can still do is
 * foreseeable from the rounds so far (their spread, and a gain of
 * AC_NOISE_GAIN or the one they show): when even then the last round would
 * leave the call unmade with a chance above 1 - AC_NOISE_HOPE, those
 * rounds are not run (stochastic curtailment). Stopping without a call
 * can only lower the chance of crowning, never raise it; what it costs in
 * power is measured in tests/test_noise.c.
 */
#include "engine/core/noise.h"

#include <assert.h>
#include <math.h>
#include <string.h>

bool noise_first_beats(int64_t t, double s, int64_t t_best, double s_best)
{
	double m;

	if (t <= 0)
		return false;
	if (t_best <= 0)
		return true;
	m = (s > 0 ? s : 0) + (s_best > 0 ? s_best : 0);
	if (m < AC_NOISE_FLOOR)
		m = AC_NOISE_FLOOR;
	if (m > 0.5)
		m = 0.5;
	return (double)t < (double)t_best * (1.0 - m);
}

/* The standard normal quantile (Acklam's rational approximation, relative
 * error below 1.2e-9). */
static double normal_quantile(double p)
{
	static const double a[] = { -3.969683028665376e+01, 2.209460984245205e+02,
	                            -2.759285104469687e+02, 1.383577518672690e+02,
	                            -3.066479806614716e+01, 2.506628277459239e+00 };
	static const double b[] = { -5.447609879822406e+01, 1.615858368580409e+02,
	                            -1.556989798598866e+02, 6.680131188771972e+01,
	                            -1.328068155288572e+01 };
	static const double c[] = { -7.784894002430293e-03, -3.223964580411365e-01,
	                            -2.400758277161838e+00, -2.549732539343734e+00,
	                            4.374664141464968e+00, 2.938163982698783e+00 };
	static const double d[] = { 7.784695709041462e-03, 3.224671290700398e-01,
	                            2.445134137142996e+00, 3.754408661907416e+00 };
	double q, r;

	if (p <= 0)
		return -INFINITY;
	if (p >= 1)
		return INFINITY;
	if (p < 0.02425) {
		q = sqrt(-2 * log(p));
		return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
		       ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	}
	if (p > 1 - 0.02425)
		return -normal_quantile(1 - p);
	q = p - 0.5;
	r = q * q;
	return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
	       (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/* P(T > t) for Student's t with df >= 1 degrees of freedom, exact: the
 * finite sums of Abramowitz and Stegun 26.7.3 and 26.7.4 in
 * theta = atan(t / sqrt(df)). */
double noise_t_upper(double t, int df)
{
	double th, c2, sum, term, a;

	if (df < 1)
		return NAN;
	if (isinf(t))
		return t > 0 ? 0 : 1;
	th = atan(fabs(t) / sqrt(df));
	c2 = cos(th) * cos(th);
	if (df % 2) {
		sum = 0;
		term = cos(th);
		for (int k = 3; k <= df; k += 2) {
			sum += term;
			term *= c2 * (k - 1) / k;
		}
		a = 2 / M_PI * (th + sin(th) * sum);
	} else {
		sum = 0;
		term = 1;
		for (int k = 2; k <= df; k += 2) {
			sum += term;
			term *= c2 * (k - 1) / k;
		}
		a = sin(th) * sum;
	}
	/* a = P(|T| < |t|) */
	return t >= 0 ? (1 - a) / 2 : (1 + a) / 2;
}

/* The density of Student's t. */
static double t_density(double t, int df)
{
	return exp(lgamma((df + 1) / 2.0) - lgamma(df / 2.0) - 0.5 * log(df * M_PI) -
	           (df + 1) / 2.0 * log1p(t * t / df));
}

double noise_t_quantile(double p, int df)
{
	double z, z2, n, t;

	if (df < 1 || p <= 0 || p >= 1)
		return p <= 0 ? -INFINITY : INFINITY;
	if (df == 1)
		return tan(M_PI * (p - 0.5));
	if (df == 2)
		return (2 * p - 1) / sqrt(2 * p * (1 - p));
	if (p < 0.5)
		return -noise_t_quantile(1 - p, df);
	/* a Cornish-Fisher expansion around the normal quantile, then Newton
	 * steps on the exact distribution: the expansion alone is 3% short
	 * at df 3 in the far tail the sequential verdict uses */
	z = normal_quantile(p);
	z2 = z * z;
	n = df;
	t = z + z * (z2 + 1) / (4 * n) + z * ((5 * z2 + 16) * z2 + 3) / (96 * n * n) +
	    z * (((3 * z2 + 19) * z2 + 17) * z2 - 15) / (384 * n * n * n) +
	    z * ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) / (92160 * n * n * n * n);
	for (int i = 0; i < 20; i++) {
		double step = (noise_t_upper(t, df) - (1 - p)) / t_density(t, df);

		t += step;
		if (fabs(step) < 1e-12 * fabs(t))
			break;
	}
	return t;
}

double noise_t95(int df)
{
	return noise_t_quantile(0.975, df);
}

int noise_paired_ratio(const int64_t *cand, const int64_t *inc, int n, struct noise_ratio *out)
{
	return noise_paired_ratio_k(cand, inc, n, 1, out);
}

/* The logs of the paired ratios cand/inc over the rounds where both
 * were timed: how many, their mean and standard deviation. */
struct logs {
	int n;
	double mean, sd;
};

static struct logs logs_of(const int64_t *cand, const int64_t *inc, int rounds)
{
	struct logs l = {0};
	double sum = 0, ss = 0;

	for (int i = 0; i < rounds; i++)
		if (cand[i] > 0 && inc[i] > 0) {
			sum += log((double)cand[i] / (double)inc[i]);
			l.n++;
		}
	if (!l.n)
		return l;
	l.mean = sum / l.n;
	for (int i = 0; i < rounds; i++)
		if (cand[i] > 0 && inc[i] > 0) {
			double d = log((double)cand[i] / (double)inc[i]) - l.mean;

			ss += d * d;
		}
	l.sd = l.n > 1 ? sqrt(ss / (l.n - 1)) : INFINITY;
	return l;
}

/* The interval on l whose two tails hold tail each (0 < tail < 0.5). */
static void interval(const struct logs *l, double tail, struct noise_ratio *out)
{
	out->rounds = l->n;
	out->faster = false;
	out->ratio = l->n ? exp(l->mean) : 0;
	out->lo = 0;
	out->hi = INFINITY;
	if (l->n < 2)
		return;
	double half = noise_t_quantile(1 - tail, l->n - 1) * l->sd / sqrt(l->n);
	out->lo = exp(l->mean - half);
	out->hi = exp(l->mean + half);
	out->faster = out->hi < 1.0 - AC_NOISE_MARGIN;
}

/* The paired interval whose two tails hold tail each. */
static int paired(const int64_t *cand, const int64_t *inc, int n, double tail,
                  struct noise_ratio *out)
{
	struct logs l = logs_of(cand, inc, n);

	interval(&l, tail, out);
	return l.n;
}

int noise_paired_ratio_k(const int64_t *cand, const int64_t *inc, int n, int k_cmp,
                         struct noise_ratio *out)
{
	/* two-sided 95% for the family of k_cmp comparisons (Bonferroni) */
	return paired(cand, inc, n, 0.025 / (k_cmp > 1 ? k_cmp : 1), out);
}

/* ---- the final verdict, round after round ---- */

static const char *const call_names[] = {
	[NOISE_OPEN] = "open",     [NOISE_FASTER] = "faster", [NOISE_SLOWER] = "slower",
	[NOISE_FUTILE] = "futile", [NOISE_BEATEN] = "beaten", [NOISE_EVEN] = "even",
	[NOISE_ABSENT] = "absent",
};

const char *noise_call_name(enum noise_call c)
{
	assert(c >= NOISE_OPEN && c <= NOISE_ABSENT);
	return call_names[c];
}

static int first_look(int cap)
{
	return cap < NOISE_FIRST_LOOK ? cap : NOISE_FIRST_LOOK;
}

double noise_look_share(int n, int cap)
{
	int first = first_look(cap);

	if (n < first || n > cap)
		return 0;
	if (first == cap)
		return 1;
	return n == cap ? 0.5 : 0.5 / (cap - first);
}

/* One tail of a comparison's interval after n paired rounds: the
 * family's 2.5% over k comparisons, the share of look n of it. Before
 * the first look, the first look's (its interval decides nothing). */
static double look_tail(const struct noise_final *v, int n)
{
	int first = first_look(v->cap);

	return 0.025 / (v->members - 1) * noise_look_share(n < first ? first : n, v->cap);
}

/* The standard normal distribution function. */
static double normal_cdf(double x)
{
	return 0.5 * erfc(-x / M_SQRT2);
}

/* A comparison with n paired rounds so far (logs l) and left more rounds
 * to come: the chance that its interval at the last of them lies wholly
 * below log(below) (the mean of the rounds to come: theta, the spread:
 * the one seen so far). */
static double chance_below(const struct noise_final *v, const struct logs *l, int left,
                           double theta, double below)
{
	int n = l->n + left;
	double mean = (l->n * l->mean + left * theta) / n;
	double sd = l->sd * sqrt(left) / n;
	double half = noise_t_quantile(1 - look_tail(v, n), n - 1) * l->sd / sqrt(n);

	if (!(sd > 0))
		return mean + half < log(below) ? 1 : 0;
	return normal_cdf((log(below) - half - mean) / sd);
}

static int rounds_left(const struct noise_final *v)
{
	return v->cap - v->rounds;
}

/* Could a finalist with these logs against the incumbent still be found
 * faster by the cap, were it AC_NOISE_GAIN faster (or as much faster as
 * it reads, if more)? */
static bool may_get_faster(const struct noise_final *v, const struct logs *l)
{
	double theta = fmin(l->mean, log(1 - AC_NOISE_GAIN));

	if (rounds_left(v) <= 0 || !isfinite(l->sd))
		return rounds_left(v) > 0;
	return chance_below(v, l, rounds_left(v), theta, 1 - AC_NOISE_MARGIN) >= AC_NOISE_HOPE;
}

static bool live(const struct noise_finalist *f)
{
	return f->call == NOISE_OPEN || f->call == NOISE_FASTER;
}

enum pair { PAIR_OPEN, PAIR_A_FASTER, PAIR_B_FASTER, PAIR_WITHIN_FLOOR, PAIR_FUTILE };

/* Finalists a and b on the rounds both ran (ratio a/b). */
static enum pair pair_state(const struct noise_final *v, int a, int b)
{
	struct logs l = logs_of(v->t[a], v->t[b], v->rounds);
	struct noise_ratio r;

	if (l.n < first_look(v->cap))
		return PAIR_OPEN;
	interval(&l, look_tail(v, l.n), &r);
	if (r.hi < 1)
		return PAIR_A_FASTER;
	if (r.lo > 1)
		return PAIR_B_FASTER;
	if (r.lo >= 1 - AC_NOISE_FLOOR && r.hi <= 1 / (1 - AC_NOISE_FLOOR))
		return PAIR_WITHIN_FLOOR;
	/* were they AC_NOISE_FLOOR apart (or as far as they read), could the
	 * rounds left tell them apart? */
	double floor = -log(1 - AC_NOISE_FLOOR);
	double theta = l.mean < 0 ? fmin(l.mean, -floor) : fmax(l.mean, floor);
	struct logs flip = { l.n, -l.mean, l.sd };
	if (rounds_left(v) <= 0 ||
	    chance_below(v, &l, rounds_left(v), theta, 1) +
	    chance_below(v, &flip, rounds_left(v), -theta, 1) < AC_NOISE_HOPE)
		return PAIR_FUTILE;
	return PAIR_OPEN;
}

void noise_final_init(struct noise_final *v, int members, int cap)
{
	memset(v, 0, sizeof(*v));
	v->members = members < 2 ? 2 : members > NOISE_MAX_MEMBERS ? NOISE_MAX_MEMBERS : members;
	v->cap = cap < 2 ? 2 : cap > NOISE_MAX_ROUNDS ? NOISE_MAX_ROUNDS : cap;
	for (int j = 0; j < v->members; j++) {
		v->need[j] = true;
		v->f[j].nr.hi = INFINITY;
	}
}

void noise_final_absent(struct noise_final *v, int j)
{
	assert(j > 0 && j < v->members);
	v->f[j].call = NOISE_ABSENT;
	v->need[j] = false;
}

static void decide(struct noise_final *v, int j, enum noise_call call, int by)
{
	v->f[j].call = call;
	v->f[j].by = by;
	if (!v->f[j].decided_round)
		v->f[j].decided_round = v->rounds;
}

/* Each open finalist against the incumbent; its figures are this
 * round's, and stay those of the round that decides it. */
static void judge_incumbent(struct noise_final *v)
{
	for (int j = 1; j < v->members; j++) {
		struct noise_finalist *f = &v->f[j];
		struct logs l;

		if (f->call != NOISE_OPEN)
			continue;
		l = logs_of(v->t[j], v->t[0], v->rounds);
		interval(&l, look_tail(v, l.n), &f->nr);
		if (l.n < first_look(v->cap))
			f->nr.faster = false;
		else if (f->nr.faster)
			decide(v, j, NOISE_FASTER, 0);
		else if (f->nr.lo > 1)
			decide(v, j, NOISE_SLOWER, 0);
		else if (rounds_left(v) > 0 && !may_get_faster(v, &l))
			decide(v, j, NOISE_FUTILE, 0);
	}
}

/* Each FASTER finalist against the other live ones, fastest first: one
 * already beaten settles nothing, so of the FASTER ones at least the last
 * to settle stays live. */
static void judge_finalists(struct noise_final *v)
{
	int order[NOISE_MAX_MEMBERS], n = 0;

	for (int j = 1; j < v->members; j++)
		if (v->f[j].call == NOISE_FASTER)
			order[n++] = j;
	for (int a = 1; a < n; a++)       /* insertion sort by ratio: n is tiny */
		for (int b = a; b > 0 && v->f[order[b]].nr.ratio < v->f[order[b - 1]].nr.ratio; b--) {
			int x = order[b];
			order[b] = order[b - 1];
			order[b - 1] = x;
		}
	for (int i = 0; i < n; i++) {
		int w = order[i];

		if (v->f[w].call != NOISE_FASTER)
			continue;
		for (int j = 1; j < v->members; j++) {
			enum pair st;

			if (j == w || !live(&v->f[j]))
				continue;
			st = pair_state(v, w, j);
			if (st == PAIR_A_FASTER)
				decide(v, j, NOISE_BEATEN, w);
			else if ((st == PAIR_WITHIN_FLOOR || st == PAIR_FUTILE) &&
			         v->f[j].call == NOISE_OPEN)
				decide(v, j, NOISE_EVEN, w);
		}
	}
}

/* Who the next round needs (see noise.h), and the winner. */
static void plan_next(struct noise_final *v)
{
	bool any = false;

	v->need[0] = false;
	for (int j = 1; j < v->members; j++) {
		const struct noise_finalist *f = &v->f[j];

		v->need[j] = f->call == NOISE_OPEN;
		if (f->call == NOISE_OPEN)
			v->need[0] = true;
		for (int i = 1; i < v->members && f->call == NOISE_FASTER && !v->need[j]; i++)
			if (i != j && live(&v->f[i]) && pair_state(v, j, i) == PAIR_OPEN)
				v->need[j] = true;
		any |= v->need[j];
	}
	v->done = !any || v->rounds >= v->cap;
	if (v->done)
		memset(v->need, 0, sizeof(v->need));
	v->winner = 0;
	for (int j = 1; j < v->members; j++)
		if (v->f[j].call == NOISE_FASTER &&
		    (!v->winner || v->f[j].nr.ratio < v->f[v->winner].nr.ratio))
			v->winner = j;
}

bool noise_final_round(struct noise_final *v, const int64_t *times)
{
	if (v->done)
		return true;
	assert(v->rounds < v->cap);
	for (int j = 0; j < v->members; j++)
		v->t[j][v->rounds] = v->need[j] && times[j] > 0 ? times[j] : 0;
	v->rounds++;
	judge_incumbent(v);
	judge_finalists(v);
	plan_next(v);
	return v->done;
}
