/*
 * Naive single-precision GEMM on the GPU: C = A * B, row-major, A is M x K,
 * B is K x N, C is M x N. One thread per element of C.
 *
 * gemm() is the host launcher the harness calls. Its pointers are DEVICE
 * pointers (allocated by the harness with cudaMalloc); it launches on the
 * default stream and returns without synchronizing: the harness's CUDA
 * events and its copy back to the host order after the kernel.
 */
#include <cuda_runtime.h>

__global__ void gemm_kernel(int M, int N, int K, const float *A, const float *B, float *C)
{
	int i = blockIdx.y * blockDim.y + threadIdx.y;
	int j = blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= M || j >= N)
		return;
	float acc = 0.0f;
	for (int k = 0; k < K; k++)
		acc += A[i * K + k] * B[k * N + j];
	C[i * N + j] = acc;
}

void gemm(int M, int N, int K, const float *A, const float *B, float *C)
{
	dim3 block(16, 16);
	dim3 grid((N + block.x - 1) / block.x, (M + block.y - 1) / block.y);
	gemm_kernel<<<grid, block>>>(M, N, K, A, B, C);
}
