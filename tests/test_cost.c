/*
 * test_cost.c - prices per model and the money-budget rule.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "engine/llm/cost.h"

static const char *TABLE = "{\"openai::gpt-4.1\": [2.0, 8.0], \"claude-sonnet-4-5\": [3, 15], "
                           "\"openai@http://127.0.0.1:9/v1::mock\": [1, 1]}";

Test(cost, prices_match_by_spec_without_url_or_by_name)
{
	struct price_table t;
	char err[300];
	cr_assert_eq(cost_table_parse(TABLE, strlen(TABLE), "config.json", &t, err, sizeof(err)), 0,
	             "%s", err);
	const struct price *p;
	cr_assert(cost_price_of(&t, NULL, "openai::gpt-4.1", &p));
	cr_assert_float_eq(p->in, 2.0, 1e-12);
	cr_assert(cost_price_of(&t, NULL, "openai@https://api.openai.com/v1::gpt-4.1", &p));
	cr_assert_float_eq(p->out, 8.0, 1e-12);
	cr_assert(cost_price_of(&t, NULL, "anthropic::claude-sonnet-4-5", &p));
	cr_assert_float_eq(p->out, 15.0, 1e-12);
	cr_assert(cost_price_of(&t, NULL, "openai@http://127.0.0.1:9/v1::mock", &p));
	cr_assert_float_eq(p->in, 1.0, 1e-12);
	cr_assert_not(cost_price_of(&t, NULL, "openai::gpt-5", &p));
	cost_table_clear(&t);
}

Test(cost, the_first_table_wins)
{
	struct price_table a, b;
	char err[300];
	const char *ta = "{\"m\": [1, 2]}", *tb = "{\"m\": [5, 6], \"n\": [7, 8]}";
	cr_assert_eq(cost_table_parse(ta, strlen(ta), "config.json", &a, err, sizeof(err)), 0);
	cr_assert_eq(cost_table_parse(tb, strlen(tb), "prices.json", &b, err, sizeof(err)), 0);
	const struct price *p;
	cr_assert(cost_price_of(&a, &b, "openai::m", &p));
	cr_assert_float_eq(p->in, 1.0, 1e-12);
	cr_assert(cost_price_of(&a, &b, "openai::n", &p));
	cr_assert_float_eq(p->in, 7.0, 1e-12);
	cost_table_clear(&a);
	cost_table_clear(&b);
}

Test(cost, bad_prices_are_refused_in_words)
{
	struct price_table t;
	char err[300];
	const char *bad[] = {"[1, 2]", "{\"m\": [1]}", "{\"m\": [-1, 2]}", "{\"m\": \"cheap\"}",
	                     "{\"m\": [1, 2, 3]}", "{\"m\": [1, \"x\"]}", "not json"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(cost_table_parse(bad[i], strlen(bad[i]), "prices.json", &t, err,
		                              sizeof(err)), -EINVAL, "%s", bad[i]);
		cr_assert(strstr(err, "prices.json"), "%s", err);
	}
	cr_assert_eq(cost_table_parse("  ", 2, "x", &t, err, sizeof(err)), 0, "blank is empty");
	cr_assert_eq(t.n, 0);
}

Test(cost, a_call_costs_its_tokens_and_the_worst_case_counts_the_cap)
{
	struct price p = {"m", 2.0, 8.0};
	cr_assert_float_eq(cost_of(&p, 1000000, 0), 2.0, 1e-9);
	cr_assert_float_eq(cost_of(&p, 500000, 250000), 3.0, 1e-9);
	/* 3000 bytes of prompt count as 1001 tokens, plus the whole output cap */
	cr_assert_float_eq(cost_worst(&p, 3000, 4096), (1001 * 2.0 + 4096 * 8.0) / 1e6, 1e-12);
}

Test(cost, the_budget_allows_a_call_only_when_its_worst_case_fits)
{
	cr_assert(cost_allows(0, 1, 0), "no budget");
	cr_assert(cost_allows(4.0, 1.0, 5.0));
	cr_assert_not(cost_allows(4.5, 0.6, 5.0));
	cr_assert_not(cost_allows(5.0, 0.0001, 5.0));
}
