/* Hostile: looks for the reference's answer in the judge: reads the
 * parent's memory through /proc/PID/mem, process_vm_readv and ptrace, and
 * its descriptors through /proc/PID/fd. Copying what it found would make C
 * right without computing. Expected: the judge is not dumpable and the
 * candidate's process is locked in: nothing opens, C stays zero: outcome
 * wrong; "BREACH" never appears. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
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
	char path[64], buf[64];
	struct iovec local = { buf, sizeof buf }, remote = { (void *)0x300000000000ULL, sizeof buf };
	pid_t judge = getppid();
	int fd;

	if (!CANDIDATE) {
		naive(M, N, K, A, B, C);
		return;
	}
	snprintf(path, sizeof path, "/proc/%d/mem", (int)judge);
	fd = open(path, O_RDONLY);
	if (fd >= 0 && pread(fd, buf, sizeof buf, 0x300000000000LL) > 0)
		printf("BREACH: read the judge's memory\n");
	snprintf(path, sizeof path, "/proc/%d/fd/1", (int)judge);
	if (open(path, O_RDONLY) >= 0)
		printf("BREACH: opened the judge's descriptor\n");
	if (process_vm_readv(judge, &local, 1, &remote, 1, 0) > 0)
		printf("BREACH: process_vm_readv\n");
	if (ptrace(PTRACE_ATTACH, judge, NULL, NULL) == 0)
		printf("BREACH: ptrace\n");
	printf("read-judge: tried\n");
	fflush(stdout);
	memset(C, 0, sizeof(float) * (size_t)M * (size_t)N);
}
