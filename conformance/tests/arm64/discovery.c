/* SPDX-License-Identifier: MIT */
/*
 * Discovery through HVC: ARM64-017 .. ARM64-019.
 *
 * What: HVC #0 with x0 = HCABI_ARM64_DISCOVER_ID (also with x0[63:32] set:
 * only bits 31:0 identify an SMCCC call) and a distinct pattern in every
 * other general-purpose register, SP_EL0 and the FP/SIMD registers
 * (a64_preserve_call) returns exactly x0 = 0, x1 = 0x31414348 ("HCA1"),
 * x2 = x3 = 0, whatever x1..x3 held, and leaves x4..x30 and SP unchanged;
 * it changes nothing else: GET_SPEC_VERSION and PROBE_EXTENSION(BASE)
 * answer after it exactly as before.
 * Why: a guest finds HCABI with this call before any other; the signature
 * is what tells HCABI apart from a hypervisor that answers SMCCC's
 * NOT_SUPPORTED (-1, which equals HCABI's FAILED), and a discovery that
 * clobbered registers would corrupt the caller that makes it first thing.
 * Other function words of the vendor-specific hypervisor service range are
 * the hypervisor's own (the binding places no requirement on them): what
 * one answers is logged, not judged.
 */
#include "a64_asm.h"

static struct a64_pctx dctx;

static void fill(struct a64_regs *r, uint64_t x0, unsigned round)
{
	memset(r, 0, sizeof(*r));
	r->in[0] = x0;
	for (unsigned i = 1; i < 31; i++)
		r->in[i] = ((uint64_t)(0xD0 + i) << 56) | ((uint64_t)round << 32) | (0x1111u * i);
	r->sp_el0_in = 0x0000D15C00000000ull | ((uint64_t)round << 8);
	r->daif_in = 0x3C0;
	r->nzcv_in = 0x90000000ull;
	for (unsigned i = 0; i < sizeof(r->vin); i++)
		r->vin[i] = (uint8_t)(0x5A ^ (i + round));
}

HCABI_TEST(a64_discover, "ARM64.discover", "ARM64-017,ARM64-018,ARM64-019", HCABI_VERSION_1_0)
{
	static const uint64_t highs[] = {0, 1ull << 32, 0xFFFFFFFF00000000ull};
	struct hcabi_ret spec_before = hcabi_base_get_spec_version();
	struct hcabi_ret base_before = hcabi_base_probe_extension(HCABI_EID_BASE);

	for (size_t h = 0; h < HCABI_ARRAY_SIZE(highs); h++) {
		struct a64_regs *r = &dctx.r;
		uint64_t x0 = highs[h] | HCABI_ARM64_DISCOVER_ID;
		int bad = -1;

		fill(r, x0, (unsigned)h + 1);
		a64_preserve_call(r);
		check_eq_u64(r->out[0], 0, "ARM64-017", "DISCOVER (x0=0x%016llx): x0",
			     (unsigned long long)x0);
		check_eq_u64(r->out[1], HCABI_CPUID_INTERFACE_SIGNATURE, "ARM64-017",
			     "DISCOVER (x0=0x%016llx): x1, the signature \"HCA1\"",
			     (unsigned long long)x0);
		check_true(r->out[2] != A64_NOT_RESUMED, "ARM64-019",
			   "DISCOVER: execution continued at the instruction after the HVC");
		check_eq_u64(r->out[2], 0, "ARM64-018", "DISCOVER (x0=0x%016llx): x2 (reserved)",
			     (unsigned long long)x0);
		check_eq_u64(r->out[3], 0, "ARM64-018", "DISCOVER (x0=0x%016llx): x3 (reserved)",
			     (unsigned long long)x0);
		for (unsigned i = 4; i < 31 && bad < 0; i++)
			if (r->out[i] != r->in[i])
				bad = (int)i;
		if (bad >= 0)
			check_true(false, "ARM64-019", "DISCOVER: x%d was 0x%llx, is 0x%llx after",
				   bad, (unsigned long long)r->in[bad],
				   (unsigned long long)r->out[bad]);
		else
			check_true(
			    r->sp_after == r->sp_before && r->sp_el0_out == r->sp_el0_in,
			    "ARM64-019",
			    "DISCOVER: x4..x30 preserved; SP_EL1 0x%llx -> 0x%llx, SP_EL0 "
			    "0x%llx -> 0x%llx",
			    (unsigned long long)r->sp_before, (unsigned long long)r->sp_after,
			    (unsigned long long)r->sp_el0_in, (unsigned long long)r->sp_el0_out);
	}
	{
		struct hcabi_ret s = hcabi_base_get_spec_version();
		struct hcabi_ret b = hcabi_base_probe_extension(HCABI_EID_BASE);
		check_true(s.status == spec_before.status && s.value == spec_before.value &&
			       b.status == base_before.status && b.value == base_before.value,
			   "ARM64-019",
			   "after DISCOVER: GET_SPEC_VERSION %lld/0x%llx, PROBE_EXTENSION(BASE) "
			   "%lld/0x%llx, as before",
			   (long long)s.status, (unsigned long long)s.value, (long long)b.status,
			   (unsigned long long)b.value);
	}
	{
		/* the next function word of the range: not HCABI's (logged only) */
		uint64_t r[4];
		register uint64_t x0 __asm__("x0") = HCABI_ARM64_CALL_ID + 1;
		register uint64_t x1 __asm__("x1") = 0;
		register uint64_t x2 __asm__("x2") = 0;
		register uint64_t x3 __asm__("x3") = 0;
		__asm__ __volatile__("hvc #0"
				     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				     :
				     : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12",
				       "x13", "x14", "x15", "x16", "x17", "cc", "memory");
		r[0] = x0;
		r[1] = x1;
		r[2] = x2;
		r[3] = x3;
		test_log("SMCCC function 0x%08x (vendor hypervisor range, not HCABI's): x0=0x%llx "
			 "x1=0x%llx x2=0x%llx x3=0x%llx (SMCCC NOT_SUPPORTED is x0 = -1)",
			 HCABI_ARM64_CALL_ID + 1, (unsigned long long)r[0],
			 (unsigned long long)r[1], (unsigned long long)r[2],
			 (unsigned long long)r[3]);
	}
}
