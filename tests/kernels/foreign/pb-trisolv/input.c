/* Forward substitution L x = b, PolyBench/C style: needs a
 * well-conditioned lower-triangular L. */
typedef double DATA_TYPE;

void kernel_trisolv(int n, DATA_TYPE L[n][n], DATA_TYPE x[n], DATA_TYPE b[n])
{
	int i, j;

	for (i = 0; i < n; i++) {
		x[i] = b[i];
		for (j = 0; j < i; j++)
			x[i] -= L[i][j] * x[j];
		x[i] = x[i] / L[i][i];
	}
}
