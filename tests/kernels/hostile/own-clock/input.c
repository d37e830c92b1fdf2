/* Hostile: defines clock_gettime so that the harness's clock runs 50 times
 * slow, and computes an honest C. Expected: the candidate object may not
 * define what the C library provides: outcome build_error, "defines
 * clock_gettime". */
#include <time.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

int clock_gettime(clockid_t id, struct timespec *ts)
{
	struct timespec real;
	uint64_t ns;

	syscall(SYS_clock_gettime, id, &real);
	ns = ((uint64_t)real.tv_sec * 1000000000u + (uint64_t)real.tv_nsec) / 50;
	ts->tv_sec = (time_t)(ns / 1000000000u);
	ts->tv_nsec = (long)(ns % 1000000000u);
	return 0;
}

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
	naive(M, N, K, A, B, C);
}
