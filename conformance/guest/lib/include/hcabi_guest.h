/* SPDX-License-Identifier: MIT */
/*
 * hcabi_guest.h - the conformance guest runtime: the few libc pieces a
 * freestanding kernel needs, console output, the serial result protocol,
 * discovery, SMP and synchronisation, and the ways an image ends.
 *
 * Guest code includes only this, hcabi_arch.h (and its architecture's
 * header), hcabi_test.h and abi.h: never a host header.
 */
#ifndef HCABI_GUEST_H
#define HCABI_GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi.h"
#include "hcabi_arch.h"

#define HCABI_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define HCABI_NORETURN __attribute__((noreturn))
#define HCABI_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* ---- libc ---- */
void *memset(void *s, int c, size_t n);
void *memcpy(void *restrict d, const void *restrict s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
void *memchr(const void *s, int c, size_t n);

/* printf-like formatting: %s %c %d %i %u %x %X %p %%, with flags '-' '0',
 * width and precision (also '*'), and length modifiers hh h l ll z. */
int hcabi_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int hcabi_snprintf(char *buf, size_t size, const char *fmt, ...) HCABI_PRINTF(3, 4);

/* CRC-32 as zlib's crc32 (IEEE 802.3, reflected polynomial 0xEDB88320). */
uint32_t hcabi_crc32(uint32_t crc, const void *data, size_t len);

/* SHA-256 and HMAC-SHA256 (sha256.c): the protocol lines' MAC. */
struct hcabi_sha256 {
	uint32_t h[8];
	uint64_t len;
	size_t fill;
	uint8_t buf[64];
};
void hcabi_sha256_init(struct hcabi_sha256 *s);
void hcabi_sha256_update(struct hcabi_sha256 *s, const void *data, size_t len);
void hcabi_sha256_final(struct hcabi_sha256 *s, uint8_t out[32]);
void hcabi_sha256(const void *data, size_t len, uint8_t out[32]);
/* HMAC keeps the keyed inner and outer states: a MAC costs the data's blocks
 * plus two. */
struct hcabi_hmac {
	struct hcabi_sha256 inner, outer;
};
void hcabi_hmac_sha256_key(struct hcabi_hmac *h, const void *key, size_t len);
void hcabi_hmac_sha256(const struct hcabi_hmac *h, const void *data, size_t len, uint8_t out[32]);
/* SHA-256("abc") against FIPS 180-2's known answer. */
bool hcabi_sha256_self_check(void);

/* ---- console (the architecture's serial port, hcabi_arch.h) ---- */
/* Free-form log text (not a protocol line); a newline is added. */
void hcabi_printf(const char *fmt, ...) HCABI_PRINTF(1, 2);
void hcabi_vprintf(const char *fmt, va_list ap);
/* One protocol line: "@hcabi SEQ " + the formatted body + " ~MAC #CRC\n"
 * (docs/internals.md). Control characters in the body become '?'. The
 * sequence number is taken under the console lock, so lines of different
 * vCPUs never share or swap numbers. Thread- and interrupt-safe. */
void hcabi_proto(const char *fmt, ...) HCABI_PRINTF(1, 2);
/* The first protocol line of an image: `hello image=NAME protocol=2
 * nonce=HEX|-` (sequence 0). */
void hcabi_hello(const char *image);
/* This boot's nonce from the command line (hcabi.nonce=), or "-". */
const char *hcabi_nonce(void);
/* console_data.c: n bytes of the console data-path stream LABEL, derived
 * from this boot's line key (docs/internals.md, "Console data paths"). */
void hcabi_console_bytes(const char *label, uint8_t *out, size_t n);

/* ---- the boot command line (cmdline.c): NAME=VALUE words ---- */
/* The value of the first NAME= word of the command line (it ends at a
 * space or the end of the string), or NULL when there is none. */
const char *hcabi_cmdline_value(const char *name);
/* An unsigned decimal that ends at a space or the end of the string into
 * *v; false (and *v untouched) if s is NULL or not one, or it overflows. */
bool hcabi_parse_u64(const char *s, uint64_t *v);
/* The unsigned decimal value of the first NAME= word of the command line,
 * or -1 (none, not a number, or above 10^9). */
long long hcabi_cmdline_number(const char *name);

/* ---- how an image ends ---- */
/* The platform's debug-exit device with value v (x86-64: isa-debug-exit,
 * QEMU/refvmm exit status (v << 1) | 1); if that does nothing,
 * SYSTEM.SHUTDOWN when HCABI and SYSTEM are present; finally halt forever. */
HCABI_NORETURN void hcabi_exit(uint8_t value);
/* Exit values the runtime itself uses. */
#define HCABI_EXIT_OK 0u
#define HCABI_EXIT_FATAL 0x7fu /* the runtime hit an error outside any test */

/* ---- the boot ---- */
/* Called by the runtime on vCPU 0 once the CPU is set up (hcabi_arch.h,
 * "boot and entry"). The test framework provides it; the smoke, stress and
 * bench guests provide their own. */
void hcabi_main(void);

/* ---- discovery ---- */
#define HCABI_NUM_EXTENSIONS 0u HCABI_FOREACH_EXTENSION(HCABI__COUNT_EXT)
#define HCABI__COUNT_EXT(name, eid, since) +1u
struct hcabi_discovery {
	bool present;	     /* the HCABI signature was found */
	uint32_t base;	     /* where it was found (x86-64: CPUID base B) */
	uint32_t max_leaf;   /* x86-64: CPUID B: EAX */
	char signature[13];  /* the implementation's signature (x86-64: B: EBX ECX EDX) */
	int64_t spec_status; /* GET_SPEC_VERSION status */
	uint32_t spec;	     /* exposed version (major << 16) | minor, 0 if unknown */
	uint64_t impl_id, impl_version;
	uint64_t ext_version[HCABI_NUM_EXTENSIONS]; /* PROBE_EXTENSION, in HCABI_FOREACH_EXTENSION
						       order */
};
/* Search for HCABI (hcabi_arch_find_hcabi); with the signature found, call
 * GET_SPEC_VERSION, GET_IMPL_ID, GET_IMPL_VERSION and PROBE_EXTENSION of
 * every extension.
 * Without it, no hypercall is made. Prints the discovery protocol line. */
void hcabi_run_discovery(void);
extern struct hcabi_discovery hcabi_disc;
/* The discovered version of extension eid, 0 if absent (or HCABI absent). */
uint64_t hcabi_ext_version(uint32_t eid);
bool hcabi_has_ext(uint32_t eid);
/* Name of a registry extension ("TIME"), or NULL. */
const char *hcabi_ext_name(uint32_t eid);
/* EID of a registry extension name, or -1. */
int64_t hcabi_ext_eid(const char *name, size_t len);
/* Name of a status ("INVALID_PARAM"), or "?". */
const char *hcabi_status_name(int64_t status);

/* ---- time (TIME.GET_MONOTONIC; 0 when TIME is absent) ---- */
uint64_t hcabi_now_ns(void);
#define HCABI_MS(x) ((uint64_t)(x)*1000000ull)
#define HCABI_SEC(x) ((uint64_t)(x)*1000000000ull)

/* ---- atomics and locks ---- */
#define hcabi_atomic_load(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define hcabi_atomic_store(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define hcabi_atomic_add(p, v) __atomic_add_fetch((p), (v), __ATOMIC_SEQ_CST)
#define hcabi_atomic_xchg(p, v) __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#define hcabi_atomic_cas(p, expp, v)                                                               \
	__atomic_compare_exchange_n((p), (expp), (v), false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)

struct hcabi_spinlock {
	volatile int locked;
};
void hcabi_spin_lock(struct hcabi_spinlock *l);
void hcabi_spin_unlock(struct hcabi_spinlock *l);
/* With interrupts disabled while held; returns the saved flags. */
uint64_t hcabi_spin_lock_irqsave(struct hcabi_spinlock *l);
void hcabi_spin_unlock_irqrestore(struct hcabi_spinlock *l, uint64_t flags);

/* ---- SMP (needs VCPU: START, GET_COUNT, GET_STATUS) ---- */
/* Number of vCPUs (VCPU.GET_COUNT; 1 when VCPU is absent). */
unsigned hcabi_smp_count(void);
/* Start vCPU cpu (1 .. hcabi_smp_count() - 1) with VCPU.START: it sets
 * itself up as vCPU 0 was (descriptor tables, FPU/SIMD, interrupt
 * controller), then runs fn(arg) and stops itself (VCPU.STOP). Returns the START status (HCABI_SUCCESS when started). */
int64_t hcabi_smp_start(unsigned cpu, void (*fn)(void *), void *arg);
/* Wait (up to timeout_ns of monotonic time) until the task started on cpu
 * has returned and the vCPU has stopped. Returns true if it did; false on
 * timeout (the caller reports an error). */
bool hcabi_smp_wait(unsigned cpu, uint64_t timeout_ns);
/* Whether the last task on cpu ended by an unexpected exception. */
bool hcabi_smp_task_failed(unsigned cpu);

#endif /* HCABI_GUEST_H */
