/*
 * harness.c - enum-bool: checks and times the input against its ref_ copy.
 */
#include <autocomp.h>
#include <stdbool.h>
enum op { OP_SCALE, OP_SHIFT, OP_SQUARE };
void apply(size_t n, ptrdiff_t stride, enum op op, bool clamp, double k, const double *x,
           double *y);
void ref_apply(size_t n, ptrdiff_t stride, enum op op, bool clamp, double k, const double *x,
               double *y);

int main(int argc, char **argv)
{
	const size_t n = 1 << 19;
	const ptrdiff_t stride = 2;

	ac_init(argc, argv);
	double *x = ac_alloc_f64(n * stride), *y = ac_alloc_f64(n), *want = ac_alloc_f64(n);
	ac_fill_f64(x, n * stride, -2, 2);
	ac_protect(x);
	ref_apply(n, stride, OP_SQUARE, true, 0.75, x, want);
	ac_protect(want);
	ac_fill_nan_f64(y, n);
	apply(n, stride, OP_SQUARE, true, 0.75, x, y);
	ac_check_close_f64("y", y, want, n, 1e-12, 1e-12);
	AC_TIME(apply(n, stride, OP_SQUARE, true, 0.75, x, y));
	ac_check_close_f64("y", y, want, n, 1e-12, 1e-12);
	return ac_report();
}
