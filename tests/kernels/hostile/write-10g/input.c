/* Hostile: writes a 10 GB file into its directory. Expected: the
 * candidate's process may not open files for writing at all ("open big:
 * Operation not permitted"), the gemm is right: outcome ok, and no file is
 * left. (Were it allowed, the file-size limit would end it with SIGXFSZ.) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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
		static char buf[1 << 20];
		int fd = open("big", O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0)
			printf("open big: %s\n", strerror(errno));
		memset(buf, 'x', sizeof buf);
		for (long i = 0; fd >= 0 && i < 10240; i++)
			if (write(fd, buf, sizeof buf) < 0)
				perror("write");
		if (fd >= 0)
			printf("wrote 10 GB\n");
	}
	naive(M, N, K, A, B, C);
}
