/* SPDX-License-Identifier: MIT */
/*
 * image.c - the riscv64 Image (Linux's
 * Documentation/arch/riscv/boot-image-header.rst): the shared Linux Image
 * loader (../linux_image.c) with riscv64's magic2 "RSC\x05" and the load
 * address 2 MiB aligned, as Documentation/arch/riscv/boot.rst wants it on
 * rv64. No KVM here.
 */
#include "arch.h"
#include "linux_image.h"

static const struct hcabi__image_format riscv64_image = {
    .arch = "riscv64",
    .magic = 0x05435352u, /* "RSC\x05" (magic2; the 8-byte magic is deprecated) */
    .magic_text = "RSC\\x05",
    .load_align = 0x200000u, /* PMD_SIZE on rv64 */
    .align_text = "2 MiB aligned",
};

struct hcabi__image *hcabi__arch_image_load(const char *path, const char *initrd_path,
					    uint64_t ram_size, char *err, size_t errlen)
{
	return hcabi__image_load(&riscv64_image, path, initrd_path, ram_size, err, errlen);
}
