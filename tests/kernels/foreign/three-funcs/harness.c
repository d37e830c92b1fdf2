/*
 * harness.c - three-funcs: checks and times the input against its ref_ copy.
 */
#include <autocomp.h>
float tanh_one(float x);
void tanh_all(int n, const float *x, float *y);
void ref_tanh_all(int n, const float *x, float *y);

int main(int argc, char **argv)
{
	const int n = 1 << 20;

	ac_init(argc, argv);
	float *x = ac_alloc_f32(n), *y = ac_alloc_f32(n), *want = ac_alloc_f32(n);
	ac_fill_f32(x, n, -6, 6);
	ac_protect(x);
	ref_tanh_all(n, x, want);
	ac_protect(want);
	if (fabsf(tanh_one(0.5f) - tanhf(0.5f)) > 1e-4f)
		ac_fail("tanh_one(0.5) = %g", tanh_one(0.5f));
	ac_fill_nan_f32(y, n);
	tanh_all(n, x, y);
	ac_check_close_f32("y", y, want, n, 1e-5, 1e-6);
	AC_TIME(tanh_all(n, x, y));
	ac_check_close_f32("y", y, want, n, 1e-5, 1e-6);
	return ac_report();
}
