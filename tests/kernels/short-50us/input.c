/* Evaluates a polynomial of degree deg at every x, by Horner's rule: a
 * short kernel with a small working set (tools/bench-judge times it
 * judged and in process). */
void polyval(int n, int deg, const float *c, const float *x, float *y)
{
	for (int i = 0; i < n; i++) {
		float acc = c[deg];

		for (int k = deg - 1; k >= 0; k--)
			acc = acc * x[i] + c[k];
		y[i] = acc;
	}
}
