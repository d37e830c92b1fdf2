/*
 * knob.h - tunable parameters marked in the source.
 *
 *   #define TILE_M 32 // autocomp-tune: 16 32 64 128
 *
 * A knob has a name, its current value and the values it may take
 * (integers or identifiers). Pure text functions, no I/O.
 */
#ifndef AC_KNOB_H
#define AC_KNOB_H

#include <stddef.h>

struct knob {
	char *name;
	char *value;      /* current value as written */
	char **values;    /* allowed values, in the order given (a strv, util.h) */
	int nvalues;
	int current;      /* index of value in values, -1 if not among them */
};

struct knob_set {
	struct knob *knobs;
	int count;
};

/* Finds every knob in src. Returns 0 (count may be 0), -EINVAL with the
 * reason in err for a malformed marker (no values, a duplicate name), or
 * -ENOMEM. */
int knob_parse(const char *src, struct knob_set *out, char *err, size_t errlen);
void knob_set_clear(struct knob_set *s);

/* Number of combinations (saturates at SIZE_MAX/2). */
size_t knob_space_size(const struct knob_set *s);

/* A copy of src with each knob's #define set to values[choice[i]].
 * choice has s->count entries. Returns a new string or NULL on OOM.
 * Only the value token of each marked line changes; every other byte is
 * kept. A choice outside 0..nvalues-1 (e.g. -1) leaves that knob as
 * written. The caller owns the result (free()). */
char *knob_apply(const char *src, const struct knob_set *s, const int *choice);

/* The index of the knob called name in s, or -1. */
int knob_find(const struct knob_set *s, const char *name);

/* The index of value among k->values, or -1. Integers compare by value
 * ("0x10" matches "16"), identifiers by spelling. */
int knob_value_index(const struct knob *k, const char *value);

/* Writes "NAME=VALUE NAME=VALUE ..." for choice into buf (a choice out of
 * range shows the value as written). Returns the length written, or
 * -ENOSPC when buf is too small (buf then holds a truncated string). */
int knob_format(const struct knob_set *s, const int *choice, char *buf,
                size_t len);

#endif
