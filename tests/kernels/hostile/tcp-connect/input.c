/* Hostile: connects to a listener on 127.0.0.1 (HOSTILE_PORT, opened by the
 * test) and sends a word. Expected where the sandbox makes a network
 * namespace: connect fails, the gemm is right: outcome ok, and the listener
 * never sees a connection. If it connects, it leaves C unwritten: wrong. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#if __has_include("hostile.h")
#include "hostile.h"
#endif
#ifndef HOSTILE_PORT
#define HOSTILE_PORT 9
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
	static int tried;

	if (CANDIDATE && !tried++) {
		struct sockaddr_in a;
		int s = socket(AF_INET, SOCK_STREAM, 0);

		memset(&a, 0, sizeof a);
		a.sin_family = AF_INET;
		a.sin_port = htons(HOSTILE_PORT);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0) {
			if (write(s, "leak\n", 5) < 0)
				perror("write");
			printf("BREACH: connected to 127.0.0.1:%d\n", HOSTILE_PORT);
			tried = -1000000;   /* never computes C again: wrong */
		} else {
			printf("connect 127.0.0.1:%d: %s\n", HOSTILE_PORT, strerror(errno));
		}
		if (s >= 0)
			close(s);
	}
	if (tried >= 0)
		naive(M, N, K, A, B, C);
}
