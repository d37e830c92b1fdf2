/* Hostile: on its third call, writes a perfect report to every descriptor
 * it has and exits with status 0, as if the harness had finished. Expected:
 * the candidate's process holds no report descriptor; its exit in the
 * middle of a call is a run error: outcome run_error, "exited with status
 * 0 during gemm". */
#include <unistd.h>
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
	static const char forged[] =
		"{\"correct\":true,\"time_ns\":1000,\"samples\":10,\"spread\":0,\"message\":\"\"}\n";

	if (CANDIDATE && ++calls == 3) {
		for (int fd = 0; fd < 4096; fd++)
			(void)!write(fd, forged, sizeof forged - 1);
		_exit(0);
	}
	naive(M, N, K, A, B, C);
}
