/* A matrix product in the order the formula reads (i, j, k): the inner
 * loop walks B down a column. Its arrays declare their bounds, so it
 * needs no harness and no description. */
void mm(int n, const double A[n][n], const double B[n][n], double C[n][n])
{
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++) {
			double s = 0;

			for (int k = 0; k < n; k++)
				s += A[i][k] * B[k][j];
			C[i][j] = s;
		}
}
