/* SPDX-License-Identifier: MIT */
/*
 * stress.c - hcabi-stress.elf: every vCPU of the VM hammers the
 * hypervisor at once for a bounded time, then the guest checks that
 * nothing was lost, duplicated, early or stuck. Not part of the
 * conformance suite (no HCABI_TEST, not in tests.json): a robustness test
 * of an implementation's concurrency, run by CTest as stress.nested_8vcpu.
 *
 * The vCPUs (VCPU.GET_COUNT, all of them, at most HCABI_MAX_CPUS):
 *  - "hammers" 0 .. H-1 run from the start barrier to the end barrier;
 *  - a "pool" H .. N-1 (N/4 of them, none with 2 vCPUs) is started and
 *    stopped over and over: a hammer claims an idle pool vCPU, starts it
 *    (VCPU.START through the runtime's hcabi_smp_start), the pool vCPU runs a
 *    short burst of calls and stops itself (VCPU.STOP).
 *
 * What each hammer does, in random order, until the end of the run:
 *  - IPI.SEND of its own vector (0x40 + sender) to a random subset of the
 *    hammers, through a random base; IPI.SEND with all_but_self (HCABI 1.1)
 *    of its second vector (0x60 + sender); deliberately invalid sends
 *    (a target index >= N, a vector < 32), which must send nothing;
 *  - TIME.SET_TIMER one-shots, some with a deadline already passed, some
 *    cancelled at once with interrupts disabled (CANCEL_TIMER's 1 or 0 must
 *    match whether the interrupt is pending); the handler reads
 *    GET_MONOTONIC and counts a timer that fired before its deadline;
 *  - KICK/BLOCK rounds on a ring (hammer b's kicker is b + 1 mod H), stray
 *    KICKs, short BLOCKs, YIELD, GET_STATUS;
 *  - BATCH.EXECUTE of 4..64 mixed entries (GET_SPEC_VERSION, GET_MONOTONIC,
 *    GET_ID, GET_COUNT, GET_STATUS, PROBE_EXTENSION, YIELD, KICK, IPI.SEND),
 *    sometimes ending in an entry that fails (DENIED or INVALID_PARAM)
 *    followed by entries that must stay untouched;
 *  - START/STOP of a pool vCPU, with a second START of the running vCPU
 *    (ALREADY_STARTED), GET_STATUS, and once it stopped KICK (INVALID_STATE)
 *    and an IPI.SEND to it (SUCCESS, nothing delivered);
 *  - TLB.FLUSH of random subsets (running, blocked and stopped targets).
 *
 * Exactness of the IPI count. Two interrupts of one vector sent to one
 * vCPU while the first is still pending in its IRR merge into one: that is
 * the LAPIC, not a lost IPI. So every sender has its own vectors, and it
 * sends its vector to a target again only once the target's handler has
 * counted every earlier one (recv[s][t] == sent[s][t]): no two interrupts
 * of one (sender, vector) are ever pending at one target, and at the end,
 * after every sender stopped and every target drained, recv must equal
 * sent exactly for every (sender, target) pair: a lost IPI leaves it
 * below, a duplicated (or misdirected) one above. all_but_self interrupts
 * are counted the same way at every hammer (the hammers run from the
 * first send to the last); at a pool vCPU, which may be stopped when one
 * is sent, they are only bounded (at most one per send).
 *
 * Exactness of the kick check. Hammer b publishes a request, then
 * BLOCK(300 ms); its kicker KICKs it and records the monotonic time at
 * which KICK returned. A BLOCK that returns TIMED_OUT although the kick
 * returned before the block's deadline lost the kick (VCPU-060/061); a
 * kick that came after a TIMED_OUT must be remembered: the next BLOCK(0)
 * returns WOKEN (VCPU-061).
 *
 * Replayed deliveries. A fixed interrupt from a local APIC (where IPI.SEND
 * and the timers put theirs) is only ever taken by code running with
 * RFLAGS.IF = 1. A handler that finds IF = 0 in the interrupted frame was
 * entered by an injection no LAPIC made: under nested KVM on QEMU's TCG the
 * virtualization layer below the VMM sometimes delivers an interrupt a
 * second time, nested at the first instruction of the first delivery's
 * handler (pure xAPIC ICR IPIs, lapic=1, show it as well:
 * docs/performance.md). Such a delivery is counted apart and reported, not
 * as a reception; strict=1 makes it a failure (use it where the platform is
 * expected to be exact, e.g. on hardware).
 *
 * Deadlocks. Every wait is bounded. vCPU 0 is the watchdog: each vCPU
 * counts its progress and says what it is doing; a vCPU whose count has not
 * moved for 30 s is reported (which vCPU, in which operation, for how
 * long) and the run fails at once. vCPU 1 watches vCPU 0 the same way.
 *
 * Command line (PVH): `duration=SECONDS` of monotonic time (default
 * HCABI_STRESS_SECONDS, 20); `seed=N` fixes the random choices (printed at
 * the start); `strict=1`; `NAME=0` turns a part off to narrow a failure down
 * (abs, tlb, pool, batch, timer, block, kick) and `lapic=1` sends the masked
 * IPIs through the xAPIC ICR instead of IPI.SEND (a control that involves no
 * HCABI call). The last line is "hcabi-stress: PASS ..." or
 * "hcabi-stress: FAIL ...", then isa-debug-exit 0 (PASS, VMM status 1),
 * 1 (FAIL, status 3) or 0x7f from the runtime (status 255).
 *
 * Files: stress.c (vCPU 0: the set-up, the final checks), hammer.c (a
 * hammer's life and the pool), ops.c and batch.c (the operations), irq.c
 * (the handlers), watchdog.c, common.c (the state, the helpers) and
 * common.h (what they share).
 */
#include "common.h"

/* ---- vCPU 0 ---------------------------------------------------------------------- */

static void parse_cmdline(void)
{
	const char *duration = hcabi_cmdline_value("duration");
	uint64_t v;

	hcabi_printf("hcabi-stress: command line '%s'", hcabi_command_line());
	if (duration) {
		if (hcabi_parse_u64(duration, &v) && v > 0 && v < 100000)
			duration_ns = HCABI_SEC(v);
		else
			hcabi_printf("hcabi-stress: bad duration= ignored");
	}
	strict = hcabi_parse_u64(hcabi_cmdline_value("strict"), &v) && v == 1;
	(void)hcabi_parse_u64(hcabi_cmdline_value("seed"), &seed);
	for (unsigned i = 0; i < HCABI_ARRAY_SIZE(parts); i++)
		if (hcabi_parse_u64(hcabi_cmdline_value(parts[i].name), &v) && v <= 1)
			parts[i].on = v == 1;
}

static HCABI_NORETURN void finish(const char *why)
{
	uint64_t f = hcabi_atomic_load(&n_fail);
	if (f == 0 && !why) {
		hcabi_printf("hcabi-stress: PASS vcpus=%u hammers=%u pool=%u duration=%llus seed=%llu "
			     "redeliveries=%llu",
			     ncpu, nham, ncpu - nham,
			     (unsigned long long)(duration_ns / 1000000000ull),
			     (unsigned long long)seed, (unsigned long long)total_redeliveries);
		hcabi_exit(0);
	}
	hcabi_printf("hcabi-stress: FAIL vcpus=%u failures=%llu%s%s", ncpu, (unsigned long long)f,
		     why ? ": " : "", why ? why : "");
	hcabi_exit(EXIT_FAIL);
}

static void final_checks(void)
{
	uint64_t tot_sent = 0, tot_abs = 0, early = 0, worst = 0, spurious = 0;
	struct percpu sum;

	for (unsigned s = 0; s < ncpu; s++) {
		for (unsigned t = 0; t < ncpu; t++) {
			uint64_t se = ipi_sent[s][t], re = ipi_recv[s][t];
			tot_sent += se;
			if (se != re)
				fail("IPI vector 0x%02x from vCPU %u to vCPU %u: sent %llu, received "
				     "%llu (%s, IPI-002)",
				     VEC_IPI + s, s, t, (unsigned long long)se,
				     (unsigned long long)re, re < se ? "lost" : "duplicated");
			if (t == s) {
				if (abs_recv[s][t])
					fail("all_but_self from vCPU %u reached the caller %llu "
					     "times (IPI-004)",
					     s, (unsigned long long)abs_recv[s][t]);
			} else if (is_hammer(t) ? abs_recv[s][t] != abs_sent[s]
						: abs_recv[s][t] > abs_sent[s]) {
				fail("all_but_self vector 0x%02x from vCPU %u at vCPU %u: %llu sent, "
				     "%llu received (IPI-004)",
				     VEC_ABS + s, s, t, (unsigned long long)abs_sent[s],
				     (unsigned long long)abs_recv[s][t]);
			}
		}
		tot_abs += abs_sent[s];
	}
	memset(&sum, 0, sizeof(sum));
	for (unsigned t = 0; t < ncpu; t++) {
		const struct percpu *p = &pc[t];
		for (unsigned k = 0; k < ndups[t] && k < MAX_DUPS; k++)
			hcabi_printf("hcabi-stress: vCPU %u: %s vector 0x%02x at rip=0x%llx (IF=%u) "
				     "during %s, %llu ms into the run",
				     t,
				     dups[t][k].redelivery
					 ? "a replayed delivery (no LAPIC made it; not counted) of"
					 : "one delivery more than was sent of",
				     dups[t][k].vector, (unsigned long long)dups[t][k].rip,
				     (unsigned)((dups[t][k].rflags & HCABI_RFLAGS_IF) != 0),
				     op_names[dups[t][k].op < OP__COUNT ? dups[t][k].op : 0],
				     (unsigned long long)((dups[t][k].when - run_start) / 1000000));
		early += p->t_early;
		if (p->t_early_worst > worst)
			worst = p->t_early_worst;
		spurious += timer_spurious[t];
		if (p->t_fired != p->t_expect)
			fail("vCPU %u: %llu timer interrupts expected, %llu taken", t,
			     (unsigned long long)p->t_expect, (unsigned long long)p->t_fired);
		sum.n_ipi += p->n_ipi;
		sum.n_ipi_targets += p->n_ipi_targets;
		sum.n_abs += p->n_abs;
		sum.n_bad += p->n_bad;
		sum.n_timer += p->n_timer;
		sum.n_cancel += p->n_cancel;
		sum.n_kick += p->n_kick;
		sum.n_round += p->n_round;
		sum.n_block += p->n_block;
		sum.n_batch += p->n_batch;
		sum.n_entries += p->n_entries;
		sum.n_start += p->n_start;
		sum.n_reap += p->n_reap;
		sum.n_status += p->n_status;
		sum.n_tlb += p->n_tlb;
		sum.n_yield += p->n_yield;
	}
	if (early)
		fail("%llu timer interrupts came before their deadline, the worst %llu ns early "
		     "(TIME-022)",
		     (unsigned long long)early, (unsigned long long)worst);
	for (unsigned t = 0; t < ncpu; t++)
		total_redeliveries += redeliveries[t];
	if (total_redeliveries && strict)
		fail("%llu interrupt deliveries were made by no local APIC (into code running with "
		     "IF=0: an already delivered interrupt injected again)",
		     (unsigned long long)total_redeliveries);
	else if (total_redeliveries)
		hcabi_printf("hcabi-stress: WARNING: %llu interrupt deliveries were made by no local "
			     "APIC (into code running with IF=0): the virtualization layer below "
			     "the VMM injected an interrupt it had already delivered; they are not "
			     "counted as IPI or timer receptions (strict=1 makes them failures; "
			     "docs/performance.md)",
			     (unsigned long long)total_redeliveries);
	if (spurious)
		fail("%llu timer interrupts came with no timer armed (TIME-021/024/030)",
		     (unsigned long long)spurious);
	if (bogus_starts)
		fail("a START of a running vCPU started it %llu times", (unsigned long long)bogus_starts);
	if (sum.n_start != sum.n_reap)
		fail("%llu pool starts, %llu pool vCPUs seen stopped",
		     (unsigned long long)sum.n_start, (unsigned long long)sum.n_reap);
	hcabi_printf("hcabi-stress: %s: %llu with a mask (%llu interrupts, each received "
		     "exactly once), %llu all_but_self, %llu invalid",
		     ON(P_LAPIC) ? "xAPIC ICR sends (lapic=1) and IPI.SEND" : "IPI.SEND",
		     (unsigned long long)sum.n_ipi, (unsigned long long)tot_sent,
		     (unsigned long long)sum.n_abs, (unsigned long long)sum.n_bad);
	hcabi_printf("hcabi-stress: timers: %llu armed, %llu cancelled at once, 0 early",
		     (unsigned long long)sum.n_timer, (unsigned long long)sum.n_cancel);
	hcabi_printf("hcabi-stress: KICK/BLOCK: %llu rounds, %llu kicks, %llu short blocks",
		     (unsigned long long)sum.n_round, (unsigned long long)sum.n_kick,
		     (unsigned long long)sum.n_block);
	hcabi_printf("hcabi-stress: BATCH: %llu tables, %llu entries executed",
		     (unsigned long long)sum.n_batch, (unsigned long long)sum.n_entries);
	hcabi_printf("hcabi-stress: pool: %llu START/STOP cycles; %llu GET_STATUS, %llu "
		     "TLB.FLUSH, %llu YIELD",
		     (unsigned long long)sum.n_start, (unsigned long long)sum.n_status,
		     (unsigned long long)sum.n_tlb, (unsigned long long)sum.n_yield);
	(void)tot_abs;
}

void hcabi_main(void)
{
	uint64_t start;

	hcabi_printf("hcabi-stress: starting");
	hcabi_irq_filter_replays(false); /* redelivered() counts and reports them */
	hcabi_hello("stress");
	hcabi_run_discovery();
	seed = hcabi_rdtsc();
	parse_cmdline();
	if (!hcabi_disc.present)
		finish("no HCABI signature in CPUID");
	if (!hcabi_has_ext(HCABI_EID_VCPU) || !hcabi_has_ext(HCABI_EID_IPI) ||
	    !hcabi_has_ext(HCABI_EID_TIME) || !hcabi_has_ext(HCABI_EID_BATCH))
		finish("VCPU, IPI, TIME and BATCH are needed");
	have_abs = hcabi_ext_version(HCABI_EID_IPI) >= 2; /* all_but_self: IPI version 2 (1.1) */
	have_tlb = hcabi_has_ext(HCABI_EID_TLB);
	ncpu = hcabi_smp_count();
	if (ncpu < 2)
		finish("needs 2 vCPUs or more");
	nham = ncpu <= 2 ? ncpu : ncpu - (ncpu / 4 ? ncpu / 4 : 1);
	hcabi_printf("hcabi-stress: %u vCPUs: %u hammers, %u in the START/STOP pool; %llu s; "
		     "seed=%llu; all_but_self %s, TLB %s",
		     ncpu, nham, ncpu - nham, (unsigned long long)(duration_ns / 1000000000ull),
		     (unsigned long long)seed, have_abs ? "on" : "off (HCABI 1.0)",
		     have_tlb ? "on" : "off");

	for (unsigned s = 0; s < ncpu; s++) {
		hcabi_irq_register(VEC_IPI + s, on_ipi);
		hcabi_irq_register(VEC_ABS + s, on_abs);
		pc[s].rng = seed ^ (0x9E3779B97F4A7C15ull * (s + 1));
		pc[s].claim = -1;
	}
	hcabi_irq_register(VEC_TIMER, on_timer);
	hcabi_irq_enable();

	for (unsigned i = 0; i < HCABI_ARRAY_SIZE(parts); i++)
		if (!parts[i].on)
			hcabi_printf("hcabi-stress: %s off (command line)", parts[i].name);
	for (unsigned c = 1; c < nham; c++) {
		int64_t st = hcabi_smp_start(c, hammer_task, 0);
		if (st != HCABI_SUCCESS) {
			fail("VCPU.START of hammer vCPU %u returned %s", c, hcabi_status_name(st));
			hcabi_atomic_store(&abort_run, 1);
			finish("cannot start the hammers");
		}
	}
	start = hcabi_now_ns();
	while (hcabi_atomic_load(&up_count) < nham - 1) {
		pause_a_bit();
		if (hcabi_now_ns() - start > WAIT_LONG) {
			hcabi_atomic_store(&abort_run, 1);
			finish("the hammers did not come up within 60 s");
		}
	}
	hcabi_printf("hcabi-stress: go");
	run_start = hcabi_now_ns();
	hcabi_atomic_store(&go, 1);
	hammer();
	if (hcabi_atomic_load(&abort_run))
		finish("the watchdog stopped the run");
	for (unsigned c = 1; c < nham; c++)
		if (!hcabi_smp_wait(c, WAIT_LONG))
			fail("hammer vCPU %u did not stop at the end", c);
	hcabi_irq_disable();
	final_checks();
	finish(NULL);
}
