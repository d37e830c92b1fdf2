/*
 * harness.c - img-box3: checks and times the input against its ref_ copy.
 */
#include <autocomp.h>
void box3(size_t height, size_t width, const uint8_t *restrict src, uint8_t *restrict dst);
void ref_box3(size_t height, size_t width, const uint8_t *restrict src, uint8_t *restrict dst);

int main(int argc, char **argv)
{
	const size_t h = 768, w = 1024;

	ac_init(argc, argv);
	uint8_t *src = ac_alloc(h * w), *dst = ac_alloc(h * w), *want = ac_alloc(h * w);
	ac_fill_u8(src, h * w, 0, 255);
	ac_protect(src);
	ref_box3(h, w, src, want);
	ac_protect(want);
	ac_fill_u8(dst, h * w, 0, 255);
	box3(h, w, src, dst);
	ac_check_equal_u8("dst", dst, want, h * w);
	AC_TIME(box3(h, w, src, dst));
	ac_check_equal_u8("dst", dst, want, h * w);
	return ac_report();
}
