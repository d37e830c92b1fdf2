/* Hostile: keeps answers for the next fresh process where a process's
 * death does not erase them: extended attributes on its own files and on
 * the scratch directory, timestamps, a file in /tmp or /dev/shm, and reads
 * them back first. Expected: nothing the candidate's process writes
 * outlives it: every attempt fails: outcome ok, "keep-state: 0 kept". */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/xattr.h>
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
		struct timespec t[2] = { { 1234567, 0 }, { 1234567, 0 } };
		int kept = 0, fd = open("candidate.so", O_RDONLY);
		char v[8] = "answer";

		kept += fd >= 0 && fsetxattr(fd, "user.ac", v, sizeof v, 0) == 0;
		kept += setxattr(".", "user.ac", v, sizeof v, 0) == 0;
		kept += utimensat(AT_FDCWD, ".", t, 0) == 0;
		kept += futimens(fd, t) == 0;
		kept += open("/tmp/keep-state-answers", O_WRONLY | O_CREAT, 0644) >= 0;
		kept += open("/dev/shm/keep-state-answers", O_WRONLY | O_CREAT, 0644) >= 0;
		printf("keep-state: %d kept\n", kept);
		fflush(stdout);
		if (fd >= 0)
			close(fd);
	}
	naive(M, N, K, A, B, C);
}
