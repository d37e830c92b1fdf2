/*
 * argv.c - the growable argument vector of argv.h: adding words, adding
 * formatted words, splitting a configured command ("cc -m64") on
 * whitespace, and sorting and searching it as a set of names.
 *
 * It does not quote, expand or run anything: a word is what the caller
 * gave, and running the vector is toolchain.c's or the sandbox's job.
 */
#include "targets/exec/argv.h"

#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Takes ownership of s (NULL: an allocation already failed). */
static void argv_push(struct ac_argv *a, char *s)
{
	assert(a != NULL);
	if (!s || a->oom) {
		free(s);
		a->oom = true;
		return;
	}
	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		char **v = realloc(a->v, cap * sizeof *v);

		if (!v) {
			free(s);
			a->oom = true;
			return;
		}
		a->v = v;
		a->cap = cap;
	}
	assert(a->n + 2 <= a->cap);   /* room for s and the NULL after it */
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

void ac_argv_add(struct ac_argv *a, const char *s)
{
	argv_push(a, s ? strdup(s) : NULL);
}

void ac_argv_addn(struct ac_argv *a, const char *s, size_t n)
{
	argv_push(a, s ? strndup(s, n) : NULL);
}

void ac_argv_addf(struct ac_argv *a, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	argv_push(a, s);
}

void ac_argv_add_split(struct ac_argv *a, const char *words)
{
	const char *p = words;

	while (p && *p) {
		size_t n;

		while (*p && isspace((unsigned char)*p))
			p++;
		n = 0;
		while (p[n] && !isspace((unsigned char)p[n]))
			n++;
		if (n > 0)
			argv_push(a, strndup(p, n));
		p += n;
	}
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

void ac_argv_sort(struct ac_argv *a)
{
	size_t o = 0;

	if (!a->n)
		return;
	qsort(a->v, a->n, sizeof a->v[0], cmp_str);
	for (size_t i = 0; i < a->n; i++) {
		if (o && !strcmp(a->v[o - 1], a->v[i]))
			free(a->v[i]);
		else
			a->v[o++] = a->v[i];
	}
	a->n = o;
	a->v[o] = NULL;
}

long ac_argv_find(const struct ac_argv *a, const char *s)
{
	char **hit;

	if (!a || !a->n)
		return -1;
	hit = bsearch(&s, a->v, a->n, sizeof a->v[0], cmp_str);
	return hit ? (long)(hit - a->v) : -1;
}

void ac_argv_free(struct ac_argv *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof *a);
}
