/* SPDX-License-Identifier: MIT */
/*
 * check_riscv64_boot.c - refvmm riscv64's Image loader on the host
 * (src/arch/riscv64/image.c's format for src/arch/linux_image.c, no KVM):
 * the header's checks (magic2
 * "RSC\x05", a load address 2 MiB aligned, little-endian, image_size
 * covering the file and fitting in RAM) and the placement at RAM base +
 * text_offset.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "image_file.h"
#include "linux_image.h"

#define RAM (8ull << 20)
#define MAGIC2 0x05435352u	 /* "RSC\x05" */
#define ARM64_MAGIC 0x644d5241u /* "ARM\x64": another architecture's Image */

static const struct hdr good = {0x200000, 0x3000, 0, MAGIC2};

START_TEST(image_loads_at_text_offset)
{
	char err[256] = "";
	const char *path = write_image(&good);
	struct hcabi__image *img = hcabi__arch_image_load(path, NULL, RAM, err, sizeof(err));
	uint8_t *ram = calloc(1, RAM);

	ck_assert_msg(img != NULL, "%s", err);
	ck_assert_uint_eq(img->text_offset, 0x200000);
	ck_assert_uint_eq(img->image_size, 0x3000);
	ck_assert_uint_eq(hcabi__image_install(img, ram, RAM, err, sizeof(err)),
			  0x80200000ull);
	ck_assert_mem_eq(ram + 0x200000, img->data, 4096);
	ck_assert_uint_eq(ram[0x200000 - 1], 0);    /* nothing before */
	ck_assert_uint_eq(ram[0x200000 + 4096], 0); /* BSS zero */
	hcabi__arch_image_free(img);
	free(ram);
	unlink(path);
}
END_TEST

/* Each header that must be refused, and the words of its error. */
static const struct {
	struct hdr h;
	const char *why;
} bad[] = {
    {{0x200000, 0x3000, 0, ARM64_MAGIC}, "not a riscv64 Image (no \"RSC\\x05\" magic at offset 56)"},
    {{0x200000, 0x3000, 0, 0}, "not a riscv64 Image"},
    {{0x1000, 0x3000, 0, MAGIC2}, "text_offset 0x1000 is not 2 MiB aligned"},
    {{0x300000, 0x3000, 0, MAGIC2}, "text_offset 0x300000 is not 2 MiB aligned"},
    {{0x200000, 0x3000, 1, MAGIC2}, "a big-endian Image is not supported"},
    {{0x200000, 0x800, 0, MAGIC2}, "image_size 0x800 is below the file size 0x1000"},
    {{0x600000, 0x300000, 0, MAGIC2}, "does not fit in 8388608 bytes of RAM"},
    {{0x200000, UINT64_MAX - 0x1000, 0, MAGIC2}, "does not fit"},
};

START_TEST(image_header_refused)
{
	char err[256] = "";
	const char *path = write_image(&bad[_i].h);
	struct hcabi__image *img = hcabi__arch_image_load(path, NULL, RAM, err, sizeof(err));

	ck_assert_ptr_null(img);
	ck_assert_msg(strstr(err, bad[_i].why) != NULL, "error '%s' lacks '%s'", err, bad[_i].why);
	ck_assert_msg(strstr(err, path) != NULL || strstr(err, "does not fit") != NULL,
		      "error '%s' does not name the file", err);
	unlink(path);
}
END_TEST

/* image_size 0 (an old kernel): the file's size. */
START_TEST(image_size_zero_is_the_file)
{
	char err[256] = "";
	struct hdr h = good;
	const char *path;
	struct hcabi__image *img;

	h.image_size = 0;
	path = write_image(&h);
	img = hcabi__arch_image_load(path, NULL, RAM, err, sizeof(err));
	ck_assert_msg(img != NULL, "%s", err);
	ck_assert_uint_eq(img->image_size, 4096);
	hcabi__arch_image_free(img);
	unlink(path);
}
END_TEST

START_TEST(initrd_refused)
{
	char err[256] = "";
	const char *path = write_image(&good);

	ck_assert_ptr_null(hcabi__arch_image_load(path, path, RAM, err, sizeof(err)));
	ck_assert_str_eq(err, "--initrd: not supported on riscv64 yet");
	unlink(path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("riscv64_boot");
	TCase *tc = tcase_create("image");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, image_loads_at_text_offset);
	tcase_add_loop_test(tc, image_header_refused, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, image_size_zero_is_the_file);
	tcase_add_test(tc, initrd_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
