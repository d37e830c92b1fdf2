/*
 * sig.c - what the input's functions take, as the compiler says it
 * (harness.h: ac_sig_scan, ac_sig_probe_source, ac_sig_apply_nm).
 *
 * Three sources, each for what it knows best:
 *  - the preprocessed input (cc -E): each function's parameters as the
 *    author wrote them, so the harness can repeat the prototype exactly
 *    (double C[ni][nj] stays that, where -aux-info would print double
 *    (*C)[]) and read the bounds an array parameter declares;
 *  - a probe that #includes the input: for every parameter and typedef
 *    it declares char arrays sized by __builtin_classify_type, sizeof and
 *    the builtin type it is compatible with, so the compiler resolves
 *    DATA_TYPE, real_t, enums and bool, never a guess of ours;
 *  - nm of the probe's object: which functions are global definitions,
 *    and every array's size, which is the answer.
 *
 * The scanner reads only the top level of the input's own lines (the line
 * markers of cc -E say which), finds NAME ( ... ) { and splits the
 * parameter list at its top-level commas. It does not type anything: a
 * declarator it cannot read (a function pointer, three levels of pointers) is
 * named as what it is and left to the harness writer.
 */
#include "targets/harness/harness.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tokens ---- */

enum tk { T_WORD, T_NUM, T_STR, T_PUNCT };

struct tok {
	enum tk kind;
	const char *s;
	int len;
	bool input;            /* on a line of the input itself */
};

struct toks {
	struct tok *v;
	int n, cap;
};

static int push(struct toks *t, enum tk kind, const char *s, int len, bool input)
{
	if (t->n == t->cap) {
		int cap = t->cap ? 2 * t->cap : 1024;
		struct tok *v = realloc(t->v, (size_t)cap * sizeof *v);

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = (struct tok){ kind, s, len, input };
	return 0;
}

/* Is the line marker's file the input? (cc -E writes the name as given.) */
static bool marker_is_input(const char *s, const char *input)
{
	const char *q = strchr(s, '"'), *e;
	size_t n = strlen(input);

	if (!q)
		return false;
	e = strchr(q + 1, '"');
	if (!e)
		return false;
	return (size_t)(e - q - 1) == n && !strncmp(q + 1, input, n);
}

const char *ac_c_literal_end(const char *p)
{
	char q = *p++;

	assert(q == '"' || q == '\'');
	while (*p && *p != q && *p != '\n') {
		if (*p == '\\' && p[1])
			p++;
		p++;
	}
	return *p == q ? p + 1 : p;
}

static int tokenize(const char *pre, const char *input, struct toks *out)
{
	const char *p = pre;
	bool at_line = true, in_input = false;

	while (*p) {
		if (*p == '\n') {
			at_line = true;
			p++;
			continue;
		}
		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		if (at_line && *p == '#') {
			/* "# 12 \"input.c\" 2": a line marker; other directives
			 * (#pragma) are skipped whole */
			const char *e = strchr(p, '\n');
			size_t n = e ? (size_t)(e - p) : strlen(p);
			char line[512];

			snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), p);
			if (isdigit((unsigned char)line[strspn(line + 1, " ") + 1]))
				in_input = marker_is_input(line, input);
			p += n;
			continue;
		}
		at_line = false;
		if (isalpha((unsigned char)*p) || *p == '_') {
			const char *a = p;

			while (isalnum((unsigned char)*p) || *p == '_')
				p++;
			if (push(out, T_WORD, a, (int)(p - a), in_input))
				return -ENOMEM;
		} else if (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1]))) {
			const char *a = p;

			while (isalnum((unsigned char)*p) || *p == '_' || *p == '.' ||
			       ((*p == '+' || *p == '-') && (p[-1] == 'e' || p[-1] == 'E' ||
			                                    p[-1] == 'p' || p[-1] == 'P')))
				p++;
			if (push(out, T_NUM, a, (int)(p - a), in_input))
				return -ENOMEM;
		} else if (*p == '"' || *p == '\'') {
			const char *a = p;

			p = ac_c_literal_end(p);
			if (push(out, T_STR, a, (int)(p - a), in_input))
				return -ENOMEM;
		} else {
			int n = (p[0] == '.' && p[1] == '.' && p[2] == '.') ? 3 : 1;

			if (push(out, T_PUNCT, p, n, in_input))
				return -ENOMEM;
			p += n;
		}
	}
	return 0;
}

static bool is(const struct tok *t, const char *s)
{
	return t->len == (int)strlen(s) && !strncmp(t->s, s, (size_t)t->len);
}

static bool is_punct(const struct tok *t, char c)
{
	return t->kind == T_PUNCT && t->len == 1 && t->s[0] == c;
}

/* Words that are part of a type or declarator, never a parameter's name
 * or a typedef name. */
static bool keyword(const struct tok *t)
{
	static const char *const kw[] = {
		"const", "volatile", "restrict", "__restrict", "__restrict__", "register", "static",
		"unsigned", "signed", "int", "char", "short", "long", "float", "double", "void",
		"_Bool", "_Complex", "__complex__", "struct", "union", "enum", "extern", "inline",
		"__inline", "__inline__", "_Noreturn", "__extension__", "__attribute__", "_Atomic",
		"__const", "__volatile__", "__int128", "_Float16", "_Float32", "_Float64", "__fp16",
		NULL
	};

	if (t->kind != T_WORD)
		return false;
	for (int i = 0; kw[i]; i++)
		if (is(t, kw[i]))
			return true;
	return false;
}

static bool qualifier(const struct tok *t)
{
	return is(t, "const") || is(t, "volatile") || is(t, "restrict") || is(t, "__restrict") ||
	       is(t, "__restrict__") || is(t, "static") || is(t, "_Atomic") || is(t, "__const");
}

/* Index of the token closing the bracket that opens at i, or -1. */
static int matching(const struct toks *t, int i, int end)
{
	char open = t->v[i].s[0];
	char close = open == '(' ? ')' : open == '[' ? ']' : '}';
	int depth = 0;

	for (int k = i; k < end; k++) {
		if (is_punct(&t->v[k], open))
			depth++;
		else if (is_punct(&t->v[k], close) && --depth == 0)
			return k;
	}
	return -1;
}

/* Appends tokens [a, b) to a string with C-like spacing. */
static char *join(const struct toks *t, int a, int b)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&buf, &len);
	const struct tok *prev = NULL;

	if (!o)
		return NULL;
	for (int k = a; k < b; k++) {
		const struct tok *c = &t->v[k];
		bool word = c->kind != T_PUNCT;

		if (prev) {
			bool pword = prev->kind != T_PUNCT;
			bool space = (pword && word) || (pword && is_punct(c, '*')) ||
			             is_punct(prev, ',') || (pword && is_punct(c, '(')) ||
			             (is_punct(prev, ')') && word);

			if (space)
				fputc(' ', o);
		}
		fprintf(o, "%.*s", c->len, c->s);
		prev = c;
	}
	if (fclose(o) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- signatures ---- */

static void param_clear(struct ac_sig_param *p)
{
	free(p->name);
	free(p->decl);
	free(p->why);
	for (int d = 0; d < p->ndims; d++)
		free(p->bound[d]);
	memset(p, 0, sizeof *p);
}

static void fn_clear(struct ac_sig_fn *f)
{
	free(f->name);
	free(f->ret);
	for (int k = 0; k < f->nparams; k++)
		param_clear(&f->params[k]);
	free(f->params);
	memset(f, 0, sizeof *f);
}

void ac_sig_free(struct ac_sig *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nfn; i++)
		fn_clear(&s->fn[i]);
	free(s->fn);
	free(s->types);
	memset(s, 0, sizeof *s);
}

const struct ac_sig_fn *ac_sig_function(const struct ac_sig *s, const char *name)
{
	if (s->nfn == 0)
		return NULL;
	if (!name)
		return &s->fn[s->nfn - 1];
	for (int i = 0; i < s->nfn; i++)
		if (!strcmp(s->fn[i].name, name))
			return &s->fn[i];
	return NULL;
}

/* Reads one parameter's declaration, tokens [a, b). */
static int read_param(const struct toks *t, int a, int b, struct ac_sig_param *p)
{
	int name = -1, depth = 0, stars_out = 0, stars_in = 0, spec_end = b;
	bool fnptr = false, name_in_paren = false;

	/* the name: the last word outside brackets that is no keyword and no
	 * struct, union or enum tag */
	for (int k = a; k < b; k++) {
		const struct tok *c = &t->v[k];

		if (is_punct(c, '['))
			depth++;
		else if (is_punct(c, ']'))
			depth--;
		else if (depth == 0 && c->kind == T_WORD && !keyword(c) &&
		         !(k > a && (is(&t->v[k - 1], "struct") || is(&t->v[k - 1], "union") ||
		                     is(&t->v[k - 1], "enum"))))
			name = k;
	}
	if (name < 0)
		return -EINVAL;
	p->name = strndup(t->v[name].s, (size_t)t->v[name].len);
	if (!p->name)
		return -ENOMEM;
	/* the specifiers end where the declarator starts */
	for (int k = a; k < b; k++)
		if (k == name || is_punct(&t->v[k], '*') || is_punct(&t->v[k], '(')) {
			spec_end = k;
			break;
		}
	depth = 0;
	for (int k = spec_end; k < name; k++) {
		if (is_punct(&t->v[k], '('))
			depth++;
		else if (is_punct(&t->v[k], ')'))
			depth--;
		else if (is_punct(&t->v[k], '*'))
			{
			if (depth)
				stars_in++;
			else
				stars_out++;
		}
	}
	name_in_paren = depth > 0;
	/* what follows the name: ")" closing the parenthesis, then [bounds] */
	int k = name + 1;
	if (name_in_paren) {
		while (k < b && !is_punct(&t->v[k], ')'))
			k++;
		k++;
	}
	if (k < b && is_punct(&t->v[k], '('))
		fnptr = true;
	while (!fnptr && k < b && is_punct(&t->v[k], '[')) {
		int close = matching(t, k, b);

		if (close < 0 || p->ndims == AC_SIG_MAXDIMS)
			return -EINVAL;
		/* the bound without the qualifiers a first dimension may carry */
		int x = k + 1;
		while (x < close && qualifier(&t->v[x]))
			x++;
		p->bound[p->ndims] = join(t, x, close);
		if (!p->bound[p->ndims])
			return -ENOMEM;
		p->ndims++;
		k = close + 1;
	}
	if (fnptr) {
		p->kind = AC_PK_OTHER;
		p->why = strdup("a function pointer");
	} else if (stars_out + stars_in == 0 && p->ndims == 0) {
		p->kind = AC_PK_SCALAR;
	} else if ((stars_out == 1 && stars_in == 0 && p->ndims == 0) ||
	           (stars_out == 0 && stars_in == 0 && p->ndims > 0) ||
	           (stars_out == 0 && stars_in == 1 && name_in_paren && p->ndims > 0)) {
		p->kind = AC_PK_BUFFER;
		if (stars_in == 1) {
			/* float (*A)[N]: the outer dimension is not declared */
			memmove(&p->bound[1], &p->bound[0], sizeof p->bound[0] * (size_t)p->ndims);
			p->bound[0] = strdup("");
			p->ndims++;
			if (!p->bound[0] || p->ndims > AC_SIG_MAXDIMS)
				return -ENOMEM;
		}
		/* a void pointer has no elements to fill */
		bool is_void = false;
		for (int s = a; s < spec_end; s++)
			is_void |= is(&t->v[s], "void");
		if (is_void) {
			p->kind = AC_PK_OTHER;
			p->why = strdup("a pointer to void");
		}
	} else if (stars_in == 0 && ((stars_out == 2 && p->ndims == 0) ||
	                             (stars_out == 1 && p->ndims == 1))) {
		/* float **rows, double *cols[n]: row pointers (their rows' count
		 * is the one bound there can be) */
		p->kind = AC_PK_TABLE;
	} else {
		p->kind = AC_PK_OTHER;
		p->why = strdup("a pointer to pointers to pointers");
	}
	if (p->kind == AC_PK_OTHER && !p->why)
		return -ENOMEM;
	p->decl = join(t, a, b);
	return p->decl ? 0 : -ENOMEM;
}

/* Adds a function whose name is token nm, params between lp and rp,
 * return type from start. */
static int add_fn(const struct toks *t, int start, int nm, int lp, int rp, struct ac_sig *s,
                  char *why, size_t whylen)
{
	struct ac_sig_fn f;
	struct ac_sig_fn *v;
	int a = lp + 1, rc = 0;

	memset(&f, 0, sizeof f);
	f.name = strndup(t->v[nm].s, (size_t)t->v[nm].len);
	if (!f.name)
		return -ENOMEM;
	/* the return type without storage class, inline and attributes */
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *o = open_memstream(&buf, &len);
		int k = start;
		bool first = true;

		if (!o) {
			fn_clear(&f);
			return -ENOMEM;
		}
		while (k < nm) {
			const struct tok *c = &t->v[k];

			if (is(c, "__attribute__") || is(c, "__declspec") || is(c, "__asm__") ||
			    is(c, "asm")) {
				if (k + 1 < nm && is_punct(&t->v[k + 1], '(')) {
					int close = matching(t, k + 1, nm);
					k = close < 0 ? nm : close + 1;
					continue;
				}
			}
			if (is(c, "extern") || is(c, "inline") || is(c, "__inline") ||
			    is(c, "__inline__") || is(c, "_Noreturn") || is(c, "__extension__") ||
			    is(c, "static")) {
				k++;
				continue;
			}
			if (!first && !is_punct(c, '*'))
				fputc(' ', o);
			else if (!first)
				fputc(' ', o);
			fprintf(o, "%.*s", c->len, c->s);
			first = false;
			k++;
		}
		if (fclose(o) != 0) {
			free(buf);
			fn_clear(&f);
			return -ENOMEM;
		}
		f.ret = buf;
	}
	/* "(void)" and "()" take nothing */
	if (!(rp == lp + 1 || (rp == lp + 2 && is(&t->v[lp + 1], "void")))) {
		int depth = 0;

		for (int k = lp + 1; k <= rp && !rc; k++) {
			const struct tok *c = &t->v[k];

			if (is_punct(c, '(') || is_punct(c, '['))
				depth++;
			else if ((is_punct(c, ')') || is_punct(c, ']')) && k < rp)
				depth--;
			if (k == rp || (depth == 0 && is_punct(c, ','))) {
				struct ac_sig_param *np =
					realloc(f.params, sizeof *np * (size_t)(f.nparams + 1));

				if (!np) {
					rc = -ENOMEM;
					break;
				}
				f.params = np;
				memset(&f.params[f.nparams], 0, sizeof f.params[0]);
				if (k - a == 1 && is(&t->v[a], "...")) {
					f.params[f.nparams].name = strdup("...");
					f.params[f.nparams].decl = strdup("...");
					f.params[f.nparams].kind = AC_PK_OTHER;
					f.params[f.nparams].why = strdup("a variable argument list");
					f.nparams++;
					if (!f.params[f.nparams - 1].why)
						rc = -ENOMEM;
				} else {
					f.nparams++;
					rc = read_param(t, a, k, &f.params[f.nparams - 1]);
					if (rc == -EINVAL)
						snprintf(why, whylen, "%s: cannot read the declaration of its "
						         "parameter %d", f.name, f.nparams);
				}
				a = k + 1;
			}
		}
	}
	if (rc) {
		fn_clear(&f);
		return rc;
	}
	v = realloc(s->fn, sizeof *v * (size_t)(s->nfn + 1));
	if (!v) {
		fn_clear(&f);
		return -ENOMEM;
	}
	s->fn = v;
	s->fn[s->nfn++] = f;
	return 0;
}

int ac_sig_scan(const char *pre, const char *input, struct ac_sig *out, char *why, size_t whylen)
{
	struct toks t = { 0 };
	int rc, start = 0;

	memset(out, 0, sizeof *out);
	rc = tokenize(pre, input, &t);
	for (int k = 0; !rc && k < t.n; k++) {
		const struct tok *c = &t.v[k];

		if (is_punct(c, ';')) {
			start = k + 1;
			continue;
		}
		if (!is_punct(c, '{'))
			continue;
		/* NAME ( ... ) [attributes] { : a function definition */
		int close = matching(&t, k, t.n);
		int e = k - 1;

		while (e > start && is_punct(&t.v[e], ')')) {
			/* skip trailing __attribute__((...)) and asm("...") groups */
			int open = -1, depth = 0;

			for (int x = e; x >= start; x--) {
				if (is_punct(&t.v[x], ')'))
					depth++;
				else if (is_punct(&t.v[x], '(') && --depth == 0) {
					open = x;
					break;
				}
			}
			if (open > start && (is(&t.v[open - 1], "__attribute__") ||
			                     is(&t.v[open - 1], "__asm__") || is(&t.v[open - 1], "asm"))) {
				e = open - 2;
				continue;
			}
			if (open > start && t.v[open - 1].kind == T_WORD && !keyword(&t.v[open - 1]) &&
			    t.v[open - 1].input)
				rc = add_fn(&t, start, open - 1, open, e, out, why, whylen);
			break;
		}
		/* skip the body (or an initializer, a struct's fields) */
		k = close < 0 ? t.n : close;
		start = k + 1;
	}
	free(t.v);
	if (rc)
		ac_sig_free(out);
	return rc;
}

/* ---- the probe ---- */

/* The builtin types a typedef can resolve to, in the order the probe
 * numbers them (1-based), and how the harness spells each. */
static const char *const builtins[] = {
	"_Bool", "char", "signed char", "unsigned char", "short", "unsigned short", "int",
	"unsigned int", "long", "unsigned long", "long long", "unsigned long long", "float",
	"double", "long double", NULL
};

/* Typedef names the harness's own headers already define. */
static bool standard_name(const char *n)
{
	static const char *const std[] = {
		"size_t", "ssize_t", "ptrdiff_t", "int8_t", "int16_t", "int32_t", "int64_t",
		"uint8_t", "uint16_t", "uint32_t", "uint64_t", "intptr_t", "uintptr_t", "intmax_t",
		"uintmax_t", "off_t", "wchar_t", "bool", "float_t", "double_t", "FILE", NULL
	};

	for (int i = 0; std[i]; i++)
		if (!strcmp(std[i], n))
			return true;
	return false;
}

/* Calls fn for every word of a declaration that names a type of the
 * input's (a typedef, or a struct/union/enum tag with its keyword). */
static void type_words(const char *decl, const char *pname,
                       void (*fn)(void *arg, const char *kw, const char *word), void *arg)
{
	const char *p = decl;
	char prev[128] = "";
	int depth = 0;

	while (*p) {
		if (*p == '[')
			depth++;
		else if (*p == ']')
			depth--;
		if (isalpha((unsigned char)*p) || *p == '_') {
			char w[128];
			size_t n = 0;

			while ((isalnum((unsigned char)*p) || *p == '_') && n + 1 < sizeof w)
				w[n++] = *p++;
			w[n] = '\0';
			while (isalnum((unsigned char)*p) || *p == '_')
				p++;
			struct tok tk = { T_WORD, w, (int)n, true };
			if (depth == 0) {
				if (!strcmp(prev, "struct") || !strcmp(prev, "union") ||
				    !strcmp(prev, "enum"))
					fn(arg, prev, w);
				else if (!keyword(&tk) && (!pname || strcmp(w, pname)))
					fn(arg, NULL, w);
			}
			snprintf(prev, sizeof prev, "%s", w);
			continue;
		}
		if (!isspace((unsigned char)*p))
			prev[0] = '\0';
		p++;
	}
}

struct words {
	char **v;
	int n;
	bool oom;
};

static void add_word(void *arg, const char *kw, const char *word)
{
	struct words *w = arg;
	char buf[160];

	if (kw)
		snprintf(buf, sizeof buf, "%s %s", kw, word);
	else if (standard_name(word))
		return;
	else
		snprintf(buf, sizeof buf, "%s", word);
	for (int i = 0; i < w->n; i++)
		if (!strcmp(w->v[i], buf))
			return;
	char **v = realloc(w->v, sizeof *v * (size_t)(w->n + 1));
	if (!v) {
		w->oom = true;
		return;
	}
	w->v = v;
	v[w->n] = strdup(buf);
	if (!v[w->n]) {
		w->oom = true;
		return;
	}
	w->n++;
}

static void words_free(struct words *w)
{
	for (int i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	memset(w, 0, sizeof *w);
}

/* Every type word of every function (return types and parameters). */
static int collect_types(const struct ac_sig *s, struct words *w)
{
	for (int i = 0; i < s->nfn; i++) {
		type_words(s->fn[i].ret, NULL, add_word, w);
		for (int k = 0; k < s->fn[i].nparams; k++)
			if (strcmp(s->fn[i].params[k].name, "..."))
				type_words(s->fn[i].params[k].decl, s->fn[i].params[k].name, add_word, w);
	}
	return w->oom ? -ENOMEM : 0;
}

/* The element expression of a parameter: its name with a [0] per level. */
static void elem_expr(FILE *o, const struct ac_sig_param *p)
{
	fputs(p->name, o);
	if (p->kind == AC_PK_BUFFER)
		for (int d = 0; d < (p->ndims ? p->ndims : 1); d++)
			fputs("[0]", o);
	else if (p->kind == AC_PK_TABLE)
		fputs("[0][0]", o);
}

static void probe_vars(FILE *o, const char *id, const char *expr, bool is_type)
{
	const char *t = is_type ? "" : "__typeof__(";
	const char *te = is_type ? "" : ")";

	if (is_type) {
		fprintf(o, "static char __attribute__((used)) %s_c[1 + __builtin_classify_type(*(%s *)0)];\n",
		        id, expr);
		fprintf(o, "static char __attribute__((used)) %s_s[1 + sizeof(%s)];\n", id, expr);
	} else {
		fprintf(o, "\tstatic char __attribute__((used)) %s_c[1 + __builtin_classify_type(%s)];\n",
		        id, expr);
		fprintf(o, "\tstatic char __attribute__((used)) %s_s[1 + sizeof(%s)];\n", id, expr);
	}
	fprintf(o, "%sstatic char __attribute__((used)) %s_b[1 + AC__HG_BT(%s%s%s)];\n",
	        is_type ? "" : "\t", id, t, expr, te);
}

char *ac_sig_probe_source(const struct ac_sig *s, const char *input)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&buf, &len);
	struct words w = { 0 };

	if (!o)
		return NULL;
	if (collect_types(s, &w)) {
		fclose(o);
		free(buf);
		words_free(&w);
		return NULL;
	}
	fprintf(o, "/* autocompfs: what the compiler says of the input's types (generated) */\n"
	           "#include \"%s\"\n\n#define AC__HG_BT(T) (", input);
	for (int i = 0; builtins[i]; i++)
		fprintf(o, "__builtin_types_compatible_p(T, %s) ? %d : ", builtins[i], i + 1);
	fprintf(o, "0)\n\n");
	for (int i = 0; i < w.n; i++) {
		char id[32];

		/* an enum is complete (its values are its size); a struct or
		 * union may not be, so only its kind is asked */
		snprintf(id, sizeof id, "ac__hg_t%d", i);
		if (!strncmp(w.v[i], "struct ", 7) || !strncmp(w.v[i], "union ", 6))
			continue;
		probe_vars(o, id, w.v[i], true);
	}
	for (int i = 0; i < s->nfn; i++) {
		const struct ac_sig_fn *f = &s->fn[i];
		bool varargs = false;

		for (int k = 0; k < f->nparams; k++)
			varargs |= !strcmp(f->params[k].name, "...");
		if (strcmp(f->ret, "void")) {
			char id[32];

			snprintf(id, sizeof id, "ac__hg_f%d_r", i);
			probe_vars(o, id, f->ret, true);
		}
		if (varargs || f->nparams == 0)
			continue;
		fprintf(o, "\nstatic void __attribute__((used)) ac__hg_f%d(", i);
		for (int k = 0; k < f->nparams; k++)
			fprintf(o, "%s%s", k ? ", " : "", f->params[k].decl);
		fprintf(o, ")\n{\n");
		for (int k = 0; k < f->nparams; k++) {
			const struct ac_sig_param *p = &f->params[k];
			char *ex = NULL, id[32];
			size_t exlen = 0;
			FILE *e;

			if (p->kind == AC_PK_OTHER)
				continue;
			e = open_memstream(&ex, &exlen);
			if (!e)
				break;
			elem_expr(e, p);
			fclose(e);
			snprintf(id, sizeof id, "ac__hg_f%d_p%d", i, k);
			probe_vars(o, id, ex, false);
			free(ex);
		}
		fprintf(o, "}\n");
	}
	words_free(&w);
	if (fclose(o) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- reading the answer ---- */

struct facts {
	int c, s, b;           /* classify + 1, sizeof + 1, builtin + 1; 0: not seen */
};

/* The probe's value for a symbol prefix id, from nm -P -S lines. */
static struct facts lookup(const char *nm, const char *id)
{
	struct facts f = { 0, 0, 0 };
	size_t n = strlen(id);

	for (const char *line = nm; line && *line;) {
		const char *eol = strchr(line, '\n');

		if (!strncmp(line, id, n) && line[n] == '_' && strchr("csb", line[n + 1]) &&
		    (line[n + 2] == ' ' || line[n + 2] == '.')) {
			/* "NAME TYPE VALUE SIZE": the size is the fourth field, hex */
			const char *q = line;
			int field = 0;

			while (q < (eol ? eol : line + strlen(line)) && field < 3) {
				if (*q == ' ') {
					field++;
					while (*q == ' ')
						q++;
					continue;
				}
				q++;
			}
			long v = field == 3 ? strtol(q, NULL, 16) : 0;
			if (line[n + 1] == 'c')
				f.c = (int)v;
			else if (line[n + 1] == 's')
				f.s = (int)v;
			else
				f.b = (int)v;
		}
		line = eol ? eol + 1 : NULL;
	}
	return f;
}

/* Is NAME a global function definition in the nm listing? */
static bool global_fn(const char *nm, const char *name)
{
	size_t n = strlen(name);

	for (const char *line = nm; line && *line;) {
		const char *eol = strchr(line, '\n');

		if (!strncmp(line, name, n) && line[n] == ' ' && line[n + 1] == 'T')
			return true;
		line = eol ? eol + 1 : NULL;
	}
	return false;
}

/* The element type of a class, size and builtin index (1-based; 0 none). */
static enum ac_etype etype_of(int cls, int size, int b)
{
	if (cls == 8)
		return size == 4 ? AC_ET_F32 : size == 8 ? AC_ET_F64 : AC_ET_NONE;
	if (cls != 1)
		return AC_ET_NONE;
	if (b == 1)
		return AC_ET_BOOL;
	if (b == 2)
		return AC_ET_CHAR;
	/* the builtin's signedness: odd indexes from 4 on are unsigned */
	bool is_unsigned = b == 4 || b == 6 || b == 8 || b == 10 || b == 12;
	if (b == 0)
		is_unsigned = false;   /* an enum with no match: its size decides */
	switch (size) {
	case 1: return is_unsigned ? AC_ET_U8 : AC_ET_I8;
	case 2: return is_unsigned ? AC_ET_U16 : AC_ET_I16;
	case 4: return is_unsigned ? AC_ET_U32 : AC_ET_I32;
	case 8: return is_unsigned ? AC_ET_U64 : AC_ET_I64;
	default: return AC_ET_NONE;
	}
}

/* Can the harness compute bound text from the function's integer
 * parameters? */
static bool bound_ok(const struct ac_sig_fn *f, const char *bound)
{
	struct ac_expr *e;
	const char *names[16];
	char why[128];
	int n;
	bool ok = true;

	if (!bound[0] || ac_expr_parse(bound, &e, why, sizeof why))
		return false;
	n = ac_expr_names(e, names, 16);
	for (int i = 0; i < n && ok; i++) {
		ok = false;
		for (int k = 0; i < 16 && k < f->nparams; k++)
			ok |= f->params[k].kind == AC_PK_SCALAR && f->params[k].etype != AC_ET_NONE &&
			      f->params[k].etype != AC_ET_F32 && f->params[k].etype != AC_ET_F64 &&
			      !strcmp(f->params[k].name, names[i]);
	}
	ac_expr_free(e);
	return ok && n <= 16;
}

/* Rewrites a parameter's declaration so that a bound the harness cannot
 * compute reads [*] (any size: compatible with the author's). */
static int settle_decl(const struct ac_sig_fn *f, struct ac_sig_param *p)
{
	bool all = p->ndims > 0;

	for (int d = 0; d < p->ndims; d++)
		all &= bound_ok(f, p->bound[d]);
	p->declared = (p->kind == AC_PK_BUFFER || p->kind == AC_PK_TABLE) && all;
	for (int d = 0; d < p->ndims; d++) {
		if (!p->bound[d][0] || bound_ok(f, p->bound[d]))
			continue;
		/* keep the declaration, change only this bound */
		char *br = p->decl;
		int seen = -1;
		for (char *q = p->decl; *q; q++) {
			if (*q == '[' && ++seen == d) {
				br = q;
				break;
			}
		}
		if (seen != d)
			continue;
		char *close = strchr(br, ']');
		if (!close)
			continue;
		char *nd = NULL;
		if (asprintf(&nd, "%.*s[%s]%s", (int)(br - p->decl), p->decl, d == 0 ? "" : "*",
		             close + 1) < 0)
			return -ENOMEM;
		free(p->decl);
		p->decl = nd;
	}
	return 0;
}

int ac_sig_apply_nm(struct ac_sig *s, const char *nm, char *why, size_t whylen)
{
	struct words w = { 0 };
	char *types = NULL;
	size_t tlen = 0;
	FILE *o;
	int kept = 0, rc;

	rc = collect_types(s, &w);
	if (rc)
		return rc;
	/* types first: the ids follow the order of collect_types */
	o = open_memstream(&types, &tlen);
	if (!o) {
		words_free(&w);
		return -ENOMEM;
	}
	struct facts *tf = calloc((size_t)w.n + 1, sizeof *tf);
	if (!tf) {
		fclose(o);
		free(types);
		words_free(&w);
		return -ENOMEM;
	}
	for (int i = 0; i < w.n; i++) {
		char id[32];

		snprintf(id, sizeof id, "ac__hg_t%d", i);
		tf[i] = lookup(nm, id);
	}
	for (int i = 0; i < s->nfn; i++) {
		struct ac_sig_fn *f = &s->fn[i];
		char id[32];

		if (!global_fn(nm, f->name) || !strcmp(f->name, "main")) {
			fn_clear(f);
			continue;
		}
		if (strcmp(f->ret, "void")) {
			snprintf(id, sizeof id, "ac__hg_f%d_r", i);
			struct facts r = lookup(nm, id);
			f->ret_etype = r.c ? etype_of(r.c - 1, r.s - 1, r.b - 1) : AC_ET_NONE;
			if (f->ret_etype == AC_ET_BOOL)
				f->ret_etype = AC_ET_U8;
		}
		for (int k = 0; k < f->nparams; k++) {
			struct ac_sig_param *p = &f->params[k];
			struct facts pf;

			if (p->kind == AC_PK_OTHER)
				continue;
			snprintf(id, sizeof id, "ac__hg_f%d_p%d", i, k);
			pf = lookup(nm, id);
			if (!pf.c) {
				snprintf(why, whylen, "%s: the compiler said nothing of parameter %s",
				         f->name, p->name);
				rc = -EINVAL;
				goto out;
			}
			p->cls = pf.c - 1;
			p->size = pf.s - 1;
			p->etype = etype_of(p->cls, p->size, pf.b - 1);
			/* an enum's type needs its definition; the harness declares the
			 * integer type it is compatible with (the compiler's choice) */
			if (p->kind == AC_PK_SCALAR && strstr(p->decl, "enum ") && pf.b - 1 >= 1 &&
			    builtins[pf.b - 2]) {
				char *nd = NULL;

				if (asprintf(&nd, "%s %s", builtins[pf.b - 2], p->name) < 0) {
					rc = -ENOMEM;
					goto out;
				}
				free(p->decl);
				p->decl = nd;
			}
			if (p->kind != AC_PK_SCALAR) {
				/* const elements: the word before the declarator */
				p->is_const = false;
				for (const char *q = p->decl; *q && *q != '*' && *q != '[' && *q != '(';
				     q++)
					if (!strncmp(q, "const", 5) && (q == p->decl || !isalnum((unsigned char)q[-1])) &&
					    !isalnum((unsigned char)q[5]) && q[5] != '_')
						p->is_const = true;
			}
			if (p->etype == AC_ET_NONE) {
				p->why = strdup(p->cls == 12 ? "a struct" : p->cls == 13 ? "a union" :
				                p->cls == 5 ? "a table of pointers" :
				                p->cls == 9 ? "complex" : "a type autocomp.h has no fill for");
				if (!p->why) {
					rc = -ENOMEM;
					goto out;
				}
				if (p->kind != AC_PK_SCALAR && p->cls == 12) {
					free(p->why);
					p->why = strdup(p->kind == AC_PK_TABLE ? "a table of pointers to structs" :
					                "a pointer to a struct");
				}
				p->kind = AC_PK_OTHER;
			}
		}
		for (int k = 0; k < f->nparams; k++) {
			rc = settle_decl(f, &f->params[k]);
			if (rc)
				goto out;
		}
		if (kept != i)
			s->fn[kept] = *f;
		kept++;
	}
	s->nfn = kept;
	if (kept == 0) {
		snprintf(why, whylen, "input.c defines no global function for a harness to call");
		rc = -EINVAL;
		goto out;
	}
	/* the harness's type lines, for the types the global functions use */
	{
		struct words used = { 0 };

		rc = collect_types(s, &used);
		for (int i = 0; !rc && i < w.n; i++) {
			bool needed = false;

			for (int u = 0; u < used.n; u++)
				needed |= !strcmp(used.v[u], w.v[i]);
			if (!needed)
				continue;
			if (!strncmp(w.v[i], "struct ", 7) || !strncmp(w.v[i], "union ", 6)) {
				fprintf(o, "%s;\n", w.v[i]);
				continue;
			}
			if (!strncmp(w.v[i], "enum ", 5))
				continue;
			int c = tf[i].c - 1, b = tf[i].b - 1;
			if (b >= 1 && builtins[b - 1])
				fprintf(o, "typedef %s %s;\n", builtins[b - 1], w.v[i]);
			else if (c == 12)
				fprintf(o, "typedef struct ac__%s %s;\n", w.v[i], w.v[i]);
			else if (c == 13)
				fprintf(o, "typedef union ac__%s %s;\n", w.v[i], w.v[i]);
			else if (c == 5)
				fprintf(o, "typedef void *%s;\n", w.v[i]);
		}
		words_free(&used);
	}
out:
	free(tf);
	words_free(&w);
	if (fclose(o) != 0 && !rc)
		rc = -ENOMEM;
	if (rc) {
		free(types);
		return rc;
	}
	free(s->types);
	s->types = types;
	return 0;
}
