/* SPDX-License-Identifier: MIT */
/*
 * refvmm.h - internal declarations shared by the files of hcabi-refvmm,
 * the reference KVM hypervisor built on libhcabi_ref.
 *
 * Files by concern:
 *   main.c      command line, the VM lifecycle (boot, reboot, exit status)
 *   vm.c        KVM setup (VM, memory, irqchip, Xen hypercall intercept,
 *               CPUID), vCPU threads and their run loop, hypercall exits
 *   pvh.c       ELF64 loader and the PVH direct-boot start info
 *   devices.c   COM1 16550, isa-debug-exit, the serial sink, other ports
 *   platform.c  struct hcabi_platform_ops for the core: guest memory,
 *               interrupts, timers, block/kick, TLB flush, steal, console
 *
 * Locking: vm->lock protects every vCPU's scheduling state (state, kick,
 * wake, flush request/ack counters) and the end-of-VM record; each vCPU
 * waits on its own condition variable with vm->lock. The timer thread has
 * its own lock, taken before vm->lock when both are needed, never after.
 */
#ifndef HCABI_REFVMM_H
#define HCABI_REFVMM_H

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/kvm.h>

#include "hcabi_ref.h"

#define HCABI__PROG "hcabi-refvmm"

/* Exit statuses (docs/internals.md). */
enum {
	HCABI__EXIT_SHUTDOWN = 0,
	HCABI__EXIT_USAGE = 2,
	HCABI__EXIT_HOST = 4,
	HCABI__EXIT_GUEST_FAULT = 6,
	HCABI__EXIT_TIMEOUT = 8,
	HCABI__EXIT_REBOOT = 10,
	HCABI__EXIT_CRASH = 12,
};

/* Highest vCPU count: APIC IDs equal vCPU indexes, and 0xFF is the xAPIC
 * broadcast destination, so the last usable physical APIC ID is 254. */
#define HCABI__MAX_VCPUS 255u
#define HCABI__MAX_RAM (3ull << 30)
#define HCABI__MIN_RAM (1ull << 20)
#define HCABI__MAX_CMDLINE 4095u
#define HCABI__PAGE_SIZE 4096ull

/* ---- options ---------------------------------------------------------- */
struct hcabi__opts {
	uint32_t vcpus;
	uint64_t mem_size;
	const char *serial_path; /* "-" = stdout */
	const char *cmdline;
	uint32_t spec_version; /* 0 = newest */
	double timeout_s;      /* 0 = none */
	bool no_reboot;
	uint64_t serial_limit;
	const char *console_input_path; /* --console-input; NULL: no input */
	const char **faults;
	size_t nfaults;
	/* --extensions: the EIDs to provide (profiles); NULL: all */
	const uint32_t *extensions;
	uint32_t extension_count;
	const char *image_path;
};

/* ---- output ----------------------------------------------------------- */
/* Print "hcabi-refvmm: ..." on stderr unless the VM end message has been
 * printed (it must stay the last line). */
void hcabi__log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hcabi__vlog(const char *fmt, va_list ap);
/* After this, hcabi__log prints nothing more; returns once. */
void hcabi__log_final(const char *msg);

/* ---- the serial sink (devices.c), lives across reboots ---------------- */
int hcabi__serial_open(const char *path, uint64_t limit, const char **err);
/* --console-input: read FILE (at most HCABI__CONSOLE_INPUT_MAX bytes) whole;
 * CONSOLE.READ then returns its bytes in order, each once, across reboots.
 * Without it there is no console input. 0, or -1 with *err. */
#define HCABI__CONSOLE_INPUT_MAX (1u << 20)
int hcabi__console_input_open(const char *path, const char **err);
/* Append guest output; drops what is past the limit. Thread-safe. */
void hcabi__serial_write(const void *buf, size_t len);
void hcabi__serial_flush(void);
/* Console input for CONSOLE.READ: the next bytes of --console-input, never blocking. */
int64_t hcabi__console_read(void *buf, size_t len);

/* ---- the guest image (pvh.c) ------------------------------------------ */
struct hcabi__image {
	uint8_t *data; /* the whole file */
	size_t size;
	uint32_t entry;		  /* XEN_ELFNOTE_PHYS32_ENTRY */
	uint64_t lowest, highest; /* GPA span of the PT_LOAD segments */
};

/* Read and validate an ELF64 PVH image for a guest of ram_size bytes.
 * On error returns -1 with a message in err (size errlen). */
int hcabi__image_load_file(struct hcabi__image *img, const char *path, uint64_t ram_size, char *err,
			   size_t errlen);
/* Validate an image already in memory (used by the loader and the unit
 * test). */
int hcabi__image_parse(struct hcabi__image *img, uint64_t ram_size, char *err, size_t errlen);
void hcabi__image_free(struct hcabi__image *img);
/* Copy the PT_LOAD segments into guest RAM and build the PVH start info
 * (cmdline, E820 memmap). Returns the start info GPA or 0 on error. */
uint64_t hcabi__image_install(const struct hcabi__image *img, uint8_t *ram, uint64_t ram_size,
			      const char *cmdline, char *err, size_t errlen);

/* Size parsing shared by --memory and --serial-limit: decimal with an
 * optional K/M/G suffix (binary multiples). */
bool hcabi__parse_size(const char *s, uint64_t *out);

/* ---- the VM (vm.c) ---------------------------------------------------- */
/* Set by the SIGINT/SIGTERM/SIGHUP handler (main.c): the VM ends with
 * status 128 + signal, output flushed. */
extern volatile sig_atomic_t hcabi__stop_signal;

enum hcabi__vcpu_state {
	HCABI__VCPU_STOPPED = 0, /* parked, its thread waits for start */
	HCABI__VCPU_RUNNING,	 /* runs guest code or handles an exit */
};

struct hcabi__vm;

struct hcabi__vcpu {
	struct hcabi__vm *vm;
	uint32_t index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
	bool exited;	   /* thread ended (vm->lock) */
	pid_t tid;	   /* for steal time */
	pthread_cond_t cv; /* waits with vm->lock */

	/* vm->lock */
	enum hcabi__vcpu_state state;
	bool kick_pending; /* VCPU.KICK remembered */
	bool wake_pending; /* an interrupt was injected */
	uint64_t flush_req, flush_ack;
	/* A vCPU started by VCPU.START waits at this gate (caller index + 1)
	 * until the caller's hypercall has left the core, so that the core's
	 * START transition ends before the new vCPU can make calls. */
	uint32_t gate;
	bool opens_gates; /* this vCPU started another one */

	uint64_t steal_last; /* steal_ns never decreases (vm->lock) */

	/* timer (vm->timer_lock): one-shot (timer_period 0) or periodic
	 * (TIME.SET_PERIODIC: timer_deadline is the next grid point
	 * first + k * period; it stays armed until replaced or cancelled) */
	bool timer_armed;
	uint64_t timer_deadline;
	uint64_t timer_period;
	uint8_t timer_vector;

	struct kvm_lapic_state lapic_init; /* power-on LAPIC, for restart */
	uint64_t apic_base_init;
};

struct hcabi__end {
	bool ended;
	bool reboot;
	int status;
	char msg[256];
};

struct hcabi__vm {
	const struct hcabi__opts *opts;
	const struct hcabi__image *image;
	int kvm_fd;
	int vm_fd;
	size_t run_size;
	uint8_t *ram;
	uint64_t ram_size;
	uint32_t nvcpus;
	struct hcabi__vcpu *vcpus;
	struct hcabi_ref *ref;	  /* owned by main, lives across reboots */
	struct kvm_cpuid2 *cpuid; /* base table, APIC IDs patched per vCPU */
	uint64_t xcr0_init;       /* XCR0 every vCPU starts with, see build_cpuid() */
	uint64_t start_info_gpa;

	pthread_mutex_t lock;
	pthread_cond_t main_cv; /* main thread: end, thread exits */
	struct hcabi__end end;
	volatile int ending; /* mirror of end.ended, read lock-free */

	pthread_mutex_t timer_lock;
	pthread_cond_t timer_cv; /* CLOCK_MONOTONIC */
	pthread_t timer_thread;
	bool timer_started;
	bool timer_stop;
};

/* Check /dev/kvm and its capabilities; -1 + message on failure. Fills the
 * highest vCPU count KVM accepts. */
int hcabi__kvm_probe(uint32_t *max_vcpus, char *err, size_t errlen);

/* Create the core for a VM whose platform context is `vm` (the object must
 * stay at that address for the life of the core) and apply --inject-fault.
 * NULL + err on error (*status: 2 for a bad --inject-fault, else 4). */
struct hcabi_ref *hcabi__core_create(struct hcabi__vm *vm, const struct hcabi__opts *opts,
				     int *status, char *err, size_t errlen);
/* Build a VM from the image and options around an existing core (created
 * by hcabi__core_create with ctx = vm, or reset with hcabi_ref_reset);
 * -1 + err. */
int hcabi__vm_create(struct hcabi__vm *vm, const struct hcabi__opts *opts,
		     const struct hcabi__image *image, struct hcabi_ref *ref, char *err,
		     size_t errlen);
/* Run until the VM ends (or the wall-clock deadline in CLOCK_MONOTONIC ns,
 * 0 = none, passes); fills *end. Stops and joins every thread it started
 * unless that takes too long (then returns false: do not reuse). */
bool hcabi__vm_run(struct hcabi__vm *vm, uint64_t deadline_ns, struct hcabi__end *end);
/* Release the KVM VM, its vCPUs and RAM; the core is kept. */
void hcabi__vm_destroy(struct hcabi__vm *vm);

/* End the VM (first call wins). status < 0 with reboot = true asks for a
 * reboot. Thread-safe. */
void hcabi__vm_end(struct hcabi__vm *vm, int status, bool reboot, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Make the vCPU leave KVM_RUN (signal + immediate_exit) and wake it if it
 * waits; call with vm->lock held. */
void hcabi__vcpu_poke_locked(struct hcabi__vcpu *v);
/* Wake everything that waits on vm->lock (state changes, acks). */
void hcabi__notify_all_locked(struct hcabi__vm *vm);
/* Put vCPU v into the 64-bit state of a VCPU.START boot state. Called with
 * the target parked. 0 or -1 (errno). */
int hcabi__vcpu_setup_long_mode(struct hcabi__vcpu *v, const struct hcabi_vcpu_boot_state *bs);
/* Flush the calling vCPU's own guest TLB (it must not be in KVM_RUN). */
int hcabi__vcpu_flush_tlb_self(struct hcabi__vcpu *v);
/* The vCPU whose thread is calling, or NULL. */
struct hcabi__vcpu *hcabi__current_vcpu(void);

/* ---- devices (devices.c) ---------------------------------------------- */
/* Handle a KVM_EXIT_IO / KVM_EXIT_MMIO of vCPU v. */
void hcabi__handle_io(struct hcabi__vcpu *v);
void hcabi__handle_mmio(struct hcabi__vcpu *v);

/* ---- platform ops (platform.c) ---------------------------------------- */
extern const struct hcabi_platform_ops hcabi__platform_ops;
int hcabi__timer_start(struct hcabi__vm *vm);
void hcabi__timer_stop(struct hcabi__vm *vm);
uint64_t hcabi__now_ns(void);
/* Inject a fixed, edge-triggered interrupt into vCPU `index`'s LAPIC. */
int hcabi__inject_irq(struct hcabi__vm *vm, uint32_t index, uint8_t vector);

#endif /* HCABI_REFVMM_H */
