/* A matrix product of fixed size: the bounds are macros. */
#define N 160

void mm(const float A[N][N], const float B[N][N], float C[N][N])
{
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			float s = 0;

			for (int k = 0; k < N; k++)
				s += A[i][k] * B[k][j];
			C[i][j] = s;
		}
}
