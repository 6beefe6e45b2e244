/* SPDX-License-Identifier: MIT */
/*
 * Preserved registers across a call: RV64-009 (every general-purpose
 * register but a0 and a1: ra, sp, gp, tp, t0..t6, s0..s11, a2..a7),
 * RV64-010 (the call returns to the instruction after the ECALL), RV64-011
 * (f0..f31 and fcsr).
 *
 * What: every function that returns (HCABI_FOREACH_FUNCTION without the
 * no-return ones) is called with harmless arguments (hcabi_harmless_args:
 * valid where that is harmless, else invalid so that the call fails;
 * functions of extensions that are not provided are called too and must
 * preserve just the same) by rv_preserve_call, which loads a distinct
 * pattern into every general-purpose register (a0..a5 the arguments, a6
 * the function ID, a7 the extension ID, the rest poison; sp the register
 * block), into f0..f31 (NaN-boxed and raw 64-bit patterns alike) and
 * fcsr (rounding mode and flags), executes ECALL and captures all of it
 * right after. Every register but a0 and a1 must be unchanged, and the
 * instruction right after the ECALL must have run. Each function is called
 * with interrupts disabled; two with sstatus.SIE set too (an interrupt
 * taken meanwhile pushes its frame below the register block and changes
 * nothing the call is judged on).
 * Why: a guest kernel calls the hypervisor from any context with live
 * state in every register; a hypervisor that follows the ordinary calling
 * convention (t0..t6, a2..a7 caller-saved) instead of SBI's corrupts the
 * guest silently.
 * Vector state (v0..v31, vl, vtype, vstart, vcsr on a vCPU that has the V
 * extension) is not compared: the runtime does not enable it
 * (sstatus.VS); the test logs whether the device tree's ISA string has V.
 */
#include "rv_asm.h"
#include "hcabi_calls.h"
#include "hcabi_fdt.h"

static struct rv_pctx pctx;

static const char *const gpr_names[32] = {"zero", "ra", "sp",  "gp",  "tp", "t0", "t1", "t2",
					  "s0",	  "s1", "a0",  "a1",  "a2", "a3", "a4", "a5",
					  "a6",	  "a7", "s2",  "s3",  "s4", "s5", "s6", "s7",
					  "s8",	  "s9", "s10", "s11", "t3", "t4", "t5", "t6"};

/* Fill the block for a call of fid through HCABI_RISCV64_SBI_EID with
 * sstatus.SIE = sie; every pattern depends on `round`. */
static void setup(struct rv_regs *r, uint32_t fid, uint64_t sie, unsigned round)
{
	uint64_t args[6];

	memset(r, 0, sizeof(*r));
	hcabi_harmless_args(fid, args, 0x6A6A6A6A00000000ull | ((uint64_t)round << 24));
	for (unsigned n = 1; n < 32; n++)
		r->in[n] = ((uint64_t)(0xA0 + n) << 56) | (0x00C0FFEE00000000ull >> 8) |
			   ((uint64_t)round << 8) | n;
	for (unsigned i = 0; i < 6; i++)
		r->in[10 + i] = args[i];
	r->in[16] = fid;		   /* a6 */
	r->in[17] = HCABI_RISCV64_SBI_EID; /* a7 */
	for (unsigned i = 0; i < 32; i++)
		/* odd registers: NaN-boxed singles (upper word all ones) */
		r->fin[i] = (i & 1)
				? 0xFFFFFFFF00000000ull | (0x3F800000u + round * 64 + i)
				: 0x4000000000000000ull | ((uint64_t)round << 32) | (i * 0x1111u);
	/* frm (bits 7:5) = round towards zero or down; fflags NV, OF, NX */
	r->fcsr_in = ((round & 1) ? (1u << 5) : (2u << 5)) | 0x15;
	r->sie_in = sie;
}

/* x1, x3..x31 but a0 and a1, and sp, unchanged (RV64-009); the next
 * instruction ran (RV64-010, when next_req is given). */
static void check_gprs(const char *what, const struct rv_regs *r, const char *req,
		       const char *next_req)
{
	bool resumed = r->out[1] != RV_NOT_RESUMED;
	int bad = -1;

	if (next_req)
		check_true(resumed, next_req,
			   "%s: execution continued at the instruction after the ECALL (it %s)",
			   what, resumed ? "ran" : "was skipped");
	if (!resumed)
		return;
	for (unsigned n = 1; n < 32 && bad < 0; n++)
		if (n != 10 && n != 11 && r->out[n] != (n == 2 ? r->sp_before : r->in[n]))
			bad = (int)n;
	if (bad >= 0)
		check_true(false, req, "%s: %s (x%d) was 0x%llx, is 0x%llx after", what,
			   gpr_names[bad], bad,
			   (unsigned long long)(bad == 2 ? r->sp_before : r->in[bad]),
			   (unsigned long long)r->out[bad]);
	else
		check_true(true, req,
			   "%s: every general-purpose register but a0 and a1 preserved "
			   "(a0 %lld)",
			   what, (long long)r->out[10]);
}

static void check_fp(const char *what, const struct rv_regs *r, const char *req)
{
	for (unsigned i = 0; i < 32; i++)
		if (r->fout[i] != r->fin[i]) {
			check_true(false, req, "%s: f%u was 0x%016llx, is 0x%016llx after", what, i,
				   (unsigned long long)r->fin[i], (unsigned long long)r->fout[i]);
			return;
		}
	check_eq_u64(r->fcsr_out, r->fcsr_in, req, "%s: fcsr after the call (f0..f31 preserved)",
		     what);
}

enum aspect { GPRS, FP };

static void every_function(enum aspect what, const char *req, const char *next_req)
{
	static const uint32_t irq_fns[] = {HCABI_FID_BASE_GET_SPEC_VERSION,
					   HCABI_FID_BASE_PROBE_EXTENSION};
	unsigned round = 0;
	char name[64];

	for (size_t i = 0; i < hcabi_num_fns + HCABI_ARRAY_SIZE(irq_fns); i++) {
		bool irq = i >= hcabi_num_fns;
		const struct hcabi_fn *fn =
		    irq ? hcabi_fn_by_id(irq_fns[i - hcabi_num_fns]) : &hcabi_fns[i];
		if (fn->flags & HCABI_FN_NO_RETURN)
			continue;
		setup(&pctx.r, fn->id, irq ? HCABI_SSTATUS_SIE : 0, ++round);
		rv_preserve_call(&pctx.r);
		hcabi_snprintf(name, sizeof(name), "%s.%s%s", fn->ext, fn->name,
			       irq ? " (sstatus.SIE set)" : "");
		if (what == GPRS)
			check_gprs(name, &pctx.r, req, next_req);
		else
			check_fp(name, &pctx.r, req);
	}
}

HCABI_TEST(rv_preserve_gprs, "RV64.preserve_gprs", "RV64-009,RV64-010", HCABI_VERSION_1_0)
{
	every_function(GPRS, "RV64-009", "RV64-010");
}

/* Whether the device tree's first cpu node has V in its ISA string
 * (riscv,isa "rv64imafdcv_..." or riscv,isa-extensions "v"). */
static bool dt_has_v(void)
{
	const struct hcabi_fdt *f = hcabi_fdt();
	int depth = 0;
	uint32_t len = 0;

	if (!f)
		return false;
	for (int node = hcabi_fdt_root(f); node != HCABI_FDT_NONE;
	     node = hcabi_fdt_next_node(f, node, &depth)) {
		const char *isa = hcabi_fdt_prop(f, node, "riscv,isa", &len);
		if (!isa || len < 5)
			continue;
		for (uint32_t k = 4; k < len && isa[k] && isa[k] != '_'; k++)
			if (isa[k] == 'v')
				return true;
		return false;
	}
	return false;
}

HCABI_TEST(rv_preserve_fp, "RV64.preserve_fp", "RV64-011", HCABI_VERSION_1_0)
{
	if (dt_has_v())
		test_log("the vCPU has the V extension (riscv,isa): its vector state is not "
			 "compared, only f0..f31 and fcsr");
	every_function(FP, "RV64-011", NULL);
}
