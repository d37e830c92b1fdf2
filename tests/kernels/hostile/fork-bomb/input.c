/* Hostile: a fork bomb; every process forks for ever. Expected: the process
 * limit stops the growth and the wall-clock timeout kills the whole group:
 * outcome timeout. As root (no process limit binds) it refuses, so that a
 * broken sandbox fails the test instead of the machine. */
#include <stdio.h>
#include <unistd.h>
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
		if (getuid() == 0) {
			printf("running as root: not bombing\n");
			return;   /* C stays NaN: wrong */
		}
		printf("bombing as uid %d\n", (int)getuid());
		fflush(stdout);
		for (;;)
			fork();
	}
	naive(M, N, K, A, B, C);
}
