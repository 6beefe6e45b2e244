/* SPDX-License-Identifier: MIT */
/*
 * arch.h - what every architecture backend of hcabi-refvmm provides
 * (src/arch/<arch>/, one per build: x86_64, arm64). The neutral part calls
 * only these and never sees the backend's structures (struct
 * hcabi__arch_vm, hcabi__arch_vcpu and hcabi__image stay opaque). A
 * backend calls nothing of the neutral part but log.c (hcabi__log,
 * hcabi__fail) and, for a console UART it models itself (arm64's PL011),
 * console.c's hcabi__serial_write, and reads the neutral structures' plain fields (index, ram,
 * ram_size, opts). Besides the functions below, a backend provides
 * arch_defs.h (limits, device addresses).
 *
 * Threads: the _vcpu_ functions that take a running vCPU are called by that
 * vCPU's own thread; vcpu_reset and vcpu_flush_tlb also on a parked vCPU
 * (its thread waits and issues nothing meanwhile); kick and inject_irq from
 * any thread.
 */
#ifndef HCABI_REFVMM_ARCH_H
#define HCABI_REFVMM_ARCH_H

#include "refvmm.h"

/* ---- host and image ------------------------------------------------------ */
/* Can this host run VMs (device, API version, capabilities)? Fills the
 * highest vCPU count it accepts; -1 + err. */
int hcabi__arch_probe(uint32_t *max_vcpus, char *err, size_t errlen);
/* Read and check the guest image, and the initial RAM disk if initrd_path
 * is not NULL (--initrd: the boot protocol's module), for a VM of ram_size
 * bytes; NULL + err. */
struct hcabi__image *hcabi__arch_image_load(const char *path, const char *initrd_path,
					    uint64_t ram_size, char *err, size_t errlen);
void hcabi__arch_image_free(struct hcabi__image *img);

/* The guest-physical RAM of a VM of ram_size bytes, as the boot protocol's
 * memory map and the core's MEM.GET_LAYOUT both give it (MEM-011.6):
 * sorted, not touching; returns how many ranges it wrote. */
uint32_t hcabi__arch_ram_layout(uint64_t ram_size,
				struct hcabi_ref_ram_range out[HCABI__ARCH_MAX_RAM_RANGES]);

/* ---- the VM -------------------------------------------------------------- */
/* Create the VM: guest RAM (sets vm->ram, vm->ram_base, vm->ram_size =
 * opts->mem_size),
 * interrupt controller, the hypercall intercept; vm->arch. -1 + err. */
int hcabi__arch_vm_create(struct hcabi__vm *vm, char *err, size_t errlen);
/* Create vCPU v (v->index, v->vm set); v->arch. -1 + err. */
int hcabi__arch_vcpu_create(struct hcabi__vcpu *v, char *err, size_t errlen);
/* Load the image into RAM with the boot protocol's information (command
 * line, memory map) and put vCPU 0 at its entry. -1 + err. */
int hcabi__arch_boot(struct hcabi__vm *vm, const struct hcabi__image *img, const char *cmdline,
		     char *err, size_t errlen);
/* Release every vCPU's and the VM's resources (no thread uses them). */
void hcabi__arch_vm_destroy(struct hcabi__vm *vm);

/* ---- vCPUs --------------------------------------------------------------- */
/* Put a parked vCPU into a VCPU.START boot state, as after a reset
 * otherwise (VCPU-024). 0 or -1 (errno). */
int hcabi__arch_vcpu_reset(struct hcabi__vcpu *v, const struct hcabi_vcpu_boot_state *bs);
/* Flush the guest TLB of a vCPU that is not running guest code. */
int hcabi__arch_vcpu_flush_tlb(struct hcabi__vcpu *v);
/* Called by v's thread first and last. */
void hcabi__arch_thread_enter(struct hcabi__vcpu *v);
void hcabi__arch_thread_leave(struct hcabi__vcpu *v);
/* Make v leave guest mode soon (or not enter it); any thread, no lock
 * needed. */
void hcabi__arch_vcpu_kick(struct hcabi__vcpu *v);

/* --timeout-nmi, on v's own thread between two runs: if v's guest code runs
 * with interrupts disabled (a vCPU that spins there cannot be interrupted
 * to say where it is), queue an NMI for it (x86: KVM_NMI) and log where it
 * was; a backend without a guest NMI only logs. */
void hcabi__arch_vcpu_nmi_if_masked(struct hcabi__vcpu *v);

/* Log what is known of vCPU v when the VM was ended from outside
 * (--timeout: where its guest code was, its last exits); v's thread has
 * been joined. */
void hcabi__arch_vcpu_report(struct hcabi__vcpu *v);

/* HCABI__ARCH_HW_VCPU_START: has the architecture's own start sequence
 * started v, which waited in its power-on state (x86: INIT and SIPI took
 * it out of KVM's wait-for-SIPI)? v's own thread. */
bool hcabi__arch_vcpu_hw_started(struct hcabi__vcpu *v);

/* What a run of guest code ended with, decoded (neutral). */
enum hcabi__event {
	HCABI__EV_NONE,	     /* nothing to do: run again */
	HCABI__EV_IO,	     /* io: an access to serve (devices.c) */
	HCABI__EV_HCALL,     /* call: a hypercall; answer with arch_hcall_return */
	HCABI__EV_FAULT,      /* what: the guest faulted; the VM ends (status 6) */
	HCABI__EV_HOST_ERROR, /* what: the host failed; the VM ends (status 4) */
	HCABI__EV_END	      /* end: the platform ends the VM (arm64: PSCI SYSTEM_OFF) */
};

struct hcabi__exit {
	enum hcabi__event event;
	struct hcabi__io io;
	struct hcabi_ref_call call;
	struct hcabi__end end;
	char what[200];
};

/* Run v's guest code until something needs the VMM; fills *ex. */
void hcabi__arch_vcpu_run(struct hcabi__vcpu *v, struct hcabi__exit *ex);
/* Answer the hypercall of the last EV_HCALL as the core decided: RESUME
 * (status, value, test clobbers), RAISE_UD (the binding's #UD), STOP_VCPU
 * (status; the vCPU is left ready to start again). 0, or -1 + err. */
int hcabi__arch_hcall_return(struct hcabi__vcpu *v, const struct hcabi_ref_ret *ret, char *err,
			     size_t errlen);

/* ---- devices ------------------------------------------------------------- */
/* Serve an access to one of the backend's own devices (x86-64: the CMOS
 * RTC and the keyboard controller's reset line, pcports.c); false when none
 * is there. A device that resets the machine fills *req (ended, reboot or,
 * with --no-reboot, status 10). Called by devices.c on the accessing vCPU's
 * thread, with req->ended already false. */
bool hcabi__arch_device_io(const struct hcabi__io *io, struct hcabi__end *req);

/* ---- coalesced writes --------------------------------------------------- */
/* Writes the platform collects without an exit, for the neutral part to
 * replay in order before it handles any exit (devices.c; x86-64: KVM's
 * coalesced port I/O, coalesce.c). Collect the guest's writes that fall
 * wholly within [addr, addr + size) on `bus` from now on (on), or let them
 * exit again (off; what was collected stays to be taken). false when the
 * platform cannot: then every such write exits, as without this. Called
 * with the caller's replay lock held; any thread. */
bool hcabi__arch_coalesce(struct hcabi__vm *vm, enum hcabi__bus bus, uint64_t addr,
			  uint32_t size, bool on);
/* The oldest collected write not yet replayed, in *io (a write, count 1;
 * io->data valid until hcabi__arch_coalesced_done); false when none is
 * left. Lock-free and cheap (every exit asks). */
bool hcabi__arch_coalesced_next(struct hcabi__vm *vm, struct hcabi__io *io);
/* The write hcabi__arch_coalesced_next gave has been replayed: drop it. Only
 * after the replay, so that a caller that finds nothing left knows every
 * write collected before has been replayed. */
void hcabi__arch_coalesced_done(struct hcabi__vm *vm);

/* ---- interrupts ---------------------------------------------------------- */
/* Raise `vector` at vCPU `index` in the interrupt controller. enum
 * hcabi_ref_perr (a vector the guest's controller refuses is POK). */
int hcabi__arch_inject_irq(struct hcabi__vm *vm, uint32_t index, uint8_t vector);
/* Drive interrupt line `irq` of the platform's interrupt controllers (a
 * device's wire: x86's ISA IRQs into the PIC and I/O APIC) to `level`.
 * 0, or -1 (errno). */
int hcabi__arch_irq_line(struct hcabi__vm *vm, uint32_t irq, bool level);
/* Is an interrupt pending for v (own thread only)? */
bool hcabi__arch_irq_pending(struct hcabi__vcpu *v);

#endif
