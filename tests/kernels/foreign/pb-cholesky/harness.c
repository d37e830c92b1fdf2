/*
 * harness.c - pb-cholesky: checks and times the input against its ref_ copy.
 */
#include <autocomp.h>
typedef double DATA_TYPE;
void kernel_cholesky(int n, DATA_TYPE A[n][n]);
void ref_kernel_cholesky(int n, DATA_TYPE A[n][n]);

int main(int argc, char **argv)
{
	const int n = 300;
	const size_t nn = (size_t)n * n;

	ac_init(argc, argv);
	DATA_TYPE (*A)[n] = ac_alloc(sizeof(DATA_TYPE) * nn);
	DATA_TYPE (*W)[n] = ac_alloc(sizeof(DATA_TYPE) * nn);
	ac_fill_spd_f64(&A[0][0], n, -1, 1);
	memcpy(W, A, sizeof(DATA_TYPE) * nn);
	ref_kernel_cholesky(n, W);
	ac_protect(W);
	ac_inout(A);
	kernel_cholesky(n, A);
	ac_check_close_f64("A", &A[0][0], &W[0][0], nn, 1e-9, 1e-12);
	AC_TIME(kernel_cholesky(n, A));
	ac_check_close_f64("A", &A[0][0], &W[0][0], nn, 1e-9, 1e-12);
	return ac_report();
}
