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
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ac_config.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "fs/fs.h"

#include <fuse_lowlevel.h>

struct options {
	char *state;
	char *models;
	int jobs;
	int inflight;
	int help;
	int version;
};

#define OPT(t, p) {t, offsetof(struct options, p), 1}
static const struct fuse_opt spec[] = {
	OPT("state=%s", state),
	OPT("models=%s", models),
	OPT("jobs=%d", jobs),
	OPT("llm_inflight=%d", inflight),
	OPT("-h", help),
	OPT("--help", help),
	OPT("-V", version),
	OPT("--version", version),
	FUSE_OPT_END,
};

static void usage(const char *prog)
{
	printf("usage: %s [options] MOUNTPOINT\n\n"
	       "Mounts autocompfs: copy a kernel and its harness into MOUNTPOINT/kernels/NAME/\n"
	       "and watch plans/, candidates/, metrics.json and best.c fill in.\n\n"
	       "options:\n"
	       "    -h, --help             this help\n"
	       "    -V, --version          print the version\n"
	       "    -f                     stay in the foreground\n"
	       "    -d                     debug: foreground, print every FUSE request\n"
	       "    -o state=DIR           state directory (default $XDG_STATE_HOME/autocompfs,\n"
	       "                           else ~/.local/state/autocompfs)\n"
	       "    -o models=M1,M2        models for every kernel, e.g. openai::gpt-4.1 or\n"
	       "                           openai@http://127.0.0.1:8000/v1::Qwen/Qwen3-8B\n"
	       "                           (default: $AUTOCOMP_MODELS)\n"
	       "    -o jobs=N              parallel builds (default: the number of CPUs)\n"
	       "    -o llm_inflight=N      LLM requests in flight (default 4)\n"
	       "    -o allow_other         let other users see the mount (private by default)\n\n"
	       "Unmount with: fusermount3 -u MOUNTPOINT (or send SIGTERM).\n", prog);
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

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct options o = {0};
	if (fuse_opt_parse(&args, &o, spec, NULL) == -1)
		return 2;
	if (o.help) {
		usage(argv[0]);
		printf("\nFUSE options:\n");
		fuse_lib_help(&args);
		fuse_opt_free_args(&args);
		return 0;
	}
	if (o.version) {
		printf("autocompfs %s (FUSE %s)\n", AC_VERSION, fuse_pkgversion());
		fuse_opt_free_args(&args);
		return 0;
	}
	struct fuse_cmdline_opts cmd;
	if (fuse_parse_cmdline(&args, &cmd) != 0)
		return 2;
	if (!cmd.mountpoint) {
		fprintf(stderr, "autocompfs: no mountpoint given (try --help)\n");
		return 2;
	}
	if (!o.state)
		o.state = default_state_dir();
	const char *models = o.models ? o.models : getenv("AUTOCOMP_MODELS");
	char **mv = models && *models ? strv_split(models, ',') : NULL;

	/* Fork before opening anything: the parent waits for the child's word. */
	int notify = -1;
	if (!cmd.foreground) {
		int p[2];
		if (pipe(p) < 0) {
			perror("autocompfs: pipe");
			return 1;
		}
		pid_t pid = fork();
		if (pid < 0) {
			perror("autocompfs: fork");
			return 1;
		}
		if (pid > 0) {
			close(p[1]);
			char msg[1024];
			ssize_t n = read(p[0], msg, sizeof(msg) - 1);
			if (n <= 0) {
				fprintf(stderr, "autocompfs: the daemon exited during start-up\n");
				return 1;
			}
			msg[n] = '\0';
			if (n == 1 && msg[0] == '\0')
				return 0;
			fprintf(stderr, "autocompfs: %s\n", msg);
			return 1;
		}
		close(p[0]);
		notify = p[1];
		setsid();
	}

	/* the state directory holds prompts, code and results: private */
	umask(077);
	char err[1024] = "";
	struct engine_opts eo = {
		.state_dir = o.state,
		.models = mv,
		.build_jobs = o.jobs,
		.llm_in_flight = o.inflight,
		.debounce_s = -1,
	};
	struct engine *e = NULL;
	int rc = engine_open(&eo, &e, err, sizeof(err));
	if (rc) {
		if (notify >= 0)
			report_parent(notify, err);
		else
			fprintf(stderr, "autocompfs: %s\n", err);
		return 1;
	}
	struct fs_ctx *fc = fs_ctx_new(e);
	struct fuse *f = fc ? fuse_new(&args, fs_operations(), sizeof(struct fuse_operations), fc)
	                    : NULL;
	if (!f) {
		snprintf(err, sizeof(err), "cannot set up the filesystem (bad -o option?)");
		goto fail;
	}
	if (fuse_mount(f, cmd.mountpoint) != 0) {
		snprintf(err, sizeof(err), "cannot mount on %s (does it exist? is something "
		         "mounted there? try fusermount3 -u %s)", cmd.mountpoint, cmd.mountpoint);
		fuse_destroy(f);
		f = NULL;
		goto fail;
	}
	if (fuse_set_signal_handlers(fuse_get_session(f)) != 0) {
		snprintf(err, sizeof(err), "cannot install signal handlers");
		fuse_unmount(f);
		fuse_destroy(f);
		f = NULL;
		goto fail;
	}
	if (notify >= 0) {
		report_parent(notify, "");
		notify = -1;
		int nul = open("/dev/null", O_RDWR);
		if (nul >= 0) {
			dup2(nul, 0);
			dup2(nul, 1);
			dup2(nul, 2);
			if (nul > 2)
				close(nul);
		}
		if (chdir("/") < 0)
			perror("autocompfs: chdir");
	}
	int loop;
	if (cmd.singlethread) {
		loop = fuse_loop(f);
	} else {
		struct fuse_loop_config *lc = fuse_loop_cfg_create();
		fuse_loop_cfg_set_clone_fd(lc, cmd.clone_fd);
		fuse_loop_cfg_set_max_threads(lc, 16);
		fuse_loop_cfg_set_idle_threads(lc, cmd.max_idle_threads > 0 && cmd.max_idle_threads < 1000
		                                   ? cmd.max_idle_threads : 10);
		loop = fuse_loop_mt(f, lc);
		fuse_loop_cfg_destroy(lc);
	}
	fuse_remove_signal_handlers(fuse_get_session(f));
	fuse_unmount(f);
	fuse_destroy(f);
	fs_ctx_free(fc);
	engine_free(e);
	strv_free(mv);
	free(cmd.mountpoint);
	fuse_opt_free_args(&args);
	free(o.state);
	free(o.models);
	/* unmounting or SIGTERM/SIGINT/SIGHUP are the normal ways to end */
	return (loop == 0 || loop == SIGTERM || loop == SIGINT || loop == SIGHUP ||
	        loop == -SIGTERM || loop == -SIGINT || loop == -SIGHUP) ? 0 : 1;

fail:
	if (notify >= 0)
		report_parent(notify, err);
	else
		fprintf(stderr, "autocompfs: %s\n", err);
	fs_ctx_free(fc);
	engine_free(e);
	return 1;
}
