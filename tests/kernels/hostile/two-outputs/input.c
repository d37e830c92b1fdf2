/* Hostile: two outputs in one buffer (scaled, then shifted); after its
 * process's first call it writes only the second, the one the harness
 * checks last (and alone after timing). Expected: every check rule a
 * harness stated on a buffer is applied to every timed repetition:
 * outcome wrong, "scaled[". */
#define CANDIDATE (__FILE__[0] != '.')

void stats(int n, const float *x, float *out)
{
	static int calls;

	if (!CANDIDATE || calls++ == 0)
		for (int i = 0; i < n; i++)
			out[i] = 2.0f * x[i];
	for (int i = 0; i < n; i++)
		out[n + i] = x[i] + 1.0f;
}
