/* SPDX-License-Identifier: MIT */
/* harness.c - fixture, call helpers and the status-pair recorder. */
#define _POSIX_C_SOURCE 200809L
#include "harness.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct hx hx;

/* ---- status pairs --------------------------------------------------------- */

static pthread_mutex_t pair_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char seen[HX_NFNS][32][2];
static atomic_uint violations;

static int fn_index(uint32_t id)
{
	for (unsigned i = 0; i < HX_NFNS; i++)
		if (hx_fns[i].id == id)
			return (int)i;
	return -1;
}

int hx_permitted(uint32_t function_id, int64_t status, int in_batch)
{
	int i = fn_index(function_id);
	if (i < 0 || status > 0 || status <= -32)
		return 0;
		/* STATUS-005: a status added after the exposed version is not one */
#define HX_LATE(ID, STATUS, SINCE)                                                                 \
	if ((ID) == function_id && status == HCABI_ERR_##STATUS && hx.ref &&                       \
	    hcabi_ref_spec_version(hx.ref) < (SINCE))                                              \
		return 0;
	HCABI_FOREACH_LATE_STATUS(HX_LATE)
#undef HX_LATE
	if ((hx_fns[i].statuses >> (unsigned)(-status)) & 1u)
		return 1;
	/* BATCH-004 */
	return in_batch && status == HCABI_ERR_DENIED && (hx_fns[i].flags & HCABI_FN_NO_BATCH);
}

static void record(void *arg, const struct hcabi_ref_trace_event *ev)
{
	const char *path;
	int i, fd;
	char line[64];
	(void)arg;

	if (!ev->known || ev->faulted || ev->action != HCABI_REF_ACTION_RESUME)
		return;
	i = fn_index((uint32_t)ev->function_id);
	if (i < 0)
		return;
	if (!hx_permitted((uint32_t)ev->function_id, ev->status, ev->in_batch))
		atomic_fetch_add(&violations, 1);
	if (ev->status > 0 || ev->status <= -32)
		return;
	pthread_mutex_lock(&pair_lock);
	if (!seen[i][-ev->status][ev->in_batch ? 1 : 0]) {
		seen[i][-ev->status][ev->in_batch ? 1 : 0] = 1;
		path = getenv("HCABI_STATUS_PAIRS");
		if (path && *path) {
			int n =
			    snprintf(line, sizeof(line), "%08x %lld %c\n", (unsigned)hx_fns[i].id,
				     (long long)ev->status, ev->in_batch ? 'b' : 'd');
			fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
			if (fd >= 0) {
				if (write(fd, line, (size_t)n) != n)
					atomic_fetch_add(&violations, 1);
				close(fd);
			}
		}
	}
	pthread_mutex_unlock(&pair_lock);
}

/* ---- fixture ----------------------------------------------------------------- */

void hx_config(struct hcabi_ref_config *cfg, uint32_t nvcpus)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->vcpu_count = nvcpus;
	cfg->ram = hx.fake->cfg_ram;
	cfg->ram_count = hx.fake->nram;
	cfg->ops = &fake_ops;
	cfg->ctx = hx.fake;
}

static void open_with(uint32_t nvcpus, uint32_t version, const struct hcabi_ref_ram_range *ram,
		      unsigned n, const uint32_t *eids, unsigned neids, uint32_t arch)
{
	struct hcabi_ref_config cfg;
	const char *err = NULL;

	memset(&hx, 0, sizeof(hx));
	hx.fake = calloc(1, sizeof(*hx.fake));
	ck_assert_ptr_nonnull(hx.fake);
	fake_init(hx.fake, ram, n);
	hx_config(&cfg, nvcpus);
	cfg.spec_version = version;
	cfg.impl_version = 0x00020003;
	cfg.extensions = eids;
	cfg.extension_count = neids;
	cfg.arch = arch;
	hx.ref = hcabi_ref_create(&cfg, &err);
	ck_assert_msg(hx.ref != NULL, "hcabi_ref_create: %s", err ? err : "?");
	hx.nvcpus = nvcpus;
	hcabi_ref_set_trace(hx.ref, record, NULL);
	atomic_store(&violations, 0);
}

void hx_open_ram(uint32_t nvcpus, uint32_t version, const struct hcabi_ref_ram_range *ram,
		 unsigned n)
{
	open_with(nvcpus, version, ram, n, NULL, 0, HCABI_REF_ARCH_X86_64);
}

void hx_open_ext(uint32_t nvcpus, uint32_t version, const uint32_t *eids, unsigned n)
{
	open_with(nvcpus, version, NULL, 0, eids, n, HCABI_REF_ARCH_X86_64);
}

void hx_open_arch(uint32_t nvcpus, uint32_t arch)
{
	open_with(nvcpus, 0, NULL, 0, NULL, 0, arch);
}

void hx_open(uint32_t nvcpus, uint32_t version)
{
	hx_open_ram(nvcpus, version, NULL, 0);
}

void hx_close(void)
{
	unsigned v = atomic_load(&violations);
	if (hx.ref)
		hcabi_ref_destroy(hx.ref);
	if (hx.fake) {
		fake_destroy(hx.fake);
		free(hx.fake);
	}
	memset(&hx, 0, sizeof(hx));
	/* STATUS-001, over every call the test made, from any thread. */
	ck_assert_msg(v == 0, "%u call(s) returned a status their function does not permit", v);
}

void hx_setup(void)
{
	hx_open(4, 0);
}

void hx_teardown(void)
{
	hx_close();
}

/* ---- calls --------------------------------------------------------------------- */

struct hcabi_ref_ret hx_call_cpl(uint32_t vcpu, uint8_t cpl, const uint64_t v[7])
{
	struct hcabi_ref_call call;
	struct hcabi_ref_ret ret;

	memset(&call, 0, sizeof(call));
	call.function_id = v[0];
	memcpy(call.args, v + 1, sizeof(call.args));
	call.cpl = cpl;
	memset(&ret, 0xA5, sizeof(ret)); /* the core must write it whole */
	hcabi_ref_dispatch(hx.ref, vcpu, &call, &ret);
	/* X86-005: RDX is 0 on any error. */
	if (ret.action == HCABI_REF_ACTION_RESUME && ret.status != HCABI_SUCCESS)
		ck_assert_msg(ret.value == 0, "status %lld with value 0x%llx",
			      (long long)ret.status, (unsigned long long)ret.value);
	if (ret.action != HCABI_REF_ACTION_RESUME) {
		ck_assert_int_eq(ret.status, 0);
		ck_assert_uint_eq(ret.value, 0);
	} else {
		ck_assert_uint_eq(ret.action_arg, 0);
	}
	ck_assert_uint_eq(ret.clobber_gprs, 0);
	return ret;
}

struct hcabi_ref_ret hx_raw(uint32_t vcpu, const uint64_t v[7])
{
	struct hcabi_ref_call call;
	struct hcabi_ref_ret ret;

	memset(&call, 0, sizeof(call));
	call.function_id = v[0];
	memcpy(call.args, v + 1, sizeof(call.args));
	hcabi_ref_dispatch(hx.ref, vcpu, &call, &ret);
	/* X86-005, counted like a status violation */
	if (ret.action == HCABI_REF_ACTION_RESUME && ret.status != HCABI_SUCCESS && ret.value != 0)
		atomic_fetch_add(&violations, 1);
	return ret;
}

struct hcabi_ref_ret hx_callv(uint32_t vcpu, const uint64_t v[7])
{
	return hx_call_cpl(vcpu, 0, v);
}

void hx_boot_state(uint64_t gpa, uint64_t rip, uint64_t cr3, uint64_t arg)
{
	uint8_t b[64];
	memset(b, 0, sizeof(b));
	for (int i = 0; i < 8; i++) {
		b[0 + i] = (uint8_t)(rip >> (8 * i));
		b[8 + i] = (uint8_t)(UINT64_C(0x9000) >> (8 * i)); /* rsp */
		b[16 + i] = (uint8_t)(cr3 >> (8 * i));
		b[24 + i] = (uint8_t)(arg >> (8 * i));
		b[32 + i] = (uint8_t)(UINT64_C(0xA000) >> (8 * i)); /* gdtr */
		b[40 + i] = (uint8_t)(UINT64_C(0xB000) >> (8 * i)); /* idtr */
	}
	b[48] = 0x17; /* gdtr_limit */
	b[50] = 0xFF; /* idtr_limit */
	b[51] = 0x0F;
	b[52] = 0x08; /* cs */
	b[54] = 0x10; /* ds */
	fake_put(hx.fake, gpa, b, sizeof(b));
}

void hx_start(uint32_t from, uint32_t target)
{
	struct hcabi_ref_ret r;
	hx_boot_state(HX_BOOT_STATE, 0x100000 - 0x1000, 0x4000, target);
	r = CALL(from, HCABI_FID_VCPU_START, target, HX_BOOT_STATE);
	CK_OK(r, 0);
}

const struct fake_event *hx_last(enum fake_op op)
{
	const struct fake_event *e = fake_last(hx.fake, op);
	ck_assert_msg(e != NULL, "no platform event of kind %d", (int)op);
	return e;
}

uint64_t hx_vcpu_status(uint32_t from, uint32_t v)
{
	struct hcabi_ref_ret r = CALL(from, HCABI_FID_VCPU_GET_STATUS, v);
	CK_STATUS(r, HCABI_SUCCESS);
	return r.value;
}

TCase *hx_tcase(Suite *s, const char *name, double timeout)
{
	TCase *tc = tcase_create(name);
	tcase_add_checked_fixture(tc, hx_setup, hx_teardown);
	tcase_set_timeout(tc, timeout);
	suite_add_tcase(s, tc);
	return tc;
}

int hx_run(Suite *s)
{
	const char *path = getenv("HCABI_STATUS_PAIRS");
	SRunner *sr;
	int failed;

	if (path && *path) {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0)
			close(fd);
	}
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
