/* ROT13 over a char buffer (letters rotated, everything else kept). */
#include <stddef.h>

void rot13(size_t n, const char *in, char *out)
{
	for (size_t i = 0; i < n; i++) {
		char c = in[i];

		if (c >= 'a' && c <= 'z')
			c = (char)('a' + (c - 'a' + 13) % 26);
		else if (c >= 'A' && c <= 'Z')
			c = (char)('A' + (c - 'A' + 13) % 26);
		out[i] = c;
	}
}
