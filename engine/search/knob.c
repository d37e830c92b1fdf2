/*
 * knob.c - finding and rewriting the tunable #defines of a kernel.
 *
 * A knob is one preprocessor line with a marker comment:
 *
 *   #define TILE_M 32 // autocomp-tune: 16 32 64 128
 *   #  define ORDER IKJ   /+ autocomp-tune: IJK, IKJ, JIK +/
 *
 * (where /+ +/ stands for a block comment's delimiters).
 *
 * The value is one token (an integer or an identifier); the allowed values
 * follow the marker, separated by blanks or commas. Everything here is pure
 * text work on a NUL-terminated string: no I/O, no evaluation of the
 * preprocessor (a knob inside a disabled #if branch is still a knob).
 * knob_apply replaces exactly the value token of each marked line and keeps
 * every other byte, so a diff between two candidates shows only the knobs.
 *
 * What it deliberately refuses (-EINVAL, reason in err): a marker without
 * values, a value that is neither an integer nor an identifier, the same
 * value twice, the same knob twice, and a marker on a preprocessor line that
 * is not an object-like "#define NAME VALUE" (a typo there would otherwise
 * silently turn a knob off). A marker outside a preprocessor line (prose in
 * a comment, a string) is not a knob and is ignored.
 */
#include "engine/search/knob.h"
#include "engine/util/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MARKER "autocomp-tune:"

/* Where the parts of one marked line lie, as offsets into the source. */
struct knob_line {
	size_t name_at, name_len;
	size_t value_at, value_len;
	size_t values_at, values_end;   /* the text after the marker */
};

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static int is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_ident_char(char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

/* An integer (optional sign, decimal or 0x hex) or a C identifier. */
static int is_valid_value(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return 0;
	if (is_ident_start(s[0])) {
		for (i = 1; i < n; i++)
			if (!is_ident_char(s[i]))
				return 0;
		return 1;
	}
	if (s[0] == '-' || s[0] == '+')
		i = 1;
	if (i == n)
		return 0;
	if (n - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
		for (i += 2; i < n; i++) {
			char c = s[i];
			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			      (c >= 'A' && c <= 'F')))
				return 0;
		}
		return 1;
	}
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Finds the marker in [from, to) of src; returns its offset or SIZE_MAX. */
static size_t find_marker(const char *src, size_t from, size_t to)
{
	size_t mlen = strlen(MARKER);

	for (size_t i = from; i + mlen <= to; i++)
		if (memcmp(src + i, MARKER, mlen) == 0)
			return i;
	return SIZE_MAX;
}

/*
 * Looks at the line [at, end) of src. Returns 1 and fills *kl when it is a
 * well-formed knob line, 0 when it is not a knob line at all, -EINVAL (with
 * a reason) when it carries a marker but is malformed.
 */
static int scan_line(const char *src, size_t at, size_t end, int lineno,
                     struct knob_line *kl, char *err, size_t errlen)
{
	size_t i = at;
	size_t marker = find_marker(src, at, end);
	size_t comment;

	if (marker == SIZE_MAX)
		return 0;
	while (i < end && is_blank(src[i]))
		i++;
	if (i == end || src[i] != '#')
		return 0;   /* prose or code that mentions the marker */
	i++;
	while (i < end && is_blank(src[i]))
		i++;
	if (end - i < 6 || memcmp(src + i, "define", 6) != 0 ||
	    (i + 6 < end && !is_blank(src[i + 6]))) {
		set_err(err, errlen, "line %d: autocomp-tune marker on a "
		        "preprocessor line that is not #define NAME VALUE", lineno);
		return -EINVAL;
	}
	i += 6;
	while (i < end && is_blank(src[i]))
		i++;
	kl->name_at = i;
	while (i < end && is_ident_char(src[i]))
		i++;
	kl->name_len = i - kl->name_at;
	if (kl->name_len == 0 || !is_ident_start(src[kl->name_at]) ||
	    (i < end && !is_blank(src[i]))) {
		set_err(err, errlen, "line %d: a knob must be an object-like "
		        "#define NAME VALUE", lineno);
		return -EINVAL;
	}
	while (i < end && is_blank(src[i]))
		i++;
	/* The comment that holds the marker starts at the first // or / *. */
	comment = SIZE_MAX;
	for (size_t j = i; j + 1 < end; j++) {
		if (src[j] == '/' && (src[j + 1] == '/' || src[j + 1] == '*')) {
			comment = j;
			break;
		}
	}
	if (comment == SIZE_MAX || comment > marker) {
		set_err(err, errlen, "line %d: autocomp-tune marker is not in a "
		        "comment", lineno);
		return -EINVAL;
	}
	kl->value_at = i;
	while (i < comment && !is_blank(src[i]))
		i++;
	kl->value_len = i - kl->value_at;
	while (i < comment && is_blank(src[i]))
		i++;
	if (kl->value_len == 0 || i != comment) {
		set_err(err, errlen, "line %d: knob %.*s needs exactly one value "
		        "token before the marker", lineno, (int)kl->name_len,
		        src + kl->name_at);
		return -EINVAL;
	}
	/* Only blanks may stand between the comment opener and the marker. */
	for (size_t j = comment + 2; j < marker; j++) {
		if (!is_blank(src[j])) {
			set_err(err, errlen, "line %d: text before the "
			        "autocomp-tune marker", lineno);
			return -EINVAL;
		}
	}
	kl->values_at = marker + strlen(MARKER);
	kl->values_end = end;
	if (src[comment + 1] == '*') {
		size_t close = SIZE_MAX;
		for (size_t j = kl->values_at; j + 1 < end; j++) {
			if (src[j] == '*' && src[j + 1] == '/') {
				close = j;
				break;
			}
		}
		if (close == SIZE_MAX) {
			set_err(err, errlen, "line %d: unterminated /* "
			        "autocomp-tune comment", lineno);
			return -EINVAL;
		}
		kl->values_end = close;
	}
	return 1;
}

/* Splits the allowed values of kl into k->values. */
static int parse_values(const char *src, const struct knob_line *kl,
                        struct knob *k, int lineno, char *err, size_t errlen)
{
	size_t i = kl->values_at;

	while (i < kl->values_end) {
		size_t at;

		while (i < kl->values_end && (is_blank(src[i]) || src[i] == ','))
			i++;
		if (i == kl->values_end)
			break;
		at = i;
		while (i < kl->values_end && !is_blank(src[i]) && src[i] != ',')
			i++;
		if (!is_valid_value(src + at, i - at)) {
			set_err(err, errlen, "line %d: knob %s: '%.*s' is not an "
			        "integer or identifier", lineno, k->name,
			        (int)(i - at), src + at);
			return -EINVAL;
		}
		for (int j = 0; j < k->nvalues; j++) {
			if (strlen(k->values[j]) == i - at &&
			    memcmp(k->values[j], src + at, i - at) == 0) {
				set_err(err, errlen, "line %d: knob %s lists "
				        "'%s' twice", lineno, k->name,
				        k->values[j]);
				return -EINVAL;
			}
		}
		if (strv_addn(&k->values, src + at, i - at))
			return -ENOMEM;
		k->nvalues++;
	}
	if (k->nvalues == 0) {
		set_err(err, errlen, "line %d: knob %s has no values after the "
		        "marker", lineno, k->name);
		return -EINVAL;
	}
	return 0;
}

/* Integers compare by value ("0x10" is "16"), identifiers by spelling. */
static int same_value(const char *a, const char *b)
{
	char *ea;
	char *eb;
	long long x;
	long long y;

	if (strcmp(a, b) == 0)
		return 1;
	if (is_ident_start(a[0]) || is_ident_start(b[0]))
		return 0;
	errno = 0;
	x = strtoll(a, &ea, 0);
	y = strtoll(b, &eb, 0);
	return errno == 0 && *ea == '\0' && *eb == '\0' && x == y;
}

static void knob_clear(struct knob *k)
{
	free(k->name);
	free(k->value);
	strv_free(k->values);
	memset(k, 0, sizeof(*k));
}

void knob_set_clear(struct knob_set *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->count; i++)
		knob_clear(&s->knobs[i]);
	free(s->knobs);
	s->knobs = NULL;
	s->count = 0;
}

int knob_find(const struct knob_set *s, const char *name)
{
	for (int i = 0; s && name && i < s->count; i++)
		if (strcmp(s->knobs[i].name, name) == 0)
			return i;
	return -1;
}

int knob_value_index(const struct knob *k, const char *value)
{
	for (int j = 0; k && value && j < k->nvalues; j++)
		if (same_value(k->values[j], value))
			return j;
	return -1;
}

int knob_parse(const char *src, struct knob_set *out, char *err, size_t errlen)
{
	struct knob_set s = { 0 };
	size_t at = 0;
	size_t len = strlen(src);
	int cap = 0;
	int lineno = 0;
	int rc = 0;

	if (err && errlen)
		err[0] = '\0';
	while (at < len) {
		const char *nl = memchr(src + at, '\n', len - at);
		size_t end = nl ? (size_t)(nl - src) : len;
		struct knob_line kl;
		struct knob *k;

		lineno++;
		rc = scan_line(src, at, end, lineno, &kl, err, errlen);
		at = end + 1;
		if (rc < 0)
			goto fail;
		if (rc == 0)
			continue;
		rc = 0;
		for (int i = 0; i < s.count; i++) {
			if (strlen(s.knobs[i].name) == kl.name_len &&
			    memcmp(s.knobs[i].name, src + kl.name_at,
			           kl.name_len) == 0) {
				set_err(err, errlen, "line %d: knob %s is "
				        "defined twice", lineno,
				        s.knobs[i].name);
				rc = -EINVAL;
				goto fail;
			}
		}
		if (s.count == cap) {
			int ncap = cap ? cap * 2 : 8;
			struct knob *nk = realloc(s.knobs,
			                          (size_t)ncap * sizeof(*nk));
			if (!nk) {
				rc = -ENOMEM;
				goto fail;
			}
			s.knobs = nk;
			cap = ncap;
		}
		k = &s.knobs[s.count++];
		memset(k, 0, sizeof(*k));
		k->name = strndup(src + kl.name_at, kl.name_len);
		k->value = strndup(src + kl.value_at, kl.value_len);
		if (!k->name || !k->value) {
			rc = -ENOMEM;
			goto fail;
		}
		rc = parse_values(src, &kl, k, lineno, err, errlen);
		if (rc < 0)
			goto fail;
		k->current = knob_value_index(k, k->value);
	}
	*out = s;
	return 0;
fail:
	if (rc == -ENOMEM)
		set_err(err, errlen, "out of memory");
	knob_set_clear(&s);
	out->knobs = NULL;
	out->count = 0;
	return rc;
}

size_t knob_space_size(const struct knob_set *s)
{
	size_t n = 1;
	size_t cap = SIZE_MAX / 2;

	for (int i = 0; s && i < s->count; i++) {
		size_t v = (size_t)(s->knobs[i].nvalues > 0 ?
		                    s->knobs[i].nvalues : 1);
		if (n > cap / v)
			return cap;
		n *= v;
	}
	return n;
}

/* Appends n bytes to the growing buffer *buf; returns 0 or -ENOMEM. */
static int append(char **buf, size_t *used, size_t *cap, const char *p,
                  size_t n)
{
	if (*used + n + 1 > *cap) {
		size_t ncap = (*used + n + 1) * 2;
		char *nb = realloc(*buf, ncap);
		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *used, p, n);
	*used += n;
	(*buf)[*used] = '\0';
	return 0;
}

char *knob_apply(const char *src, const struct knob_set *s, const int *choice)
{
	size_t len = strlen(src);
	size_t cap = len + 64;
	size_t used = 0;
	size_t at = 0;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	out[0] = '\0';
	while (at < len) {
		const char *nl = memchr(src + at, '\n', len - at);
		size_t end = nl ? (size_t)(nl - src) + 1 : len;
		struct knob_line kl;
		const char *v = NULL;
		int rc;

		if (scan_line(src, at, nl ? end - 1 : end, 0, &kl, NULL, 0) == 1) {
			for (int i = 0; i < s->count; i++) {
				const struct knob *k = &s->knobs[i];
				if (strlen(k->name) == kl.name_len &&
				    memcmp(k->name, src + kl.name_at,
				           kl.name_len) == 0) {
					if (choice[i] >= 0 &&
					    choice[i] < k->nvalues)
						v = k->values[choice[i]];
					break;
				}
			}
		}
		if (v) {
			size_t after = kl.value_at + kl.value_len;
			rc = append(&out, &used, &cap, src + at, kl.value_at - at);
			if (rc == 0)
				rc = append(&out, &used, &cap, v, strlen(v));
			if (rc == 0)
				rc = append(&out, &used, &cap, src + after,
				            end - after);
		} else {
			rc = append(&out, &used, &cap, src + at, end - at);
		}
		if (rc < 0) {
			free(out);
			return NULL;
		}
		at = end;
	}
	return out;
}

int knob_format(const struct knob_set *s, const int *choice, char *buf,
                size_t len)
{
	size_t used = 0;

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	for (int i = 0; i < s->count; i++) {
		const struct knob *k = &s->knobs[i];
		const char *v = choice[i] >= 0 && choice[i] < k->nvalues ?
		                k->values[choice[i]] : k->value;
		int n = snprintf(buf + used, len - used, "%s%s=%s",
		                 i ? " " : "", k->name, v);
		if (n < 0 || (size_t)n >= len - used)
			return -ENOSPC;
		used += (size_t)n;
	}
	return (int)used;
}
