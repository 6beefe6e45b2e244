/* SPDX-License-Identifier: MIT */
/*
 * image.h - the arm64 Image as refvmm loads it (image.c, with the shared
 * ../linux_image.c), apart from KVM so that the loader is tested on any
 * host (tests/check_arm64_boot.c). The loading itself is arch.h's
 * hcabi__arch_image_load / _free.
 */
#ifndef HCABI_REFVMM_ARM64_IMAGE_H
#define HCABI_REFVMM_ARM64_IMAGE_H

#include "linux_image.h"

/* Copy the image to RAM (ram_size bytes from HCABI__ARCH_RAM_BASE) at its
 * place; the GPA of its entry, or 0 + err (hcabi__image_install). */
uint64_t hcabi__a64_image_install(const struct hcabi__image *img, uint8_t *ram,
				  uint64_t ram_size, char *err, size_t errlen);

#endif
