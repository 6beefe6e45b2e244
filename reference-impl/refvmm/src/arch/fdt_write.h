/* SPDX-License-Identifier: MIT */
/*
 * fdt_write.h - a small writer of flattened device trees (the devicetree
 * specification's DTB format, version 17), enough for the trees refvmm
 * gives an arm64 and a riscv64 guest (arch/<arch>/dtb.c). No KVM, no
 * allocation: the caller's buffers.
 * An overflow is remembered and reported by hcabi__fdtw_finish.
 */
#ifndef HCABI_REFVMM_FDT_WRITE_H
#define HCABI_REFVMM_FDT_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HCABI__FDTW_STRUCT_MAX 32768u
#define HCABI__FDTW_STRINGS_MAX 1024u

struct hcabi__fdtw {
	uint8_t st[HCABI__FDTW_STRUCT_MAX];
	size_t nst;
	char str[HCABI__FDTW_STRINGS_MAX];
	size_t nstr;
	unsigned depth;
	bool overflow;
};

void hcabi__fdtw_init(struct hcabi__fdtw *w);
void hcabi__fdtw_begin(struct hcabi__fdtw *w, const char *name);
void hcabi__fdtw_end(struct hcabi__fdtw *w);
void hcabi__fdtw_prop(struct hcabi__fdtw *w, const char *name, const void *val, size_t len);
void hcabi__fdtw_str(struct hcabi__fdtw *w, const char *name, const char *val);
/* `n` big-endian 32-bit cells */
void hcabi__fdtw_cells(struct hcabi__fdtw *w, const char *name, const uint32_t *cells, size_t n);
void hcabi__fdtw_u32(struct hcabi__fdtw *w, const char *name, uint32_t v);
/* The whole blob into out (cap bytes): its size, or 0 when it does not fit
 * or a node is left open. */
size_t hcabi__fdtw_finish(struct hcabi__fdtw *w, uint8_t *out, size_t cap);

#endif
