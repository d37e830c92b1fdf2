/*
 * harness.c - rows-table: checks and times the input against its ref_ copy.
 */
#include <autocomp.h>
void row_dot(int rows, int cols, float **m, const float *w, float *out);
void ref_row_dot(int rows, int cols, float **m, const float *w, float *out);

int main(int argc, char **argv)
{
	const int rows = 1500, cols = 1024;

	ac_init(argc, argv);
	float *data = ac_alloc_f32((size_t)rows * cols);
	float **m = ac_alloc(sizeof(float *) * rows);
	float *w = ac_alloc_f32(cols), *out = ac_alloc_f32(rows), *want = ac_alloc_f32(rows);
	ac_fill_f32(data, (size_t)rows * cols, -1, 1);
	ac_fill_f32(w, cols, -1, 1);
	for (int r = 0; r < rows; r++)
		m[r] = data + (size_t)r * cols;   /* rows in reverse order would do as well */
	ac_protect(data);
	ac_protect(m);
	ac_protect(w);
	ref_row_dot(rows, cols, m, w, want);
	ac_protect(want);
	ac_fill_nan_f32(out, rows);
	row_dot(rows, cols, m, w, out);
	ac_check_close_f32("out", out, want, rows, 1e-4, 1e-4);
	AC_TIME(row_dot(rows, cols, m, w, out));
	ac_check_close_f32("out", out, want, rows, 1e-4, 1e-4);
	return ac_report();
}
