/*
 * noise.c - the rules of noise.h.
 *
 * Why a confidence interval of paired ratios and not "the smaller
 * median wins": on a shared machine two measurements of the same code
 * differ by a few percent, and the smaller of several copies is always a
 * few percent "faster". Pairing by round cancels what the machine does to
 * both within a round; the interval on the logs of the ratios says how far
 * the rest can move the mean, and only a ratio whose whole interval is
 * below 1 is called faster. An identical copy then stays behind the
 * incumbent (its interval straddles 1) however many copies are tried.
 */
#include "engine/noise.h"

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

double noise_t95(int df)
{
	static const double t[] = {
		0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
		2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
		2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
	};

	if (df < 1)
		return INFINITY;
	if (df < (int)(sizeof t / sizeof t[0]))
		return t[df];
	if (df < 60)
		return 2.000 + (2.042 - 2.000) * (60 - df) / 30.0;
	if (df < 120)
		return 1.980 + (2.000 - 1.980) * (120 - df) / 60.0;
	return 1.960;
}

int noise_paired_ratio(const int64_t *cand, const int64_t *inc, int n, struct noise_ratio *out)
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
	half = noise_t95(k - 1) * sqrt(var / k);
	out->lo = exp(mean - half);
	out->hi = exp(mean + half);
	out->faster = out->hi < 1.0;
	return k;
}
