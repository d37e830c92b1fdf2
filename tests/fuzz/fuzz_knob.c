/*
 * fuzz_knob.c - libFuzzer harness for tunable knobs
 * (engine/search/knob.c: knob_parse, knob_apply, knob_format).
 *
 * The input is a kernel source, cut at its first NUL. When it parses, the
 * knobs are set to a choice derived from the input and the result must
 * parse again to the same knobs with the chosen values; with no choice
 * (-1 everywhere) knob_apply must give back the source byte for byte.
 */
#include "engine/search/knob.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *src = malloc(size + 1);
	if (!src)
		return 0;
	memcpy(src, data, size);
	src[size] = '\0';

	struct knob_set s = {0};
	char err[256];
	int rc = knob_parse(src, &s, err, sizeof(err));
	if (rc) {
		if ((rc != -EINVAL && rc != -ENOMEM) || s.count || s.knobs)
			abort();
		free(src);
		return 0;
	}
	(void)knob_space_size(&s);

	int *none = malloc(((size_t)s.count + 1) * sizeof(int));
	int *pick = malloc(((size_t)s.count + 1) * sizeof(int));
	if (!none || !pick)
		abort();
	for (int i = 0; i < s.count; i++) {
		none[i] = -1;
		pick[i] = (int)((size + (size_t)i * 7) % (size_t)(s.knobs[i].nvalues + 1)) - 1;
		if (knob_find(&s, s.knobs[i].name) != i)
			abort();
		if (s.knobs[i].current != knob_value_index(&s.knobs[i], s.knobs[i].value))
			abort();
	}

	char *same = knob_apply(src, &s, none);
	if (!same || strcmp(same, src))
		abort();   /* no choice: every byte kept */
	free(same);

	char *out = knob_apply(src, &s, pick);
	if (!out)
		abort();
	struct knob_set t = {0};
	if (knob_parse(out, &t, err, sizeof(err)) || t.count != s.count)
		abort();   /* a set knob is still the same knob */
	for (int i = 0; i < s.count; i++) {
		const char *want = pick[i] >= 0 ? s.knobs[i].values[pick[i]] : s.knobs[i].value;
		if (strcmp(t.knobs[i].name, s.knobs[i].name) || strcmp(t.knobs[i].value, want))
			abort();
	}
	knob_set_clear(&t);
	free(out);

	char buf[64];
	int n = knob_format(&s, pick, buf, sizeof(buf));
	if (n != -ENOSPC && (n < 0 || (size_t)n != strlen(buf)))
		abort();

	free(none);
	free(pick);
	knob_set_clear(&s);
	free(src);
	return 0;
}
