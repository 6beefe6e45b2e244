/* SPDX-License-Identifier: MIT */
/*
 * image.c - the arm64 Image (Linux's Documentation/arch/arm64/booting.rst):
 * the shared Linux Image loader (../linux_image.c) with arm64's magic
 * "ARM\x64" and a page-aligned text_offset. No KVM here.
 */
#include "arch.h"
#include "image.h"

static const struct hcabi__image_format arm64_image = {
    .arch = "arm64",
    .magic = 0x644d5241u, /* "ARM\x64" */
    .magic_text = "ARM\\x64",
    .load_align = 0x1000u, /* text_offset page-aligned; RAM base is */
    .align_text = "page-aligned",
};

struct hcabi__image *hcabi__arch_image_load(const char *path, const char *initrd_path,
					    uint64_t ram_size, char *err, size_t errlen)
{
	return hcabi__image_load(&arm64_image, path, initrd_path, ram_size, err, errlen);
}

uint64_t hcabi__a64_image_install(const struct hcabi__image *img, uint8_t *ram,
				  uint64_t ram_size, char *err, size_t errlen)
{
	return hcabi__image_install(img, ram, ram_size, err, errlen);
}
