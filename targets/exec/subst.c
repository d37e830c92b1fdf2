/*
 * subst.c - words replaced inside a command line's arguments (subst.h).
 * Plain text in, plain text out: no quoting, no escapes, no recursion.
 */
#include "targets/exec/subst.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first pair whose from starts at p, or n when none does. */
static size_t match(const char *p, size_t n, const char *const from[])
{
	for (size_t i = 0; i < n; i++)
		if (from[i][0] && strncmp(p, from[i], strlen(from[i])) == 0)
			return i;
	return n;
}

char *ac_subst(const char *s, size_t n, const char *const from[], const char *const to[])
{
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);

	if (!m)
		return NULL;
	for (const char *p = s; *p;) {
		size_t i = match(p, n, from);

		if (i < n) {
			fputs(to[i], m);
			p += strlen(from[i]);
		} else {
			fputc(*p++, m);
		}
	}
	if (fclose(m) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
