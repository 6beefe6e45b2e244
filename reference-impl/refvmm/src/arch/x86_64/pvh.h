/* SPDX-License-Identifier: MIT */
/*
 * pvh.h - the ELF64 loader and PVH start info of the x86-64 backend
 * (pvh.c); no KVM, so that the unit test (tests/check_pvh.c) runs anywhere.
 */
#ifndef HCABI_REFVMM_PVH_H
#define HCABI_REFVMM_PVH_H

#include "arch.h"

struct hcabi__image {
	uint8_t *data; /* the whole file */
	size_t size;
	uint32_t entry;		  /* XEN_ELFNOTE_PHYS32_ENTRY */
	uint64_t lowest, highest; /* GPA span of the PT_LOAD segments */
	uint8_t *initrd;	  /* --initrd, the PVH module; NULL: none */
	size_t initrd_size;
};

/* Read and validate an ELF64 PVH image for a guest of ram_size bytes.
 * On error returns -1 with a message in err (size errlen). */
int hcabi__image_load_file(struct hcabi__image *img, const char *path, uint64_t ram_size, char *err,
			   size_t errlen);
/* Validate an image already in memory (used by the loader and the unit
 * test). */
int hcabi__image_parse(struct hcabi__image *img, uint64_t ram_size, char *err, size_t errlen);
void hcabi__image_free(struct hcabi__image *img);
/* Copy the PT_LOAD segments into guest RAM and build the PVH start info
 * (cmdline, E820 memmap of layout.c, the initial RAM disk as its module,
 * page-aligned at the top of RAM). Returns the start info GPA or 0 on
 * error. */
uint64_t hcabi__image_install(const struct hcabi__image *img, uint8_t *ram, uint64_t ram_size,
			      const char *cmdline, char *err, size_t errlen);

#endif
