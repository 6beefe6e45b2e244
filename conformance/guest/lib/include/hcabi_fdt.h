/* SPDX-License-Identifier: MIT */
/*
 * hcabi_fdt.h - a minimal reader of a flattened device tree (the devicetree
 * specification's DTB, version 16 or later), for the architectures whose
 * boot protocol hands the guest one (arm64 and riscv64: the Linux Image
 * protocol's x0 / a1). Read-only, no allocation, every access bounded by
 * the blob's totalsize: a malformed tree gives "not found", never a fault.
 *
 * A node is named by its offset in the structure block (that of its
 * FDT_BEGIN_NODE token); HCABI_FDT_NONE is "no such node".
 */
#ifndef HCABI_FDT_H
#define HCABI_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HCABI_FDT_NONE (-1)
#define HCABI_FDT_MAX_DEPTH 16

struct hcabi_fdt {
	const uint8_t *blob;
	uint32_t size;			  /* totalsize */
	uint32_t off_struct, size_struct; /* the structure block */
	uint32_t off_strings, size_strings;
};

/* A big-endian cell. */
static inline uint32_t hcabi_fdt32(const void *p)
{
	const uint8_t *b = (const uint8_t *)p;
	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

/* Check the header at blob (magic, version, blocks inside totalsize) and
 * fill f. False: not a usable device tree. */
bool hcabi_fdt_init(struct hcabi_fdt *f, const void *blob);
/* The totalsize of the blob at p if it carries the FDT magic, else 0 (to
 * keep it clear of the page allocator before it is parsed). */
uint32_t hcabi_fdt_total_size(const void *p);

/* The root node. */
int hcabi_fdt_root(const struct hcabi_fdt *f);
/* The node after `node` in document order, and its depth relative to the
 * root (root = 0); HCABI_FDT_NONE at the end. */
int hcabi_fdt_next_node(const struct hcabi_fdt *f, int node, int *depth);
/* A node's name ("pl011@9000000"; "" for the root). */
const char *hcabi_fdt_name(const struct hcabi_fdt *f, int node);
/* The node at an absolute path ("/chosen", "/pl011@9000000"; the first len
 * bytes of path), a component without "@unit" matching a name that has
 * one only if it is the only way to match. */
int hcabi_fdt_path(const struct hcabi_fdt *f, const char *path, size_t len);
/* The parent of a node (the root's: HCABI_FDT_NONE). */
int hcabi_fdt_parent(const struct hcabi_fdt *f, int node);

/* A property's value and length, or NULL. */
const void *hcabi_fdt_prop(const struct hcabi_fdt *f, int node, const char *name, uint32_t *len);
/* A property that is a NUL-terminated string (the first of a list), or NULL. */
const char *hcabi_fdt_prop_str(const struct hcabi_fdt *f, int node, const char *name);
/* Whether the node's "compatible" list holds compat. */
bool hcabi_fdt_compatible(const struct hcabi_fdt *f, int node, const char *compat);
/* The index-th (address, size) pair of the node's "reg", read with its
 * parent's #address-cells and #size-cells (defaults 2 and 1). */
bool hcabi_fdt_reg(const struct hcabi_fdt *f, int node, unsigned index, uint64_t *base,
		   uint64_t *size);

/* The console: /chosen's stdout-path (up to a ':'), an absolute path or an
 * alias of /aliases; HCABI_FDT_NONE when there is none. */
int hcabi_fdt_stdout(const struct hcabi_fdt *f);

#endif /* HCABI_FDT_H */
