/* SPDX-License-Identifier: MIT */
/*
 * el0.c - run a few instructions at EL0 and come back (hcabi_arm64_el0.h).
 *
 * The runtime's identity map gives EL0 no access, and a page that EL0 may
 * write is never executable at EL1 (the architecture's rule), so the EL0
 * code gets a mapping of its own for the call: the level-1 entry of
 * HCABI_EL0_VA (a device block of the identity map, above any RAM) is
 * replaced by a level-2 and a level-3 table whose one page is the copied
 * code, read-only at EL1 and EL0, executable at EL0 only. The entry is put
 * back afterwards. While the code runs VBAR_EL1 points at el0.S's vectors,
 * which bring any exception from EL0 back here; interrupts stay masked.
 */
#include "hcabi_arm64_el0.h"
#include "hcabi_guest.h"
#include "hcabi_internal.h"
#include "hcabi_ram.h"

/* descriptors (as mmu.c's) */
#define D_VALID 1ull
#define D_TABLE 3ull
#define D_PAGE 3ull
#define D_ATTR(i) ((uint64_t)(i) << 2)
#define D_AP_RO_EL0 (3ull << 6) /* AP[2:1] = 11: read-only at EL1 and EL0 */
#define D_SH_INNER (3ull << 8)
#define D_AF (1ull << 10)
#define D_PXN (1ull << 53)
#define D_ADDR 0x0000FFFFFFFFF000ull
#define GB1 (1ull << 30)

/* What el0.S reads and writes (its C_* offsets). */
struct hcabi__el0_ctx {
	uint64_t in[31];
	uint64_t sp_el0;
	uint64_t pc;
	uint64_t out[31];
	uint64_t out_sp_el0;
	uint64_t elr, esr, far, spsr, kind;
	struct hcabi_jmpbuf *jb;
};
_Static_assert(__builtin_offsetof(struct hcabi__el0_ctx, pc) == 256, "C_PC");
_Static_assert(__builtin_offsetof(struct hcabi__el0_ctx, out) == 264, "C_OUT");
_Static_assert(__builtin_offsetof(struct hcabi__el0_ctx, out_sp_el0) == 512, "C_OUT_SP_EL0");
_Static_assert(__builtin_offsetof(struct hcabi__el0_ctx, kind) == 552, "C_KIND");
_Static_assert(__builtin_offsetof(struct hcabi__el0_ctx, jb) == 560, "C_JB");

/* Never returns: the way back is hcabi_longjmp(ctx->jb, 1). */
__attribute__((noreturn)) void hcabi__el0_enter(struct hcabi__el0_ctx *ctx);
extern char hcabi__el0_vectors[];

static uint64_t l2_page, l3_page, code_page;

/* The MAIR_EL1 index of normal write-back memory (attribute 0xFF), or -1. */
static int normal_attr(void)
{
	uint64_t mair = hcabi_read_sysreg(mair_el1);
	for (int i = 0; i < 8; i++)
		if (((mair >> (8 * i)) & 0xFF) == 0xFF)
			return i;
	return -1;
}

static void tlb_flush_all(void)
{
	__asm__ __volatile__("dsb ishst\n\ttlbi vmalle1\n\tdsb ish\n\tisb" ::: "memory");
}

/* Make the copied code visible to instruction fetch (KVM guests have real
 * caches; TCG does not care). */
static void sync_icache(uint64_t va, size_t len)
{
	uint64_t ctr = hcabi_read_sysreg(ctr_el0);
	uint64_t dline = 4ull << ((ctr >> 16) & 0xF), iline = 4ull << (ctr & 0xF);

	for (uint64_t a = va & ~(dline - 1); a < va + len; a += dline)
		__asm__ __volatile__("dc cvau, %0" ::"r"(a) : "memory");
	__asm__ __volatile__("dsb ish" ::: "memory");
	for (uint64_t a = va & ~(iline - 1); a < va + len; a += iline)
		__asm__ __volatile__("ic ivau, %0" ::"r"(a) : "memory");
	__asm__ __volatile__("dsb ish\n\tisb" ::: "memory");
}

bool hcabi_run_el0(const void *code, size_t len, const uint64_t regs[31], uint64_t sp_el0,
		   struct hcabi_el0_result *res, const char **why)
{
	uint64_t *l1 = (uint64_t *)(uintptr_t)(hcabi_read_sysreg(ttbr0_el1) & D_ADDR);
	unsigned idx = (unsigned)(HCABI_EL0_VA / GB1);
	struct hcabi__el0_ctx ctx;
	struct hcabi_jmpbuf jb;
	uint64_t old, vbar, daif;
	int attr = normal_attr();

	if (len == 0 || len > HCABI_EL0_CODE_MAX || (len & 3)) {
		*why = "EL0 code must be 1 to 4096 bytes of whole instructions";
		return false;
	}
	if (attr < 0) {
		*why = "MAIR_EL1 has no normal write-back attribute";
		return false;
	}
	old = l1[idx];
	/* a block (not a table), never executable: the identity map's device
	 * block, which nothing here uses; RAM there would be lost for the call */
	if ((old & 3) != D_VALID || !(old & D_PXN) || hcabi_ram_contains(HCABI_EL0_VA, GB1)) {
		*why = "the level-1 entry of HCABI_EL0_VA is not an unused device block";
		return false;
	}
	if (!l2_page) {
		l2_page = hcabi_alloc_page();
		l3_page = hcabi_alloc_page();
		code_page = hcabi_alloc_page();
		if (!l2_page || !l3_page || !code_page) {
			l2_page = 0;
			*why = "no free page for the EL0 mapping";
			return false;
		}
	}
	memset((void *)(uintptr_t)code_page, 0, 4096);
	memcpy((void *)(uintptr_t)code_page, code, len);
	/* the code page at HCABI_EL0_VA: RO at EL1 and EL0, EL0-executable */
	((uint64_t *)(uintptr_t)l3_page)[0] =
	    code_page | D_PAGE | D_ATTR(attr) | D_AP_RO_EL0 | D_SH_INNER | D_AF | D_PXN;
	((uint64_t *)(uintptr_t)l2_page)[0] = l3_page | D_TABLE;

	memset(&ctx, 0, sizeof(ctx));
	memcpy(ctx.in, regs, sizeof(ctx.in));
	ctx.sp_el0 = sp_el0;
	ctx.pc = HCABI_EL0_VA;
	ctx.jb = &jb;

	daif = hcabi_irq_save();
	__asm__ __volatile__("msr daifset, #0xf" ::: "memory");
	l1[idx] = l2_page | D_TABLE;
	tlb_flush_all();
	sync_icache(code_page, len);
	vbar = hcabi_read_sysreg(vbar_el1);
	hcabi_write_sysreg(vbar_el1, (uint64_t)(uintptr_t)hcabi__el0_vectors);
	hcabi_isb();

	/* nothing below is changed between here and the longjmp back */
	if (hcabi_setjmp(&jb) == 0)
		hcabi__el0_enter(&ctx);

	hcabi_write_sysreg(vbar_el1, vbar);
	hcabi_isb();
	l1[idx] = old;
	tlb_flush_all();
	hcabi_write_sysreg(daif, daif);

	memcpy(res->x, ctx.out, sizeof(res->x));
	res->sp_el0 = ctx.out_sp_el0;
	res->elr = ctx.elr;
	res->esr = ctx.esr;
	res->far = ctx.far;
	res->spsr = ctx.spsr;
	res->kind = ctx.kind;
	return true;
}
