/* Hostile: serves the judge's socket itself (fd 3, the layout from
 * <autocomp_wire.h>) and never returns to the loader: it finds the nonce
 * of the call it is in on the loader's stack, answers it, and from then
 * on answers every CALL at once without computing. Expected: nothing is
 * visible ahead of a call (no inputs before CALL, no clock off while they
 * are visible), so the answers are missing: outcome wrong, "got nan". */
#include <autocomp_wire.h>
#include <stdint.h>
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


/* The CALL message the loader received, somewhere up the stack: up to
 * the environment's strings, which sit at its top. */
static const struct ac__wmsg *find_call(const void *from)
{
	extern char **environ;
	uintptr_t hi = environ && environ[0] ? (uintptr_t)environ[0] : (uintptr_t)from + 8192;

	for (uintptr_t a = (uintptr_t)from & ~(uintptr_t)7; a + sizeof(struct ac__wmsg) <= hi; a += 8) {
		const struct ac__wmsg *m = (const struct ac__wmsg *)a;

		if (m->kind == AC__W_CALL && m->fn == 0 && m->nargs == 6 && m->nmaps == 0)
			return m;
	}
	return NULL;
}

void gemm(int M, int N, int K, const float *A, const float *B, float *C)
{
	struct ac__wmsg m;
	struct ac__wreply rep;
	const struct ac__wmsg *now;
	int here;

	if (!CANDIDATE) {
		naive(M, N, K, A, B, C);
		return;
	}
	now = find_call(&here);
	memset(&rep, 0, sizeof rep);
	rep.kind = AC__W_CALL;
	rep.nonce = now ? now->nonce : 0;
	for (;;) {
		send(3, &rep, sizeof rep, MSG_NOSIGNAL);
		do {
			if (recv(3, &m, sizeof m, 0) <= 0)
				return;
		} while (m.kind != AC__W_CALL);
		memset(&rep, 0, sizeof rep);
		rep.kind = AC__W_CALL;
		rep.nonce = m.nonce;
	}
}
