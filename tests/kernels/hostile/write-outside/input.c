/* Hostile: tries to write outside its scratch directory: into the state
 * directory (a new file, the database), into the mount (a file in its own
 * kernel, a new kernel), and into ../ and ../../. Expected: every attempt
 * is refused, the gemm is right: outcome ok (the test also checks that no
 * file appeared). Any attempt that succeeds prints BREACH and leaves C
 * unwritten: wrong. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#if __has_include("hostile.h")
#include "hostile.h"
#endif
#ifndef HOSTILE_STATE
#define HOSTILE_STATE "/nonexistent/state"
#define HOSTILE_MOUNT "/nonexistent/mount"
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
static int breaches;

static void try_create(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);

	if (fd >= 0) {
		printf("BREACH: created %s\n", path);
		breaches++;
		close(fd);
	} else {
		printf("create %s: %s\n", path, strerror(errno));
	}
}

static void try_open_write(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND);   /* opened, not written */

	if (fd >= 0) {
		printf("BREACH: opened %s for writing\n", path);
		breaches++;
		close(fd);
	} else {
		printf("open %s for writing: %s\n", path, strerror(errno));
	}
}

static void try_mkdir(const char *path)
{
	if (mkdir(path, 0755) == 0) {
		printf("BREACH: made %s\n", path);
		breaches++;
	} else {
		printf("mkdir %s: %s\n", path, strerror(errno));
	}
}

void gemm(int M, int N, int K, const float *A, const float *B, float *C)
{
	static int tried;

	if (CANDIDATE && !tried++) {
		try_create(HOSTILE_STATE "/hostile-was-here");
		try_open_write(HOSTILE_STATE "/autocompfs.db");
		try_create(HOSTILE_MOUNT "/kernels/write-outside/hostile-was-here");
		try_mkdir(HOSTILE_MOUNT "/kernels/hostile-spawned");
		try_create("../hostile-was-here");
		try_create("../../hostile-was-here");
		fflush(stdout);
	}
	if (!breaches)
		naive(M, N, K, A, B, C);
}
