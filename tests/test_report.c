/*
 * test_report.c - the harness report: parsing good reports, refusing
 * garbage and ill-typed fields with a reason, picking the last line of an
 * evaluator's output, and deciding an outcome from a harness run
 * (timeouts, crashes, floods, forged second reports, abnormal exits).
 */
#include <criterion/criterion.h>

#include "targets/judge/report.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse(const char *text, struct ac_result *r)
{
	memset(r, 0, sizeof *r);
	return ac_report_parse(text, strlen(text), r);
}

Test(report, correct)
{
	struct ac_result r;

	cr_assert_eq(parse("{\"correct\":true,\"time_ns\":123456,\"samples\":10,"
	                   "\"spread\":0.01,\"message\":\"\"}\n", &r), 0);
	cr_expect_eq(r.outcome, AC_OK);
	cr_expect_eq(r.time_ns, 123456);
	cr_expect_eq(r.samples, 10);
	cr_expect_float_eq(r.spread, 0.01, 1e-12);
	cr_expect_null(r.message);
	ac_result_clear(&r);
}

Test(report, correct_minimal_and_fractional_time)
{
	struct ac_result r;

	cr_assert_eq(parse("  {\"samples\":3,\"time_ns\":1500.6,\"correct\":true,\"extra\":[1,2]}  ",
	                   &r), 0);
	cr_expect_eq(r.outcome, AC_OK);
	cr_expect_eq(r.time_ns, 1501);
	cr_expect_eq(r.samples, 3);
	cr_expect_eq(r.spread, 0);
	ac_result_clear(&r);
}

Test(report, correct_with_note)
{
	struct ac_result r;

	cr_assert_eq(parse("{\"correct\":true,\"time_ns\":5,\"samples\":1,\"message\":\"used\\n2 threads\"}",
	                   &r), 0);
	cr_expect_str_eq(r.message, "used 2 threads");
	ac_result_clear(&r);
}

Test(report, wrong)
{
	struct ac_result r;

	cr_assert_eq(parse("{\"correct\":false,\"time_ns\":99,\"samples\":10,"
	                   "\"message\":\"C[137]: got 1.25, want 1.5\"}", &r), 0);
	cr_expect_eq(r.outcome, AC_WRONG);
	cr_expect_eq(r.time_ns, 0, "a wrong candidate has no time");
	cr_expect_str_eq(r.message, "C[137]: got 1.25, want 1.5");
	ac_result_clear(&r);

	cr_assert_eq(parse("{\"correct\":false}", &r), 0);
	cr_expect_eq(r.outcome, AC_WRONG);
	cr_expect_str_eq(r.message, "incorrect results");
	ac_result_clear(&r);
}

Test(report, long_message_bounded)
{
	char text[8192];
	struct ac_result r;
	int n = snprintf(text, sizeof text, "{\"correct\":false,\"message\":\"");

	for (int i = 0; i < 5000; i++)
		text[n++] = 'x';
	snprintf(text + n, sizeof text - (size_t)n, "\"}");
	cr_assert_eq(parse(text, &r), 0);
	cr_expect_lt(strlen(r.message), 1024);
	ac_result_clear(&r);
}

static void expect_bad(const char *text, const char *why)
{
	struct ac_result r;

	cr_expect_eq(parse(text, &r), -EBADMSG, "%s", text);
	cr_expect_eq(r.outcome, AC_RUN_ERROR, "%s", text);
	cr_expect_eq(r.time_ns, 0);
	cr_assert_not_null(r.message, "%s", text);
	cr_expect_str_eq(r.message, why, "%s", text);
	ac_result_clear(&r);
}

Test(report, garbage)
{
	expect_bad("", "empty report");
	expect_bad("   \n", "empty report");
	expect_bad("correct", "report is not JSON");
	expect_bad("{\"correct\":true", "report is not JSON");
	expect_bad("{\"correct\":true} trailing", "report is not JSON");
	expect_bad("[true]", "report is not a JSON object");
	expect_bad("42", "report is not a JSON object");
}

Test(report, missing_or_ill_typed_fields)
{
	expect_bad("{}", "report has no boolean \"correct\"");
	expect_bad("{\"correct\":1,\"time_ns\":5,\"samples\":1}", "report has no boolean \"correct\"");
	expect_bad("{\"correct\":\"true\"}", "report has no boolean \"correct\"");
	expect_bad("{\"correct\":true,\"samples\":10}", "report says correct but has no \"time_ns\"");
	expect_bad("{\"correct\":true,\"time_ns\":0,\"samples\":10}",
	           "report says correct but has no \"time_ns\"");
	expect_bad("{\"correct\":true,\"time_ns\":10}", "report says correct but has no \"samples\"");
	expect_bad("{\"correct\":true,\"time_ns\":\"fast\",\"samples\":1}",
	           "report's \"time_ns\" is not a time");
	expect_bad("{\"correct\":true,\"time_ns\":-5,\"samples\":1}",
	           "report's \"time_ns\" is not a time");
	expect_bad("{\"correct\":true,\"time_ns\":1e300,\"samples\":1}",
	           "report's \"time_ns\" is not a time");
	expect_bad("{\"correct\":true,\"time_ns\":5,\"samples\":1.5}",
	           "report's \"samples\" is not a count");
	expect_bad("{\"correct\":true,\"time_ns\":5,\"samples\":1,\"spread\":-1}",
	           "report's \"spread\" is not a non-negative number");
	expect_bad("{\"correct\":true,\"time_ns\":5,\"samples\":1,\"message\":7}",
	           "report's \"message\" is not a string");
}

Test(report, last_line)
{
	static const char out[] = "building\nrunning\n{\"correct\":true}\n\n  \n";
	size_t len;
	const char *line = ac_report_last_line(out, strlen(out), &len);

	cr_assert_not_null(line);
	cr_expect_eq(len, strlen("{\"correct\":true}"));
	cr_expect_eq(memcmp(line, "{\"correct\":true}", len), 0);

	line = ac_report_last_line("only line", 9, &len);
	cr_assert_not_null(line);
	cr_expect_eq(len, 9);

	line = ac_report_last_line("first\nlast", 10, &len);
	cr_expect_eq(len, 4);
	cr_expect_eq(memcmp(line, "last", 4), 0);

	cr_expect_null(ac_report_last_line("\n \n\t\n", 5, &len));
	cr_expect_eq(len, 0);
	cr_expect_null(ac_report_last_line("", 0, &len));
	cr_expect_null(ac_report_last_line(NULL, 0, &len));
}

Test(report, count_lines)
{
	cr_expect_eq(ac_report_count_lines("", 0), 0);
	cr_expect_eq(ac_report_count_lines(NULL, 0), 0);
	cr_expect_eq(ac_report_count_lines("{}\n", 3), 1);
	cr_expect_eq(ac_report_count_lines("{}", 2), 1);
	cr_expect_eq(ac_report_count_lines("{}\n\n {}\n", 8), 2);
	cr_expect_eq(ac_report_count_lines("\n \n", 3), 0);
}

/* A harness run's result, for ac_report_outcome. */
static struct ac_proc_result run(const char *report, int exit_code, int sig)
{
	struct ac_proc_result pr;

	memset(&pr, 0, sizeof pr);
	pr.exit_code = exit_code;
	pr.signal = sig;
	pr.output = (char *)"";
	if (report) {
		pr.report = (char *)report;
		pr.report_len = strlen(report);
	}
	return pr;
}

static void expect_outcome(const struct ac_proc_result *pr, enum ac_outcome want,
                           const char *message)
{
	struct ac_result r;

	memset(&r, 0, sizeof r);
	r.time_ns = 77;
	ac_report_outcome(pr, 2.0, &r);
	cr_expect_eq(r.outcome, want, "%s: %s", ac_outcome_name(r.outcome), r.message);
	if (message)
		cr_expect_str_eq(r.message, message);
	if (want != AC_OK)
		cr_expect_eq(r.time_ns, 0);
	ac_result_clear(&r);
}

Test(report, outcome_of_a_run)
{
	static const char good[] = "{\"correct\":true,\"time_ns\":1000,\"samples\":10,\"spread\":0.1}\n";
	struct ac_proc_result pr;
	struct ac_result r;

	pr = run(good, 0, 0);
	memset(&r, 0, sizeof r);
	cr_expect_eq(ac_report_outcome(&pr, 2.0, &r), 0);
	cr_expect_eq(r.outcome, AC_OK);
	cr_expect_eq(r.time_ns, 1000);
	ac_result_clear(&r);

	pr = run("{\"correct\":false,\"message\":\"C[0]: got nan, want 1\"}\n", 0, 0);
	expect_outcome(&pr, AC_WRONG, "C[0]: got nan, want 1");

	pr = run(NULL, 3, 0);
	expect_outcome(&pr, AC_RUN_ERROR, "no report: harness exited 3");

	pr = run(NULL, 0, SIGSEGV);
	expect_outcome(&pr, AC_RUN_ERROR, "no report: killed by SIGSEGV");

	pr = run(NULL, 0, SIGKILL);
	pr.truncated = true;
	pr.output_len = 65536;
	expect_outcome(&pr, AC_RUN_ERROR, "output flooded (65536 bytes kept), no report: killed by SIGKILL");

	pr = run(good, 0, SIGKILL);
	pr.timed_out = true;
	expect_outcome(&pr, AC_TIMEOUT, "timed out after 2.0 s");

	pr = run(NULL, 0, SIGKILL);
	pr.cancelled = true;
	expect_outcome(&pr, AC_RUN_ERROR, "cancelled");

	pr = run("{\"correct\":true,\"time_ns\":1,\"samples\":10}\n"
	         "{\"correct\":true,\"time_ns\":1000,\"samples\":10}\n", 0, 0);
	expect_outcome(&pr, AC_RUN_ERROR,
	               "2 reports on the report pipe (only the harness may write one)");

	pr = run(good, 0, SIGABRT);
	expect_outcome(&pr, AC_RUN_ERROR, "killed by SIGABRT after reporting");

	pr = run(good, 1, 0);
	expect_outcome(&pr, AC_RUN_ERROR, "harness exited 1 after reporting");

	pr = run("not json\n", 0, 0);
	expect_outcome(&pr, AC_RUN_ERROR, "report is not JSON");
}

Test(report, hardware_figures_from_the_harness)
{
	struct ac_result r;

	cr_assert_eq(parse("{\"correct\":true,\"time_ns\":100,\"samples\":1,"
	                   "\"metrics\":{\"l2_misses\":1200,\"util\":0.75}}", &r), 0);
	cr_expect_eq(r.outcome, AC_OK);
	cr_assert_str_eq(r.metrics, "{\"l2_misses\":1200,\"util\":0.75}");
	ac_result_clear(&r);
	/* a harness report's other numbers are not figures */
	cr_assert_eq(parse("{\"correct\":true,\"time_ns\":100,\"samples\":1,\"util\":1}", &r), 0);
	cr_expect_null(r.metrics);
	ac_result_clear(&r);
}

Test(report, bad_figures_make_a_run_error)
{
	struct ac_result r;
	const char *bad[] = {
		"{\"correct\":true,\"time_ns\":1,\"samples\":1,\"metrics\":[1]}",
		"{\"correct\":true,\"time_ns\":1,\"samples\":1,\"metrics\":{\"u\":\"high\"}}",
		"{\"correct\":true,\"time_ns\":1,\"samples\":1,\"metrics\":{\"9lives\":1}}",
		"{\"correct\":true,\"time_ns\":1,\"samples\":1,\"metrics\":{\"a b\":1}}",
		"{\"correct\":true,\"time_ns\":1,\"samples\":1,\"metrics\":{\"u\":1,\"u\":2}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(parse(bad[i], &r), -EBADMSG, "%s", bad[i]);
		cr_expect_eq(r.outcome, AC_RUN_ERROR);
		cr_expect(strstr(r.message, "metrics"), "%s", r.message);
		ac_result_clear(&r);
	}
	char many[4096];
	size_t n = (size_t)snprintf(many, sizeof(many), "{\"correct\":true,\"time_ns\":1,\"samples\":1,"
	                            "\"metrics\":{");
	for (int i = 0; i < 33; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "%s\"m%d\":%d", i ? "," : "", i, i);
	snprintf(many + n, sizeof(many) - n, "}}");
	cr_assert_eq(parse(many, &r), -EBADMSG, "33 figures are too many");
	ac_result_clear(&r);
}

Test(report, an_evaluators_extra_keys_are_figures)
{
	struct ac_result r = {0};
	const char *line = "{\"correct\":true,\"time_ns\":5,\"samples\":1,\"utilization\":0.5,"
	                   "\"stage\":\"run\",\"metrics\":{\"cycles\":10},\"judge\":{\"x\":1}}";

	cr_assert_eq(ac_report_parse_evaluator(line, strlen(line), &r), 0);
	cr_assert_str_eq(r.metrics, "{\"cycles\":10,\"utilization\":0.5}");
	ac_result_clear(&r);
}
