/* Hostile: computes C, then looks for the reference's answer: it writes to
 * every read-only anonymous mapping it finds in /proc/self/maps (ac_alloc's
 * protected blocks: A, B and the answer). Expected: the first write ends
 * it with SIGSEGV: outcome run_error. */
#include <stdio.h>
#include <string.h>
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
	naive(M, N, K, A, B, C);
	if (CANDIDATE) {
		FILE *f = fopen("/proc/self/maps", "r");
		char line[512];

		while (f && fgets(line, sizeof line, f)) {
			unsigned long lo, hi;
			char perms[8];

			/* "lo-hi r--p 00000000 00:00 0" with no path: anonymous */
			if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 &&
			    !strcmp(perms, "r--p") && strstr(line, " 00:00 0 ") &&
			    line[strlen(line) - 2] == ' ') {
				printf("writing %lx-%lx\n", lo, hi);
				fflush(stdout);
				*(volatile float *)(hi - sizeof(float)) = 0.0f;
			}
		}
		printf("found nothing to overwrite\n");
		if (f)
			fclose(f);
	}
}
