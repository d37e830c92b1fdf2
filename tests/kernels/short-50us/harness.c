/*
 * harness.c - short-50us: a polynomial of degree 56 at 2048 points, a call of
 * roughly 50us on the machine of tools/bench-judge.
 */
#include <autocomp.h>

void polyval(int n, int deg, const float *c, const float *x, float *y);
void ref_polyval(int n, int deg, const float *c, const float *x, float *y);

int main(int argc, char **argv)
{
	const int n = 2048, deg = 56;
	float *c, *x, *y, *want;

	ac_init(argc, argv);
	c = ac_alloc_f32(deg + 1);
	x = ac_alloc_f32(n);
	y = ac_alloc_f32(n);
	want = ac_alloc_f32(n);
	ac_fill_f32(c, deg + 1, -0.5f, 0.5f);
	ac_fill_f32(x, n, -1.0f, 1.0f);
	ac_protect(c);
	ac_protect(x);
	ref_polyval(n, deg, c, x, want);
	ac_protect(want);
	ac_fill_nan_f32(y, n);
	polyval(n, deg, c, x, y);
	ac_check_close_f32("y", y, want, n, 1e-5, 1e-5);
	AC_TIME(polyval(n, deg, c, x, y));
	ac_check_close_f32("y", y, want, n, 1e-5, 1e-5);
	return ac_report();
}
