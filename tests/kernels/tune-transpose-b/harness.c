/*
 * Harness for tune-transpose-b: a 3000 x 1024 matrix, the second shape for
 * schedule reuse (tools/bench-search: tune-transpose is the donor; input.c
 * is a copy of tune-transpose's), against the reference copy
 * (ref_transpose). Rows of the input are now 4 KiB apart (a power of two:
 * a column walk meets cache set conflicts) and the rows are not a multiple
 * of any tile, so edges are exercised. A transpose is exact: the check
 * allows no error.
 */
#include <autocomp.h>

void transpose(int rows, int cols, const float *in, float *out);
void ref_transpose(int rows, int cols, const float *in, float *out);

int main(int argc, char **argv)
{
	const int rows = 3000, cols = 1024;
	size_t n = (size_t)rows * cols;
	float *in, *want, *got;

	ac_init(argc, argv);
	in = ac_alloc_f32(n);
	want = ac_alloc_f32(n);
	got = ac_alloc_f32(n);
	ac_fill_f32(in, n, -1.0f, 1.0f);
	ac_protect(in);
	ref_transpose(rows, cols, in, want);
	ac_protect(want);
	ac_fill_nan_f32(got, n);
	transpose(rows, cols, in, got);
	ac_check_close_f32("out", got, want, n, 0.0, 0.0);
	ac_fill_nan_f32(got, n);
	AC_TIME(transpose(rows, cols, in, got));
	ac_check_close_f32("out", got, want, n, 0.0, 0.0);
	return ac_report();
}
