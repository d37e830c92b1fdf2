/*
 * codehash.h - recognising the same code again: a hash of a candidate's
 * source with what cannot change the compiled program taken out.
 *
 * Models often answer with code that differs from an earlier candidate
 * only in comments, blank lines or indentation. For C-family sources (.c,
 * .h, .cu, .cuh, .cl, .cpp, .cc) comments are removed and every run of
 * white space outside string and character literals becomes one space,
 * except that a line break stays a line break where it ends a
 * preprocessor line; white space between two punctuation characters that
 * cannot fuse into one token goes too. Other languages (Python, NKI) keep
 * their indentation: only trailing blanks and blank lines go.
 *
 * Why the source and not the compiled object: the hash is known before
 * anything is built, so a duplicate costs neither a build nor a timed run;
 * it does not depend on the target (cpu builds several objects, a command
 * target builds nothing we see); and an object also changes with things
 * that do not change the code (__FILE__, build paths). A source that uses
 * __LINE__ or __COUNTER__ is hashed as it is.
 */
#ifndef AC_CODEHASH_H
#define AC_CODEHASH_H

#include <stddef.h>

/* The normalized text of src for a file named file_name (its extension
 * picks the rules above). Returns a new string (caller frees) or NULL on
 * OOM. */
char *codehash_normalize(const char *src, const char *file_name);

/* The hash of the normalized text as 16 hex digits and a NUL into out
 * (at least 17 bytes). Returns 0 or -ENOMEM. */
int codehash(const char *src, const char *file_name, char *out, size_t len);

#endif
