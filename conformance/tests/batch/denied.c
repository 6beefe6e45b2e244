/* SPDX-License-Identifier: MIT */
/*
 * Functions that cannot be batched: BATCH-004.1, .2 (VCPU.STOP, VCPU.BLOCK,
 * BATCH.EXECUTE; the SYSTEM functions are in system_denied.c, the last file
 * of the image, since one wrongly executed ends the VM).
 *
 * What: in a table [GET_SPEC_VERSION, F, GET_SPEC_VERSION], the entry F
 * gets DENIED with value 0, the batch stops there (count 2, the third
 * entry untouched), and F has no effect:
 *  - VCPU.BLOCK with a 30 s timeout and with HCABI_BLOCK_FOREVER, made
 *    while a kick of the caller is remembered: the kick is still there
 *    afterwards (a BLOCK that ran would have consumed it, and returned at
 *    once instead of hanging);
 *  - BATCH.EXECUTE of an inner table (count 1 and count 0) whose one entry
 *    is a KICK of the caller: the inner entry keeps its poisoned result and
 *    no kick is left;
 *  - VCPU.STOP, tried on vCPU 1 while vCPU 0 watches: vCPU 1 goes on after
 *    EXECUTE returns and finishes its task (a STOP that ran would have left
 *    it stopped mid-task).
 * Why: these calls wait or never return; inside a batch they would stall
 * the exit that runs the batch or cut it off halfway.
 */
#include "batch_common.h"

static struct hcabi_batch_entry table[4] __attribute__((aligned(64)));
static struct hcabi_batch_entry inner[2] __attribute__((aligned(64)));

/* [GET_SPEC_VERSION, fn(a0, a1), GET_SPEC_VERSION]; check DENIED at 1. */
static void run_denied(uint64_t fn, uint64_t a0, uint64_t a1, unsigned argc, const char *what)
{
	struct hcabi_ret r;
	batch_set(&table[0], HCABI_FID_BASE_GET_SPEC_VERSION, 0, 0, 0, 0);
	batch_set(&table[1], fn, a0, a1, 0, argc);
	batch_set(&table[2], HCABI_FID_BASE_GET_SPEC_VERSION, 0, 0, 0, 0);
	r = hcabi_batch_execute(hcabi_gpa(table), 3);
	check_ret(r, HCABI_SUCCESS, 2, "BATCH-003.3",
		  "EXECUTE([GET_SPEC_VERSION, %s, GET_SPEC_VERSION])", what);
	check_status(batch_result(&table[0]), HCABI_SUCCESS, "BATCH-002.3", "entry 0");
	check_ret(batch_result(&table[1]), HCABI_ERR_DENIED, 0, "BATCH-004.1", "entry 1: %s", what);
	check_true(batch_untouched(&table[2]), "BATCH-003.1", "entry 2 was not executed");
}

HCABI_TEST(batch_denied_block, "BATCH.denied_vcpu_block",
	   "BATCH-004.1,BATCH-004.2,BATCH-002.3,BATCH-003.1,BATCH-003.3," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_BATCH_EXECUTE_SINCE)
{
	static const uint64_t timeouts[] = {HCABI_SEC(30), HCABI_BLOCK_FOREVER, 0};

	if (!test_require_ext(HCABI_EID_VCPU))
		return;
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(timeouts); i++) {
		char what[64];
		(void)batch_kick_pending();
		check_ret(hcabi_vcpu_kick(hcabi_cpu_index()), HCABI_SUCCESS, 0, "BATCH-004.2",
			  "VCPU.KICK(the caller), directly");
		hcabi_snprintf(what, sizeof(what), "VCPU.BLOCK(0x%llx)",
			       (unsigned long long)timeouts[i]);
		run_denied(HCABI_FID_VCPU_BLOCK, timeouts[i], 0, 1, what);
		check_true(batch_kick_pending(), "BATCH-004.2",
			   "%s had no effect: the remembered kick is still there", what);
	}
}

HCABI_TEST(batch_denied_nested, "BATCH.denied_nested_execute",
	   "BATCH-004.1,BATCH-004.2,BATCH-002.3,BATCH-003.1,BATCH-003.3," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_BATCH_EXECUTE_SINCE)
{
	static const uint64_t counts[] = {1, 0};

	for (size_t i = 0; i < HCABI_ARRAY_SIZE(counts); i++) {
		char what[64];
		(void)batch_kick_pending();
		batch_set_kick_self(&inner[0]);
		hcabi_snprintf(what, sizeof(what), "BATCH.EXECUTE(inner table, %llu)",
			       (unsigned long long)counts[i]);
		run_denied(HCABI_FID_BATCH_EXECUTE, hcabi_gpa(inner), counts[i], 2, what);
		check_true(batch_untouched(&inner[0]), "BATCH-004.2",
			   "%s had no effect: the inner entry was not executed", what);
		check_true(!batch_kick_pending(), "BATCH-004.2", "%s: no kick was left", what);
	}
}

static struct {
	struct hcabi_ret r;
	struct hcabi_batch_entry e[3];
	uint64_t after;
} stop_on_1;

static struct hcabi_batch_entry table1[3] __attribute__((aligned(64)));

static void stop_task(void *arg)
{
	(void)arg;
	batch_set(&table1[0], HCABI_FID_BASE_GET_SPEC_VERSION, 0, 0, 0, 0);
	batch_set(&table1[1], HCABI_FID_VCPU_STOP, 0, 0, 0, 0);
	batch_set(&table1[2], HCABI_FID_BASE_GET_SPEC_VERSION, 0, 0, 0, 0);
	stop_on_1.r = hcabi_batch_execute(hcabi_gpa(table1), 3);
	memcpy(stop_on_1.e, table1, sizeof(table1));
	hcabi_atomic_store(&stop_on_1.after, 1);
}

HCABI_TEST(batch_denied_stop, "BATCH.denied_vcpu_stop",
	   "BATCH-004.1,BATCH-004.2,BATCH-003.1,BATCH-003.3,VCPU-024.2,VCPU-030.2,"
	   HCABI_REQ_VALUE_ZERO ",STATUS-004", HCABI_FID_BATCH_EXECUTE_SINCE)
{
	uint64_t t0;
	bool done;

	if (!test_require_cpus(2))
		return;
	memset(&stop_on_1, 0, sizeof(stop_on_1));
	if (!test_start_on_cpu(1, stop_task, 0)) {
		return;
	}
	t0 = hcabi_now_ns();
	while (!hcabi_atomic_load(&stop_on_1.after) && hcabi_now_ns() - t0 < HCABI_SEC(30)) {
		struct hcabi_ret st = hcabi_vcpu_get_status(1);
		if (st.status == HCABI_SUCCESS && st.value == HCABI_VCPU_STATUS_STOPPED &&
		    !hcabi_atomic_load(&stop_on_1.after))
			break; /* stopped in the middle of its task */
		delay_ns(HCABI_MS(1));
	}
	done = hcabi_atomic_load(&stop_on_1.after) != 0;
	check_true(done, "BATCH-004.2",
		   "vCPU 1 went on after EXECUTE([GET_SPEC_VERSION, VCPU.STOP, GET_SPEC_VERSION]) "
		   "(a STOP that ran would have stopped it there)");
	if (!done)
		return;
	if (!test_wait_cpu(1, HCABI_SEC(30)))
		return;
	check_ret(stop_on_1.r, HCABI_SUCCESS, 2, "BATCH-003.3", "EXECUTE on vCPU 1");
	check_ret(batch_result(&stop_on_1.e[1]), HCABI_ERR_DENIED, 0, "BATCH-004.1",
		  "entry 1: VCPU.STOP");
	check_true(batch_untouched(&stop_on_1.e[2]), "BATCH-003.1", "entry 2 was not executed");
}
