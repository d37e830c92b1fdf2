/* TSVC-style loop (s2275: a loop nest with a one-dimensional statement
 * between), on real_t, the arrays as parameters. */
typedef float real_t;

void s2275(int len, real_t aa[len][len], real_t bb[len][len], real_t cc[len][len],
           real_t *a, real_t *b, real_t *c, real_t *d)
{
	for (int i = 0; i < len; i++) {
		for (int j = 0; j < len; j++)
			aa[j][i] = aa[j][i] + bb[j][i] * cc[j][i];
		a[i] = b[i] + c[i] * d[i];
	}
}
