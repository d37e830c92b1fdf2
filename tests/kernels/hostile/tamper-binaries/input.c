/* Hostile: tries to replace the programs of other evaluations (the
 * input's loader, other candidates' judges, its own) so that they run slow
 * or lie: opens them for writing, renames, unlinks, chmods, and writes a
 * new file beside them. Expected: the candidate's process can write no
 * file and the programs are read-only and not its own: every attempt
 * fails: outcome ok, "tamper-binaries: 0 changed". */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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

static int try_one(const char *path)
{
	char tmp[600];
	int changed = 0, fd = open(path, O_WRONLY | O_TRUNC);

	if (fd >= 0) {
		changed++;
		close(fd);
	}
	snprintf(tmp, sizeof tmp, "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT, 0755);
	if (fd >= 0) {
		changed++;
		close(fd);
	}
	changed += rename(tmp, path) == 0;
	changed += chmod(path, 0777) == 0;
	changed += unlink(path) == 0;
	return changed;
}

void gemm(int M, int N, int K, const float *A, const float *B, float *C)
{
	static int done;

	if (CANDIDATE && !done++) {
		static const char *const mine[] = { "candidate", "candidate.worker", "candidate.so" };
		char path[600];
		int changed = 0, tried = 0;
		DIR *d = opendir("..");
		struct dirent *e;

		for (int i = 0; i < 3; i++, tried++)
			changed += try_one(mine[i]);
		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "../%s/candidate.worker", e->d_name);
			if (access(path, F_OK) == 0) {
				changed += try_one(path);
				tried++;
			}
		}
		if (d)
			closedir(d);
		printf("tamper-binaries: %d changed of %d programs tried (%s)\n", changed, tried,
		       strerror(errno));
		fflush(stdout);
	}
	naive(M, N, K, A, B, C);
}
