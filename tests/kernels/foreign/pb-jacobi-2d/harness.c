/*
 * harness.c - pb-jacobi-2d: checks and times the input against its ref_ copy.
 */
#include <autocomp.h>
typedef double DATA_TYPE;
void kernel_jacobi_2d(int tsteps, int n, DATA_TYPE A[n][n], DATA_TYPE B[n][n]);
void ref_kernel_jacobi_2d(int tsteps, int n, DATA_TYPE A[n][n], DATA_TYPE B[n][n]);

int main(int argc, char **argv)
{
	const int tsteps = 20, n = 250;
	const size_t nn = (size_t)n * n;

	ac_init(argc, argv);
	DATA_TYPE (*A)[n] = ac_alloc(sizeof(DATA_TYPE) * nn);
	DATA_TYPE (*B)[n] = ac_alloc(sizeof(DATA_TYPE) * nn);
	DATA_TYPE (*WA)[n] = ac_alloc(sizeof(DATA_TYPE) * nn);
	DATA_TYPE (*WB)[n] = ac_alloc(sizeof(DATA_TYPE) * nn);
	ac_fill_f64(&A[0][0], nn, 0, 1);
	ac_fill_f64(&B[0][0], nn, 0, 1);
	memcpy(WA, A, sizeof(DATA_TYPE) * nn);
	memcpy(WB, B, sizeof(DATA_TYPE) * nn);
	ref_kernel_jacobi_2d(tsteps, n, WA, WB);
	ac_protect(WA);
	ac_protect(WB);
	ac_inout(A);
	ac_inout(B);
	kernel_jacobi_2d(tsteps, n, A, B);
	ac_check_close_f64("A", &A[0][0], &WA[0][0], nn, 1e-12, 1e-12);
	ac_check_close_f64("B", &B[0][0], &WB[0][0], nn, 1e-12, 1e-12);
	AC_TIME(kernel_jacobi_2d(tsteps, n, A, B));
	ac_check_close_f64("A", &A[0][0], &WA[0][0], nn, 1e-12, 1e-12);
	ac_check_close_f64("B", &B[0][0], &WB[0][0], nn, 1e-12, 1e-12);
	return ac_report();
}
