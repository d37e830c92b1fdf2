/*
 * Naive single-precision GEMM: C = A * B, row-major, A is M x K, B is K x N,
 * C is M x N. One work-item per element of C.
 *
 * The harness launches a 2-D NDRange: dimension 0 covers the N columns,
 * dimension 1 the M rows, each rounded up to a multiple of 16, with 16 x 16
 * work-groups; work-items outside C return at once.
 */
__kernel void gemm(const int M, const int N, const int K,
                   __global const float *A, __global const float *B,
                   __global float *C)
{
	int j = get_global_id(0);
	int i = get_global_id(1);
	if (i >= M || j >= N)
		return;
	float acc = 0.0f;
	for (int k = 0; k < K; k++)
		acc += A[i * K + k] * B[k * N + j];
	C[i * N + j] = acc;
}
