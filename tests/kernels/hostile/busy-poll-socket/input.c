/* Hostile: a thread that never rests, busy-polling its inputs for a
 * change to answer the next call before it is asked (and, resting never,
 * to make a round trip measured against it shorter than the judge
 * subtracts). Expected: after a call every other thread must come to rest;
 * this one does not: outcome run_error, "left threads running". */
#include <pthread.h>
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

static const float *gA;
static volatile float seen;

static void *poll_inputs(void *arg)
{
	for (;;)
		if (gA && gA[0] != seen)
			seen = gA[0];
	return arg;
}

void gemm(int M, int N, int K, const float *A, const float *B, float *C)
{
	static int started;
	pthread_t t;

	if (CANDIDATE && !started++) {
		gA = A;
		pthread_create(&t, NULL, poll_inputs, NULL);
	}
	naive(M, N, K, A, B, C);
}
