/* SPDX-License-Identifier: MIT */
/*
 * lock.c - spinlocks, and the console lock that serialises whole lines
 * between vCPUs.
 *
 * The console lock is taken with interrupts disabled and is recursive on
 * the vCPU that holds it, so an exception raised while printing can still
 * print its report.
 */
#include "hcabi_guest.h"
#include "hcabi_internal.h"

static volatile int console_owner = -1;
static int console_depth;

void hcabi_spin_lock(struct hcabi_spinlock *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			hcabi_pause();
}

void hcabi_spin_unlock(struct hcabi_spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

uint64_t hcabi_spin_lock_irqsave(struct hcabi_spinlock *l)
{
	uint64_t f = hcabi_irq_save();
	hcabi_spin_lock(l);
	return f;
}

void hcabi_spin_unlock_irqrestore(struct hcabi_spinlock *l, uint64_t flags)
{
	hcabi_spin_unlock(l);
	hcabi_irq_restore(flags);
}

void hcabi__console_lock(uint64_t *flags)
{
	int me = (int)hcabi_cpu_index();
	*flags = hcabi_irq_save();
	if (__atomic_load_n(&console_owner, __ATOMIC_ACQUIRE) == me) {
		console_depth++;
		return;
	}
	for (;;) {
		int expected = -1;
		if (__atomic_compare_exchange_n(&console_owner, &expected, me, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			break;
		hcabi_pause();
	}
	console_depth = 1;
}

void hcabi__console_unlock(uint64_t flags)
{
	if (--console_depth == 0)
		__atomic_store_n(&console_owner, -1, __ATOMIC_RELEASE);
	hcabi_irq_restore(flags);
}
