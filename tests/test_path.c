/*
 * test_path.c - the mount's path router: every node of the layout, and the
 * paths that cannot exist.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>

#include "fs/path.h"

static struct node parse_ok(const char *p)
{
	struct node n;
	int rc = path_parse(p, &n);
	cr_assert_eq(rc, 0, "%s: %d", p, rc);
	return n;
}

Test(path, menu_folders_ctl_and_log)
{
	struct node n = parse_ok("/menus/gemmini.docs");
	cr_assert_eq(n.type, NODE_MENU_DIR);
	cr_assert_str_eq(n.file, "gemmini.docs");
	cr_assert(node_is_dir(NODE_MENU_DIR));
	n = parse_ok("/menus/gemmini.docs/isa.pdf");
	cr_assert_eq(n.type, NODE_MENU_FILE);
	cr_assert_str_eq(n.file, "gemmini.docs/isa.pdf");
	n = parse_ok("/menus/cpu.examples/tile.before.c");
	cr_assert_str_eq(n.file, "cpu.examples/tile.before.c");
	cr_assert_eq(parse_ok("/menus/ctl").type, NODE_MENU_CTL);
	n = parse_ok("/menus/log");
	cr_assert_eq(n.type, NODE_LOG);
	cr_assert_str_eq(n.kernel, "", "the menus' log, not a kernel's");
	struct node x;
	cr_assert_eq(path_parse("/menus/cpu.menu/x", &x), -ENOENT);
	cr_assert_eq(path_parse("/menus/a.docs/b/c", &x), -ENOENT);
	cr_assert(menu_file_name_valid("cpu.menu"));
	cr_assert(menu_file_name_valid("g.docs/a.pdf"));
	cr_assert_not(menu_file_name_valid("g/a.pdf"));
	cr_assert_not(menu_file_name_valid("g.docs/.."));
	cr_assert_not(menu_dir_name_valid(".docs"));
}

Test(path, the_layout)
{
	cr_assert_eq(parse_ok("/").type, NODE_ROOT);
	cr_assert_eq(parse_ok("/status").type, NODE_ROOT_STATUS);
	cr_assert_eq(parse_ok("/targets").type, NODE_TARGETS);
	cr_assert_eq(parse_ok("/menus").type, NODE_MENUS);
	struct node n = parse_ok("/menus/cpu.menu");
	cr_assert_eq(n.type, NODE_MENU_FILE);
	cr_assert_str_eq(n.file, "cpu.menu");
	cr_assert_eq(parse_ok("/kernels").type, NODE_KERNELS);
	n = parse_ok("/kernels/gemm");
	cr_assert_eq(n.type, NODE_KERNEL);
	cr_assert_str_eq(n.kernel, "gemm");
	cr_assert_eq(parse_ok("/kernels/gemm/input.c").type, NODE_USER_FILE);
	cr_assert_eq(parse_ok("/kernels/gemm/ctl").type, NODE_CTL);
	cr_assert_eq(parse_ok("/kernels/gemm/status").type, NODE_STATUS);
	cr_assert_eq(parse_ok("/kernels/gemm/log").type, NODE_LOG);
	cr_assert_eq(parse_ok("/kernels/gemm/metrics.json").type, NODE_METRICS);
	cr_assert_eq(parse_ok("/kernels/gemm/schedule").type, NODE_SCHEDULE);
	cr_assert_eq(parse_ok("/kernels/gemm/progress.svg").type, NODE_PROGRESS);
	cr_assert_eq(parse_ok("/progress.svg").type, NODE_ROOT_PROGRESS);
	cr_assert_eq(parse_ok("/index.html").type, NODE_ROOT_INDEX);
	cr_assert_eq(parse_ok("/kernels/gemm/index.html").type, NODE_INDEX);
	cr_assert(node_is_generated(NODE_INDEX) && node_is_generated(NODE_ROOT_INDEX));
	/* the lists readdir shows: every name a generated node of its place */
	for (int i = 0; path_kernel_files[i]; i++) {
		char p[128];
		snprintf(p, sizeof(p), "/kernels/gemm/%s", path_kernel_files[i]);
		struct node k = parse_ok(p);
		cr_assert(node_is_generated(k.type) || node_is_dir(k.type) || k.type == NODE_CTL, "%s", p);
	}
	for (int i = 0; path_root_files[i]; i++) {
		char p[128];
		snprintf(p, sizeof(p), "/%s", path_root_files[i]);
		cr_assert(node_is_generated(parse_ok(p).type), "%s", p);
	}
	cr_assert(node_is_generated(NODE_PROGRESS) && node_is_generated(NODE_ROOT_PROGRESS));
	n = parse_ok("/kernels/gemm/best.cu");
	cr_assert_eq(n.type, NODE_BEST);
	cr_assert_str_eq(n.ext, "cu");
	cr_assert_eq(parse_ok("/kernels/gemm/plans").type, NODE_PLANS);
	n = parse_ok("/kernels/gemm/plans/17.md");
	cr_assert_eq(n.type, NODE_PLAN);
	cr_assert_eq(n.num, 17);
	cr_assert_eq(parse_ok("/kernels/gemm/plans/0.prompt").type, NODE_PLAN_PROMPT);
	cr_assert_eq(parse_ok("/kernels/gemm/candidates").type, NODE_CANDIDATES);
	n = parse_ok("/kernels/gemm/candidates/3.c");
	cr_assert_eq(n.type, NODE_CAND_SRC);
	cr_assert_eq(n.num, 3);
	cr_assert_str_eq(n.ext, "c");
	cr_assert_eq(parse_ok("/kernels/gemm/candidates/3.log").type, NODE_CAND_LOG);
	/* trailing and doubled slashes are the same node */
	cr_assert_eq(parse_ok("/kernels//gemm/").type, NODE_KERNEL);
}

Test(path, generated_and_dirs)
{
	cr_assert(node_is_dir(NODE_PLANS));
	cr_assert(!node_is_dir(NODE_BEST));
	cr_assert(node_is_generated(NODE_METRICS));
	cr_assert(node_is_generated(NODE_CAND_LOG));
	cr_assert(!node_is_generated(NODE_USER_FILE));
	cr_assert(!node_is_generated(NODE_CTL));
}

Test(path, paths_that_cannot_exist)
{
	const char *bad[] = {
		"/nothing", "/status/x", "/menus/a/b", "/kernels/g/input.c/x",
		"/kernels/g/plans/x.md", "/kernels/g/plans/01.md", "/kernels/g/plans/1.txt",
		"/kernels/g/candidates/1", "/kernels/g/candidates/-1.c", "/kernels/g/candidates/1.c/x",
		"/kernels/g/plans/1.md/x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct node n;
		cr_assert_eq(path_parse(bad[i], &n), -ENOENT, "%s", bad[i]);
	}
	char longname[400] = "/kernels/";
	memset(longname + 9, 'a', 300);
	struct node n;
	cr_assert_eq(path_parse(longname, &n), -ENAMETOOLONG);
}
