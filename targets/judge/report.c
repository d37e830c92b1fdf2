/*
 * report.c - read a harness report and decide a candidate's outcome from a
 * harness run.
 *
 * The report is the only channel a harness has to say "correct, and this
 * fast": it arrives on a pipe the sandbox opens (never stdout, which the
 * candidate shares and could forge), or as the last stdout line of a
 * command target's evaluator. This file trusts nothing in it: anything
 * that is not exactly the expected JSON becomes a run error with a reason.
 * It does not run anything itself.
 */
#include "targets/judge/report.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static int line_has_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_blank(s[i]))
			return 1;
	return 0;
}

const char *ac_report_last_line(const char *buf, size_t len, size_t *line_len)
{
	size_t end = len;

	*line_len = 0;
	if (!buf)
		return NULL;
	while (end > 0) {
		size_t start = end;

		while (start > 0 && buf[start - 1] != '\n')
			start--;
		if (line_has_text(buf + start, end - start)) {
			*line_len = end - start;
			return buf + start;
		}
		if (start == 0)
			break;
		end = start - 1;
	}
	return NULL;
}

size_t ac_report_count_lines(const char *buf, size_t len)
{
	size_t count = 0;
	size_t start = 0;

	if (!buf)
		return 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || buf[i] == '\n') {
			if (line_has_text(buf + start, i - start))
				count++;
			start = i + 1;
		}
	}
	return count;
}

static int bad(struct ac_result *r, const char *why)
{
	r->outcome = AC_RUN_ERROR;
	r->time_ns = 0;
	r->samples = 0;
	r->spread = 0;
	ac_result_set_message(r, "%s", why);
	return -EBADMSG;
}

/* Copies the message, flattened to one line and bounded. */
static void set_harness_message(struct ac_result *r, const char *msg)
{
	char line[1024];
	size_t n = 0;

	for (const char *p = msg; *p && n + 1 < sizeof line; p++)
		line[n++] = (*p == '\n' || *p == '\r' || *p == '\t') ? ' ' : *p;
	line[n] = '\0';
	ac_result_set_message(r, "%s", line);
}

/* A figure's name: a letter or '_', then letters, digits, '_', '.', '-'. */
static int metric_name_ok(const char *n)
{
	size_t len = strlen(n);

	if (len == 0 || len > AC_METRIC_NAME_MAX)
		return 0;
	if (!((n[0] >= 'a' && n[0] <= 'z') || (n[0] >= 'A' && n[0] <= 'Z') || n[0] == '_'))
		return 0;
	for (const char *p = n; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '.' || *p == '-'))
			return 0;
	return 1;
}

static int is_report_key(const char *k)
{
	static const char *const known[] = {"correct", "time_ns", "samples", "spread", "message",
	                                    "error", "judge", "metrics", NULL};

	for (int i = 0; known[i]; i++)
		if (!strcmp(known[i], k))
			return 1;
	return 0;
}

/* Collects the hardware figures: the "metrics" object (every member a
 * finite number under a good name, or the report is refused), and with
 * extra, the report's other top-level numbers (a command evaluator's
 * extra keys; its strings and objects stay ignored, as before). */
static int parse_metrics(const cJSON *root, int extra, struct ac_result *r)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "metrics");
	cJSON *out = cJSON_CreateObject();
	const cJSON *it;
	int n = 0;

	if (!out)
		return -ENOMEM;
	if (m && !cJSON_IsObject(m)) {
		cJSON_Delete(out);
		return bad(r, "report's \"metrics\" is not an object");
	}
	cJSON_ArrayForEach(it, m) {
		if (!metric_name_ok(it->string) || !cJSON_IsNumber(it) || !isfinite(it->valuedouble) ||
		    ++n > AC_METRICS_MAX || cJSON_GetObjectItemCaseSensitive(out, it->string)) {
			cJSON_Delete(out);
			return bad(r, "report's \"metrics\" must name at most 32 figures, each a finite "
			           "number");
		}
		cJSON_AddNumberToObject(out, it->string, it->valuedouble);
	}
	cJSON_ArrayForEach(it, (extra ? root : NULL)) {
		if (is_report_key(it->string) || !cJSON_IsNumber(it) || !isfinite(it->valuedouble) ||
		    !metric_name_ok(it->string) || cJSON_GetObjectItemCaseSensitive(out, it->string))
			continue;
		if (++n > AC_METRICS_MAX)
			break;
		cJSON_AddNumberToObject(out, it->string, it->valuedouble);
	}
	free(r->metrics);
	r->metrics = n ? cJSON_PrintUnformatted(out) : NULL;
	cJSON_Delete(out);
	return 0;
}

static int parse_report(const char *text, size_t len, struct ac_result *r, int extra);

int ac_report_parse(const char *text, size_t len, struct ac_result *r)
{
	return parse_report(text, len, r, 0);
}

int ac_report_parse_evaluator(const char *text, size_t len, struct ac_result *r)
{
	return parse_report(text, len, r, 1);
}

static int parse_report(const char *text, size_t len, struct ac_result *r, int extra)
{
	const cJSON *correct, *time_ns, *samples, *spread, *message, *error, *judge;
	const char *end = NULL;
	cJSON *root;
	int rc;

	if (!text || !line_has_text(text, len))
		return bad(r, "empty report");
	root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!root)
		return bad(r, "report is not JSON");
	if (end && line_has_text(end, len - (size_t)(end - text))) {
		cJSON_Delete(root);
		return bad(r, "report is not JSON");   /* one object, nothing after it */
	}
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return bad(r, "report is not a JSON object");
	}
	correct = cJSON_GetObjectItemCaseSensitive(root, "correct");
	time_ns = cJSON_GetObjectItemCaseSensitive(root, "time_ns");
	samples = cJSON_GetObjectItemCaseSensitive(root, "samples");
	spread = cJSON_GetObjectItemCaseSensitive(root, "spread");
	message = cJSON_GetObjectItemCaseSensitive(root, "message");
	error = cJSON_GetObjectItemCaseSensitive(root, "error");
	judge = cJSON_GetObjectItemCaseSensitive(root, "judge");
	if (cJSON_IsObject(judge)) {
		char *j = cJSON_PrintUnformatted(judge);

		free(r->judge);
		r->judge = j;
	}
	if (error) {
		/* the judge could not judge: the candidate's process misbehaved */
		if (!cJSON_IsString(error) || !*error->valuestring) {
			rc = bad(r, "report's \"error\" is not a string");
			goto out;
		}
		rc = bad(r, "x");
		set_harness_message(r, error->valuestring);
		goto out;
	}

	if (!cJSON_IsBool(correct)) {
		rc = bad(r, "report has no boolean \"correct\"");
		goto out;
	}
	if (message && !cJSON_IsString(message) && !cJSON_IsNull(message)) {
		rc = bad(r, "report's \"message\" is not a string");
		goto out;
	}
	if (time_ns && (!cJSON_IsNumber(time_ns) || !isfinite(time_ns->valuedouble) ||
	                time_ns->valuedouble < 0 || time_ns->valuedouble > 9.2e18)) {
		rc = bad(r, "report's \"time_ns\" is not a time");
		goto out;
	}
	if (samples && (!cJSON_IsNumber(samples) || samples->valuedouble < 0 ||
	                samples->valuedouble > 1e9 ||
	                samples->valuedouble != floor(samples->valuedouble))) {
		rc = bad(r, "report's \"samples\" is not a count");
		goto out;
	}
	if (spread && (!cJSON_IsNumber(spread) || !isfinite(spread->valuedouble) ||
	               spread->valuedouble < 0)) {
		rc = bad(r, "report's \"spread\" is not a non-negative number");
		goto out;
	}
	if (cJSON_IsTrue(correct)) {
		if (!time_ns || time_ns->valuedouble < 1) {
			rc = bad(r, "report says correct but has no \"time_ns\"");
			goto out;
		}
		if (!samples || samples->valuedouble < 1) {
			rc = bad(r, "report says correct but has no \"samples\"");
			goto out;
		}
	}

	rc = parse_metrics(root, extra, r);
	if (rc)
		goto out;
	r->outcome = cJSON_IsTrue(correct) ? AC_OK : AC_WRONG;
	r->time_ns = time_ns ? (int64_t)llround(time_ns->valuedouble) : 0;
	r->samples = samples ? (int)samples->valuedouble : 0;
	r->spread = spread ? spread->valuedouble : 0;
	if (r->outcome == AC_WRONG) {
		/* A wrong candidate's time means nothing. */
		r->time_ns = 0;
		set_harness_message(r, cJSON_IsString(message) && *message->valuestring
		                           ? message->valuestring : "incorrect results");
	} else if (cJSON_IsString(message) && *message->valuestring) {
		set_harness_message(r, message->valuestring);
	} else {
		free(r->message);
		r->message = NULL;
	}
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

int ac_report_outcome(const struct ac_proc_result *pr, double timeout_s,
                      struct ac_result *r)
{
	char how[96];
	char flood[96] = "";
	size_t reports;

	r->time_ns = 0;
	r->samples = 0;
	r->spread = 0;
	if (!pr->signal && !pr->timed_out && !pr->cancelled)
		snprintf(how, sizeof how, "harness exited %d", pr->exit_code);
	else
		ac_proc_describe(pr, timeout_s, how, sizeof how);
	if (pr->cancelled) {
		r->outcome = AC_RUN_ERROR;
		ac_result_set_message(r, "cancelled");
		return -EBADMSG;
	}
	if (pr->timed_out) {
		r->outcome = AC_TIMEOUT;
		ac_result_set_message(r, "%s", how);
		return -EBADMSG;
	}
	reports = ac_report_count_lines(pr->report, pr->report_len);
	if (reports > 1) {
		r->outcome = AC_RUN_ERROR;
		ac_result_set_message(r, "%zu reports on the report pipe (only the harness may write one)",
		                      reports);
		return -EBADMSG;
	}
	if (reports == 0) {
		if (pr->truncated)
			snprintf(flood, sizeof flood, "output flooded (%zu bytes kept), ",
			         pr->output_len);
		r->outcome = AC_RUN_ERROR;
		ac_result_set_message(r, "%sno report: %s", flood, how);
		return -EBADMSG;
	}
	if (pr->signal || pr->exit_code != 0) {
		r->outcome = AC_RUN_ERROR;
		ac_result_set_message(r, "%s after reporting", how);
		return -EBADMSG;
	}
	return ac_report_parse(pr->report, pr->report_len, r);
}
