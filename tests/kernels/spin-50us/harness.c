/*
 * harness.c - spin-50us: a call of exactly 50000 ns (input.c spins on the clock),
 * checked like any other.
 */
#include <autocomp.h>

void spin(long ns, const float *x, float *y, int n);
void ref_spin(long ns, const float *x, float *y, int n);

int main(int argc, char **argv)
{
	const long ns = 50000;
	const int n = 256;
	float *x, *y, *want;

	ac_init(argc, argv);
	x = ac_alloc_f32(n);
	y = ac_alloc_f32(n);
	want = ac_alloc_f32(n);
	ac_fill_f32(x, n, -1.0f, 1.0f);
	ac_protect(x);
	ref_spin(0, x, want, n);
	ac_protect(want);
	ac_fill_nan_f32(y, n);
	spin(ns, x, y, n);
	ac_check_close_f32("y", y, want, n, 0, 0);
	AC_TIME(spin(ns, x, y, n));
	ac_check_close_f32("y", y, want, n, 0, 0);
	return ac_report();
}
