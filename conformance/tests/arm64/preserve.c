/* SPDX-License-Identifier: MIT */
/*
 * Preserved state across a call: ARM64-010 (x2..x30, SP_EL1, SP_EL0),
 * ARM64-011 (the call returns to the instruction after the HVC), ARM64-012
 * (PSTATE but NZCV: DAIF), ARM64-013 (V0..V31, FPCR, FPSR); ARM64-001 (the
 * call ID whatever x0[63:32] holds) and ARM64-002 (whatever the HVC
 * immediate is).
 *
 * What: every function that returns (HCABI_FOREACH_FUNCTION without the
 * no-return ones) is called with harmless arguments (hcabi_harmless_args:
 * valid where that is harmless, else invalid so that the call fails;
 * functions of extensions that are not provided are called too and must
 * preserve just the same) by a64_preserve_call, which loads a distinct
 * pattern into every general-purpose register x2..x30 (x2..x7 the
 * arguments, the rest poison), SP_EL0, V0..V31, FPCR and FPSR, sets NZCV
 * and DAIF, executes HVC #0 with x0 = HCABI_ARM64_CALL_ID and captures
 * all of it right after. Every register but x0 and x1 and NZCV must be
 * unchanged, SP_EL1 too, and the instruction right after the HVC must
 * have run. DAIF is checked with every mask set and with IRQs unmasked.
 * Why: a guest kernel calls the hypervisor from any context with live
 * state in every register; SMCCC lets a call change x4..x17 and the
 * binding does not, so a hypervisor that follows SMCCC's rule instead of
 * HCABI's corrupts the guest silently.
 * SVE state (Z0..Z31, P0..P15, FFR, ZCR_EL1 on a vCPU that has SVE) is not
 * compared: the runtime does not enable SVE (CPACR_EL1.ZEN); the test logs
 * whether the vCPU has it.
 */
#include "a64_asm.h"
#include "hcabi_calls.h"

static struct a64_pctx pctx;

#define DAIF_ALL 0x3C0ull		      /* D, A, I, F masked */
#define DAIF_IRQ_ON (DAIF_ALL & ~(1ull << 7)) /* I clear */
#define FPCR_PATTERN 0x07C00000ull	      /* AHP, DN, FZ, RMode = towards zero */
#define FPSR_PATTERN 0x0800009Full	      /* QC, IDC, IXC, UFC, OFC, DZC, IOC */

/* Fill the block for a call of fn with the given x0, immediate and DAIF;
 * every pattern depends on `round`. */
static void setup(struct a64_regs *r, uint64_t x0, uint32_t fid, unsigned imm, uint64_t daif,
		  unsigned round)
{
	uint64_t args[6];

	memset(r, 0, sizeof(*r));
	hcabi_harmless_args(fid, args, 0x6A6A6A6A00000000ull | ((uint64_t)round << 24));
	r->in[0] = x0;
	r->in[1] = fid;
	for (unsigned i = 0; i < 6; i++)
		r->in[2 + i] = args[i];
	for (unsigned i = 8; i < 31; i++)
		r->in[i] = ((uint64_t)(0xA0 + i) << 56) | (0x00C0FFEE00000000ull >> 8) |
			   ((uint64_t)round << 8) | i;
	r->sp_el0_in = 0x0000FEED00000000ull | ((uint64_t)round << 8);
	r->fpcr_in = (round & 1) ? FPCR_PATTERN : (FPCR_PATTERN & ~(3ull << 22)) | (1ull << 22);
	r->fpsr_in = FPSR_PATTERN;
	r->nzcv_in = (round & 1) ? 0xF0000000ull : 0x60000000ull;
	r->daif_in = daif;
	r->imm = imm;
	for (unsigned i = 0; i < sizeof(r->vin); i++)
		r->vin[i] = (uint8_t)(i * 7 + round * 13 + 1);
}

static const char *imm_name(unsigned imm)
{
	return imm == 0 ? "HVC #0" : imm == 1 ? "HVC #1" : "HVC #0xffff";
}

/* x2..x30, SP_EL1, SP_EL0 unchanged (ARM64-010) and the next instruction
 * ran (ARM64-011, when next_req is given). */
static void check_gprs(const struct hcabi_fn *fn, const struct a64_regs *r, const char *req,
		       const char *next_req)
{
	bool resumed = r->out[2] != A64_NOT_RESUMED;
	int bad = -1;

	if (next_req)
		check_true(resumed, next_req,
			   "%s.%s via %s: execution continued at the instruction after the HVC "
			   "(it %s)",
			   fn->ext, fn->name, imm_name((unsigned)r->imm),
			   resumed ? "ran" : "was skipped");
	for (unsigned i = resumed ? 2 : 3; i < 31 && bad < 0; i++)
		if (r->out[i] != r->in[i])
			bad = (int)i;
	if (bad >= 0)
		check_true(false, req, "%s.%s via %s: x%d was 0x%llx, is 0x%llx after", fn->ext,
			   fn->name, imm_name((unsigned)r->imm), bad,
			   (unsigned long long)r->in[bad], (unsigned long long)r->out[bad]);
	else if (r->sp_after != r->sp_before)
		check_true(false, req, "%s.%s: SP_EL1 was 0x%llx, is 0x%llx after", fn->ext,
			   fn->name, (unsigned long long)r->sp_before,
			   (unsigned long long)r->sp_after);
	else if (r->sp_el0_out != r->sp_el0_in)
		check_true(false, req, "%s.%s: SP_EL0 was 0x%llx, is 0x%llx after", fn->ext,
			   fn->name, (unsigned long long)r->sp_el0_in,
			   (unsigned long long)r->sp_el0_out);
	else
		check_true(true, req,
			   "%s.%s via %s: x2..x30, SP_EL1 and SP_EL0 preserved (status %lld)",
			   fn->ext, fn->name, imm_name((unsigned)r->imm), (long long)r->out[0]);
}

static void check_fpsimd(const struct hcabi_fn *fn, const struct a64_regs *r, const char *req)
{
	for (unsigned v = 0; v < 32; v++)
		if (memcmp(r->vin + 16 * v, r->vout + 16 * v, 16)) {
			uint64_t was[2], is[2];
			memcpy(was, r->vin + 16 * v, 16);
			memcpy(is, r->vout + 16 * v, 16);
			check_true(false, req,
				   "%s.%s: V%u was 0x%016llx%016llx, is 0x%016llx%016llx after",
				   fn->ext, fn->name, v, (unsigned long long)was[1],
				   (unsigned long long)was[0], (unsigned long long)is[1],
				   (unsigned long long)is[0]);
			return;
		}
	if (r->fpcr_out != r->fpcr_in || r->fpsr_out != r->fpsr_in) {
		check_true(false, req,
			   "%s.%s: FPCR 0x%llx -> 0x%llx, FPSR 0x%llx -> 0x%llx across the call",
			   fn->ext, fn->name, (unsigned long long)r->fpcr_in,
			   (unsigned long long)r->fpcr_out, (unsigned long long)r->fpsr_in,
			   (unsigned long long)r->fpsr_out);
		return;
	}
	check_true(true, req, "%s.%s: V0..V31, FPCR and FPSR preserved", fn->ext, fn->name);
}

static void check_daif(const struct hcabi_fn *fn, const struct a64_regs *r, const char *req)
{
	check_eq_u64(r->daif_out, r->daif_in, req, "%s.%s: DAIF after a call made with DAIF 0x%llx",
		     fn->ext, fn->name, (unsigned long long)r->daif_in);
}

enum aspect { GPRS, PSTATE, FPSIMD };

/* req: the requirement of `what` (next_req: of returning to the next
 * instruction, or NULL), given by each test so that the tests manifest sees
 * which test checks which requirement. */
static void one(enum aspect what, const struct hcabi_fn *fn, const char *req, const char *next_req)
{
	a64_preserve_call(&pctx.r);
	if (what == GPRS)
		check_gprs(fn, &pctx.r, req, next_req);
	else if (what == FPSIMD)
		check_fpsimd(fn, &pctx.r, req);
	else
		check_daif(fn, &pctx.r, req);
}

static void every_function(enum aspect what, const char *req, const char *next_req)
{
	unsigned round = 0;

	for (size_t i = 0; i < hcabi_num_fns; i++) {
		const struct hcabi_fn *fn = &hcabi_fns[i];
		if (fn->flags & HCABI_FN_NO_RETURN)
			continue;
		round++;
		setup(&pctx.r, HCABI_ARM64_CALL_ID, fn->id, 0, DAIF_ALL, round);
		one(what, fn, req, next_req);
	}
	/* IRQs unmasked around the call (an interrupt taken then pushes its frame
	 * below the register block, and changes nothing the call is judged on) */
	static const uint32_t irq_fns[] = {HCABI_FID_BASE_GET_SPEC_VERSION,
					   HCABI_FID_BASE_PROBE_EXTENSION};
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(irq_fns); i++) {
		const struct hcabi_fn *fn = hcabi_fn_by_id(irq_fns[i]);
		setup(&pctx.r, HCABI_ARM64_CALL_ID, fn->id, 0, DAIF_IRQ_ON, ++round);
		one(what, fn, req, next_req);
	}
}

HCABI_TEST(a64_preserve_gprs, "ARM64.preserve_gprs", "ARM64-010,ARM64-011", HCABI_VERSION_1_0)
{
	every_function(GPRS, "ARM64-010", "ARM64-011");
}

HCABI_TEST(a64_preserve_pstate, "ARM64.preserve_pstate", "ARM64-012", HCABI_VERSION_1_0)
{
	every_function(PSTATE, "ARM64-012", NULL);
}

HCABI_TEST(a64_preserve_fpsimd, "ARM64.preserve_fpsimd", "ARM64-013", HCABI_VERSION_1_0)
{
	uint64_t pfr0 = hcabi_read_sysreg(id_aa64pfr0_el1);

	if ((pfr0 >> 32) & 0xF)
		test_log("the vCPU has SVE (ID_AA64PFR0_EL1.SVE %llu): the SVE registers are not "
			 "compared, only V0..V31 (their low 128 bits), FPCR and FPSR",
			 (unsigned long long)((pfr0 >> 32) & 0xF));
	every_function(FPSIMD, "ARM64-013", NULL);
}

/*
 * ARM64-001, ARM64-002: x0[63:32] and the HVC immediate do not matter.
 * GET_SPEC_VERSION, PROBE_EXTENSION(BASE) and GET_IMPL_ID are made with
 * x0[63:32] set (several patterns) and with HVC #1 and #0xffff; each must
 * give exactly what HVC #0 with a clean x0 gives, and preserve x2..x30.
 */
HCABI_TEST(a64_call_id_and_immediate, "ARM64.call_id_upper_bits_and_immediate",
	   "ARM64-001,ARM64-002,ARM64-010", HCABI_VERSION_1_0)
{
	static const uint32_t fns[] = {HCABI_FID_BASE_GET_SPEC_VERSION,
				       HCABI_FID_BASE_PROBE_EXTENSION, HCABI_FID_BASE_GET_IMPL_ID};
	static const unsigned imms[] = {1, 0xFFFF};
	unsigned round = 100;

	for (size_t f = 0; f < HCABI_ARRAY_SIZE(fns); f++) {
		const struct hcabi_fn *fn = hcabi_fn_by_id(fns[f]);
		uint64_t want0, want1;

		setup(&pctx.r, HCABI_ARM64_CALL_ID, fn->id, 0, DAIF_ALL, ++round);
		a64_preserve_call(&pctx.r);
		want0 = pctx.r.out[0];
		want1 = pctx.r.out[1];
		check_eq_u64(want0, 0, "ARM64-001", "%s.%s with x0 = 0x%x: status", fn->ext,
			     fn->name, HCABI_ARM64_CALL_ID);
		for (size_t h = 0; h < HCABI_ARRAY_SIZE(hcabi_upper_halves); h++) {
			uint64_t x0 = hcabi_upper_halves[h] | HCABI_ARM64_CALL_ID;
			setup(&pctx.r, x0, fn->id, 0, DAIF_ALL, ++round);
			a64_preserve_call(&pctx.r);
			check_true(pctx.r.out[0] == want0 && pctx.r.out[1] == want1, "ARM64-001",
				   "%s.%s with x0 = 0x%016llx: x0 0x%llx x1 0x%llx, as with bits "
				   "63:32 clear (0x%llx 0x%llx)",
				   fn->ext, fn->name, (unsigned long long)x0,
				   (unsigned long long)pctx.r.out[0],
				   (unsigned long long)pctx.r.out[1], (unsigned long long)want0,
				   (unsigned long long)want1);
			check_gprs(fn, &pctx.r, "ARM64-010", NULL);
		}
		for (size_t k = 0; k < HCABI_ARRAY_SIZE(imms); k++) {
			setup(&pctx.r, HCABI_ARM64_CALL_ID, fn->id, imms[k], DAIF_ALL, ++round);
			a64_preserve_call(&pctx.r);
			check_true(
			    pctx.r.out[0] == want0 && pctx.r.out[1] == want1, "ARM64-002",
			    "%s.%s via %s: x0 0x%llx x1 0x%llx, as via HVC #0 (0x%llx 0x%llx)",
			    fn->ext, fn->name, imm_name(imms[k]), (unsigned long long)pctx.r.out[0],
			    (unsigned long long)pctx.r.out[1], (unsigned long long)want0,
			    (unsigned long long)want1);
			check_gprs(fn, &pctx.r, "ARM64-010", NULL);
		}
	}
}
