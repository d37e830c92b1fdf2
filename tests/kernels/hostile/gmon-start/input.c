/* Hostile: defines __gmon_start__, which the C runtime's _init calls before
 * main when it is defined (no constructor attribute needed), to run code
 * before the sandbox is in place. Expected: a name the C runtime reserves
 * is refused before linking: outcome build_error, "__gmon_start__". (Were
 * it linked, the loader would run it only after locking itself in.) */
#include <stdio.h>
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

void __gmon_start__(void)
{
	FILE *f = fopen("/tmp/gmon-start-was-here", "w");

	if (f)
		fclose(f);
}

void gemm(int M, int N, int K, const float *A, const float *B, float *C)
{
	naive(M, N, K, A, B, C);
}
