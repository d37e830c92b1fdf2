/* Hostile: returns at once with the output pages protected, meaning to
 * compute in a SIGSEGV handler when the harness reads them. Expected: the
 * judge reads its own mapping of the output, which the candidate cannot
 * protect: the answer is missing: outcome wrong, "got nan". */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
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
static const float *gA, *gB;
static float *gC;
static int gM, gN, gK;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)gC & ~(uintptr_t)(page - 1);
	size_t len = ((uintptr_t)(gC + (size_t)gM * gN) - start + (size_t)page - 1) & ~(size_t)(page - 1);

	(void)sig;
	(void)si;
	(void)uc;
	mprotect((void *)start, len, PROT_READ | PROT_WRITE);
	naive(gM, gN, gK, gA, gB, gC);
}

void gemm(int M, int N, int K, const float *A, const float *B, float *C)
{
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)C & ~(uintptr_t)(page - 1);
	size_t len = ((uintptr_t)(C + (size_t)M * N) - start + (size_t)page - 1) & ~(size_t)(page - 1);
	struct sigaction sa;

	if (!CANDIDATE) {
		naive(M, N, K, A, B, C);
		return;
	}
	gA = A, gB = B, gC = C, gM = M, gN = N, gK = K;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	mprotect((void *)start, len, PROT_NONE);
}
