/* SPDX-License-Identifier: MIT */
/*
 * hcabi_test.h - the conformance test framework.
 *
 * A test:
 *
 *     HCABI_TEST(base_spec_version, "BASE.get_spec_version", "BASE-001,BASE-002",
 *                HCABI_FID_BASE_GET_SPEC_VERSION_SINCE)
 *     {
 *             struct hcabi_ret r = hcabi_base_get_spec_version();
 *             check_status(r, HCABI_SUCCESS, "BASE-001", "GET_SPEC_VERSION");
 *     }
 *
 * - The name is "EXT.name": EXT is the registry extension the test belongs
 *   to (BASE, CONSOLE, ...) or a binding area (X86, DISC, STATUS, GEN, VER).
 *   A test of an extension that PROBE_EXTENSION reports absent is skipped
 *   with the reason "extension EXT not advertised"; binding tests always run.
 * - The requirement IDs it checks, comma-separated, as one string literal:
 *   every requirement a check of the test names, including those the
 *   helpers it calls check for it (HCABI_IMPLIED_* below).
 * - `since`: the HCABI version the test needs, as a HCABI_VERSION_* or
 *   HCABI_FID_*_SINCE macro of abi.h. A test whose version is newer than the
 *   one the implementation exposes is not run. scripts/hcabi_tests_manifest.py
 *   checks that it equals the newest `since` of the cited requirements.
 *
 * Every HCABI_TEST in the folder conformance/tests/<image>/ is linked into
 * hcabi-conf-<image>.elf, which runs them all (in file and line order). One
 * file of the folder declares what the image needs:
 *
 *     HCABI_IMAGE(.vcpus = 2, .memory_mib = 64, .ends = HCABI_ENDS_EXIT);
 *
 * Checks print one protocol line each and compare exact values. A test's
 * verdict is the most severe of: error (test_error, or an unexpected
 * exception: the environment or the test is broken), fail (a check failed:
 * the hypervisor is wrong), skip (test_skip), pass.
 */
#ifndef HCABI_TEST_H
#define HCABI_TEST_H

#include "hcabi_guest.h"
/* HCABI_REQ_VALUE_ZERO & co.: the requirement ID of a rule each binding states in its
 * own words, for the architecture compiled for (generated from the registry). */
#include "spec/generated/binding_reqs.h"

struct hcabi_test {
	const char *name;
	const char *reqs;
	uint32_t since;
	void (*fn)(void);
	const char *file;
	int line;
};

#define HCABI_TEST(ident, name, reqs, since)                                                       \
	static void hcabi__test_body_##ident(void);                                                \
	static const struct hcabi_test hcabi__test_##ident                                         \
	    __attribute__((used, section("hcabi_tests"), aligned(8))) = {                          \
		name, reqs, since, hcabi__test_body_##ident, __FILE__, __LINE__};                  \
	static void hcabi__test_body_##ident(void)

enum hcabi_image_ends {
	HCABI_ENDS_EXIT = 0, /* suite-end, then isa-debug-exit */
	HCABI_ENDS_SHUTDOWN, /* a test ends the VM with SYSTEM.SHUTDOWN */
	HCABI_ENDS_REBOOT,   /* ... with SYSTEM.REBOOT */
	HCABI_ENDS_CRASH,    /* ... with SYSTEM.CRASH */
};

struct hcabi_image_decl {
	const char *name; /* the folder name, from the build (HCABI_IMAGE_NAME) */
	unsigned vcpus;
	unsigned memory_mib;
	enum hcabi_image_ends ends;
};

#ifndef HCABI_IMAGE_NAME
#define HCABI_IMAGE_NAME "unnamed"
#endif
#define HCABI_IMAGE(...)                                                                           \
	const struct hcabi_image_decl hcabi_image = {.name = HCABI_IMAGE_NAME, __VA_ARGS__}
extern const struct hcabi_image_decl hcabi_image;

/* ---- checks: each prints `@hcabi check result=pass|fail req=ID msg=...` ---- */
/* req may be NULL or "-" for a check tied to no single requirement; any other
 * req must be one the test cites, else the check is shown with req=- and the
 * test ends `error` ("check names REQ, which the test does not cite (suite
 * bug)").
 *
 * Requirements some helpers check on the calling test's behalf. A test that
 * calls the helper cites them, like any requirement its own checks name.
 * scripts/hcabi_tests_manifest.py reads the HCABI_IMPLIED_<helper> lines
 * (string literals and names of the macros here or of binding_reqs.h, one line
 * each) to require exactly that. A binding's rule is cited by its macro
 * (HCABI_REQ_VALUE_ZERO: the value is 0 with any error status, a requirement of
 * each binding), in the test's list too: "TLB-001.1," HCABI_REQ_VALUE_ZERO. */
#define HCABI_REQ_VCPU_START "VCPU-024.2"	 /* START succeeds and the vCPU runs */
#define HCABI_REQ_VCPU_STOP "VCPU-030.2"	 /* STOP stops the vCPU (GET_STATUS) */
#define HCABI_REQ_NO_EFFECT "STATUS-004" /* a failed START starts nothing */
#define HCABI_IMPLIED_check_status HCABI_REQ_VALUE_ZERO
#define HCABI_IMPLIED_check_ret HCABI_REQ_VALUE_ZERO
#define HCABI_IMPLIED_check_status_allowed HCABI_REQ_VALUE_ZERO
#define HCABI_REQS_VCPU_TASK HCABI_REQ_VCPU_START "," HCABI_REQ_VCPU_STOP "," HCABI_REQ_NO_EFFECT
#define HCABI_IMPLIED_test_start_on_cpu HCABI_REQS_VCPU_TASK
#define HCABI_IMPLIED_test_wait_cpu HCABI_REQ_VCPU_START "," HCABI_REQ_VCPU_STOP
#define HCABI_IMPLIED_test_run_on_cpu HCABI_REQS_VCPU_TASK

bool check_true(bool ok, const char *req, const char *fmt, ...) HCABI_PRINTF(3, 4);
/* Exact status. On an error status also the value 0 (HCABI_REQ_VALUE_ZERO:
 * reported as its own failed check when violated). */
bool check_status(struct hcabi_ret r, int64_t status, const char *req, const char *fmt, ...)
    HCABI_PRINTF(4, 5);
/* Exact status and value. */
bool check_ret(struct hcabi_ret r, int64_t status, uint64_t value, const char *req, const char *fmt,
	       ...) HCABI_PRINTF(5, 6);
bool check_eq_u64(uint64_t got, uint64_t want, const char *req, const char *fmt, ...)
    HCABI_PRINTF(4, 5);
bool check_ge_u64(uint64_t got, uint64_t min, const char *req, const char *fmt, ...)
    HCABI_PRINTF(4, 5);
/* The status is SUCCESS or one the function's HCABI_FID_*_STATUSES mask lists
 * (or INVALID_PARAM, which every function may return), STATUS-001. */
bool check_status_allowed(struct hcabi_ret r, uint32_t mask, const char *req, const char *fmt, ...)
    HCABI_PRINTF(4, 5);

/* ---- verdicts ---- */
/* The test cannot run here (a reason is required); the test should return. */
void test_skip(const char *fmt, ...) HCABI_PRINTF(1, 2);
/* The test or its environment is broken (not the hypervisor's fault). */
void test_error(const char *fmt, ...) HCABI_PRINTF(1, 2);
/* Free-form log line inside the test (not a protocol line). */
void test_log(const char *fmt, ...) HCABI_PRINTF(1, 2);

/* ---- helpers ---- */
/* The version the implementation exposes ((major << 16) | minor). */
static inline uint32_t hcabi_spec(void)
{
	return hcabi_disc.spec;
}
/* Skip unless extension eid is provided; returns false when skipped. */
bool test_require_ext(uint32_t eid);
/* Skip unless the VM has at least n vCPUs and VCPU is provided. */
bool test_require_cpus(unsigned n);
/* Start fn(arg) on vCPU cpu (hcabi_smp_start). A START that fails is a failed
 * check naming HCABI_REQ_VCPU_START (and HCABI_REQ_NO_EFFECT if the vCPU
 * runs anyway: then it returns true, the task runs); a vCPU whose last task
 * called STOP but is not reported STOPPED fails HCABI_REQ_VCPU_STOP; calling
 * it where no vCPU cpu can be started (no VCPU, no such vCPU, a task still
 * running) is an error of the test. Returns whether the vCPU runs the task. */
bool test_start_on_cpu(unsigned cpu, void (*fn)(void *), void *arg);
/* Wait until the task started on cpu returned and the vCPU stopped
 * (hcabi_smp_wait). A vCPU that never began its task fails HCABI_REQ_VCPU_START,
 * one that called STOP and is not reported STOPPED fails
 * HCABI_REQ_VCPU_STOP; a task still running is an error of the test. */
bool test_wait_cpu(unsigned cpu, uint64_t timeout_ns);
/* test_start_on_cpu, then test_wait_cpu (30 s). Returns whether the task
 * ran to its end (an unexpected exception in it is already reported). */
bool test_run_on_cpu(unsigned cpu, void (*fn)(void *), void *arg);
/* Wait until *counter reaches want or timeout_ns of monotonic time passed
 * (interrupts as the caller set them). Returns whether it did. */
bool wait_for_u64(volatile uint64_t *counter, uint64_t want, uint64_t timeout_ns);
/* Busy-wait for ns of monotonic time. */
void delay_ns(uint64_t ns);

/* The "@hcabi expect" line before a call that ends the VM. The runner then
 * checks that the VMM reported the VM ending by `event` (shutdown, reboot or
 * crash), crediting or blaming each of `end_reqs` (a NULL-terminated list of
 * requirement IDs), and, with `code_req` not NULL, that the report carried
 * exactly `code` (all 64 bits), crediting or blaming `code_req`. */
void test_expect_end(const char *event, const char *const end_reqs[], uint64_t code,
		     const char *code_req);

/* The runner (hcabi_main of the framework uses them; an image with its own
 * hcabi_main may too): run every linked test the exposed version has, then
 * print suite-end and exit. */
void hcabi_test_run_all(void);
HCABI_NORETURN void hcabi_test_suite_end(void);

#endif /* HCABI_TEST_H */
