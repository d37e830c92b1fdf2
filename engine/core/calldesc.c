/*
 * calldesc.c - config.json's "call" read into a struct ac_call
 * (calldesc.h).
 *
 * As strict as the rest of config.json, for the same reason: a key that
 * is silently ignored ("lenght") would give a harness that tests
 * something else than the user meant, and a search that optimizes it.
 * Every message names the parameter and the key.
 */
#include "engine/core/calldesc.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "config.json: \"call\": "

/* A number or an expression, as text. */
static int end_text(const cJSON *v, char **out)
{
	char buf[64];

	if (cJSON_IsString(v)) {
		*out = strdup(v->valuestring);
	} else {
		snprintf(buf, sizeof buf, "%.17g", v->valuedouble);
		*out = strdup(buf);
	}
	return *out ? 0 : -ENOMEM;
}

static int tolerance(const cJSON *v, const char *who, bool *has, double *rtol, double *atol,
                     char *err, size_t errlen)
{
	if (cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble >= 0) {
		*rtol = *atol = v->valuedouble;
		*has = true;
		return 0;
	}
	if (cJSON_IsObject(v)) {
		const cJSON *it;

		*rtol = *atol = 0;
		cJSON_ArrayForEach(it, v) {
			bool r = !strcmp(it->string, "rtol");

			if ((!r && strcmp(it->string, "atol")) || !cJSON_IsNumber(it) ||
			    !isfinite(it->valuedouble) || it->valuedouble < 0)
				goto bad;
			*(r ? rtol : atol) = it->valuedouble;
		}
		*has = true;
		return 0;
	}
bad:
	snprintf(err, errlen, PREFIX "%s\"tolerance\" must be a number or {\"rtol\": 1e-5, "
	         "\"atol\": 1e-8}", who);
	return -EINVAL;
}

static int buffer(const cJSON *v, struct ac_call_arg *a, char *err, size_t errlen)
{
	const cJSON *it;
	char who[300];

	snprintf(who, sizeof who, "\"args\": %s: ", a->name);
	a->buffer = true;
	if (cJSON_IsString(v)) {
		a->length = strdup(v->valuestring);
		return a->length ? 0 : -ENOMEM;
	}
	cJSON_ArrayForEach(it, v) {
		const char *k = it->string;

		if (!strcmp(k, "length")) {
			if (!cJSON_IsString(it) && !cJSON_IsNumber(it))
				goto type;
			free(a->length);
			if (end_text(it, &a->length))
				return -ENOMEM;
		} else if (!strcmp(k, "rows")) {
			if (!cJSON_IsString(it) && !cJSON_IsNumber(it)) {
				snprintf(err, errlen, PREFIX "%s\"rows\" must be an expression such as \"n\"",
				         who);
				return -EINVAL;
			}
			free(a->rows);
			if (end_text(it, &a->rows))
				return -ENOMEM;
		} else if (!strcmp(k, "access")) {
			int w = cJSON_IsString(it) ? ac_access_parse(it->valuestring) : -1;

			if (w < 0) {
				snprintf(err, errlen, PREFIX "%s\"access\" must be \"read\", \"write\" or "
				         "\"both\"", who);
				return -EINVAL;
			}
			a->access = (enum ac_access)w;
		} else if (!strcmp(k, "values")) {
			int w = cJSON_IsString(it) ? ac_values_parse(it->valuestring) : -1;

			if (w < 0) {
				snprintf(err, errlen, PREFIX "%s\"values\" must be %s", who,
				         ac_values_words());
				return -EINVAL;
			}
			a->values = (enum ac_values)w;
		} else if (!strcmp(k, "range")) {
			const cJSON *lo = cJSON_GetArrayItem(it, 0), *hi = cJSON_GetArrayItem(it, 1);

			if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) != 2 ||
			    !(cJSON_IsNumber(lo) || cJSON_IsString(lo)) ||
			    !(cJSON_IsNumber(hi) || cJSON_IsString(hi))) {
				snprintf(err, errlen, PREFIX "%s\"range\" must be [low, high] (numbers, "
				         "or expressions such as \"n-1\")", who);
				return -EINVAL;
			}
			free(a->lo);
			free(a->hi);
			a->lo = a->hi = NULL;
			if (end_text(lo, &a->lo) || end_text(hi, &a->hi))
				return -ENOMEM;
		} else if (!strcmp(k, "tolerance")) {
			int rc = tolerance(it, who, &a->has_tol, &a->rtol, &a->atol, err, errlen);

			if (rc)
				return rc;
		} else {
			snprintf(err, errlen, PREFIX "%sunknown key \"%s\" (a pointer takes \"length\", "
			         "\"access\", \"range\", \"values\" and \"tolerance\"; a table of rows "
			         "\"rows\" too)", who, k);
			return -EINVAL;
		}
	}
	return 0;
type:
	snprintf(err, errlen, PREFIX "%s\"length\" must be an expression such as \"n\" or "
	         "\"M*K\"", who);
	return -EINVAL;
}

static int one_arg(const cJSON *v, struct ac_call_arg *a, char *err, size_t errlen)
{
	a->name = strdup(v->string);
	if (!a->name)
		return -ENOMEM;
	if (cJSON_IsNumber(v)) {
		if (!isfinite(v->valuedouble))
			goto bad;
		a->has_value = true;
		a->value = v->valuedouble;
		a->integral = v->valuedouble == floor(v->valuedouble);
		return 0;
	}
	if (cJSON_IsBool(v)) {
		a->has_value = true;
		a->value = cJSON_IsTrue(v) ? 1 : 0;
		a->integral = true;
		return 0;
	}
	if (cJSON_IsString(v) || cJSON_IsObject(v))
		return buffer(v, a, err, errlen);
bad:
	snprintf(err, errlen, PREFIX "\"args\": %s must be a number (a scalar parameter), or a "
	         "length or an object (a pointer)", v->string);
	return -EINVAL;
}

int calldesc_parse(const cJSON *v, struct ac_call *out, char *err, size_t errlen)
{
	const cJSON *it;
	int rc = 0;

	memset(out, 0, sizeof *out);
	if (!cJSON_IsObject(v)) {
		snprintf(err, errlen, "config.json: \"call\" must be an object: {\"args\": {\"n\": "
		         "1000, \"x\": \"n\"}}");
		return -EINVAL;
	}
	cJSON_ArrayForEach(it, v) {
		const char *k = it->string;

		if (!strcmp(k, "function")) {
			if (!cJSON_IsString(it)) {
				snprintf(err, errlen, PREFIX "\"function\" must be a function's name");
				rc = -EINVAL;
				break;
			}
			free(out->function);
			out->function = strdup(it->valuestring);
			if (!out->function)
				rc = -ENOMEM;
		} else if (!strcmp(k, "args")) {
			const cJSON *a;
			int n = cJSON_GetArraySize(it);

			if (!cJSON_IsObject(it)) {
				snprintf(err, errlen, PREFIX "\"args\" must be an object naming parameters: "
				         "{\"n\": 1000, \"x\": \"n\"}");
				rc = -EINVAL;
				break;
			}
			out->args = calloc((size_t)n + 1, sizeof *out->args);
			if (!out->args) {
				rc = -ENOMEM;
				break;
			}
			cJSON_ArrayForEach(a, it) {
				rc = one_arg(a, &out->args[out->nargs++], err, errlen);
				if (rc)
					break;
			}
		} else if (!strcmp(k, "reduction")) {
			if (!cJSON_IsString(it) && !cJSON_IsNumber(it)) {
				snprintf(err, errlen, PREFIX "\"reduction\" must be an expression such as "
				         "\"K\"");
				rc = -EINVAL;
				break;
			}
			free(out->reduction);
			rc = end_text(it, &out->reduction);
		} else if (!strcmp(k, "tolerance")) {
			rc = tolerance(it, "", &out->has_tol, &out->rtol, &out->atol, err, errlen);
		} else {
			snprintf(err, errlen, PREFIX "unknown key \"%s\" (it takes \"function\", "
			         "\"args\", \"reduction\" and \"tolerance\")", k);
			rc = -EINVAL;
		}
		if (rc)
			break;
	}
	if (!rc) {
		char why[400];

		rc = ac_call_check(out, why, sizeof why);
		if (rc == -EINVAL)
			snprintf(err, errlen, PREFIX "%s", why);
	}
	if (rc)
		ac_call_clear(out);
	return rc;
}

int calldesc_parse_text(const char *text, struct ac_call *out, char *err, size_t errlen)
{
	cJSON *v = cJSON_Parse(text);
	int rc;

	memset(out, 0, sizeof *out);
	if (!v) {
		snprintf(err, errlen, "config.json: \"call\" is not valid JSON");
		return -EINVAL;
	}
	rc = calldesc_parse(v, out, err, errlen);
	cJSON_Delete(v);
	return rc;
}
