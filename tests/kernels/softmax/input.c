/* Naive row-wise softmax: for each of `rows` rows of `cols` floats (row-major),
 * out[r][c] = exp(in[r][c] - max_c in[r][c]) / sum_c exp(in[r][c] - max). */
#include <math.h>
#include <stddef.h>

void softmax(int rows, int cols, const float *in, float *out)
{
	for (int r = 0; r < rows; r++) {
		const float *x = in + (size_t)r * cols;
		float *y = out + (size_t)r * cols;
		float max = x[0];
		float sum = 0.0f;

		for (int c = 1; c < cols; c++)
			if (x[c] > max)
				max = x[c];
		for (int c = 0; c < cols; c++) {
			y[c] = expf(x[c] - max);
			sum += y[c];
		}
		for (int c = 0; c < cols; c++)
			y[c] = y[c] / sum;
	}
}
