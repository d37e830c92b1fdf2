/*
 * cost.c - prices, what a call costs, and the budget rule (cost.h).
 *
 * Strict like config.c: a price that is not two non-negative numbers is
 * refused, because a typo here would let a search spend what its owner
 * meant to cap.
 */
#include "engine/llm/cost.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cost_table_clear(struct price_table *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->n; i++)
		free(t->v[i].model);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

int cost_table_parse(const char *text, size_t len, const char *where, struct price_table *t,
                     char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	size_t i = 0;
	while (text && i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' ||
	                           text[i] == '\r'))
		i++;
	if (!text || i == len)
		return 0;
	cJSON *root = cJSON_ParseWithLength(text, len);
	if (!cJSON_IsObject(root)) {
		snprintf(err, errlen, "%s: \"prices\" must be an object of model: [input, output] "
		         "dollars per million tokens", where);
		cJSON_Delete(root);
		return -EINVAL;
	}
	int n = cJSON_GetArraySize(root);
	t->v = calloc((size_t)n + 1, sizeof(*t->v));
	if (!t->v) {
		cJSON_Delete(root);
		return -ENOMEM;
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, root) {
		const cJSON *a = cJSON_GetArrayItem(it, 0), *b = cJSON_GetArrayItem(it, 1);
		if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) != 2 || !cJSON_IsNumber(a) ||
		    !cJSON_IsNumber(b) || !isfinite(a->valuedouble) || !isfinite(b->valuedouble) ||
		    a->valuedouble < 0 || b->valuedouble < 0 || !it->string[0]) {
			snprintf(err, errlen, "%s: the price of \"%s\" must be [input, output], two "
			         "non-negative numbers of dollars per million tokens", where, it->string);
			cJSON_Delete(root);
			cost_table_clear(t);
			return -EINVAL;
		}
		t->v[t->n].model = strdup(it->string);
		t->v[t->n].in = a->valuedouble;
		t->v[t->n].out = b->valuedouble;
		if (!t->v[t->n].model) {
			cJSON_Delete(root);
			cost_table_clear(t);
			return -ENOMEM;
		}
		t->n++;
	}
	cJSON_Delete(root);
	return 0;
}

/* "provider@url::model" -> "provider::model" in buf; the name alone in *name. */
static void spec_forms(const char *spec, char *buf, size_t len, const char **name)
{
	const char *sep = strstr(spec, "::");
	*name = sep ? sep + 2 : spec;
	const char *at = strchr(spec, '@');
	if (sep && at && at < sep)
		snprintf(buf, len, "%.*s%s", (int)(at - spec), spec, sep);
	else
		snprintf(buf, len, "%s", spec);
}

static const struct price *find(const struct price_table *t, const char *key)
{
	for (int i = 0; t && i < t->n; i++)
		if (!strcmp(t->v[i].model, key))
			return &t->v[i];
	return NULL;
}

bool cost_price_of(const struct price_table *first, const struct price_table *second,
                   const char *spec, const struct price **p)
{
	char plain[512];
	const char *name;
	spec_forms(spec, plain, sizeof(plain), &name);
	const char *keys[] = {spec, plain, name};
	const struct price_table *tables[] = {first, second};
	for (int t = 0; t < 2; t++)
		for (int k = 0; k < 3; k++) {
			const struct price *f = find(tables[t], keys[k]);
			if (f) {
				*p = f;
				return true;
			}
		}
	return false;
}

double cost_of(const struct price *p, long prompt_tokens, long completion_tokens)
{
	return ((double)prompt_tokens * p->in + (double)completion_tokens * p->out) / 1e6;
}

double cost_worst(const struct price *p, size_t prompt_bytes, long output_cap)
{
	return cost_of(p, (long)(prompt_bytes / 3 + 1), output_cap);
}

bool cost_allows(double spent, double next, double max)
{
	return max <= 0 || spent + next <= max + 1e-12;
}
