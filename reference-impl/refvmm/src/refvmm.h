/* SPDX-License-Identifier: MIT */
/*
 * refvmm.h - the architecture-neutral declarations of hcabi-refvmm, the
 * reference KVM hypervisor built on libhcabi_ref (docs/internals.md,
 * "hcabi-refvmm's layout"). Nothing here names KVM or an architecture: what
 * an architecture provides is arch.h, implemented in arch/<arch>/.
 *
 * Files by concern, each using only those below it (and arch/<arch>/):
 *   main.c       the command line and the boot/reboot loop
 *   options.c    option value parsers (sizes)
 *   lifecycle.c  create, run and destroy a VM; the core's creation
 *   vcpu.c       a vCPU's thread, its run loop, the hypercall exit
 *   platform.c   struct hcabi_platform_ops for the core
 *   timer.c      the per-vCPU timers and their thread
 *   devices.c    UART and debug-exit models, the absent rest; they ask for
 *                the VM to end
 *   vmstate.c    scheduling state shared by the threads: end, kick, wake,
 *                TLB-flush requests, interrupt injection
 *   console.c    the serial sink and --console-input
 *   log.c        stderr
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

#include "arch_defs.h"
#include "hcabi_ref.h"

#define HCABI__PROG "hcabi-refvmm"

/* Exit statuses (exit_statuses.def, docs/internals.md). */
enum {
#define HCABI__EXIT_STATUS(name, status, event, text) HCABI__EXIT_##name = status,
#include "exit_statuses.def"
#undef HCABI__EXIT_STATUS
};

#define HCABI__MIN_RAM (1ull << 20)
#define HCABI__MAX_CMDLINE 4095u
#define HCABI__PAGE_SIZE 4096ull

/* ---- options (main.c) ------------------------------------------------- */
struct hcabi__opts {
	uint32_t vcpus;
	uint64_t mem_size;
	const char *serial_path; /* "-" = stdout */
	const char *cmdline;
	const char *initrd_path; /* --initrd; NULL: none */
	uint32_t spec_version; /* 0 = newest */
	double timeout_s;      /* 0 = none */
	double timeout_nmi_s;  /* --timeout-nmi: 0 = none */
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

/* Size parsing shared by --memory and --serial-limit: decimal with an
 * optional K/M/G suffix (binary multiples); options.c. */
bool hcabi__parse_size(const char *s, uint64_t *out);

/* ---- stderr (log.c) --------------------------------------------------- */
/* Print "hcabi-refvmm: ..." on stderr unless the VM end message has been
 * printed (it must stay the last line). */
void hcabi__log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hcabi__vlog(const char *fmt, va_list ap);
/* After this, hcabi__log prints nothing more; returns once. */
void hcabi__log_final(const char *msg);
/* write(2) all of buf, retrying on EINTR; gives up on an error. */
void hcabi__write_all(int fd, const void *buf, size_t len);
/* Format an error message into err (size errlen); returns -1. */
int hcabi__fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Read a whole regular file of at most max bytes (what: the option or
 * role named in errors) into *data, *size; 0, or -1 + err. */
int hcabi__read_whole_file(const char *path, const char *what, uint64_t max, uint8_t **data,
			   size_t *size, char *err, size_t errlen);

/* ---- the serial sink and console input (console.c) -------------------- */
/* Lives across reboots. */
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

/* ---- the VM ------------------------------------------------------------- */
/* Set by the SIGINT/SIGTERM/SIGHUP handler (main.c): the VM ends with
 * status 128 + signal, output flushed. */
extern volatile sig_atomic_t hcabi__stop_signal;

enum hcabi__vcpu_state {
	HCABI__VCPU_STOPPED = 0, /* parked, its thread waits for start */
	HCABI__VCPU_RUNNING,	 /* runs guest code or handles an exit */
};

struct hcabi__vm;
struct hcabi__image;	 /* the guest image, as the backend reads it */
struct hcabi__arch_vm;	 /* the backend's part of a VM */
struct hcabi__arch_vcpu; /* the backend's part of a vCPU */

struct hcabi__vcpu {
	struct hcabi__vm *vm;
	uint32_t index;
	struct hcabi__arch_vcpu *arch;
	pthread_t thread;
	bool thread_started;
	bool exited;	   /* thread ended (vm->lock) */
	pid_t tid;	   /* for steal time */
	pthread_cond_t cv; /* waits with vm->lock */

	/* vm->lock */
	enum hcabi__vcpu_state state;
	bool kick_pending; /* VCPU.KICK remembered */
	bool nmi_req;	   /* --timeout-nmi: look at it from its own thread */
	/* An interrupt was injected while the vCPU was inside BLOCK
	 * (`blocking`); one injected outside is not remembered: the next
	 * BLOCK finds it in the interrupt controller if the guest has not
	 * taken it, and must not end for it if it has (VCPU-060). */
	bool wake_pending;
	bool blocking;
	uint64_t flush_req, flush_ack;
	/* A vCPU started by VCPU.START waits at this gate (caller index + 1)
	 * until the caller's hypercall has left the core, so that the core's
	 * START transition ends before the new vCPU can make calls. */
	uint32_t gate;
	bool opens_gates; /* this vCPU started another one */
	/* HCABI__ARCH_HW_VCPU_START: a vCPU never started yet waits in the
	 * architecture's power-on start state inside the backend's run
	 * (vcpu.c) until VCPU.START or the architecture's own start sequence
	 * starts it; in_hw_wait while its thread is in that run. */
	bool hw_wait;
	bool in_hw_wait;

	uint64_t steal_last; /* steal_ns never decreases (vm->lock) */

	/* timer (vm->timer_lock): one-shot (timer_period 0) or periodic
	 * (TIME.SET_PERIODIC: timer_deadline is the next grid point
	 * first + k * period; it stays armed until replaced or cancelled) */
	bool timer_armed;
	uint64_t timer_deadline;
	uint64_t timer_period;
	uint8_t timer_vector;
};

/* How a VM ended, or a request to end it (first one wins). */
struct hcabi__end {
	bool ended;
	bool reboot;
	int status;
	char msg[256];
};

struct hcabi__vm {
	const struct hcabi__opts *opts;
	const struct hcabi__image *image;
	struct hcabi__arch_vm *arch;
	uint8_t *ram;	   /* guest RAM, mapped by the backend */
	uint64_t ram_base; /* its GPA (HCABI__ARCH_RAM_BASE) */
	uint64_t ram_size;
	uint32_t nvcpus;
	struct hcabi__vcpu *vcpus;
	struct hcabi_ref *ref; /* owned by main, lives across reboots */

	pthread_mutex_t lock;
	pthread_cond_t main_cv; /* main thread: end, thread exits */
	struct hcabi__end end;
	volatile int ending; /* mirror of end.ended, read lock-free */
	/* hcabi__vm_hold: every vCPU thread but the holder's stays out of guest
	 * mode (vm->lock) */
	bool held;
	/* --timeout expired and --timeout-nmi gave the guest time to say where
	 * it hangs: whatever ends the VM now ends it as the timeout. */
	bool timed_out;

	pthread_mutex_t timer_lock;
	pthread_cond_t timer_cv; /* CLOCK_MONOTONIC */
	pthread_t timer_thread;
	bool timer_started;
	bool timer_stop;
};

/* ---- create, run, destroy (lifecycle.c) --------------------------------- */
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
/* Release the VM, its vCPUs and RAM; the core is kept. */
void hcabi__vm_destroy(struct hcabi__vm *vm);

/* ---- a vCPU's thread (vcpu.c) ------------------------------------------- */
/* pthread start routine; arg is the struct hcabi__vcpu. */
void *hcabi__vcpu_thread(void *arg);

/* ---- shared scheduling state (vmstate.c) -------------------------------- */
/* End the VM (first call wins). status < 0 with reboot = true asks for a
 * reboot. Thread-safe. */
void hcabi__vm_end(struct hcabi__vm *vm, int status, bool reboot, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Make the vCPU leave guest mode and wake it if it waits; vm->lock held. */
void hcabi__vcpu_poke_locked(struct hcabi__vcpu *v);
/* Wake everything that waits on vm->lock (state changes, acks). */
void hcabi__notify_all_locked(struct hcabi__vm *vm);
/* Hold every vCPU thread but the caller's out of guest mode, for a backend
 * access to in-kernel state that KVM refuses while any vCPU runs (arm64:
 * the redistributor's registers): waits for another hold to end, then
 * kicks the others; they wait before their next entry until
 * hcabi__vm_release. A vCPU may still be on its way out when this returns:
 * the access retries while KVM says EBUSY. Any thread; vm->lock not held. */
void hcabi__vm_hold(struct hcabi__vm *vm);
void hcabi__vm_release(struct hcabi__vm *vm);
/* Serve the TLB-flush requests aimed at `self` (NULL: none) until none is
 * left or the VM ends; vm->lock held (dropped while flushing). */
void hcabi__serve_flushes_locked(struct hcabi__vcpu *self);
/* Inject a fixed, edge-triggered interrupt into vCPU `index` and end a
 * block it is in. enum hcabi_ref_perr. */
int hcabi__inject_irq(struct hcabi__vm *vm, uint32_t index, uint8_t vector);
/* The vCPU whose thread is calling, or NULL; set by its thread. */
struct hcabi__vcpu *hcabi__current_vcpu(void);
void hcabi__set_current_vcpu(struct hcabi__vcpu *v);

/* ---- devices (devices.c) ------------------------------------------------ */
enum hcabi__bus { HCABI__BUS_PIO, HCABI__BUS_MMIO };

/* One guest access to an address no in-kernel device claimed. */
struct hcabi__io {
	enum hcabi__bus bus;
	uint64_t addr;
	uint8_t *data;	/* size * count bytes: written, or filled for a read */
	uint32_t size;	/* bytes per access: 1, 2, 4 or 8 */
	uint32_t count; /* repeated accesses (string I/O) */
	bool write;
};

/* Serve the access. A device that ends the VM (debug-exit, an MMIO access
 * where nothing is) does not end it itself: it fills *req (req->ended =
 * true) and the caller acts on it. Called on the accessing vCPU's thread. */
void hcabi__device_io(const struct hcabi__io *io, struct hcabi__end *req);
/* Put the devices in their power-on state for a new VM (boot, reboot). */
void hcabi__devices_reset(void);
/* The VM's vCPUs exist: let the platform collect COM1's THR writes where
 * it can (devices.c, "coalesced THR writes"). */
void hcabi__devices_start(struct hcabi__vm *vm);
/* Replay the device writes the platform collected without an exit, in
 * order; before any exit is handled and when the VM ends. Any thread. */
void hcabi__devices_replay(struct hcabi__vm *vm);

/* ---- the core's platform callbacks (platform.c) -------------------------- */
extern const struct hcabi_platform_ops hcabi__platform_ops;

/* ---- timers (timer.c) ------------------------------------------------- */
int hcabi__timer_start(struct hcabi__vm *vm);
void hcabi__timer_stop(struct hcabi__vm *vm);
/* Arm vCPU t's timer: once at deadline_ns (period_ns 0), or on the grid
 * deadline_ns + k * period_ns; replaces what was armed. */
void hcabi__timer_arm(struct hcabi__vm *vm, struct hcabi__vcpu *t, uint64_t deadline_ns,
		      uint64_t period_ns, uint8_t vector);
/* Disarm it; *was_armed (may be NULL) says whether it was armed. */
void hcabi__timer_cancel(struct hcabi__vm *vm, struct hcabi__vcpu *t, bool *was_armed);

#endif /* HCABI_REFVMM_H */
