/*
 * scratch.c - owner records of scratch directories, and the sweep of
 * those a dead daemon left behind (see scratch.h).
 *
 * The record is two lines, "PID STARTTIME" (STARTTIME: field 22 of
 * /proc/PID/stat, so a reused pid is not mistaken for the owner) and the
 * state directory. It deliberately removes nothing it cannot prove dead:
 * a directory of another user, one without a record, one whose owner runs.
 */
#include "engine/core/scratch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/util/util.h"
#include "targets/exec/fileio.h"

#define OWNER_FILE ".owner"
#define PROBE_PREFIX "autocompfs-clprobe-"
#define PROBE_MAX_AGE_S 3600

/* Field 22 of /proc/PID/stat (start time in clock ticks after boot), or 0. */
static unsigned long long start_time(pid_t pid)
{
	char path[64];
	char *text = NULL;
	unsigned long long t = 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (ac_read_file(path, &text, NULL))
		return 0;
	/* the command name (field 2) may hold spaces: count from its ')' */
	char *p = strrchr(text, ')');
	for (int field = 2; p && *p && field < 22; p++)
		if (*p == ' ')
			field++;
	if (p)
		t = strtoull(p, NULL, 10);
	free(text);
	return t;
}

int scratch_mark_owner(const char *dir, const char *state_dir)
{
	char path[PATH_MAX], rec[PATH_MAX + 64];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, OWNER_FILE) >= sizeof(path))
		return -ENAMETOOLONG;
	int n = snprintf(rec, sizeof(rec), "%d %llu\n%s\n", (int)getpid(), start_time(getpid()),
	                 state_dir);
	if (n < 0 || (size_t)n >= sizeof(rec))
		return -ENAMETOOLONG;
	return write_file_atomic(path, rec, (size_t)n, 0600);
}

/* Is the owner recorded in dir/.owner dead, and its state directory done
 * with dir? False when unsure. */
static bool owner_gone(const char *dir)
{
	char path[PATH_MAX];
	char *rec = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, OWNER_FILE) >= sizeof(path) ||
	    ac_read_file(path, &rec, NULL))
		return false;
	int pid = 0;
	unsigned long long t = 0;
	char *nl = strchr(rec, '\n');
	bool gone = nl && sscanf(rec, "%d %llu", &pid, &t) == 2 && pid > 0;
	if (gone && (kill(pid, 0) == 0 || errno == EPERM))
		gone = start_time(pid) != t;   /* alive, unless the pid was reused */
	if (gone) {
		/* the state directory, if it is still there, may note dir as the
		 * one its next daemon removes: leave it to that daemon */
		char *state = nl + 1;
		state[strcspn(state, "\n")] = '\0';
		char note[PATH_MAX + 16];
		char *noted = NULL;
		if ((size_t)snprintf(note, sizeof(note), "%s/scratch-dir", state) < sizeof(note) &&
		    ac_read_file(note, &noted, NULL) == 0) {
			noted[strcspn(noted, "\n")] = '\0';
			if (!strcmp(noted, dir))
				gone = false;
			free(noted);
		}
	}
	free(rec);
	return gone;
}

int scratch_sweep(const char *parent, const char *prefix)
{
	DIR *d = opendir(parent);
	if (!d)
		return 0;
	int removed = 0;
	size_t plen = strlen(prefix);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		bool scratch = !strncmp(de->d_name, prefix, plen);
		bool probe = !strncmp(de->d_name, PROBE_PREFIX, sizeof(PROBE_PREFIX) - 1);
		if (!scratch && !probe)
			continue;
		char path[PATH_MAX];
		struct stat st;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", parent, de->d_name) >= sizeof(path) ||
		    lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
			continue;
		bool stale = scratch ? owner_gone(path)
		                     : time(NULL) - st.st_mtime > PROBE_MAX_AGE_S;
		if (stale && ac_remove_tree(path) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}
