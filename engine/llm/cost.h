/*
 * cost.h - the money budget of a search: prices per model and the rule
 * that stops a search before a call that could exceed max_cost.
 *
 * Prices are US dollars per million tokens, input and output, keyed by
 * model: config.json's "prices" first, then the mount-wide file
 * STATE_DIR/prices.json (the same object), e.g.
 *     {"openai::gpt-4.1": [2.0, 8.0], "claude-sonnet-4-5": [3, 15]}
 * A key matches a model spec exactly, or with its @BASE_URL left out
 * ("openai::gpt-4.1" for "openai@https://...::gpt-4.1"), or by the model's
 * name alone. Reasoning tokens are output tokens. Pure: no I/O.
 */
#ifndef AC_COST_H
#define AC_COST_H

#include <stdbool.h>
#include <stddef.h>

struct price {
	char *model;
	double in, out;    /* dollars per million tokens */
};

struct price_table {
	struct price *v;
	int n;
};

/* Parses a prices object (text of len bytes; empty or NULL is an empty
 * table). Returns 0, or -EINVAL with the reason in err (where names the
 * source: "config.json", "prices.json"), or -ENOMEM. Free with
 * cost_table_clear. */
int cost_table_parse(const char *text, size_t len, const char *where, struct price_table *t,
                     char *err, size_t errlen);
void cost_table_clear(struct price_table *t);

/* The price of model spec from first, else second (either may be NULL).
 * Returns true and fills *p (pointing into a table) when one matches. */
bool cost_price_of(const struct price_table *first, const struct price_table *second,
                   const char *spec, const struct price **p);

/* Dollars for a call that took prompt and completion tokens. */
double cost_of(const struct price *p, long prompt_tokens, long completion_tokens);

/* The most a call can cost before it is made: the prompt counted at one
 * token for every 3 bytes (tokenizers average about 4) and the full
 * output cap. */
double cost_worst(const struct price *p, size_t prompt_bytes, long output_cap);

/* May a call that could cost next be made, with spent already spent of a
 * budget of max (max <= 0: no budget)? */
bool cost_allows(double spent, double next, double max);

#endif
