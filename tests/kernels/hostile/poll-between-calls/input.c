/* Hostile: a thread that waits on a futex with a short timeout (so it
 * looks parked after every call), wakes on its own between calls, and
 * computes the answer for whatever inputs the judge has just put in place,
 * for the next call to copy. Expected: the worker's CPU between calls is
 * counted, all its threads' together: outcome run_error, "of CPU between
 * calls". */
#include <pthread.h>
#include <semaphore.h>
#include <string.h>
#include <time.h>
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

static sem_t never;
static const float *gA, *gB;
static float spare[48 * 48];

static void *ahead(void *arg)
{
	for (;;) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		sem_timedwait(&never, &ts);
		for (int r = 0; r < 6; r++)
			naive(48, 48, 48, gA, gB, spare);
	}
	return arg;
}

void gemm(int M, int N, int K, const float *A, const float *B, float *C)
{
	static int started;
	pthread_t t;

	if (CANDIDATE && !started++) {
		gA = A;
		gB = B;
		sem_init(&never, 0, 0);
		pthread_create(&t, NULL, ahead, NULL);
	}
	naive(M, N, K, A, B, C);
}
