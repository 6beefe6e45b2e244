/* SPDX-License-Identifier: MIT */
/*
 * VCPU.STOP unregisters the record, since HCABI 1.2: STEAL-006.
 *
 * What: vCPU 1 registers a record and stops (the runtime's VCPU.STOP when
 * its function returns) without disabling it; the record, poisoned
 * afterwards, is not written while vCPU 1 is stopped, nor after vCPU 1 is
 * started again and makes calls (STEAL-006).
 * Why: 1.0 and 1.1 say it only in STOP's prose, so unregister.c checks it
 * without a requirement ID; from 1.2 it is a requirement. A guest frees a
 * stopped vCPU's per-CPU memory, and a hypervisor that still writes the
 * record corrupts it.
 */
#include "steal_common.h"

static struct steal_records recs;
static struct hcabi_ret left_reg;

static void calls_for(uint64_t ns)
{
	uint64_t t0 = hcabi_now_ns();
	unsigned n = 0;
	while (hcabi_now_ns() - t0 < ns || n < 50) {
		(void)hcabi_base_get_spec_version();
		n++;
	}
}

static void ap_leave_registered(void *arg)
{
	volatile struct hcabi_steal_time *d = steal_rec(&recs, 2);
	(void)arg;
	steal_poison(d);
	left_reg = hcabi_steal_set_shmem(hcabi_gpa(d));
	calls_for(HCABI_MS(10));
	/* returns without DISABLE: the runtime stops the vCPU (VCPU.STOP) */
}

static void ap_calls(void *arg)
{
	(void)arg;
	calls_for(HCABI_MS(100));
}

HCABI_TEST(steal_stop_unregisters, "STEAL.stop_unregisters",
	   "STEAL-006,VCPU-024.2,VCPU-030.2,X86-005,STATUS-004", HCABI_VERSION_1_2)
{
	volatile struct hcabi_steal_time *d = steal_rec(&recs, 2);

	if (!test_require_cpus(2))
		return;
	if (!test_run_on_cpu(1, ap_leave_registered, 0))
		return;
	if (left_reg.status != HCABI_SUCCESS || (d->sequence & 1)) {
		test_error("vCPU 1 could not register a record (status %lld, sequence %u)",
			   (long long)left_reg.status, d->sequence);
		return;
	}
	steal_poison(d);
	calls_for(HCABI_MS(100));
	check_true(steal_is_poison(d), "STEAL-006",
		   "the record is not written while vCPU 1 is stopped");
	if (!test_run_on_cpu(1, ap_calls, 0))
		return;
	check_true(steal_is_poison(d), "STEAL-006",
		   "the record is not written after vCPU 1 is started again and makes calls");
}
