/* SPDX-License-Identifier: MIT */
/*
 * harness.h - what every check_<unit>.c shares: a fixture (the core over the
 * fake platform), call helpers that check the binding's invariants on every
 * call, and the status-pair recorder behind the status-coverage test.
 *
 * Status coverage: every call's (function, status) is recorded through the
 * core's trace hook; each process appends the pairs it has not yet written
 * to the file named by $HCABI_STATUS_PAIRS (one "FID STATUS d|b" line per
 * pair, O_APPEND, so Check's forked children add to the same file). The
 * suite's main truncates the file first. A CTest test (status_coverage.c)
 * then checks the union of every suite's file.
 */
#ifndef HCABI_TEST_HARNESS_H
#define HCABI_TEST_HARNESS_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fake_platform.h"
#include "hcabi_ref.h"
#include "registry.h"

struct hx {
	struct fake *fake;
	struct hcabi_ref *ref;
	uint32_t nvcpus;
};
extern struct hx hx;

/* Create the fixture: `nvcpus` vCPUs, version (0: newest), default RAM. */
void hx_open(uint32_t nvcpus, uint32_t version);
void hx_open_ram(uint32_t nvcpus, uint32_t version, const struct hcabi_ref_ram_range *ram,
		 unsigned n);
/* The same providing only the `n` extensions `eids` (profiles). */
void hx_open_ext(uint32_t nvcpus, uint32_t version, const uint32_t *eids, unsigned n);
/* The newest version, every extension, the binding of `arch` (enum
 * hcabi_ref_arch). */
void hx_open_arch(uint32_t nvcpus, uint32_t arch);
void hx_close(void);
/* A configuration over the fixture's fake platform and RAM: `nvcpus` vCPUs,
 * the newest version, every other field zero (for tests of
 * hcabi_ref_create itself). */
void hx_config(struct hcabi_ref_config *cfg, uint32_t nvcpus);
/* Check fixtures: 4 vCPUs at the newest version. */
void hx_setup(void);
void hx_teardown(void);

/* One call, at CPL 0: v[0] is the function ID (RAX, all 64 bits), v[1..6]
 * the arguments. Checks X86-005 and that ret is consistent. */
struct hcabi_ref_ret hx_callv(uint32_t vcpu, const uint64_t v[7]);
struct hcabi_ref_ret hx_call_cpl(uint32_t vcpu, uint8_t cpl, const uint64_t v[7]);
#define CALL(vcpu, ...) hx_callv((vcpu), (const uint64_t[7]){__VA_ARGS__})
/* The same without assertions, for threads other than the test's own (a
 * Check assertion in another thread is not safe in CK_FORK=no mode). */
struct hcabi_ref_ret hx_raw(uint32_t vcpu, const uint64_t v[7]);
#define RAW(vcpu, ...) hx_raw((vcpu), (const uint64_t[7]){__VA_ARGS__})

/* Assert a call returned status st (and, for SUCCESS, value val). */
#define CK_STATUS(r, st)                                                                           \
	ck_assert_msg((r).status == (st) && (r).action == HCABI_REF_ACTION_RESUME,                 \
		      "status %lld action %d, expected %lld", (long long)(r).status,               \
		      (int)(r).action, (long long)(st))
#define CK_OK(r, val)                                                                              \
	do {                                                                                       \
		CK_STATUS(r, HCABI_SUCCESS);                                                       \
		ck_assert_msg((r).value == (uint64_t)(val), "value 0x%llx, expected 0x%llx",       \
			      (unsigned long long)(r).value, (unsigned long long)(val));           \
	} while (0)

/* Assert a call returned status st and had no effect on the platform
 * (STATUS-004: a call that returns an error has done nothing). */
#define CK_REFUSED(r, st)                                                                          \
	do {                                                                                       \
		CK_STATUS(r, st);                                                                  \
		ck_assert_msg(fake_effects(hx.fake) == 0, "returned %lld with %u effect(s)",       \
			      (long long)(st), fake_effects(hx.fake));                             \
	} while (0)

/* Start vCPU `target` from vCPU `from` with a valid boot state, written
 * at HX_BOOT_STATE. */
#define HX_BOOT_STATE 0x8000ull
void hx_start(uint32_t from, uint32_t target);
/* VCPU.GET_STATUS(v) from vCPU `from`, asserted SUCCESS: the state. */
uint64_t hx_vcpu_status(uint32_t from, uint32_t v);
/* Write a valid boot state at gpa. */
void hx_boot_state(uint64_t gpa, uint64_t rip, uint64_t cr3, uint64_t arg);

/* The fake platform's last event of `op`, asserted to exist. */
const struct fake_event *hx_last(enum fake_op op);

/* Permitted per abi.h (STATUS-001); the batch exemption of BATCH-004. */
int hx_permitted(uint32_t function_id, int64_t status, int in_batch);

/* Add a TCase with a timeout to s. */
TCase *hx_tcase(Suite *s, const char *name, double timeout);
/* Run the suite; returns the process exit status. */
int hx_run(Suite *s);

#endif
