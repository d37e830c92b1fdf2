/*
 * harness.c - fixed-mm: checks and times the input against its ref_ copy.
 */
#include <autocomp.h>
#define N 128
void mm_fixed(const float A[N][N], const float B[N][N], float C[N][N]);
void ref_mm_fixed(const float A[N][N], const float B[N][N], float C[N][N]);

int main(int argc, char **argv)
{
	ac_init(argc, argv);
	float (*A)[N] = ac_alloc(sizeof(float) * N * N), (*B)[N] = ac_alloc(sizeof(float) * N * N);
	float (*C)[N] = ac_alloc(sizeof(float) * N * N), (*W)[N] = ac_alloc(sizeof(float) * N * N);
	ac_fill_f32(&A[0][0], N * N, -1, 1);
	ac_fill_f32(&B[0][0], N * N, -1, 1);
	ac_protect(A);
	ac_protect(B);
	ref_mm_fixed((const float (*)[N])A, (const float (*)[N])B, W);
	ac_protect(W);
	ac_fill_nan_f32(&C[0][0], N * N);
	mm_fixed((const float (*)[N])A, (const float (*)[N])B, C);
	ac_check_close_f32("C", &C[0][0], &W[0][0], N * N, 1e-4, 1e-4);
	AC_TIME(mm_fixed((const float (*)[N])A, (const float (*)[N])B, C));
	ac_check_close_f32("C", &C[0][0], &W[0][0], N * N, 1e-4, 1e-4);
	return ac_report();
}
