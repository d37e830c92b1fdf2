/* Hostile: defines _ITM_registerTMCloneTable and gives the object a
 * non-empty .tm_clone_table, so crtbegin's frame_dummy calls it before
 * main. Expected: the section is refused before linking: outcome
 * build_error, ".tm_clone_table". */
#include <stdio.h>
#include <stddef.h>
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

__attribute__((section(".tm_clone_table"), used)) static void *tm_entry[2] = { (void *)naive, (void *)naive };

void _ITM_registerTMCloneTable(void *table, size_t n)
{
	(void)table;
	(void)n;
	puts("tm-clone: ran before main");
}

void gemm(int M, int N, int K, const float *A, const float *B, float *C)
{
	naive(M, N, K, A, B, C);
}
