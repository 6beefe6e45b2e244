/* SPDX-License-Identifier: MIT */
/*
 * base_common.h - helpers of the BASE tests: repeat a call on every vCPU
 * and compare with the value vCPU 0 saw.
 */
#ifndef BASE_COMMON_H
#define BASE_COMMON_H

#include "hcabi_test.h"
#include "hcabi_calls.h"

#define BASE_REPEAT 50u
#define BASE_MAX_OTHER_CPUS 4u

struct base_repeat {
	uint32_t function_id;
	uint64_t arg;
	struct hcabi_ret want;
	volatile unsigned calls, mismatches;
	volatile struct hcabi_ret first_bad;
};

/* Call function_id(arg) `n` times on this vCPU; count results that differ
 * from rep->want. */
static inline void base_repeat_here(struct base_repeat *rep, unsigned n)
{
	uint64_t args[6] = {rep->arg, 0, 0, 0, 0, 0};
	for (unsigned i = 0; i < n; i++) {
		struct hcabi_ret r = hcabi_raw_call(rep->function_id, args, false);
		rep->calls++;
		if (r.status != rep->want.status || r.value != rep->want.value) {
			if (!rep->mismatches++) {
				rep->first_bad.status = r.status;
				rep->first_bad.value = r.value;
			}
		}
	}
}

static inline void base_repeat_task(void *p)
{
	base_repeat_here(p, BASE_REPEAT);
}

/* Check that `what` gives rep->want on every call, here and on up to
 * BASE_MAX_OTHER_CPUS other vCPUs. */
static inline void base_check_stable(struct base_repeat *rep, const char *req, const char *what)
{
	unsigned cpus = hcabi_smp_count();

	rep->calls = rep->mismatches = 0;
	base_repeat_here(rep, BASE_REPEAT * 2);
	check_true(!rep->mismatches, req,
		   "%s: %u calls on vCPU 0 all returned status=%lld value=0x%llx (%u differed, "
		   "first: status=%lld value=0x%llx)",
		   what, rep->calls, (long long)rep->want.status,
		   (unsigned long long)rep->want.value, rep->mismatches,
		   (long long)rep->first_bad.status, (unsigned long long)rep->first_bad.value);
	if (cpus < 2 || !hcabi_has_ext(HCABI_EID_VCPU)) {
		test_log("%s: one vCPU (or no VCPU extension): checked on vCPU 0 only", what);
		return;
	}
	for (unsigned cpu = 1; cpu < cpus && cpu <= BASE_MAX_OTHER_CPUS; cpu++) {
		rep->calls = rep->mismatches = 0;
		if (!test_run_on_cpu(cpu, base_repeat_task, rep))
			return;
		check_true(!rep->mismatches && rep->calls == BASE_REPEAT, req,
			   "%s: %u calls on vCPU %u returned what vCPU 0 saw (%u differed, first: "
			   "status=%lld value=0x%llx)",
			   what, rep->calls, cpu, rep->mismatches, (long long)rep->first_bad.status,
			   (unsigned long long)rep->first_bad.value);
	}
}

/* EIDs the registry does not assign, in each range. Standard ones are
 * unknown only while the exposed version is one this suite knows. */
static const uint32_t base_unknown_standard[]
    __attribute__((unused)) = {0x00FF, 0x0100, 0x1234, 0x7FFE, 0x7FFF};
static const uint32_t base_unknown_other[]
    __attribute__((unused)) = {0x8000, 0x9ABC, 0xBFFF, 0xC000, 0xDEAD, 0xFFFF};

static inline bool base_spec_known(void)
{
	return hcabi_spec() <= HCABI_VERSION_NEWEST;
}

#endif /* BASE_COMMON_H */
