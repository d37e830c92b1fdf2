/* y = a x + y over plain pointers: their lengths are in no prototype. */
void saxpy(int n, float a, const float *restrict x, float *restrict y)
{
	for (int i = 0; i < n; i++)
		y[i] = a * x[i] + y[i];
}
