/*
 * autocomp_opencl.h - the harness library for the opencl target: autocomp.h
 * plus what a host program needs to build, run, check and time OpenCL
 * kernels. Header-only; include it instead of autocomp.h.
 *
 * The candidate of an opencl kernel is OpenCL C (input.cl); the harness is
 * host C (harness.c) that the target compiles with the system C compiler
 * and links with -lOpenCL. The target writes two kernel sources into the
 * candidate's scratch directory and names them in the environment:
 *
 *     AC_KERNEL_SOURCE     candidate.cl  the candidate being evaluated
 *     AC_REFERENCE_SOURCE  reference.cl  the run's original input
 *
 * (run by hand without them, argv[1] and argv[2] are used, else those two
 * file names in the current directory). ac_cl_init builds each into its own
 * cl_program, so the reference needs no renaming: its kernels keep their
 * names (ref.gemm is the kernel "gemm" of cl->reference) and the candidate's
 * code cannot reach them. The report is autocomp.h's, on the same
 * descriptor, with the same helpers (ac_fill_f32, ac_check_close_f32,
 * ac_fail, ac_report).
 *
 * The pattern (tests/kernels/opencl-gemm/harness.c is this, in full):
 *
 *     #include <autocomp_opencl.h>
 *
 *     int main(int argc, char **argv)
 *     {
 *         struct ac_cl cl;
 *         ac_cl_init(&cl, argc, argv);      // device, queue, both programs
 *         cl_kernel cand = ac_cl_kernel(&cl, cl.candidate, "gemm");
 *         cl_kernel ref = ac_cl_kernel(&cl, cl.reference, "gemm");
 *         cl_mem A = ac_cl_buffer(&cl, CL_MEM_READ_ONLY, n * sizeof(float));
 *         ac_cl_fill_f32(&cl, A, n, -1, 1);  // fresh random inputs each run
 *         ...set arguments with AC_CL_ARG(kernel, index, value)...
 *         ac_cl_launch(&cl, ref, 2, global, local);
 *         ac_cl_read_f32(&cl, want, C, n);
 *         ac_cl_fill_nan_f32(&cl, C, n);     // nothing left over counts
 *         AC_CL_TIME(&cl, ac_cl_launch(&cl, cand, 2, global, local));
 *         ac_cl_read_f32(&cl, got, C, n);
 *         ac_check_close_f32("C", got, want, n, 1e-3, 1e-3);
 *         return ac_report();
 *     }
 *
 * Environment (besides autocomp.h's):
 *   AC_CL_BUILD_OPTIONS  options for clBuildProgram (the kernel's cflags)
 *   AC_CL_DEVICE         which device, by index in the order listed below
 *   AC_CL_BUILD_ONLY     set: ac_cl_init builds both programs, prints the
 *                        build logs and exits: 0 built, 10 the candidate
 *                        does not compile, 11 the reference does not, 12 no
 *                        device or no source. The target runs this at build
 *                        time, so a kernel that does not compile is a build
 *                        error and its compiler log is in the candidate's
 *                        log (and the device compiler's cache is warm for
 *                        the timed run).
 *
 * Devices are taken GPUs first, then accelerators, then anything else
 * (PoCL's CPU device), over all platforms. Every OpenCL error is fatal:
 * the message goes to stderr and into the report, which is then written,
 * and the harness exits 1, so the target records a run error.
 *
 * Timing: AC_CL_TIME(cl, statement) enqueues a marker, the statement's
 * commands and a second marker on the in-order profiling queue, waits, and
 * takes the time between the two markers' completion from the device's own
 * clock (CL_PROFILING_COMMAND_END): launch overhead on the host does not
 * count, everything the statement enqueued does. Warm-up and repetitions
 * follow AC_TIME (AC_MIN_REPS, AC_MIN_TIME_S, AC_MAX_REPS).
 */
#ifndef AUTOCOMP_OPENCL_H
#define AUTOCOMP_OPENCL_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif

#include "autocomp.h"

#include <CL/cl.h>

#define AC_CL_EXIT_CANDIDATE 10
#define AC_CL_EXIT_REFERENCE 11
#define AC_CL_EXIT_SETUP 12

struct ac_cl {
	cl_platform_id platform;
	cl_device_id device;
	cl_context context;
	cl_command_queue queue;   /* in order, profiling enabled */
	cl_program candidate;     /* built from AC_KERNEL_SOURCE */
	cl_program reference;     /* built from AC_REFERENCE_SOURCE */
	char device_name[256];
	char platform_name[256];
	int build_only;
};

/* The name of an OpenCL error code ("CL_INVALID_WORK_GROUP_SIZE"). */
static inline const char *ac_cl_error_name(cl_int err)
{
	switch (err) {
#define AC__CLE(x) case x: return #x;
	AC__CLE(CL_SUCCESS)
	AC__CLE(CL_DEVICE_NOT_FOUND)
	AC__CLE(CL_DEVICE_NOT_AVAILABLE)
	AC__CLE(CL_COMPILER_NOT_AVAILABLE)
	AC__CLE(CL_MEM_OBJECT_ALLOCATION_FAILURE)
	AC__CLE(CL_OUT_OF_RESOURCES)
	AC__CLE(CL_OUT_OF_HOST_MEMORY)
	AC__CLE(CL_PROFILING_INFO_NOT_AVAILABLE)
	AC__CLE(CL_BUILD_PROGRAM_FAILURE)
	AC__CLE(CL_MAP_FAILURE)
	AC__CLE(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
	AC__CLE(CL_COMPILE_PROGRAM_FAILURE)
	AC__CLE(CL_LINK_PROGRAM_FAILURE)
	AC__CLE(CL_INVALID_VALUE)
	AC__CLE(CL_INVALID_DEVICE_TYPE)
	AC__CLE(CL_INVALID_PLATFORM)
	AC__CLE(CL_INVALID_DEVICE)
	AC__CLE(CL_INVALID_CONTEXT)
	AC__CLE(CL_INVALID_QUEUE_PROPERTIES)
	AC__CLE(CL_INVALID_COMMAND_QUEUE)
	AC__CLE(CL_INVALID_HOST_PTR)
	AC__CLE(CL_INVALID_MEM_OBJECT)
	AC__CLE(CL_INVALID_BINARY)
	AC__CLE(CL_INVALID_BUILD_OPTIONS)
	AC__CLE(CL_INVALID_PROGRAM)
	AC__CLE(CL_INVALID_PROGRAM_EXECUTABLE)
	AC__CLE(CL_INVALID_KERNEL_NAME)
	AC__CLE(CL_INVALID_KERNEL_DEFINITION)
	AC__CLE(CL_INVALID_KERNEL)
	AC__CLE(CL_INVALID_ARG_INDEX)
	AC__CLE(CL_INVALID_ARG_VALUE)
	AC__CLE(CL_INVALID_ARG_SIZE)
	AC__CLE(CL_INVALID_KERNEL_ARGS)
	AC__CLE(CL_INVALID_WORK_DIMENSION)
	AC__CLE(CL_INVALID_WORK_GROUP_SIZE)
	AC__CLE(CL_INVALID_WORK_ITEM_SIZE)
	AC__CLE(CL_INVALID_GLOBAL_OFFSET)
	AC__CLE(CL_INVALID_EVENT_WAIT_LIST)
	AC__CLE(CL_INVALID_EVENT)
	AC__CLE(CL_INVALID_OPERATION)
	AC__CLE(CL_INVALID_BUFFER_SIZE)
	AC__CLE(CL_INVALID_GLOBAL_WORK_SIZE)
#undef AC__CLE
	default:
		return "unknown OpenCL error";
	}
}

/* Checks an OpenCL call that returns cl_int. */
#define AC_CL_CHECK(call)                                                      \
	do {                                                                   \
		cl_int ac__e = (call);                                         \
		if (ac__e != CL_SUCCESS)                                       \
			ac_die("%s:%d: %s: %s (%d)", __FILE__, __LINE__,    \
			          #call, ac_cl_error_name(ac__e), (int)ac__e);  \
	} while (0)

/* Sets kernel argument index to a value (a cl_mem, an int, a float...). */
#define AC_CL_ARG(kernel, index, value)                                        \
	do {                                                                   \
		__typeof__(value) ac__v = (value);                             \
		AC_CL_CHECK(clSetKernelArg((kernel), (index), sizeof ac__v,   \
		                           &ac__v));                            \
	} while (0)

/* Reads a whole file into a NUL-terminated malloc'd string, or NULL. */
static inline char *ac__cl_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		size_t got;

		if (n + 4096 + 1 > cap) {
			size_t ncap = cap ? cap * 2 : 8192;
			char *nb = (char *)realloc(buf, ncap);

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
			cap = ncap;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* Which device class ranks first: GPU 0, accelerator 1, anything else 2. */
static inline int ac__cl_rank(cl_device_id d)
{
	cl_device_type t = 0;

	clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof t, &t, NULL);
	if (t & CL_DEVICE_TYPE_GPU)
		return 0;
	if (t & CL_DEVICE_TYPE_ACCELERATOR)
		return 1;
	return 2;
}

/* Picks the device (see the top of the file); returns 0 or -1. */
static inline int ac__cl_pick(struct ac_cl *cl)
{
	cl_platform_id plats[16];
	cl_uint nplat = 0;
	long want = ac__env_long("AC_CL_DEVICE", -1, 0, 255);
	long index = 0;
	int rank;

	if (clGetPlatformIDs(16, plats, &nplat) != CL_SUCCESS || nplat == 0)
		return -1;
	if (nplat > 16)
		nplat = 16;
	for (rank = 0; rank < 3; rank++) {
		cl_uint p;

		for (p = 0; p < nplat; p++) {
			cl_device_id devs[16];
			cl_uint ndev = 0, d;

			if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 16, devs, &ndev) != CL_SUCCESS)
				continue;
			if (ndev > 16)
				ndev = 16;
			for (d = 0; d < ndev; d++) {
				if (ac__cl_rank(devs[d]) != rank)
					continue;
				if (want < 0 || index == want) {
					cl->platform = plats[p];
					cl->device = devs[d];
					return 0;
				}
				index++;
			}
		}
	}
	return -1;
}

/* Builds one program from a file, printing the build log (if any) on
 * stderr. Returns NULL on failure with a one-line reason in why. */
static inline cl_program ac__cl_build(struct ac_cl *cl, const char *path, const char *what,
                                      char *why, size_t whylen)
{
	const char *opts = getenv("AC_CL_BUILD_OPTIONS");
	size_t len = 0, loglen = 0;
	char *src = ac__cl_slurp(path, &len);
	const char *srcs[1];
	cl_program prog;
	cl_int err;

	if (!src) {
		snprintf(why, whylen, "cannot read the %s source %s", what, path);
		return NULL;
	}
	srcs[0] = src;
	prog = clCreateProgramWithSource(cl->context, 1, srcs, &len, &err);
	free(src);
	if (err != CL_SUCCESS) {
		snprintf(why, whylen, "%s: clCreateProgramWithSource: %s", what, ac_cl_error_name(err));
		return NULL;
	}
	err = clBuildProgram(prog, 1, &cl->device, opts ? opts : "", NULL, NULL);
	if (clGetProgramBuildInfo(prog, cl->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &loglen) ==
	        CL_SUCCESS && loglen > 1) {
		char *log = (char *)malloc(loglen + 1);

		if (log && clGetProgramBuildInfo(prog, cl->device, CL_PROGRAM_BUILD_LOG, loglen,
		                                 log, NULL) == CL_SUCCESS) {
			log[loglen] = '\0';
			fprintf(stderr, "autocomp: build log of %s (%s):\n%s\n", what, path, log);
		}
		free(log);
	}
	if (err != CL_SUCCESS) {
		snprintf(why, whylen, "%s does not compile (%s)", what, ac_cl_error_name(err));
		clReleaseProgram(prog);
		return NULL;
	}
	return prog;
}

/* Ends the harness at a failure of ac_cl_init: under AC_CL_BUILD_ONLY
 * with why on stderr and exit status code (the build's verdict),
 * otherwise through ac_die. */
static inline void ac__cl_fail(const struct ac_cl *cl, int code, const char *why)
{
	if (cl->build_only) {
		fprintf(stderr, "autocomp: %s\n", why);
		exit(code);
	}
	ac_die("%s", why);
}

/* Starts an OpenCL harness: ac_init, the device, a context, an in-order
 * profiling queue, and both programs built (see the top of the file for
 * where the sources come from). Exits the harness on any failure. */
static inline void ac_cl_init(struct ac_cl *cl, int argc, char **argv)
{
	const char *cand = getenv("AC_KERNEL_SOURCE");
	const char *ref = getenv("AC_REFERENCE_SOURCE");
	const char *bo = getenv("AC_CL_BUILD_ONLY");
	char why[512];
	cl_int err;

	ac_init(argc, argv);
	memset(cl, 0, sizeof *cl);
	cl->build_only = bo && *bo && strcmp(bo, "0") != 0;
	if (!cand || !*cand)
		cand = argc > 1 ? argv[1] : "candidate.cl";
	if (!ref || !*ref)
		ref = argc > 2 ? argv[2] : "reference.cl";
	if (ac__cl_pick(cl) != 0)
		ac__cl_fail(cl, AC_CL_EXIT_SETUP, "no OpenCL device found");
	clGetDeviceInfo(cl->device, CL_DEVICE_NAME, sizeof cl->device_name, cl->device_name, NULL);
	clGetPlatformInfo(cl->platform, CL_PLATFORM_NAME, sizeof cl->platform_name,
	                  cl->platform_name, NULL);
	cl->context = clCreateContext(NULL, 1, &cl->device, NULL, NULL, &err);
	if (err != CL_SUCCESS)
		ac_die("clCreateContext: %s", ac_cl_error_name(err));
	cl->queue = clCreateCommandQueue(cl->context, cl->device, CL_QUEUE_PROFILING_ENABLE, &err);
	if (err != CL_SUCCESS)
		ac_die("clCreateCommandQueue: %s", ac_cl_error_name(err));
	cl->reference = ac__cl_build(cl, ref, "reference", why, sizeof why);
	if (!cl->reference)
		ac__cl_fail(cl, AC_CL_EXIT_REFERENCE, why);
	cl->candidate = ac__cl_build(cl, cand, "candidate", why, sizeof why);
	if (!cl->candidate)
		ac__cl_fail(cl, AC_CL_EXIT_CANDIDATE, why);
	if (cl->build_only) {
		printf("autocomp: built %s and %s for %s (%s)\n", cand, ref, cl->device_name,
		       cl->platform_name);
		exit(0);
	}
}

/* A kernel of a program by name; exits the harness when there is none. */
static inline cl_kernel ac_cl_kernel(struct ac_cl *cl, cl_program prog, const char *name)
{
	cl_int err;
	cl_kernel k = clCreateKernel(prog, name, &err);

	if (err != CL_SUCCESS)
		ac_die("kernel %s of the %s: %s", name,
		          prog == cl->candidate ? "candidate" : "reference", ac_cl_error_name(err));
	return k;
}

/* A device buffer of bytes bytes with the given CL_MEM_* flags. */
static inline cl_mem ac_cl_buffer(struct ac_cl *cl, cl_mem_flags flags, size_t bytes)
{
	cl_int err;
	cl_mem m = clCreateBuffer(cl->context, flags, bytes ? bytes : 1, NULL, &err);

	if (err != CL_SUCCESS)
		ac_die("clCreateBuffer of %zu bytes: %s", bytes, ac_cl_error_name(err));
	return m;
}

/* Copies n floats from the host to a buffer (blocking). */
static inline void ac_cl_write_f32(struct ac_cl *cl, cl_mem dst, const float *src, size_t n)
{
	AC_CL_CHECK(clEnqueueWriteBuffer(cl->queue, dst, CL_TRUE, 0, n * sizeof(float), src, 0,
	                                 NULL, NULL));
}

/* Copies n floats from a buffer to the host (blocking: waits for every
 * command enqueued before it). */
static inline void ac_cl_read_f32(struct ac_cl *cl, float *dst, cl_mem src, size_t n)
{
	AC_CL_CHECK(clEnqueueReadBuffer(cl->queue, src, CL_TRUE, 0, n * sizeof(float), dst, 0,
	                                NULL, NULL));
}

/* Fills a buffer with n uniform random floats in [lo, hi) (fresh every
 * run: the generator is autocomp.h's). If host is not NULL the values are
 * also left there (n floats). */
static inline void ac_cl_fill_f32(struct ac_cl *cl, cl_mem dst, size_t n, float lo, float hi,
                                  float *host)
{
	float *tmp = host ? host : (float *)malloc((n ? n : 1) * sizeof(float));

	if (!tmp)
		ac_die("out of host memory for %zu floats", n);
	ac_fill_f32(tmp, n, lo, hi);
	ac_cl_write_f32(cl, dst, tmp, n);
	if (!host)
		free(tmp);
}

/* Fills a buffer with NaN: an output the candidate does not write fails. */
static inline void ac_cl_fill_nan_f32(struct ac_cl *cl, cl_mem dst, size_t n)
{
	float *tmp = (float *)malloc((n ? n : 1) * sizeof(float));

	if (!tmp)
		ac_die("out of host memory for %zu floats", n);
	ac_fill_nan_f32(tmp, n);
	ac_cl_write_f32(cl, dst, tmp, n);
	free(tmp);
}

/* Fails the report when a buffer no longer holds exactly the n floats of
 * want (an input the candidate wrote into). Returns 1 if unchanged. */
static inline int ac_cl_check_unchanged_f32(struct ac_cl *cl, const char *what, cl_mem buf,
                                            const float *want, size_t n)
{
	float *got = (float *)malloc((n ? n : 1) * sizeof(float));
	int ok;

	if (!got)
		ac_die("out of host memory for %zu floats", n);
	ac_cl_read_f32(cl, got, buf, n);
	ok = memcmp(got, want, n * sizeof(float)) == 0;
	if (!ok)
		ac_fail("input %s was modified by the candidate", what);
	free(got);
	return ok;
}

/* Enqueues a kernel over an NDRange (local may be NULL); does not wait. */
static inline void ac_cl_launch(struct ac_cl *cl, cl_kernel k, cl_uint dims,
                                const size_t *global, const size_t *local)
{
	AC_CL_CHECK(clEnqueueNDRangeKernel(cl->queue, k, dims, NULL, global, local, 0, NULL, NULL));
}

/* Waits for everything enqueued so far. */
static inline void ac_cl_finish(struct ac_cl *cl)
{
	AC_CL_CHECK(clFinish(cl->queue));
}

/* Enqueues a marker and returns its event. */
static inline cl_event ac__cl_marker(struct ac_cl *cl)
{
	cl_event ev = NULL;

	AC_CL_CHECK(clEnqueueMarkerWithWaitList(cl->queue, 0, NULL, &ev));
	return ev;
}

/* Seconds between the completion of two markers, on the device clock;
 * releases both events. */
static inline double ac__cl_between(cl_event a, cl_event b)
{
	cl_ulong ea = 0, eb = 0;

	AC_CL_CHECK(clGetEventProfilingInfo(a, CL_PROFILING_COMMAND_END, sizeof ea, &ea, NULL));
	AC_CL_CHECK(clGetEventProfilingInfo(b, CL_PROFILING_COMMAND_END, sizeof eb, &eb, NULL));
	clReleaseEvent(a);
	clReleaseEvent(b);
	return eb > ea ? (double)(eb - ea) * 1e-9 : 0.0;
}

/* AC_CL_TIME(cl, statement): see the top of the file. The statement only
 * enqueues (ac_cl_launch...); waiting is done here. */
#define AC_CL_TIME(cl, ...)                                                    \
	do {                                                                   \
		ac__time_begin();                                              \
		do {                                                           \
			__VA_ARGS__;                                           \
			ac_cl_finish(cl);                                      \
		} while (ac__warming());                                       \
		while (ac__time_more()) {                                      \
			cl_event ac__m0 = ac__cl_marker(cl);                   \
			cl_event ac__m1;                                       \
			__VA_ARGS__;                                           \
			ac__m1 = ac__cl_marker(cl);                            \
			ac_cl_finish(cl);                                      \
			ac__time_sample(ac__cl_between(ac__m0, ac__m1));       \
		}                                                              \
	} while (0)

/* Releases what ac_cl_init made; kernels and buffers are the harness's. */
static inline void ac_cl_release(struct ac_cl *cl)
{
	if (cl->candidate)
		clReleaseProgram(cl->candidate);
	if (cl->reference)
		clReleaseProgram(cl->reference);
	if (cl->queue)
		clReleaseCommandQueue(cl->queue);
	if (cl->context)
		clReleaseContext(cl->context);
	memset(cl, 0, sizeof *cl);
}

#endif
