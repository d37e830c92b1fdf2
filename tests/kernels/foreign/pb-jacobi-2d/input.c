/* Jacobi 2-D stencil, PolyBench/C style: two grids updated in place in
 * turn for tsteps steps. */
#define SCALAR_VAL(x) x
typedef double DATA_TYPE;

void kernel_jacobi_2d(int tsteps, int n, DATA_TYPE A[n][n], DATA_TYPE B[n][n])
{
	int t, i, j;

	for (t = 0; t < tsteps; t++) {
		for (i = 1; i < n - 1; i++)
			for (j = 1; j < n - 1; j++)
				B[i][j] = SCALAR_VAL(0.2) * (A[i][j] + A[i][j - 1] + A[i][1 + j] +
				                             A[1 + i][j] + A[i - 1][j]);
		for (i = 1; i < n - 1; i++)
			for (j = 1; j < n - 1; j++)
				A[i][j] = SCALAR_VAL(0.2) * (B[i][j] + B[i][j - 1] + B[i][1 + j] +
				                             B[1 + i][j] + B[i - 1][j]);
	}
}
