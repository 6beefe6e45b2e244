/* SPDX-License-Identifier: MIT */
/*
 * BATCH.EXECUTE results: BATCH-002.1 (order), .2 (effects), .3 (status and
 * value), .4 (only they are written); BATCH-003.1 to .3 (stop at the first
 * failure).
 *
 * What:
 *  - a table of up to 64 successful calls - BASE (GET_SPEC_VERSION,
 *    GET_IMPL_ID, GET_IMPL_VERSION, PROBE_EXTENSION of every registry
 *    extension and of unassigned EIDs, PROBE_FUNCTION of registry
 *    functions), VCPU.GET_ID, GET_COUNT, GET_STATUS, MEM.GET_LAYOUT with
 *    max_entries 0, two TIME.GET_MONOTONIC and a GET_WALLCLOCK - returns
 *    SUCCESS with the count; each entry holds exactly the status and value of
 *    the same call made directly (junk in the unused argument slots
 *    included), the monotonic readings lie between direct readings before and
 *    after and in order, the wall clock (a value using all 64 bits) between
 *    direct readings,
 *    and nothing but status and value was written. Made on vCPU 1, GET_ID
 *    answers 1: the calls are the calling vCPU's (BATCH-002.1, .3, .4);
 *  - effects are those of direct calls: a VCPU.KICK of the caller is
 *    remembered, MEM.GET_LAYOUT writes the same ranges, TIME.SET_TIMER
 *    fires, IPI.SEND to the caller leaves the vector pending, STEAL.SET_SHMEM
 *    registers (and DISABLE, later in the same table, unregisters) a record
 *    (BATCH-002.2);
 *  - failing calls get, one per table, the status a direct call gets
 *    (NOT_SUPPORTED, INVALID_PARAM, INVALID_ADDRESS, INVALID_STATE), with
 *    value 0; an entry whose function_id has bits 63:32 set gets
 *    INVALID_PARAM (BATCH-002.3);
 *  - execution stops after the first failing entry: the count returned
 *    includes it, later entries keep their poisoned status and value, and a
 *    later KICK did not run; with the failure first, last, or at entry 64
 *    (BATCH-003.1 to .3).
 * Why: a guest batches calls to save exits only if a batched call means
 * exactly what the direct one means, and it must know how far a batch got.
 */
#include "batch_common.h"
#include "hcabi_vectors.h"

#define VEC_TIMER HCABI_TEST_VECTOR(0)
#define VEC_IPI HCABI_TEST_VECTOR(1)
/* a valid vector with reserved bit 15 set: only the reserved bit is wrong */
#define VEC_RESERVED (0x8000u | HCABI_TEST_VECTOR(0))

static struct hcabi_batch_entry table[HCABI_BATCH_MAX_ENTRIES + 2] __attribute__((aligned(64)));
static struct hcabi_batch_entry copy[HCABI_BATCH_MAX_ENTRIES + 2];
static struct hcabi_mem_range layout_a[8] __attribute__((aligned(64)));
static struct hcabi_mem_range layout_b[8] __attribute__((aligned(64)));
static struct hcabi_steal_time steal_rec __attribute__((aligned(64)));

static void irq_nop(struct hcabi_frame *f, unsigned v)
{
	(void)f;
	(void)v;
}

/* The index of the TIME.GET_WALLCLOCK entry of the table (-1 without TIME):
 * its value needs all 64 bits (nanoseconds since 1970 have a top byte of
 * 0x18), where every other entry's value fits in far fewer. */
static int wall_entry = -1;

/* The deterministic table: returns its length; the two GET_MONOTONIC
 * entries are `mono[0]` and `mono[1]` (-1 without TIME). */
static unsigned build_table(int mono[2])
{
	static const uint32_t eids[] = {
#define EXT(name, eid, since) eid,
	    HCABI_FOREACH_EXTENSION(EXT)
#undef EXT
		0x7FFF,
	    0xC000,
	    0x8000,
	};
	unsigned n = 0;

	mono[0] = mono[1] = wall_entry = -1;
	if (hcabi_has_ext(HCABI_EID_TIME)) {
		mono[0] = (int)n;
		batch_set(&table[n++], HCABI_FID_TIME_GET_MONOTONIC, 0, 0, 0, 0);
		wall_entry = (int)n;
		batch_set(&table[n++], HCABI_FID_TIME_GET_WALLCLOCK, 0, 0, 0, 0);
	}
	batch_set(&table[n++], HCABI_FID_BASE_GET_SPEC_VERSION, 0, 0, 0, 0);
	batch_set(&table[n++], HCABI_FID_BASE_GET_IMPL_ID, 0, 0, 0, 0);
	batch_set(&table[n++], HCABI_FID_BASE_GET_IMPL_VERSION, 0, 0, 0, 0);
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(eids); i++)
		batch_set(&table[n++], HCABI_FID_BASE_PROBE_EXTENSION, eids[i], 0, 0, 1);
	if (hcabi_has_ext(HCABI_EID_VCPU)) {
		batch_set(&table[n++], HCABI_FID_VCPU_GET_ID, 0, 0, 0, 0);
		batch_set(&table[n++], HCABI_FID_VCPU_GET_COUNT, 0, 0, 0, 0);
		batch_set(&table[n++], HCABI_FID_VCPU_GET_STATUS, 0, 0, 0, 1);
	}
	if (hcabi_has_ext(HCABI_EID_MEM))
		batch_set(&table[n++], HCABI_FID_MEM_GET_LAYOUT, 0, 0, 0, 2);
	for (size_t i = 0; i < hcabi_num_fns && n < HCABI_BATCH_MAX_ENTRIES - 1; i++)
		batch_set(&table[n++], HCABI_FID_BASE_PROBE_FUNCTION, hcabi_fns[i].id, 0, 0, 1);
	if (hcabi_has_ext(HCABI_EID_TIME)) {
		mono[1] = (int)n;
		batch_set(&table[n++], HCABI_FID_TIME_GET_MONOTONIC, 0, 0, 0, 0);
	}
	batch_set(&table[n], HCABI_FID_BASE_GET_SPEC_VERSION, 0, 0, 0, 0); /* not in the table */
	return n;
}

static struct {
	unsigned n;
	struct hcabi_ret ret;
	uint64_t id;
} on_cpu1;

static void cpu1_task(void *arg)
{
	int mono[2];
	(void)arg;
	on_cpu1.n = build_table(mono);
	on_cpu1.ret = hcabi_batch_execute(hcabi_gpa(table), on_cpu1.n);
	on_cpu1.id = ~0ull;
	for (unsigned i = 0; i < on_cpu1.n; i++)
		if (table[i].function_id == HCABI_FID_VCPU_GET_ID &&
		    table[i].status == HCABI_SUCCESS)
			on_cpu1.id = table[i].value;
}

HCABI_TEST(batch_same_as_direct, "BATCH.same_results_as_direct",
	   "BATCH-002.1,BATCH-002.3,BATCH-002.4,BATCH-003.3,VCPU-024.2,VCPU-030.2,"
	   HCABI_REQ_VALUE_ZERO ",STATUS-004", HCABI_FID_BATCH_EXECUTE_SINCE)
{
	int mono[2];
	unsigned n = build_table(mono), mismatches = 0, changed = 0;
	uint64_t t0 = 0, t1 = 0, w0 = 0, w1 = 0;
	struct hcabi_ret r;

	memcpy(copy, table, sizeof(table));
	if (mono[0] >= 0) {
		w0 = hcabi_time_get_wallclock().value;
		t0 = hcabi_time_get_monotonic().value;
	}
	r = hcabi_batch_execute(hcabi_gpa(table), n);
	if (mono[0] >= 0) {
		t1 = hcabi_time_get_monotonic().value;
		w1 = hcabi_time_get_wallclock().value;
	}
	if (!check_ret(r, HCABI_SUCCESS, n, "BATCH-003.3", "EXECUTE(a table of %u calls)", n))
		return;
	for (unsigned i = 0; i < n; i++) {
		const struct hcabi_fn *fn = hcabi_fn_by_id((uint32_t)copy[i].function_id);
		struct hcabi_ret d;
		if ((int)i == mono[0] || (int)i == mono[1] || (int)i == wall_entry)
			continue;
		d = batch_direct(&copy[i]);
		if (d.status != table[i].status || d.value != table[i].value) {
			mismatches++;
			check_ret(batch_result(&table[i]), d.status, d.value, "BATCH-002.3",
				  "entry %u, %s.%s(0x%llx): the direct call's result", i,
				  fn ? fn->ext : "?", fn ? fn->name : "?",
				  (unsigned long long)copy[i].args[0]);
		}
		if (copy[i].function_id != table[i].function_id ||
		    memcmp(copy[i].args, table[i].args, sizeof(copy[i].args)) != 0)
			changed++;
	}
	check_eq_u64(mismatches, 0, "BATCH-002.3",
		     "entries whose status or value differ from the direct call's");
	check_eq_u64(changed, 0, "BATCH-002.4",
		     "entries whose function_id or arguments were written by the hypervisor");
	check_true(batch_untouched(&table[n]), "BATCH-002.4",
		   "the entry after the table is untouched");
	if (mono[0] >= 0) {
		check_true(table[mono[0]].status == HCABI_SUCCESS &&
			       table[mono[1]].status == HCABI_SUCCESS,
			   "BATCH-002.3", "both TIME.GET_MONOTONIC entries succeeded");
		check_true(
		    t0 <= table[mono[0]].value && table[mono[0]].value <= table[mono[1]].value &&
			table[mono[1]].value <= t1,
		    "BATCH-002.1",
		    "monotonic readings in order: direct %llu <= batch %llu <= batch %llu <= "
		    "direct %llu",
		    (unsigned long long)t0, (unsigned long long)table[mono[0]].value,
		    (unsigned long long)table[mono[1]].value, (unsigned long long)t1);
		/* all 64 bits of the value reach the entry: the batched wall clock
		 * lies between direct readings (a second of slack either side for a
		 * host clock that is being set) */
		check_true(table[wall_entry].status == HCABI_SUCCESS &&
			       table[wall_entry].value + HCABI_MS(1000) >= w0 &&
			       table[wall_entry].value <= w1 + HCABI_MS(1000),
			   "BATCH-002.3",
			   "TIME.GET_WALLCLOCK entry: status %lld value %llu, direct readings %llu and %llu",
			   (long long)table[wall_entry].status,
			   (unsigned long long)table[wall_entry].value, (unsigned long long)w0,
			   (unsigned long long)w1);
	}

	if (hcabi_smp_count() >= 2 && hcabi_has_ext(HCABI_EID_VCPU)) {
		memset(&on_cpu1, 0, sizeof(on_cpu1));
		if (test_run_on_cpu(1, cpu1_task, 0)) {
			check_ret(on_cpu1.ret, HCABI_SUCCESS, on_cpu1.n, "BATCH-003.3",
				  "the same table on vCPU 1");
			check_eq_u64(on_cpu1.id, 1, "BATCH-002.3",
				     "VCPU.GET_ID in vCPU 1's batch answers vCPU 1");
		}
	}
}

HCABI_TEST(batch_same_effects, "BATCH.same_effects_as_direct",
	   "BATCH-002.2,BATCH-002.3,BATCH-003.3," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_BATCH_EXECUTE_SINCE)
{
	unsigned me = hcabi_cpu_index(), n = 0;
	int kick = -1, layout = -1, timer = -1, ipi = -1, steal_on = -1, steal_off = -1;
	uint64_t timer_before = hcabi_irq_count(me, VEC_TIMER);
	struct hcabi_ret r, direct_layout = {0, 0};

	(void)batch_kick_pending();
	hcabi_irq_register(VEC_TIMER, irq_nop);
	hcabi_irq_register(VEC_IPI, irq_nop);
	if (hcabi_has_ext(HCABI_EID_VCPU)) {
		kick = (int)n;
		batch_set(&table[n++], HCABI_FID_VCPU_KICK, me, 0, 0, 1);
	}
	if (hcabi_has_ext(HCABI_EID_MEM)) {
		hcabi_fill(layout_a, 0xA5, sizeof(layout_a));
		hcabi_fill(layout_b, 0xA5, sizeof(layout_b));
		direct_layout = hcabi_mem_get_layout(hcabi_gpa(layout_a), HCABI_ARRAY_SIZE(layout_a));
		layout = (int)n;
		batch_set(&table[n++], HCABI_FID_MEM_GET_LAYOUT, hcabi_gpa(layout_b),
			  HCABI_ARRAY_SIZE(layout_b), 0, 2);
	}
	if (hcabi_has_ext(HCABI_EID_TIME)) {
		timer = (int)n;
		batch_set(&table[n++], HCABI_FID_TIME_SET_TIMER, hcabi_now_ns() + HCABI_MS(1),
			  VEC_TIMER, 0, 2);
	}
	if (hcabi_has_ext(HCABI_EID_IPI)) {
		ipi = (int)n;
		batch_set(&table[n++], HCABI_FID_IPI_SEND, 1ull << me, 0, VEC_IPI, 3);
	}
	if (hcabi_has_ext(HCABI_EID_STEAL)) {
		(void)hcabi_steal_set_shmem(HCABI_STEAL_DISABLE);
		hcabi_fill(&steal_rec, 0xA5, sizeof(steal_rec));
		steal_on = (int)n;
		batch_set(&table[n++], HCABI_FID_STEAL_SET_SHMEM, hcabi_gpa(&steal_rec), 0, 0, 1);
		batch_set(&table[n++], HCABI_FID_BASE_GET_SPEC_VERSION, 0, 0, 0, 0);
		steal_off = (int)n;
		batch_set(&table[n++], HCABI_FID_STEAL_SET_SHMEM, HCABI_STEAL_DISABLE, 0, 0, 1);
	}
	if (n == 0) {
		/* no extension with an effect to batch: the skip names them all
		 * (test-end needs=VCPU,TIME,IPI,MEM,STEAL) */
		test_require_ext(HCABI_EID_VCPU);
		test_require_ext(HCABI_EID_TIME);
		test_require_ext(HCABI_EID_IPI);
		test_require_ext(HCABI_EID_MEM);
		test_require_ext(HCABI_EID_STEAL);
		return;
	}
	r = hcabi_batch_execute(hcabi_gpa(table), n);
	check_ret(r, HCABI_SUCCESS, n, "BATCH-003.3", "EXECUTE(a table of %u calls with effects)",
		  n);
	if (kick >= 0) {
		check_ret(batch_result(&table[kick]), HCABI_SUCCESS, 0, "BATCH-002.3",
			  "VCPU.KICK(the caller)");
		check_true(batch_kick_pending(), "BATCH-002.2",
			   "the kick is remembered: BLOCK(0) returns WOKEN");
	}
	if (layout >= 0) {
		check_ret(batch_result(&table[layout]), direct_layout.status, direct_layout.value,
			  "BATCH-002.3", "MEM.GET_LAYOUT: the direct call's result");
		check_true(memcmp(layout_a, layout_b, sizeof(layout_a)) == 0, "BATCH-002.2",
			   "MEM.GET_LAYOUT wrote the same bytes as the direct call");
	}
	if (ipi >= 0) {
		check_ret(batch_result(&table[ipi]), HCABI_SUCCESS, 0, "BATCH-002.3",
			  "IPI.SEND(the caller)");
		check_true(hcabi_intc_pending(VEC_IPI), "BATCH-002.2",
			   "vector 0x%02x is pending when EXECUTE returns", VEC_IPI);
	}
	if (steal_on >= 0) {
		check_ret(batch_result(&table[steal_on]), HCABI_SUCCESS, 0, "BATCH-002.3",
			  "STEAL.SET_SHMEM(a record)");
		check_ret(batch_result(&table[steal_off]), HCABI_SUCCESS, 0, "BATCH-002.3",
			  "STEAL.SET_SHMEM(DISABLE)");
		check_true(!(steal_rec.sequence & 1) && steal_rec.flags == 0 &&
			       steal_rec.steal_ns != 0xA5A5A5A5A5A5A5A5ull,
			   "BATCH-002.2", "the record was registered and written (sequence %u)",
			   steal_rec.sequence);
		hcabi_fill(&steal_rec, 0xA5, sizeof(steal_rec));
		for (int i = 0; i < 20; i++)
			(void)hcabi_base_get_spec_version();
		check_true(hcabi_find_not(&steal_rec, 0xA5, sizeof(steal_rec)) < 0, "BATCH-002.2",
			   "DISABLE in the batch unregistered it: not written by later calls");
	}
	if (timer >= 0) {
		uint64_t t0 = hcabi_now_ns();
		check_ret(batch_result(&table[timer]), HCABI_SUCCESS, 0, "BATCH-002.3",
			  "TIME.SET_TIMER");
		hcabi_irq_enable();
		while (hcabi_irq_count(me, VEC_TIMER) == timer_before &&
		       hcabi_now_ns() - t0 < HCABI_SEC(10))
			hcabi_pause();
		hcabi_irq_disable();
		check_eq_u64(hcabi_irq_count(me, VEC_TIMER) - timer_before, 1, "BATCH-002.2",
			     "the timer armed in the batch fired once");
	}
	if (ipi >= 0) {
		hcabi_irq_enable();
		delay_ns(HCABI_MS(10));
		hcabi_irq_disable();
	}
}

/* ---- failing calls, one per table ---- */

HCABI_TEST(batch_same_errors, "BATCH.same_errors_as_direct",
	   "BATCH-002.3,BATCH-003.3,BASE-030,IPI-001.3,MEM-001.1,MEM-012.1,STATUS-002,STATUS-003,"
	   "STEAL-001.1,TIME-020.2,"
	   "TLB-001.2,VCPU-040,VCPU-070.2,X86-002.1," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_BATCH_EXECUTE_SINCE)
{
	/* Each direct call must fail with `status` by requirement `req`; a
	 * direct call that does not is that requirement failing, not an error
	 * of the test. */
	struct err_case {
		uint64_t fn, a0, a1, a2;
		unsigned argc;
		uint32_t eid;
		int64_t status;
		const char *req;
		const char *what;
	} cases[16];
	size_t k = 0;
	unsigned cpus = hcabi_smp_count();

#define ERR(fn, a0, a1, a2, argc, eid, status, req, what)                                          \
	cases[k++] =                                                                               \
	    (struct err_case){(fn), (a0), (a1), (a2), (argc), (eid), (status), (req), (what)}
	ERR(BATCH_UNKNOWN_FN, 0, 0, 0, 0, HCABI_EID_BASE, HCABI_ERR_NOT_SUPPORTED, "STATUS-002",
	    "an unknown extension");
	ERR(0x0000FFFFu, 0, 0, 0, 0, HCABI_EID_BASE, HCABI_ERR_NOT_SUPPORTED, "STATUS-003",
	    "an unknown BASE function");
	ERR((1ull << 32) | HCABI_FID_BASE_GET_SPEC_VERSION, 0, 0, 0, 0, HCABI_EID_BASE,
	    HCABI_ERR_INVALID_PARAM, "X86-002.1", "function_id with bit 32 set");
	ERR((1ull << 63) | HCABI_FID_BASE_PROBE_EXTENSION, HCABI_EID_BASE, 0, 0, 1, HCABI_EID_BASE,
	    HCABI_ERR_INVALID_PARAM, "X86-002.1", "function_id with bit 63 set");
	ERR(HCABI_FID_BASE_PROBE_EXTENSION, 1ull << 16, 0, 0, 1, HCABI_EID_BASE,
	    HCABI_ERR_INVALID_PARAM, "BASE-030", "PROBE_EXTENSION(2^16)");
	ERR(HCABI_FID_MEM_GET_LAYOUT, hcabi_gpa(layout_a) + 4, 1, 0, 2, HCABI_EID_MEM,
	    HCABI_ERR_INVALID_ADDRESS, "MEM-012.1", "MEM.GET_LAYOUT(misaligned)");
	ERR(HCABI_FID_MEM_RELEASE, hcabi_gpa(layout_a), 0, 0, 2, HCABI_EID_MEM,
	    HCABI_ERR_INVALID_PARAM, "MEM-001.1", "MEM.RELEASE(npages 0)");
	ERR(HCABI_FID_VCPU_GET_STATUS, cpus, 0, 0, 1, HCABI_EID_VCPU, HCABI_ERR_INVALID_PARAM,
	    "VCPU-040", "VCPU.GET_STATUS(the vCPU count)");
	if (cpus >= 2)
		ERR(HCABI_FID_VCPU_KICK, 1, 0, 0, 1, HCABI_EID_VCPU, HCABI_ERR_INVALID_STATE,
		    "VCPU-070.2", "VCPU.KICK(stopped vCPU 1)");
	ERR(HCABI_FID_IPI_SEND, 1ull << hcabi_cpu_index(), 0, VEC_RESERVED, 3, HCABI_EID_IPI,
	    HCABI_ERR_INVALID_PARAM, "IPI-001.3", "IPI.SEND(a valid vector with reserved bit 15)");
	ERR(HCABI_FID_TLB_FLUSH, 1, 0, 8, 4, HCABI_EID_TLB, HCABI_ERR_INVALID_PARAM, "TLB-001.2",
	    "TLB.FLUSH(misaligned gva)");
	ERR(HCABI_FID_STEAL_SET_SHMEM, hcabi_gpa(&steal_rec) + 8, 0, 0, 1, HCABI_EID_STEAL,
	    HCABI_ERR_INVALID_ADDRESS, "STEAL-001.1", "STEAL.SET_SHMEM(misaligned)");
	ERR(HCABI_FID_TIME_SET_TIMER, ~0ull, VEC_RESERVED, 0, 2, HCABI_EID_TIME,
	    HCABI_ERR_INVALID_PARAM, "TIME-020.2",
	    "TIME.SET_TIMER(a valid vector with reserved bit 15)");
#undef ERR

	for (size_t i = 0; i < k; i++) {
		struct hcabi_ret d, r;
		if (!hcabi_has_ext(cases[i].eid))
			continue;
		batch_set(&table[0], cases[i].fn, cases[i].a0, cases[i].a1, cases[i].a2,
			  cases[i].argc);
		if (cases[i].argc == 4)
			table[0].args[3] = 1;
		memcpy(copy, table, sizeof(table[0]));
		d = batch_direct(&copy[0]);
		check_status(d, cases[i].status, cases[i].req, "%s, called directly",
			     cases[i].what);
		if (d.status == HCABI_SUCCESS)
			continue; /* nothing to compare the batch's error with */
		r = hcabi_batch_execute(hcabi_gpa(table), 1);
		check_ret(r, HCABI_SUCCESS, 1, "BATCH-003.3", "EXECUTE([%s])", cases[i].what);
		check_ret(batch_result(&table[0]), d.status, 0, "BATCH-002.3",
			  "%s in a batch: the direct call's status, value 0", cases[i].what);
	}
}

/* ---- stop at the first failure ---- */

HCABI_TEST(batch_stop_first_failure, "BATCH.stop_at_first_failure",
	   "BATCH-003.1,BATCH-003.2,BATCH-003.3,BATCH-002.3," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_BATCH_EXECUTE_SINCE)
{
	struct hcabi_ret spec = hcabi_base_get_spec_version();
	/* (length, failing index) */
	static const unsigned shapes[][2] = {
	    {5, 2}, {3, 0}, {4, 3}, {HCABI_BATCH_MAX_ENTRIES, 63}, {HCABI_BATCH_MAX_ENTRIES, 1}};

	for (size_t s = 0; s < HCABI_ARRAY_SIZE(shapes); s++) {
		unsigned len = shapes[s][0], fail = shapes[s][1], untouched = 0, bad_before = 0;
		bool fid_high = s == 1;
		struct hcabi_ret r;

		(void)batch_kick_pending();
		for (unsigned i = 0; i < HCABI_ARRAY_SIZE(table); i++)
			batch_set(&table[i], HCABI_FID_BASE_GET_SPEC_VERSION, 0, 0, 0, 0);
		if (fid_high)
			table[fail].function_id |= 1ull << 32;
		else
			table[fail].function_id = BATCH_UNKNOWN_FN;
		if (fail + 1 < len)
			batch_set_kick_self(&table[len - 1]);
		memcpy(copy, table, sizeof(table));
		r = hcabi_batch_execute(hcabi_gpa(table), len);
		check_ret(
		    r, HCABI_SUCCESS, fail + 1, "BATCH-003.3",
		    "EXECUTE(%u entries, entry %u fails): the count executed, the failing one "
		    "included",
		    len, fail);
		for (unsigned i = 0; i < fail; i++)
			if (table[i].status != spec.status || table[i].value != spec.value)
				bad_before++;
		check_eq_u64(bad_before, 0, "BATCH-002.3",
			     "entries before the failure without GET_SPEC_VERSION's result");
		check_ret(batch_result(&table[fail]),
			  fid_high ? HCABI_ERR_INVALID_PARAM : HCABI_ERR_NOT_SUPPORTED, 0,
			  "BATCH-002.3", "the failing entry %u (%s)", fail,
			  fid_high ? "function_id bit 32 set" : "an unknown function");
		for (unsigned i = fail + 1; i < HCABI_ARRAY_SIZE(table); i++)
			if (memcmp(&copy[i], &table[i], sizeof(table[i])) == 0)
				untouched++;
		check_eq_u64(untouched, HCABI_ARRAY_SIZE(table) - fail - 1, "BATCH-003.2",
			     "entries after the failing one left exactly as they were");
		if (fail + 1 < len)
			check_true(!batch_kick_pending(), "BATCH-003.1",
				   "the last entry (a KICK of the caller) did not run");
	}
}
