/* Cholesky factorization in place, PolyBench/C style: the input must
 * be symmetric positive definite; the lower triangle becomes L. */
#include <math.h>
#define SQRT_FUN(x) sqrt(x)
typedef double DATA_TYPE;

void kernel_cholesky(int n, DATA_TYPE A[n][n])
{
	int i, j, k;

	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++) {
			for (k = 0; k < j; k++)
				A[i][j] -= A[i][k] * A[j][k];
			A[i][j] /= A[j][j];
		}
		for (k = 0; k < i; k++)
			A[i][i] -= A[i][k] * A[i][k];
		A[i][i] = SQRT_FUN(A[i][i]);
	}
}
