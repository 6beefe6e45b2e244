/* SPDX-License-Identifier: MIT */
/*
 * fdt_test.c - lib/fdt.c on the host (CTest conformance.fdt, with ASan and
 * UBSan where the compiler has them): a device tree built here, every
 * lookup the arm64 runtime makes checked for its value, then every
 * truncation and thousands of corrupted variants of the blob walked with
 * every function: a malformed tree must give "not found", never a read
 * outside the blob.
 */
#include <stdio.h>
#include <stdlib.h>

#include "hcabi_fdt.h"
#include "hcabi_guest.h"

static uint8_t blob[4096], strs[512], st[2048];
static size_t nstr, nst;
static int failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("FAIL line %d: ", __LINE__);                                        \
			printf(__VA_ARGS__);                                                       \
			printf("\n");                                                              \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static void tok(uint32_t v)
{
	be32(st + nst, v);
	nst += 4;
}

static void begin(const char *name)
{
	size_t n = strlen(name) + 1;
	tok(1);
	memcpy(st + nst, name, n);
	nst = (nst + n + 3) & ~(size_t)3;
}

static void prop(const char *name, const void *val, size_t len)
{
	size_t off = 0;
	while (off < nstr && strcmp((char *)strs + off, name))
		off += strlen((char *)strs + off) + 1;
	if (off >= nstr) {
		memcpy(strs + nstr, name, strlen(name) + 1);
		nstr += strlen(name) + 1;
	}
	tok(3);
	tok((uint32_t)len);
	tok((uint32_t)off);
	memcpy(st + nst, val, len);
	nst = (nst + len + 3) & ~(size_t)3;
}

static void prop_cells(const char *name, int n, const uint32_t *cells)
{
	uint8_t v[64];
	for (int i = 0; i < n; i++)
		be32(v + 4 * i, cells[i]);
	prop(name, v, 4 * (size_t)n);
}

#define STR(s) s, sizeof(s)

/* The tree QEMU virt passes, in small: cells 2/2, chosen, aliases, two
 * memory ranges, a PL011, a bus with cells 1/1. Returns its size. */
static size_t build(void)
{
	const uint32_t two[] = {2}, one[] = {1};
	const uint32_t mem[] = {0, 0x40000000, 0, 0x4000000, 1, 0, 0, 0x1000000};
	const uint32_t uart[] = {0, 0x9000000, 0, 0x1000}, dev[] = {0x1000, 0x100};
	size_t total;

	nst = nstr = 0;
	begin("");
	prop_cells("#address-cells", 1, two);
	prop_cells("#size-cells", 1, two);
	begin("chosen");
	prop("bootargs", STR("hcabi.nonce=0123"));
	prop("stdout-path", STR("serial0:115200n8"));
	tok(2);
	begin("aliases");
	prop("serial0", STR("/pl011@9000000"));
	tok(2);
	begin("memory@40000000");
	prop("device_type", STR("memory"));
	prop_cells("reg", 8, mem);
	tok(2);
	begin("pl011@9000000");
	prop("compatible", STR("arm,pl011\0arm,primecell"));
	prop_cells("reg", 4, uart);
	tok(2);
	begin("soc");
	prop_cells("#address-cells", 1, one);
	prop_cells("#size-cells", 1, one);
	begin("dev@1000");
	prop_cells("reg", 2, dev);
	tok(2);
	tok(2);
	tok(2); /* the root */
	tok(9);
	total = 40 + 16 + nst + nstr;
	memset(blob, 0, sizeof(blob));
	be32(blob, 0xd00dfeed);
	be32(blob + 4, (uint32_t)total);
	be32(blob + 8, 56);			  /* off_dt_struct */
	be32(blob + 12, (uint32_t)(56 + nst)); /* off_dt_strings */
	be32(blob + 16, 40);			  /* off_mem_rsvmap: one empty entry */
	be32(blob + 20, 17);
	be32(blob + 24, 16);
	be32(blob + 32, (uint32_t)nstr);
	be32(blob + 36, (uint32_t)nst);
	memcpy(blob + 56, st, nst);
	memcpy(blob + 56 + nst, strs, nstr);
	return total;
}

/* Every function over the whole tree (the fuzz pass: values do not matter). */
static unsigned walk(const struct hcabi_fdt *f)
{
	uint64_t b, s;
	unsigned n = 0;
	int d = 0;
	for (int node = hcabi_fdt_root(f); node != HCABI_FDT_NONE && n < 10000;
	     node = hcabi_fdt_next_node(f, node, &d), n++) {
		(void)hcabi_fdt_name(f, node);
		(void)hcabi_fdt_prop_str(f, node, "device_type");
		(void)hcabi_fdt_compatible(f, node, "arm,pl011");
		for (unsigned i = 0; i < 4; i++)
			(void)hcabi_fdt_reg(f, node, i, &b, &s);
	}
	(void)hcabi_fdt_stdout(f);
	(void)hcabi_fdt_path(f, "/soc/dev@1000", 13);
	(void)hcabi_fdt_path(f, "/memory", 7);
	return n;
}

int main(void)
{
	struct hcabi_fdt f;
	uint64_t b, s;
	size_t size = build();
	int node, d = 0;
	unsigned count = 0;

	CHECK(hcabi_fdt_init(&f, blob), "init of a good tree");
	CHECK(hcabi_fdt_total_size(blob) == size, "total size");
	for (node = hcabi_fdt_root(&f); node != HCABI_FDT_NONE; node = hcabi_fdt_next_node(&f, node, &d))
		count++;
	CHECK(count == 7, "7 nodes in document order, got %u", count);
	node = hcabi_fdt_path(&f, "/memory", 7);
	CHECK(node != HCABI_FDT_NONE && !strcmp(hcabi_fdt_name(&f, node), "memory@40000000"),
	      "a path component without its unit address");
	CHECK(!strcmp(hcabi_fdt_prop_str(&f, node, "device_type"), "memory"), "device_type");
	CHECK(hcabi_fdt_reg(&f, node, 0, &b, &s) && b == 0x40000000 && s == 0x4000000,
	      "first reg pair with cells 2/2");
	CHECK(hcabi_fdt_reg(&f, node, 1, &b, &s) && b == 0x100000000ull && s == 0x1000000,
	      "second reg pair");
	CHECK(!hcabi_fdt_reg(&f, node, 2, &b, &s), "no third pair");
	node = hcabi_fdt_path(&f, "/chosen", 7);
	CHECK(!strcmp(hcabi_fdt_prop_str(&f, node, "bootargs"), "hcabi.nonce=0123"), "bootargs");
	CHECK(!hcabi_fdt_prop_str(&f, node, "nothing"), "a missing property");
	node = hcabi_fdt_stdout(&f);
	CHECK(node != HCABI_FDT_NONE && !strcmp(hcabi_fdt_name(&f, node), "pl011@9000000"),
	      "stdout-path through an alias, options after ':' dropped");
	node = hcabi_fdt_path(&f, "/pl011@9000000", 14);
	CHECK(hcabi_fdt_compatible(&f, node, "arm,primecell") && hcabi_fdt_compatible(&f, node, "arm,pl011") &&
		  !hcabi_fdt_compatible(&f, node, "arm,pl01"),
	      "compatible list");
	CHECK(hcabi_fdt_reg(&f, node, 0, &b, &s) && b == 0x9000000 && s == 0x1000, "uart reg");
	node = hcabi_fdt_path(&f, "/soc/dev@1000", 13);
	CHECK(hcabi_fdt_reg(&f, node, 0, &b, &s) && b == 0x1000 && s == 0x100, "reg with cells 1/1");
	CHECK(!strcmp(hcabi_fdt_name(&f, hcabi_fdt_parent(&f, node)), "soc"), "parent");
	CHECK(hcabi_fdt_parent(&f, hcabi_fdt_root(&f)) == HCABI_FDT_NONE, "the root has no parent");
	CHECK(hcabi_fdt_path(&f, "/soc/nothing", 12) == HCABI_FDT_NONE, "a missing node");
	CHECK(hcabi_fdt_path(&f, "soc", 3) == HCABI_FDT_NONE, "a relative path");
	CHECK(hcabi_fdt_path(&f, "/pl011", 6) != HCABI_FDT_NONE, "/pl011 matches pl011@9000000");
	CHECK(hcabi_fdt_path(&f, "/pl011@1", 8) == HCABI_FDT_NONE, "another unit address does not");

	/* malformed headers */
	CHECK(!hcabi_fdt_init(&f, blob + 4), "no magic");
	be32(blob + 20, 16);
	CHECK(!hcabi_fdt_init(&f, blob), "version 16 has no size_dt_struct");
	be32(blob + 20, 17);
	be32(blob + 36, 0xFFFFFF00u);
	CHECK(!hcabi_fdt_init(&f, blob), "a structure block past totalsize");
	build();

	/* every truncation of the blob (its totalsize says so), then corrupted
	 * bytes: walking must stay inside (ASan) and end */
	for (size_t cut = 0; cut < size; cut++) {
		uint8_t *copy = malloc(size);
		memcpy(copy, blob, size);
		be32(copy + 4, (uint32_t)cut);
		if (hcabi_fdt_init(&f, copy))
			walk(&f);
		free(copy);
	}
	uint32_t seed = 12345;
	for (int round = 0; round < 20000; round++) {
		uint8_t *copy = malloc(size);
		memcpy(copy, blob, size);
		for (int k = 0; k < 1 + round % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = 56 + (seed >> 8) % (size - 56);
			seed = seed * 1103515245u + 12345u;
			copy[at] = (uint8_t)(seed >> 16);
		}
		if (hcabi_fdt_init(&f, copy))
			walk(&f);
		free(copy);
	}
	if (failures)
		return 1;
	printf("fdt_test: ok (%zu-byte tree, %zu truncations, 20000 corrupted copies)\n", size, size);
	return 0;
}
