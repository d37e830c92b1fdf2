/* Vector add, written slowly on purpose: every element goes through a
 * volatile temporary sixteen times, so any plain loop is much faster. */
void vadd(int n, const float *a, const float *b, float *c)
{
	for (int r = 0; r < 16; r++)
		for (int i = 0; i < n; i++) {
			volatile float t = a[i] + b[i];
			c[i] = t;
		}
}
