/* SPDX-License-Identifier: MIT */
/*
 * The steal-time record: STEAL-002.1 to .3 (written whole on registration),
 * STEAL-003.1 (an update at every return), STEAL-003.2 and .3 (the sequence
 * protocol), STEAL-004.
 *
 * What:
 *  - a poisoned record is written whole before SET_SHMEM returns SUCCESS
 *    with 0: sequence even, flags and the six reserved words zero, steal_ns
 *    no longer the poison; registering the same record again, and moving it
 *    to another poisoned record, does the same, and steal_ns does not go
 *    back across the move (STEAL-002.1 to .3, STEAL-004);
 *  - after each return of a call of the vCPU - successful or not: BASE,
 *    TIME, VCPU.YIELD, a short VCPU.BLOCK, an INVALID_PARAM call, an
 *    unknown function, a call with RAX[63:32] set - the sequence is even
 *    and at least 2 more than before (one odd step and the next even one per
 *    update), and steal_ns never decreased (STEAL-003.1, .3, STEAL-004);
 *  - vCPU 1 reads vCPU 0's record with the sequence protocol while vCPU 0
 *    makes calls: every consistent read (same even sequence before and
 *    after) has zero flags and reserved words (GEN-003), the sequence of
 *    consistent reads never goes back (STEAL-003.2), and neither does
 *    steal_ns (STEAL-004).
 * Why: the record is read without an exit; a guest trusts it only through
 * the sequence protocol, so an update that skips the odd step or a
 * steal_ns that jumps back makes its CPU-time accounting wrong.
 * "steal_ns current" cannot be checked from inside: the guest cannot know
 * how long the host kept it from running; only monotonicity is checked.
 */
#include "steal_common.h"
#include "hcabi_calls.h"

static struct steal_records recs;

struct steal_snap {
	uint32_t sequence, flags;
	uint64_t steal_ns, reserved[6];
};

static struct steal_snap snap(volatile struct hcabi_steal_time *rec)
{
	struct steal_snap s;
	s.sequence = rec->sequence;
	s.flags = rec->flags;
	s.steal_ns = rec->steal_ns;
	for (unsigned i = 0; i < 6; i++)
		s.reserved[i] = rec->reserved[i];
	return s;
}

static bool snap_reserved_zero(const struct steal_snap *s)
{
	uint64_t any = s->flags;
	for (unsigned i = 0; i < 6; i++)
		any |= s->reserved[i];
	return any == 0;
}

HCABI_TEST(steal_register, "STEAL.set_shmem_initialises",
	   "STEAL-002.1,STEAL-002.2,STEAL-002.3,STEAL-004," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_STEAL_SET_SHMEM_SINCE)
{
	volatile struct hcabi_steal_time *a = steal_rec(&recs, 0), *b = steal_rec(&recs, 2);
	struct hcabi_ret r;
	struct steal_snap s, t;

	steal_unregister();
	steal_poison(a);
	r = hcabi_steal_set_shmem(hcabi_gpa(a));
	s = snap(a); /* before any other call */
	if (!check_ret(r, HCABI_SUCCESS, 0, "STEAL-002.1", "SET_SHMEM(a poisoned record)"))
		goto out;
	check_true(!(s.sequence & 1), "STEAL-002.1", "sequence %u is even", s.sequence);
	check_true(snap_reserved_zero(&s), "STEAL-002.2", "flags and reserved words are zero");
	check_true(s.steal_ns != STEAL_POISON_NS, "STEAL-002.3", "steal_ns was written (0x%llx)",
		   (unsigned long long)s.steal_ns);

	/* the same record again */
	steal_poison(a);
	r = hcabi_steal_set_shmem(hcabi_gpa(a));
	t = snap(a);
	check_ret(r, HCABI_SUCCESS, 0, "STEAL-002.1", "SET_SHMEM(the same record, poisoned again)");
	check_true(!(t.sequence & 1), "STEAL-002.1", "rewritten: sequence %u is even", t.sequence);
	check_true(snap_reserved_zero(&t), "STEAL-002.2",
		   "rewritten: flags and reserved words are zero");
	check_true(t.steal_ns != STEAL_POISON_NS, "STEAL-002.3", "rewritten: steal_ns 0x%llx",
		   (unsigned long long)t.steal_ns);
	check_ge_u64(t.steal_ns, s.steal_ns, "STEAL-004", "steal_ns did not decrease");
	s = t;

	/* moved to another record */
	steal_poison(b);
	r = hcabi_steal_set_shmem(hcabi_gpa(b));
	t = snap(b);
	check_ret(r, HCABI_SUCCESS, 0, "STEAL-002.1", "SET_SHMEM(another poisoned record)");
	check_true(!(t.sequence & 1), "STEAL-002.1", "the new record's sequence %u is even",
		   t.sequence);
	check_true(snap_reserved_zero(&t), "STEAL-002.2",
		   "the new record's flags and reserved words are zero");
	check_true(t.steal_ns != STEAL_POISON_NS, "STEAL-002.3",
		   "the new record's steal_ns was written");
	check_ge_u64(t.steal_ns, s.steal_ns, "STEAL-004",
		     "steal_ns in the new record is not below the old record's");
out:
	steal_unregister();
}

/* ---- an update at every return ---- */

struct call_kind {
	const char *what;
	uint64_t rax;
	uint64_t args[6];
	uint32_t needs_eid;
	unsigned updates_ok, calls;
	unsigned even_ok; /* returns after which the sequence was even */
	uint32_t bad_from, bad_to;
};

HCABI_TEST(steal_update_every_call, "STEAL.update_every_call",
	   "STEAL-003.1,STEAL-003.3,STEAL-004," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_STEAL_SET_SHMEM_SINCE)
{
	volatile struct hcabi_steal_time *a = steal_rec(&recs, 0);
#define KIND(w, r, a0, e)                                                                          \
	{                                                                                          \
		.what = (w), .rax = (r), .args = {(a0)}, .needs_eid = (e)                          \
	}
	struct call_kind kinds[] = {
	    KIND("BASE.GET_SPEC_VERSION", HCABI_FID_BASE_GET_SPEC_VERSION, 0, HCABI_EID_BASE),
	    KIND("BASE.PROBE_EXTENSION(STEAL)", HCABI_FID_BASE_PROBE_EXTENSION, HCABI_EID_STEAL,
		 HCABI_EID_BASE),
	    KIND("TIME.GET_MONOTONIC", HCABI_FID_TIME_GET_MONOTONIC, 0, HCABI_EID_TIME),
	    KIND("VCPU.YIELD(ANY)", HCABI_FID_VCPU_YIELD, HCABI_VCPU_ANY, HCABI_EID_VCPU),
	    KIND("VCPU.BLOCK(1 ms)", HCABI_FID_VCPU_BLOCK, HCABI_MS(1), HCABI_EID_VCPU),
	    KIND("BASE.PROBE_EXTENSION(2^16) (INVALID_PARAM)", HCABI_FID_BASE_PROBE_EXTENSION,
		 1ull << 16, HCABI_EID_BASE),
	    KIND("an unknown function (NOT_SUPPORTED)", 0x7FFF0000u, 0, HCABI_EID_BASE),
	    KIND("RAX[63:32] set (INVALID_PARAM)", (1ull << 32) | HCABI_FID_BASE_GET_SPEC_VERSION,
		 0, HCABI_EID_BASE),
	};
#undef KIND
	struct steal_snap prev, cur;
	uint64_t ns_back = 0;

	steal_unregister();
	steal_poison(a);
	if (!check_ret(hcabi_steal_set_shmem(hcabi_gpa(a)), HCABI_SUCCESS, 0, "STEAL-003.1",
		       "SET_SHMEM(a record)"))
		goto out;
	prev = snap(a);
	for (int round = 0; round < 25; round++) {
		for (size_t i = 0; i < HCABI_ARRAY_SIZE(kinds); i++) {
			struct call_kind *k = &kinds[i];
			uint32_t d;
			if (!hcabi_has_ext(k->needs_eid))
				continue;
			(void)hcabi_raw_call(k->rax, k->args, false);
			cur = snap(a);
			d = steal_seq_delta(prev.sequence, cur.sequence);
			k->calls++;
			if (!(cur.sequence & 1))
				k->even_ok++;
			if (d >= 2 && d < 0x80000000u) {
				k->updates_ok++;
			} else if (k->updates_ok + 1 == k->calls) {
				k->bad_from = prev.sequence;
				k->bad_to = cur.sequence;
			}
			if (cur.steal_ns < prev.steal_ns)
				ns_back++;
			prev = cur;
		}
	}
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(kinds); i++) {
		if (!kinds[i].calls)
			continue;
		check_eq_u64(kinds[i].updates_ok, kinds[i].calls, "STEAL-003.1",
			     "after %s: an update (sequence advanced by at least 2) at each of "
			     "%u returns (first miss: %u -> %u)",
			     kinds[i].what, kinds[i].calls, kinds[i].bad_from, kinds[i].bad_to);
		check_eq_u64(kinds[i].even_ok, kinds[i].calls, "STEAL-003.3",
			     "after %s: sequence even at each of %u returns", kinds[i].what,
			     kinds[i].calls);
	}
	check_eq_u64(ns_back, 0, "STEAL-004", "times steal_ns decreased from one call to the next");
out:
	steal_unregister();
}

/* ---- vCPU 1 reads vCPU 0's record while it is updated ---- */

static struct {
	volatile struct hcabi_steal_time *rec;
	uint64_t start, done;
	uint64_t stable, unstable, odd;
	uint64_t seq_back, ns_back, reserved_bad;
	uint32_t last_seq;
	uint64_t last_ns;
	bool have_last;
} rd;

static void reader_task(void *arg)
{
	uint64_t t0;
	(void)arg;
	hcabi_atomic_store(&rd.start, 1);
	t0 = hcabi_now_ns();
	while (hcabi_now_ns() - t0 < HCABI_MS(500) || rd.stable < 1000) {
		for (int i = 0; i < 64; i++) {
			uint32_t s1, s2;
			struct steal_snap s;
			s1 = rd.rec->sequence;
			hcabi_barrier();
			s = snap(rd.rec);
			hcabi_barrier();
			s2 = rd.rec->sequence;
			if (s1 & 1)
				rd.odd++;
			if (s1 != s2 || (s1 & 1)) {
				rd.unstable++;
				continue;
			}
			rd.stable++;
			if (!snap_reserved_zero(&s))
				rd.reserved_bad++;
			if (rd.have_last) {
				if (steal_seq_delta(rd.last_seq, s1) >= 0x80000000u)
					rd.seq_back++;
				if (s.steal_ns < rd.last_ns)
					rd.ns_back++;
			}
			rd.have_last = true;
			rd.last_seq = s1;
			rd.last_ns = s.steal_ns;
		}
		if (hcabi_now_ns() - t0 > HCABI_SEC(20))
			break;
	}
	hcabi_atomic_store(&rd.done, 1);
}

HCABI_TEST(steal_concurrent_reader, "STEAL.concurrent_reader",
	   "STEAL-003.1,STEAL-003.2,GEN-003,STEAL-004,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO
	   ",STATUS-004",
	   HCABI_FID_STEAL_SET_SHMEM_SINCE)
{
	volatile struct hcabi_steal_time *a = steal_rec(&recs, 0);
	uint32_t seq0;
	uint64_t calls = 0, t0;

	if (!test_require_cpus(2))
		return;
	steal_unregister();
	steal_poison(a);
	if (!check_ret(hcabi_steal_set_shmem(hcabi_gpa(a)), HCABI_SUCCESS, 0, "STEAL-003.1",
		       "SET_SHMEM(a record) on vCPU 0"))
		goto out;
	seq0 = a->sequence;
	memset(&rd, 0, sizeof(rd));
	rd.rec = a;
	if (!test_start_on_cpu(1, reader_task, 0)) {
		goto out;
	}
	t0 = hcabi_now_ns();
	/* calls (each one updates the record) until the reader is done */
	while (!hcabi_atomic_load(&rd.done) && hcabi_now_ns() - t0 < HCABI_SEC(30)) {
		(void)hcabi_base_get_spec_version();
		calls++;
	}
	if (!test_wait_cpu(1, HCABI_SEC(30))) {
		goto out;
	}
	test_log("vCPU 1 read the record %llu times consistently, %llu times mid-update (%llu odd "
		 "sequences) while vCPU 0 made %llu calls",
		 (unsigned long long)rd.stable, (unsigned long long)rd.unstable,
		 (unsigned long long)rd.odd, (unsigned long long)calls);
	check_true(steal_seq_delta(seq0, a->sequence) >= 2 * calls, "STEAL-003.1",
		   "vCPU 0's sequence advanced by at least 2 per call (%u -> %u, %llu calls)", seq0,
		   a->sequence, (unsigned long long)calls);
	check_ge_u64(rd.stable, 1, "STEAL-003.2", "consistent reads by vCPU 1");
	check_eq_u64(rd.reserved_bad, 0, "GEN-003",
		     "consistent reads with non-zero flags or reserved words");
	check_eq_u64(rd.seq_back, 0, "STEAL-003.2", "consistent reads whose sequence went back");
	check_eq_u64(rd.ns_back, 0, "STEAL-004", "consistent reads whose steal_ns went back");
out:
	steal_unregister();
}
