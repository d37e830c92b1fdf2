/*
 * test_calldesc.c - config.json's "call" (engine/core/calldesc.c) and what
 * config.json gained with it: comments, and "strategy": "none".
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "engine/core/calldesc.h"
#include "engine/core/config.h"

static int call_of(const char *json, struct ac_call *c, char *err)
{
	return calldesc_parse_text(json, c, err, 400);
}

Test(calldesc, every_key_read_into_its_field)
{
	struct ac_call c;
	char err[400];
	const char *json =
		"{\"function\": \"saxpy\", \"args\": {\"n\": 1000, \"a\": 2.5, \"flag\": true,"
		" \"x\": \"n\", \"y\": {\"length\": \"n\", \"access\": \"both\", \"range\": [-2, \"n\"],"
		" \"values\": \"nonzero\", \"tolerance\": {\"rtol\": 1e-5, \"atol\": 1e-7}}},"
		" \"reduction\": \"n\", \"tolerance\": 0.001}";

	cr_assert_eq(call_of(json, &c, err), 0, "%s", err);
	cr_assert_str_eq(c.function, "saxpy");
	cr_assert_eq(c.nargs, 5);
	cr_assert(c.args[0].has_value && c.args[0].integral);
	cr_assert_float_eq(c.args[0].value, 1000, 1e-9);
	cr_assert(c.args[1].has_value && !c.args[1].integral);
	cr_assert(c.args[2].has_value && c.args[2].value == 1);
	cr_assert(c.args[3].buffer);
	cr_assert_str_eq(c.args[3].length, "n");
	cr_assert_eq(c.args[4].access, AC_ACCESS_BOTH);
	cr_assert_str_eq(c.args[4].lo, "-2");
	cr_assert_str_eq(c.args[4].hi, "n");
	cr_assert_eq(c.args[4].values, AC_VALUES_NONZERO);
	cr_assert(c.args[4].has_tol);
	cr_assert_float_eq(c.args[4].rtol, 1e-5, 1e-12);
	cr_assert_str_eq(c.reduction, "n");
	cr_assert(c.has_tol);
	cr_assert_float_eq(c.atol, 0.001, 1e-12);
	ac_call_clear(&c);
	cr_assert_null(c.args);
}

Test(calldesc, every_refusal_names_the_key)
{
	struct ac_call c;
	char err[400];
	struct { const char *json, *says; } bad[] = {
		{ "[]", "\"call\" must be an object" },
		{ "{\"argz\": {}}", "unknown key \"argz\"" },
		{ "{\"args\": {\"x\": {\"lenght\": \"n\"}}}", "x: unknown key \"lenght\"" },
		{ "{\"args\": {\"x\": {\"access\": \"rw\"}}}", "\"access\" must be \"read\", \"write\" or \"both\"" },
		{ "{\"args\": {\"x\": {\"values\": \"spd\"}}}", "\"values\" must be" },
		{ "{\"args\": {\"x\": {\"range\": [1]}}}", "\"range\" must be [low, high]" },
		{ "{\"args\": {\"x\": {\"range\": [2, 1]}}}", "from low to high" },
		{ "{\"args\": {\"x\": \"n*\"}}", "the length of x is not an expression" },
		{ "{\"args\": {\"x\": [1]}}", "x must be a number" },
		{ "{\"args\": {\"x\": \"n\", \"x\": \"n\"}}", "x is described twice" },
		{ "{\"args\": {\"1x\": 3}}", "is not a parameter name" },
		{ "{\"args\": {\"x\": {\"tolerance\": -1}}}", "\"tolerance\" must be" },
		{ "{\"function\": 3}", "\"function\" must be" },
		{ "{\"reduction\": \"n +\"}", "reduction" },
		{ NULL, NULL }
	};

	for (int i = 0; bad[i].json; i++) {
		cr_assert_eq(call_of(bad[i].json, &c, err), -EINVAL, "%s", bad[i].json);
		cr_assert(strstr(err, bad[i].says), "%s: %s", bad[i].json, err);
		cr_assert(!strncmp(err, "config.json: ", 13), "%s", err);
	}
}

Test(calldesc, config_json_keeps_the_call_as_compact_json)
{
	struct ac_config cfg;
	char err[400];
	const char *text = "{\"iterations\": 2, \"call\": {\"args\": {\"x\": \"n\"}}}";

	cr_assert_eq(config_parse(text, strlen(text), &cfg, err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(cfg.call, "{\"args\":{\"x\":\"n\"}}");
	config_clear(&cfg);
	text = "{\"call\": {\"args\": {\"x\": {\"access\": \"sideways\"}}}}";
	cr_assert_eq(config_parse(text, strlen(text), &cfg, err, sizeof err), -EINVAL);
	cr_assert(strstr(err, "\"access\""), "%s", err);
}

Test(calldesc, comments_are_allowed_where_the_draft_puts_them)
{
	struct ac_config cfg;
	char err[400];
	const char *text =
		"// autocompfs-generated draft 0123: edit it\n"
		"{\n"
		"  \"models\": [\"openai@http://127.0.0.1:8000/v1::m\"],  // a URL keeps its //\n"
		"  /* a block */ \"call\": {\"args\": {\"x\": \"n\"  // guess\n"
		"  }}\n"
		"}\n";

	cr_assert_eq(config_parse(text, strlen(text), &cfg, err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(cfg.models[0], "openai@http://127.0.0.1:8000/v1::m");
	cr_assert_not_null(cfg.call);
	config_clear(&cfg);
	text = "// only a comment\n";
	cr_assert_eq(config_parse(text, strlen(text), &cfg, err, sizeof err), 0, "%s", err);
	config_clear(&cfg);
	text = "{\"a\": 1 // unclosed\n";
	cr_assert_eq(config_parse(text, strlen(text), &cfg, err, sizeof err), -EINVAL);
	cr_assert(strstr(err, "invalid JSON"), "%s", err);
}

Test(calldesc, strategy_none_is_the_baseline_only)
{
	struct ac_config cfg;
	char err[400];
	const char *text = "{\"strategy\": \"none\"}";

	cr_assert_eq(config_parse(text, strlen(text), &cfg, err, sizeof err), 0, "%s", err);
	cr_assert_eq(cfg.strategy, STRATEGY_NONE);
	config_clear(&cfg);
	text = "{\"strategy\": \"nothing\"}";
	cr_assert_eq(config_parse(text, strlen(text), &cfg, err, sizeof err), -EINVAL);
	cr_assert(strstr(err, "\"none\" (the baseline only)"), "%s", err);
}
