/*
 * menubuild.h - menus from documentation (Autocomp's agent builder).
 *
 * A user drops an accelerator's documentation into menus/NAME.docs/
 * (plain text, Markdown, PDF) and writes "build NAME" to menus/ctl. The
 * engine turns each document into text (PDF through poppler-utils'
 * pdftotext), splits what does not fit the model's context into parts,
 * asks the planning model for notes on each part ("## Phase: docs"), then
 * for the menu and the notes in one reply ("## Phase: menu"): two fenced
 * blocks, NAME.menu (one optimization a line, 15 to 40 of them) and
 * NAME.md (architecture notes and rules). They are stored like a user's
 * edit of menus/, so the user reads and edits them before any search
 * uses them. Progress and failures show in the root status (the
 * "menus:" part), in menus/ctl and in menus/log.
 *
 * Calling sequence: menubuild_start (from a ctl write; returns at once),
 * menubuild_state (any thread, for status), menubuild_stop at shutdown.
 * The pure parts (splitting, the prompts, reading the reply) are exposed
 * for the unit tests.
 */
#ifndef AC_MENUBUILD_H
#define AC_MENUBUILD_H

#include <stddef.h>

struct run_host;

#define MENUBUILD_MIN_OPTIONS 15
#define MENUBUILD_MAX_OPTIONS 40
/* A part of the documents per prompt: about 12k tokens, so a part and the
 * instructions fit an 8k-output, 32k-context model. */
#define MENUBUILD_PART_BYTES 48000

/* Starts building menu name (NULL: every NAME.docs/ folder) on a thread
 * of its own. Returns 0, -EBUSY while a build runs, -ENOENT when there is
 * no such folder, -EINVAL for a bad name or no model (said in the log). */
int menubuild_start(struct run_host *e, const char *name);

/* One line on what the builder did last ("building gemmini: part 2 of 5",
 * "gemmini: wrote gemmini.menu (24 options) and gemmini.md", "gemmini:
 * failed: ..."), "" before the first build. Caller frees. */
char *menubuild_state(struct run_host *e);

/* Waits for a running build to notice the shutdown and end. */
void menubuild_stop(struct run_host *e);

/* Splits text into parts of at most max bytes, at a blank line or a
 * newline where there is one in the last quarter of a part. Returns the
 * number of parts and a NULL-terminated list in *parts (caller frees with
 * strv_free), or -ENOMEM. */
int menubuild_split(const char *text, size_t max, char ***parts);

/* The notes prompt for part i (1-based) of n. Caller frees. */
char *menubuild_notes_prompt(const char *name, const char *part, int i, int n);

/* The menu prompt from the documents' text (or the notes on their parts);
 * why_again, when not NULL, says what was wrong with the last answer.
 * Caller frees. */
char *menubuild_menu_prompt(const char *name, const char *material, const char *why_again);

/* Reads a menu reply: the first fenced block is the menu, the second the
 * notes. Returns 0 with both (caller frees) and the option count, or
 * -EINVAL with the reason in why ("the menu has 9 options; 15 to 40 are
 * wanted"). */
int menubuild_parse_reply(const char *reply, char **menu, char **notes, int *options,
                          char *why, size_t len);

#endif
