/*
 * harness.c - pb-trisolv: checks and times the input against its ref_ copy.
 */
#include <autocomp.h>
typedef double DATA_TYPE;
void kernel_trisolv(int n, DATA_TYPE L[n][n], DATA_TYPE x[n], DATA_TYPE b[n]);
void ref_kernel_trisolv(int n, DATA_TYPE L[n][n], DATA_TYPE x[n], DATA_TYPE b[n]);

int main(int argc, char **argv)
{
	const int n = 2000;

	ac_init(argc, argv);
	DATA_TYPE (*L)[n] = ac_alloc(sizeof(DATA_TYPE) * n * n);
	DATA_TYPE *x = ac_alloc_f64(n), *b = ac_alloc_f64(n), *w = ac_alloc_f64(n);
	/* a dominant diagonal keeps the solve accurate for every input set */
	ac_fill_diag_dominant_f64(&L[0][0], n, -1, 1);
	ac_fill_f64(b, n, -1, 1);
	ac_protect(L);
	ac_protect(b);
	ref_kernel_trisolv(n, L, w, b);
	ac_protect(w);
	ac_fill_nan_f64(x, n);
	kernel_trisolv(n, L, x, b);
	ac_check_close_f64("x", x, w, n, 1e-9, 1e-12);
	AC_TIME(kernel_trisolv(n, L, x, b));
	ac_check_close_f64("x", x, w, n, 1e-9, 1e-12);
	return ac_report();
}
