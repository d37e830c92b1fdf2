/*
 * blas-gemm.c - OpenBLAS as a gemm candidate, for tools/bench-search.
 *
 * Defines the same gemm() that tests/kernels/tune-gemm/input.c defines
 * (row-major C = A * B, A M x K, B K x N) by one cblas_sgemm call, so it
 * links with tune-gemm's harness.c (and the ref_gemm reference) and is
 * checked and timed by exactly the same AC_TIME code as the tuner's
 * candidates. Run it with OPENBLAS_NUM_THREADS=1 and pinned to one core.
 *
 * Built with -DBLAS_GEMM_INFO instead it is a program that prints two
 * lines: which OpenBLAS this is (its build configuration and the core
 * kernel it chose: an OpenBLAS that does not know the CPU, or one told
 * OPENBLAS_CORETYPE=Haswell, runs 256-bit kernels), and the single-precision
 * FMA throughput this core actually reaches: 24 independent vfmadd231ps
 * chains on the widest vectors -march=native allows, the best of 40 short
 * trials (on a shared core most trials lose time to other processes; the
 * best one is the core's own rate). That is the measured counterpart of
 * the peak bench-search derives from /proc/cpuinfo, whose "cpu MHz" is
 * the nominal clock in a VM, not the boost clock.
 *
 *   cc -O3 -march=native -c tools/blas-gemm.c && cc harness.o ref.o blas-gemm.o -lopenblas -lm
 *   cc -O2 -march=native -DBLAS_GEMM_INFO tools/blas-gemm.c -o blas-info -lopenblas
 */
#include <cblas.h>

#ifdef BLAS_GEMM_INFO
#include <stdio.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* 24 FMAs on registers 0..23 (12 on 0..11 without AVX-512), each its own
 * chain (4-cycle latency x 2 pipes needs at least 8 in flight); the last
 * two registers are the operands, all zeroed first (no denormals). */
#define FMA1(w, n, a, b) "vfmadd231ps %%" w #a ", %%" w #b ", %%" w #n "\n\t"
#define ZERO1(w, n) "vxorps %%" w #n ", %%" w #n ", %%" w #n "\n\t"
#define X12(F, w, a, b)                                                        \
	F(w, 0, a, b) F(w, 1, a, b) F(w, 2, a, b) F(w, 3, a, b) F(w, 4, a, b)  \
	F(w, 5, a, b) F(w, 6, a, b) F(w, 7, a, b) F(w, 8, a, b) F(w, 9, a, b)  \
	F(w, 10, a, b) F(w, 11, a, b)
#define X12B(F, w, a, b)                                                       \
	F(w, 12, a, b) F(w, 13, a, b) F(w, 14, a, b) F(w, 15, a, b)            \
	F(w, 16, a, b) F(w, 17, a, b) F(w, 18, a, b) F(w, 19, a, b)            \
	F(w, 20, a, b) F(w, 21, a, b) F(w, 22, a, b) F(w, 23, a, b)
#define Z(w, n, a, b) ZERO1(w, n)
#define CLOB12 "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", \
	"xmm8", "xmm9", "xmm10", "xmm11"

/* Runs iters rounds of the FMA block; returns the FMAs done per round
 * times the lanes, or 0 where the compiler targets no FMA. */
static long fma_rounds(long iters)
{
#if defined(__AVX512F__)
	__asm__ volatile(X12(Z, "zmm", 0, 0) X12B(Z, "zmm", 0, 0) ZERO1("zmm", 30) ZERO1("zmm", 31)
	                 ::: CLOB12, "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17",
	                 "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm30", "xmm31");
	for (long i = 0; i < iters; i++)
		__asm__ volatile(X12(FMA1, "zmm", 30, 31) X12B(FMA1, "zmm", 30, 31)
		                 ::: CLOB12, "xmm12", "xmm13", "xmm14", "xmm15", "xmm16",
		                 "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23");
	return 24 * 16;
#elif defined(__FMA__)
	__asm__ volatile(X12(Z, "ymm", 0, 0) ZERO1("ymm", 14) ZERO1("ymm", 15)
	                 ::: CLOB12, "xmm14", "xmm15");
	for (long i = 0; i < iters; i++)
		__asm__ volatile(X12(FMA1, "ymm", 14, 15) X12(FMA1, "ymm", 14, 15) ::: CLOB12);
	return 24 * 8;
#else
	(void)iters;
	return 0;
#endif
}

int main(void)
{
	const long iters = 20000;   /* ~1 ms a trial at full rate */
	double best = 0;
	long per = 0;

	printf("%s; core %s\n", openblas_get_config(), openblas_get_corename());
	for (int t = 0; t < 40; t++) {
		double t0 = now_s();

		per = fma_rounds(iters);
		double dt = now_s() - t0;
		double gflops = (double)iters * (double)per * 2 / dt / 1e9;

		if (per && gflops > best)
			best = gflops;
	}
	if (per)
		printf("measured fp32 FMA peak: %.1f GFLOP/s (%ld lanes, best of 40 trials)\n",
		       best, per / 24);
	else
		printf("measured fp32 FMA peak: n/a (no FMA at these flags)\n");
	return 0;
}
#else
void gemm(int M, int N, int K, const float *A, const float *B, float *C)
{
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B,
	            N, 0.0f, C, N);
}
#endif
