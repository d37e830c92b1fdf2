/* Hostile: remembers its answer and copies it when called again with the
 * same input pointers. Expected: the judge changes the inputs between
 * timed repetitions and checks each one: outcome wrong, "in timed
 * repetition". */
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
	static const float *lastA, *lastB;
	static float saved[256 * 256];
	size_t n = (size_t)M * (size_t)N;

	if (CANDIDATE && A == lastA && B == lastB && n <= sizeof saved / sizeof saved[0]) {
		memcpy(C, saved, n * sizeof(float));
		return;
	}
	naive(M, N, K, A, B, C);
	if (n <= sizeof saved / sizeof saved[0]) {
		memcpy(saved, C, n * sizeof(float));
		lastA = A;
		lastB = B;
	}
}
