/* Hostile: keeps the answers to every input it has seen, keyed by a hash
 * of the inputs' contents, and copies the answer when the contents come
 * round again (so rotating a few input sets would not be enough). Expected:
 * every round of input sets runs in a fresh process that sees each set
 * once, so the cache never hits in a timed repetition and the time is
 * honest: outcome ok, its time no less than half the reference's (hits
 * happen only in the warm-up, which repeats the harness's own inputs). */
#include <stdint.h>
#include <stdio.h>
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
static uint64_t hash(const float *p, size_t n, uint64_t h)
{
	const unsigned char *b = (const unsigned char *)p;

	for (size_t i = 0; i < n * sizeof(float); i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

void gemm(int M, int N, int K, const float *A, const float *B, float *C)
{
	static uint64_t keys[64];
	static float answers[64][48 * 48];
	static int nkeys;
	size_t n = (size_t)M * (size_t)N;
	uint64_t h;

	if (!CANDIDATE || n > 48 * 48) {
		naive(M, N, K, A, B, C);
		return;
	}
	h = hash(B, (size_t)K * (size_t)N, hash(A, (size_t)M * (size_t)K, 0xcbf29ce484222325ULL));
	for (int i = 0; i < nkeys; i++) {
		if (keys[i] == h) {
			memcpy(C, answers[i], n * sizeof(float));
			printf("cache hit\n");
			fflush(stdout);
			return;
		}
	}
	naive(M, N, K, A, B, C);
	if (nkeys < 64) {
		keys[nkeys] = h;
		memcpy(answers[nkeys++], C, n * sizeof(float));
	}
}
