/*
 * noderun.c - autocompfs-run, the program that runs one timed run on a
 * cluster node, inside the same sandbox as on the daemon's machine.
 *
 * The daemon never starts it directly: it appends the run (a manifest and
 * the files) to a copy of this executable, and `srun --bcast` ships that
 * bundle to the node and starts it there (see executor.h). It then
 *
 *  1. prints "AC-NODE job=4121 step=0 node=n2 start=<epoch s>" at once,
 *     so the daemon knows the job started and where;
 *  2. unpacks its own tail into a fresh directory under $TMPDIR (or /tmp)
 *     and removes the shipped bundle file (and what runs killed outright
 *     left there);
 *  3. runs the manifest's command there with ac_sandbox_run (rlimits, the
 *     unprivileged uid when started as root, no network, the timeout that
 *     kills the group), pinned to the last core it may use when asked to;
 *     the daemon's scratch directory in argv and environment becomes the
 *     new directory;
 *  4. prints "AC-RESULT {json}" (ac_bundle_result_line) and removes the
 *     directory. SIGTERM or SIGINT (scancel, the job's time limit) kill
 *     the sandboxed command first.
 *
 *     $ srun -N1 --exclusive --bcast=/tmp/autocompfs-bundle-ac-1a2b.. BUNDLE
 *     AC-NODE job=12 step=0 node=n1 start=1796156000.123
 *     AC-RESULT {"exit_code":0,"signal":0,...,"report":"7b22636f...","start":..}
 *
 * Started by hand without a payload it says what it is and exits 2. It
 * trusts its manifest (the daemon wrote it); it does not trust the
 * command, which is why the sandbox is here.
 */
#include "targets/exec/executor.h"
#include "targets/exec/fileio.h"
#include "targets/exec/sandbox.h"
#include "targets/exec/subst.h"

#include <cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BUNDLE_PREFIX "autocompfs-bundle-"
#define NODE_PREFIX "autocompfs-node-"

static atomic_int stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop_flag, 1);
}

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What a run killed outright (SIGKILL after scancel, its node's step
 * daemon gone) left in dir: run directories whose autocompfs-run (the pid
 * in the name) is gone, and bundles older than an hour (a bundle lives
 * from its broadcast to its program's start, a moment). */
static void sweep(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	time_t now = time(NULL);

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;

		if (strncmp(e->d_name, BUNDLE_PREFIX, sizeof BUNDLE_PREFIX - 1) &&
		    strncmp(e->d_name, NODE_PREFIX, sizeof NODE_PREFIX - 1))
			continue;
		if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path ||
		    lstat(path, &st) != 0)
			continue;
		if (!strncmp(e->d_name, NODE_PREFIX, sizeof NODE_PREFIX - 1)) {
			long pid = strtol(e->d_name + sizeof NODE_PREFIX - 1, NULL, 10);

			if (pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 ||
			    errno != ESRCH)
				continue;
		} else if (now - st.st_mtime < 3600) {
			continue;
		}
		/* ours: made by this user (as root, also what the sandbox handed
		 * to its unprivileged user) */
		if (st.st_uid != geteuid() && geteuid() != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			ac_remove_tree(path);
		else if (S_ISREG(st.st_mode))
			unlink(path);
	}
	closedir(d);
}

/* A NULL-terminated copy of a JSON array of strings, remapped. */
static char **strings_of(const cJSON *arr, const char *from, const char *to)
{
	int n = cJSON_GetArraySize(arr);
	char **v = calloc((size_t)n + 1, sizeof *v);
	const cJSON *it;
	int i = 0;

	if (!v)
		return NULL;
	cJSON_ArrayForEach(it, arr) {
		if (cJSON_IsString(it))
			v[i++] = ac_subst(it->valuestring, 1, &from, &to);
	}
	return v;
}

/* The devices Slurm gave this job (--gres) are the node's to name: its
 * variables go first in the list, so they win over the daemon's. Takes
 * v, returns the new list (v itself when there is nothing to add). */
static char **node_env(char **v)
{
	static const char *const names[] = { "CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER",
	                                     "ROCR_VISIBLE_DEVICES", "GPU_DEVICE_ORDINAL",
	                                     "NEURON_RT_VISIBLE_CORES", NULL };
	size_t n = 0, k = 0;
	char **out;

	for (char **p = v; p && *p; p++)
		n++;
	out = calloc(n + sizeof names / sizeof names[0], sizeof *out);
	if (!v || !out) {
		free(out);
		return v;
	}
	for (int i = 0; names[i]; i++) {
		const char *val = getenv(names[i]);
		char *e;

		if (val && asprintf(&e, "%s=%s", names[i], val) >= 0)
			out[k++] = e;
	}
	for (size_t i = 0; i < n; i++)
		out[k++] = v[i];
	free(v);
	return out;
}

static void free_strings(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

static size_t size_of(const cJSON *m, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, key);

	return cJSON_IsString(v) ? (size_t)strtoull(v->valuestring, NULL, 10) : 0;
}

static bool bool_of(const cJSON *m, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, key));
}

/* Prints a result for a run that could not start (exit 127, the reason
 * as its output), so the daemon shows why. */
static void print_failure(const char *why, double start)
{
	struct ac_proc_result pr;
	char *line;

	memset(&pr, 0, sizeof pr);
	pr.exit_code = 127;
	pr.output = (char *)why;
	pr.output_len = strlen(why);
	line = ac_bundle_result_line(&pr, start, wall_now());
	if (line)
		fputs(line, stdout);
	free(line);
	fflush(stdout);
}

/* Where runs live: $TMPDIR, else /tmp. */
static const char *tmp_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	return tmp && *tmp ? tmp : "/tmp";
}

/* Puts the path of this program (the shipped bundle) in self. 0, or says
 * why not and returns -1. */
static int find_self(char *self, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", self, len - 1);

	if (n <= 0) {
		fprintf(stderr, "autocompfs-run: cannot find itself: %s\n", strerror(errno));
		return -1;
	}
	self[n] = '\0';
	return 0;
}

/* Prints the AC-NODE line. Returns the node's name: Slurm's, else the
 * host's (kept in host), else "unknown". */
static const char *announce(double start, char *host, size_t len)
{
	const char *job = getenv("SLURM_JOB_ID");
	const char *step = getenv("SLURM_STEP_ID");
	const char *node = getenv("SLURMD_NODENAME");

	if (!node || !*node) {
		gethostname(host, len - 1);
		node = host[0] ? host : "unknown";
	}
	printf("AC-NODE job=%s step=%s node=%s start=%.6f\n", job ? job : "-", step ? step : "-",
	       node, start);
	fflush(stdout);
	return node;
}

/* SIGTERM, SIGINT and SIGHUP (scancel, the job's time limit) set
 * stop_flag, which cancels the sandboxed command. */
static void catch_termination(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Sweeps what killed runs left, then makes this run's directory in dir.
 * 0, or prints a failed result and returns -1. */
static int make_run_dir(char *dir, size_t len, const char *node, double start)
{
	const char *tmp = tmp_dir();
	char why[PATH_MAX + 128];

	sweep(tmp);
	if (strcmp(tmp, "/tmp"))
		sweep("/tmp");   /* where --bcast puts bundles */
	snprintf(dir, len, "%s/" NODE_PREFIX "%d-XXXXXX", tmp, (int)getpid());
	if (!mkdtemp(dir)) {
		snprintf(why, sizeof why, "autocompfs-run on %s: cannot make a directory in %s: %s\n",
		         node, tmp, strerror(errno));
		print_failure(why, start);
		return -1;
	}
	return 0;
}

/* Unpacks the run carried by self into dir and removes the shipped copy.
 * Returns 0 with *manifest set (the caller frees it), or the exit status
 * once it has said why not and removed dir: 2 when there is no run (started
 * by hand), 1 when the run cannot be unpacked. */
static int unpack_run(const char *self, const char *dir, char **manifest, const char *node,
                      double start)
{
	char why[PATH_MAX + 128];
	int rc = ac_bundle_unpack(self, dir, manifest);

	/* the shipped copy is ours to remove, an installed program is not */
	if (!strncmp(strrchr(self, '/') ? strrchr(self, '/') + 1 : self, BUNDLE_PREFIX,
	             sizeof BUNDLE_PREFIX - 1))
		unlink(self);
	if (rc >= 0)
		return 0;
	ac_remove_tree(dir);
	if (rc == -ENOEXEC) {
		fprintf(stderr, "autocompfs-run: runs one timed run that autocompfs sends "
		        "to a cluster node (srun --bcast); it has nothing to do when "
		        "started by hand\n");
		return 2;
	}
	snprintf(why, sizeof why, "autocompfs-run on %s: cannot unpack the run: %s\n", node,
	         strerror(-rc));
	print_failure(why, start);
	return 1;
}

/* The sandbox options the manifest m asks for, the run in dir. */
static void sandbox_opts_of(struct ac_sandbox_opts *so, const cJSON *m, const char *dir,
                            char **run_argv, char **run_env)
{
	memset(so, 0, sizeof *so);
	so->dir = dir;
	so->argv = run_argv;
	so->env = run_env;
	so->timeout_s = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(m, "timeout_s"));
	so->output_cap = size_of(m, "output_cap");
	so->cpu = bool_of(m, "pin") ? ac_sandbox_last_cpu() : -1;
	so->ncpus = (int)size_of(m, "ncpus");
	so->isolate_net = bool_of(m, "isolate_net");
	so->report = bool_of(m, "report");
	so->mem_bytes = size_of(m, "mem_bytes");
	so->cpu_s = (unsigned)size_of(m, "cpu_s");
	so->nproc = (unsigned)size_of(m, "nproc");
	so->fsize_bytes = size_of(m, "fsize_bytes");
	so->nofile = (unsigned)size_of(m, "nofile");
	so->keep_uid = bool_of(m, "keep_uid");
	so->cancel = &stop_flag;
	if (so->timeout_s != so->timeout_s)
		so->timeout_s = 0;
}

/* Runs the command in the sandbox and prints its AC-RESULT line (a
 * failed result when it could not run). */
static void run_and_report(const struct ac_sandbox_opts *so, const char *node, double start)
{
	char *const *run_argv = so->argv;
	char why[PATH_MAX + 128];
	struct ac_proc_result pr;
	char *line;
	int rc = run_argv && run_argv[0] ? ac_sandbox_run(so, &pr) : -EINVAL;

	if (rc < 0) {
		snprintf(why, sizeof why, "autocompfs-run on %s: cannot run %s: %s\n", node,
		         run_argv && run_argv[0] ? run_argv[0] : "(nothing)", strerror(-rc));
		print_failure(why, start);
		return;
	}
	/* signalled ourselves (scancel, the time limit): what the command
	 * did after that is not its result */
	if (atomic_load(&stop_flag))
		pr.cancelled = true;
	line = ac_bundle_result_line(&pr, start, wall_now());
	if (line)
		fputs(line, stdout);
	free(line);
	fflush(stdout);
	ac_proc_result_clear(&pr);
}

int main(void)
{
	char self[PATH_MAX], dir[PATH_MAX], host[256] = "";
	struct ac_sandbox_opts so;
	char **run_argv = NULL, **run_env = NULL;
	char *manifest = NULL;
	cJSON *m = NULL;
	const char *node, *from;
	double start = wall_now();
	int rc;

	if (find_self(self, sizeof self) != 0)
		return 2;
	node = announce(start, host, sizeof host);
	catch_termination();
	if (make_run_dir(dir, sizeof dir, node, start) != 0)
		return 1;
	rc = unpack_run(self, dir, &manifest, node, start);
	if (rc != 0)
		return rc;
	m = cJSON_Parse(manifest);
	from = m ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "dir")) : NULL;
	if (!m || !from) {
		ac_remove_tree(dir);
		print_failure("autocompfs-run: the manifest is unreadable\n", start);
		return 1;
	}
	run_argv = strings_of(cJSON_GetObjectItemCaseSensitive(m, "argv"), from, dir);
	run_env = node_env(strings_of(cJSON_GetObjectItemCaseSensitive(m, "env"), from, dir));
	sandbox_opts_of(&so, m, dir, run_argv, run_env);
	/* the sandbox user must pass through to the directory */
	chmod(dir, 0711);
	run_and_report(&so, node, start);
	ac_remove_tree(dir);
	free_strings(run_argv);
	free_strings(run_env);
	cJSON_Delete(m);
	free(manifest);
	return 0;
}
