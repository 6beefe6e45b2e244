/* SPDX-License-Identifier: MIT */
/*
 * check_arm64_boot.c - refvmm arm64's boot pieces that need no KVM, on the
 * host: the Image loader (src/arch/arm64/image.c: the header's checks and
 * the placement at RAM base + text_offset) and the device-tree writer
 * (fdt_write.c: the exact DTB bytes of a small tree, overflow and
 * unbalanced nodes refused).
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "fdt_write.h"
#include "image.h"
#include "image_file.h"

#define RAM (8ull << 20)

/* ---- the Image loader ----------------------------------------------------------- */
static const struct hdr good = {0x200000, 0x3000, 0x2, 0x644d5241u};

START_TEST(image_loads_at_text_offset)
{
	char err[256] = "";
	const char *path = write_image(&good);
	struct hcabi__image *img = hcabi__arch_image_load(path, NULL, RAM, err, sizeof(err));
	uint8_t *ram = calloc(1, RAM);

	ck_assert_msg(img != NULL, "%s", err);
	ck_assert_uint_eq(img->text_offset, 0x200000);
	ck_assert_uint_eq(img->image_size, 0x3000);
	ck_assert_uint_eq(hcabi__a64_image_install(img, ram, RAM, err, sizeof(err)),
			  HCABI__ARCH_RAM_BASE + 0x200000);
	ck_assert_mem_eq(ram + 0x200000, img->data, 4096);
	ck_assert_uint_eq(ram[0x200000 - 1], 0); /* nothing before */
	ck_assert_uint_eq(ram[0x200000 + 4096], 0); /* BSS zero */
	hcabi__arch_image_free(img);
	free(ram);
	unlink(path);
}
END_TEST

/* image_size 0 (older kernels): the file's size. */
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

static const struct {
	struct hdr h;
	uint64_t ram;
	const char *msg;
} bad[] = {
    {{0x200000, 0x3000, 0x2, 0x644d5240u}, RAM, "not an arm64 Image"},
    {{0x200000, 0x3000, 0x3, 0x644d5241u}, RAM, "big-endian"},
    {{0x200010, 0x3000, 0x2, 0x644d5241u}, RAM, "not page-aligned"},
    {{0x200000, 0x0800, 0x2, 0x644d5241u}, RAM, "below the file size"},
    {{0x200000, 0x3000, 0x2, 0x644d5241u}, 0x202000, "does not fit"},
    {{~0ull - 0xfff, 0x3000, 0x2, 0x644d5241u}, RAM, "does not fit"},
};

START_TEST(image_refused)
{
	char err[256] = "";
	const char *path = write_image(&bad[_i].h);

	ck_assert_ptr_null(hcabi__arch_image_load(path, NULL, bad[_i].ram, err, sizeof(err)));
	ck_assert_msg(strstr(err, bad[_i].msg) && strstr(err, path), "message: %s", err);
	unlink(path);
}
END_TEST

START_TEST(image_missing_file)
{
	char err[256] = "";
	ck_assert_ptr_null(hcabi__arch_image_load("/nonexistent/x.bin", NULL, RAM, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x.bin"));
}
END_TEST

/* ---- the device-tree writer ------------------------------------------------------ */
static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* / { a = <7>; n@1 { a = "x"; }; } : every word of the blob. */
START_TEST(fdt_exact_bytes)
{
	static struct hcabi__fdtw w;
	uint8_t out[512];
	static const uint32_t structure[] = {
	    1, 0,		   /* BEGIN_NODE "" (padded) */
	    3, 4, 0, 7,		   /* PROP len 4, name "a" at 0, <7> */
	    1, 0x6e403100u,	   /* BEGIN_NODE "n@1\0" */
	    3, 2, 0, 0x78000000u, /* PROP len 2, name "a" again, "x\0" padded */
	    2, 2, 9,		   /* END_NODE x2, END */
	};
	size_t n;

	hcabi__fdtw_init(&w);
	hcabi__fdtw_begin(&w, "");
	hcabi__fdtw_u32(&w, "a", 7);
	hcabi__fdtw_begin(&w, "n@1");
	hcabi__fdtw_str(&w, "a", "x");
	hcabi__fdtw_end(&w);
	hcabi__fdtw_end(&w);
	n = hcabi__fdtw_finish(&w, out, sizeof(out));
	ck_assert_uint_eq(n, 56 + sizeof(structure) + 2);
	ck_assert_uint_eq(be32(out + 0), 0xd00dfeedu);
	ck_assert_uint_eq(be32(out + 4), n);			/* totalsize */
	ck_assert_uint_eq(be32(out + 8), 56);			/* off_dt_struct */
	ck_assert_uint_eq(be32(out + 12), 56 + sizeof(structure)); /* off_dt_strings */
	ck_assert_uint_eq(be32(out + 16), 40);			/* off_mem_rsvmap */
	ck_assert_uint_eq(be32(out + 20), 17);
	ck_assert_uint_eq(be32(out + 24), 16);
	ck_assert_uint_eq(be32(out + 32), 2);			/* size_dt_strings */
	ck_assert_uint_eq(be32(out + 36), sizeof(structure));	/* size_dt_struct */
	for (unsigned i = 40; i < 56; i++)
		ck_assert_uint_eq(out[i], 0); /* the empty reservation map */
	for (unsigned i = 0; i < sizeof(structure) / 4; i++)
		ck_assert_msg(be32(out + 56 + 4 * i) == structure[i], "word %u: 0x%x", i,
			      be32(out + 56 + 4 * i));
	ck_assert_mem_eq(out + 56 + sizeof(structure), "a", 2);
}
END_TEST

START_TEST(fdt_refuses_bad_trees)
{
	static struct hcabi__fdtw w;
	uint8_t out[64];

	hcabi__fdtw_init(&w); /* a node left open */
	hcabi__fdtw_begin(&w, "");
	ck_assert_uint_eq(hcabi__fdtw_finish(&w, out, sizeof(out)), 0);
	hcabi__fdtw_init(&w); /* does not fit in out */
	hcabi__fdtw_begin(&w, "");
	hcabi__fdtw_str(&w, "bootargs", "a command line longer than the output buffer");
	hcabi__fdtw_end(&w);
	ck_assert_uint_eq(hcabi__fdtw_finish(&w, out, sizeof(out)), 0);
	hcabi__fdtw_init(&w); /* more than the structure block holds */
	hcabi__fdtw_begin(&w, "");
	for (unsigned i = 0; i < HCABI__FDTW_STRUCT_MAX / 16; i++)
		hcabi__fdtw_u32(&w, "x", i);
	hcabi__fdtw_end(&w);
	ck_assert(w.overflow);
	ck_assert_uint_eq(hcabi__fdtw_finish(&w, out, sizeof(out)), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("arm64_boot");
	TCase *tc = tcase_create("arm64_boot");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, image_loads_at_text_offset);
	tcase_add_test(tc, image_size_zero_is_the_file);
	tcase_add_loop_test(tc, image_refused, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, image_missing_file);
	tcase_add_test(tc, fdt_exact_bytes);
	tcase_add_test(tc, fdt_refuses_bad_trees);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
