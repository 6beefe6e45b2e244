/* SPDX-License-Identifier: MIT */
/*
 * selftest_el0.c - the arm64 runtime's EL0 runner (hcabi_run_el0, what the
 * binding's privilege test ARM64.el0_hvc_undefined stands on), under a
 * hypervisor without HCABI: code entered at EL0 with chosen registers comes
 * back on an SVC (the instruction after it in ELR), on a data abort from
 * EL0 (the identity map gives EL0 no access) and on an HVC, undefined at
 * EL0 whatever runs at EL2, with every register as EL0 had it; twice in a
 * row, so that the mapping and the vectors are put back each time.
 */
#include "hcabi_arm64_el0.h"
#include "selftest.h"

extern const char st_el0_svc[], st_el0_svc_end[], st_el0_load[], st_el0_load_end[], st_el0_hvc[],
    st_el0_hvc_end[];
__asm__(".section .rodata\n"
	".balign 4\n"
	"st_el0_svc: svc #0x123\n"
	"st_el0_svc_end:\n"
	"st_el0_load: ldr x0, [x1]\n"
	"svc #0\n"
	"st_el0_load_end:\n"
	"st_el0_hvc: hvc #0\n"
	"svc #0\n"
	"st_el0_hvc_end:\n"
	".text\n");

static uint64_t el1_only_word = 0x1234;

/* Run code at EL0 with x_i = 0xE1000000 + i (x1 = x1), SP_EL0 = sp; the
 * registers must come back as they were. */
static bool run(const char *code, const char *end, uint64_t x1, struct hcabi_el0_result *res,
		const char *what)
{
	uint64_t regs[31];
	const char *why = 0;
	int bad = -1;

	for (unsigned i = 0; i < 31; i++)
		regs[i] = 0xE1000000ull + i;
	regs[1] = x1;
	if (!check_true(hcabi_run_el0(code, (size_t)(end - code), regs, 0xE1E1E1E0ull, res, &why),
			"-", "%s: the EL0 runner ran the code (%s)", what, why ? why : "ok"))
		return false;
	check_eq_u64(res->kind, HCABI_EL0_SYNC, "-", "%s: a synchronous exception came back", what);
	check_eq_u64(res->spsr & 0xF, 0, "-", "%s: taken from EL0t", what);
	check_eq_u64(res->sp_el0, 0xE1E1E1E0ull, "-", "%s: SP_EL0", what);
	for (unsigned i = 0; i < 31 && bad < 0; i++)
		if (res->x[i] != regs[i])
			bad = (int)i;
	if (bad >= 0)
		check_true(false, "-", "%s: x%d is 0x%llx, EL0 had 0x%llx", what, bad,
			   (unsigned long long)res->x[bad], (unsigned long long)regs[bad]);
	else
		check_true(true, "-", "%s: x0..x30 as EL0 had them", what);
	return true;
}

SELF(el0_runner, "SELF.el0_runner")
{
	struct hcabi_el0_result res;

	for (int round = 0; round < 2; round++) {
		if (run(st_el0_svc, st_el0_svc_end, 1, &res, "SVC")) {
			check_eq_u64(res.esr >> 26, HCABI_EXC_SVC64, "-", "SVC: EC");
			check_eq_u64(res.esr & 0xFFFF, 0x123, "-", "SVC: the immediate in ESR");
			check_eq_u64(res.elr, HCABI_EL0_VA + 4, "-", "SVC: ELR after the SVC");
		}
		if (run(st_el0_load, st_el0_load_end, (uint64_t)(uintptr_t)&el1_only_word, &res,
			"load of an EL1 page")) {
			check_eq_u64(res.esr >> 26, HCABI_EXC_DABT_LOW, "-", "load: EC");
			check_eq_u64(res.far, (uint64_t)(uintptr_t)&el1_only_word, "-",
				     "load: FAR");
			check_eq_u64(res.elr, HCABI_EL0_VA, "-", "load: ELR at the load");
		}
		if (run(st_el0_hvc, st_el0_hvc_end, 1, &res, "HVC")) {
			check_eq_u64(res.esr >> 26, HCABI_EXC_UNKNOWN, "-",
				     "HVC at EL0: EC (undefined)");
			check_eq_u64(res.elr, HCABI_EL0_VA, "-", "HVC at EL0: ELR at the HVC");
		}
	}
	check_eq_u64(el1_only_word, 0x1234, "-", "EL1 reads its own data after EL0 ran");
}
