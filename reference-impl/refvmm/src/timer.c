/* SPDX-License-Identifier: MIT */
/*
 * timer.c - the per-vCPU timers of TIME.SET_TIMER and TIME.SET_PERIODIC:
 * one thread, per-vCPU deadline, pthread_cond_timedwait on CLOCK_MONOTONIC
 * (the clock of clock_monotonic_ns); a timer fires only once the clock has
 * reached its deadline. A periodic timer injects at each grid point
 * first + k * period and then moves to the first grid point after the
 * current time, so a late wake-up (a stall) injects once, not a burst, and
 * the grid never drifts; a tick due while the previous one is still pending
 * merges with it in the interrupt controller (an edge vector already set).
 * The thread injects with timer_lock held, so once an arm or a cancel
 * returns, no tick of the timer it replaced comes any more (TIME-042).
 */
#define _GNU_SOURCE
#include "clock.h"
#include "refvmm.h"

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
			struct timespec ts = hcabi__to_ts(next);
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

void hcabi__timer_arm(struct hcabi__vm *vm, struct hcabi__vcpu *t, uint64_t deadline_ns,
		      uint64_t period_ns, uint8_t vector)
{
	pthread_mutex_lock(&vm->timer_lock);
	t->timer_armed = true;
	t->timer_deadline = deadline_ns;
	t->timer_period = period_ns; /* 0: replaces a periodic timer (TIME-042) */
	t->timer_vector = vector;
	pthread_cond_broadcast(&vm->timer_cv);
	pthread_mutex_unlock(&vm->timer_lock);
}

void hcabi__timer_cancel(struct hcabi__vm *vm, struct hcabi__vcpu *t, bool *was_armed)
{
	pthread_mutex_lock(&vm->timer_lock);
	/* a periodic timer is armed until cancelled: 1 (TIME-042) */
	if (was_armed)
		*was_armed = t->timer_armed;
	t->timer_armed = false;
	t->timer_period = 0;
	pthread_mutex_unlock(&vm->timer_lock);
}
