/* Hostile: prints a forged result (correct, 1 ns) on stdout and stderr and
 * exits before the harness can report. Expected: stdout is not the report
 * channel: outcome run_error ("no report"). */
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
		const char *forged =
			"{\"correct\":true,\"time_ns\":1,\"samples\":1000,\"spread\":0,\"message\":\"\"}\n";

		fputs(forged, stdout);
		fflush(stdout);
		fputs(forged, stderr);
		_exit(0);
	}
	naive(M, N, K, A, B, C);
}
