/* y = A x with OpenMP, as multi-core CPU code writes it. */
#include <omp.h>

void matvec(int n, const double *restrict A, const double *restrict x, double *restrict y)
{
#pragma omp parallel for schedule(static)
	for (int i = 0; i < n; i++) {
		double s = 0;
		for (int j = 0; j < n; j++)
			s += A[(long)i * n + j] * x[j];
		y[i] = s;
	}
}
