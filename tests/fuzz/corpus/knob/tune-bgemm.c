/*
 * Batched GEMM with a transposed right operand, the shape of attention
 * scores (Q K^T per head): for each of batch problems, C = A * B^T with A
 * M x K, B N x K and C M x N, all row-major and packed one after another.
 * Two ways to do it, picked by FORM: DOT computes MR x NR dot products at
 * once, each split into KV partial sums that vectorize along K (reduced at
 * the end); TRANS transposes each B into a K x N scratch first and then
 * runs an MR x KV register-blocked outer-product kernel along N. Any sizes
 * work (edges take a plain loop); blocks needing more than 16 vector
 * registers of accumulators do not build.
 */
#include <stdlib.h>

#define FORM DOT      // autocomp-tune: DOT TRANS
#define MR 1          // autocomp-tune: 1 2 4
#define NR 1          // autocomp-tune: 1 2 4 8
#define KV 8          // autocomp-tune: 8 16 32 64

#define DOT 0
#define TRANS 1

#if FORM == DOT && MR * NR * KV > 256
#error "MR x NR x KV partial sums need more than 16 vector registers"
#endif
#if FORM == TRANS && MR * KV > 256
#error "MR x KV accumulators need more than 16 vector registers"
#endif

/* Dot-product form on one problem. */
static void dot_form(int M, int N, int K, const float *restrict a,
                     const float *restrict b, float *restrict c)
{
	int mfull = M / MR * MR;
	int nfull = N / NR * NR;
	int kfull = K / KV * KV;

	for (int i = 0; i < mfull; i += MR) {
		for (int j = 0; j < nfull; j += NR) {
			float acc[MR][NR][KV];
			float s[MR][NR];

			for (int x = 0; x < MR; x++)
				for (int y = 0; y < NR; y++)
					for (int v = 0; v < KV; v++)
						acc[x][y][v] = 0.0f;

			for (int k = 0; k < kfull; k += KV)
				for (int x = 0; x < MR; x++)
					for (int y = 0; y < NR; y++)
						for (int v = 0; v < KV; v++)
							acc[x][y][v] +=
								a[(size_t)(i + x) * K + k + v] *
								b[(size_t)(j + y) * K + k + v];
			for (int x = 0; x < MR; x++)
				for (int y = 0; y < NR; y++) {
					float t = 0.0f;
					for (int v = 0; v < KV; v++)
						t += acc[x][y][v];
					for (int k = kfull; k < K; k++)
						t += a[(size_t)(i + x) * K + k] *
						     b[(size_t)(j + y) * K + k];
					s[x][y] = t;
				}
			for (int x = 0; x < MR; x++)
				for (int y = 0; y < NR; y++)
					c[(size_t)(i + x) * N + j + y] = s[x][y];
		}
	}
	/* Edges: rows past mfull, columns past nfull. */
	for (int i = 0; i < M; i++) {
		for (int j = i < mfull ? nfull : 0; j < N; j++) {
			float t = 0.0f;
			for (int k = 0; k < K; k++)
				t += a[(size_t)i * K + k] * b[(size_t)j * K + k];
			c[(size_t)i * N + j] = t;
		}
	}
}

/* Transpose-then-outer-product form on one problem; bt is K x N scratch. */
static void trans_form(int M, int N, int K, const float *restrict a,
                       const float *restrict b, float *restrict c,
                       float *restrict bt)
{
	int mfull = M / MR * MR;
	int nfull = N / KV * KV;

	for (int j = 0; j < N; j++)
		for (int k = 0; k < K; k++)
			bt[(size_t)k * N + j] = b[(size_t)j * K + k];
	for (int i = 0; i < mfull; i += MR) {
		for (int j = 0; j < nfull; j += KV) {
			float acc[MR][KV];

			for (int x = 0; x < MR; x++)
				for (int v = 0; v < KV; v++)
					acc[x][v] = 0.0f;

			for (int k = 0; k < K; k++)
				for (int x = 0; x < MR; x++) {
					float ax = a[(size_t)(i + x) * K + k];
					for (int v = 0; v < KV; v++)
						acc[x][v] += ax * bt[(size_t)k * N + j + v];
				}
			for (int x = 0; x < MR; x++)
				for (int v = 0; v < KV; v++)
					c[(size_t)(i + x) * N + j + v] = acc[x][v];
		}
	}
	for (int i = 0; i < M; i++) {
		for (int j = i < mfull ? nfull : 0; j < N; j++) {
			float t = 0.0f;
			for (int k = 0; k < K; k++)
				t += a[(size_t)i * K + k] * bt[(size_t)k * N + j];
			c[(size_t)i * N + j] = t;
		}
	}
}

void bgemm(int batch, int M, int N, int K, const float *A, const float *B,
           float *C)
{
	float *bt = NULL;

	if (FORM == TRANS) {
		bt = malloc((size_t)K * N * sizeof(float) + sizeof(float));
		if (!bt)
			abort();
	}
	for (int p = 0; p < batch; p++) {
		const float *a = A + (size_t)p * M * K;
		const float *b = B + (size_t)p * N * K;
		float *c = C + (size_t)p * M * N;

		if (FORM == TRANS)
			trans_form(M, N, K, a, b, c, bt);
		else
			dot_form(M, N, K, a, b, c);
	}
	free(bt);
}
