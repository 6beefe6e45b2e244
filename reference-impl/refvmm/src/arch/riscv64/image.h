/* SPDX-License-Identifier: MIT */
/*
 * image.h - the riscv64 Image as refvmm loads it (image.c), apart from KVM
 * so that the loader can be tested on any host. The loading itself is
 * arch.h's hcabi__arch_image_load / _free.
 */
#ifndef HCABI_REFVMM_RISCV64_IMAGE_H
#define HCABI_REFVMM_RISCV64_IMAGE_H

#include <stddef.h>
#include <stdint.h>

struct hcabi__image {
	uint8_t *data;
	uint64_t size;	      /* file bytes */
	uint64_t text_offset; /* load at RAM base + this */
	uint64_t image_size;  /* bytes the image takes in RAM, its BSS included */
};

/* Copy the image to RAM (ram_size bytes from HCABI__ARCH_RAM_BASE) at its
 * place; the GPA of its entry, or 0 + err. */
uint64_t hcabi__rv64_image_install(const struct hcabi__image *img, uint8_t *ram,
				   uint64_t ram_size, char *err, size_t errlen);

#endif
