/* Hostile: returns at once and leaves the work to a thread that starts a
 * moment later, outside the timed call. Expected: the judge checks the
 * output when the call returns, and the buffers are gone from the
 * candidate's process by the time the thread reaches them: outcome
 * run_error, "after the call returned" (a thread that kept running would
 * be waited for, and the time would count). */
#include <pthread.h>
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
struct job {
	int M, N, K;
	const float *A, *B;
	float *C;
};

static void *later(void *arg)
{
	struct job *j = arg;
	struct timespec ts = { 0, 2000000 };

	nanosleep(&ts, NULL);
	naive(j->M, j->N, j->K, j->A, j->B, j->C);
	return NULL;
}

void gemm(int M, int N, int K, const float *A, const float *B, float *C)
{
	static struct job j;
	pthread_t t;

	if (!CANDIDATE) {
		naive(M, N, K, A, B, C);
		return;
	}
	j.M = M, j.N = N, j.K = K, j.A = A, j.B = B, j.C = C;
	if (pthread_create(&t, NULL, later, &j) == 0)
		pthread_detach(t);
}
