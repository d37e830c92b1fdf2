/*
 * harness.c - pb-atax: checks and times the input against its ref_ copy.
 */
#include <autocomp.h>
typedef double DATA_TYPE;
void kernel_atax(int m, int n, DATA_TYPE A[m][n], DATA_TYPE x[n], DATA_TYPE y[n],
                 DATA_TYPE tmp[m]);
void ref_kernel_atax(int m, int n, DATA_TYPE A[m][n], DATA_TYPE x[n], DATA_TYPE y[n],
                     DATA_TYPE tmp[m]);

int main(int argc, char **argv)
{
	const int m = 1200, n = 1300;

	ac_init(argc, argv);
	DATA_TYPE (*A)[n] = ac_alloc(sizeof(DATA_TYPE) * m * n);
	DATA_TYPE *x = ac_alloc_f64(n), *y = ac_alloc_f64(n), *tmp = ac_alloc_f64(m);
	DATA_TYPE *wy = ac_alloc_f64(n), *wtmp = ac_alloc_f64(m);
	ac_fill_f64(&A[0][0], (size_t)m * n, -1, 1);
	ac_fill_f64(x, n, -1, 1);
	ac_protect(A);
	ac_protect(x);
	ref_kernel_atax(m, n, A, x, wy, wtmp);
	ac_protect(wy);
	ac_fill_nan_f64(y, n);
	ac_fill_nan_f64(tmp, m);
	kernel_atax(m, n, A, x, y, tmp);
	ac_check_close_f64("y", y, wy, n, 1e-9, 1e-9);
	AC_TIME(kernel_atax(m, n, A, x, y, tmp));
	ac_check_close_f64("y", y, wy, n, 1e-9, 1e-9);
	return ac_report();
}
