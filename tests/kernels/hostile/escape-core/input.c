/* Hostile: leaves the core it was put on (affinity to every CPU, two
 * threads), raises its priority, lowers the judge's, and stops the judge
 * with a signal. Expected: its cores never widen (the affinity call may
 * say it worked: what counts is the CPUs it has after), priority never
 * rises, signals reach only its own process: it runs where it was put:
 * outcome ok, "escape-core: 0 of 5". */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
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
	static int done;

	if (CANDIDATE && !done++) {
		cpu_set_t all, had, has;
		struct sched_param sp = { 0 };
		int ok = 0;

		CPU_ZERO(&all);
		for (int c = 0; c < CPU_SETSIZE; c++)
			CPU_SET(c, &all);
		sched_getaffinity(0, sizeof had, &had);
		sched_setaffinity(0, sizeof all, &all);
		sched_getaffinity(0, sizeof has, &has);
		ok += CPU_COUNT(&has) > CPU_COUNT(&had);
		ok += setpriority(PRIO_PROCESS, 0, -5) == 0;
		ok += setpriority(PRIO_PROCESS, (id_t)getppid(), 19) == 0;
		ok += sched_setscheduler(0, SCHED_FIFO, &sp) == 0;
		ok += kill(getppid(), SIGSTOP) == 0;
		printf("escape-core: %d of 5 succeeded (%s)\n", ok, ok ? "BREACH" : "all refused");
		fflush(stdout);
	}
	naive(M, N, K, A, B, C);
}
