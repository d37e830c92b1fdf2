/*
 * e2e_access.c - who may reach what: the mount, the state directory, the
 * names a user gives, the keys.
 *
 * The mount is private unless -o allow_other, and then others may look,
 * not touch; the state directory is 0700 and the database 0600; a kernel
 * or file name cannot reach outside its place; an API key in the daemon's
 * environment never reaches a compiler's or a candidate's (checked from
 * inside: a harness and a compiler wrapper read their own and their
 * parent's /proc/PID/environ).
 *
 * "Another user" is nobody (uid 65534) through setpriv, so these tests
 * need root; they skip without it.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support.h"

static struct mnt m;
static char tools[64];   /* world-readable and writable: the wrapper and its dump */

static const char *SECRET = "OPENAI_API_KEY=sk-test-ACCESS-2323";
#define AS_NOBODY "setpriv --reuid=65534 --regid=65534 --clear-groups "

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (to act as another user)");
	mnt_init(&m);
	/* others may pass through the base directory to the mountpoint, so a
	 * refusal is the mount's own */
	cr_assert_eq(chmod(m.base, 0711), 0);
	cr_assert_eq(chmod(m.dir, 0755), 0);
	snprintf(tools, sizeof(tools), "/tmp/acfs-tools-XXXXXX");
	cr_assert(mkdtemp(tools));
	cr_assert_eq(chmod(tools, 01777), 0);
}

static void teardown(void)
{
	if (m.base[0])
		mnt_cleanup(&m);
	if (tools[0])
		sh("rm -rf '%s'", tools);
}

TestSuite(access, .init = setup, .fini = teardown, .timeout = 300);

static void start(const char *const *args)
{
	const char *env[] = {SECRET, NULL};
	mnt_start(&m, args, env);
}

static void add_gemm(const char *name, const char *config)
{
	cr_assert_eq(sh("mkdir %s/kernels/%s && printf '%%s' '%s' > %s/kernels/%s/config.json && "
	                "cp %s/tests/kernels/gemm/* %s/kernels/%s/",
	                m.dir, name, config, m.dir, name, src_dir(), m.dir, name), 0);
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	cr_assert_eq(stat(path, &st), 0, "%s: %s", path, strerror(errno));
	return st.st_mode & 07777;
}

Test(access, private_unless_allow_other)
{
	start(NULL);
	add_gemm("k", "{}");
	cr_assert_eq(sh("ls %s/kernels/k >/dev/null", m.dir), 0, "the owner cannot list");
	cr_expect_neq(sh(AS_NOBODY "ls %s >/dev/null 2>&1", m.dir), 0, "another user lists the mount");
	cr_expect_neq(sh(AS_NOBODY "cat %s/status >/dev/null 2>&1", m.dir), 0,
	              "another user reads status");
	cr_expect_neq(sh(AS_NOBODY "cat %s/kernels/k/input.c >/dev/null 2>&1", m.dir), 0,
	              "another user reads a kernel");
	cr_expect_neq(sh(AS_NOBODY "mkdir %s/kernels/theirs 2>/dev/null", m.dir), 0,
	              "another user makes a kernel");
	char *st = wait_final(&m, "k", 120);
	free(st);
	cr_assert_eq(mnt_stop(&m), 0);

	/* allow_other: others may look, not touch */
	const char *args[] = {"-o", "allow_other", NULL};
	start(args);
	cr_expect_eq(sh(AS_NOBODY "ls %s/kernels/k >/dev/null", m.dir), 0,
	             "allow_other, yet another user cannot list");
	cr_expect_eq(sh(AS_NOBODY "cat %s/kernels/k/status >/dev/null", m.dir), 0,
	             "allow_other, yet another user cannot read status");
	cr_expect_neq(sh(AS_NOBODY "mkdir %s/kernels/theirs 2>/dev/null", m.dir), 0,
	              "allow_other: another user made a kernel (and could run code)");
	cr_expect_neq(sh(AS_NOBODY "sh -c 'echo \"int x;\" >> %s/kernels/k/input.c' 2>/dev/null",
	                 m.dir), 0, "allow_other: another user edited input.c");
	cr_expect_neq(sh(AS_NOBODY "sh -c 'echo restart > %s/kernels/k/ctl' 2>/dev/null", m.dir), 0,
	              "allow_other: another user wrote ctl");
	cr_expect_neq(sh(AS_NOBODY "rm -rf %s/kernels/k 2>/dev/null; test -d %s/kernels/k", m.dir,
	                 m.dir), 1, "allow_other: another user removed a kernel");
	cr_expect_neq(sh(AS_NOBODY "sh -c 'echo x > %s/menus/cpu.menu' 2>/dev/null", m.dir), 0,
	              "allow_other: another user edited a menu");
	char *input = slurpf("%s/kernels/k/input.c", m.dir);
	char *orig = slurpf("%s/tests/kernels/gemm/input.c", src_dir());
	cr_expect_str_eq(input, orig);
	free(input);
	free(orig);
	/* and the owner still works as before */
	cr_expect_eq(sh("echo '/* mine */' > %s/kernels/k/notes.h && rm %s/kernels/k/notes.h",
	                m.dir, m.dir), 0, "the owner cannot write with allow_other");
	cr_assert_eq(mnt_stop(&m), 0);
}

Test(access, state_directory_is_private)
{
	start(NULL);
	add_gemm("k", "{}");
	char *st = wait_final(&m, "k", 120);
	cr_assert(st && !strncmp(st, "done", 4), "%s", st ? st : "");
	free(st);
	char path[400];
	cr_expect_eq(mode_of(m.state), 0700, "state directory %o", mode_of(m.state));
	const char *files[] = {"autocompfs.db", "autocompfs.db-wal", "autocompfs.db-shm", "lock"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", m.state, files[i]);
		struct stat sb;
		if (stat(path, &sb) != 0)
			continue;   /* -wal/-shm exist only while open */
		cr_expect_eq(sb.st_mode & 07777, 0600, "%s is %o", files[i], sb.st_mode & 07777);
	}
	/* nothing in it is readable by others, whatever its name */
	char *open_to_others = sh_out("find %s -perm /o=rwx -o -perm /g=rwx", m.state);
	cr_expect_str_eq(open_to_others, "", "readable by others:\n%s", open_to_others);
	free(open_to_others);
	cr_expect_neq(sh(AS_NOBODY "cat %s/autocompfs.db >/dev/null 2>&1", m.state), 0,
	              "another user reads the database");
	cr_expect_neq(sh(AS_NOBODY "ls %s >/dev/null 2>&1", m.state), 0,
	              "another user lists the state directory");
	/* the scratch directory (elsewhere when root) lets others through, not in */
	char *note = slurpf("%s/scratch-dir", m.state);
	if (note && note[0] == '/') {
		note[strcspn(note, "\n")] = '\0';
		struct stat sb;
		cr_assert_eq(stat(note, &sb), 0, "%s", note);
		cr_expect_eq(sb.st_uid, 0u);
		cr_expect_eq(sb.st_mode & 07777, 0711, "scratch %s is %o", note, sb.st_mode & 07777);
		cr_expect_neq(sh(AS_NOBODY "ls %s >/dev/null 2>&1", note), 0,
		              "another user lists the scratch directory");
	}
	free(note);
	/* the daemon's own environment holds the key; nobody else may read it */
	char *env = sh_out("tr '\\0' '\\n' < /proc/%d/environ", (int)m.pid);
	cr_assert(strstr(env, "ACCESS-2323"), "the daemon was not given the key");
	free(env);
	cr_expect_neq(sh(AS_NOBODY "cat /proc/%d/environ >/dev/null 2>&1", (int)m.pid), 0,
	              "another user reads the daemon's environment");
	cr_assert_eq(mnt_stop(&m), 0);
}

Test(access, names_cannot_escape)
{
	start(NULL);
	char name[400];
	memset(name, 'a', 64);
	name[64] = '\0';
	cr_expect_eq(sh("mkdir %s/kernels/%s", m.dir, name), 0, "a 64-byte kernel name");
	name[64] = 'a';
	name[65] = '\0';
	cr_expect_neq(sh("mkdir %s/kernels/%s 2>/dev/null", m.dir, name), 0, "a 65-byte name");
	memset(name, 'b', 300);
	name[300] = '\0';
	cr_expect_neq(sh("mkdir %s/kernels/%s 2>/dev/null", m.dir, name), 0, "a 300-byte name");
	const char *bad[] = {"'a b'", "'a\nb'", ".hidden", "'a\\b'", "'x;rm'", "'$(id)'", "'a/b'"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_neq(sh("mkdir -- %s/kernels/%s 2>/dev/null", m.dir, bad[i]), 0,
		              "kernel name %s was taken", bad[i]);
	/* .. and / never reach the daemon as part of a name: nothing outside */
	cr_expect_neq(sh("mkdir %s/kernels/../escaped 2>/dev/null", m.dir), 0);
	cr_expect_neq(sh("mkdir %s/escaped 2>/dev/null", m.dir), 0, "a directory at the root");
	add_gemm("k", "{}");
	cr_expect_neq(sh("mv %s/kernels/k '%s/kernels/k k' 2>/dev/null", m.dir, m.dir), 0,
	              "renamed to a bad name");
	cr_expect_neq(sh("mv %s/kernels/k %s/escaped 2>/dev/null", m.dir, m.dir), 0,
	              "renamed out of kernels/");

	/* config.json may not point the input elsewhere */
	const char *inputs[] = {"../../../etc/passwd", "/etc/passwd", "sub/input.c", "..", "."};
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
		cr_expect_neq(sh("printf '{\"input\": \"%s\"}' > %s/kernels/k/config.json 2>/dev/null",
		                 inputs[i], m.dir), 0, "\"input\": \"%s\" was taken", inputs[i]);
	/* links out of the mount are refused */
	cr_expect_neq(sh("ln -s /etc/shadow %s/kernels/k/shadow.h 2>/dev/null", m.dir), 0,
	              "a symlink to /etc/shadow");
	cr_expect_neq(sh("ln %s/kernels/k/input.c %s/kernels/k/again.c 2>/dev/null", m.dir, m.dir),
	              0, "a hard link");

	/* odd user file names are kept as names, and builds still work */
	memset(name, 'c', 250);
	memcpy(name + 250, ".h", 3);
	cr_expect_eq(sh("echo '/* long */' > %s/kernels/k/%s", m.dir, name), 0, "a 252-byte file");
	cr_expect_eq(sh("echo '/* odd */' > '%s/kernels/k/-o x;$(id)\\.h'", m.dir), 0);
	cr_expect_eq(sh("echo '/* nl */' > '%s/kernels/k/a\nb.h'", m.dir), 0);
	cr_assert_eq(sh("touch %s/kernels/k/input.c && echo restart > %s/kernels/k/ctl", m.dir,
	                m.dir), 0);
	usleep(500000);
	char *st = wait_final(&m, "k", 120);
	cr_expect(st && !strncmp(st, "done", 4), "with odd file names: %s", st ? st : "");
	free(st);
	char *ls = sh_out("ls %s/kernels/k", m.dir);
	cr_expect(strstr(ls, name) && strstr(ls, "-o x;$(id)\\.h"), "names not kept: %s", ls);
	free(ls);
	/* nothing named by a user appeared outside the mount's kernels */
	cr_expect_eq(sh("find / -xdev -maxdepth 2 -name escaped 2>/dev/null | grep -q ."), 1);
	cr_expect_eq(sh("find %s -name escaped 2>/dev/null | grep -q .", m.base), 1);
	char *kernels = sh_out("ls %s/kernels", m.dir);
	char want[200];
	memset(want, 'a', 64);
	snprintf(want + 64, sizeof(want) - 64, "\nk\n");
	cr_expect_str_eq(kernels, want);
	free(kernels);
	cr_assert_eq(mnt_stop(&m), 0);
}

Test(access, keys_never_reach_children)
{
	start(NULL);
	/* a compiler that writes down its environment and its parent's */
	char wrapper[200], dump[200];
	snprintf(dump, sizeof(dump), "%s/cc-env", tools);
	snprintf(wrapper, sizeof(wrapper), "%s/env-cc", tools);
	FILE *f = fopen(wrapper, "w");
	cr_assert(f);
	fprintf(f, "#!/bin/sh\n{ echo \"== cc as $(id -u)\"; env; echo \"== parent $PPID\";\n"
	           "  tr '\\0' '\\n' < /proc/$PPID/environ; } >> %s 2>&1\nexec cc \"$@\"\n", dump);
	fclose(f);
	cr_assert_eq(chmod(wrapper, 0755), 0);
	char config[400];
	snprintf(config, sizeof(config), "{\"cc\": \"%s\"}", wrapper);
	cr_assert_eq(sh("mkdir %s/kernels/env && printf '%%s' '%s' > %s/kernels/env/config.json && "
	                "cp %s/tests/kernels/hostile/env-keys/* %s/kernels/env/",
	                m.dir, config, m.dir, src_dir(), m.dir), 0);
	char *st = wait_final(&m, "env", 120);
	cr_assert(st, "no end");
	char *log0 = slurpf("%s/kernels/env/candidates/0.log", m.dir);
	/* the harness found no key in its environment, its parent's, or any
	 * environ it could read */
	cr_expect(!strncmp(st, "done", 4), "%s\n%s", st, log0 ? log0 : "");
	cr_expect(log0 && strstr(log0, "environ files readable"), "%s", log0 ? log0 : "");
	free(st);
	free(log0);
	char *d = slurp(dump);
	cr_assert(d && strstr(d, "PATH="), "the compiler wrapper did not run: %s", d ? d : "");
	cr_expect(!strstr(d, "ACCESS-2323") && !strstr(d, "API_KEY"),
	          "a compiler saw the key:\n%s", d);
	free(d);
	cr_expect_eq(sh("grep -r -a -s -q --exclude=ctl 'ACCESS-2323' %s/kernels %s/status", m.dir,
	                m.dir), 1, "the key is in the mount");
	cr_assert_eq(mnt_stop(&m), 0);
	cr_expect_eq(sh("grep -r -a -s -q 'ACCESS-2323' %s", m.state), 1, "the key is stored");
}
