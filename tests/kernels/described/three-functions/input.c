/* Three functions and a static const table: the one to time is named. */
#include <math.h>

static const float weights[4] = { 0.1f, 0.2f, 0.3f, 0.4f };

float smooth_one(const float *x, int i)
{
	float s = 0;

	for (int k = 0; k < 4; k++)
		s += weights[k] * x[i + k];
	return s;
}

float norm(int n, const float *x)
{
	float s = 0;

	for (int i = 0; i < n; i++)
		s += x[i] * x[i];
	return sqrtf(s);
}

void smooth(int n, const float *x, float *y)
{
	for (int i = 0; i + 4 <= n; i++)
		y[i] = smooth_one(x, i);
}
