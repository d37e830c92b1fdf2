/*
 * harness.c - checks and times vadd (c = a + b, 512Ki floats) against
 * ref_vadd, the original input compiled under another name.
 *
 * tests/kernels/trivial with a vector large enough (a few hundred
 * microseconds a call) that a call is well above the noise of the judge's
 * round trip to the candidate's process on a loaded machine: the tests
 * that need every candidate timed use this one.
 */
#include <autocomp.h>

void vadd(int n, const float *a, const float *b, float *c);
void ref_vadd(int n, const float *a, const float *b, float *c);

int main(int argc, char **argv)
{
	const int n = 1 << 19;
	float *a, *b, *want, *got;

	ac_init(argc, argv);
	a = ac_alloc_f32(n);
	b = ac_alloc_f32(n);
	want = ac_alloc_f32(n);
	got = ac_alloc_f32(n);
	ac_fill_f32(a, n, -1.0f, 1.0f);
	ac_fill_f32(b, n, -1.0f, 1.0f);
	ac_protect(a);
	ac_protect(b);

	ref_vadd(n, a, b, want);
	ac_protect(want);

	ac_fill_nan_f32(got, n);
	vadd(n, a, b, got);
	ac_check_close_f32("c", got, want, n, 1e-6, 1e-6);

	ac_fill_nan_f32(got, n);
	AC_TIME(vadd(n, a, b, got));
	ac_check_close_f32("c", got, want, n, 1e-6, 1e-6);
	return ac_report();
}
