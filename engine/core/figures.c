/*
 * figures.c - one definition of each count and figure (figures.h).
 *
 * Pure functions over candidate rows: no store, no locks. The engine's
 * status lines and every rendered view of the mount call these, never
 * their own arithmetic.
 */
#include "engine/core/figures.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "targets/target.h"

void cand_tally(const struct cand_row *rows, int n, struct cand_tally *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < n; i++) {
		const struct cand_row *c = &rows[i];
		if (c->num == 0)
			continue;
		enum ac_outcome o = c->outcome;
		assert(o >= 0 && o < AC_OUTCOMES);
		t->candidates++;
		t->outcome[o]++;
		t->tokens += c->tokens;
		if (o == AC_PENDING)
			t->pending++;
		else if (cand_is_duplicate(c))
			t->duplicates++;
		else if (o == AC_FAILED)
			t->failed++;
		else
			t->evaluated++;
	}
}

void cand_tally_words(const struct cand_tally *t, char *buf, size_t len)
{
	const struct {
		int n;
		const char *word;
	} part[] = {
		{t->evaluated, "evaluated"},
		{t->duplicates, t->duplicates == 1 ? "duplicate" : "duplicates"},
		{t->failed, "without code"},
		{t->pending, ac_outcome_name(AC_PENDING)},
	};
	size_t at = 0;
	int w = snprintf(buf, len, "%d candidate%s", t->candidates, t->candidates == 1 ? "" : "s");
	at = w > 0 && (size_t)w < len ? (size_t)w : len ? len - 1 : 0;
	bool open = false;
	for (size_t i = 0; t->candidates && i < sizeof(part) / sizeof(part[0]); i++) {
		if (!part[i].n)
			continue;
		w = snprintf(buf + at, len - at, "%s%d %s", open ? ", " : " (", part[i].n, part[i].word);
		at += w > 0 && (size_t)w < len - at ? (size_t)w : len - at - 1;
		open = true;
	}
	if (open && at + 1 < len) {
		buf[at++] = ')';
		buf[at] = '\0';
	}
}

void cand_tally_add(struct cand_tally *a, const struct cand_tally *b)
{
	a->candidates += b->candidates;
	a->evaluated += b->evaluated;
	a->duplicates += b->duplicates;
	a->failed += b->failed;
	a->pending += b->pending;
	for (int o = 0; o < AC_OUTCOMES; o++)
		a->outcome[o] += b->outcome[o];
	a->tokens += b->tokens;
}

bool cand_is_duplicate(const struct cand_row *c)
{
	return c->same_as >= 0;
}

bool cand_reusable(const struct cand_row *c)
{
	return !cand_is_duplicate(c) && c->outcome != AC_FAILED;
}

double cand_speedup(const struct cand_row *input, const struct cand_row *c)
{
	int64_t in_ns, c_ns;
	if (!cand_figures(input, c, &in_ns, &c_ns))
		return 0;
	return (double)in_ns / (double)c_ns;
}

int64_t cand_time(const struct cand_row *c)
{
	if (!c || c->outcome != AC_OK)
		return 0;
	return c->retime_ns > 0 ? c->retime_ns : c->time_ns > 0 ? c->time_ns : 0;
}

bool cand_figures(const struct cand_row *input, const struct cand_row *c, int64_t *in_ns,
                  int64_t *c_ns)
{
	*in_ns = 0;
	*c_ns = 0;
	int64_t ct = cand_time(c), it = cand_time(input);
	if (!ct || !it)
		return false;
	/* measured together (interleaved) only when both were re-timed */
	*in_ns = input->retime_ns > 0 && c->retime_ns > 0 ? input->retime_ns
	         : input->time_ns > 0 ? input->time_ns : 0;
	*c_ns = ct;
	if (!*in_ns) {
		*c_ns = 0;
		return false;
	}
	return true;
}

bool cand_speedup_interval(const struct cand_row *c, double *lo, double *hi)
{
	*lo = *hi = 0;
	if (!c || !c->verdict || !c->verdict[0] || c->outcome != AC_OK)
		return false;
	cJSON *v = cJSON_Parse(c->verdict);
	const cJSON *r = cJSON_GetObjectItem(cJSON_GetObjectItem(v, "retime"), "ratio_95");
	bool ok = cJSON_GetArraySize(r) == 2 && cJSON_IsNumber(cJSON_GetArrayItem(r, 0)) &&
	          cJSON_IsNumber(cJSON_GetArrayItem(r, 1));
	if (ok) {
		/* a time ratio (candidate / input): the speedup is its inverse */
		double a = cJSON_GetArrayItem(r, 0)->valuedouble, b = cJSON_GetArrayItem(r, 1)->valuedouble;
		ok = a > 0 && b >= a;
		if (ok) {
			*lo = 1 / b;
			*hi = 1 / a;
		}
	}
	cJSON_Delete(v);
	return ok;
}
