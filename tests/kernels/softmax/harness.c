/*
 * harness.c - checks and times softmax (2048 rows of 2048 floats) against
 * ref_softmax, the original input compiled under another name.
 */
#include <autocomp.h>

void softmax(int rows, int cols, const float *in, float *out);
void ref_softmax(int rows, int cols, const float *in, float *out);

int main(int argc, char **argv)
{
	const int rows = 2048, cols = 2048;
	const size_t n = (size_t)rows * cols;
	/* Outputs are ~1/cols; a different summation order or a vectorized
	 * expf moves them by a few ulp, a wrong kernel by far more. Every row
	 * must also sum to 1. */
	const double rtol = 1e-4, atol = 1e-8;
	float *in, *want, *got;

	ac_init(argc, argv);
	in = ac_alloc_f32(n);
	want = ac_alloc_f32(n);
	got = ac_alloc_f32(n);
	ac_fill_f32(in, n, -8.0f, 8.0f);
	ac_protect(in);

	ref_softmax(rows, cols, in, want);
	ac_protect(want);

	ac_fill_nan_f32(got, n);
	softmax(rows, cols, in, got);
	ac_check_close_f32("out", got, want, n, rtol, atol);

	ac_fill_nan_f32(got, n);
	AC_TIME(softmax(rows, cols, in, got));
	ac_check_close_f32("out", got, want, n, rtol, atol);
	for (int r = 0; r < rows; r++) {
		double sum = 0;

		for (int c = 0; c < cols; c++)
			sum += got[(size_t)r * cols + c];
		if (!(fabs(sum - 1.0) < 1e-3)) {
			ac_fail("row %d sums to %.6g, not 1", r, sum);
			break;
		}
	}
	return ac_report();
}
