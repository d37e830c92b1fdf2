/*
 * autocomp_cuda.h - the harness library for the cuda target: autocomp.h
 * plus device memory helpers and CUDA-event timing. Header-only; include it
 * instead of autocomp.h in harness.cu.
 *
 * The target compiles harness.cu, the candidate (input.cu) and the
 * reference (the run's original input.cu, recompiled with every defined
 * global function and variable renamed ref_NAME) with nvcc and links them
 * into one program. The harness declares both and calls them:
 *
 *     #include <autocomp_cuda.h>
 *
 *     void gemm(int M, int N, int K, const float *A, const float *B, float *C);
 *     void ref_gemm(int M, int N, int K, const float *A, const float *B, float *C);
 *
 *     int main(int argc, char **argv)
 *     {
 *         ac_cuda_init(argc, argv);                  // ac_init + the GPU
 *         float *a = ac_alloc_f32(M * K);            // host copies
 *         float *A = ac_cuda_alloc_f32(M * K);       // device buffers
 *         ac_cuda_fill_f32(A, M * K, -1, 1, a);      // fresh random inputs
 *         ref_gemm(M, N, K, A, B, C);                // DEVICE pointers
 *         ac_cuda_download_f32(want, C, M * N);      // waits, checks errors
 *         ac_cuda_fill_nan_f32(C, M * N);
 *         AC_CUDA_TIME(gemm(M, N, K, A, B, C));      // CUDA-event timing
 *         ac_cuda_download_f32(got, C, M * N);
 *         ac_check_close_f32("C", got, want, M * N, 1e-3, 1e-3);
 *         return ac_report();
 *     }
 *
 * (tests/kernels/cuda-gemm/harness.cu is this, in full.)
 *
 * Errors: every CUDA call the helpers make is checked. A failure (a launch
 * error, an illegal address in a kernel, no GPU) prints the CUDA error on
 * stderr, records it as the report's message, writes the report and exits
 * 1, so the target records a run error whose message carries the CUDA
 * error. Wrap the harness's own CUDA calls in AC_CUDA_CHECK(call).
 *
 * Timing: AC_CUDA_TIME(statement) warms up (the statement, then a device
 * synchronize, repeated for at least 20 ms), then times each repetition
 * with a pair of CUDA events recorded on the default stream around the
 * statement, synchronizing the whole device after each one, until
 * AC_MIN_REPS repetitions and AC_MIN_TIME_S seconds (autocomp.h's
 * settings). The report's time is the median repetition, its spread
 * (q3 - q1) / median. Work a candidate puts on a non-blocking stream is
 * not timed by the default stream's events: the notes tell the model to
 * use the default stream, and the final check after timing catches results
 * that were not ready.
 *
 * Environment (besides autocomp.h's): AC_CUDA_DEVICE, the device index
 * (default 0).
 */
#ifndef AUTOCOMP_CUDA_H
#define AUTOCOMP_CUDA_H

#include "autocomp.h"

#include <cuda_runtime.h>

/* Checks a CUDA runtime call (anything returning cudaError_t). */
#define AC_CUDA_CHECK(call)                                                    \
	do {                                                                   \
		cudaError_t ac__e = (call);                                    \
		if (ac__e != cudaSuccess)                                      \
			ac_die("%s:%d: %s: %s", __FILE__, __LINE__, #call, \
			            cudaGetErrorString(ac__e));                 \
	} while (0)

/* Starts a CUDA harness: ac_init, then selects the GPU (AC_CUDA_DEVICE,
 * default 0) and creates its context, so later timings do not include
 * that. Exits with a "no GPU found" report when there is none. */
static inline void ac_cuda_init(int argc, char **argv)
{
	int count = 0;
	int dev = (int)ac__env_long("AC_CUDA_DEVICE", 0, 0, 63);
	struct cudaDeviceProp prop;
	cudaError_t err;

	ac_init(argc, argv);
	err = cudaGetDeviceCount(&count);
	if (err != cudaSuccess || count == 0)
		ac_die("no GPU found (%s)",
		            err != cudaSuccess ? cudaGetErrorString(err) : "no devices");
	if (dev >= count)
		ac_die("AC_CUDA_DEVICE=%d but there are %d devices", dev, count);
	AC_CUDA_CHECK(cudaSetDevice(dev));
	AC_CUDA_CHECK(cudaFree(0));
	if (cudaGetDeviceProperties(&prop, dev) == cudaSuccess)
		fprintf(stderr, "autocomp: device %d: %s (sm_%d%d)\n", dev, prop.name,
		        prop.major, prop.minor);
}

/* Device memory for n floats (uninitialized); exits on failure. Free with
 * ac_cuda_free. */
static inline float *ac_cuda_alloc_f32(size_t n)
{
	void *p = NULL;

	AC_CUDA_CHECK(cudaMalloc(&p, (n ? n : 1) * sizeof(float)));
	return (float *)p;
}

/* Frees device memory; accepts NULL. */
static inline void ac_cuda_free(void *dev)
{
	if (dev)
		AC_CUDA_CHECK(cudaFree(dev));
}

/* Copies n floats host -> device (waits). */
static inline void ac_cuda_upload_f32(float *dev, const float *host, size_t n)
{
	AC_CUDA_CHECK(cudaMemcpy(dev, host, n * sizeof(float), cudaMemcpyHostToDevice));
}

/* Copies n floats device -> host after everything on the device finished,
 * and reports any error a kernel left behind. */
static inline void ac_cuda_download_f32(float *host, const float *dev, size_t n)
{
	AC_CUDA_CHECK(cudaGetLastError());
	AC_CUDA_CHECK(cudaDeviceSynchronize());
	AC_CUDA_CHECK(cudaMemcpy(host, dev, n * sizeof(float), cudaMemcpyDeviceToHost));
}

/* Fills n floats of device memory with uniform random values in [lo, hi),
 * fresh every run (autocomp.h's generator). When host is not NULL the
 * same values are left there too (n floats). */
static inline void ac_cuda_fill_f32(float *dev, size_t n, float lo, float hi, float *host)
{
	float *tmp = host ? host : (float *)malloc((n ? n : 1) * sizeof(float));

	if (!tmp)
		ac_die("out of host memory for %zu floats", n);
	ac_fill_f32(tmp, n, lo, hi);
	ac_cuda_upload_f32(dev, tmp, n);
	if (!host)
		free(tmp);
}

/* Fills n floats of device memory with NaN: an output the candidate does
 * not write then fails the check. */
static inline void ac_cuda_fill_nan_f32(float *dev, size_t n)
{
	float *tmp = (float *)malloc((n ? n : 1) * sizeof(float));

	if (!tmp)
		ac_die("out of host memory for %zu floats", n);
	ac_fill_nan_f32(tmp, n);
	ac_cuda_upload_f32(dev, tmp, n);
	free(tmp);
}

/* Fails the report when device memory no longer holds exactly the n floats
 * of want (an input the candidate wrote into). Returns 1 if unchanged. */
static inline int ac_cuda_check_unchanged_f32(const char *what, const float *dev,
                                              const float *want, size_t n)
{
	float *got = (float *)malloc((n ? n : 1) * sizeof(float));
	int ok;

	if (!got)
		ac_die("out of host memory for %zu floats", n);
	ac_cuda_download_f32(got, dev, n);
	ok = memcmp(got, want, n * sizeof(float)) == 0;
	if (!ok)
		ac_fail("input %s was modified by the candidate", what);
	free(got);
	return ok;
}

/* Waits for the device and reports any error a kernel left behind. */
static inline void ac_cuda_sync(void)
{
	AC_CUDA_CHECK(cudaGetLastError());
	AC_CUDA_CHECK(cudaDeviceSynchronize());
}

/* Seconds between two recorded events (waits for the second one). */
static inline double ac__cuda_elapsed(cudaEvent_t a, cudaEvent_t b)
{
	float ms = 0;

	AC_CUDA_CHECK(cudaEventSynchronize(b));
	AC_CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
	return (double)ms * 1e-3;
}

/* AC_CUDA_TIME(statement): see the top of the file. */
#define AC_CUDA_TIME(...)                                                      \
	do {                                                                   \
		cudaEvent_t ac__ev0, ac__ev1;                                  \
		AC_CUDA_CHECK(cudaEventCreate(&ac__ev0));                      \
		AC_CUDA_CHECK(cudaEventCreate(&ac__ev1));                      \
		ac__time_begin();                                              \
		do {                                                           \
			__VA_ARGS__;                                           \
			ac_cuda_sync();                                        \
		} while (ac__warming());                                       \
		while (ac__time_more()) {                                      \
			AC_CUDA_CHECK(cudaEventRecord(ac__ev0, 0));            \
			__VA_ARGS__;                                           \
			AC_CUDA_CHECK(cudaEventRecord(ac__ev1, 0));            \
			ac__time_sample(ac__cuda_elapsed(ac__ev0, ac__ev1));   \
			ac_cuda_sync();                                        \
		}                                                              \
		AC_CUDA_CHECK(cudaEventDestroy(ac__ev0));                      \
		AC_CUDA_CHECK(cudaEventDestroy(ac__ev1));                      \
	} while (0)

#endif
