/*
 * sigcache.h - what each kernel's input takes, remembered between the run
 * that learned it (engine/describe.c) and the next write of config.json,
 * so that a description naming a parameter the input does not have is
 * refused by the write itself (EINVAL), not by a run later.
 *
 * A FUSE handler may not run a compiler, so the mount can only check
 * against a signature learned before: the first run of an input learns it
 * (a moment after input.c is written), and it is kept in memory with a
 * hash of the input's text. A config.json written before that, or after
 * a restart of the daemon, is checked by its run instead.
 *
 * Thread-safe; owned by the host (host.h).
 */
#ifndef AC_SIGCACHE_H
#define AC_SIGCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "targets/harness/harness.h"

struct sigcache;

/* A new, empty cache; NULL on OOM. Free with sigcache_free (accepts NULL). */
struct sigcache *sigcache_new(void);
void sigcache_free(struct sigcache *c);

/* A hash of an input's text, the key a signature is kept under. */
uint64_t sigcache_hash(const char *text, size_t len);

/* Keeps sig as kernel kid's for the input of hash hash, taking it over
 * (*sig is zeroed; the previous one of kid is freed). Without memory,
 * nothing is kept and sig is freed. */
void sigcache_put(struct sigcache *c, int64_t kid, uint64_t hash, struct ac_sig *sig);

/* Forgets kernel kid's signature (the kernel was removed). */
void sigcache_forget(struct sigcache *c, int64_t kid);

/* Checks call against kernel kid's signature for the input of hash hash.
 * Returns 0 when it can work or when no signature of that input is known,
 * -EINVAL with why (harness.h: ac_plan_make's refusals) when it cannot. */
int sigcache_check(struct sigcache *c, int64_t kid, uint64_t hash, const struct ac_call *call,
                   char *why, size_t whylen);

#endif
