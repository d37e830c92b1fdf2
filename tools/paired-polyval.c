/*
 * paired-polyval.c - a harness for tools/bench-judge: the polynomial of
 * tests/kernels/short-5us (short-50us with -DPOLY_N=2048 -DPOLY_DEG=56)
 * timed judged and in process in the same repetitions.
 *
 * Each repetition of the timed statement first calls the reference (the
 * input itself, compiled into the judge's process with the same flags)
 * on the same inputs under this harness's own clock, then the candidate
 * through the judge. The judge's time of a repetition is its forwarded
 * calls' alone, so the in-process call costs it nothing. The two medians
 * come from calls microseconds apart: a change of the machine's speed
 * falls on both alike. On a shared host it does change: this code runs
 * at one speed or about 1.4x slower for milliseconds to tenths of a
 * second at a time (a busy neighbour on the same physical core), so two
 * separate runs compare those moods more than the judge.
 *
 * Prints the judge's report on stdout, as any harness, and on stderr
 * "paired_inproc_ns N": the median of the in-process calls of the timed
 * repetitions (the last ac__s.nsamples of them: the warm-up's come
 * first).
 */
#include <autocomp.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifndef POLY_N
#define POLY_N 256
#endif
#ifndef POLY_DEG
#define POLY_DEG 40
#endif
#define MAX_OWN 200000

void polyval(int n, int deg, const float *c, const float *x, float *y);
void ref_polyval(int n, int deg, const float *c, const float *x, float *y);

static double own[MAX_OWN];
static int nown;
static float *y_own;   /* the in-process call's output: not the judge's buffer */

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void pair(int n, int deg, const float *c, const float *x, float *y)
{
	double t0 = now_s();

	ref_polyval(n, deg, c, x, y_own);
	if (nown < MAX_OWN)
		own[nown++] = now_s() - t0;
	polyval(n, deg, c, x, y);
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	const int n = POLY_N, deg = POLY_DEG;
	float *c, *x, *y, *want;
	int k;

	ac_init(argc, argv);
	c = ac_alloc_f32(deg + 1);
	x = ac_alloc_f32(n);
	y = ac_alloc_f32(n);
	want = ac_alloc_f32(n);
	y_own = malloc(sizeof *y_own * (size_t)n);
	if (!y_own)
		return 1;
	ac_fill_f32(c, deg + 1, -0.5f, 0.5f);
	ac_fill_f32(x, n, -1.0f, 1.0f);
	ac_protect(c);
	ac_protect(x);
	ref_polyval(n, deg, c, x, want);
	ac_protect(want);
	ac_fill_nan_f32(y, n);
	polyval(n, deg, c, x, y);
	ac_check_close_f32("y", y, want, n, 1e-5, 1e-5);
	AC_TIME(pair(n, deg, c, x, y));
	ac_check_close_f32("y", y, want, n, 1e-5, 1e-5);
	k = ac__s.nsamples < nown ? ac__s.nsamples : nown;
	if (k > 0) {
		qsort(own + nown - k, (size_t)k, sizeof own[0], by_value);
		fprintf(stderr, "paired_inproc_ns %.0f\n", own[nown - k + k / 2] * 1e9);
	}
	return ac_report();
}
