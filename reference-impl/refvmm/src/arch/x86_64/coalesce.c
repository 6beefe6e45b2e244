/* SPDX-License-Identifier: MIT */
/*
 * coalesce.c - KVM's coalesced port I/O for x86-64 (arch.h, "coalesced
 * writes"): the guest's writes to a registered port range do not exit to
 * refvmm; KVM appends each to a ring in a page shared by the VM's vCPUs and
 * refvmm replays them, oldest first, before it handles the next exit of any
 * vCPU (devices.c decides which range, when, and replays).
 *
 * The KVM side (Documentation/virt/kvm/api.rst, KVM_REGISTER_COALESCED_MMIO;
 * virt/kvm/coalesced_mmio.c, Linux 6.12):
 *  - KVM_CAP_COALESCED_MMIO gives the ring's page offset in a vCPU's mmap
 *    (every vCPU maps the same ring page; refvmm maps the whole
 *    KVM_GET_VCPU_MMAP_SIZE already, so vCPU 0's mapping holds it);
 *    KVM_CAP_COALESCED_PIO says a zone may be on the port bus (pio = 1).
 *  - KVM writes entry `last` and then advances `last` (under its ring lock,
 *    after a write barrier); refvmm reads entries from `first` and advances
 *    `first`. One entry always stays free: with the ring full, KVM refuses
 *    the write and it exits to refvmm as an ordinary KVM_EXIT_IO, which
 *    refvmm handles after replaying the ring: the order holds. An OUTS is
 *    emulated one element at a time (each a separate bus write), so a full
 *    ring makes the element that does not fit exit, never drops it.
 *  - Only writes are collected: reads of the range still exit.
 * Without either capability (or with HCABI_REFVMM_DIAG=nocoalesce, diag.c)
 * nothing is collected and every write exits, as before.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "diag.h"

/* Entries in the ring page (the uapi's KVM_COALESCED_MMIO_MAX, whose
 * PAGE_SIZE userspace does not have: x86-64's is 4 KiB). */
#define RING_PAGE 4096u
#define RING_MAX                                                                                   \
	((uint32_t)((RING_PAGE - sizeof(struct kvm_coalesced_mmio_ring)) /                         \
		    sizeof(struct kvm_coalesced_mmio)))

/* The VM's ring, or NULL when the host has none (then nothing is ever
 * collected). Set once, before the first zone is registered. */
static struct kvm_coalesced_mmio_ring *find_ring(struct hcabi__vm *vm)
{
	struct hcabi__arch_vm *a = vm->arch;
	long page = sysconf(_SC_PAGESIZE);
	int off;

	if (hcabi__diag_no_coalesce() || page != RING_PAGE || !vm->nvcpus || !vm->vcpus[0].arch)
		return NULL;
	if (ioctl(a->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO) <= 0)
		return NULL;
	off = ioctl(a->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);
	if (off <= 0 || ((size_t)off + 1) * RING_PAGE > a->run_size)
		return NULL;
	return (struct kvm_coalesced_mmio_ring *)((uint8_t *)vm->vcpus[0].arch->run +
						  (size_t)off * RING_PAGE);
}

bool hcabi__arch_coalesce(struct hcabi__vm *vm, enum hcabi__bus bus, uint64_t addr,
			  uint32_t size, bool on)
{
	struct hcabi__arch_vm *a = vm->arch;
	struct kvm_coalesced_mmio_zone zone = {.addr = addr, .size = size};

	if (on && !a->own.coalesced_ring) {
		struct kvm_coalesced_mmio_ring *ring = find_ring(vm);
		if (!ring)
			return false;
		/* the vCPU threads read it without a lock (hcabi__arch_coalesced_next) */
		__atomic_store_n(&a->own.coalesced_ring, ring, __ATOMIC_RELEASE);
	}
	if (!a->own.coalesced_ring)
		return false;
	zone.pio = bus == HCABI__BUS_PIO;
	return hcabi__kvm_ioctl(a->vm_fd,
				on ? KVM_REGISTER_COALESCED_MMIO : KVM_UNREGISTER_COALESCED_MMIO,
				&zone) == 0;
}

bool hcabi__arch_coalesced_next(struct hcabi__vm *vm, struct hcabi__io *io)
{
	struct kvm_coalesced_mmio_ring *ring =
	    __atomic_load_n(&vm->arch->own.coalesced_ring, __ATOMIC_ACQUIRE);
	struct kvm_coalesced_mmio *e;
	uint32_t first, last;

	if (!ring)
		return false;
	first = __atomic_load_n(&ring->first, __ATOMIC_ACQUIRE);
	/* acquire: the entry KVM wrote before it advanced `last` */
	last = __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE);
	if (first == last || first >= RING_MAX)
		return false;
	e = &ring->coalesced_mmio[first];
	io->bus = e->pio ? HCABI__BUS_PIO : HCABI__BUS_MMIO;
	io->addr = e->phys_addr;
	io->data = e->data;
	io->size = e->len <= sizeof(e->data) ? e->len : (uint32_t)sizeof(e->data);
	io->count = 1;
	io->write = true;
	return true;
}

void hcabi__arch_coalesced_done(struct hcabi__vm *vm)
{
	struct kvm_coalesced_mmio_ring *ring = vm->arch->own.coalesced_ring;
	uint32_t first = ring->first;

	/* release: the replay (the sink's write) before KVM may reuse the entry,
	 * and before a lock-free reader sees the ring empty */
	__atomic_store_n(&ring->first, (first + 1) % RING_MAX, __ATOMIC_RELEASE);
}
