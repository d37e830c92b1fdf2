/*
 * harness.c - pb-heat-3d: checks and times the input against its ref_ copy.
 */
#include <autocomp.h>
typedef double DATA_TYPE;
void kernel_heat_3d(int tsteps, int n, DATA_TYPE A[n][n][n], DATA_TYPE B[n][n][n]);
void ref_kernel_heat_3d(int tsteps, int n, DATA_TYPE A[n][n][n], DATA_TYPE B[n][n][n]);

int main(int argc, char **argv)
{
	const int tsteps = 10, n = 40;
	const size_t n3 = (size_t)n * n * n;

	ac_init(argc, argv);
	DATA_TYPE (*A)[n][n] = ac_alloc(sizeof(DATA_TYPE) * n3);
	DATA_TYPE (*B)[n][n] = ac_alloc(sizeof(DATA_TYPE) * n3);
	DATA_TYPE (*WA)[n][n] = ac_alloc(sizeof(DATA_TYPE) * n3);
	DATA_TYPE (*WB)[n][n] = ac_alloc(sizeof(DATA_TYPE) * n3);
	ac_fill_f64(&A[0][0][0], n3, 0, 10);
	ac_fill_f64(&B[0][0][0], n3, 0, 10);
	memcpy(WA, A, sizeof(DATA_TYPE) * n3);
	memcpy(WB, B, sizeof(DATA_TYPE) * n3);
	ref_kernel_heat_3d(tsteps, n, WA, WB);
	ac_protect(WA);
	ac_protect(WB);
	ac_inout(A);
	ac_inout(B);
	kernel_heat_3d(tsteps, n, A, B);
	ac_check_close_f64("A", &A[0][0][0], &WA[0][0][0], n3, 1e-11, 1e-11);
	ac_check_close_f64("B", &B[0][0][0], &WB[0][0][0], n3, 1e-11, 1e-11);
	AC_TIME(kernel_heat_3d(tsteps, n, A, B));
	ac_check_close_f64("A", &A[0][0][0], &WA[0][0][0], n3, 1e-11, 1e-11);
	ac_check_close_f64("B", &B[0][0][0], &WB[0][0][0], n3, 1e-11, 1e-11);
	return ac_report();
}
