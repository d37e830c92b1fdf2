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
 */
#include "engine/core/noise.h"

#include <math.h>

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

double noise_t_quantile(double p, int df)
{
	double z, z2, n;

	if (df < 1)
		return INFINITY;
	if (df == 1)
		return tan(M_PI * (p - 0.5));
	if (df == 2)
		return (2 * p - 1) / sqrt(2 * p * (1 - p));
	/* Cornish-Fisher expansion around the normal quantile */
	z = normal_quantile(p);
	z2 = z * z;
	n = df;
	return z + z * (z2 + 1) / (4 * n) + z * ((5 * z2 + 16) * z2 + 3) / (96 * n * n) +
	       z * (((3 * z2 + 19) * z2 + 17) * z2 - 15) / (384 * n * n * n) +
	       z * ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) / (92160 * n * n * n * n);
}

double noise_t95(int df)
{
	return noise_t_quantile(0.975, df);
}

int noise_paired_ratio(const int64_t *cand, const int64_t *inc, int n, struct noise_ratio *out)
{
	return noise_paired_ratio_k(cand, inc, n, 1, out);
}

int noise_paired_ratio_k(const int64_t *cand, const int64_t *inc, int n, int k_cmp,
                         struct noise_ratio *out)
{
	double sum = 0, sum2 = 0, mean, var, half;
	int k = 0;

	for (int i = 0; i < n; i++) {
		if (cand[i] > 0 && inc[i] > 0) {
			double l = log((double)cand[i] / (double)inc[i]);

			sum += l;
			sum2 += l * l;
			k++;
		}
	}
	out->rounds = k;
	out->faster = false;
	if (k == 0) {
		out->ratio = 0;
		out->lo = 0;
		out->hi = INFINITY;
		return 0;
	}
	mean = sum / k;
	out->ratio = exp(mean);
	if (k < 2) {
		out->lo = 0;
		out->hi = INFINITY;
		return k;
	}
	var = (sum2 - sum * sum / k) / (k - 1);
	if (var < 0)
		var = 0;
	/* two-sided 95% for the family of k_cmp comparisons (Bonferroni) */
	half = noise_t_quantile(1 - 0.025 / (k_cmp > 1 ? k_cmp : 1), k - 1) * sqrt(var / k);
	out->lo = exp(mean - half);
	out->hi = exp(mean + half);
	out->faster = out->hi < 1.0 - AC_NOISE_MARGIN;
	return k;
}
