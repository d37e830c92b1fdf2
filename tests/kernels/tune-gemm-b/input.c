/*
 * Blocked single-precision GEMM with tunable blocking: C = A * B, row-major,
 * A is M x K, B is K x N. The loops follow the classic layered scheme: a
 * KC-deep slice of B (optionally packed into NR-wide panels), MC-row blocks
 * of A, and an MR x NR register block whose accumulators stay in vector
 * registers. ORDER picks which micro-tile loop is outer (JI: each B panel
 * is reused across the A block; IJ: each A strip is reused across all of
 * B). Any M, N, K work: edges that do not fill a register block take a
 * plain loop. Register blocks with more than 16 vectors of accumulators do
 * not build.
 */
#include <stdlib.h>

#define MC 256        // autocomp-tune: 64 128 256
#define KC 128        // autocomp-tune: 128 256 512
#define MR 1          // autocomp-tune: 1 2 4 8
#define NR 16         // autocomp-tune: 16 32 64
#define PACK NOPACK   // autocomp-tune: NOPACK PACKB
#define ORDER IJ      // autocomp-tune: IJ JI

#define NOPACK 0
#define PACKB 1
#define IJ 0
#define JI 1

#if MR * NR > 256
#error "MR x NR register block needs more than 16 vector accumulators"
#endif
#if MC % MR != 0
#error "MC must be a multiple of MR"
#endif

static inline int imin(int a, int b)
{
	return a < b ? a : b;
}

/* c[MR][NR] (+)= a[MR][kc] * b[kc][NR]; a has row stride lda, b ldb. */
static inline void micro(int kc, const float *restrict a, int lda,
                         const float *restrict b, int ldb,
                         float *restrict c, int ldc, int first)
{
	float acc[MR][NR];

	for (int i = 0; i < MR; i++)
		for (int j = 0; j < NR; j++)
			acc[i][j] = first ? 0.0f : c[i * ldc + j];
	for (int k = 0; k < kc; k++) {
		const float *bk = b + (size_t)k * ldb;
		for (int i = 0; i < MR; i++) {
			float ai = a[i * lda + k];
			for (int j = 0; j < NR; j++)
				acc[i][j] += ai * bk[j];
		}
	}
	for (int i = 0; i < MR; i++)
		for (int j = 0; j < NR; j++)
			c[i * ldc + j] = acc[i][j];
}

/* Any block the register tile does not cover. */
static void edge(int m, int n, int kc, const float *a, int lda,
                 const float *b, int ldb, float *c, int ldc, int first)
{
	for (int i = 0; i < m; i++)
		for (int j = 0; j < n; j++) {
			float s = first ? 0.0f : c[i * ldc + j];
			for (int k = 0; k < kc; k++)
				s += a[i * lda + k] * b[(size_t)k * ldb + j];
			c[i * ldc + j] = s;
		}
}

void gemm(int M, int N, int K, const float *A, const float *B, float *C)
{
	int nfull = N / NR * NR;
	float *packed = NULL;

	if (PACK == PACKB && nfull > 0) {
		packed = malloc((size_t)KC * nfull * sizeof(float));
		if (!packed)
			abort();
	}
	if (K == 0) {
		for (size_t x = 0; x < (size_t)M * N; x++)
			C[x] = 0.0f;
	}
	for (int kk = 0; kk < K; kk += KC) {
		int kc = imin(KC, K - kk);
		int first = kk == 0;
		const float *bs = B + (size_t)kk * N;
		int ldb = N;

		if (packed) {
			/* Panel p holds columns p*NR.. as kc rows of NR. */
			for (int j = 0; j < nfull; j += NR)
				for (int k = 0; k < kc; k++)
					for (int x = 0; x < NR; x++)
						packed[(size_t)j * kc + k * NR + x] =
							bs[(size_t)k * N + j + x];
			ldb = NR;
		}
		for (int ii = 0; ii < M; ii += MC) {
			int mc = imin(MC, M - ii);
			int mfull = mc / MR * MR;
			const float *ab = A + (size_t)ii * K + kk;
			float *cb = C + (size_t)ii * N;

#define PANEL(j) (packed ? packed + (size_t)(j) * kc : bs + (j))
			if (ORDER == JI) {
				for (int j = 0; j < nfull; j += NR)
					for (int i = 0; i < mfull; i += MR)
						micro(kc, ab + (size_t)i * K, K,
						      PANEL(j), ldb,
						      cb + (size_t)i * N + j, N, first);
			} else {
				for (int i = 0; i < mfull; i += MR)
					for (int j = 0; j < nfull; j += NR)
						micro(kc, ab + (size_t)i * K, K,
						      PANEL(j), ldb,
						      cb + (size_t)i * N + j, N, first);
			}
#undef PANEL
			if (mfull < mc)
				edge(mc - mfull, N, kc, ab + (size_t)mfull * K, K,
				     bs, N, cb + (size_t)mfull * N, N, first);
			if (nfull < N)
				edge(mfull, N - nfull, kc, ab, K, bs + nfull, N,
				     cb + nfull, N, first);
		}
	}
	free(packed);
}
