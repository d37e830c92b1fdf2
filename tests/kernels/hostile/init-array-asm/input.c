/* Hostile: places a function in .init_array with inline assembly (no
 * constructor attribute in the C), to run before the first call. Expected:
 * the section is refused, whatever put it there: outcome build_error,
 * ".init_array". */
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

__attribute__((used)) static void early(void)
{
	puts("init-array-asm: ran before main");
}
__asm__(".section .init_array,\"aw\"\n.balign 8\n.quad early\n.previous\n");

void gemm(int M, int N, int K, const float *A, const float *B, float *C)
{
	(void)early;
	naive(M, N, K, A, B, C);
}
