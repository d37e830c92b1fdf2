/* Forward substitution L x = b: well conditioned only when L's diagonal
 * dominates, which its description says. */
typedef float real_t;

void trisolv(int n, const real_t L[n][n], real_t x[n], const real_t b[n])
{
	for (int i = 0; i < n; i++) {
		real_t s = b[i];

		for (int j = 0; j < i; j++)
			s -= L[i][j] * x[j];
		x[i] = s / L[i][i];
	}
}
