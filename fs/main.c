/*
 * main.c - the autocompfs daemon: options, state directory, mount, loop.
 *
 *   $ autocompfs -o state=/var/tmp/ac /mnt/ac
 *   $ ls /mnt/ac
 *   kernels  menus  status  targets
 *   $ fusermount3 -u /mnt/ac          (the daemon exits 0)
 *
 * Without -f the daemon forks itself *before* opening the state directory,
 * and the parent waits until the child has mounted (or failed, printing the
 * reason), so errors such as a state directory locked by another daemon are
 * reported to the shell that started it and no SQLite connection crosses a
 * fork.
 *
 * mount(8) runs it too: `mount -t fuse.autocompfs none /mnt/ac -o state=DIR`
 * (or the same in /etc/fstab) makes mount.fuse3 run
 * `autocompfs none /mnt/ac -o rw,state=DIR,...`; the source is only a name
 * (the fsname that /proc/mounts shows).
 *
 * The daemon's own messages go to stderr; with --log-file (-o log_file=)
 * they go to that file instead, each line timestamped, from whichever
 * thread or library printed them.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ac_config.h"
#include "engine/core/config.h"
#include "engine/engine.h"
#include "fs/fs.h"

#include <fuse_lowlevel.h>

/* FUSE worker threads: at most, and kept once made. */
#define MAX_THREADS 16

struct options {
	char *state;
	char *models;
	char *effort;        /* reasoning_effort */
	int thinking_budget;
	int max_output_tokens;
	int jobs;
	int inflight;
	int help;
	int version;
	char *log;           /* error | info | debug */
	char *log_file;
	char *executor;      /* local | slurm */
	int slots;
	int cores;
	char *pos[2];        /* [SOURCE] MOUNTPOINT */
	int npos;
	bool allow_other;
};

#define KEY_ALLOW_OTHER 1
#define KEY_DEBUG 2

#define OPT(t, p) {t, offsetof(struct options, p), 1}
static const struct fuse_opt spec[] = {
	OPT("state=%s", state),
	OPT("models=%s", models),
	OPT("reasoning_effort=%s", effort),
	OPT("thinking_budget=%d", thinking_budget),
	OPT("max_output_tokens=%d", max_output_tokens),
	OPT("jobs=%d", jobs),
	OPT("llm_inflight=%d", inflight),
	OPT("-h", help),
	OPT("--help", help),
	OPT("-V", version),
	OPT("--version", version),
	OPT("log=%s", log),
	OPT("log_file=%s", log_file),
	OPT("executor=%s", executor),
	OPT("slots=%d", slots),
	OPT("cores=%d", cores),
	/* both match "--log-file=P"; the second, which gets it right, wins */
	OPT("--log-file %s", log_file),
	OPT("--log-file=%s", log_file),
	FUSE_OPT_KEY("allow_other", KEY_ALLOW_OTHER),
	FUSE_OPT_KEY("--debug", KEY_DEBUG),   /* sshfs's spelling of -d */
	FUSE_OPT_END,
};

/* Keeps positional arguments aside (mount.fuse3 passes SOURCE MOUNTPOINT);
 * everything else stays for libfuse. */
static int opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct options *o = data;
	if (key == KEY_ALLOW_OTHER)
		o->allow_other = true;   /* and kept for libfuse */
	if (key == KEY_DEBUG)
		return fuse_opt_add_arg(outargs, "-d") == 0 ? 0 : -1;
	if (key != FUSE_OPT_KEY_NONOPT)
		return 1;
	if (o->npos < 2)
		o->pos[o->npos] = strdup(arg);
	o->npos++;
	return 0;
}

/* Frees what option parsing allocated; every way out of main calls it, so
 * that a leak checker (ASan) stays quiet and keeps the exit status. */
static void options_free(struct options *o)
{
	free(o->state);
	free(o->models);
	free(o->effort);
	free(o->log);
	free(o->log_file);
	free(o->executor);
	free(o->pos[0]);
	free(o->pos[1]);
}

/* Exit statuses (the man page's EXIT STATUS): 0 unmounted, 1 could not
 * start or the loop failed, 2 a bad command line. */
#define EXIT_START 1
#define EXIT_USAGE 2

enum log_level { LOG_ERROR, LOG_INFO, LOG_DEBUG };
static enum log_level log_level = LOG_INFO;

/* The log file's pump: stderr is a pipe; this thread stamps each line with
 * the time and appends it to the file, so that lines from the engine, from
 * libfuse and from SQLite all arrive whole and dated. */
struct log_pump {
	int in;
	int fd;
	pthread_t thread;
	bool running;
	atomic_bool stop;    /* drain what is there, then end (a child that
	                        inherited stderr may keep the pipe open) */
};

static void *log_pump_main(void *arg)
{
	struct log_pump *lp = arg;
	char buf[4096];
	bool line_start = true;
	for (;;) {
		struct pollfd pfd = {.fd = lp->in, .events = POLLIN};
		int ready = poll(&pfd, 1, 100);
		if (ready == 0 && atomic_load(&lp->stop))
			break;
		if (ready <= 0)
			continue;
		ssize_t n = read(lp->in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		struct strbuf out = {0};
		for (ssize_t i = 0; i < n;) {
			if (line_start) {
				char t[64];
				sb_addf(&out, "%s ", fmt_time(now_ns(), t, sizeof(t)));
			}
			const char *nl = memchr(buf + i, '\n', (size_t)(n - i));
			size_t len = nl ? (size_t)(nl - (buf + i)) + 1 : (size_t)(n - i);
			sb_add(&out, buf + i, len);
			line_start = nl != NULL;
			i += (ssize_t)len;
		}
		for (size_t off = 0; off < out.len;) {
			ssize_t w = write(lp->fd, out.buf + off, out.len - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		sb_release(&out);
	}
	return NULL;
}

/* Sends stderr to path (appending, timestamped). 0 or -errno. */
static int log_pump_start(struct log_pump *lp, const char *path)
{
	int p[2];
	lp->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (lp->fd < 0)
		return -errno;
	if (pipe2(p, O_CLOEXEC) < 0) {
		int rc = -errno;
		close(lp->fd);
		return rc;
	}
	lp->in = p[0];
	if (pthread_create(&lp->thread, NULL, log_pump_main, lp) != 0) {
		close(p[0]);
		close(p[1]);
		close(lp->fd);
		return -EAGAIN;
	}
	fflush(stderr);
	dup2(p[1], 2);
	close(p[1]);
	lp->running = true;
	return 0;
}

/* Puts stderr back on /dev/null and waits until the file has every line
 * written so far. */
static void log_pump_stop(struct log_pump *lp)
{
	if (!lp->running)
		return;
	fflush(stderr);
	int nul = open("/dev/null", O_WRONLY);
	dup2(nul, 2);
	close(nul);
	atomic_store(&lp->stop, true);
	pthread_join(lp->thread, NULL);
	close(lp->in);
	close(lp->fd);
	lp->running = false;
}

/* An info line of the daemon's own (start, stop). */
static void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void info(const char *fmt, ...)
{
	if (log_level < LOG_INFO)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "autocompfs: %s\n", line);
}

static void usage(const char *prog)
{
	printf("usage: %s [options] [SOURCE] MOUNTPOINT\n\n"
	       "Mounts autocompfs: copy a kernel and its harness into MOUNTPOINT/kernels/NAME/\n"
	       "and watch plans/, candidates/, metrics.json and best.c fill in.\n\n"
	       "options:\n"
	       "    -h, --help             this help\n"
	       "    -V, --version          print the version\n"
	       "    -f                     stay in the foreground\n"
	       "    -d, --debug            debug: foreground, print every FUSE request\n"
	       "    -o state=DIR           state directory (default $XDG_STATE_HOME/autocompfs,\n"
	       "                           else ~/.local/state/autocompfs)\n"
	       "    -o models=M1,M2        models for every kernel, e.g. openai::gpt-4.1 or\n"
	       "                           openai@http://127.0.0.1:8000/v1::Qwen/Qwen3-8B\n"
	       "                           (default: $AUTOCOMP_MODELS)\n"
	       "    -o reasoning_effort=E  OpenAI reasoning effort for every kernel: none, minimal,\n"
	       "                           low, medium, high or xhigh (config.json may override)\n"
	       "    -o thinking_budget=N   Anthropic extended thinking, N >= 1024 tokens a call\n"
	       "    -o max_output_tokens=N\n"
	       "                           output cap a call, reasoning included (default 8192;\n"
	       "                           32768 for reasoning models; budget + 8192 with thinking)\n"
	       "    -o jobs=N              parallel builds (default: the number of CPUs)\n"
	       "    -o llm_inflight=N      LLM requests in flight (default 4)\n"
	       "    -o executor=slurm      time every kernel's candidates on a Slurm cluster (one\n"
	       "                           job step per run, files shipped with srun --bcast);\n"
	       "                           default local (this machine, one run at a time)\n"
	       "    -o slots=N             with slurm: timed runs at once (default: the nodes up\n"
	       "                           in the partition, as sinfo reports them)\n"
	       "    -o cores=N             cores a timed run has to itself (default 1): OpenMP\n"
	       "                           and threads run on N cores, builds keep off them\n"
	       "    -o allow_other         let other users see the mount (private by default)\n"
	       "    -o log=LEVEL           error, info (the default) or debug (adds a line per\n"
	       "                           FUSE request)\n"
	       "    -o log_file=PATH, --log-file=PATH\n"
	       "                           the daemon's messages go to PATH, timestamped\n"
	       "                           (default: stderr, which a daemon closes)\n"
	       "    SOURCE                 a name only, shown in /proc/mounts (mount(8) passes\n"
	       "                           the first field of an fstab line here)\n\n"
	       "Unmount with: fusermount3 -u MOUNTPOINT (or send SIGTERM).\n"
	       "Exit status: 0 unmounted, 1 could not start (the message says why),\n"
	       "2 a bad command line. See autocompfs(1).\n", prog);
}

static char *default_state_dir(void)
{
	char buf[4096];
	const char *x = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	if (x && *x)
		snprintf(buf, sizeof(buf), "%s/autocompfs", x);
	else
		snprintf(buf, sizeof(buf), "%s/.local/state/autocompfs", home && *home ? home : "/tmp");
	return strdup(buf);
}

static void termination_held(int sig)
{
	(void)sig;
}

/* SIGTERM, SIGINT and SIGHUP do nothing from now on: the shutdown under
 * way ends with status 0. A handler rather than SIG_IGN, so that a process
 * started later does not inherit an ignored signal across exec. */
static void hold_termination(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = termination_held;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Tells the waiting parent how setup went: "" for success, else a reason. */
static void report_parent(int fd, const char *msg)
{
	if (fd < 0)
		return;
	size_t n = strlen(msg);
	if (write(fd, msg, n ? n : 1) < 0)
		perror("autocompfs");
	close(fd);
}

/* Refuses a mountpoint that is not there, not a directory (a FUSE mount
 * on a regular file answers every access with EIO) or left behind by a
 * daemon that died. Returns 0 or prints why and returns -1. */
static int check_mountpoint(const char *mp)
{
	struct stat st;
	if (stat(mp, &st) != 0) {
		int e = errno;
		if (e == ENOTCONN)
			fprintf(stderr, "autocompfs: %s: %s: a daemon died there; unmount it with "
			        "fusermount3 -u %s\n", mp, strerror(e), mp);
		else if (e == ENOENT)
			fprintf(stderr, "autocompfs: mountpoint %s does not exist (make it with "
			        "mkdir -p %s)\n", mp, mp);
		else
			fprintf(stderr, "autocompfs: mountpoint %s: %s\n", mp, strerror(e));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "autocompfs: mountpoint %s is not a directory\n", mp);
		return -1;
	}
	return 0;
}

/* Lets libfuse check the options it will be given (unknown -o options,
 * bad values) before anything is opened or forked: a mistake on the
 * command line is exit status 2 on every path. true when they are good. */
static bool fuse_options_ok(const struct fuse_args *args)
{
	struct fuse_args tmp = FUSE_ARGS_INIT(0, NULL);
	static const struct fuse_operations none;
	bool ok = true;
	for (int i = 0; ok && i < args->argc; i++)
		ok = fuse_opt_add_arg(&tmp, args->argv[i]) == 0;
	struct fuse *f = ok ? fuse_new(&tmp, &none, sizeof(none), NULL) : NULL;
	if (f)
		fuse_destroy(f);
	fuse_opt_free_args(&tmp);
	return f != NULL;
}

/* Says why fuse_mount failed, as best it can be told from here. */
static void mount_failure(const char *mp, char *err, size_t len)
{
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		struct stat st;
		if (e == ENOENT)
			snprintf(err, len, "cannot mount on %s: there is no /dev/fuse (is the fuse "
			         "module loaded? modprobe fuse; in a container, pass --device "
			         "/dev/fuse)", mp);
		else if (stat("/dev/fuse", &st) == 0)
			snprintf(err, len, "cannot mount on %s: cannot open /dev/fuse (mode %04o, "
			         "owner uid %u): %s; ask for access to it (its mode is usually "
			         "0666)", mp, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
			         strerror(e));
		else
			snprintf(err, len, "cannot mount on %s: cannot open /dev/fuse: %s", mp,
			         strerror(e));
		return;
	}
	close(fd);
	char *mounts = NULL;
	size_t n = 0;
	FILE *f = fopen("/proc/self/mounts", "r");
	bool busy = false;
	char needle[4200];
	snprintf(needle, sizeof(needle), " %s ", mp);
	while (f && getline(&mounts, &n, f) > 0)
		busy = busy || strstr(mounts, needle) != NULL;
	if (f)
		fclose(f);
	free(mounts);
	if (busy)
		snprintf(err, len, "cannot mount on %s: something is mounted there (unmount it "
		         "with fusermount3 -u %s)", mp, mp);
	else
		snprintf(err, len, "cannot mount on %s (libfuse's message is above)", mp);
}

/* Returned by a step of main when the daemon goes on to the next step;
 * anything else is the exit status. */
#define GO_ON (-1)

/* What main holds from the command line to the exit; daemon_state_free
 * releases it on every way out. */
struct daemon_state {
	struct fuse_args args;          /* what libfuse is given, the mountpoint last */
	struct options o;
	struct fuse_cmdline_opts cmd;   /* libfuse's reading of args (mountpoint NULL before) */
	char **models;                  /* -o models= or $AUTOCOMP_MODELS, split; NULL if none */
	const char *effort;             /* reasoning_effort as config_check_reasoning read it */
	int notify;                     /* to the parent waiting for the mount; -1 if none */
	struct log_pump lp;
	struct engine *e;
	struct fs_ctx *fc;
	struct fuse *f;                 /* NULL unless mounted */
};

/* Frees what d holds: the filesystem context, the engine, the log pump
 * (stderr then goes to /dev/null) and what option parsing allocated. */
static void daemon_state_free(struct daemon_state *d)
{
	assert(d->f == NULL);
	fs_ctx_free(d->fc);
	engine_free(d->e);
	log_pump_stop(&d->lp);
	strv_free(d->models);
	free(d->cmd.mountpoint);
	fuse_opt_free_args(&d->args);
	options_free(&d->o);
}

/* Reads the daemon's own options and answers -h and -V. GO_ON, 0 after
 * the help or the version, or EXIT_USAGE. */
static int read_options(struct daemon_state *d, const char *prog)
{
	if (fuse_opt_parse(&d->args, &d->o, spec, opt_proc) == -1)
		return EXIT_USAGE;
	if (d->o.help) {
		usage(prog);
		printf("\nFUSE options:\n");
		fuse_lib_help(&d->args);
		return 0;
	}
	if (d->o.version) {
		printf("autocompfs %s (FUSE %s)\n", AC_VERSION, fuse_pkgversion());
		return 0;
	}
	return GO_ON;
}

/* Sets log_level from -o log=. Returns what is wrong with the options (the
 * last problem found) or NULL. */
static const char *options_problem(const struct options *o)
{
	const char *bad = NULL;
	if (o->log) {
		if (!strcmp(o->log, "error"))
			log_level = LOG_ERROR;
		else if (!strcmp(o->log, "info"))
			log_level = LOG_INFO;
		else if (!strcmp(o->log, "debug"))
			log_level = LOG_DEBUG;
		else
			bad = "log=LEVEL: say error, info or debug";
	}
	if (o->jobs < 0 || o->jobs > 4096)
		bad = "jobs=N: N is a number of parallel builds, 1 to 4096";
	if (o->inflight < 0 || o->inflight > 4096)
		bad = "llm_inflight=N: N is a number of requests, 1 to 4096";
	if (o->executor && config_executor_parse(o->executor) < 0)
		bad = "executor=NAME: say local or slurm";
	if (o->slots < 0 || o->slots > 100000)
		bad = "slots=N: N is a number of timed runs at once, 1 to 100000";
	if (o->cores < 0 || o->cores > 1024)
		bad = "cores=N: N is a number of cores, 1 to 1024";
	if (o->npos > 2)
		bad = "too many arguments";
	if (o->npos == 0)
		bad = "no mountpoint given";
	return bad;
}

/* GO_ON; EXIT_USAGE for a bad option, EXIT_START for a mountpoint that
 * cannot be mounted on, each with a message. */
static int check_options(struct daemon_state *d)
{
	const char *bad = options_problem(&d->o);
	if (bad) {
		fprintf(stderr, "autocompfs: %s (try --help)\n", bad);
		return EXIT_USAGE;
	}
	if (check_mountpoint(d->o.pos[d->o.npos - 1]) != 0)
		return EXIT_START;
	return GO_ON;
}

/* mount(8)'s SOURCE: the fsname (which alone would drop the subtype: keep
 * the type fuse.autocompfs, as fstab says). */
static void add_fsname(struct fuse_args *args, const char *source)
{
	char opt[600], *esc = NULL;
	snprintf(opt, sizeof(opt), "fsname=%s", source);
	if (fuse_opt_add_opt_escaped(&esc, opt) == 0 &&
	    fuse_opt_add_opt(&esc, "subtype=autocompfs") == 0) {
		fuse_opt_add_arg(args, "-o");
		fuse_opt_add_arg(args, esc);
	}
	free(esc);
}

/* Gives libfuse the mountpoint and the options the daemon's own imply,
 * and lets it check them all. GO_ON, or EXIT_USAGE (with a message). */
static int libfuse_options(struct daemon_state *d)
{
	if (d->o.npos == 2)
		add_fsname(&d->args, d->o.pos[0]);
	fuse_opt_add_arg(&d->args, d->o.pos[d->o.npos - 1]);
	if (fuse_parse_cmdline(&d->args, &d->cmd) != 0)
		return EXIT_USAGE;
	/* -d (and --debug) is debug: the start line and the daemon's own
	 * messages say so */
	if (d->cmd.debug)
		log_level = LOG_DEBUG;
	/* Others may look, not touch: with allow_other the kernel checks the
	 * modes the mount shows (files 0644 and dirs 0755 of the daemon's user),
	 * so another user cannot make a kernel (and run code) or edit one. */
	if (d->o.allow_other)
		fuse_opt_add_arg(&d->args, "-odefault_permissions");
	/* per-request lines: libfuse's own debug output, without -d's foreground */
	if (log_level == LOG_DEBUG && !d->cmd.debug)
		fuse_opt_add_arg(&d->args, "-odebug");
	if (!d->cmd.mountpoint || !fuse_options_ok(&d->args)) {
		if (d->cmd.mountpoint)
			fprintf(stderr, "autocompfs: a bad option (try --help)\n");
		else
			fprintf(stderr, "autocompfs: no mountpoint given (try --help)\n");
		return EXIT_USAGE;
	}
	return GO_ON;
}

/* Settles what the engine is given: the state directory (the default
 * unless named), the reasoning settings (checked as config.json's are)
 * and the models. GO_ON, or EXIT_USAGE with a message. */
static int engine_options(struct daemon_state *d)
{
	struct options *o = &d->o;
	char why[300];
	if (!o->state)
		o->state = default_state_dir();
	if (o->thinking_budget < 0 || o->max_output_tokens < 0 ||
	    config_check_reasoning("-o", o->effort, o->thinking_budget, o->max_output_tokens,
	                           &d->effort, why, sizeof(why))) {
		if (o->thinking_budget < 0 || o->max_output_tokens < 0)
			snprintf(why, sizeof(why), "-o: token counts must not be negative");
		fprintf(stderr, "autocompfs: %s\n", why);
		return EXIT_USAGE;
	}
	const char *models = o->models ? o->models : getenv("AUTOCOMP_MODELS");
	d->models = models && *models ? strv_split(models, ',') : NULL;
	if (config_check_models(o->models ? "-o models=" : "AUTOCOMP_MODELS", d->models, why,
	                        sizeof(why))) {
		fprintf(stderr, "autocompfs: %s\n", why);
		return EXIT_USAGE;
	}
	return GO_ON;
}

/* The parent's side of daemonize: waits for the child's word on fd and
 * returns the exit status, 0 once the child has mounted. */
static int wait_for_daemon(int fd)
{
	char msg[1024];
	ssize_t n = read(fd, msg, sizeof(msg) - 1);
	int status = EXIT_START;
	if (n <= 0) {
		fprintf(stderr, "autocompfs: the daemon exited during start-up\n");
	} else {
		msg[n] = '\0';
		if (n == 1 && msg[0] == '\0')
			status = 0;
		else
			fprintf(stderr, "autocompfs: %s\n", msg);
	}
	return status;
}

/* Without -f, forks before anything is opened: the parent returns the exit
 * status wait_for_daemon gives it; the child, in a session of its own,
 * goes on (GO_ON) with d->notify to report on. EXIT_START if it cannot. */
static int daemonize(struct daemon_state *d)
{
	if (d->cmd.foreground)
		return GO_ON;
	int p[2];
	if (pipe(p) < 0) {
		perror("autocompfs: pipe");
		return EXIT_START;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("autocompfs: fork");
		return EXIT_START;
	}
	if (pid > 0) {
		close(p[1]);
		return wait_for_daemon(p[0]);
	}
	close(p[0]);
	d->notify = p[1];
	setsid();
	return GO_ON;
}

/* Says why the start failed: to the waiting parent, or on stderr in the
 * foreground. */
static void start_failed(struct daemon_state *d, const char *err)
{
	if (d->notify >= 0)
		report_parent(d->notify, err);
	else
		fprintf(stderr, "autocompfs: %s\n", err);
	d->notify = -1;
}

/* Opens the engine on the state directory. 0, or -errno with err saying
 * why. */
static int open_engine(struct daemon_state *d, char *err, size_t len)
{
	struct engine_opts eo = {
		.state_dir = d->o.state,
		.models = d->models,
		.build_jobs = d->o.jobs,
		.llm_in_flight = d->o.inflight,
		.reasoning_effort = d->effort,
		.thinking_budget = d->o.thinking_budget,
		.max_output_tokens = d->o.max_output_tokens,
		.debounce_s = -1,
		.executor = d->o.executor ? config_executor_parse(d->o.executor) : EXECUTOR_MOUNT,
		.slots = d->o.slots,
		.cores = d->o.cores,
	};
	return engine_open(&eo, &d->e, err, len);
}

/* Makes the filesystem, mounts it and installs libfuse's signal handlers.
 * 0, or -1 with err saying why and nothing of libfuse left (d->fc may be
 * set: daemon_state_free frees it). */
static int mount_fs(struct daemon_state *d, char *err, size_t len)
{
	d->fc = fs_ctx_new(d->e);
	d->f = d->fc ? fuse_new(&d->args, fs_operations(), sizeof(struct fuse_operations), d->fc)
	             : NULL;
	if (!d->f) {
		snprintf(err, len, "cannot set up the filesystem (bad -o option?)");
		return -1;
	}
	if (fuse_mount(d->f, d->cmd.mountpoint) != 0) {
		mount_failure(d->cmd.mountpoint, err, len);
		fuse_destroy(d->f);
		d->f = NULL;
		return -1;
	}
	if (fuse_set_signal_handlers(fuse_get_session(d->f)) != 0) {
		snprintf(err, len, "cannot install signal handlers");
		fuse_unmount(d->f);
		fuse_destroy(d->f);
		d->f = NULL;
		return -1;
	}
	return 0;
}

/* Opens the log file, the engine and the mount. GO_ON, or EXIT_START once
 * start_failed has said why. */
static int start(struct daemon_state *d)
{
	char err[1024] = "";
	/* the state directory holds prompts, code and results: private */
	umask(077);
	if (d->o.log_file) {
		int rc = log_pump_start(&d->lp, d->o.log_file);
		if (rc) {
			snprintf(err, sizeof(err), "cannot write the log file %s: %s", d->o.log_file,
			         strerror(-rc));
			start_failed(d, err);
			return EXIT_START;
		}
	}
	if (open_engine(d, err, sizeof(err)) != 0 || mount_fs(d, err, sizeof(err)) != 0) {
		start_failed(d, err);
		return EXIT_START;
	}
	return GO_ON;
}

/* Once mounted: tells the waiting parent, which then exits 0, and lets go
 * of the terminal and of the directory it was started in. In the
 * foreground, nothing. */
static void detach(struct daemon_state *d)
{
	if (d->notify < 0)
		return;
	report_parent(d->notify, "");
	d->notify = -1;
	int nul = open("/dev/null", O_RDWR);
	if (nul >= 0) {
		dup2(nul, 0);
		dup2(nul, 1);
		if (!d->lp.running)
			dup2(nul, 2);
		if (nul > 2)
			close(nul);
	}
	if (chdir("/") < 0)
		perror("autocompfs: chdir");
}

/* Says the mount is up and answers requests until it is unmounted or a
 * signal ends the loop. Returns what the loop returned. */
static int serve(struct daemon_state *d)
{
	struct fuse_cmdline_opts *cmd = &d->cmd;
	info("mounted %s (state %s, pid %d, version %s, log %s)", cmd->mountpoint, d->o.state,
	     (int)getpid(), AC_VERSION, log_level == LOG_DEBUG ? "debug" : log_level == LOG_INFO
	                                                        ? "info" : "error");
	int loop;
	if (cmd->singlethread) {
		loop = fuse_loop(d->f);
	} else {
		struct fuse_loop_config *lc = fuse_loop_cfg_create();
		fuse_loop_cfg_set_clone_fd(lc, cmd->clone_fd);
		fuse_loop_cfg_set_max_threads(lc, MAX_THREADS);
		/* a worker that exits after a burst is made again by the next:
		 * each comes with its 1 MiB request buffer and, here, its own
		 * store connection; keep those made (at most MAX_THREADS) */
		fuse_loop_cfg_set_idle_threads(lc, cmd->max_idle_threads > 0 &&
		                                   cmd->max_idle_threads < 1000
		                                   ? cmd->max_idle_threads : MAX_THREADS);
		loop = fuse_loop_mt(d->f, lc);
		fuse_loop_cfg_destroy(lc);
	}
	return loop;
}

/* Unmounts and stops the engine after the loop, which returned loop.
 * Returns the exit status: 0 for the normal ways to end (unmounting,
 * SIGTERM, SIGINT, SIGHUP), else 1. */
static int shut_down(struct daemon_state *d, int loop)
{
	/* From here on a termination request (fusermount3 -u followed at once
	 * by SIGTERM, as scripts and service managers do) waits for the
	 * shutdown, which stops every run and removes the scratch directory,
	 * instead of cutting it short. */
	hold_termination();   /* first: libfuse then leaves these handlers alone */
	fuse_remove_signal_handlers(fuse_get_session(d->f));
	fs_ctx_stop(d->fc);   /* before fuse_destroy frees what it invalidates */
	fuse_unmount(d->f);
	fuse_destroy(d->f);
	d->f = NULL;
	fs_ctx_free(d->fc);
	d->fc = NULL;
	engine_free(d->e);
	d->e = NULL;
	int status = (loop == 0 || loop == SIGTERM || loop == SIGINT || loop == SIGHUP ||
	              loop == -SIGTERM || loop == -SIGINT || loop == -SIGHUP) ? 0 : EXIT_START;
	info("unmounted %s, exiting with status %d", d->cmd.mountpoint, status);
	return status;
}

/* How malloc keeps the daemon's memory flat over days (README, "What the
 * daemon's memory grows with"). glibc raises its mmap threshold whenever
 * a large block is freed; from then on libfuse's 1 MiB request buffers
 * and large renderings come from the heap, whose freed pages stay
 * resident and fragment. A fixed threshold (which also fixes the trim
 * threshold) keeps them mapped and gives them back when freed; a few
 * arenas for the many short-lived engine threads keep the heaps few. */
static void malloc_policy(void)
{
#ifdef M_MMAP_THRESHOLD
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, 256 * 1024);
	mallopt(M_ARENA_MAX, 4);
#endif
}

int main(int argc, char *argv[])
{
	malloc_policy();
	struct daemon_state d = {.args = FUSE_ARGS_INIT(argc, argv), .notify = -1};
	int status = read_options(&d, argv[0]);
	if (status == GO_ON)
		status = check_options(&d);
	if (status == GO_ON)
		status = libfuse_options(&d);
	if (status == GO_ON)
		status = engine_options(&d);
	if (status == GO_ON)
		status = daemonize(&d);
	if (status == GO_ON)
		status = start(&d);
	if (status == GO_ON) {
		detach(&d);
		status = shut_down(&d, serve(&d));
	}
	daemon_state_free(&d);
	return status;
}
