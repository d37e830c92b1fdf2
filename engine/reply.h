/*
 * reply.h - what an LLM's answer means: the code, the plan, the edits.
 *
 * Pure text functions, no I/O. The code is the last fenced block; the plan
 * is the text after a closing </think> (reasoning inside <think>...</think>
 * is never taken as the plan); edits are SEARCH/REPLACE pairs applied to the
 * parent's source.
 */
#ifndef AC_REPLY_H
#define AC_REPLY_H

#include <stddef.h>

/* The content of the last fenced (``` or ~~~) block of text, without the
 * fence lines; <think> sections are skipped. Returns a new string (caller
 * frees) or NULL when there is none, or when the last fence never closes
 * (the reply was cut off). */
char *reply_code(const char *text);

/* The plan: text with every <think>...</think> section (and an unclosed
 * leading reasoning section ending in </think>) removed, trimmed. Returns a
 * new string, never NULL unless out of memory. */
char *reply_plan(const char *text);

/* Applies search/replace edits in text to parent:
 *   <<<<<<< SEARCH
 *   old lines
 *   =======
 *   new lines
 *   >>>>>>> REPLACE
 * Each SEARCH must occur exactly once in the (progressively edited) source.
 * Returns 0 and a new string in *out; -EINVAL with the reason in err
 * ("edit 2: search text not found") when an edit does not apply or there
 * are no edits. */
int reply_apply_edits(const char *parent, const char *text, char **out,
                      char *err, size_t errlen);

#endif
