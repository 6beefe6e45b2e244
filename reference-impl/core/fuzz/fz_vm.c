/* SPDX-License-Identifier: MIT */
/*
 * fz_vm.c - the VM of one input: its configuration from the input's header
 * (version pin, vCPU count, RAM layout, CPUID base, withheld extensions),
 * the state the harness reads, and fz_fail, which reports a violated
 * invariant with the call that broke it.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fz_model.h"

struct fz_model fz;

void fz_fail(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "\n==== HCABI fuzz invariant violated ====\n");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr,
		"\n(version 0x%x, %u vCPUs, %u RAM ranges, call #%llu, caller %u, "
		"RAX 0x%llx args 0x%llx 0x%llx 0x%llx 0x%llx 0x%llx 0x%llx, failure kind %u)\n",
		fz.version, fz.nvcpus, fz.ncfg, (unsigned long long)fz.ncalls, fz.caller,
		(unsigned long long)fz.direct.fid, (unsigned long long)fz.direct.args[0],
		(unsigned long long)fz.direct.args[1], (unsigned long long)fz.direct.args[2],
		(unsigned long long)fz.direct.args[3], (unsigned long long)fz.direct.args[4],
		(unsigned long long)fz.direct.args[5], fz.fail_kind);
	abort();
}

struct layout {
	unsigned n;
	struct hcabi_ref_ram_range r[FZ_MAX_RANGES];
};
static const struct layout layouts[] = {
    /* two ranges and a hole */
    {2, {{0x0, 0x10000}, {0x20000, 0x8000}}},
    /* two ranges that touch: one range to the guest (MEM-011) */
    {2, {{0x0, 0x8000}, {0x8000, 0x8000}}},
    /* GPA 0 is not RAM */
    {1, {{0x1000, 0xF000}}},
    /* RAM ending one page below 2^64 */
    {2, {{0x0, 0x10000}, {0xFFFFFFFFFFFEF000ull, 0x10000}}},
    /* four ranges, above 4 GiB too, two of them touching */
    {4, {{0x0, 0x4000}, {0x8000, 0x4000}, {0x100000000ull, 0x4000}, {0x100004000ull, 0x4000}}},
};
#define NLAYOUTS (sizeof(layouts) / sizeof(layouts[0]))

static const uint32_t vcpu_counts[16] = {1, 2, 2, 3, 3, 4, 4, 4, 5, 8, 16, 63, 64, 65, 128, 256};
uint32_t fz_cpuid_base;

void fz_reset_shadow(void)
{
	memset(fz.running, 0, sizeof(fz.running));
	memset(fz.steal_on, 0, sizeof(fz.steal_on));
	memset(fz.steal_expect, 0, sizeof(fz.steal_expect));
	memset(fz.wake_pending, 0, sizeof(fz.wake_pending));
	memset(fz.timer_armed, 0, sizeof(fz.timer_armed));
	fz.running[0] = true;
}

void fz_open(struct fz_in *in)
{
	uint8_t h0 = fz_u8(in), h1 = fz_u8(in), h2 = fz_u8(in), h3 = fz_u8(in);
	const struct layout *l = &layouts[h2 % NLAYOUTS];
	struct hcabi_ref_config cfg;
	const char *err = NULL;
	unsigned vi = h0 % (FZ_NVERSIONS + 1);

	memset(&fz, 0, sizeof(fz));
	fz.nvcpus = vcpu_counts[h1 % 16];
	fz.ncfg = l->n;
	memcpy(fz.cfg, l->r, sizeof(fz.cfg));
	for (unsigned i = 0; i < l->n; i++) {
		if (fz.nram > 0 && fz.ram[fz.nram - 1].base + fz.ram[fz.nram - 1].size == l->r[i].base) {
			fz.ram[fz.nram - 1].size += l->r[i].size;
		} else {
			fz.ram[fz.nram].base = l->r[i].base;
			fz.ram[fz.nram].size = l->r[i].size;
			fz.nram++;
		}
	}
	for (unsigned i = 0; i < fz.nram; i++) {
		fz.ram[i].mem = malloc((size_t)fz.ram[i].size);
		if (!fz.ram[i].mem)
			abort();
		/* never zero: the core must not rely on fresh memory */
		memset(fz.ram[i].mem, 0x5A, (size_t)fz.ram[i].size);
	}
	fz.mono = 1000000;
	fz.wall = 1700000000000000000ull;
	fz.impl_version = 0x00020003;
	fz_reset_shadow();
	fz_cpuid_base = h3 ? HCABI_CPUID_BASE + h3 * HCABI_CPUID_BASE_STRIDE : 0;

	memset(&cfg, 0, sizeof(cfg));
	cfg.spec_version = vi == 0 ? 0 : fz_versions[vi - 1];
	/* Profiles: one input in four withholds the optional extensions named
	 * by bits of h1 >> 4 and h3 (fz_exts[] order, BASE never); the model
	 * then expects them absent exactly as unknown ones (ext_present). */
	if ((h0 / (FZ_NVERSIONS + 1)) % 4 == 3) {
		uint32_t v = cfg.spec_version ? cfg.spec_version : hcabi_ref_newest_version();
		uint64_t pick = (uint64_t)(h1 >> 4) | ((uint64_t)h3 << 4);
		for (size_t i = 0; i < FZ_NEXTS; i++) {
			if (fz_exts[i].eid != HCABI_EID_BASE && ((pick >> (i % 12)) & 1u))
				fz.withheld |= UINT64_C(1) << i;
			else if (fz_exts[i].since <= v)
				fz.provide[fz.nprovide++] = fz_exts[i].eid;
		}
		cfg.extensions = fz.provide;
		cfg.extension_count = fz.nprovide;
	}
	cfg.vcpu_count = fz.nvcpus;
	cfg.ram = fz.cfg;
	cfg.ram_count = fz.ncfg;
	cfg.impl_version = fz.impl_version;
	cfg.cpuid_base = fz_cpuid_base;
	cfg.ops = &fz_ops;
	cfg.ctx = &fz;
	if (!fz_cpuid_base)
		fz_cpuid_base = HCABI_CPUID_BASE;
	fz.ref = hcabi_ref_create(&cfg, &err);
	CHECK(fz.ref != NULL, "hcabi_ref_create refused a valid configuration: %s", err ? err : "?");
	fz.version = hcabi_ref_spec_version(fz.ref);
	CHECK(fz.version == (vi == 0 ? hcabi_ref_newest_version() : fz_versions[vi - 1]),
	      "VER: exposed version 0x%x", fz.version);
	hcabi_ref_set_trace(fz.ref, fz_on_trace, NULL);
}

void fz_close(void)
{
	if (fz.ref)
		hcabi_ref_destroy(fz.ref);
	for (unsigned i = 0; i < fz.nram; i++)
		free(fz.ram[i].mem);
	fz.ref = NULL;
	fz.nram = 0;
}

bool fz_vm_ended(void)
{
	return fz.ended;
}

uint32_t fz_nvcpus(void)
{
	return fz.nvcpus;
}

uint32_t fz_nrunning(void)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < fz.nvcpus; i++)
		n += fz.running[i];
	return n;
}

uint32_t fz_running_vcpu(uint32_t k)
{
	for (uint32_t i = 0; i < fz.nvcpus; i++)
		if (fz.running[i] && k-- == 0)
			return i;
	return 0;
}

uint64_t fz_calls_made(void)
{
	return fz.ncalls;
}

uint64_t fz_slot(unsigned k)
{
	const struct hcabi_ref_ram_range *first = &fz.cfg[0], *last = &fz.cfg[fz.ncfg - 1];
	uint64_t first_end = first->base + first->size, last_end = last->base + last->size;
	switch (k % FZ_NSLOTS) {
	case 0:
		return first->base + 0x1000;
	case 1:
		return first->base + 0x2000;
	case 2:
		return last_end - HCABI_BATCH_MAX_ENTRIES * sizeof(struct hcabi_batch_entry);
	case 3:
		return last_end - 64;
	case 4:
		return first_end - 2 * sizeof(struct hcabi_batch_entry);
	case 5:
		return first->base + 0x3000;
	case 6:
		return first_end - 36;
	default:
		return first->base;
	}
}
