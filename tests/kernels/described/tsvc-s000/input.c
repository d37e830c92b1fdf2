/* TSVC-style loop s000 over a real_t typedef. */
typedef float real_t;

void s000(int n, real_t a[n], const real_t b[n])
{
	for (int i = 0; i < n; i++)
		a[i] = b[i] + 1;
}
