/*
 * harness.c - checks and times vadd (c = a + b, 4096 floats) against
 * ref_vadd, and reports two hardware figures with ac_metric: the bytes
 * one call moves and that figure per nanosecond (a bandwidth).
 */
#include <autocomp.h>

void vadd(int n, const float *a, const float *b, float *c);
void ref_vadd(int n, const float *a, const float *b, float *c);

int main(int argc, char **argv)
{
	const int n = 4096;
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
	ac_metric("bytes_moved", 3.0 * n * sizeof(float));
	ac_metric("elements", n);
	return ac_report();
}
