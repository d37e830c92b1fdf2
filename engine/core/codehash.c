/*
 * codehash.c - the normalized-source hash that recognises a duplicate
 * candidate before it is built (the rules and why are in codehash.h).
 *
 * A small lexer, not a preprocessor: it knows comments, string and
 * character literals, line continuations and preprocessor lines, and
 * nothing of macros. It may call two programs different that compile the
 * same (then both are built, as before), never the other way round.
 */
#include "engine/core/codehash.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/util.h"
#include "targets/harness/harness.h"
#include "targets/exec/fileio.h"

static bool c_family(const char *file_name)
{
	static const char *const exts[] = {".c", ".h", ".cu", ".cuh", ".cl", ".cpp", ".cc",
					   ".cxx", ".hpp", NULL};
	const char *dot = file_name ? strrchr(file_name, '.') : NULL;
	for (int i = 0; dot && exts[i]; i++)
		if (!strcmp(dot, exts[i]))
			return true;
	return false;
}

static bool word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || (unsigned char)c >= 0x80;
}

/* Could a and b, written next to each other, read as another token? */
static bool would_fuse(char a, char b)
{
	if (word_char(a) && word_char(b))
		return true;
	if (word_char(a) || word_char(b))
		return (a == '.' && b >= '0' && b <= '9') || (b == '.' && a >= '0' && a <= '9');
	static const char *const pairs[] = {"++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=",
					    "^=", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||",
					    "->", "##", "/*", "//", "*/", ".." , "<:", ":>", "<%",
					    "%>", "%:", "::", NULL};
	for (int i = 0; pairs[i]; i++)
		if (pairs[i][0] == a && pairs[i][1] == b)
			return true;
	return false;
}

/* Python and the rest: trailing blanks and blank lines go. */
static char *normalize_lines(const char *src)
{
	struct strbuf sb = {0};
	const char *p = src;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		size_t m = n;
		while (m > 0 && (p[m - 1] == ' ' || p[m - 1] == '\t' || p[m - 1] == '\r'))
			m--;
		if (m > 0) {
			sb_add(&sb, p, m);
			sb_adds(&sb, "\n");
		}
		p += n + (e ? 1 : 0);
	}
	char *out = sb_detach(&sb);
	return out ? out : strdup("");
}

static char *normalize_c(const char *src)
{
	struct strbuf sb = {0};
	bool space = false;     /* white space seen since the last byte kept */
	bool line_start = true; /* only white space so far on this line */
	bool directive = false; /* in a preprocessor line */
	char last = '\0';
	const char *p = src;
	while (*p) {
		if (p[0] == '\\' && (p[1] == '\n' || (p[1] == '\r' && p[2] == '\n'))) {
			p += p[1] == '\n' ? 2 : 3; /* a continued line is one line */
			continue;
		}
		if (p[0] == '/' && p[1] == '*') {
			const char *e = strstr(p + 2, "*/");
			p = e ? e + 2 : p + strlen(p);
			space = true;
			continue;
		}
		if (p[0] == '/' && p[1] == '/') {
			while (*p && *p != '\n') {
				if (p[0] == '\\' && p[1] == '\n')
					p++;
				p++;
			}
			continue;
		}
		if (*p == '\n') {
			if (directive) {
				sb_adds(&sb, "\n");
				last = '\n';
				directive = false;
				space = false;
			} else {
				space = true;
			}
			line_start = true;
			p++;
			continue;
		}
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\f' || *p == '\v') {
			space = true;
			p++;
			continue;
		}
		if (line_start && *p == '#') {
			if (last != '\n' && last != '\0')
				sb_adds(&sb, "\n");
			directive = true;
			space = false;
		} else if (space && last != '\n' && last != '\0' && would_fuse(last, *p)) {
			sb_adds(&sb, " ");
		}
		line_start = false;
		space = false;
		if (*p == '"' || *p == '\'') {
			const char *s = p;

			p = ac_c_literal_end(p);
			sb_add(&sb, s, (size_t)(p - s));
			last = *s;
			continue;
		}
		sb_add(&sb, p, 1);
		last = *p++;
	}
	char *out = sb_detach(&sb);
	return out ? out : strdup("");
}

char *codehash_normalize(const char *src, const char *file_name)
{
	if (!src)
		src = "";
	if (!c_family(file_name))
		return normalize_lines(src);
	if (strstr(src, "__LINE__") || strstr(src, "__COUNTER__"))
		return strdup(src);
	return normalize_c(src);
}

int codehash(const char *src, const char *file_name, char *out, size_t len)
{
	char *norm = codehash_normalize(src, file_name);
	if (!norm)
		return -ENOMEM;
	uint64_t h = ac_fnv1a(AC_FNV1A_START, norm, strlen(norm));
	/* the length too, so that a collision needs the same size */
	snprintf(out, len, "%016llx", (unsigned long long)(h ^ (uint64_t)strlen(norm) * 0x9e3779b97f4a7c15ULL));
	free(norm);
	return 0;
}
