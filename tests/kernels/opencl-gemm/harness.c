/*
 * Harness of the opencl-gemm sample: checks the candidate's gemm kernel
 * against the reference's on fresh random inputs, times it with OpenCL
 * events, and reports through autocomp_opencl.h.
 *
 * C = A * B with A 256 x 320 and B 320 x 192 (distinct sizes catch swapped
 * indices), a 2-D NDRange of N x M work-items in 16 x 16 work-groups.
 */
#include <autocomp_opencl.h>

#define M 256
#define N 192
#define K 320

/* Sets gemm's six arguments on a kernel. */
static void set_args(cl_kernel k, cl_mem A, cl_mem B, cl_mem C)
{
	AC_CL_ARG(k, 0, (cl_int)M);
	AC_CL_ARG(k, 1, (cl_int)N);
	AC_CL_ARG(k, 2, (cl_int)K);
	AC_CL_ARG(k, 3, A);
	AC_CL_ARG(k, 4, B);
	AC_CL_ARG(k, 5, C);
}

int main(int argc, char **argv)
{
	const size_t global[2] = { (N + 15) / 16 * 16, (M + 15) / 16 * 16 };
	const size_t local[2] = { 16, 16 };
	struct ac_cl cl;
	cl_kernel cand, ref;
	cl_mem A, B, C;
	float *a, *b, *want, *got;

	ac_cl_init(&cl, argc, argv);
	cand = ac_cl_kernel(&cl, cl.candidate, "gemm");
	ref = ac_cl_kernel(&cl, cl.reference, "gemm");
	a = ac_alloc_f32(M * K);
	b = ac_alloc_f32(K * N);
	want = ac_alloc_f32(M * N);
	got = ac_alloc_f32(M * N);
	A = ac_cl_buffer(&cl, CL_MEM_READ_ONLY, M * K * sizeof(float));
	B = ac_cl_buffer(&cl, CL_MEM_READ_ONLY, K * N * sizeof(float));
	C = ac_cl_buffer(&cl, CL_MEM_READ_WRITE, M * N * sizeof(float));
	ac_cl_fill_f32(&cl, A, M * K, -1, 1, a);
	ac_cl_fill_f32(&cl, B, K * N, -1, 1, b);

	set_args(ref, A, B, C);
	ac_cl_fill_nan_f32(&cl, C, M * N);
	ac_cl_launch(&cl, ref, 2, global, local);
	ac_cl_read_f32(&cl, want, C, M * N);

	set_args(cand, A, B, C);
	ac_cl_fill_nan_f32(&cl, C, M * N);
	ac_cl_launch(&cl, cand, 2, global, local);
	ac_cl_read_f32(&cl, got, C, M * N);
	ac_check_close_f32("C", got, want, M * N, 1e-4, 1e-4);

	ac_cl_fill_nan_f32(&cl, C, M * N);
	AC_CL_TIME(&cl, ac_cl_launch(&cl, cand, 2, global, local));
	ac_cl_read_f32(&cl, got, C, M * N);
	ac_check_close_f32("C", got, want, M * N, 1e-4, 1e-4);
	ac_cl_check_unchanged_f32(&cl, "A", A, a, M * K);
	ac_cl_check_unchanged_f32(&cl, "B", B, b, K * N);
	return ac_report();
}
