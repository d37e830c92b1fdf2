/* A fixed-size matrix product: array parameters with constant bounds. */
#define N 128

void mm_fixed(const float A[N][N], const float B[N][N], float C[N][N])
{
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			float s = 0;
			for (int k = 0; k < N; k++)
				s += A[i][k] * B[k][j];
			C[i][j] = s;
		}
}
