/*
 * knob-points.c - list a kernel's knob space, or write one point of it.
 *
 * A helper for tools/tune-exhaustive, built by that script from this file
 * and engine/search/knob.c, so the exhaustive measurement rewrites #define lines
 * exactly as the engine's tuner does (no -DNAME=VALUE, no sed):
 *
 *   $ knob-points list input.c
 *   MC      KC      MR      NR      PACK    ORDER        (header, tabs)
 *   32      64      1       16      NOPACK  IJ           (every point)
 *   ...
 *   $ knob-points current input.c        (the values as written)
 *   $ knob-points apply input.c 64 128 4 32 PACKB JI > point.c
 *
 * It only reads files and writes stdout; errors go to stderr with exit 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/search/knob.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0;
	size_t cap = 0;
	size_t n;

	if (!f)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			char *nb;
			cap = (len + 4096 + 1) * 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static void print_point(const struct knob_set *s, const int *c)
{
	for (int i = 0; i < s->count; i++)
		printf("%s%s", i ? "\t" : "", s->knobs[i].values[c[i]]);
	printf("\n");
}

int main(int argc, char **argv)
{
	struct knob_set s = { 0 };
	char err[256];
	char *src;
	int *c;
	int rc;

	if (argc < 3 || (strcmp(argv[1], "list") && strcmp(argv[1], "apply") &&
	                 strcmp(argv[1], "current"))) {
		fprintf(stderr, "usage: knob-points list|current FILE\n"
		        "       knob-points apply FILE VALUE...\n");
		return 1;
	}
	src = slurp(argv[2]);
	if (!src) {
		fprintf(stderr, "knob-points: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	rc = knob_parse(src, &s, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "knob-points: %s: %s\n", argv[2], err);
		return 1;
	}
	c = calloc((size_t)s.count + 1, sizeof(int));
	if (!c)
		return 1;
	if (strcmp(argv[1], "current") == 0) {
		for (int i = 0; i < s.count; i++)
			printf("%s%s", i ? "\t" : "", s.knobs[i].value);
		printf("\n");
	} else if (strcmp(argv[1], "list") == 0) {
		for (int i = 0; i < s.count; i++)
			printf("%s%s", i ? "\t" : "", s.knobs[i].name);
		printf("\n");
		for (;;) {
			int i;
			print_point(&s, c);
			for (i = s.count - 1; i >= 0; i--) {
				if (++c[i] < s.knobs[i].nvalues)
					break;
				c[i] = 0;
			}
			if (i < 0)
				break;
		}
	} else {
		char *out;
		if (argc - 3 != s.count) {
			fprintf(stderr, "knob-points: %s has %d knobs, %d values "
			        "given\n", argv[2], s.count, argc - 3);
			return 1;
		}
		for (int i = 0; i < s.count; i++) {
			c[i] = knob_value_index(&s.knobs[i], argv[3 + i]);
			if (c[i] < 0) {
				fprintf(stderr, "knob-points: %s is not a value "
				        "of %s\n", argv[3 + i], s.knobs[i].name);
				return 1;
			}
		}
		out = knob_apply(src, &s, c);
		if (!out)
			return 1;
		fputs(out, stdout);
		free(out);
	}
	free(c);
	knob_set_clear(&s);
	free(src);
	return 0;
}
