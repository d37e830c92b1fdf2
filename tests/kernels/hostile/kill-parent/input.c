/* Hostile: kills its parent, the daemon (by the pid in the state
 * directory's lock file, and by name through /proc), every process it may
 * signal, and finally its own process group. Expected: the candidate's
 * process may signal only itself, so every kill fails with EPERM and it
 * computes on: outcome ok ("kill(parent, SIGKILL) = -1"), the daemon and
 * the other kernels go on.
 * kill(-1) is sent only from inside a fresh PID namespace (pid 2), where it
 * cannot reach anything outside; from anywhere else it would hit the
 * machine rather than test the sandbox. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if __has_include("hostile.h")
#include "hostile.h"
#endif
#ifndef HOSTILE_STATE
#define HOSTILE_STATE "/nonexistent/state"
#endif
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
static void kill_daemon_by_name(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char path[300], comm[64] = "";
		FILE *f;

		snprintf(path, sizeof path, "/proc/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof comm, f) && !strncmp(comm, "autocompfs", 10))
			printf("kill(%s \"autocompfs\", SIGKILL) = %d\n", e->d_name,
			       kill(atoi(e->d_name), SIGKILL));
		fclose(f);
	}
	if (d)
		closedir(d);
}

void gemm(int M, int N, int K, const float *A, const float *B, float *C)
{
	if (CANDIDATE) {
		FILE *f = fopen(HOSTILE_STATE "/lock", "r");
		int pid = 0;

		printf("pid %d, parent %d, group %d\n", (int)getpid(), (int)getppid(),
		       (int)getpgrp());
		printf("kill(parent, SIGKILL) = %d\n", kill(getppid(), SIGKILL));
		if (f && fscanf(f, "%d", &pid) == 1 && pid > 1)
			printf("kill(daemon %d, SIGKILL) = %d\n", pid, kill(pid, SIGKILL));
		else
			printf("cannot read the daemon's pid\n");
		if (f)
			fclose(f);
		kill_daemon_by_name();
		if (getpid() == 2)
			printf("kill(-1, SIGKILL) = %d\n", kill(-1, SIGKILL));
		fflush(stdout);
		kill(0, SIGKILL);
	}
	naive(M, N, K, A, B, C);
}
