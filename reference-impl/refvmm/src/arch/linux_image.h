/* SPDX-License-Identifier: MIT */
/*
 * linux_image.h - the flat Linux Image that arm64 and riscv64 boot (their
 * Documentation/arch/<arch>/booting.rst and boot-image-header.rst): one
 * 64-byte header layout (text_offset at 8, image_size at 16, flags at 24
 * with bit 0 the big-endian flag, the architecture's magic at 56), loaded at
 * RAM base + text_offset and entered at its first byte. Apart from KVM, so
 * that the loader is tested on any host. Each backend names its format and
 * provides arch.h's hcabi__arch_image_load with it; hcabi__arch_image_free
 * is here.
 */
#ifndef HCABI_REFVMM_LINUX_IMAGE_H
#define HCABI_REFVMM_LINUX_IMAGE_H

#include <stddef.h>
#include <stdint.h>

struct hcabi__image {
	uint8_t *data;
	uint64_t size;	      /* file bytes */
	uint64_t text_offset; /* load at RAM base + this */
	uint64_t image_size;  /* bytes the image takes in RAM, its BSS included */
};

/* What differs between the architectures' Images. */
struct hcabi__image_format {
	const char *arch;	/* in errors: "arm64" */
	uint32_t magic;		/* the 32 bits at offset 56 */
	const char *magic_text; /* in errors, as C writes it: "ARM\\x64" */
	uint64_t load_align;	/* RAM base + text_offset is a multiple of this */
	const char *align_text; /* in errors: "page-aligned" */
};

/* Read and check the Image at path for a VM of ram_size bytes (arch.h's
 * hcabi__arch_image_load in format f); NULL + err. No --initrd yet. */
struct hcabi__image *hcabi__image_load(const struct hcabi__image_format *f, const char *path,
				       const char *initrd_path, uint64_t ram_size, char *err,
				       size_t errlen);

/* Copy the image to RAM (ram_size bytes from HCABI__ARCH_RAM_BASE) at its
 * place; the GPA of its entry, or 0 + err. */
uint64_t hcabi__image_install(const struct hcabi__image *img, uint8_t *ram, uint64_t ram_size,
			      char *err, size_t errlen);

#endif
