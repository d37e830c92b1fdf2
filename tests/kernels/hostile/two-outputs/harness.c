/*
 * harness.c - two outputs of one call in one buffer: out[0..n) = 2x and
 * out[n..2n) = x + 1, each checked with a rule of its own before timing;
 * after timing only the second is checked again.
 */
#include <autocomp.h>

void stats(int n, const float *x, float *out);
void ref_stats(int n, const float *x, float *out);

int main(int argc, char **argv)
{
	const int n = 16384;
	float *x, *want, *got;

	ac_init(argc, argv);
	x = ac_alloc_f32(n);
	want = ac_alloc_f32(2 * n);
	got = ac_alloc_f32(2 * n);
	ac_fill_f32(x, n, -1.0f, 1.0f);
	ac_protect(x);
	ref_stats(n, x, want);
	ac_protect(want);
	ac_fill_nan_f32(got, 2 * n);
	stats(n, x, got);
	ac_check_close_f32("scaled", got, want, n, 1e-6, 1e-6);
	ac_check_close_f32("shifted", got + n, want + n, n, 1e-6, 1e-6);
	ac_fill_nan_f32(got, 2 * n);
	AC_TIME(stats(n, x, got));
	ac_check_close_f32("shifted", got + n, want + n, n, 1e-6, 1e-6);
	return ac_report();
}
