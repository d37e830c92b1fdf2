/*
 * harness.c - y = exp(x) for x in [60, 100): about half of the answers
 * overflow to infinity.
 */
#include <autocomp.h>

void expo(int n, const float *x, float *y);
void ref_expo(int n, const float *x, float *y);

int main(int argc, char **argv)
{
	const int n = 4096;
	float *x, *want, *got;

	ac_init(argc, argv);
	x = ac_alloc_f32(n);
	want = ac_alloc_f32(n);
	got = ac_alloc_f32(n);
	ac_fill_f32(x, n, 60.0f, 100.0f);
	ac_protect(x);
	ref_expo(n, x, want);
	ac_protect(want);
	ac_fill_nan_f32(got, n);
	expo(n, x, got);
	ac_check_close_f32("y", got, want, n, 1e-5, 0);
	ac_fill_nan_f32(got, n);
	AC_TIME(expo(n, x, got));
	ac_check_close_f32("y", got, want, n, 1e-5, 0);
	return ac_report();
}
