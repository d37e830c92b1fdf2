/*
 * reply.h - what an LLM's answer means: the code, the plan, the edits.
 *
 * Pure text functions, no I/O. The code is the last fenced block in the
 * target's language that defines the kernel's functions; the plan
 * is the text after a closing </think> (reasoning inside <think>...</think>
 * is never taken as the plan); edits are SEARCH/REPLACE pairs applied to the
 * parent's source.
 */
#ifndef AC_REPLY_H
#define AC_REPLY_H

#include <stddef.h>

/* What the code of a reply should be. */
struct reply_want {
	const char *file_name;  /* the file the code replaces ("input.cu"): its
	                           extension says which fence languages are
	                           candidates (C family: c, cpp, c++, cuda, cu,
	                           cl, opencl, h...; py: python; else the
	                           extension itself); untagged fences always are.
	                           NULL: any language */
	const char *parent;     /* the code being rewritten: among the candidates,
	                           the block defining most of its functions wins,
	                           the last on a tie. NULL: the last candidate */
};

/* The code of a reply: the content of a fenced (``` or ~~~) block, without
 * the fence lines; <think> sections are skipped. Never a block tagged
 * bash, sh, console, text, json, diff (and the like), nor one holding
 * SEARCH/REPLACE markers; among the other blocks, as want says (want may
 * be NULL: the last of them). Returns a new string (caller frees) or NULL
 * when there is none, or when a fence that could hold the code never
 * closes (the reply was cut off). */
char *reply_code_for(const char *text, const struct reply_want *want);

/* reply_code_for(text, NULL). */
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
