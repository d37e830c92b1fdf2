/* Three functions and a static const table: a rational approximation
 * of tanh evaluated elementwise, and a helper the harness may call too. */
#include <math.h>

static const float num[4] = { 135135.0f, 17325.0f, 378.0f, 1.0f };
static const float den[4] = { 135135.0f, 62370.0f, 3150.0f, 28.0f };

static inline float horner(const float *c, float x2)
{
	return ((c[3] * x2 + c[2]) * x2 + c[1]) * x2 + c[0];
}

float tanh_one(float x)
{
	float x2;

	if (x > 4.97f)
		return 1.0f;
	if (x < -4.97f)
		return -1.0f;
	x2 = x * x;
	return x * horner(num, x2) / horner(den, x2);
}

void tanh_all(int n, const float *x, float *y)
{
	for (int i = 0; i < n; i++)
		y[i] = tanh_one(x[i]);
}
