/*
 * scratch.h - who owns a scratch directory under /tmp, and removing those
 * whose daemon is gone.
 *
 * A daemon running as root builds under /tmp/autocompfs-scratch-XXXXXX
 * (see open_scratch in engine.c). It removes that directory when it exits
 * and, through the note STATE/scratch-dir, the next daemon of the same
 * state directory removes what a killed one left. Neither helps when the
 * state directory itself is gone (tests, `rm -rf` of an experiment): each
 * scratch directory therefore holds an owner record, and every daemon
 * sweeps the ones whose owner is dead.
 */
#ifndef AC_SCRATCH_H
#define AC_SCRATCH_H

/* Writes dir/.owner: this process's pid and start time, and state_dir.
 * Returns 0 or -errno. */
int scratch_mark_owner(const char *dir, const char *state_dir);

/* Removes every directory parent/PREFIX* of this user whose owner record
 * names a process that is no longer running (pid gone, or reused by a
 * process started at another time) and whose state directory is gone or
 * notes another scratch directory; and every parent/autocompfs-clprobe-*
 * of this user older than an hour (the opencl probe's, which lives
 * seconds). Directories without an owner record are left alone. Returns
 * how many it removed. */
int scratch_sweep(const char *parent, const char *prefix);

#endif
