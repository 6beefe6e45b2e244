/* SPDX-License-Identifier: MIT */
/*
 * image_file.h - the Image files of refvmm's loader tests
 * (check_arm64_boot.c, check_riscv64_boot.c): a 4 KiB file with a Linux
 * Image header (src/arch/linux_image.h's layout) and a byte pattern
 * elsewhere, in /tmp. Included by one test program each, so its functions
 * are static.
 */
#ifndef HCABI_REFVMM_TEST_IMAGE_FILE_H
#define HCABI_REFVMM_TEST_IMAGE_FILE_H

#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

struct hdr {
	uint64_t text_offset, image_size, flags;
	uint32_t magic; /* at offset 56 */
};

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A 4 KiB Image file with header h; its path (static buffer). */
static const char *write_image(const struct hdr *h)
{
	static char path[64];
	static unsigned made; /* files this test process made so far */
	uint8_t b[4096];
	FILE *f;
	int fd;

	/* unique per process and call; O_EXCL refuses a file that exists */
	snprintf(path, sizeof(path), "/tmp/check-image-%ld-%u", (long)getpid(), made++);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	for (unsigned i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i * 7 + 1);
	put_le(b + 8, h->text_offset, 8);
	put_le(b + 16, h->image_size, 8);
	put_le(b + 24, h->flags, 8);
	put_le(b + 56, h->magic, 4);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(b, 1, sizeof(b), f), sizeof(b));
	fclose(f);
	return path;
}

#endif
