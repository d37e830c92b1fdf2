/*
 * report.h - the harness report: one JSON object a harness (through
 * autocomp.h's ac_report) or a command target's evaluator emits,
 *
 *     {"correct":true,"time_ns":123456,"samples":10,"spread":0.01,"message":""}
 *
 * turned into a struct ac_result, and the rules that decide an outcome from
 * a sandboxed run of a harness (shared by the cpu, cuda and opencl targets).
 */
#ifndef AC_REPORT_H
#define AC_REPORT_H

#include <stddef.h>

#include "targets/exec/sandbox.h"
#include "targets/target.h"

/* Parses one report (surrounding whitespace allowed) into r: outcome AC_OK
 * when "correct" is true, AC_WRONG when it is false (message = the
 * harness's message, or "incorrect results" when it gave none); time_ns,
 * samples and spread from the report. "correct" must be a boolean;
 * "time_ns" a positive number and "samples" a positive integer when
 * correct is true (optional when false); "spread" and "message" are
 * optional; other keys are ignored.
 * Returns 0 on success. On garbage or a missing/ill-typed field returns
 * -EBADMSG and sets r->outcome = AC_RUN_ERROR with r->message saying why
 * ("report is not JSON", "report has no boolean \"correct\"", ...).
 * r->log is left alone; the other fields of r are overwritten. */
int ac_report_parse(const char *text, size_t len, struct ac_result *r);

/* Hardware figures: a report may carry "metrics": {"name": number, ...}
 * (autocomp.h's ac_metric); ac_report_parse keeps them in r->metrics (a
 * JSON object, NULL when there are none). A "metrics" that is not an
 * object of at most AC_METRICS_MAX finite numbers under names of letters,
 * digits, '_', '.' and '-' (a letter or '_' first, at most
 * AC_METRIC_NAME_MAX bytes) makes the report a run error. */
#define AC_METRICS_MAX 32
#define AC_METRIC_NAME_MAX 48

/* ac_report_parse for a command target's evaluator: besides "metrics",
 * its other top-level numeric keys ("utilization": 0.8) are figures too. */
int ac_report_parse_evaluator(const char *text, size_t len, struct ac_result *r);

/* The last line of buf[0..len) that holds more than whitespace, without
 * its newline: returns a pointer into buf and stores its length in
 * *line_len, or returns NULL (and stores 0) when there is none. */
const char *ac_report_last_line(const char *buf, size_t len, size_t *line_len);

/* How many lines of buf[0..len) hold more than whitespace. */
size_t ac_report_count_lines(const char *buf, size_t len);

/* Decides r's outcome from a sandboxed harness run whose report came on
 * the report pipe (pr->report). In order:
 *   cancelled                 -> AC_RUN_ERROR "cancelled"
 *   timed out                 -> AC_TIMEOUT "timed out after N s"
 *   more than one report line -> AC_RUN_ERROR (someone forged a report)
 *   no report                 -> AC_RUN_ERROR "no report: harness exited 3",
 *                                "no report: killed by SIGSEGV", prefixed
 *                                with "output flooded (N bytes kept), " when
 *                                the output hit its cap
 *   report, abnormal exit     -> AC_RUN_ERROR "harness exited 3 after reporting"
 *   otherwise                 -> ac_report_parse's verdict.
 * Only the report pipe counts: a JSON object on stdout is never read.
 * timeout_s is the limit the run had (for the message). Appends nothing to
 * r->log; overwrites outcome, time_ns, samples, spread and message.
 * Returns 0 when the harness delivered a valid report (r is AC_OK or
 * AC_WRONG), -EBADMSG when it did not (r says why). */
int ac_report_outcome(const struct ac_proc_result *pr, double timeout_s,
                      struct ac_result *r);

#endif
