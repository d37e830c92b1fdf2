/*
 * slurm.c - the Slurm executor: each timed run is one job step on one
 * node of a Slurm cluster.
 *
 * A run is one `srun`, with the site's own commands and configuration
 * (SLURM_CONF and the rest of the environment are honoured, as by every
 * Slurm command):
 *
 *     $ srun [slurm_args] --nodes=1 --ntasks=1 --exclusive --job-name=NAME
 *            --comment=... --time=M:SS --chdir=/tmp --export=NONE
 *            --bcast=/tmp/autocompfs-bundle-NAME  SCRATCH/.ac_bundle
 *     AC-NODE job=12 step=0 node=n2 start=...        (autocompfs-run, on the node)
 *     AC-RESULT {...}
 *
 * The bundle (executor.h) is autocompfs-run with the run's files
 * appended; --bcast copies it to the node, so nothing needs a shared
 * filesystem, and autocompfs-run applies the sandbox there. The time limit
 * is the run's timeout doubled plus a minute: the sandbox on the node
 * enforces the timeout, Slurm's limit only catches a node program that
 * cannot.
 *
 * What can go wrong, and what happens:
 *
 *     srun missing, or fails before a job starts      -> ctx->why, no retry
 *       ("Invalid partition name specified")
 *     the controller unreachable before the start     -> wait, note, retry
 *                                                        (not an attempt)
 *     a job that started but gave no result, or was   -> submitted again (not on
 *       cancelled while pending (scancel, node lost)     a node that failed); the
 *                                                        third loss is ctx->why
 *     the run's cancel flag                           -> scancel --name, srun killed
 *
 * Job names are the engine's ("ac-<state id>-<daemon>-..."); cleanup
 * cancels those of an earlier daemon of the same state directory.
 *
 * What it does not do: decide how many runs go at once (the engine holds
 * the slots; slots() only counts the nodes that are up), or build anything.
 */
#include "targets/exec/executor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LOSSES 3
#define WAIT_RETRY_S 3
#define ERR_CAP (64u * 1024u)
#define OUT_CAP ((size_t)64 << 20)

/* --- what the mount's status shows ---------------------------------- */

static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static time_t down_since;          /* 0: the controller answers */
static char down_why[256];
static int down_waiting;           /* runs waiting for it */

static void set_down(const char *why, int delta)
{
	pthread_mutex_lock(&state_lock);
	if (!down_since)
		down_since = time(NULL);
	snprintf(down_why, sizeof down_why, "%s", why);
	down_waiting += delta;
	pthread_mutex_unlock(&state_lock);
}

static void set_up(int delta)
{
	pthread_mutex_lock(&state_lock);
	down_waiting += delta;
	if (down_waiting <= 0) {
		down_waiting = 0;
		down_since = 0;
		down_why[0] = '\0';
	}
	pthread_mutex_unlock(&state_lock);
}

static void slurm_status(char *buf, size_t len)
{
	pthread_mutex_lock(&state_lock);
	if (down_since) {
		struct tm tm;
		char t[32];

		localtime_r(&down_since, &tm);
		strftime(t, sizeof t, "%H:%M:%S", &tm);
		snprintf(buf, len, "the Slurm controller is unreachable since %s (%s): %d timed "
		         "runs wait and go on when it answers", t, down_why, down_waiting);
	} else if (len) {
		buf[0] = '\0';
	}
	pthread_mutex_unlock(&state_lock);
}

/* --- running a Slurm command ---------------------------------------- */

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Is name an executable in the daemon's PATH? */
static bool in_path(const char *name)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (strchr(name, '/'))
		return access(name, X_OK) == 0;
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ":");

		if (n && (size_t)snprintf(buf, sizeof buf, "%.*s/%s", (int)n, p, name) < sizeof buf &&
		    access(buf, X_OK) == 0)
			return true;
		p += n;
		if (*p == ':')
			p++;
	}
	return false;
}

struct cmd {
	pid_t pid;
	int out, err;
	char *obuf, *ebuf;
	size_t olen, elen;
	size_t ocap, ecap;
	bool out_eof, err_eof;
};

/* Starts argv (looked up in PATH) with the daemon's environment, stdin
 * from /dev/null, in its own process group, dying with the daemon. */
static int cmd_start(struct cmd *c, char *const *argv)
{
	int op[2], ep[2];
	pid_t parent = getpid();

	memset(c, 0, sizeof *c);
	c->out = c->err = -1;
	if (!in_path(argv[0]))
		return -ENOENT;
	if (pipe2(op, O_CLOEXEC) != 0)
		return -errno;
	if (pipe2(ep, O_CLOEXEC) != 0) {
		close(op[0]);
		close(op[1]);
		return -errno;
	}
	c->pid = fork();
	if (c->pid < 0) {
		int rc = -errno;

		close(op[0]);
		close(op[1]);
		close(ep[0]);
		close(ep[1]);
		return rc;
	}
	if (c->pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		if (nul >= 0)
			dup2(nul, 0);
		dup2(op[1], 1);
		dup2(ep[1], 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	setpgid(c->pid, c->pid);
	close(op[1]);
	close(ep[1]);
	c->out = op[0];
	c->err = ep[0];
	fcntl(c->out, F_SETFL, O_NONBLOCK);
	fcntl(c->err, F_SETFL, O_NONBLOCK);
	return 0;
}

static void buf_add(char **buf, size_t *len, size_t *cap, size_t limit, const char *data,
                    size_t n)
{
	if (*len + n > limit)
		n = limit > *len ? limit - *len : 0;
	if (n == 0)
		return;
	if (*len + n + 1 > *cap) {
		size_t nc = *cap ? *cap : 4096;
		char *nb;

		while (nc < *len + n + 1)
			nc *= 2;
		nb = realloc(*buf, nc);
		if (!nb)
			return;
		*buf = nb;
		*cap = nc;
	}
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* Reads what is there; returns false once both pipes are at EOF. */
static bool cmd_poll(struct cmd *c, int ms)
{
	struct pollfd p[2];
	int n = 0;

	if (c->out >= 0) {
		p[n].fd = c->out;
		p[n].events = POLLIN;
		n++;
	}
	if (c->err >= 0) {
		p[n].fd = c->err;
		p[n].events = POLLIN;
		n++;
	}
	if (n == 0)
		return false;
	if (poll(p, (nfds_t)n, ms) <= 0)
		return true;
	for (int i = 0; i < n; i++) {
		char buf[65536];
		bool is_out = p[i].fd == c->out;
		ssize_t r;

		if (!p[i].revents)
			continue;
		r = read(p[i].fd, buf, sizeof buf);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0) {
			close(p[i].fd);
			if (is_out)
				c->out = -1;
			else
				c->err = -1;
			continue;
		}
		if (is_out)
			buf_add(&c->obuf, &c->olen, &c->ocap, OUT_CAP, buf, (size_t)r);
		else
			buf_add(&c->ebuf, &c->elen, &c->ecap, ERR_CAP, buf, (size_t)r);
	}
	return c->out >= 0 || c->err >= 0;
}

/* Kills the group (when kill) and reaps; returns the wait status. */
static int cmd_finish(struct cmd *c, bool kill_it)
{
	int st = 0;

	if (kill_it && c->pid > 0)
		kill(-c->pid, SIGKILL);
	if (c->pid > 0)
		while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
			;
	if (c->out >= 0)
		close(c->out);
	if (c->err >= 0)
		close(c->err);
	c->out = c->err = -1;
	c->pid = 0;
	return st;
}

static void cmd_free(struct cmd *c)
{
	free(c->obuf);
	free(c->ebuf);
	c->obuf = c->ebuf = NULL;
}

/* Runs argv to the end (at most timeout_s), collecting its output. */
static int run_simple(char *const *argv, double timeout_s, struct cmd *c, int *status)
{
	double deadline = mono_s() + timeout_s;
	bool late = false;
	int rc = cmd_start(c, argv);

	if (rc < 0)
		return rc;
	while (cmd_poll(c, 100))
		if (mono_s() > deadline) {
			late = true;
			break;
		}
	*status = cmd_finish(c, late);
	return late ? -ETIMEDOUT : 0;
}

/* The last non-empty line of text (copied into buf, "" if none). */
static const char *last_line(const char *text, char *buf, size_t len)
{
	const char *end = text ? text + strlen(text) : NULL;

	buf[0] = '\0';
	if (!text)
		return buf;
	while (end > text && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	const char *start = end;
	while (start > text && start[-1] != '\n')
		start--;
	snprintf(buf, len, "%.*s", (int)(end - start), start);
	return buf;
}

/* --- the partition, the nodes ---------------------------------------- */

/* The partition args ask for, copied into buf; "" when none. */
static void partition_of(char *const *args, char *buf, size_t len)
{
	buf[0] = '\0';
	for (int i = 0; args && args[i]; i++) {
		const char *a = args[i];

		if (!strncmp(a, "--partition=", 12))
			snprintf(buf, len, "%s", a + 12);
		else if ((!strcmp(a, "--partition") || !strcmp(a, "-p")) && args[i + 1])
			snprintf(buf, len, "%s", args[++i]);
		else if (!strncmp(a, "-p", 2) && a[2])
			snprintf(buf, len, "%s", a + 2);
	}
}

static bool state_up(const char *st)
{
	static const char *const up[] = { "idle", "mix", "alloc", "comp", "resv", "plnd",
	                                   "mixed", "allocated", "completing", NULL };
	size_t n = strcspn(st, "*~#!%$@^-+");

	if (st[n] == '*' || st[n] == '~' || st[n] == '#' || st[n] == '!' || st[n] == '%')
		return false;   /* not responding, powered down, powering up/down */
	for (int i = 0; up[i]; i++)
		if (strlen(up[i]) == n && !strncmp(st, up[i], n))
			return true;
	return false;
}

/* Counts the nodes up in the partition (args' or the default); the
 * partition's name goes into part. Returns >= 0 or -errno (why in why). */
static int nodes_up(char *const *args, char *part, size_t plen, char *why, size_t wlen)
{
	char *argv[] = { "sinfo", "-h", "-N", "-o", "%N %P %t", NULL };
	char want[128];
	struct cmd c;
	int st, rc, count = 0;
	char **seen = NULL;
	int nseen = 0;

	partition_of(args, want, sizeof want);
	rc = run_simple(argv, 30, &c, &st);
	if (rc == -ENOENT) {
		snprintf(why, wlen, "sinfo not found in PATH (install slurm-client)");
		return rc;
	}
	if (rc < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char line[200];

		snprintf(why, wlen, "sinfo failed: %s",
		         rc == -ETIMEDOUT ? "no answer within 30 s"
		                          : *last_line(c.ebuf, line, sizeof line) ? line : "no reason given");
		cmd_free(&c);
		return rc < 0 ? rc : -EHOSTUNREACH;
	}
	snprintf(part, plen, "%s", want);
	for (char *line = c.obuf; line && *line;) {
		char *nl = strchr(line, '\n');
		char node[128], p[128], s[64];

		if (nl)
			*nl = '\0';
		if (sscanf(line, "%127s %127s %63s", node, p, s) == 3) {
			size_t pl = strlen(p);
			bool dflt = pl && p[pl - 1] == '*';

			if (dflt)
				p[pl - 1] = '\0';
			if (!want[0] && dflt && !part[0])
				snprintf(part, plen, "%s", p);
			if ((want[0] ? !strcmp(p, want) : dflt) && state_up(s)) {
				bool dup = false;

				for (int i = 0; i < nseen; i++)
					dup = dup || !strcmp(seen[i], node);
				if (!dup) {
					char **g = realloc(seen, (size_t)(nseen + 1) * sizeof *g);

					if (g) {
						seen = g;
						seen[nseen++] = strdup(node);
						count++;
					}
				}
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	for (int i = 0; i < nseen; i++)
		free(seen[i]);
	free(seen);
	cmd_free(&c);
	if (!part[0])
		snprintf(part, plen, "%s", "(no default partition)");
	return count;
}

static int slurm_slots(char *const *args)
{
	char part[128], why[300];

	return nodes_up(args, part, sizeof part, why, sizeof why);
}

static int slurm_probe(char *const *args, char *buf, size_t len)
{
	char part[128] = "", why[300] = "";
	int n;

	if (!in_path("srun")) {
		snprintf(buf, len, "srun not found in PATH (install slurm-client)");
		return -ENOENT;
	}
	n = nodes_up(args, part, sizeof part, why, sizeof why);
	if (n < 0) {
		snprintf(buf, len, "%s", why);
		return n;
	}
	snprintf(buf, len, "%d node%s up in partition %s", n, n == 1 ? "" : "s", part);
	return n > 0 ? 0 : -ENODEV;
}

/* --- cleanup of an earlier daemon's jobs ----------------------------- */

static int slurm_cleanup(const char *prefix, const char *keep, char *buf, size_t len)
{
	char *argv[] = { "squeue", "-h", "--me", "-o", "%i %j", NULL };
	char *cancel[260];
	int ncancel = 0;
	struct cmd c;
	int st, rc;
	size_t pl = strlen(prefix), kl = strlen(keep);

	buf[0] = '\0';
	rc = run_simple(argv, 30, &c, &st);
	if (rc < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(buf, len, "slurm: cannot list the jobs of an earlier daemon (squeue %s)",
		         rc < 0 ? strerror(-rc) : "failed");
		cmd_free(&c);
		return rc < 0 ? rc : -EHOSTUNREACH;
	}
	cancel[ncancel++] = "scancel";
	for (char *line = c.obuf; line && *line && ncancel < 258;) {
		char *nl = strchr(line, '\n');
		char id[64], name[256];

		if (nl)
			*nl = '\0';
		if (sscanf(line, "%63s %255s", id, name) == 2 && !strncmp(name, prefix, pl) &&
		    strncmp(name, keep, kl) != 0)
			cancel[ncancel++] = strdup(id);
		line = nl ? nl + 1 : NULL;
	}
	cancel[ncancel] = NULL;
	cmd_free(&c);
	if (ncancel > 1) {
		struct cmd k;

		run_simple(cancel, 30, &k, &st);
		cmd_free(&k);
		snprintf(buf, len, "slurm: cancelled %d job%s left by an earlier daemon of this "
		         "state directory (", ncancel - 1, ncancel == 2 ? "" : "s");
		for (int i = 1; i < ncancel; i++) {
			size_t at = strlen(buf);

			snprintf(buf + at, len - at, "%s%s", i > 1 ? " " : "", cancel[i]);
		}
		size_t at = strlen(buf);
		snprintf(buf + at, len - at, "); their runs are evaluated again");
	}
	for (int i = 1; i < ncancel; i++)
		free(cancel[i]);
	return ncancel - 1;
}

/* --- one run --------------------------------------------------------- */

/* Waits (at most a second) until the controller has let go of job id's
 * node. The slot is only given back then: a job submitted while its node
 * is still being released waits for the controller's next scheduling pass
 * (seconds), one submitted a moment later starts at once. */
static void wait_released(const char *id)
{
	char *argv[] = { "squeue", "-h", "-j", (char *)id, "-o", "%T", NULL };
	double until = mono_s() + 1.0;

	while (id[0] && mono_s() < until) {
		struct cmd c;
		int st;
		bool busy;

		if (run_simple(argv, 5, &c, &st) < 0) {
			cmd_free(&c);
			return;
		}
		busy = c.obuf && (strstr(c.obuf, "COMPLETING") || strstr(c.obuf, "RUNNING"));
		cmd_free(&c);
		if (!busy)
			return;
		nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
	}
}

static void cancel_job(const char *name)
{
	char opt[300];
	char *argv[] = { "scancel", "--me", opt, NULL };
	struct cmd c;
	int st;

	snprintf(opt, sizeof opt, "--name=%s", name);
	run_simple(argv, 15, &c, &st);
	cmd_free(&c);
}

/* Words in srun's messages meaning the controller could not be reached. */
static bool controller_unreachable(const char *err)
{
	static const char *const words[] = {
		"Unable to contact slurm controller", "Socket timed out",
		"Connection refused", "Zero Bytes were transmitted",
		"Communication connection failure", "Unable to confirm allocation",
		NULL,
	};

	for (int i = 0; err && words[i]; i++)
		if (strstr(err, words[i]))
			return true;
	return false;
}

/* Words meaning the job was taken away (scancel, node failure, limit). */
static bool job_lost(const char *err)
{
	static const char *const words[] = {
		"CANCELLED", "cancelled", "revoked", "Node failure", "NODE_FAIL",
		"Job step aborted", "DUE TO TIME LIMIT", "Terminated", "Killed",
		"preempted", "PREEMPTED", NULL,
	};

	for (int i = 0; err && words[i]; i++)
		if (strstr(err, words[i]))
			return true;
	return false;
}

/* Finds "PREFIX..." at the start of a line of text; returns the rest of
 * that line (pointer into text, line not terminated) or NULL. */
static const char *find_line(const char *text, const char *prefix)
{
	size_t pl = strlen(prefix);

	for (const char *p = text; p && *p;) {
		if (!strncmp(p, prefix, pl))
			return p + pl;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

static void word_after(const char *line, const char *key, char *buf, size_t len)
{
	const char *p = line ? strstr(line, key) : NULL;

	buf[0] = '\0';
	if (p) {
		p += strlen(key);
		snprintf(buf, len, "%.*s", (int)strcspn(p, " \n"), p);
	}
}

static void note(struct ac_exec_ctx *x, bool waiting, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void note(struct ac_exec_ctx *x, bool waiting, const char *fmt, ...)
{
	char line[700];
	va_list ap;

	if (!x->note)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	x->note(x->note_arg, waiting, line);
}

/* Sleeps up to s seconds; false when cancelled meanwhile. */
static bool nap(const atomic_int *cancel, double s)
{
	for (int i = 0; i < (int)(s * 10); i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		if (cancel && atomic_load(cancel))
			return false;
		nanosleep(&ts, NULL);
	}
	return !(cancel && atomic_load(cancel));
}

enum attempt { A_DONE, A_CANCELLED, A_UNREACHABLE, A_LOST, A_FAILED };

/* One srun. Fills res on A_DONE; *detail says why otherwise. */
static enum attempt attempt(struct ac_exec_ctx *x, const struct ac_sandbox_opts *so,
                            const char *bundle, int n, const char *exclude,
                            struct ac_proc_result *res, struct ac_result *r, char *detail,
                            size_t dlen)
{
	char exclude_opt[300];
	struct ac_argv_s {
		char *v[96];
		int n;
	} a = { .n = 0 };
	char name[300], comment[600], tlimit[32], chdir_opt[32], bcast[400];
	double timeout = so->timeout_s > 0 ? so->timeout_s : 60;
	long limit = (long)(2 * timeout + 60);
	double submit_wall = wall_s(), started_mono = 0, deadline = 0;
	bool cancelled = false, late = false;
	const char *node_line, *res_line;
	struct cmd c;
	int rc, st;

	snprintf(name, sizeof name, "--job-name=%s", x->job_name ? x->job_name : "autocompfs");
	snprintf(tlimit, sizeof tlimit, "--time=%ld:%02ld", limit / 60, limit % 60);
	snprintf(chdir_opt, sizeof chdir_opt, "--chdir=/tmp");
	snprintf(bcast, sizeof bcast, "--bcast=/tmp/autocompfs-bundle-%s-%d",
	         x->job_name ? x->job_name : "run", n);
	a.v[a.n++] = "srun";
	for (int i = 0; x->args && x->args[i] && a.n < 80; i++)
		a.v[a.n++] = x->args[i];
	a.v[a.n++] = "--nodes=1";
	a.v[a.n++] = "--ntasks=1";
	a.v[a.n++] = "--exclusive";
	a.v[a.n++] = name;
	if (x->comment) {
		snprintf(comment, sizeof comment, "--comment=%s", x->comment);
		a.v[a.n++] = comment;
	}
	a.v[a.n++] = tlimit;
	if (exclude && exclude[0]) {
		snprintf(exclude_opt, sizeof exclude_opt, "--exclude=%s", exclude);
		a.v[a.n++] = exclude_opt;
	}
	a.v[a.n++] = chdir_opt;
	a.v[a.n++] = "--export=NONE";
	a.v[a.n++] = bcast;
	a.v[a.n++] = (char *)bundle;
	a.v[a.n] = NULL;

	detail[0] = '\0';
	rc = cmd_start(&c, a.v);
	if (rc < 0) {
		snprintf(detail, dlen, rc == -ENOENT ? "srun not found in PATH (install slurm-client)"
		                                     : "cannot start srun: %s", strerror(-rc));
		return A_FAILED;
	}
	for (;;) {
		bool open_ = cmd_poll(&c, 50);

		if (!started_mono && c.obuf && find_line(c.obuf, "AC-NODE ")) {
			started_mono = mono_s();
			deadline = started_mono + 2 * timeout + 120;
		}
		if (!open_)
			break;
		if (so->cancel && atomic_load(so->cancel)) {
			cancelled = true;
			break;
		}
		if (deadline && mono_s() > deadline) {
			late = true;
			break;
		}
	}
	if (cancelled || late) {
		cancel_job(x->job_name ? x->job_name : "autocompfs");
		/* give srun a moment to see the cancel, then make sure */
		for (int i = 0; i < 20 && cmd_poll(&c, 50);)
			i++;
	}
	st = cmd_finish(&c, true);
	double got_wall = wall_s();
	node_line = find_line(c.obuf, "AC-NODE ");
	res_line = find_line(c.obuf, "AC-RESULT ");
	if (node_line) {
		char start[64], attempt_node[128], attempt_job[32];

		word_after(node_line, "job=", attempt_job, sizeof attempt_job);
		word_after(node_line, "node=", attempt_node, sizeof attempt_node);
		word_after(node_line, "start=", start, sizeof start);
		snprintf(x->job_id, sizeof x->job_id, "%s", attempt_job);
		snprintf(x->node, sizeof x->node, "%s", attempt_node);
		x->dispatch_s = strtod(start, NULL) - submit_wall;
		ac_result_logf(r, "# slurm: job %s on node %s (attempt %d)\n", x->job_id, x->node, n);
	}
	if (cancelled) {
		memset(res, 0, sizeof *res);
		res->cancelled = true;
		res->signal = SIGKILL;
		res->output = calloc(1, 1);
		cmd_free(&c);
		return A_CANCELLED;
	}
	if (res_line && !late) {
		char *json = strndup(res_line, strcspn(res_line, "\n"));
		double start = 0, end = 0;
		int prc = json ? ac_bundle_result_parse(json, res, &start, &end) : -ENOMEM;

		free(json);
		if (prc == 0 && (res->cancelled || (c.ebuf && (strstr(c.ebuf, "CANCELLED AT") ||
		                                               strstr(c.ebuf, "Job step aborted"))))) {
			/* the node program was signalled: scancel, the time limit */
			ac_proc_result_clear(res);
			prc = -EINTR;
			late = false;
			res_line = NULL;
		}
		if (prc == 0) {
			x->return_s = got_wall - end;
			ac_result_logf(r, "# slurm: dispatch %.0f ms, return %.0f ms\n",
			               x->dispatch_s * 1000, x->return_s * 1000);
			cmd_free(&c);
			return A_DONE;
		}
	}
	{
		char line[400];

		last_line(c.ebuf, line, sizeof line);
		if (late)
			snprintf(detail, dlen, "no result %ld s after the job started", (long)(2 * timeout + 120));
		else
			snprintf(detail, dlen, "%s", line[0] ? line : "srun ended without a result");
		if (c.ebuf && c.elen)
			ac_result_logf(r, "%s%s", c.ebuf, c.ebuf[c.elen - 1] == '\n' ? "" : "\n");
	}
	enum attempt out;
	if (!node_line && controller_unreachable(c.ebuf))
		out = A_UNREACHABLE;
	else if (node_line || late || job_lost(c.ebuf))
		out = A_LOST;
	else
		out = A_FAILED;
	if (out == A_FAILED && WIFEXITED(st) && WEXITSTATUS(st) == 0 && !c.elen)
		out = A_LOST;   /* ended quietly without our program's word */
	cmd_free(&c);
	return out;
}

static int slurm_run(struct ac_exec_ctx *x, const struct ac_job *job, const struct ac_sandbox_opts *so,
                     const char *const *ship, struct ac_proc_result *res, struct ac_result *r)
{
	char bundle[PATH_MAX], detail[400];
	char exclude[256] = "";   /* nodes that failed under this run */
	int losses = 0, n = 0, tries = 0;
	bool waiting = false;
	int rc;

	memset(res, 0, sizeof *res);
	x->why[0] = '\0';
	if ((size_t)snprintf(bundle, sizeof bundle, "%s/.ac_bundle", so->dir) >= sizeof bundle)
		return -ENAMETOOLONG;
	rc = ac_bundle_write(bundle, so, ship, job);
	if (rc < 0) {
		snprintf(x->why, sizeof x->why, "cannot pack the run for the node: %s (runner %s)",
		         strerror(-rc), ac_bundle_runner());
		return rc;
	}
	for (;;) {
		enum attempt a;

		if (so->cancel && atomic_load(so->cancel)) {
			res->cancelled = true;
			res->signal = SIGKILL;
			res->output = calloc(1, 1);
			rc = 0;
			break;
		}
		/* a job of an attempt that srun lost touch with (the controller
		 * went away while it was pending) must not linger, holding a node */
		if (tries++ > 0)
			cancel_job(x->job_name ? x->job_name : "autocompfs");
		a = attempt(x, so, bundle, ++n, exclude, res, r, detail, sizeof detail);
		x->attempts = n;
		if (a == A_UNREACHABLE) {
			if (!waiting) {
				set_down(detail, 1);
				note(x, true, "slurm: the controller is unreachable (%s); the timed run waits "
				     "and retries every %d s", detail, WAIT_RETRY_S);
				waiting = true;
			} else {
				set_down(detail, 0);
			}
			n--;
			nap(so->cancel, WAIT_RETRY_S);
			continue;
		}
		if (waiting) {
			set_up(-1);
			note(x, false, "slurm: the controller answers again");
			waiting = false;
		}
		if (a == A_DONE || a == A_CANCELLED) {
			if (a == A_DONE)
				wait_released(x->job_id);
			rc = 0;
			break;
		}
		if (a == A_FAILED) {
			snprintf(x->why, sizeof x->why, "srun failed: %s", detail);
			ac_result_logf(r, "# slurm: %s\n", x->why);
			rc = -EREMOTEIO;
			break;
		}
		losses++;
		/* a job lost before its node program started has no id yet: its name says which */
		char which[300];
		if (x->job_id[0])
			snprintf(which, sizeof which, "%s", x->job_id);
		else
			snprintf(which, sizeof which, "%s (lost before it started, no id yet)",
			         x->job_name ? x->job_name : "autocompfs");
		ac_result_logf(r, "# slurm: job %s lost (%s)%s\n", which, detail,
		               losses < MAX_LOSSES ? "; evaluating again" : "");
		if (losses >= MAX_LOSSES) {
			snprintf(x->why, sizeof x->why, "the Slurm job was lost %d times (cancelled or its "
			         "node gone); last: %s", losses, detail);
			rc = -EREMOTEIO;
			break;
		}
		note(x, false, "slurm: job %s%s%s lost (%s); evaluating again", which,
		     x->node[0] ? " on " : "", x->node, detail);
		/* the controller may not know yet that the node is gone: not there */
		if (x->node[0] && strstr(detail, "Node failure")) {
			size_t at = strlen(exclude);

			snprintf(exclude + at, sizeof exclude - at, "%s%s", at ? "," : "", x->node);
		}
		x->job_id[0] = '\0';
		x->node[0] = '\0';
	}
	if (waiting)
		set_up(-1);
	unlink(bundle);
	return rc;
}

const struct ac_executor ac_executor_slurm = {
	.name = "slurm",
	.probe = slurm_probe,
	.slots = slurm_slots,
	.run = slurm_run,
	.cleanup = slurm_cleanup,
	.status = slurm_status,
};
