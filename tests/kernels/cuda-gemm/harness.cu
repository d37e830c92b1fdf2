/*
 * Harness of the cuda-gemm sample: checks the candidate's gemm launcher
 * against the reference's (ref_gemm) on fresh random inputs, times it with
 * CUDA events, and reports through autocomp_cuda.h.
 *
 * C = A * B with A 1024 x 512 and B 512 x 768 (distinct sizes catch
 * swapped indices). gemm and ref_gemm take DEVICE pointers.
 */
#include <autocomp_cuda.h>

void gemm(int M, int N, int K, const float *A, const float *B, float *C);
void ref_gemm(int M, int N, int K, const float *A, const float *B, float *C);

int main(int argc, char **argv)
{
	const int M = 1024, N = 768, K = 512;
	float *a, *b, *want, *got;
	float *A, *B, *C;

	ac_cuda_init(argc, argv);
	a = ac_alloc_f32((size_t)M * K);
	b = ac_alloc_f32((size_t)K * N);
	want = ac_alloc_f32((size_t)M * N);
	got = ac_alloc_f32((size_t)M * N);
	A = ac_cuda_alloc_f32((size_t)M * K);
	B = ac_cuda_alloc_f32((size_t)K * N);
	C = ac_cuda_alloc_f32((size_t)M * N);
	ac_cuda_fill_f32(A, (size_t)M * K, -1, 1, a);
	ac_cuda_fill_f32(B, (size_t)K * N, -1, 1, b);

	ac_cuda_fill_nan_f32(C, (size_t)M * N);
	ref_gemm(M, N, K, A, B, C);
	ac_cuda_download_f32(want, C, (size_t)M * N);

	ac_cuda_fill_nan_f32(C, (size_t)M * N);
	gemm(M, N, K, A, B, C);
	ac_cuda_download_f32(got, C, (size_t)M * N);
	ac_check_close_f32("C", got, want, (size_t)M * N, 1e-3, 1e-3);

	ac_cuda_fill_nan_f32(C, (size_t)M * N);
	AC_CUDA_TIME(gemm(M, N, K, A, B, C));
	ac_cuda_download_f32(got, C, (size_t)M * N);
	ac_check_close_f32("C", got, want, (size_t)M * N, 1e-3, 1e-3);
	ac_cuda_check_unchanged_f32("A", A, a, (size_t)M * K);
	ac_cuda_check_unchanged_f32("B", B, b, (size_t)K * N);
	ac_cuda_free(A);
	ac_cuda_free(B);
	ac_cuda_free(C);
	return ac_report();
}
