/* Hostile: leaves a grandchild running in a new session (setsid, double
 * fork), which writes its pid - as the machine sees it, from /proc/self -
 * to HOSTILE_DROP/leave-child.pid and sleeps for ever. The candidate then
 * computes an honest C. Expected: the candidate's process may not make
 * processes ("fork: Operation not permitted"): outcome ok, no pid written.
 * (Were it allowed, the grandchild would die with the run's PID namespace.) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if __has_include("hostile.h")
#include "hostile.h"
#endif
#ifndef HOSTILE_DROP
#define HOSTILE_DROP "/tmp"
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
void gemm(int M, int N, int K, const float *A, const float *B, float *C)
{
	static int done;

	if (CANDIDATE && !done++) {
		pid_t c = fork();

		if (c == 0) {
			setsid();
			if (fork() == 0) {
				char self[32] = "", tmp[256];
				ssize_t n = readlink("/proc/self", self, sizeof self - 1);
				int fd;

				if (n > 0)
					self[n] = '\0';
				snprintf(tmp, sizeof tmp, "%s/leave-child.pid.tmp", HOSTILE_DROP);
				fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
				if (fd >= 0) {
					if (write(fd, self, strlen(self)) < 0)
						_exit(1);
					close(fd);
					rename(tmp, HOSTILE_DROP "/leave-child.pid");
				}
				for (;;)
					pause();
			}
			_exit(0);
		}
		if (c < 0) {
			printf("fork: %s\n", strerror(errno));
			fflush(stdout);
			naive(M, N, K, A, B, C);
			return;
		}
		waitpid(c, NULL, 0);
		for (int i = 0; i < 200; i++) {   /* until the pid is written, 2 s at most */
			struct stat st;
			struct timespec ms10 = { 0, 10 * 1000 * 1000 };

			if (stat(HOSTILE_DROP "/leave-child.pid", &st) == 0)
				break;
			nanosleep(&ms10, NULL);
		}
		printf("left a grandchild behind\n");
		fflush(stdout);
	}
	naive(M, N, K, A, B, C);
}
