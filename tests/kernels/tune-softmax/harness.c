/*
 * Harness for tune-softmax: 4096 rows of 1000 columns (not a multiple of
 * the lane counts, so the remainders are exercised), inputs in [-20, 20],
 * against the reference copy of the original input (ref_softmax).
 */
#include <autocomp.h>

void softmax(int rows, int cols, const float *x, float *y);
void ref_softmax(int rows, int cols, const float *x, float *y);

int main(int argc, char **argv)
{
	const int rows = 4096, cols = 1000;
	size_t n = (size_t)rows * cols;
	float *x, *want, *got;

	ac_init(argc, argv);
	x = ac_alloc_f32(n);
	want = ac_alloc_f32(n);
	got = ac_alloc_f32(n);
	ac_fill_f32(x, n, -20.0f, 20.0f);
	ac_protect(x);
	ref_softmax(rows, cols, x, want);
	ac_protect(want);
	ac_fill_nan_f32(got, n);
	softmax(rows, cols, x, got);
	ac_check_close_f32("y", got, want, n, 1e-5, 1e-9);
	ac_fill_nan_f32(got, n);
	AC_TIME(softmax(rows, cols, x, got));
	ac_check_close_f32("y", got, want, n, 1e-5, 1e-9);
	return ac_report();
}
