/*
 * judge.c - the judge's generated sources, from the input's prototypes as
 * gcc -aux-info prints them:
 *
 *     /+ .ac_reference.c:5:NF +/ extern void gemm (int M, double (*C)[]);
 *         /+ (M, C) int M; double (*C)[]; +/
 *
 * (one line each; "F" marks a definition). The trailing comment lists the
 * parameters' names, then each one's declaration; a declaration holding a
 * '*' or a '[' is an address whatever its shape, one whose name is
 * followed by "(" is a function pointer, any other is a scalar of the
 * type written around the name. The text printed for arrays of unknown
 * bound (double (*A)[][]) is not valid C to repeat, and need not be: a
 * stub takes every address as void *.
 *
 * What cannot be forwarded is refused here, naming the function and the
 * parameter; a typedef whose text does not reveal what it is (a struct by
 * value behind a name) is refused by a static assertion in the stub, which
 * names both too.
 */
#include "targets/judge/judge.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void proto_clear(struct ac_proto *f)
{
	free(f->name);
	free(f->ret);
	for (int k = 0; k < f->nparams; k++) {
		free(f->ptype[k]);
		free(f->pname[k]);
		free(f->pdecl[k]);
	}
	memset(f, 0, sizeof *f);
}

void ac_protos_free(struct ac_protos *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n; i++)
		proto_clear(&p->v[i]);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

static char *dup_range(const char *s, size_t n)
{
	char *d;

	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Does the type text start with the keyword kw (struct, union)? */
static bool starts_kw(const char *s, const char *kw)
{
	size_t n = strlen(kw);

	while (*s == ' ')
		s++;
	while (!strncmp(s, "const ", 6) || !strncmp(s, "volatile ", 9))
		s = strchr(s, ' ') + 1;
	return !strncmp(s, kw, n) && s[n] == ' ';
}

/* Why a scalar type cannot travel, or NULL (what the text shows; the
 * stub's static assertion catches what a typedef hides). */
static const char *unforwardable(const char *type)
{
	if (starts_kw(type, "struct") || starts_kw(type, "union"))
		return "is a struct or union passed by value: pass a pointer to it";
	if (strstr(type, "long double"))
		return "is a long double: only integers, pointers, float and double travel";
	if (strstr(type, "_Complex"))
		return "is complex: only integers, pointers, float and double travel";
	if (strstr(type, "__int128"))
		return "is a 128-bit integer: only integers of up to 64 bits travel";
	return NULL;
}

/* Takes the words const and volatile out of a scalar's type: the stub
 * copies the value into a struct of its own. */
static void strip_qualifiers(char *t)
{
	static const char *const words[] = { "const", "volatile" };

	for (size_t w = 0; w < 2; w++) {
		size_t len = strlen(words[w]);
		char *at = t;

		while ((at = strstr(at, words[w]))) {
			if ((at == t || !ident_char(at[-1])) && !ident_char(at[len]))
				memmove(at, at + len, strlen(at + len) + 1);
			else
				at += len;
		}
	}
}

/* Where the identifier name stands as a whole word in d[0..n), or NULL. */
static const char *find_word(const char *d, size_t n, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; len && i + len <= n; i++) {
		if (memcmp(d + i, name, len) == 0 && (i == 0 || !ident_char(d[i - 1])) &&
		    (i + len == n || !ident_char(d[i + len])))
			return d + i;
	}
	return NULL;
}

/* Parses one declaration "TYPE NAME" of the K&R comment, whose name the
 * comment's list gave. */
static int parse_param(struct ac_proto *f, const char *name, const char *d, size_t n, char *why,
                       size_t whylen)
{
	int k = f->nparams;
	const char *at = find_word(d, n, name), *after;
	const char *bad;

	if (f->nparams >= AC_PROTO_MAXPARAMS) {
		snprintf(why, whylen, "%s: more than %d parameters cannot be forwarded", f->name,
		         AC_PROTO_MAXPARAMS);
		return -EINVAL;
	}
	if (!at) {
		snprintf(why, whylen, "%s: a parameter has no name in its definition", f->name);
		return -EINVAL;
	}
	f->pname[k] = strdup(name);
	f->pdecl[k] = dup_range(d, n);
	if (!f->pname[k] || !f->pdecl[k])
		goto oom;
	f->nparams++;
	after = at + strlen(name);
	while (after < d + n && (*after == ')' || *after == ' '))
		after++;
	if (after < d + n && *after == '(') {
		snprintf(why, whylen, "%s: parameter %s (%s) is a function pointer: the candidate's "
		         "process cannot call the judge's code", f->name, name, f->pdecl[k]);
		return -EINVAL;
	}
	if (memchr(d, '*', n) || memchr(d, '[', n)) {
		/* an address, whatever it points to */
		f->paddr[k] = true;
		f->ptype[k] = strdup("void *");
	} else {
		/* the type is the declaration without its name */
		size_t pre = (size_t)(at - d), len = strlen(name);
		char *t = malloc(n + 1);

		if (!t)
			goto oom;
		memcpy(t, d, pre);
		memcpy(t + pre, at + len, n - pre - len);
		t[n - len] = '\0';
		strip_qualifiers(t);
		f->ptype[k] = dup_range(t, strlen(t));
		free(t);
	}
	if (!f->ptype[k])
		goto oom;
	bad = f->paddr[k] ? NULL : unforwardable(f->ptype[k]);
	if (bad) {
		snprintf(why, whylen, "%s: parameter %s (%s) %s", f->name, name, f->pdecl[k], bad);
		return -EINVAL;
	}
	return 0;
oom:
	return -ENOMEM;
}

/* Parses the declaration part "extern RET NAME (PARAMS);" and the comment. */
static int parse_line(struct ac_proto *f, const char *decl, size_t n, char *why, size_t whylen)
{
	const char *semi = memchr(decl, ';', n), *open = NULL, *close = NULL, *name;
	const char *cm, *cm_end, *p, *list_end;
	int depth = 0;
	const char *bad;

	if (!semi)
		return -EAGAIN;
	for (p = semi; p > decl; p--) {
		if (*p == ')') {
			if (!close)
				close = p;
			depth++;
		} else if (*p == '(') {
			if (--depth == 0) {
				open = p;
				break;
			}
		}
	}
	if (!open || !close)
		return -EAGAIN;
	p = open;
	while (p > decl && p[-1] == ' ')
		p--;
	name = p;
	while (name > decl && ident_char(name[-1]))
		name--;
	if (name == p)
		return -EAGAIN;
	f->name = dup_range(name, (size_t)(p - name));
	f->ret = dup_range(decl, (size_t)(name - decl));
	if (!f->name || !f->ret)
		return -ENOMEM;
	if (strchr(f->ret, '(') || strchr(f->ret, ')')) {
		snprintf(why, whylen, "%s: returns a function pointer, which cannot be forwarded",
		         f->name);
		return -EINVAL;
	}
	if (memmem(open, (size_t)(close - open), "...", 3)) {
		snprintf(why, whylen, "%s: takes a variable argument list (...), which cannot be "
		         "forwarded", f->name);
		return -EINVAL;
	}
	if (strchr(f->ret, '*')) {
		free(f->ret);
		f->ret = strdup("void *");
		if (!f->ret)
			return -ENOMEM;
	} else if (strcmp(f->ret, "void") != 0) {
		bad = unforwardable(f->ret);
		if (bad) {
			snprintf(why, whylen, "%s: its return type (%s) %s", f->name, f->ret, bad);
			return -EINVAL;
		}
	}
	/* the K&R comment: "/+ (M, A) int M; const float *A; +/" */
	cm = strstr(semi, "/*");
	cm_end = cm ? strstr(cm, "*/") : NULL;
	if (!cm || !cm_end)
		return -EAGAIN;
	p = memchr(cm, '(', (size_t)(cm_end - cm));
	list_end = p ? memchr(p, ')', (size_t)(cm_end - p)) : NULL;
	if (!p || !list_end)
		return -EAGAIN;
	p++;
	for (const char *d = list_end + 1; p < list_end;) {
		const char *comma = memchr(p, ',', (size_t)(list_end - p));
		const char *e = comma ? comma : list_end;
		char pname[256];
		const char *semi2;
		int rc;
		size_t len;

		while (p < e && *p == ' ')
			p++;
		len = (size_t)(e - p);
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len == 0 || len >= sizeof pname)
			return -EAGAIN;
		memcpy(pname, p, len);
		pname[len] = '\0';
		semi2 = memchr(d, ';', (size_t)(cm_end - d));
		if (!semi2)
			return -EAGAIN;
		rc = parse_param(f, pname, d, (size_t)(semi2 - d), why, whylen);
		if (rc)
			return rc;
		d = semi2 + 1;
		p = e + 1;
	}
	return 0;
}

int ac_protos_parse(const char *aux, const char *src, struct ac_protos *out, char *why,
                    size_t whylen)
{
	size_t srclen = strlen(src);
	const char *line = aux;
	int rc = 0;

	out->v = NULL;
	out->n = 0;
	why[0] = '\0';
	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t n = eol ? (size_t)(eol - line) : strlen(line);
		const char *p = line;
		struct ac_proto f;
		int lno = 0;

		/* "/+ SRC:LINE:NF +/ extern ..." */
		if (n > srclen + 6 && !strncmp(p, "/* ", 3) && !strncmp(p + 3, src, srclen) &&
		    p[3 + srclen] == ':') {
			const char *flags;

			p += 4 + srclen;
			lno = atoi(p);
			flags = strchr(p, ':');
			if (flags && flags < line + n) {
				const char *fe = strstr(flags, " */");
				bool def = fe && memchr(flags, 'F', (size_t)(fe - flags)) != NULL;

				if (def && !strncmp(fe + 3, " extern ", 8)) {
					struct ac_proto *v;

					memset(&f, 0, sizeof f);
					f.line = lno;
					rc = parse_line(&f, fe + 11, (size_t)(line + n - (fe + 11)), why,
					                whylen);
					if (rc == -EAGAIN) {
						/* a shape we do not know: not ours to forward */
						proto_clear(&f);
						rc = 0;
						goto next;
					}
					if (rc) {
						proto_clear(&f);
						goto fail;
					}
					v = realloc(out->v, sizeof *v * (size_t)(out->n + 1));
					if (!v) {
						proto_clear(&f);
						rc = -ENOMEM;
						goto fail;
					}
					out->v = v;
					out->v[out->n++] = f;
				}
			}
		}
next:
		line = eol ? eol + 1 : NULL;
	}
	if (out->n == 0) {
		snprintf(why, whylen, "the input defines no global function for the harness to call");
		return -EINVAL;
	}
	return 0;
fail:
	ac_protos_free(out);
	return rc;
}

/* Escapes s for a C string literal in the generated code. */
static void put_cstr(FILE *o, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', o);
		fputc(*s, o);
	}
}

/* "T0 ac__p0, T1 ac__p1" or "void". */
static void put_params(FILE *o, const struct ac_proto *f)
{
	for (int k = 0; k < f->nparams; k++)
		fprintf(o, "%s%s ac__p%d", k ? ", " : "", f->ptype[k], k);
	if (!f->nparams)
		fprintf(o, "void");
}

static void put_stub(FILE *o, const struct ac_proto *f, int index)
{
	bool is_void = !strcmp(f->ret, "void");

	fprintf(o, "/* %s, from the input's line %d */\n", f->name, f->line);
	/* the reference (its own object, the same ABI) */
	fprintf(o, "extern %s ref_%s(", f->ret, f->name);
	put_params(o, f);
	fprintf(o, ");\n");
	fprintf(o, "struct ac__args_%s {", f->name);
	for (int k = 0; k < f->nparams; k++)
		fprintf(o, " %s ac__p%d;", f->ptype[k], k);
	fprintf(o, "%s };\n", f->nparams ? "" : " char ac__none;");
	fprintf(o, "static void ac__ref_%s(const void *ac__v, void *ac__r)\n{\n"
	           "\tconst struct ac__args_%s *ac__a = (const struct ac__args_%s *)ac__v;\n\n"
	           "\t(void)ac__a;\n\t(void)ac__r;\n\t",
	        f->name, f->name, f->name);
	if (!is_void)
		fprintf(o, "*(%s *)ac__r = ", f->ret);
	fprintf(o, "ref_%s(", f->name);
	for (int k = 0; k < f->nparams; k++)
		fprintf(o, "%sac__a->ac__p%d", k ? ", " : "", k);
	fprintf(o, ");\n}\n");
	fprintf(o, "static const struct ac__jfn ac__fn_%s = { \"%s\", %d };\n", f->name, f->name,
	        index);
	fprintf(o, "%s %s(", f->ret, f->name);
	put_params(o, f);
	fprintf(o, ")\n{\n");
	for (int k = 0; k < f->nparams; k++) {
		if (f->paddr[k])
			continue;
		fprintf(o, "\t_Static_assert(AC__FWD_OK(ac__p%d), \"%s: parameter ", k, f->name);
		put_cstr(o, f->pname[k]);
		fprintf(o, " (");
		put_cstr(o, f->pdecl[k]);
		fprintf(o, ") cannot be forwarded to the candidate's process: only integers, "
		           "pointers, float and double can (a struct or union by value: pass a "
		           "pointer to it)\");\n");
	}
	if (!is_void) {
		fprintf(o, "\t%s ac__out;\n", f->ret);
		fprintf(o, "\t_Static_assert(AC__FWD_OK(ac__out), \"%s: its return type (", f->name);
		put_cstr(o, f->ret);
		fprintf(o, ") cannot be forwarded: only integers, pointers, float and double "
		           "can\");\n");
	}
	/* zeroed whole, padding too: the judge compares it between calls */
	fprintf(o, "\tstruct ac__args_%s ac__a;\n", f->name);
	fprintf(o, "\tstruct ac__farg ac__v[%d] = {\n", f->nparams ? f->nparams : 1);
	for (int k = 0; k < f->nparams; k++) {
		fprintf(o, "\t\t{ \"");
		put_cstr(o, f->pname[k]);
		fprintf(o, "\", __builtin_classify_type(ac__p%d), (int)sizeof(ac__p%d), "
		           "AC__BITS(ac__p%d) },\n", k, k, k);
	}
	if (!f->nparams)
		fprintf(o, "\t\t{ \"\", 0, 0, 0 },\n");
	fprintf(o, "\t};\n");
	fprintf(o, "\tuint64_t ac__r;\n\n\tmemset(&ac__a, 0, sizeof ac__a);\n");
	for (int k = 0; k < f->nparams; k++)
		fprintf(o, "\tac__a.ac__p%d = ac__p%d;\n", k, k);
	fprintf(o, "\tac__r = ac__j_stub_ext(&ac__fn_%s, ac__v, %d, %s, %s, &ac__a, sizeof ac__a, "
	           "ac__ref_%s);\n", f->name, f->nparams, is_void ? "0" : "AC__WCLS(ac__out)",
	        is_void ? "0" : "(int)sizeof ac__out", f->name);
	if (is_void) {
		fprintf(o, "\t(void)ac__r;\n");
	} else {
		fprintf(o, "\tif (__builtin_classify_type(ac__out) == 8)\n"
		           "\t\tmemcpy(&ac__out, &ac__r, sizeof ac__out);\n"
		           "\telse\n\t\tac__out = (%s)(uintptr_t)ac__r;\n"
		           "\treturn ac__out;\n", f->ret);
	}
	fprintf(o, "}\n\n");
}

/* What one generated file says: p and name are the generator's
 * arguments (the input's prototypes, a file name to include). */
typedef void (*put_fn)(FILE *o, const struct ac_protos *p, const char *name);

/* Runs put on a string stream; the text, or NULL when out of memory. */
static char *generate(put_fn put, const struct ac_protos *p, const char *name)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&buf, &len);

	if (!o)
		return NULL;
	put(o, p, name);
	/* only a closed stream's buffer is final */
	if (fclose(o) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void put_stubs(FILE *o, const struct ac_protos *p, const char *input)
{
	fprintf(o, "/* The stubs: a function of the judge per function of the input, which\n"
	           " * forwards the call to the candidate's process (generated). The input\n"
	           " * comes first, its functions renamed out of the way, so that its types\n"
	           " * mean here what they mean there. */\n");
	for (int i = 0; i < p->n; i++)
		fprintf(o, "#define %s ac__in_%s\n", p->v[i].name, p->v[i].name);
	fprintf(o, "#include \"");
	put_cstr(o, input);
	fprintf(o, "\"\n");
	for (int i = 0; i < p->n; i++)
		fprintf(o, "#undef %s\n", p->v[i].name);
	fprintf(o, "#include <autocomp_stub.h>\n\n");
	for (int i = 0; i < p->n; i++)
		put_stub(o, &p->v[i], i);
}

static void put_judge(FILE *o, const struct ac_protos *p, const char *harness)
{
	(void)p;
	fprintf(o, "/* The judge: the harness, with the judge's half of <autocomp.h>\n"
	           " * (generated). */\n#ifndef _GNU_SOURCE\n#define _GNU_SOURCE 1\n#endif\n"
	           "#define AC_JUDGE 1\n#include \"");
	put_cstr(o, harness);
	fprintf(o, "\"\n");
}

static void put_worker(FILE *o, const struct ac_protos *p, const char *name)
{
	(void)name;
	fprintf(o, "/* The candidate's loader: the input's functions, by name (generated). */\n"
	           "#ifndef _GNU_SOURCE\n#define _GNU_SOURCE 1\n#endif\n\n"
	           "static const char *const ac__names[] = {\n");
	for (int i = 0; i < p->n; i++)
		fprintf(o, "\t\"%s\",\n", p->v[i].name);
	fprintf(o, "};\n#define AC__NFNS %d\n#include <autocomp_worker.h>\n", p->n);
}

static void put_keep(FILE *o, const struct ac_protos *p, const char *name)
{
	(void)name;
	for (int i = 0; i < p->n; i++)
		fprintf(o, "%s\n", p->v[i].name);
}

char *ac_stubs_source(const struct ac_protos *p, const char *input)
{
	return generate(put_stubs, p, input);
}

char *ac_judge_source(const char *harness)
{
	return generate(put_judge, NULL, harness);
}

char *ac_worker_source(const struct ac_protos *p)
{
	return generate(put_worker, p, NULL);
}

char *ac_protos_keep(const struct ac_protos *p)
{
	return generate(put_keep, p, NULL);
}
