/*
 * reuse.c - schedule reuse: choosing the donor and reading its schedule.
 *
 * The schedule is the same chain the donor's `schedule` file shows: from
 * best.c back to the input through each candidate's parent. LLM steps
 * steer a share of the first iterations' plan prompts (reuse_steer_step);
 * tuner steps ("tune: TILE 32 -> 64") give the tuner the donor's point to
 * try first, which is how reuse helps a search with no model.
 *
 * The donor: the kernel config.json names, or, when several could serve
 * (a list, or true for any earlier kernel of the mount), the one that fits:
 * the same input (comments and layout aside) and the closest shapes. Why
 * those two: a schedule is a chain of edits to one code, which on another
 * code may not even apply (the tuner matches knobs by name), and the best
 * tile sizes follow the sizes a kernel is called with. A kernel's sizes
 * live in its harness (the input takes them as arguments), so the shapes
 * are read from there: the integer constants it names.
 *
 * What it does not do: decide whether the schedule pays off on this
 * kernel. The tuner and the search keep the exploration of a free run
 * (tuner.c, search.c), so a schedule that does not transfer costs at most
 * its share.
 */
#include "engine/search/reuse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/codehash.h"
#include "engine/core/config.h"
#include "engine/core/host.h"
#include "engine/search/knob.h"
#include "engine/util/util.h"

int reuse_steer_step(int iteration, int nsteps, int prompt)
{
	if (iteration < 1 || iteration > nsteps || prompt < 0 || prompt % REUSE_SHARE)
		return -1;
	return iteration - 1;
}

/* ---- shapes ---- */

static bool ident_char(int c)
{
	return isalnum(c) || c == '_';
}

/* A copy of src with comments and the insides of string and character
 * literals blanked, so that the scan below sees code only. */
static char *code_only(const char *src)
{
	char *out = strdup(src);
	if (!out)
		return NULL;
	for (char *p = out; *p;) {
		if (p[0] == '/' && p[1] == '*') {
			char *e = strstr(p + 2, "*/");
			char *end = e ? e + 2 : p + strlen(p);
			memset(p, ' ', (size_t)(end - p));
			p = end;
		} else if (p[0] == '/' && p[1] == '/') {
			while (*p && *p != '\n')
				*p++ = ' ';
		} else if (*p == '"' || *p == '\'') {
			char q = *p++;
			while (*p && *p != q && *p != '\n') {
				if (*p == '\\' && p[1])
					*p++ = ' ';
				*p++ = ' ';
			}
			if (*p == q)
				p++;
		} else {
			p++;
		}
	}
	return out;
}

/* An integer literal at *p (decimal, hex or octal, with any u/l suffix);
 * advances *p past it. False when there is none. */
static bool int_literal(const char **p, long long *v)
{
	const char *s = *p;
	char *end;
	if (!isdigit((unsigned char)*s))
		return false;
	*v = strtoll(s, &end, 0);
	while (*end == 'u' || *end == 'U' || *end == 'l' || *end == 'L')
		end++;
	if (ident_char((unsigned char)*end) || *end == '.')
		return false;   /* 1e3, 2.5, 0x1p3: not an integer size */
	*p = end;
	return true;
}

static void shape_add(struct reuse_shape *s, const char *name, size_t len, long long v)
{
	if (s->n >= REUSE_SHAPE_MAX || len == 0 || len >= sizeof(s->name[0]))
		return;
	for (int i = 0; i < s->n; i++)
		if (strlen(s->name[i]) == len && !strncmp(s->name[i], name, len))
			return;   /* the first definition counts */
	memcpy(s->name[s->n], name, len);
	s->name[s->n][len] = '\0';
	s->value[s->n] = v;
	s->n++;
}

void reuse_shape_parse(const char *harness, struct reuse_shape *out)
{
	memset(out, 0, sizeof(*out));
	char *code = harness ? code_only(harness) : NULL;
	if (!code)
		return;
	bool line_start = true;
	for (const char *p = code; *p;) {
		if (*p == '\n') {
			line_start = true;
			p++;
			continue;
		}
		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		if (line_start && *p == '#') {
			/* #define NAME INTEGER, alone on its line */
			const char *q = p + 1;
			while (*q == ' ' || *q == '\t')
				q++;
			if (!strncmp(q, "define", 6) && (q[6] == ' ' || q[6] == '\t')) {
				q += 6;
				while (*q == ' ' || *q == '\t')
					q++;
				const char *name = q;
				while (ident_char((unsigned char)*q))
					q++;
				size_t len = (size_t)(q - name);
				while (*q == ' ' || *q == '\t')
					q++;
				long long v;
				if (len && int_literal(&q, &v)) {
					while (*q == ' ' || *q == '\t' || *q == '\r')
						q++;
					if (!*q || *q == '\n')
						shape_add(out, name, len, v);
				}
			}
			while (*p && *p != '\n')
				p++;
			continue;
		}
		line_start = false;
		if (!isalpha((unsigned char)*p) && *p != '_') {
			/* skip a number or punctuation whole, so "x1 = 2" is not
			 * read from the middle of "0x1" */
			if (isdigit((unsigned char)*p))
				while (ident_char((unsigned char)*p) || *p == '.')
					p++;
			else
				p++;
			continue;
		}
		/* NAME = INTEGER followed by , ; or ) */
		const char *name = p;
		while (ident_char((unsigned char)*p))
			p++;
		size_t len = (size_t)(p - name);
		const char *q = p;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q != '=' || q[1] == '=')
			continue;
		q++;
		while (*q == ' ' || *q == '\t')
			q++;
		long long v;
		if (!int_literal(&q, &v))
			continue;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == ',' || *q == ';' || *q == ')')
			shape_add(out, name, len, v);
	}
	free(code);
}

static int shape_find(const struct reuse_shape *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->name[i], name))
			return i;
	return -1;
}

double reuse_shape_distance(const struct reuse_shape *a, const struct reuse_shape *b,
                            int *unmatched)
{
	double d = 0;
	int un = 0;
	for (int i = 0; i < a->n; i++) {
		int j = shape_find(b, a->name[i]);
		if (j < 0) {
			un++;
			continue;
		}
		long long x = a->value[i], y = b->value[j];
		if (x == y)
			continue;
		/* a size of 0 has no ratio: compare one more of each */
		if (x <= 0 || y <= 0)
			d += fabs(log((double)(llabs(x) + 1) / (double)(llabs(y) + 1)));
		else
			d += fabs(log((double)x / (double)y));
	}
	for (int j = 0; j < b->n; j++)
		un += shape_find(a, b->name[j]) < 0;
	if (unmatched)
		*unmatched = un;
	return d;
}

/* "M 512 -> 384, N 512 -> 768" for the sizes that differ from the donor's
 * (from) to this kernel's (to), or "the same sizes". */
static void shape_words(const struct reuse_shape *from, const struct reuse_shape *to,
                        struct strbuf *sb)
{
	int shown = 0, more = 0, unmatched = 0;
	reuse_shape_distance(from, to, &unmatched);
	for (int i = 0; i < to->n; i++) {
		int j = shape_find(from, to->name[i]);
		if (j < 0 || from->value[j] == to->value[i])
			continue;
		if (shown == 6) {
			more++;
			continue;
		}
		sb_addf(sb, "%s%s %lld -> %lld", shown ? ", " : "", to->name[i], from->value[j],
		        to->value[i]);
		shown++;
	}
	if (!shown)
		sb_adds(sb, "the same sizes");
	if (more)
		sb_addf(sb, " and %d more", more);
	if (unmatched)
		sb_addf(sb, " (%d size%s named in one harness only)", unmatched,
		        unmatched == 1 ? "" : "s");
}

/* ---- the choice ---- */

enum fit {
	FIT_NO_RUN,          /* the kernel never ran */
	FIT_NO_SCHEDULE,     /* nothing beat its input yet */
	FIT_OTHER_INPUT,
	FIT_YES,
};

struct judged {
	enum fit fit;
	bool same_input;
	int unmatched;
	double distance;
	struct reuse_shape shape;
};

/* True when a is a better donor than b (both fit). */
static bool closer(const struct judged *a, const struct reuse_kernel *ka,
                   const struct judged *b, const struct reuse_kernel *kb)
{
	if (a->same_input != b->same_input)
		return a->same_input;
	if (a->unmatched != b->unmatched)
		return a->unmatched < b->unmatched;
	if (a->distance != b->distance)
		return a->distance < b->distance;
	return ka->created_ns > kb->created_ns;
}

static void why_not(const struct judged *j, const struct judged *chosen,
                    const struct reuse_shape *here, struct strbuf *sb)
{
	switch (j->fit) {
	case FIT_NO_RUN:
		sb_adds(sb, "never ran");
		break;
	case FIT_NO_SCHEDULE:
		sb_adds(sb, "no schedule: nothing beat its input");
		break;
	case FIT_OTHER_INPUT:
		sb_adds(sb, "another input");
		break;
	case FIT_YES:
		if (chosen && chosen->same_input && !j->same_input) {
			sb_adds(sb, "another input");
		} else if (chosen && j->unmatched == chosen->unmatched &&
		           j->distance == chosen->distance) {
			sb_adds(sb, "shapes as close, an older run");
		} else {
			sb_adds(sb, "farther shapes: ");
			shape_words(&j->shape, here, sb);
		}
		break;
	}
}

int reuse_choose(const struct reuse_kernel *here, const struct reuse_kernel *k, int n,
                 bool any_input, struct strbuf *words)
{
	char hh[32];
	if (!here->input || codehash(here->input, here->input_name, hh, sizeof(hh)))
		return -1;
	struct reuse_shape *hs = malloc(sizeof(*hs));
	struct judged *j = calloc((size_t)n + 1, sizeof(*j));
	if (!hs || !j) {
		free(hs);
		free(j);
		return -1;
	}
	reuse_shape_parse(here->harness, hs);
	int best = -1;
	for (int i = 0; i < n; i++) {
		char h[32];
		if (!k[i].input) {
			j[i].fit = FIT_NO_RUN;
			continue;
		}
		j[i].same_input = codehash(k[i].input, k[i].input_name, h, sizeof(h)) == 0 &&
		                  !strcmp(h, hh);
		/* another input first: it is so whatever its search found (which
		 * can change from one run to the next) */
		if (!j[i].same_input && !any_input)
			j[i].fit = FIT_OTHER_INPUT;
		else if (!k[i].schedule)
			j[i].fit = FIT_NO_SCHEDULE;
		else
			j[i].fit = FIT_YES;
		reuse_shape_parse(k[i].harness, &j[i].shape);
		j[i].distance = reuse_shape_distance(&j[i].shape, hs, &j[i].unmatched);
		if (j[i].fit == FIT_YES && (best < 0 || closer(&j[i], &k[i], &j[best], &k[best])))
			best = i;
	}
	if (best >= 0) {
		sb_addf(words, "donor %s: ", k[best].name);
		if (j[best].same_input) {
			sb_adds(words, "the same input, ");
			shape_words(&j[best].shape, hs, words);
		} else {
			sb_adds(words, "another input (named in config.json): only its steps that "
			        "apply here count");
		}
	} else if (n == 0) {
		sb_adds(words, "no earlier kernel to choose from");
	} else {
		sb_adds(words, any_input ? "no donor" :
		        "no earlier kernel fits (the same input, with a schedule)");
	}
	int listed = 0;
	for (int i = 0; i < n; i++) {
		if (i == best)
			continue;
		if (listed == 8) {
			sb_addf(words, "; and %d more", n - (best >= 0) - listed);
			break;
		}
		sb_addf(words, "%s%s (", listed ? ", " : best >= 0 ? "; passed over: " : ": ",
		        k[i].name);
		why_not(&j[i], best >= 0 ? &j[best] : NULL, hs, words);
		sb_adds(words, ")");
		listed++;
	}
	free(hs);
	free(j);
	return best;
}

/* ---- the store's side ---- */

/* An earlier kernel as the store has it; strings owned. */
struct donor {
	struct reuse_kernel k;
	char *name;
	struct run_row run;
	bool have_run;
	char *harness;
};

static void donor_clear(struct donor *d)
{
	free(d->name);
	free(d->harness);
	if (d->have_run)
		run_row_clear(&d->run);
	memset(d, 0, sizeof(*d));
}

/* The harness text among a run's files (harness.c, harness.cu...). */
static char *harness_of(const struct file_row *f, int n)
{
	for (int i = 0; i < n; i++)
		if (!strncmp(f[i].name, "harness.", 8) && f[i].data)
			return strdup(f[i].data);
	return NULL;
}

static int donor_load(struct store *s, const struct kernel_row *row, struct donor *d)
{
	memset(d, 0, sizeof(*d));
	d->name = strdup(row->name);
	if (!d->name)
		return -ENOMEM;
	d->k.name = d->name;
	if (store_run_latest(s, row->id, &d->run) == 0) {
		d->have_run = true;
		d->k.input = d->run.input;
		d->k.input_name = d->run.input_name;
		d->k.schedule = d->run.best > 0;
		d->k.created_ns = d->run.created_ns;
		struct file_row *files;
		int nf;
		if (store_run_files(s, d->run.id, &files, &nf) == 0) {
			d->harness = harness_of(files, nf);
			d->k.harness = d->harness;
			file_rows_free(files, nf);
		}
	}
	return 0;
}

/* Appends the first line of each plan from run's input to its best. */
static void add_chain(struct store *s, const struct run_row *run, struct strbuf *text)
{
	struct cand_row *rows;
	int n;
	if (store_cand_list(s, run->id, &rows, &n))
		return;
	int64_t chain[256];
	int nc = 0;
	for (int64_t num = run->best; num > 0 && nc < 256;) {
		const struct cand_row *c = NULL;
		for (int i = 0; i < n && !c; i++)
			if (rows[i].num == num)
				c = &rows[i];
		if (!c)
			break;
		chain[nc++] = num;
		num = c->parent;
	}
	for (int i = nc - 1; i >= 0; i--)
		for (int j = 0; j < n; j++)
			if (rows[j].num == chain[i]) {
				sb_add(text, rows[j].plan, strcspn(rows[j].plan, "\n"));
				sb_adds(text, "\n");
			}
	cand_rows_free(rows, n);
}

static bool named(char *const *names, const char *name)
{
	for (int i = 0; names && names[i]; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

/* Chooses the donor (logging which, or why none) and appends its chain. */
static void add_donor(struct run_ctx *rc, struct strbuf *text)
{
	struct store *s = rc->host->writer;
	struct kernel_row *rows;
	int n;
	if (store_kernel_list(s, &rows, &n)) {
		run_log(rc, "reuse: the kernels could not be read; searching freely");
		return;
	}
	struct donor *d = calloc((size_t)n + 1, sizeof(*d));
	int nd = 0;
	for (int i = 0; d && i < n; i++) {
		if (rows[i].id == rc->kid)
			continue;
		if (!rc->cfg.reuse_any && !named(rc->cfg.reuse, rows[i].name))
			continue;
		if (donor_load(s, &rows[i], &d[nd]) == 0)
			nd++;
	}
	/* a name that is no kernel (or this one) is said, not skipped silently */
	for (int i = 0; rc->cfg.reuse && rc->cfg.reuse[i]; i++) {
		bool found = false;
		for (int j = 0; j < nd && !found; j++)
			found = !strcmp(d[j].name, rc->cfg.reuse[i]);
		if (!found)
			run_log(rc, "reuse: no earlier kernel \"%s\"%s", rc->cfg.reuse[i],
			        !strcmp(rc->cfg.reuse[i], rc->kernel_name) ? " (that is this kernel)" : "");
	}
	kernel_rows_free(rows, n);
	if (!d)
		return;
	struct reuse_kernel *ks = calloc((size_t)nd + 1, sizeof(*ks));
	char *harness = harness_of(rc->files, rc->nfiles);
	struct reuse_kernel here = {
		.name = rc->kernel_name,
		.input = rc->row.input,
		.input_name = rc->row.input_name,
		.harness = harness,
	};
	struct strbuf words = {0};
	int chosen = -1;
	if (ks) {
		for (int i = 0; i < nd; i++)
			ks[i] = d[i].k;
		bool one_named = !rc->cfg.reuse_any && strv_len(rc->cfg.reuse) == 1;
		chosen = reuse_choose(&here, ks, nd, one_named, &words);
	}
	if (chosen >= 0) {
		run_log(rc, "reuse: %s", words.buf ? words.buf : "");
		add_chain(s, &d[chosen].run, text);
	} else if (nd > 0 || rc->cfg.reuse_any) {
		run_log(rc, "reuse: %s; searching freely", words.buf ? words.buf : "no donor");
	} else {
		run_log(rc, "reuse: no donor; searching freely");
	}
	sb_release(&words);
	free(harness);
	free(ks);
	for (int i = 0; i < nd; i++)
		donor_clear(&d[i]);
	free(d);
}

int reuse_steps(struct run_ctx *rc, char ***steps)
{
	struct strbuf text = {0};
	*steps = NULL;
	if (rc->cfg.reuse || rc->cfg.reuse_any)
		add_donor(rc, &text);
	for (int i = 0; i < rc->nfiles; i++)
		if (!strcmp(rc->files[i].name, "reuse.schedule"))
			sb_add(&text, rc->files[i].data, rc->files[i].size);
	int n = 0;
	if (text.len) {
		*steps = strv_split(text.buf, '\n');
		n = strv_len(*steps);
	}
	sb_release(&text);
	return n;
}

int reuse_knob_values(char *const *steps, const struct knob_set *ks, int *values)
{
	for (int i = 0; i < ks->count; i++)
		values[i] = -1;
	int set = 0;
	for (int s = 0; steps && steps[s]; s++) {
		const char *p = strstr(steps[s], "tune:");
		if (!p)
			continue;
		p += 5;
		/* "NAME FROM -> TO, NAME FROM -> TO" */
		char **parts = strv_split(p, ',');
		for (int k = 0; parts && parts[k]; k++) {
			char name[128], from[128], to[128];
			if (sscanf(parts[k], "%127s %127s -> %127s", name, from, to) != 3)
				continue;
			for (int i = 0; i < ks->count; i++) {
				if (strcmp(ks->knobs[i].name, name))
					continue;
				for (int v = 0; v < ks->knobs[i].nvalues; v++)
					if (!strcmp(ks->knobs[i].values[v], to)) {
						set += values[i] < 0;
						values[i] = v;
					}
			}
		}
		strv_free(parts);
	}
	return set;
}
