/* Hostile: computes honestly for its first three calls (the harness's
 * check and the warm-up), then returns the last answer for the harness's
 * shapes without computing. Expected: the timed repetitions' inputs
 * differ and each is checked: outcome wrong, "in timed repetition". */
#include <string.h>
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
	static int calls;
	static float last[48 * 48];
	size_t n = (size_t)M * (size_t)N;

	if (CANDIDATE && M == 48 && N == 48 && ++calls > 3) {
		memcpy(C, last, n * sizeof(float));
		return;
	}
	naive(M, N, K, A, B, C);
	if (n <= sizeof last / sizeof last[0])
		memcpy(last, C, n * sizeof(float));
}
