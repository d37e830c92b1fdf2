/*
 * harness.c - the gemm harness (tests/kernels/gemm/harness.c) at
 * 48 x 48 x 48, so that an honest run takes a fraction of a second.
 */
#include <autocomp.h>

void gemm(int M, int N, int K, const float *A, const float *B, float *C);
void ref_gemm(int M, int N, int K, const float *A, const float *B, float *C);

int main(int argc, char **argv)
{
	const int M = 48, N = 48, K = 48;
	const double rtol = 1e-3, atol = 1e-3;
	float *A, *B, *want, *got;

	ac_init(argc, argv);
	A = ac_alloc_f32((size_t)M * K);
	B = ac_alloc_f32((size_t)K * N);
	want = ac_alloc_f32((size_t)M * N);
	got = ac_alloc_f32((size_t)M * N);
	ac_fill_f32(A, (size_t)M * K, -1.0f, 1.0f);
	ac_fill_f32(B, (size_t)K * N, -1.0f, 1.0f);
	ac_protect(A);
	ac_protect(B);

	ref_gemm(M, N, K, A, B, want);
	ac_protect(want);

	ac_fill_nan_f32(got, (size_t)M * N);
	gemm(M, N, K, A, B, got);
	ac_check_close_f32("C", got, want, (size_t)M * N, rtol, atol);

	ac_fill_nan_f32(got, (size_t)M * N);
	AC_TIME(gemm(M, N, K, A, B, got));
	ac_check_close_f32("C", got, want, (size_t)M * N, rtol, atol);
	return ac_report();
}
