/* SPDX-License-Identifier: MIT */
/*
 * Discovery through SBI's probe: RV64-015, RV64-016.
 *
 * What: SBI Base sbi_probe_extension (a7 = HCABI_RISCV64_SBI_BASE_EID, a6 =
 * HCABI_RISCV64_SBI_PROBE_EXTENSION_FID) of HCABI_RISCV64_SBI_EID, made by
 * rv_preserve_call with a distinct pattern in every other general-purpose
 * register, f0..f31 and fcsr, returns exactly a0 = 0 (SBI_SUCCESS) and
 * a1 = 0x31414348 ("HCA1") whatever a1..a5 held, and leaves every other
 * register unchanged and the instruction after the ECALL run; it changes
 * nothing else: GET_SPEC_VERSION and PROBE_EXTENSION(BASE) answer after it
 * exactly as before.
 * Why: a guest finds HCABI with this probe before any other call; the
 * signature is what tells HCABI apart from an SBI implementation with an
 * experimental extension of its own under the same ID, and a probe that
 * clobbered registers would corrupt the caller that makes it first thing.
 * What SBI answers for the probe of another extension ID (the next
 * experimental one, SBI's TIME) is SBI's rule, not the binding's: logged,
 * not judged.
 */
#include "rv_asm.h"

static struct rv_pctx dctx;

static void fill(struct rv_regs *r, unsigned round)
{
	memset(r, 0, sizeof(*r));
	for (unsigned n = 1; n < 32; n++)
		r->in[n] = ((uint64_t)(0xD0 + n) << 56) | ((uint64_t)round << 32) | (0x1111u * n);
	r->in[10] = HCABI_RISCV64_SBI_EID;		   /* a0 */
	r->in[16] = HCABI_RISCV64_SBI_PROBE_EXTENSION_FID; /* a6 */
	r->in[17] = HCABI_RISCV64_SBI_BASE_EID;		   /* a7 */
	for (unsigned i = 0; i < 32; i++)
		r->fin[i] = 0x5A5A000000000000ull ^ ((uint64_t)(i + round) << 20) ^ i;
	r->fcsr_in = 0x81; /* frm = towards zero, fflags NX */
}

HCABI_TEST(rv_discover, "RV64.discover", "RV64-015,RV64-016", HCABI_VERSION_1_0)
{
	struct hcabi_ret spec_before = hcabi_base_get_spec_version();
	struct hcabi_ret base_before = hcabi_base_probe_extension(HCABI_EID_BASE);

	for (unsigned round = 1; round <= 3; round++) {
		struct rv_regs *r = &dctx.r;
		int bad = -1;

		fill(r, round);
		if (round == 3)
			r->in[11] = 0; /* a1 zero: the signature is written, not left */
		rv_preserve_call(r);
		if (!check_true(r->out[1] != RV_NOT_RESUMED, "RV64-016",
				"probe: execution continued at the instruction after the ECALL"))
			continue;
		check_eq_u64(r->out[10], 0, "RV64-015", "probe of 0x%x (a1 was 0x%llx): a0",
			     (unsigned)HCABI_RISCV64_SBI_EID, (unsigned long long)r->in[11]);
		check_eq_u64(r->out[11], HCABI_CPUID_INTERFACE_SIGNATURE, "RV64-015",
			     "probe of 0x%x (a1 was 0x%llx): a1, the signature \"HCA1\"",
			     (unsigned)HCABI_RISCV64_SBI_EID, (unsigned long long)r->in[11]);
		for (unsigned n = 1; n < 32 && bad < 0; n++)
			if (n != 10 && n != 11 && r->out[n] != (n == 2 ? r->sp_before : r->in[n]))
				bad = (int)n;
		if (bad >= 0)
			check_true(false, "RV64-016", "probe: x%d was 0x%llx, is 0x%llx after", bad,
				   (unsigned long long)(bad == 2 ? r->sp_before : r->in[bad]),
				   (unsigned long long)r->out[bad]);
		else
			check_true(true, "RV64-016",
				   "probe: every general-purpose register but a0 and a1 preserved");
		for (unsigned i = 0; i < 32 && bad < 0; i++)
			if (r->fout[i] != r->fin[i])
				bad = 100 + (int)i;
		check_true(bad < 100 && r->fcsr_out == r->fcsr_in, "RV64-016",
			   "probe: f0..f31 and fcsr preserved (fcsr 0x%llx -> 0x%llx%s)",
			   (unsigned long long)r->fcsr_in, (unsigned long long)r->fcsr_out,
			   bad >= 100 ? ", an f register changed" : "");
	}
	{
		struct hcabi_ret s = hcabi_base_get_spec_version();
		struct hcabi_ret b = hcabi_base_probe_extension(HCABI_EID_BASE);
		check_true(s.status == spec_before.status && s.value == spec_before.value &&
			       b.status == base_before.status && b.value == base_before.value,
			   "RV64-016",
			   "after the probes: GET_SPEC_VERSION %lld/0x%llx, PROBE_EXTENSION(BASE) "
			   "%lld/0x%llx, as before",
			   (long long)s.status, (unsigned long long)s.value, (long long)b.status,
			   (unsigned long long)b.value);
	}
	{
		/* other extension IDs: SBI's answers, logged only */
		static const uint32_t others[] = {HCABI_RISCV64_SBI_EID + 1, 0x54494D45 /* TIME */};
		for (size_t i = 0; i < HCABI_ARRAY_SIZE(others); i++) {
			struct hcabi_ret p = hcabi_sbi_probe_extension(others[i]);
			test_log(
			    "SBI probe_extension(0x%08x) (not HCABI's ID): a0=0x%llx a1=0x%llx "
			    "(SBI: a1 = 0 for an absent extension)",
			    others[i], (unsigned long long)p.status, (unsigned long long)p.value);
		}
	}
}
