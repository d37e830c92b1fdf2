/*
 * harness.c - omp-matvec: checks and times the input against its ref_ copy.
 */
#include <autocomp.h>
void matvec(int n, const double *restrict A, const double *restrict x, double *restrict y);
void ref_matvec(int n, const double *restrict A, const double *restrict x, double *restrict y);

int main(int argc, char **argv)
{
	const int n = 1500;

	ac_init(argc, argv);
	double *A = ac_alloc_f64((size_t)n * n), *x = ac_alloc_f64(n);
	double *y = ac_alloc_f64(n), *want = ac_alloc_f64(n);
	ac_fill_f64(A, (size_t)n * n, -1, 1);
	ac_fill_f64(x, n, -1, 1);
	ac_protect(A);
	ac_protect(x);
	ref_matvec(n, A, x, want);
	ac_protect(want);
	ac_fill_nan_f64(y, n);
	matvec(n, A, x, y);
	ac_check_close_f64("y", y, want, n, 1e-10, 1e-10);
	AC_TIME(matvec(n, A, x, y));
	ac_check_close_f64("y", y, want, n, 1e-10, 1e-10);
	return ac_report();
}
