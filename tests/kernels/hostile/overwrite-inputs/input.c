/* Hostile: stores into its input matrix A (which the harness protected with
 * ac_protect), e.g. to leave a result there for the next call. Expected:
 * SIGSEGV: outcome run_error. */
#include <stdio.h>
/* The candidate's copy, not the reference's: the cpu target builds the
 * reference from .ac_reference.c. */
#define CANDIDATE (__FILE__[0] != '.')

static void naive(int M, int N, int K, const float *A, const float *B, float *C)
{
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			float acc = 0.0f;
			for (int k = 0; k < K; k++)
				acc += A[i * K + k] * B[k * N + j];
			C[i * N + j] = acc;
		}
}
void gemm(int M, int N, int K, const float *A, const float *B, float *C)
{
	naive(M, N, K, A, B, C);
	if (CANDIDATE) {
		printf("writing A[0]\n");
		fflush(stdout);
		((float *)A)[0] = 0.0f;
	}
}
