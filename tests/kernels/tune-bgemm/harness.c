/*
 * Harness for tune-bgemm: 64 problems of (256 x 64) * (256 x 64)^T, the
 * attention-score shape, against the reference copy (ref_bgemm).
 */
#include <autocomp.h>

void bgemm(int batch, int M, int N, int K, const float *A, const float *B,
           float *C);
void ref_bgemm(int batch, int M, int N, int K, const float *A, const float *B,
               float *C);

int main(int argc, char **argv)
{
	const int batch = 64, M = 256, N = 256, K = 64;
	size_t na = (size_t)batch * M * K;
	size_t nb = (size_t)batch * N * K;
	size_t nc = (size_t)batch * M * N;
	float *A, *B, *want, *got;

	ac_init(argc, argv);
	A = ac_alloc_f32(na);
	B = ac_alloc_f32(nb);
	want = ac_alloc_f32(nc);
	got = ac_alloc_f32(nc);
	ac_fill_f32(A, na, -1.0f, 1.0f);
	ac_fill_f32(B, nb, -1.0f, 1.0f);
	ac_protect(A);
	ac_protect(B);
	ref_bgemm(batch, M, N, K, A, B, want);
	ac_protect(want);
	ac_fill_nan_f32(got, nc);
	bgemm(batch, M, N, K, A, B, got);
	ac_check_close_f32("C", got, want, nc, 1e-4, 1e-4);
	ac_fill_nan_f32(got, nc);
	AC_TIME(bgemm(batch, M, N, K, A, B, got));
	ac_check_close_f32("C", got, want, nc, 1e-4, 1e-4);
	return ac_report();
}
