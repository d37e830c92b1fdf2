/* Hostile: allocates 100 GB and writes every page of it, without checking
 * malloc. Expected: the address-space limit makes malloc fail, the write
 * through NULL ends it with SIGSEGV: outcome run_error. */
#include <stdio.h>
#include <stdlib.h>
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
	if (CANDIDATE) {
		size_t n = (size_t)100 << 30;
		char *volatile p = malloc(n);

		printf("malloc(100 GB) = %p\n", (void *)p);
		fflush(stdout);
		for (size_t i = 0; i < n; i += 4096)
			p[i] = 1;
	}
	naive(M, N, K, A, B, C);
}
