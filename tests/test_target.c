/*
 * test_target.c - the shared target interface: outcome names and their
 * round trip, the result helpers (log growth, message replacement,
 * clearing), and the registry.
 */
#include <criterion/criterion.h>

#include "targets/target.h"
#include "targets/targets.h"

#include <stdlib.h>
#include <string.h>

Test(target, outcome_names)
{
	cr_expect_str_eq(ac_outcome_name(AC_PENDING), "pending");
	cr_expect_str_eq(ac_outcome_name(AC_OK), "ok");
	cr_expect_str_eq(ac_outcome_name(AC_WRONG), "wrong");
	cr_expect_str_eq(ac_outcome_name(AC_BUILD_ERROR), "build_error");
	cr_expect_str_eq(ac_outcome_name(AC_RUN_ERROR), "run_error");
	cr_expect_str_eq(ac_outcome_name(AC_TIMEOUT), "timeout");
	cr_expect_str_eq(ac_outcome_name(AC_FAILED), "failed");
	cr_expect_str_eq(ac_outcome_name((enum ac_outcome)99), "pending");
	cr_expect_str_eq(ac_outcome_name((enum ac_outcome)-1), "pending");
}

Test(target, outcome_round_trip)
{
	for (int o = AC_PENDING; o <= AC_FAILED; o++)
		cr_expect_eq(ac_outcome_parse(ac_outcome_name((enum ac_outcome)o)), o,
		             "%s", ac_outcome_name((enum ac_outcome)o));
	cr_expect_eq(ac_outcome_parse("OK"), AC_PENDING);
	cr_expect_eq(ac_outcome_parse("bogus"), AC_PENDING);
	cr_expect_eq(ac_outcome_parse(""), AC_PENDING);
	cr_expect_eq(ac_outcome_parse(NULL), AC_PENDING);
}

Test(target, result_log_grows)
{
	struct ac_result r;

	memset(&r, 0, sizeof r);
	ac_result_logf(&r, "%s", "");
	cr_expect_null(r.log);
	ac_result_logf(&r, "$ cc -c %s\n", "input.c");
	ac_result_logf(&r, "line %d\n", 2);
	cr_expect_str_eq(r.log, "$ cc -c input.c\nline 2\n");
	for (int i = 0; i < 1000; i++)
		ac_result_logf(&r, "%04d\n", i);
	cr_expect_eq(strlen(r.log), strlen("$ cc -c input.c\nline 2\n") + 5000);
	cr_expect_not_null(strstr(r.log, "0999\n"));
	ac_result_clear(&r);
	cr_expect_null(r.log);
}

Test(target, result_message_replaced)
{
	struct ac_result r;

	memset(&r, 0, sizeof r);
	ac_result_set_message(&r, "candidate does not compile");
	cr_expect_str_eq(r.message, "candidate does not compile");
	ac_result_set_message(&r, "killed by %s", "SIGSEGV");
	cr_expect_str_eq(r.message, "killed by SIGSEGV");
	ac_result_set_message(&r, "%s", r.message);   /* its own old text */
	cr_expect_str_eq(r.message, "killed by SIGSEGV");
	ac_result_set_message(&r, "%s", "");
	cr_expect_str_eq(r.message, "");
	ac_result_clear(&r);
}

Test(target, result_clear)
{
	struct ac_result r;

	memset(&r, 0, sizeof r);
	r.outcome = AC_OK;
	r.time_ns = 123;
	r.samples = 10;
	r.spread = 0.5;
	ac_result_set_message(&r, "x");
	ac_result_logf(&r, "y");
	ac_result_clear(&r);
	cr_expect_eq(r.outcome, AC_PENDING);
	cr_expect_eq(r.time_ns, 0);
	cr_expect_eq(r.samples, 0);
	cr_expect_eq(r.spread, 0);
	cr_expect_null(r.message);
	cr_expect_null(r.log);
	ac_result_clear(&r);
	ac_result_clear(NULL);
}

Test(target, registry)
{
	const struct ac_target *const *all = ac_target_all();
	size_t n = 0;

	cr_assert_not_null(all);
	cr_assert_not_null(all[0]);
	cr_expect_str_eq(all[0]->name, "cpu", "cpu comes first");
	for (; all[n]; n++) {
		cr_expect_not_null(all[n]->name);
		cr_expect_not_null(all[n]->input_name);
		cr_expect_not_null(all[n]->probe);
		cr_expect_not_null(all[n]->build);
		cr_expect_not_null(all[n]->run);
		cr_expect_eq(ac_target_find(all[n]->name), all[n]);
		for (size_t j = 0; j < n; j++)
			cr_expect_str_neq(all[j]->name, all[n]->name);
	}
	cr_expect_leq(n, 4);
	cr_expect_eq(ac_target_all(), all, "the list is stable");
	cr_expect_eq(ac_target_find("cpu"), &ac_target_cpu);
	cr_expect_null(ac_target_find("gemmini-on-a-toaster"));
	cr_expect_null(ac_target_find(""));
	cr_expect_null(ac_target_find(NULL));
}

Test(target, registry_lists_every_target)
{
	const struct ac_target *want[] = { &ac_target_cpu, &ac_target_cuda, &ac_target_opencl,
	                                   &ac_target_command };
	const char *names[] = { "cpu", "cuda", "opencl", "command" };
	const struct ac_target *const *all = ac_target_all();
	size_t n = 0;

	for (int i = 0; i < 4; i++) {
		cr_expect_eq(ac_target_find(names[i]), want[i], "%s", names[i]);
		cr_expect_str_eq(want[i]->name, names[i]);
		cr_expect_eq(all[n], want[i], "display order: %s", names[i]);
		n++;
	}
	cr_expect_null(all[n]);
}
