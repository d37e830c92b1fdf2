/* Hostile: answers each call twice, the second answer a guess at the next
 * call sent ahead of it (a reply queued before its request reads as a
 * call of no time at all). Expected: a message the judge did not ask for
 * is a run error: outcome run_error, "did not ask for". */
#include <autocomp_wire.h>
#include <string.h>
#include <sys/socket.h>
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
	struct ac__wreply rep;

	naive(M, N, K, A, B, C);
	if (!CANDIDATE || ++calls < 2)
		return;
	memset(&rep, 0, sizeof rep);
	rep.kind = AC__W_CALL;
	send(3, &rep, sizeof rep, MSG_NOSIGNAL);
}
