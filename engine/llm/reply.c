/*
 * reply.c - reads an LLM's answer: the code, the plan and SEARCH/REPLACE
 * edits, as declared in reply.h.
 *
 * Everything here is pure text processing on NUL-terminated strings: no
 * I/O, no global state. Reasoning that a model writes inline between
 * <think> and </think> (or <thinking> and </thinking>) is removed before
 * anything else is read, so a draft in the reasoning is never taken for the
 * answer. A fence that opens and never closes means the reply was cut off:
 * reply_code then finds no code rather than half of it.
 *
 * The code is chosen the way real replies are written: explanations with
 * small snippets, the code, then often a usage example ("Compile and run
 * it with:" and a ```bash block), sometimes a first and a second version,
 * headers in a block of their own. So only blocks in the target's language
 * (or untagged) are candidates, a shell, console, text, json or diff block
 * never is, nor one holding SEARCH/REPLACE markers; among the candidates
 * the winner is the one that defines most of the parent's functions, the
 * last one on a tie. The function scan is a light lexer (comments,
 * strings, preprocessor lines and braces), not a C parser: it only has to
 * tell a definition of f from a call of f or a prototype.
 */
#include "engine/llm/reply.h"

#include "engine/util/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One line of a text: [start, start + len), without the '\n' and without a
 * trailing '\r'. */
struct line {
	const char *start;
	size_t len;
};

/* Splits text into lines. Returns the number of lines and a new array in
 * *out (NULL when the text is empty), or -ENOMEM. */
static int split_lines(const char *text, struct line **out)
{
	size_t n = 0;
	size_t cap = 0;
	struct line *lines = NULL;
	const char *p = text;
	*out = NULL;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct line *nw = realloc(lines, ncap * sizeof(*lines));
			if (!nw) {
				free(lines);
				return -ENOMEM;
			}
			lines = nw;
			cap = ncap;
		}
		size_t l = len;
		if (l > 0 && p[l - 1] == '\r')
			l--;
		lines[n].start = p;
		lines[n].len = l;
		n++;
		p += len;
		if (*p == '\n')
			p++;
	}
	*out = lines;
	return (int)n;
}

/* The two spellings of a reasoning section's tags. */
static const char *const think_open[2] = { "<think>", "<thinking>" };
static const char *const think_close[2] = { "</think>", "</thinking>" };

/* The first of the two tags at or after p (the first spelling on a tie):
 * its position, and its index in *which; NULL when neither is there. */
static const char *find_tag(const char *p, const char *const tags[2], int *which)
{
	const char *a = strstr(p, tags[0]);
	const char *b = strstr(p, tags[1]);
	*which = a && (!b || a <= b) ? 0 : 1;
	return *which == 0 ? a : b;
}

/* Finds the first occurrence of one of the opening tags at or after p.
 * Returns its position (and its closing tag in *close) or NULL. */
static const char *find_think_open(const char *p, const char **close)
{
	int which;
	const char *t = find_tag(p, think_open, &which);
	if (t)
		*close = think_close[which];
	return t;
}

/* The first closing tag (either spelling) at or after p; its length in *len. */
static const char *find_think_close(const char *p, size_t *len)
{
	int which;
	const char *t = find_tag(p, think_close, &which);
	if (t)
		*len = strlen(think_close[which]);
	return t;
}

/* The text with reasoning sections removed (not trimmed). A closing tag
 * before any opening tag ends a leading reasoning section whose opening
 * tag was part of the chat template; an opening tag that never closes
 * starts reasoning that was cut off, so everything from it is dropped.
 * Returns a new string or NULL on OOM. */
static char *strip_think(const char *text)
{
	struct strbuf sb = {0};
	const char *p = text;
	const char *close;
	const char *open = find_think_open(p, &close);
	size_t clen;
	const char *first_close = find_think_close(p, &clen);

	if (first_close && (!open || first_close < open))
		p = first_close + clen;
	for (;;) {
		open = find_think_open(p, &close);
		if (!open) {
			if (sb_adds(&sb, p))
				goto oom;
			break;
		}
		if (sb_add(&sb, p, (size_t)(open - p)))
			goto oom;
		const char *end = strstr(open, close);
		if (!end)
			break;
		p = end + strlen(close);
	}
	return sb_detach(&sb);
oom:
	sb_release(&sb);
	return NULL;
}

/* Whether line is a fence opener: up to any indentation, three or more
 * '`' or '~', and for backticks an info string without backticks. Sets
 * the fence character, its run length and the indentation. */
static bool fence_open(const struct line *l, char *ch, size_t *count, size_t *indent)
{
	size_t i = 0;
	while (i < l->len && (l->start[i] == ' ' || l->start[i] == '\t'))
		i++;
	if (i >= l->len || (l->start[i] != '`' && l->start[i] != '~'))
		return false;
	char c = l->start[i];
	size_t j = i;
	while (j < l->len && l->start[j] == c)
		j++;
	if (j - i < 3)
		return false;
	if (c == '`' && memchr(l->start + j, '`', l->len - j))
		return false;
	*ch = c;
	*count = j - i;
	*indent = i;
	return true;
}

/* Whether line closes a fence of character ch opened with count chars:
 * at least count of ch and nothing after them but blanks. */
static bool fence_close(const struct line *l, char ch, size_t count)
{
	size_t i = 0;
	while (i < l->len && (l->start[i] == ' ' || l->start[i] == '\t'))
		i++;
	size_t j = i;
	while (j < l->len && l->start[j] == ch)
		j++;
	if (j - i < count)
		return false;
	while (j < l->len && isspace((unsigned char)l->start[j]))
		j++;
	return j == l->len;
}

/* Fence languages that are never the code, whatever the target. */
static const char *const never_code[] = {
	"bash", "sh", "shell", "zsh", "console", "shell-session", "sh-session", "terminal",
	"text", "txt", "plaintext", "output", "json", "jsonc", "diff", "patch", NULL,
};

/* Fence languages of the C family (C, C++, CUDA, OpenCL, headers). */
static const char *const c_family[] = {
	"c", "h", "cpp", "c++", "cxx", "cc", "hpp", "hh", "cuda", "cu", "cuh", "cl", "opencl",
	NULL,
};

static const char *const python_family[] = {"python", "py", "python3", NULL};

static bool in_list(const char *const *list, const char *word)
{
	for (int i = 0; list[i]; i++)
		if (!strcasecmp(list[i], word))
			return true;
	return false;
}

/* The language of a fence opener line: the first word of its info string,
 * lowercased, without pandoc's "{." or a ":file" tail. "" when untagged. */
static void fence_lang(const struct line *l, char *out, size_t outlen)
{
	size_t i = 0;
	while (i < l->len && (l->start[i] == ' ' || l->start[i] == '\t'))
		i++;
	char ch = l->start[i];
	while (i < l->len && l->start[i] == ch)
		i++;
	while (i < l->len && (l->start[i] == ' ' || l->start[i] == '\t' || l->start[i] == '{' ||
			      l->start[i] == '.'))
		i++;
	size_t n = 0;
	while (i < l->len && n + 1 < outlen && !isspace((unsigned char)l->start[i]) &&
	       l->start[i] != ':' && l->start[i] != '}' && l->start[i] != ',') {
		out[n++] = (char)tolower((unsigned char)l->start[i]);
		i++;
	}
	out[n] = '\0';
}

/* Whether a fence language may hold the code of a file named file_name. */
static bool lang_fits(const char *lang, const char *file_name)
{
	if (!*lang)
		return true;
	if (in_list(never_code, lang))
		return false;
	const char *dot = file_name ? strrchr(file_name, '.') : NULL;
	if (!dot || !dot[1])
		return true;
	const char *ext = dot + 1;
	if (in_list(c_family, ext))
		return in_list(c_family, lang);
	if (in_list(python_family, ext))
		return in_list(python_family, lang);
	return !strcasecmp(lang, ext);
}

/* ---- which functions a piece of code defines ---- */

static bool ident_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Skips a comment, string or character literal at p; returns p unchanged
 * when there is none. */
static const char *skip_lexeme(const char *p)
{
	if (p[0] == '/' && p[1] == '/') {
		const char *nl = strchr(p, '\n');
		return nl ? nl : p + strlen(p);
	}
	if (p[0] == '/' && p[1] == '*') {
		const char *e = strstr(p + 2, "*/");
		return e ? e + 2 : p + strlen(p);
	}
	if (*p == '"' || *p == '\'') {
		char q = *p++;
		while (*p && *p != q && *p != '\n') {
			if (*p == '\\' && p[1])
				p++;
			p++;
		}
		return *p == q ? p + 1 : p;
	}
	return p;
}

/* Calls fn for every function the code defines: at brace depth 0, a name,
 * a parenthesized list and then "{" (after qualifiers or attributes); and
 * Python's "def name(". */
static void each_definition(const char *code, void (*fn)(void *arg, const char *name,
                                                         size_t len), void *arg)
{
	int depth = 0;
	bool line_start = true;
	const char *p = code;
	while (*p) {
		const char *q = skip_lexeme(p);
		if (q != p) {
			p = q;
			continue;
		}
		char c = *p;
		if (line_start && c == '#') {
			/* a preprocessor line, continuations included */
			while (*p && !(*p == '\n' && p[-1] != '\\'))
				p++;
			continue;
		}
		if (c == '\n') {
			line_start = true;
			p++;
			continue;
		}
		if (!isspace((unsigned char)c))
			line_start = false;
		if (c == '{') {
			depth++;
		} else if (c == '}') {
			if (depth > 0)
				depth--;
		} else if (ident_start(c) && (p == code || !ident_char(p[-1]))) {
			const char *name = p;
			while (ident_char(*p))
				p++;
			size_t len = (size_t)(p - name);
			if (len == 3 && !strncmp(name, "def", 3) && (name == code || name[-1] == '\n' ||
			    name[-1] == ' ' || name[-1] == '\t')) {
				const char *d = p;
				while (*d == ' ' || *d == '\t')
					d++;
				const char *dn = d;
				while (ident_char(*d))
					d++;
				if (d > dn && *d == '(')
					fn(arg, dn, (size_t)(d - dn));
				continue;
			}
			if (depth != 0)
				continue;
			const char *a = p;
			while (*a == ' ' || *a == '\t' || *a == '\n' || *a == '\r')
				a++;
			if (*a != '(')
				continue;
			/* the parameter list, then what may stand before the body */
			int par = 0;
			for (; *a; a++) {
				const char *s2 = skip_lexeme(a);
				if (s2 != a) {
					a = s2 - 1;
					continue;
				}
				if (*a == '(')
					par++;
				else if (*a == ')' && --par == 0)
					break;
				else if (*a == ';' || *a == '{' || *a == '}')
					break;
			}
			if (*a != ')')
				continue;
			a++;
			for (;;) {
				while (isspace((unsigned char)*a))
					a++;
				if (ident_start(*a)) {
					/* const, noexcept, __attribute__((...)), a macro */
					while (ident_char(*a))
						a++;
					while (isspace((unsigned char)*a))
						a++;
					if (*a == '(') {
						int d2 = 0;
						for (; *a; a++) {
							if (*a == '(')
								d2++;
							else if (*a == ')' && --d2 == 0)
								break;
						}
						if (*a)
							a++;
					}
					continue;
				}
				break;
			}
			if (*a == '{')
				fn(arg, name, len);
			continue;
		}
		p++;
	}
}

/* The names a piece of code defines, as one string "\nf\ng\n". */
static void add_name(void *arg, const char *name, size_t len)
{
	struct strbuf *sb = arg;
	if (!sb->len)
		sb_adds(sb, "\n");
	sb_add(sb, name, len);
	sb_adds(sb, "\n");
}

struct score {
	const char *names;   /* "\nf\ng\n" of the parent */
	int hits;
	struct strbuf seen;  /* names counted already */
};

static void count_name(void *arg, const char *name, size_t len)
{
	struct score *sc = arg;
	char key[160];
	if (len + 3 > sizeof(key))
		return;
	snprintf(key, sizeof(key), "\n%.*s\n", (int)len, name);
	if (!strstr(sc->names, key) || (sc->seen.buf && strstr(sc->seen.buf, key)))
		return;
	sc->hits++;
	if (!sc->seen.len)
		sb_adds(&sc->seen, "\n");
	sb_add(&sc->seen, name, len);
	sb_adds(&sc->seen, "\n");
}

/* How many of names ("\nf\ng\n") the code defines. */
static int defines(const char *code, const char *names)
{
	struct score sc = {.names = names};
	each_definition(code, count_name, &sc);
	sb_release(&sc.seen);
	return sc.hits;
}

/* Whether a block's lines hold a SEARCH/REPLACE marker: edits, not a file. */
static bool holds_edits(const struct line *lines, int from, int to);

/* A block of lines [from, to) as a string, indent spaces removed. */
static char *block_text(const struct line *lines, int from, int to, size_t indent)
{
	struct strbuf sb = {0};
	bool ok = true;
	for (int i = from; i < to && ok; i++) {
		const char *s = lines[i].start;
		size_t len = lines[i].len;
		size_t strip = 0;
		while (strip < indent && strip < len && s[strip] == ' ')
			strip++;
		ok = sb_add(&sb, s + strip, len - strip) == 0 && sb_add(&sb, "\n", 1) == 0;
	}
	if (!ok) {
		sb_release(&sb);
		return NULL;
	}
	char *t = sb_detach(&sb);
	return t ? t : strdup("");
}

char *reply_code(const char *text)
{
	return reply_code_for(text, NULL);
}

char *reply_code_for(const char *text, const struct reply_want *want)
{
	if (!text)
		return NULL;
	const char *file_name = want ? want->file_name : NULL;
	char *clean = strip_think(text);
	if (!clean)
		return NULL;
	struct line *lines;
	int n = split_lines(clean, &lines);
	if (n < 0) {
		free(clean);
		return NULL;
	}
	char *names = NULL;
	if (want && want->parent) {
		struct strbuf sb = {0};
		each_definition(want->parent, add_name, &sb);
		names = sb_detach(&sb);
	}

	char *best = NULL;
	int best_hits = -1;
	bool cut = false;
	for (int i = 0; i < n; i++) {
		char ch;
		size_t count;
		size_t indent;
		if (!fence_open(&lines[i], &ch, &count, &indent))
			continue;
		char lang[32];
		fence_lang(&lines[i], lang, sizeof(lang));
		bool fits = lang_fits(lang, file_name);
		int j = i + 1;
		while (j < n && !fence_close(&lines[j], ch, count))
			j++;
		if (j >= n) {
			/* never closed: cut off, unless it was never the code */
			cut = fits;
			break;
		}
		if (fits && !holds_edits(lines, i + 1, j)) {
			char *code = block_text(lines, i + 1, j, indent);
			int hits = code && names && *names ? defines(code, names) : 0;
			if (code && hits >= best_hits) {
				free(best);
				best = code;
				best_hits = hits;
			} else {
				free(code);
			}
		}
		i = j;
	}
	if (cut) {
		free(best);
		best = NULL;
	}
	free(names);
	free(lines);
	free(clean);
	return best;
}

char *reply_plan(const char *text)
{
	char *clean = strip_think(text ? text : "");
	if (!clean)
		return NULL;
	size_t start = 0;
	size_t end = strlen(clean);
	while (start < end && isspace((unsigned char)clean[start]))
		start++;
	while (end > start && isspace((unsigned char)clean[end - 1]))
		end--;
	memmove(clean, clean + start, end - start);
	clean[end - start] = '\0';
	return clean;
}

/* The marker line kinds of an edit block. */
enum marker { M_NONE, M_SEARCH, M_DIVIDER, M_REPLACE };

/* Is s (len bytes, trailing blanks gone) seven or more c's, then c's or
 * spaces, then word: "<<<<<<< SEARCH"? */
static bool arrow_line(const char *s, size_t len, char c, const char *word)
{
	size_t wl = strlen(word);
	size_t i = 0;
	while (i < len && s[i] == c)
		i++;
	if (i < 7)
		return false;
	while (i < len && (s[i] == c || s[i] == ' '))
		i++;
	return len - i == wl && !strncmp(s + i, word, wl);
}

static enum marker marker_of(const struct line *l)
{
	size_t len = l->len;
	while (len > 0 && isspace((unsigned char)l->start[len - 1]))
		len--;
	if (arrow_line(l->start, len, '<', "SEARCH"))
		return M_SEARCH;
	if (arrow_line(l->start, len, '>', "REPLACE"))
		return M_REPLACE;
	if (len == 7 && !strncmp(l->start, "=======", 7))
		return M_DIVIDER;
	return M_NONE;
}

static bool holds_edits(const struct line *lines, int from, int to)
{
	for (int i = from; i < to; i++)
		if (marker_of(&lines[i]) == M_SEARCH)
			return true;
	return false;
}

/* Whether two lines are equal; with loose, trailing blanks do not count. */
static bool line_eq(const struct line *a, const struct line *b, bool loose)
{
	size_t la = a->len;
	size_t lb = b->len;
	if (loose) {
		while (la > 0 && isspace((unsigned char)a->start[la - 1]))
			la--;
		while (lb > 0 && isspace((unsigned char)b->start[lb - 1]))
			lb--;
	}
	return la == lb && !memcmp(a->start, b->start, la);
}

/* Counts where the search lines occur in src; the first position in *at. */
static int count_matches(const struct line *src, int nsrc, const struct line *search,
                         int nsearch, bool loose, int *at)
{
	int count = 0;
	for (int i = 0; i + nsearch <= nsrc; i++) {
		int k = 0;
		while (k < nsearch && line_eq(&src[i + k], &search[k], loose))
			k++;
		if (k == nsearch) {
			if (count == 0)
				*at = i;
			count++;
		}
	}
	return count;
}

/* Applies one edit to *source (replaced by a new string on success). */
static int apply_one(char **source, const struct line *search, int nsearch,
                     const struct line *replace, int nreplace, int index,
                     char *err, size_t errlen)
{
	struct line *src;
	int nsrc = split_lines(*source, &src);
	if (nsrc < 0)
		return -ENOMEM;
	int at = -1;
	int count = count_matches(src, nsrc, search, nsearch, false, &at);
	if (count == 0)
		count = count_matches(src, nsrc, search, nsearch, true, &at);
	if (count != 1) {
		if (count == 0)
			snprintf(err, errlen, "edit %d: search text not found", index);
		else
			snprintf(err, errlen, "edit %d: search text occurs %d times", index, count);
		free(src);
		return -EINVAL;
	}
	struct strbuf sb = {0};
	int rc = 0;
	for (int i = 0; i < at && !rc; i++)
		rc = sb_add(&sb, src[i].start, src[i].len) || sb_add(&sb, "\n", 1);
	for (int i = 0; i < nreplace && !rc; i++)
		rc = sb_add(&sb, replace[i].start, replace[i].len) || sb_add(&sb, "\n", 1);
	for (int i = at + nsearch; i < nsrc && !rc; i++)
		rc = sb_add(&sb, src[i].start, src[i].len) || sb_add(&sb, "\n", 1);
	free(src);
	if (rc) {
		sb_release(&sb);
		return -ENOMEM;
	}
	/* A source without a final newline keeps that shape. */
	size_t olen = strlen(*source);
	if (olen > 0 && (*source)[olen - 1] != '\n' && sb.len > 0 &&
	    sb.buf[sb.len - 1] == '\n')
		sb_setlen(&sb, sb.len - 1);
	free(*source);
	*source = sb_detach(&sb);
	return *source ? 0 : -ENOMEM;
}

int reply_apply_edits(const char *parent, const char *text, char **out,
                      char *err, size_t errlen)
{
	*out = NULL;
	if (errlen)
		err[0] = '\0';
	char *clean = strip_think(text ? text : "");
	char *source = strdup(parent ? parent : "");
	struct line *lines = NULL;
	int n = -ENOMEM;
	if (clean && source)
		n = split_lines(clean, &lines);
	if (n < 0) {
		free(clean);
		free(source);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}

	int rc = 0;
	int edits = 0;
	for (int i = 0; i < n && !rc; i++) {
		if (marker_of(&lines[i]) != M_SEARCH)
			continue;
		edits++;
		int div = -1;
		int end = -1;
		for (int j = i + 1; j < n; j++) {
			enum marker m = marker_of(&lines[j]);
			if (m == M_DIVIDER && div < 0) {
				div = j;
			} else if (m == M_REPLACE && div >= 0) {
				end = j;
				break;
			} else if (m == M_SEARCH) {
				break;
			}
		}
		if (div < 0 || end < 0) {
			snprintf(err, errlen, "edit %d: %s", edits,
				 div < 0 ? "no ======= line after SEARCH"
					 : "no >>>>>>> REPLACE line (reply cut off?)");
			rc = -EINVAL;
			break;
		}
		int nsearch = div - i - 1;
		if (nsearch == 0) {
			snprintf(err, errlen, "edit %d: empty search text", edits);
			rc = -EINVAL;
			break;
		}
		rc = apply_one(&source, &lines[i + 1], nsearch, &lines[div + 1],
			       end - div - 1, edits, err, errlen);
		i = end;
	}
	if (!rc && edits == 0) {
		snprintf(err, errlen, "no SEARCH/REPLACE edits in the reply");
		rc = -EINVAL;
	}
	if (rc == -ENOMEM && errlen && !err[0])
		snprintf(err, errlen, "out of memory");
	free(lines);
	free(clean);
	if (rc) {
		free(source);
		return rc;
	}
	*out = source;
	return 0;
}
