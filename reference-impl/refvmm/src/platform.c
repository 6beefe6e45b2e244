/* SPDX-License-Identifier: MIT */
/*
 * platform.c - struct hcabi_platform_ops of hcabi-refvmm: what the core
 * needs from the VMM. Architecture-neutral: what touches the vCPUs or the
 * interrupt controller goes through the backend (arch.h).
 *
 *  - guest memory: one private anonymous mapping of --memory bytes from
 *    the backend's RAM base (arch_defs.h; GPA 0 on x86-64); every
 *    range is checked without overflow; MEM.RELEASE is madvise(DONTNEED),
 *    after which KVM's MMU notifier drops the mappings and pages read zero;
 *  - interrupts: the backend's interrupt controller (hcabi__inject_irq);
 *  - timers: timer.c;
 *  - block/kick: the vCPU thread waits on its condition variable; a kick
 *    is remembered until the next block, which it ends at once; an
 *    interrupt injected during the block ends it, and one found pending in
 *    the interrupt controller (injected before the block and not taken, or
 *    the guest's own IPIs; checked at the start and every 10 ms) too; one
 *    the guest took before the block does not;
 *  - TLB flush: a request to the target's thread (vmstate.c); the caller
 *    waits, serving flush requests aimed at itself meanwhile;
 *  - steal: run_delay of the vCPU thread from /proc/self/task/TID/schedstat.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"
#include "clock.h"
#include "refvmm.h"

/* ---- memory ----------------------------------------------------------------- */
/* The host address of guest RAM [gpa, gpa + len), or NULL if any byte of it
 * is not RAM ([ram_base, ram_base + ram_size)); checked without overflow. */
static uint8_t *ram_at(const struct hcabi__vm *vm, uint64_t gpa, uint64_t len)
{
	uint64_t off = gpa - vm->ram_base;
	if (gpa < vm->ram_base || off > vm->ram_size || len > vm->ram_size - off)
		return NULL;
	return vm->ram + off;
}

static int op_mem_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	uint8_t *p = ram_at(ctx, gpa, len);
	if (!p)
		return HCABI_REF_PERR_FAULT;
	if (len)
		memcpy(dst, p, len);
	return HCABI_REF_POK;
}

static int op_mem_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	uint8_t *p = ram_at(ctx, gpa, len);
	if (!p)
		return HCABI_REF_PERR_FAULT;
	/* 16 bytes is a BATCH entry's result (status, value), written once per
	 * entry (BATCH-007): a fixed-size copy the compiler inlines, where a
	 * call to memcpy costs under nested TCG about what the entry's
	 * dispatch does (docs/performance.md, (b)). */
	if (len == 16)
		memcpy(p, src, 16);
	else if (len)
		memcpy(p, src, len);
	return HCABI_REF_POK;
}

static int op_mem_release(void *ctx, uint64_t gpa, uint64_t npages)
{
	uint64_t len;
	uint8_t *p;
	if (gpa % HCABI__PAGE_SIZE || npages > UINT64_MAX / HCABI__PAGE_SIZE)
		return HCABI_REF_PERR_FAULT;
	len = npages * HCABI__PAGE_SIZE;
	p = ram_at(ctx, gpa, len);
	if (!p)
		return HCABI_REF_PERR_FAULT;
	if (len && madvise(p, len, MADV_DONTNEED) != 0)
		return HCABI_REF_PERR_HOST;
	return HCABI_REF_POK;
}

/* ---- vCPU control -------------------------------------------------------------- */
static struct hcabi__vcpu *vcpu_of(struct hcabi__vm *vm, uint32_t index)
{
	return index < vm->nvcpus ? &vm->vcpus[index] : NULL;
}

/* Wait on the caller's condition variable (or the main one for a thread
 * that is not a vCPU) until `deadline`; vm->lock held. */
static void wait_locked(struct hcabi__vm *vm, struct hcabi__vcpu *self, uint64_t deadline)
{
	struct timespec ts = hcabi__to_ts(deadline);
	pthread_cond_timedwait(self ? &self->cv : &vm->main_cv, &vm->lock, &ts);
}

static int op_vcpu_start(void *ctx, uint32_t index, const struct hcabi_vcpu_boot_state *bs)
{
	struct hcabi__vm *vm = ctx;
	struct hcabi__vcpu *t = vcpu_of(vm, index);
	struct hcabi__vcpu *self = hcabi__current_vcpu();
	uint64_t give_up = hcabi__now_ns() + 2000000000ull;
	int r;

	if (!t || t == self)
		return HCABI_REF_PERR_STATE;
	/* The core may see a vCPU stopped a moment before its thread has
	 * parked (it completes its exit first): wait for the thread. */
	pthread_mutex_lock(&vm->lock);
	while (t->state != HCABI__VCPU_STOPPED && !vm->ending) {
		if (hcabi__now_ns() >= give_up) {
			pthread_mutex_unlock(&vm->lock);
			return HCABI_REF_PERR_STATE;
		}
		hcabi__serve_flushes_locked(self);
		wait_locked(vm, self, hcabi__now_ns() + 10000000ull);
	}
	/* Never started yet, it may wait in the power-on start state inside
	 * the backend's run (vcpu.c): take it out, so that its thread parks. */
	t->hw_wait = false;
	while (t->in_hw_wait && !vm->ending) {
		if (hcabi__now_ns() >= give_up) {
			pthread_mutex_unlock(&vm->lock);
			return HCABI_REF_PERR_STATE;
		}
		hcabi__vcpu_poke_locked(t);
		hcabi__serve_flushes_locked(self);
		wait_locked(vm, self, hcabi__now_ns() + 1000000ull);
	}
	/* started meanwhile by the architecture's own sequence (INIT-SIPI) */
	if (vm->ending || t->state != HCABI__VCPU_STOPPED) {
		pthread_mutex_unlock(&vm->lock);
		return HCABI_REF_PERR_STATE;
	}
	pthread_mutex_unlock(&vm->lock);

	/* The target thread is parked and issues no ioctl until it is woken. */
	r = hcabi__arch_vcpu_reset(t, bs);
	if (r < 0) {
		hcabi__log("warning: cannot start vcpu %u: %s", index, strerror(errno));
		return HCABI_REF_PERR_HOST;
	}
	pthread_mutex_lock(&vm->lock);
	t->state = HCABI__VCPU_RUNNING;
	t->kick_pending = false;
	t->wake_pending = false;
	t->flush_ack = t->flush_req;
	if (self) {
		/* runs once the caller's VCPU.START has left the core */
		t->gate = self->index + 1;
		self->opens_gates = true;
	}
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&vm->lock);
	return HCABI_REF_POK;
}

/* 1: woken (a kick, remembered or new; an interrupt injected while
 * blocked; one found pending in the interrupt controller at the start or
 * every 10 ms); 0: deadline reached with nothing pending. `blocking` makes
 * hcabi__inject_irq() record a wake (vmstate.c); what this block saw or
 * was sent while blocking ends with it, so no wake is left behind for the
 * next BLOCK to end early on (VCPU-060 names every wake-up source). */
static int op_vcpu_block(void *ctx, uint32_t index, uint64_t deadline_ns)
{
	struct hcabi__vm *vm = ctx;
	struct hcabi__vcpu *t = vcpu_of(vm, index);
	struct hcabi__vcpu *self = hcabi__current_vcpu();
	int woken = 0;

	if (!t)
		return HCABI_REF_PERR_STATE;
	pthread_mutex_lock(&vm->lock);
	if (t->kick_pending) { /* VCPU-061: remembered, consumed here */
		t->kick_pending = false;
		pthread_mutex_unlock(&vm->lock);
		return 1;
	}
	t->blocking = true;
	t->wake_pending = false;
	pthread_mutex_unlock(&vm->lock);
	/* Interrupts injected before the call and not taken, and those from
	 * elsewhere (the guest's own LAPIC IPIs), end it too. */
	if (t == self && hcabi__arch_irq_pending(t))
		woken = 1;

	pthread_mutex_lock(&vm->lock);
	while (!woken) {
		uint64_t now, until;
		if (vm->ending || t->kick_pending || t->wake_pending) {
			woken = 1;
			break;
		}
		if (t->flush_req != t->flush_ack && t == self) {
			hcabi__serve_flushes_locked(self);
			continue;
		}
		now = hcabi__now_ns();
		if (now >= deadline_ns)
			break;
		until = now + 10000000ull; /* re-check for interrupts every 10 ms */
		if (deadline_ns < until)
			until = deadline_ns;
		{
			struct timespec ts = hcabi__to_ts(until);
			int r = pthread_cond_timedwait(&t->cv, &vm->lock, &ts);
			if (r == ETIMEDOUT && t == self && hcabi__now_ns() < deadline_ns) {
				bool p;
				pthread_mutex_unlock(&vm->lock);
				p = hcabi__arch_irq_pending(t);
				pthread_mutex_lock(&vm->lock);
				if (p)
					woken = 1;
			}
		}
	}
	/* A kick or an injection that came while blocking ended this BLOCK
	 * (or came as it ended for another reason): not remembered. */
	t->blocking = false;
	t->kick_pending = false;
	t->wake_pending = false;
	pthread_mutex_unlock(&vm->lock);
	return woken;
}

static int op_vcpu_kick(void *ctx, uint32_t index)
{
	struct hcabi__vm *vm = ctx;
	struct hcabi__vcpu *t = vcpu_of(vm, index);
	if (!t)
		return HCABI_REF_PERR_STATE;
	pthread_mutex_lock(&vm->lock);
	t->kick_pending = true;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&vm->lock);
	return HCABI_REF_POK;
}

static void op_vcpu_yield(void *ctx, uint32_t index, uint32_t target)
{
	(void)ctx;
	(void)index;
	(void)target;
	sched_yield();
}

/* ---- interrupts ---------------------------------------------------------------- */
static int op_inject_irq(void *ctx, uint32_t index, uint8_t vector)
{
	return hcabi__inject_irq(ctx, index, vector);
}

/* ---- timers (timer.c) -------------------------------------------------------- */
static int op_timer_arm(void *ctx, uint32_t index, uint64_t deadline_ns, uint8_t vector)
{
	struct hcabi__vm *vm = ctx;
	struct hcabi__vcpu *t = vcpu_of(vm, index);
	if (!t)
		return HCABI_REF_PERR_STATE;
	hcabi__timer_arm(vm, t, deadline_ns, 0, vector);
	return HCABI_REF_POK;
}

/* TIME.SET_PERIODIC (the core validated vector and period, TIME-040): the
 * same per-vCPU timer, armed on the grid first + k * period. */
static int op_timer_arm_periodic(void *ctx, uint32_t index, uint64_t first_ns, uint64_t period_ns,
				 uint8_t vector)
{
	struct hcabi__vm *vm = ctx;
	struct hcabi__vcpu *t = vcpu_of(vm, index);
	if (!t)
		return HCABI_REF_PERR_STATE;
	if (period_ns == 0)
		return HCABI_REF_PERR_HOST; /* never from the core */
	hcabi__timer_arm(vm, t, first_ns, period_ns, vector);
	return HCABI_REF_POK;
}

static int op_timer_cancel(void *ctx, uint32_t index, bool *was_pending)
{
	struct hcabi__vm *vm = ctx;
	struct hcabi__vcpu *t = vcpu_of(vm, index);
	if (!t)
		return HCABI_REF_PERR_STATE;
	hcabi__timer_cancel(vm, t, was_pending);
	return HCABI_REF_POK;
}

/* ---- TLB ------------------------------------------------------------------------ */
static int op_tlb_flush(void *ctx, uint32_t index, uint64_t gva, uint64_t npages)
{
	struct hcabi__vm *vm = ctx;
	struct hcabi__vcpu *t = vcpu_of(vm, index);
	struct hcabi__vcpu *self = hcabi__current_vcpu();
	uint64_t seq;

	(void)gva;
	(void)npages; /* a full flush covers any range */
	if (!t)
		return HCABI_REF_PERR_STATE;
	if (t == self)
		return hcabi__arch_vcpu_flush_tlb(t) == 0 ? HCABI_REF_POK : HCABI_REF_PERR_HOST;

	pthread_mutex_lock(&vm->lock);
	if (t->state == HCABI__VCPU_STOPPED) {
		/* nothing cached that it could use: a start flushes anyway */
		pthread_mutex_unlock(&vm->lock);
		return HCABI_REF_POK;
	}
	seq = ++t->flush_req;
	hcabi__vcpu_poke_locked(t);
	while (!vm->ending && t->state != HCABI__VCPU_STOPPED && t->flush_ack < seq) {
		hcabi__serve_flushes_locked(self);
		if (vm->ending || t->state == HCABI__VCPU_STOPPED || t->flush_ack >= seq)
			break;
		wait_locked(vm, self, hcabi__now_ns() + 100000000ull);
	}
	pthread_mutex_unlock(&vm->lock);
	return HCABI_REF_POK;
}

/* ---- clocks, steal ------------------------------------------------------------- */
static uint64_t op_clock_monotonic_ns(void *ctx)
{
	(void)ctx;
	return hcabi__now_ns();
}

static uint64_t op_clock_wall_ns(void *ctx)
{
	struct timespec ts;
	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t op_steal_ns(void *ctx, uint32_t index)
{
	struct hcabi__vm *vm = ctx;
	struct hcabi__vcpu *t = vcpu_of(vm, index);
	char path[64], buf[128];
	unsigned long long run_time, run_delay;
	uint64_t val;
	pid_t tid;
	int fd;
	ssize_t n;

	if (!t)
		return 0;
	pthread_mutex_lock(&vm->lock);
	tid = t->tid;
	val = t->steal_last;
	pthread_mutex_unlock(&vm->lock);
	if (tid <= 0)
		return val;
	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return val;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return val;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &run_time, &run_delay) != 2)
		return val;
	pthread_mutex_lock(&vm->lock);
	if ((uint64_t)run_delay > t->steal_last)
		t->steal_last = run_delay;
	val = t->steal_last;
	pthread_mutex_unlock(&vm->lock);
	return val;
}

/* ---- console ---------------------------------------------------------------- */
static int64_t op_console_write(void *ctx, const void *buf, size_t len)
{
	(void)ctx;
	hcabi__serial_write(buf, len);
	return (int64_t)len;
}

static int64_t op_console_read(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	return hcabi__console_read(buf, len);
}

const struct hcabi_platform_ops hcabi__platform_ops = {
    .mem_read = op_mem_read,
    .mem_write = op_mem_write,
    .mem_release = op_mem_release,
    .vcpu_start = op_vcpu_start,
    .vcpu_block = op_vcpu_block,
    .vcpu_kick = op_vcpu_kick,
    .vcpu_yield = op_vcpu_yield,
    .inject_irq = op_inject_irq,
    .timer_arm = op_timer_arm,
    .timer_cancel = op_timer_cancel,
    .timer_arm_periodic = op_timer_arm_periodic,
    .tlb_flush = op_tlb_flush,
    .clock_monotonic_ns = op_clock_monotonic_ns,
    .clock_wall_ns = op_clock_wall_ns,
    .steal_ns = op_steal_ns,
    .console_write = op_console_write,
    .console_read = op_console_read,
};
