/* SPDX-License-Identifier: MIT */
/*
 * hcabi_internal.h - what the files of the guest runtime share and tests
 * do not use.
 */
#ifndef HCABI_INTERNAL_H
#define HCABI_INTERNAL_H

#include "hcabi_guest.h"

extern struct hcabi_cpu hcabi__cpus[HCABI_MAX_CPUS];

/* percpu.c: fill vCPU index's per-vCPU block (its stack) before it runs */
struct hcabi_cpu *hcabi__cpu_prepare(unsigned index);
/* cpu.c: everything a vCPU sets up for itself (x86-64: its interrupt
 * stacks and TSS; descriptor tables, FPU/SIMD, the interrupt controller) */
void hcabi__cpu_init(struct hcabi_cpu *c);

/* paging.c */
void hcabi__paging_init(void);

/* entry.S / boot.S */
void hcabi__ap_entry(void);
HCABI_NORETURN void hcabi__enter_user(uint64_t (*fn)(uint64_t), uint64_t arg, uint64_t rsp,
				      uint64_t rflags);

/* traps.c: every exception and interrupt entry, with the frame its
 * entry code saved (entry.S); the self-tests call it with a frame of their
 * own to play an entry the platform makes only by fault */
void hcabi__trap(struct hcabi_frame *f);

/* start.c: the neutral runtime on vCPU 0 once the CPU is set up (never
 * returns) */
HCABI_NORETURN void hcabi__start(void);

/* smp.c: the C entry of a started vCPU */
void hcabi__ap_main(struct hcabi_cpu *c);
enum hcabi__task_state {
	HCABI__TASK_IDLE = 0, /* never started, or stopped and waited for */
	HCABI__TASK_STARTING, /* VCPU.START called */
	HCABI__TASK_RUNNING,  /* the task function runs */
	HCABI__TASK_DONE,     /* the task returned; the vCPU is stopping */
};
/* smp.c: vCPU cpu's per-vCPU block made ready to run fn(arg) once started
 * (HCABI__TASK_STARTING); and, for a task started without HCABI (the
 * self-tests' PSCI CPU_ON, SBI HSM hart_start), the wait (up to
 * timeout_ns) until fn has returned, after which the vCPU, halted for
 * good, counts as idle */
struct hcabi_cpu *hcabi__task_prepare(unsigned cpu, void (*fn)(void *), void *arg);
bool hcabi__task_wait_done(unsigned cpu, uint64_t timeout_ns);

/* Hooks the test framework provides (weak defaults in trapstate.c): an
 * unexpected exception (message ready; the runtime then resumes at the
 * vCPU's abort context, or ends the image when there is none) and an
 * interrupt on a vector no handler is registered for. */
void hcabi__on_unexpected_exception(const char *msg);
void hcabi__on_unexpected_irq(unsigned cpu, unsigned vector);

/* trapstate.c: the handler registered for an interrupt vector (NULL:
 * none), and whether deliveries into interrupts-off code are counted as
 * replays instead of being handled (hcabi_irq_filter_replays) */
hcabi_irq_handler hcabi__irq_handler(unsigned vector);
bool hcabi__irq_filter_replays(void);

/* evidence.c: read the nonce, derive the line key (before any protocol
 * line; false if SHA-256 fails its known-answer check); the 16-hex-digit
 * MAC of one line */
bool hcabi__evidence_init(void);
void hcabi__line_mac(const char *line, size_t len, char out[17]);

/* lock.c: the console lock (recursive on the vCPU holding it, interrupts
 * disabled) */
void hcabi__console_lock(uint64_t *flags);
void hcabi__console_unlock(uint64_t flags);

/* checks.c: the record of the running test, which framework.c starts,
 * reads and ends (cur = NULL between tests) */
#define HCABI__REASON_MAX 240
#define HCABI__NEEDS_MAX 120
struct hcabi_test;
struct hcabi__test_record {
	struct hcabi_spinlock lock;
	const struct hcabi_test *cur;
	unsigned checks, fails;
	bool skipped, errored;
	char reason[HCABI__REASON_MAX];
	char needs[HCABI__NEEDS_MAX]; /* extensions it needed and found not advertised */
};
extern struct hcabi__test_record hcabi__rec;
/* An error of the running test (the test or its environment is broken). */
void hcabi__test_error(const char *fmt, ...) HCABI_PRINTF(1, 2);
/* A requirement a helper checks on the test's behalf, shown passing once
 * per test (the bit: which one). */
enum {
	HCABI__SHOWN_VALUE_ZERO = 1u << 0,
	HCABI__SHOWN_VCPU_START = 1u << 1,
	HCABI__SHOWN_VCPU_STOP = 1u << 2,
};
void hcabi__show_pass_once(unsigned bit, const char *req, const char *text);
/* Remember that the test needed extension `name` (len chars), not
 * advertised (test-end's needs=). */
void hcabi__note_need(const char *name, size_t len);

#endif /* HCABI_INTERNAL_H */
