/*
 * e2e_experience.c - how autocompfs fits into a machine, tried for real:
 * the progress charts drawn by rsvg-convert from a live mount, the daemon's
 * log file, `meson install` into a DESTDIR, mount(8) with
 * `-t fuse.autocompfs` and an fstab line running the installed daemon, and
 * the installed daemon finding its menus and headers with the source tree
 * out of sight. The mount(8) tests need root and a mount namespace
 * (unshare -m) and skip without them; nothing outside the test changes.
 *
 *   $ rsvg-convert -o gemm.png /mnt/ac/kernels/gemm/progress.svg
 *   # mount -t fuse.autocompfs none /mnt/ac -o state=/var/lib/ac
 *
 * Set AC_PNG_DIR=DIR to keep the PNGs the chart test draws (to look at).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ac_config.h"
#include "tests/support.h"

static struct mnt m;

static void setup(void)
{
	mnt_init(&m);
}

static void teardown(void)
{
	/* a daemon a failed test started in the background (m.pid is only the
	 * foreground one): unmount it before the directory goes */
	if (m.base[0] && !m.pid)
		sh("fusermount3 -u %s 2>/dev/null; true", m.dir);
	mnt_cleanup(&m);
}

TestSuite(experience, .init = setup, .fini = teardown, .timeout = 600);

static const char *build_dir(void)
{
	const char *b = getenv("AC_BUILD_DIR");
	return b && *b ? b : AC_BUILD_DIR;
}

/* Width and height from a PNG's IHDR; false if it is not a PNG. */
static bool png_size(const char *path, int *w, int *h)
{
	unsigned char hdr[24];
	FILE *f = fopen(path, "rb");
	bool ok = f && fread(hdr, 1, sizeof(hdr), f) == sizeof(hdr) &&
	          !memcmp(hdr, "\x89PNG\r\n\x1a\n", 8) && !memcmp(hdr + 12, "IHDR", 4);
	if (f)
		fclose(f);
	if (ok) {
		*w = hdr[16] << 24 | hdr[17] << 16 | hdr[18] << 8 | hdr[19];
		*h = hdr[20] << 24 | hdr[21] << 16 | hdr[22] << 8 | hdr[23];
	}
	return ok;
}

static long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Waits until no daemon holds the state directory (it flocks state/lock):
 * after an unmount the daemon exits a moment later. */
static void wait_released(const char *state)
{
	for (int i = 0; i < 200; i++) {
		if (sh("flock -n %s/lock true 2>/dev/null", state) == 0)
			return;
		usleep(50000);
	}
	cr_assert_fail("%s is still held", state);
}

/* The size of a blank (all white) PNG of w x h as rsvg-convert writes it:
 * what a chart that drew nothing would weigh. */
static long blank_png_size(int w, int h)
{
	char svg[400], png[400];
	snprintf(svg, sizeof(svg), "%s/blank.svg", m.base);
	snprintf(png, sizeof(png), "%s/blank.png", m.base);
	FILE *f = fopen(svg, "w");
	cr_assert(f);
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
	        "height=\"%d\"><rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/></svg>\n",
	        w, h, w, h);
	fclose(f);
	cr_assert_eq(sh("rsvg-convert -o %s %s", png, svg), 0);
	return file_size(png);
}

/* Draws MOUNT/rel with rsvg-convert and checks the PNG: the chart's size,
 * and far more ink than a blank page. */
static void draw(const char *rel, const char *png_name, int w, int h)
{
	char png[400];
	snprintf(png, sizeof(png), "%s/%s", m.base, png_name);
	cr_assert_eq(sh("rsvg-convert -o %s %s/%s", png, m.dir, rel), 0, "rsvg-convert %s", rel);
	int pw = 0, ph = 0;
	cr_assert(png_size(png, &pw, &ph), "%s is not a PNG", png);
	cr_assert_eq(pw, w, "%s: width %d", rel, pw);
	cr_assert_eq(ph, h, "%s: height %d", rel, ph);
	long size = file_size(png), blank = blank_png_size(w, h);
	cr_assert(size > 4 * blank, "%s: %ld bytes, a blank page is %ld", rel, size, blank);
	const char *keep = getenv("AC_PNG_DIR");
	if (keep && *keep)
		sh("cp %s %s/", png, keep);
}

Test(experience, progress_charts_draw_as_png)
{
	if (sh("command -v rsvg-convert >/dev/null") != 0)
		cr_skip_test("rsvg-convert is not installed (apt-get install librsvg2-bin)");
	mnt_start(&m, NULL, NULL);
	char *ls = sh_out("ls %s", m.dir);
	cr_assert(strstr(ls, "progress.svg\n"), "%s", ls);
	free(ls);
	/* the empty mount already has a chart */
	draw("progress.svg", "empty.png", 820, 470);

	/* a tuned kernel (many points) and one that stops after its baseline */
	cr_assert_eq(sh("mkdir %s/kernels/tg && echo '{\"max_candidates\": 10}' > "
	                "%s/kernels/tg/config.json && cp %s/tests/kernels/tune-gemm/* %s/kernels/tg/",
	                m.dir, m.dir, src_dir(), m.dir), 0);
	cr_assert_eq(sh("cp -r %s/tests/kernels/gemm %s/kernels/plain", src_dir(), m.dir), 0);
	char *st = wait_final(&m, "tg", 500);
	cr_assert(st && !strncmp(st, "done", 4), "%s", st ? st : "(no end)");
	free(st);
	st = wait_final(&m, "plain", 200);
	cr_assert(st && !strncmp(st, "done", 4), "%s", st ? st : "(no end)");
	free(st);

	ls = sh_out("ls %s/kernels/tg", m.dir);
	cr_assert(strstr(ls, "progress.svg\n"), "%s", ls);
	free(ls);
	char *svg = slurpf("%s/kernels/tg/progress.svg", m.dir);
	cr_assert(svg && !strncmp(svg, "<?xml", 5), "%s", svg);
	cr_assert(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\""));
	cr_assert(strstr(svg, "tg \xe2\x80\x94 best "), "the title names the kernel: %.300s", svg);
	/* the input and 9 tuned points: 9 candidates (the input is not one) */
	cr_assert(strstr(svg, "9 candidates (9 evaluated)"), "%.600s", svg);
	cr_assert(count_of(svg, "<title>#") == 10, "a point per candidate and the input");
	cr_assert(strstr(svg, "best so far"));
	/* st_size is the content's length (cat, cp and browsers rely on it) */
	char path[400];
	snprintf(path, sizeof(path), "%s/kernels/tg/progress.svg", m.dir);
	cr_assert_eq(file_size(path), (long)strlen(svg));
	free(svg);

	draw("kernels/tg/progress.svg", "tune-gemm.png", 820, 490);
	draw("kernels/plain/progress.svg", "gemm.png", 820, 490);
	draw("progress.svg", "all.png", 820, 470);
	/* points and lines are ink on top of the empty chart's frame */
	char a[400], b[400];
	snprintf(a, sizeof(a), "%s/tune-gemm.png", m.base);
	snprintf(b, sizeof(b), "%s/empty.png", m.base);
	cr_assert(file_size(a) > file_size(b) * 5 / 4, "%ld vs %ld", file_size(a), file_size(b));
	snprintf(a, sizeof(a), "%s/all.png", m.base);
	cr_assert(file_size(a) > file_size(b), "%ld vs %ld", file_size(a), file_size(b));
	char *all = slurpf("%s/progress.svg", m.dir);
	/* plain has nothing to tune: its baseline is not drawn as a result */
	cr_assert(strstr(all, ">plain \xe2\x80\x94 not searched (done)<") && strstr(all, ">tg "),
	          "%s", all);
	cr_assert(strstr(all, "2 kernels, 1 searched: 9 candidates (9 evaluated)"), "%.800s", all);
	free(all);

	/* generated: not writable; rm does nothing in a kernel, EPERM at the root */
	cr_assert_neq(sh("echo x 2>/dev/null > %s/kernels/tg/progress.svg", m.dir), 0);
	cr_assert_neq(sh("echo x 2>/dev/null > %s/progress.svg", m.dir), 0);
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(access(path, R_OK), 0, "still there");
	snprintf(path, sizeof(path), "%s/progress.svg", m.dir);
	cr_assert_eq(unlink(path), -1);
	cr_assert_eq(errno, EPERM);
}

Test(experience, log_file_gets_timestamped_lines)
{
	char log[400], arg[450];
	snprintf(log, sizeof(log), "%s/daemon-own.log", m.base);
	snprintf(arg, sizeof(arg), "--log-file=%s", log);
	const char *args[] = {arg, "-o", "log=debug", NULL};
	mnt_start(&m, args, NULL);
	cr_assert_eq(sh("ls %s/kernels >/dev/null && cat %s/status >/dev/null", m.dir, m.dir), 0);
	cr_assert_eq(mnt_stop(&m), 0);
	char *text = slurp(log);
	cr_assert(text, "no log file");
	cr_assert(strstr(text, "autocompfs: mounted "), "%s", text);
	cr_assert(strstr(text, "autocompfs: unmounted "), "%s", text);
	/* debug: a line per request, with the path */
	cr_assert(strstr(text, "LOOKUP /kernels") || strstr(text, "getattr[NULL] /kernels"),
	          "%.2000s", text);
	/* every line starts with a timestamp: 2026-11-24 22:41:15.380 */
	int lines = 0;
	for (char *l = text; *l; l = strchr(l, '\n') + 1) {
		cr_assert(strlen(l) > 24 && l[4] == '-' && l[7] == '-' && l[10] == ' ' &&
		          l[13] == ':' && l[16] == ':' && l[19] == '.' && l[23] == ' ',
		          "line without a timestamp: %.80s", l);
		lines++;
		if (!strchr(l, '\n'))
			break;
	}
	cr_assert(lines > 10, "%d lines", lines);
	free(text);
	/* the daemon's stderr itself stayed quiet */
	char *err = slurp(m.log);
	cr_assert(!err || !strstr(err, "mounted"), "%s", err);
	free(err);

	/* log=error: nothing about mounting; a daemon in the background (no -f)
	 * writes the same file */
	cr_assert_eq(unlink(log), 0);
	cr_assert_eq(sh("%s -o state=%s,log=error,log_file=%s %s", daemon_path(), m.state, log,
	                m.dir), 0);
	cr_assert_eq(sh("ls %s >/dev/null && fusermount3 -u %s", m.dir, m.dir), 0);
	wait_released(m.state);
	cr_assert_eq(sh("%s -o state=%s --log-file %s %s", daemon_path(), m.state, log, m.dir), 0);
	cr_assert_eq(sh("fusermount3 -u %s", m.dir), 0);
	cr_assert(wait_contains(log, "unmounted", 10), "%s", slurp(log));
	wait_released(m.state);
	text = slurp(log);
	cr_assert_eq(count_of(text, "autocompfs: mounted "), 1, "only the info-level run: %s", text);
	free(text);

	cr_assert_eq(sh("%s -o state=%s,log=loud %s 2>/dev/null", daemon_path(), m.state, m.dir), 2);
	cr_assert_eq(sh("%s -o state=%s --log-file=/nonexistent/x.log %s 2>/dev/null",
	                daemon_path(), m.state, m.dir), 1);
}

/* The build's install prefix ("/usr/local"); caller frees. */
static char *install_prefix(void)
{
	char *prefix = sh_out("meson introspect %s --buildoptions | "
	                      "grep -o '\"name\": \"prefix\", \"value\": \"[^\"]*\"' | "
	                      "sed 's/.*\"value\": \"//; s/\"$//'", build_dir());
	cr_assert(prefix);
	prefix[strcspn(prefix, "\n")] = '\0';
	cr_assert(prefix[0] == '/', "prefix \"%s\"", prefix);
	return prefix;
}

/* meson install into dest; asserts it worked. */
static void install_to(const char *dest)
{
	if (sh("command -v meson >/dev/null") != 0)
		cr_skip_test("meson is not on the PATH");
	cr_assert_eq(sh("meson install -C %s --no-rebuild --quiet --destdir %s >%s/install.log 2>&1",
	                build_dir(), dest, m.base), 0, "%s", slurpf("%s/install.log", m.base));
}

Test(experience, meson_install_puts_everything_in_place)
{
	char dest[400];
	snprintf(dest, sizeof(dest), "%s/dest", m.base);
	install_to(dest);
	char *prefix = install_prefix();
	char root[800];
	snprintf(root, sizeof(root), "%s%s", dest, prefix);
	const char *want[] = {
		"bin/autocompfs",
		"bin/autocompfs-run",
		"include/autocomp/autocomp.h",
		"include/autocomp/autocomp_cuda.h",
		"include/autocomp/autocomp_opencl.h",
		"share/pkgconfig/autocomp.pc",
		"share/autocompfs/menus/cpu.menu",
		"share/autocompfs/menus/cpu.md",
		"share/autocompfs/menus/cuda.menu",
		"share/autocompfs/include/autocomp.h",
		"share/man/man1/autocompfs.1",
		"lib/systemd/user/autocompfs@.service",
		NULL,
	};
	for (int i = 0; want[i]; i++)
		cr_assert_eq(sh("test -s '%s/%s'", root, want[i]), 0, "missing %s/%s", root, want[i]);
	cr_assert_eq(sh("test -x '%s/bin/autocompfs'", root), 0);
	char *v = sh_out("'%s/bin/autocompfs' --version", root);
	cr_assert(!strncmp(v, "autocompfs ", 11), "%s", v);
	free(v);

	/* cc $(pkg-config --cflags autocomp) harness.c */
	char *cflags = sh_out("PKG_CONFIG_PATH=%s/share/pkgconfig pkg-config "
	                      "--define-variable=prefix=%s --cflags autocomp", root, root);
	cr_assert(strstr(cflags, "/include/autocomp"), "%s", cflags);
	cflags[strcspn(cflags, "\n")] = '\0';
	cr_assert_eq(sh("cc %s -c %s/tests/kernels/gemm/harness.c -o %s/harness.o",
	                cflags, src_dir(), m.base), 0);
	free(cflags);

	/* the unit runs the installed binary in the foreground */
	char *unit = slurpf("%s/lib/systemd/user/autocompfs@.service", root);
	char exec[900];
	snprintf(exec, sizeof(exec), "ExecStart=%s/bin/autocompfs -f ", prefix);
	cr_assert(strstr(unit, exec), "%s", unit);
	cr_assert(strstr(unit, "Type=simple") && strstr(unit, "ExecStop=fusermount3 -u "), "%s",
	          unit);
	free(unit);
	/* the man page reads */
	if (sh("command -v man >/dev/null") == 0) {
		char *page = sh_out("MANWIDTH=80 man -l %s/share/man/man1/autocompfs.1 2>&1", root);
		cr_assert(strstr(page, "SYNOPSIS") && strstr(page, "fuse.autocompfs") &&
		          strstr(page, "EXIT STATUS"), "%.500s", page);
		free(page);
	}
	free(prefix);
}

Test(experience, mount_t_fuse_autocompfs_and_fstab)
{
	if (geteuid() != 0)
		cr_skip_test("mount(8) with a FUSE helper needs root");
	if (sh("unshare -m --propagation private true 2>/dev/null") != 0)
		cr_skip_test("no mount namespaces here");
	char dest[400];
	snprintf(dest, sizeof(dest), "%s/dest", m.base);
	install_to(dest);
	/* mount(8) runs mount.fuse3, which runs `autocompfs` from a fixed PATH
	 * (/usr/local/bin first): in a private mount namespace, the installed
	 * bin directory is put there, so nothing outside the test changes. */
	char *prefix = install_prefix();
	char fstab[400], out[400], log[400], log1[400], mnt2[400], state2[400];
	snprintf(fstab, sizeof(fstab), "%s/fstab", m.base);
	snprintf(out, sizeof(out), "%s/out", m.base);
	snprintf(log, sizeof(log), "%s/mount.log", m.base);
	snprintf(log1, sizeof(log1), "%s/mount-t.log", m.base);
	snprintf(mnt2, sizeof(mnt2), "%s/mnt2", m.base);
	snprintf(state2, sizeof(state2), "%s/state2", m.base);
	cr_assert_eq(mkdir(mnt2, 0755), 0);
	FILE *f = fopen(fstab, "w");
	cr_assert(f);
	fprintf(f, "# what /etc/fstab would hold\n"
	        "none  %s  fuse.autocompfs  state=%s,log_file=%s,noauto,nofail  0  0\n",
	        mnt2, state2, log);
	fclose(f);
	int rc = sh("unshare -m --propagation private sh -c '"
	            "mount --bind %s%s/bin /usr/local/bin && "
	            "mount -t fuse.autocompfs autocompfs %s -o state=%s,log_file=%s && "
	            "mount -T %s %s && "
	            "mkdir %s/kernels/k1 %s/kernels/k2 && ls %s %s/kernels %s/kernels > %s && "
	            "grep fuse.autocompfs /proc/self/mounts >> %s; "
	            "umount %s; umount %s' >%s.err 2>&1",
	            dest, prefix, m.dir, m.state, log1, fstab, mnt2, m.dir, mnt2, m.dir, m.dir, mnt2,
	            out, out, m.dir, mnt2, out);
	char *text = slurp(out);
	cr_assert_eq(rc, 0, "%s\n%s", text ? text : "", slurpf("%s.err", out));
	cr_assert(strstr(text, "progress.svg\nstatus\ntargets\n"), "%s", text);
	cr_assert(strstr(text, "kernels:\nk1\n") && strstr(text, "kernels:\nk2\n"),
	          "mkdir worked in both: %s", text);
	char line[600];
	snprintf(line, sizeof(line), "autocompfs %s fuse.autocompfs ", m.dir);
	cr_assert(strstr(text, line), "%s", text);
	snprintf(line, sizeof(line), "none %s fuse.autocompfs ", mnt2);
	cr_assert(strstr(text, line), "the fstab mount: %s", text);
	free(text);
	/* umount ended both daemons, which said so in their log files */
	cr_assert(wait_contains(log, "autocompfs: unmounted ", 10), "%s", slurp(log));
	cr_assert(wait_contains(log, "autocompfs: mounted ", 1));
	cr_assert(wait_contains(log1, "autocompfs: unmounted ", 10), "%s", slurp(log1));
	/* the state directories hold what was done: mount again to see */
	wait_released(m.state);
	wait_released(state2);
	cr_assert_eq(sh("%s -o state=%s %s", daemon_path(), m.state, m.dir), 0);
	cr_assert_eq(sh("test -d %s/kernels/k1 && fusermount3 -u %s", m.dir, m.dir), 0);
	cr_assert_eq(sh("%s -o state=%s %s", daemon_path(), state2, mnt2), 0);
	cr_assert_eq(sh("test -d %s/kernels/k2 && fusermount3 -u %s", mnt2, mnt2), 0);
	wait_released(m.state);
	wait_released(state2);
	free(prefix);
}

Test(experience, installed_daemon_runs_without_the_source_tree)
{
	if (geteuid() != 0)
		cr_skip_test("hiding the source tree takes a mount namespace (root)");
	if (sh("unshare -m --propagation private true 2>/dev/null") != 0)
		cr_skip_test("no mount namespaces here");
	char dest[400];
	snprintf(dest, sizeof(dest), "%s/dest", m.base);
	install_to(dest);
	char *prefix = install_prefix();
	/* In a private mount namespace the installed tree is at its prefix and
	 * the source tree (where a daemon in the build tree finds menus and
	 * headers) is an empty directory: the daemon must use what was
	 * installed, and the baseline must build against the installed
	 * <autocomp.h>. */
	char out[400];
	snprintf(out, sizeof(out), "%s/out", m.base);
	cr_assert_eq(sh("mkdir %s/empty && cp -r %s/tests/kernels/gemm %s/gemm", m.base, src_dir(),
	                m.base), 0);
	int rc = sh("unshare -m --propagation private sh -c '"
	            "mount --bind %s%s %s && mount --bind %s/empty %s && "
	            "%s/bin/autocompfs -o state=%s %s && "
	            "cp -r %s/gemm %s/kernels/g && "
	            "for i in $(seq 600); do grep -q \"^done\\|^failed\" %s/kernels/g/status && break; "
	            "sleep 0.1; done; "
	            "cat %s/kernels/g/status > %s; ls %s/menus >> %s; ls %s >> %s; "
	            "fusermount3 -u %s' >%s.err 2>&1",
	            dest, prefix, prefix, m.base, src_dir(), prefix, m.state, m.dir, m.base, m.dir,
	            m.dir, m.dir, out, m.dir, out, src_dir(), out, m.dir, out);
	char *text = slurp(out);
	cr_assert_eq(rc, 0, "%s\n%s", text ? text : "", slurpf("%s.err", out));
	cr_assert(!strncmp(text, "done: baseline", 14), "the installed daemon ran it: %s", text);
	cr_assert(strstr(text, "cpu.menu\n") && strstr(text, "cpu.md\n"), "installed menus: %s",
	          text);
	cr_assert(!strstr(text, "meson.build"), "the source tree was hidden: %s", text);
	free(text);
	wait_released(m.state);
	free(prefix);
}
