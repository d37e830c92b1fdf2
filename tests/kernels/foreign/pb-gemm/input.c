/* C := alpha*A*B + beta*C, PolyBench/C style: sizes first, variable-length
 * 2-D array parameters, DATA_TYPE, C updated in place. */
typedef double DATA_TYPE;

void kernel_gemm(int ni, int nj, int nk, DATA_TYPE alpha, DATA_TYPE beta,
                 DATA_TYPE C[ni][nj], DATA_TYPE A[ni][nk], DATA_TYPE B[nk][nj])
{
	int i, j, k;

	for (i = 0; i < ni; i++) {
		for (j = 0; j < nj; j++)
			C[i][j] *= beta;
		for (k = 0; k < nk; k++)
			for (j = 0; j < nj; j++)
				C[i][j] += alpha * A[i][k] * B[k][j];
	}
}
