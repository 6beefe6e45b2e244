/* SPDX-License-Identifier: MIT */
/*
 * fdt.c - a minimal, bounds-checked flattened device tree reader
 * (hcabi_fdt.h). The architectures whose boot protocol passes a device tree
 * (arm64, riscv64) take the RAM, the console and the power-off method from
 * it. Neutral: no architecture header, no allocation.
 */
#include "hcabi_fdt.h"
#include "hcabi_guest.h"

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE 2u
#define FDT_PROP 3u
#define FDT_NOP 4u
#define FDT_END 9u

uint32_t hcabi_fdt_total_size(const void *p)
{
	return p && hcabi_fdt32(p) == FDT_MAGIC ? hcabi_fdt32((const uint8_t *)p + 4) : 0;
}

bool hcabi_fdt_init(struct hcabi_fdt *f, const void *blob)
{
	const uint8_t *b = blob;

	memset(f, 0, sizeof(*f));
	if (!b || hcabi_fdt32(b) != FDT_MAGIC)
		return false;
	f->size = hcabi_fdt32(b + 4);
	f->off_struct = hcabi_fdt32(b + 8);
	f->off_strings = hcabi_fdt32(b + 12);
	f->size_strings = hcabi_fdt32(b + 32);
	f->size_struct = hcabi_fdt32(b + 36);
	/* version 17 (last compatible 16 or 17) carries size_dt_struct */
	if (f->size < 40 || hcabi_fdt32(b + 20) < 17 || hcabi_fdt32(b + 24) > 17 ||
	    (f->off_struct & 3) || f->off_struct > f->size ||
	    f->size_struct > f->size - f->off_struct || f->off_strings > f->size ||
	    f->size_strings > f->size - f->off_strings)
		return false;
	f->blob = b;
	return true;
}

/* The token at structure offset off, or FDT_END past the block. */
static uint32_t token(const struct hcabi_fdt *f, int off)
{
	if (off < 0 || (off & 3) || (uint32_t)off > f->size_struct - 4 || f->size_struct < 4)
		return FDT_END;
	return hcabi_fdt32(f->blob + f->off_struct + (uint32_t)off);
}

static const char *at(const struct hcabi_fdt *f, int off)
{
	return (const char *)f->blob + f->off_struct + (uint32_t)off;
}

static int align4(int off)
{
	return (off + 3) & ~3;
}

/* Offset past the token at off (-1 if it runs off the block). */
static int skip(const struct hcabi_fdt *f, int off)
{
	uint32_t t = token(f, off);
	int p = off + 4;

	if (t == FDT_BEGIN_NODE) {
		while ((uint32_t)p < f->size_struct && *at(f, p))
			p++;
		return (uint32_t)p < f->size_struct ? align4(p + 1) : -1;
	}
	if (t == FDT_PROP) {
		uint32_t len;
		if ((uint32_t)p + 8 > f->size_struct)
			return -1;
		len = hcabi_fdt32(at(f, p));
		if (len > f->size_struct || (uint32_t)p + 8 + len > f->size_struct)
			return -1;
		return align4(p + 8 + (int)len);
	}
	if (t == FDT_END_NODE || t == FDT_NOP)
		return p;
	return -1;
}

int hcabi_fdt_root(const struct hcabi_fdt *f)
{
	int off = 0;
	if (!f->blob)
		return HCABI_FDT_NONE;
	while (token(f, off) == FDT_NOP)
		off += 4;
	return token(f, off) == FDT_BEGIN_NODE ? off : HCABI_FDT_NONE;
}

int hcabi_fdt_next_node(const struct hcabi_fdt *f, int node, int *depth)
{
	int level = *depth, off = skip(f, node);

	while (off >= 0) {
		switch (token(f, off)) {
		case FDT_BEGIN_NODE:
			*depth = level + 1;
			return off;
		case FDT_END_NODE:
			if (--level < 0)
				return HCABI_FDT_NONE;
			break;
		case FDT_PROP:
		case FDT_NOP:
			break;
		default:
			return HCABI_FDT_NONE;
		}
		off = skip(f, off);
	}
	return HCABI_FDT_NONE;
}

const char *hcabi_fdt_name(const struct hcabi_fdt *f, int node)
{
	return token(f, node) == FDT_BEGIN_NODE && skip(f, node) > 0 ? at(f, node + 4) : "";
}

/* Whether a node name matches one path component (len bytes): exactly, or
 * without the unit address when the component has none. */
static bool name_matches(const char *name, const char *comp, size_t len)
{
	if (strncmp(name, comp, len))
		return false;
	return name[len] == '\0' || (name[len] == '@' && !memchr(comp, '@', len));
}

int hcabi_fdt_path(const struct hcabi_fdt *f, const char *path, size_t len)
{
	int node = hcabi_fdt_root(f);
	size_t i = 0;

	if (!len || path[0] != '/')
		return HCABI_FDT_NONE;
	while (node != HCABI_FDT_NONE) {
		size_t start, n;
		int d = 0, child;
		while (i < len && path[i] == '/')
			i++;
		if (i >= len)
			return node;
		start = i;
		while (i < len && path[i] != '/')
			i++;
		n = i - start;
		for (child = hcabi_fdt_next_node(f, node, &d); child != HCABI_FDT_NONE && d > 0;
		     child = hcabi_fdt_next_node(f, child, &d))
			if (d == 1 && name_matches(hcabi_fdt_name(f, child), path + start, n))
				break;
		node = d == 1 ? child : HCABI_FDT_NONE;
	}
	return HCABI_FDT_NONE;
}

int hcabi_fdt_parent(const struct hcabi_fdt *f, int node)
{
	int stack[HCABI_FDT_MAX_DEPTH];
	int d = 0, n = hcabi_fdt_root(f);

	while (n != HCABI_FDT_NONE && d < HCABI_FDT_MAX_DEPTH) {
		stack[d] = n;
		if (n == node)
			return d > 0 ? stack[d - 1] : HCABI_FDT_NONE;
		n = hcabi_fdt_next_node(f, n, &d);
	}
	return HCABI_FDT_NONE;
}

static const void *prop_n(const struct hcabi_fdt *f, int node, const char *name, size_t nlen,
			  uint32_t *len)
{
	int off;

	if (token(f, node) != FDT_BEGIN_NODE)
		return 0;
	for (off = skip(f, node); off >= 0; off = skip(f, off)) {
		uint32_t t = token(f, off), nameoff;
		const char *pname;
		if (t == FDT_NOP)
			continue;
		if (t != FDT_PROP || skip(f, off) < 0)
			return 0; /* the properties come before the children */
		nameoff = hcabi_fdt32(at(f, off + 8));
		if (nameoff >= f->size_strings || nlen >= f->size_strings - nameoff)
			continue;
		pname = (const char *)f->blob + f->off_strings + nameoff;
		if (!strncmp(pname, name, nlen) && pname[nlen] == '\0') {
			if (len)
				*len = hcabi_fdt32(at(f, off + 4));
			return at(f, off + 12);
		}
	}
	return 0;
}

const void *hcabi_fdt_prop(const struct hcabi_fdt *f, int node, const char *name, uint32_t *len)
{
	return prop_n(f, node, name, strlen(name), len);
}

/* A value of len bytes as a string: it must hold its NUL. */
static const char *as_string(const char *v, uint32_t len)
{
	return v && len && memchr(v, '\0', len) ? v : 0;
}

const char *hcabi_fdt_prop_str(const struct hcabi_fdt *f, int node, const char *name)
{
	uint32_t len = 0;
	const char *v = hcabi_fdt_prop(f, node, name, &len); /* before len is read */
	return as_string(v, len);
}

bool hcabi_fdt_compatible(const struct hcabi_fdt *f, int node, const char *compat)
{
	uint32_t len = 0, i = 0;
	const char *v = hcabi_fdt_prop(f, node, "compatible", &len);

	while (v && i < len) {
		const char *s = v + i;
		const char *nul = memchr(s, '\0', len - i);
		if (!nul)
			return false;
		if (!strcmp(s, compat))
			return true;
		i += (uint32_t)(nul - s) + 1;
	}
	return false;
}

static uint32_t cells(const struct hcabi_fdt *f, int node, const char *name, uint32_t dflt)
{
	uint32_t len = 0;
	const void *v = node == HCABI_FDT_NONE ? 0 : hcabi_fdt_prop(f, node, name, &len);
	return v && len == 4 ? hcabi_fdt32(v) : dflt;
}

static uint64_t read_cells(const uint8_t *p, uint32_t n)
{
	uint64_t v = 0;
	for (uint32_t i = 0; i < n; i++)
		v = (v << 32) | hcabi_fdt32(p + 4 * i);
	return v;
}

bool hcabi_fdt_reg(const struct hcabi_fdt *f, int node, unsigned index, uint64_t *base,
		   uint64_t *size)
{
	int parent = hcabi_fdt_parent(f, node);
	uint32_t ac = cells(f, parent, "#address-cells", 2), sc = cells(f, parent, "#size-cells", 1);
	uint32_t len = 0, stride = 4 * (ac + sc);
	const uint8_t *v = hcabi_fdt_prop(f, node, "reg", &len);

	if (!v || ac < 1 || ac > 2 || sc > 2 || (uint64_t)index * stride + stride > len)
		return false;
	v += index * stride;
	*base = read_cells(v, ac);
	*size = read_cells(v + 4 * ac, sc);
	return true;
}

int hcabi_fdt_stdout(const struct hcabi_fdt *f)
{
	int chosen = hcabi_fdt_path(f, "/chosen", 7);
	const char *s = hcabi_fdt_prop_str(f, chosen, "stdout-path");
	const char *colon;
	size_t n;
	uint32_t alen = 0;

	if (!s)
		s = hcabi_fdt_prop_str(f, chosen, "linux,stdout-path");
	if (!s)
		return HCABI_FDT_NONE;
	colon = strchr(s, ':');
	n = colon ? (size_t)(colon - s) : strlen(s);
	if (n && s[0] == '/')
		return hcabi_fdt_path(f, s, n);
	/* an alias */
	s = prop_n(f, hcabi_fdt_path(f, "/aliases", 8), s, n, &alen); /* before alen is read */
	s = as_string(s, alen);
	return s ? hcabi_fdt_path(f, s, strlen(s)) : HCABI_FDT_NONE;
}
