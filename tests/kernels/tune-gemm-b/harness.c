/*
 * Harness for tune-gemm-b: 384 x 768 x 384 (M x N x K) SGEMM, the second
 * shape for schedule reuse (tools/bench-search: tune-gemm is the donor;
 * input.c is a copy of tune-gemm's), against the reference copy
 * of the original input (ref_gemm).
 */
#include <autocomp.h>

void gemm(int M, int N, int K, const float *A, const float *B, float *C);
void ref_gemm(int M, int N, int K, const float *A, const float *B, float *C);

int main(int argc, char **argv)
{
	const int M = 384, N = 768, K = 384;
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
	ac_check_close_f32("C", got, want, (size_t)M * N, 1e-4, 1e-3);
	ac_fill_nan_f32(got, (size_t)M * N);
	AC_TIME(gemm(M, N, K, A, B, got));
	ac_check_close_f32("C", got, want, (size_t)M * N, 1e-4, 1e-3);
	return ac_report();
}
