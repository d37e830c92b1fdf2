/*
 * harness.c - pb-gemm: checks and times the input against its ref_ copy.
 */
#include <autocomp.h>
typedef double DATA_TYPE;
void kernel_gemm(int ni, int nj, int nk, DATA_TYPE alpha, DATA_TYPE beta,
                 DATA_TYPE C[ni][nj], DATA_TYPE A[ni][nk], DATA_TYPE B[nk][nj]);
void ref_kernel_gemm(int ni, int nj, int nk, DATA_TYPE alpha, DATA_TYPE beta,
                     DATA_TYPE C[ni][nj], DATA_TYPE A[ni][nk], DATA_TYPE B[nk][nj]);

int main(int argc, char **argv)
{
	const int ni = 160, nj = 170, nk = 180;
	const DATA_TYPE alpha = 1.5, beta = 1.2;

	ac_init(argc, argv);
	DATA_TYPE (*A)[nk] = ac_alloc(sizeof(DATA_TYPE) * ni * nk);
	DATA_TYPE (*B)[nj] = ac_alloc(sizeof(DATA_TYPE) * nk * nj);
	DATA_TYPE (*C)[nj] = ac_alloc(sizeof(DATA_TYPE) * ni * nj);
	DATA_TYPE (*W)[nj] = ac_alloc(sizeof(DATA_TYPE) * ni * nj);
	ac_fill_f64(&A[0][0], (size_t)ni * nk, -1, 1);
	ac_fill_f64(&B[0][0], (size_t)nk * nj, -1, 1);
	ac_fill_f64(&C[0][0], (size_t)ni * nj, -1, 1);
	ac_protect(A);
	ac_protect(B);
	memcpy(W, C, sizeof(DATA_TYPE) * ni * nj);
	ref_kernel_gemm(ni, nj, nk, alpha, beta, W, A, B);
	ac_protect(W);
	ac_inout(C);
	kernel_gemm(ni, nj, nk, alpha, beta, C, A, B);
	ac_check_close_f64("C", &C[0][0], &W[0][0], (size_t)ni * nj, 1e-10, 1e-10);
	AC_TIME(kernel_gemm(ni, nj, nk, alpha, beta, C, A, B));
	ac_check_close_f64("C", &C[0][0], &W[0][0], (size_t)ni * nj, 1e-10, 1e-10);
	return ac_report();
}
