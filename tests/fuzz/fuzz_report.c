/*
 * fuzz_report.c - libFuzzer harness for the harness report
 * (targets/judge/report.c: ac_report_parse, ac_report_last_line,
 * ac_report_count_lines).
 *
 * The input is what a harness (or a candidate trying to forge one) wrote
 * on the report pipe, not NUL-terminated. Checks the contract: 0 means
 * AC_OK (with a time and samples) or AC_WRONG (time 0), -EBADMSG means
 * AC_RUN_ERROR with a reason, and a message is always one line.
 */
#include "targets/judge/report.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct ac_result r;
	size_t line_len;

	memset(&r, 0, sizeof(r));
	const char *line = ac_report_last_line(text, size, &line_len);
	if (line && (line < text || line + line_len > text + size))
		abort();
	size_t lines = ac_report_count_lines(text, size);
	if ((lines == 0) != (line == NULL))
		abort();

	int rc = ac_report_parse(text, size, &r);
	if (rc == 0) {
		if (r.outcome == AC_OK && (r.time_ns < 1 || r.samples < 1))
			abort();
		if (r.outcome == AC_WRONG && (r.time_ns != 0 || !r.message))
			abort();
		if (r.outcome != AC_OK && r.outcome != AC_WRONG)
			abort();
	} else {
		if (rc != -EBADMSG || r.outcome != AC_RUN_ERROR || !r.message)
			abort();
	}
	if (r.message && strpbrk(r.message, "\n\r"))
		abort();
	ac_result_clear(&r);
	return 0;
}
