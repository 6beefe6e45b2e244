/* SPDX-License-Identifier: MIT */
/*
 * fdt_write.c - the flattened-device-tree writer of fdt_write.h: a header,
 * an empty memory reservation map, the structure block (tokens, 4-byte
 * aligned) and the strings block (each property name once).
 */
#include <string.h>

#include "fdt_write.h"

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE 2u
#define FDT_PROP 3u
#define FDT_END 9u
#define FDT_HEADER_SIZE 40u
#define FDT_RSVMAP_SIZE 16u /* the terminating empty entry */

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void emit(struct hcabi__fdtw *w, const void *data, size_t len)
{
	size_t padded = (len + 3u) & ~(size_t)3u;
	if (w->overflow || padded > sizeof(w->st) - w->nst) {
		w->overflow = true;
		return;
	}
	memcpy(w->st + w->nst, data, len);
	memset(w->st + w->nst + len, 0, padded - len);
	w->nst += padded;
}

static void emit_u32(struct hcabi__fdtw *w, uint32_t v)
{
	uint8_t b[4];
	put_be32(b, v);
	emit(w, b, 4);
}

/* The offset of `name` in the strings block, added if new. */
static uint32_t string_offset(struct hcabi__fdtw *w, const char *name)
{
	size_t len = strlen(name) + 1;
	for (size_t off = 0; off < w->nstr; off += strlen(w->str + off) + 1)
		if (strcmp(w->str + off, name) == 0)
			return (uint32_t)off;
	if (len > sizeof(w->str) - w->nstr) {
		w->overflow = true;
		return 0;
	}
	memcpy(w->str + w->nstr, name, len);
	w->nstr += len;
	return (uint32_t)(w->nstr - len);
}

void hcabi__fdtw_init(struct hcabi__fdtw *w)
{
	w->nst = 0;
	w->nstr = 0;
	w->depth = 0;
	w->overflow = false;
}

void hcabi__fdtw_begin(struct hcabi__fdtw *w, const char *name)
{
	emit_u32(w, FDT_BEGIN_NODE);
	emit(w, name, strlen(name) + 1);
	w->depth++;
}

void hcabi__fdtw_end(struct hcabi__fdtw *w)
{
	emit_u32(w, FDT_END_NODE);
	if (w->depth == 0)
		w->overflow = true; /* unbalanced: refuse to finish */
	else
		w->depth--;
}

void hcabi__fdtw_prop(struct hcabi__fdtw *w, const char *name, const void *val, size_t len)
{
	emit_u32(w, FDT_PROP);
	emit_u32(w, (uint32_t)len);
	emit_u32(w, string_offset(w, name));
	if (len)
		emit(w, val, len);
}

void hcabi__fdtw_str(struct hcabi__fdtw *w, const char *name, const char *val)
{
	hcabi__fdtw_prop(w, name, val, strlen(val) + 1);
}

void hcabi__fdtw_cells(struct hcabi__fdtw *w, const char *name, const uint32_t *cells, size_t n)
{
	uint8_t b[4 * 16];
	if (n > 16) {
		w->overflow = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		put_be32(b + 4 * i, cells[i]);
	hcabi__fdtw_prop(w, name, b, 4 * n);
}

void hcabi__fdtw_u32(struct hcabi__fdtw *w, const char *name, uint32_t v)
{
	hcabi__fdtw_cells(w, name, &v, 1);
}

size_t hcabi__fdtw_finish(struct hcabi__fdtw *w, uint8_t *out, size_t cap)
{
	size_t off_struct = FDT_HEADER_SIZE + FDT_RSVMAP_SIZE, off_strings, total;

	emit_u32(w, FDT_END);
	if (w->overflow || w->depth != 0)
		return 0;
	off_strings = off_struct + w->nst;
	total = off_strings + w->nstr;
	if (total > cap)
		return 0;
	memset(out, 0, off_struct);
	put_be32(out + 0, FDT_MAGIC);
	put_be32(out + 4, (uint32_t)total);
	put_be32(out + 8, (uint32_t)off_struct);  /* off_dt_struct */
	put_be32(out + 12, (uint32_t)off_strings); /* off_dt_strings */
	put_be32(out + 16, FDT_HEADER_SIZE);	   /* off_mem_rsvmap */
	put_be32(out + 20, 17);			   /* version */
	put_be32(out + 24, 16);			   /* last_comp_version */
	put_be32(out + 28, 0);			   /* boot_cpuid_phys */
	put_be32(out + 32, (uint32_t)w->nstr);	   /* size_dt_strings */
	put_be32(out + 36, (uint32_t)w->nst);	   /* size_dt_struct */
	memcpy(out + off_struct, w->st, w->nst);
	memcpy(out + off_strings, w->str, w->nstr);
	return total;
}
