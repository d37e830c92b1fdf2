/*
 * target.c - the parts of the target interface every target shares: the
 * outcome names the store and the mount use, the result helpers, and the
 * registry of targets.
 *
 * It does not build or run anything; each target module does that.
 */
#include "targets/target.h"
#include "targets/targets.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const outcome_names[AC_OUTCOMES] = {
	[AC_PENDING] = "pending",
	[AC_OK] = "ok",
	[AC_WRONG] = "wrong",
	[AC_BUILD_ERROR] = "build_error",
	[AC_RUN_ERROR] = "run_error",
	[AC_TIMEOUT] = "timeout",
	[AC_FAILED] = "failed",
};

const char *ac_outcome_name(enum ac_outcome o)
{
	if ((unsigned)o >= AC_OUTCOMES)
		return "pending";
	return outcome_names[o];
}

enum ac_outcome ac_outcome_parse(const char *name)
{
	if (!name)
		return AC_PENDING;
	for (size_t i = 0; i < AC_OUTCOMES; i++)
		if (strcmp(name, outcome_names[i]) == 0)
			return (enum ac_outcome)i;
	return AC_PENDING;
}

void ac_result_clear(struct ac_result *r)
{
	if (!r)
		return;
	free(r->message);
	free(r->judge);
	free(r->metrics);
	free(r->log);
	memset(r, 0, sizeof *r);
}

void ac_result_logf(struct ac_result *r, const char *fmt, ...)
{
	size_t old = r->log ? strlen(r->log) : 0;
	va_list ap;
	char *grown;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	grown = realloc(r->log, old + (size_t)n + 1);
	if (!grown)
		return;
	r->log = grown;
	va_start(ap, fmt);
	vsnprintf(r->log + old, (size_t)n + 1, fmt, ap);
	va_end(ap);
}

void ac_result_set_message(struct ac_result *r, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	msg = malloc((size_t)n + 1);
	if (!msg)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	va_end(ap);
	free(r->message);
	r->message = msg;
}

const char *ac_fmt_duration(double ns, char *buf, size_t len)
{
	if (ns < 1e3)
		snprintf(buf, len, "%.0f ns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.0f us", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%.3g ms", ns / 1e6);
	else
		snprintf(buf, len, "%.3g s", ns / 1e9);
	return buf;
}

const struct ac_target *ac_target_find(const char *name)
{
	if (!name)
		return NULL;
	for (const struct ac_target *const *t = ac_target_all(); *t; t++)
		if (strcmp((*t)->name, name) == 0)
			return *t;
	return NULL;
}

/* In display order, NULL-terminated. */
static const struct ac_target *const registry[] = {
	&ac_target_cpu,
	&ac_target_cuda,
	&ac_target_opencl,
	&ac_target_command,
	NULL,
};

const struct ac_target *const *ac_target_all(void)
{
	return registry;
}
