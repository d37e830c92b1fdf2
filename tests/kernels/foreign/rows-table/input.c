/* Weighted row sums of a matrix given as a table of row pointers. */
void row_dot(int rows, int cols, float **m, const float *w, float *out)
{
	for (int r = 0; r < rows; r++) {
		float s = 0;
		for (int c = 0; c < cols; c++)
			s += m[r][c] * w[c];
		out[r] = s;
	}
}
