/* SPDX-License-Identifier: MIT */
/*
 * platform.c - struct hcabi_platform_ops of hcabi-refvmm: what the core
 * needs from the VMM, on KVM.
 *
 *  - guest memory: one private anonymous mapping, GPA 0 .. --memory; every
 *    range is checked without overflow; MEM.RELEASE is madvise(DONTNEED),
 *    after which KVM's MMU notifier drops the mappings and pages read zero;
 *  - interrupts: KVM_SIGNAL_MSI, fixed delivery, physical destination =
 *    APIC ID = vCPU index; KVM sets the IRR before the ioctl returns;
 *  - timers: one thread, per-vCPU deadline, pthread_cond_timedwait on
 *    CLOCK_MONOTONIC (the clock of clock_monotonic_ns); a timer fires only
 *    once the clock has reached its deadline. A periodic timer
 *    (TIME.SET_PERIODIC) injects at each grid point first + k * period and
 *    then moves to the first grid point after the current time, so a late
 *    wake-up (a stall) injects once, not a burst, and the grid never
 *    drifts; a tick due while the previous one is still pending in the IRR
 *    merges with it in KVM's LAPIC (an edge vector already set in IRR);
 *  - block/kick: the vCPU thread waits on its condition variable; a kick
 *    and an injected interrupt are remembered until the next block, which
 *    they end at once; an interrupt found pending in the LAPIC IRR (other
 *    sources: the guest's own IPIs; checked at the start and every 10 ms)
 *    ends it too;
 *  - TLB flush: the target thread is kicked out of KVM_RUN, flushes its own
 *    TLB (see hcabi__vcpu_flush_tlb_self) and acknowledges; the caller
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
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "refvmm.h"

uint64_t hcabi__now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct timespec to_ts(uint64_t ns)
{
	struct timespec ts;
	ts.tv_sec = (time_t)(ns / 1000000000ull);
	ts.tv_nsec = (long)(ns % 1000000000ull);
	return ts;
}

static bool in_ram(const struct hcabi__vm *vm, uint64_t gpa, uint64_t len)
{
	return gpa <= vm->ram_size && len <= vm->ram_size - gpa;
}

/* ---- memory ----------------------------------------------------------------- */
static int op_mem_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	struct hcabi__vm *vm = ctx;
	if (!in_ram(vm, gpa, len))
		return HCABI_REF_PERR_FAULT;
	if (len)
		memcpy(dst, vm->ram + gpa, len);
	return HCABI_REF_POK;
}

static int op_mem_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	struct hcabi__vm *vm = ctx;
	if (!in_ram(vm, gpa, len))
		return HCABI_REF_PERR_FAULT;
	if (len)
		memcpy(vm->ram + gpa, src, len);
	return HCABI_REF_POK;
}

static int op_mem_release(void *ctx, uint64_t gpa, uint64_t npages)
{
	struct hcabi__vm *vm = ctx;
	uint64_t len;
	if (gpa % HCABI__PAGE_SIZE || npages > UINT64_MAX / HCABI__PAGE_SIZE)
		return HCABI_REF_PERR_FAULT;
	len = npages * HCABI__PAGE_SIZE;
	if (!in_ram(vm, gpa, len))
		return HCABI_REF_PERR_FAULT;
	if (len && madvise(vm->ram + gpa, len, MADV_DONTNEED) != 0)
		return HCABI_REF_PERR_HOST;
	return HCABI_REF_POK;
}

/* ---- vCPU control -------------------------------------------------------------- */
static struct hcabi__vcpu *vcpu_of(struct hcabi__vm *vm, uint32_t index)
{
	return index < vm->nvcpus ? &vm->vcpus[index] : NULL;
}

/* Serve flush requests aimed at `self` while it waits for something else
 * (two vCPUs flushing each other must not deadlock). vm->lock held. */
static void serve_self_locked(struct hcabi__vm *vm, struct hcabi__vcpu *self)
{
	while (self && !vm->ending && self->flush_req != self->flush_ack) {
		uint64_t seq = self->flush_req;
		pthread_mutex_unlock(&vm->lock);
		(void)hcabi__vcpu_flush_tlb_self(self);
		pthread_mutex_lock(&vm->lock);
		self->flush_ack = seq;
		hcabi__notify_all_locked(vm);
	}
}

/* Wait on the caller's condition variable (or the main one for a thread
 * that is not a vCPU) until `deadline`; vm->lock held. */
static void wait_locked(struct hcabi__vm *vm, struct hcabi__vcpu *self, uint64_t deadline)
{
	struct timespec ts = to_ts(deadline);
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
		serve_self_locked(vm, self);
		wait_locked(vm, self, hcabi__now_ns() + 10000000ull);
	}
	if (vm->ending) {
		pthread_mutex_unlock(&vm->lock);
		return HCABI_REF_PERR_STATE;
	}
	pthread_mutex_unlock(&vm->lock);

	/* The target thread is parked and issues no ioctl until it is woken. */
	r = hcabi__vcpu_setup_long_mode(t, bs);
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

/* Is an interrupt pending in the vCPU's LAPIC IRR? Own thread only. */
static bool irr_pending(struct hcabi__vcpu *v)
{
	struct kvm_lapic_state ls;
	if (ioctl(v->fd, KVM_GET_LAPIC, &ls) < 0)
		return false;
	for (unsigned i = 0; i < 8; i++) {
		uint32_t irr;
		memcpy(&irr, &ls.regs[0x200 + 0x10 * i], 4);
		if (irr)
			return true;
	}
	return false;
}

/* 1: woken (a kick or an interrupt, remembered or new, or one found
 * pending in the LAPIC); 0: deadline reached with nothing pending. */
static int op_vcpu_block(void *ctx, uint32_t index, uint64_t deadline_ns)
{
	struct hcabi__vm *vm = ctx;
	struct hcabi__vcpu *t = vcpu_of(vm, index);
	struct hcabi__vcpu *self = hcabi__current_vcpu();
	int woken = 0;

	if (!t)
		return HCABI_REF_PERR_STATE;
	pthread_mutex_lock(&vm->lock);
	if (t->kick_pending || t->wake_pending) {
		t->kick_pending = false;
		t->wake_pending = false;
		pthread_mutex_unlock(&vm->lock);
		return 1;
	}
	pthread_mutex_unlock(&vm->lock);
	/* Interrupts from elsewhere (the guest's own LAPIC IPIs) end it too. */
	if (t == self && irr_pending(t))
		return 1;

	pthread_mutex_lock(&vm->lock);
	for (;;) {
		uint64_t now, until;
		if (vm->ending) {
			woken = 1;
			break;
		}
		if (t->kick_pending || t->wake_pending) {
			t->kick_pending = false;
			t->wake_pending = false;
			woken = 1;
			break;
		}
		if (t->flush_req != t->flush_ack && t == self) {
			serve_self_locked(vm, self);
			continue;
		}
		now = hcabi__now_ns();
		if (now >= deadline_ns)
			break;
		until = now + 10000000ull; /* re-check the IRR every 10 ms */
		if (deadline_ns < until)
			until = deadline_ns;
		{
			struct timespec ts = to_ts(until);
			int r = pthread_cond_timedwait(&t->cv, &vm->lock, &ts);
			if (r == ETIMEDOUT && t == self && hcabi__now_ns() < deadline_ns) {
				bool p;
				pthread_mutex_unlock(&vm->lock);
				p = irr_pending(t);
				pthread_mutex_lock(&vm->lock);
				if (p) {
					woken = 1;
					break;
				}
			}
		}
	}
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
int hcabi__inject_irq(struct hcabi__vm *vm, uint32_t index, uint8_t vector)
{
	struct hcabi__vcpu *t = vcpu_of(vm, index);
	struct kvm_msi msi;
	int r;

	if (!t)
		return HCABI_REF_PERR_STATE;
	memset(&msi, 0, sizeof(msi));
	/* physical destination mode, no redirection hint */
	msi.address_lo = 0xfee00000u | (index << 12);
	msi.address_hi = 0;
	/* fixed delivery, edge, assert */
	msi.data = vector | (1u << 14);
	do {
		r = ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi);
	} while (r < 0 && errno == EINTR);
	/* r > 0: delivered; 0: coalesced or refused by the LAPIC (e.g. the
	 * guest disabled it); -1/EPERM: no LAPIC matched. The guest's
	 * configuration decides those, as on hardware. */
	if (r < 0 && errno != EPERM)
		return HCABI_REF_PERR_HOST;
	pthread_mutex_lock(&vm->lock);
	t->wake_pending = true;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&vm->lock);
	return HCABI_REF_POK;
}

static int op_inject_irq(void *ctx, uint32_t index, uint8_t vector)
{
	return hcabi__inject_irq(ctx, index, vector);
}

/* ---- timers -------------------------------------------------------------------- */

/* The first point of the grid deadline + k * period (k >= 1) after now,
 * given deadline <= now and period > 0; UINT64_MAX (never) when it lies
 * beyond 2^64 - 1, where the grid ends. */
static uint64_t next_grid_point(uint64_t deadline, uint64_t period, uint64_t now)
{
	uint64_t k = (now - deadline) / period + 1;
	if (k > (UINT64_MAX - deadline) / period)
		return UINT64_MAX;
	return deadline + k * period;
}

static void *timer_thread(void *arg)
{
	struct hcabi__vm *vm = arg;

	pthread_mutex_lock(&vm->timer_lock);
	while (!vm->timer_stop) {
		uint64_t now = hcabi__now_ns();
		uint64_t next = UINT64_MAX;
		for (uint32_t i = 0; i < vm->nvcpus; i++) {
			struct hcabi__vcpu *v = &vm->vcpus[i];
			if (!v->timer_armed)
				continue;
			if (v->timer_deadline <= now) {
				(void)hcabi__inject_irq(vm, i, v->timer_vector);
				if (!v->timer_period) {
					v->timer_armed = false;
					continue;
				}
				/* TIME-041: the next grid point after now; the
				 * ones passed meanwhile merge into this injection */
				v->timer_deadline =
				    next_grid_point(v->timer_deadline, v->timer_period, now);
			}
			if (v->timer_deadline < next)
				next = v->timer_deadline;
		}
		if (next == UINT64_MAX) {
			pthread_cond_wait(&vm->timer_cv, &vm->timer_lock);
		} else {
			struct timespec ts = to_ts(next);
			pthread_cond_timedwait(&vm->timer_cv, &vm->timer_lock, &ts);
		}
	}
	pthread_mutex_unlock(&vm->timer_lock);
	return NULL;
}

int hcabi__timer_start(struct hcabi__vm *vm)
{
	vm->timer_stop = false;
	if (pthread_create(&vm->timer_thread, NULL, timer_thread, vm) != 0)
		return -1;
	vm->timer_started = true;
	return 0;
}

void hcabi__timer_stop(struct hcabi__vm *vm)
{
	if (!vm->timer_started)
		return;
	pthread_mutex_lock(&vm->timer_lock);
	vm->timer_stop = true;
	pthread_cond_broadcast(&vm->timer_cv);
	pthread_mutex_unlock(&vm->timer_lock);
	pthread_join(vm->timer_thread, NULL);
	vm->timer_started = false;
}

static int op_timer_arm(void *ctx, uint32_t index, uint64_t deadline_ns, uint8_t vector)
{
	struct hcabi__vm *vm = ctx;
	struct hcabi__vcpu *t = vcpu_of(vm, index);
	if (!t)
		return HCABI_REF_PERR_STATE;
	pthread_mutex_lock(&vm->timer_lock);
	t->timer_armed = true;
	t->timer_deadline = deadline_ns;
	t->timer_period = 0; /* replaces a periodic timer (TIME-042) */
	t->timer_vector = vector;
	pthread_cond_broadcast(&vm->timer_cv);
	pthread_mutex_unlock(&vm->timer_lock);
	return HCABI_REF_POK;
}

/* TIME.SET_PERIODIC (the core validated vector and period, TIME-040): the
 * same per-vCPU timer, armed on the grid first + k * period. The timer
 * thread injects with timer_lock held, so once this returns no tick of the
 * timer it replaced comes any more (TIME-042). */
static int op_timer_arm_periodic(void *ctx, uint32_t index, uint64_t first_ns, uint64_t period_ns,
				 uint8_t vector)
{
	struct hcabi__vm *vm = ctx;
	struct hcabi__vcpu *t = vcpu_of(vm, index);
	if (!t)
		return HCABI_REF_PERR_STATE;
	if (period_ns == 0)
		return HCABI_REF_PERR_HOST; /* never from the core */
	pthread_mutex_lock(&vm->timer_lock);
	t->timer_armed = true;
	t->timer_deadline = first_ns;
	t->timer_period = period_ns;
	t->timer_vector = vector;
	pthread_cond_broadcast(&vm->timer_cv);
	pthread_mutex_unlock(&vm->timer_lock);
	return HCABI_REF_POK;
}

static int op_timer_cancel(void *ctx, uint32_t index, bool *was_pending)
{
	struct hcabi__vm *vm = ctx;
	struct hcabi__vcpu *t = vcpu_of(vm, index);
	if (!t)
		return HCABI_REF_PERR_STATE;
	pthread_mutex_lock(&vm->timer_lock);
	/* a periodic timer is armed until cancelled: 1 (TIME-042); the timer
	 * thread injects only with timer_lock held, so nothing comes after
	 * this returns */
	if (was_pending)
		*was_pending = t->timer_armed;
	t->timer_armed = false;
	t->timer_period = 0;
	pthread_mutex_unlock(&vm->timer_lock);
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
		return hcabi__vcpu_flush_tlb_self(t) == 0 ? HCABI_REF_POK : HCABI_REF_PERR_HOST;

	pthread_mutex_lock(&vm->lock);
	if (t->state == HCABI__VCPU_STOPPED) {
		/* nothing cached that it could use: a start flushes anyway */
		pthread_mutex_unlock(&vm->lock);
		return HCABI_REF_POK;
	}
	seq = ++t->flush_req;
	hcabi__vcpu_poke_locked(t);
	while (!vm->ending && t->state != HCABI__VCPU_STOPPED && t->flush_ack < seq) {
		serve_self_locked(vm, self);
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
