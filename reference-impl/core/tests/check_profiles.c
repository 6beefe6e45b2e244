/* SPDX-License-Identifier: MIT */
/*
 * check_profiles.c - withholding extensions (hcabi_ref_config.extensions)
 * and hcabi_ref_parse_extensions(). A withheld extension must be absent
 * exactly as an unknown one: probes say 0 (BASE-032, BASE-041), its
 * functions return NOT_SUPPORTED (STATUS-002) directly and as BATCH
 * entries (BATCH-002, BATCH-003), and no platform callback runs for it (no
 * timer armed, no IPI, no console output, ...). Extensions, functions and
 * profile lists come from abi.h's X-macros, so a registry change is
 * covered without editing this file.
 */
#include "harness.h"

/* The optional extensions: every one but BASE (index 0 is BASE). */
_Static_assert(HCABI_EID_BASE == 0, "BASE first");
#define NOPT (HX_NEXTS - 1)

/* Arguments with which each function has an effect when provided (so that
 * "no effect when withheld" means something: provided_control checks they
 * are accepted). Functions without a row are called with zeros. */
#define CONBUF 0x1000ull
#define LAYOUT 0x5000ull
#define STEALREC 0x6000ull
#define TBL 0x7000ull
#define BOOTST 0x8000ull
#define INNER 0x9000ull
struct args_row {
	uint32_t id;
	uint64_t a[6];
};
static const struct args_row valid_args[] = {
    {HCABI_FID_CONSOLE_WRITE, {CONBUF, 4}},
    {HCABI_FID_CONSOLE_WRITE_BYTE, {'x'}},
    {HCABI_FID_CONSOLE_READ, {CONBUF, 4}},
    {HCABI_FID_TIME_SET_TIMER, {1000000, 40}},
    {HCABI_FID_TIME_SET_PERIODIC, {0, HCABI_TIMER_MIN_PERIOD, 40}},
    {HCABI_FID_VCPU_START, {1, BOOTST}},
    {HCABI_FID_VCPU_GET_STATUS, {1}},
    {HCABI_FID_VCPU_YIELD, {HCABI_VCPU_ANY}},
    {HCABI_FID_VCPU_KICK, {1}},
    {HCABI_FID_IPI_SEND, {1, 0, 40}},
    {HCABI_FID_TLB_FLUSH, {1, 0, 0, 0}},
    {HCABI_FID_MEM_RELEASE, {0x10000, 1}},
    {HCABI_FID_MEM_GET_LAYOUT, {LAYOUT, 4}},
    {HCABI_FID_STEAL_SET_SHMEM, {STEALREC}},
    {HCABI_FID_BATCH_EXECUTE, {INNER, 1}},
};

static const uint64_t *args_of(uint32_t id)
{
	static const uint64_t zeros[6];
	for (unsigned i = 0; i < sizeof(valid_args) / sizeof(valid_args[0]); i++)
		if (valid_args[i].id == id)
			return valid_args[i].a;
	return zeros;
}

static void put_entry(uint64_t at, uint64_t fid, const uint64_t a[6])
{
	fake_put64(hx.fake, at, fid);
	for (unsigned k = 0; k < 6; k++)
		fake_put64(hx.fake, at + 8 + 8 * k, a ? a[k] : 0);
	fake_put64(hx.fake, at + 56, 0x5151515151515151ull); /* status sentinel */
	fake_put64(hx.fake, at + 64, 0x6161616161616161ull); /* value sentinel */
}

/* Guest memory the valid arguments point at. */
static void prepare_memory(void)
{
	fake_put(hx.fake, CONBUF, "abcd", 4);
	hx_boot_state(BOOTST, 0x100000 - 0x1000, 0x4000, 1);
	put_entry(INNER, HCABI_FID_BASE_GET_SPEC_VERSION, NULL);
	fake_put64(hx.fake, 0x10000, 0x1234);
}

static unsigned callbacks(void)
{
	unsigned n = 0;
	for (int op = 0; op < FOP__COUNT; op++)
		n += fake_count(hx.fake, (enum fake_op)op, UINT32_MAX);
	return n;
}

/* Open the fixture with every extension but hx_exts[1 + k]. */
static uint32_t open_without(unsigned k)
{
	uint32_t eids[HX_NEXTS], n = 0;
	for (unsigned i = 0; i < HX_NEXTS; i++)
		if (i != 1 + k)
			eids[n++] = hx_exts[i].eid;
	hx_open_ext(4, 0, eids, n);
	prepare_memory();
	return hx_exts[1 + k].eid;
}

/* ---- creation ------------------------------------------------------------ */

static const uint32_t core_list[] = {HCABI_EID_BASE, HCABI_EID_CONSOLE, HCABI_EID_TIME,
				     HCABI_EID_SYSTEM};
static const uint32_t no_base[] = {HCABI_EID_CONSOLE, HCABI_EID_TIME};
static const uint32_t unknown_eid[] = {HCABI_EID_BASE, 0x000A};
static const uint32_t experimental[] = {HCABI_EID_BASE, 0x8000};

struct bad_cfg {
	const uint32_t *eids;
	uint32_t n;
	const char *why; /* a part of the message */
};
static const struct bad_cfg bad_cfgs[] = {
    {no_base, 2, "BASE is mandatory"},
    {core_list, 0, "empty"},
    {NULL, 3, "extension_count"},
    {unknown_eid, 2, "not an extension"},
    {experimental, 2, "not an extension"},
};

START_TEST(create_refuses)
{
	const struct bad_cfg *b = &bad_cfgs[_i];
	struct hcabi_ref_config cfg;
	const char *err = NULL;

	hx_config(&cfg, 1);
	cfg.extensions = b->eids;
	cfg.extension_count = b->n;
	ck_assert_ptr_null(hcabi_ref_create(&cfg, &err));
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, b->why) != NULL, "message '%s' lacks '%s'", err, b->why);
}
END_TEST

/* Order and repeats do not matter; the list is copied at creation. */
START_TEST(create_core_list)
{
	uint32_t eids[] = {HCABI_EID_SYSTEM, HCABI_EID_TIME, HCABI_EID_BASE, HCABI_EID_CONSOLE,
			   HCABI_EID_TIME};
	hx_close();
	hx_open_ext(2, 0, eids, 5);
	memset(eids, 0, sizeof(eids));
	for (unsigned i = 0; i < HX_NEXTS; i++) {
		bool in = hx_exts[i].eid == HCABI_EID_BASE || hx_exts[i].eid == HCABI_EID_CONSOLE ||
			  hx_exts[i].eid == HCABI_EID_TIME || hx_exts[i].eid == HCABI_EID_SYSTEM;
		struct hcabi_ref_ret r = CALL(1, HCABI_FID_BASE_PROBE_EXTENSION, hx_exts[i].eid);
		CK_OK(r, in ? hx_ext_version(hx_exts[i].eid, HCABI_VERSION_NEWEST) : 0);
		ck_assert_int_eq(hcabi_ref_provides(hx.ref, hx_exts[i].eid), in);
	}
	ck_assert(!hcabi_ref_provides(hx.ref, 0x000A));
}
END_TEST

/* ---- a withheld extension ---------------------------------------------------- */

/* BASE-032, BASE-041: probes say absent for it, present for the others. */
START_TEST(withheld_probes)
{
	uint32_t eid;
	hx_close();
	eid = open_without((unsigned)_i);
	for (unsigned i = 0; i < HX_NEXTS; i++) {
		struct hcabi_ref_ret r = CALL(0, HCABI_FID_BASE_PROBE_EXTENSION, hx_exts[i].eid);
		CK_OK(r, hx_exts[i].eid == eid
			     ? 0
			     : hx_ext_version(hx_exts[i].eid, HCABI_VERSION_NEWEST));
	}
	for (unsigned f = 0; f < HX_NFNS; f++) {
		struct hcabi_ref_ret r = CALL(2, HCABI_FID_BASE_PROBE_FUNCTION, hx_fns[f].id);
		CK_OK(r, HCABI_FUNCTION_EID(hx_fns[f].id) == eid ? 0 : 1);
	}
	ck_assert(!hcabi_ref_provides(hx.ref, eid));
	ck_assert(hcabi_ref_provides(hx.ref, HCABI_EID_BASE));
}
END_TEST

/* STATUS-002: each of its functions, with arguments that would work, is
 * NOT_SUPPORTED with no platform callback at all, on any vCPU. */
START_TEST(withheld_calls)
{
	uint32_t eid;
	hx_close();
	eid = open_without((unsigned)_i);
	for (unsigned f = 0; f < HX_NFNS; f++) {
		const uint64_t *a;
		struct hcabi_ref_ret r;
		if (HCABI_FUNCTION_EID(hx_fns[f].id) != eid)
			continue;
		a = args_of(hx_fns[f].id);
		fake_clear(hx.fake);
		r = CALL(0, hx_fns[f].id, a[0], a[1], a[2], a[3], a[4], a[5]);
		CK_STATUS(r, HCABI_ERR_NOT_SUPPORTED);
		ck_assert_uint_eq(r.value, 0);
		ck_assert_uint_eq(callbacks(), 0);
	}
	/* nothing of it happened */
	for (uint32_t v = 0; v < 4; v++) {
		ck_assert(!hx.fake->timer_armed[v]);
		ck_assert_uint_eq(hx.fake->start_count[v], 0);
		ck_assert_uint_eq(hx.fake->tlb_flushes[v], 0);
		for (unsigned vec = 0; vec < 256; vec++)
			ck_assert_uint_eq(hx.fake->irqs[v][vec], 0);
	}
	ck_assert_uint_eq(hx.fake->nout, 0);
	ck_assert_uint_eq(fake_get64(hx.fake, 0x10000), 0x1234);
	/* still so after a reset (SYSTEM.REBOOT keeps the selection) */
	hcabi_ref_reset(hx.ref);
	ck_assert(!hcabi_ref_provides(hx.ref, eid));
}
END_TEST

/* BATCH-002, BATCH-003: an entry naming a withheld function is refused as an
 * entry naming an unknown function is: NOT_SUPPORTED, the batch stops there,
 * later entries untouched, nothing of it happens. */
START_TEST(withheld_in_batch)
{
	uint32_t eid, unknown = (uint32_t)hx_unused_fns[0];
	uint64_t tail_fid;
	hx_close();
	eid = open_without((unsigned)_i);
	if (eid == HCABI_EID_BATCH)
		return; /* no batch to put it in */
	tail_fid =
	    eid == HCABI_EID_CONSOLE ? HCABI_FID_BASE_GET_IMPL_ID : HCABI_FID_CONSOLE_WRITE_BYTE;
	for (unsigned f = 0; f < HX_NFNS; f++) {
		uint64_t want_st = 0, want_val = 0;
		struct hcabi_ref_ret r;
		const uint64_t tail[6] = {'z'};
		if (HCABI_FUNCTION_EID(hx_fns[f].id) != eid)
			continue;
		/* the same table with an unknown function, then the withheld one */
		for (int pass = 0; pass < 2; pass++) {
			put_entry(TBL, HCABI_FID_BASE_GET_SPEC_VERSION, NULL);
			put_entry(TBL + 72, pass ? hx_fns[f].id : unknown, args_of(hx_fns[f].id));
			put_entry(TBL + 144, tail_fid, tail);
			fake_clear(hx.fake);
			r = CALL(1, HCABI_FID_BATCH_EXECUTE, TBL, 3);
			CK_OK(r, 2);
			ck_assert_uint_eq(fake_get64(hx.fake, TBL + 64), HCABI_VERSION_NEWEST);
			if (pass == 0) {
				want_st = fake_get64(hx.fake, TBL + 72 + 56);
				want_val = fake_get64(hx.fake, TBL + 72 + 64);
				ck_assert_int_eq((int64_t)want_st, HCABI_ERR_NOT_SUPPORTED);
			} else {
				ck_assert_uint_eq(fake_get64(hx.fake, TBL + 72 + 56), want_st);
				ck_assert_uint_eq(fake_get64(hx.fake, TBL + 72 + 64), want_val);
			}
			ck_assert_uint_eq(fake_get64(hx.fake, TBL + 144 + 56),
					  0x5151515151515151ull);
			/* the table read and the two entries written, nothing else */
			ck_assert_uint_eq(callbacks(),
					  fake_count(hx.fake, FOP_MEM_READ, UINT32_MAX) +
					      fake_count(hx.fake, FOP_MEM_WRITE, UINT32_MAX));
			ck_assert_uint_eq(fake_count(hx.fake, FOP_MEM_WRITE, UINT32_MAX), 2);
		}
	}
	ck_assert_uint_eq(hx.fake->nout, 0);
	ck_assert(!hx.fake->timer_armed[1]);
}
END_TEST

/* Control: with every extension provided, the same arguments are accepted
 * (not NOT_SUPPORTED), so the tests above show withholding, not bad
 * arguments. */
START_TEST(provided_control)
{
	const struct hx_fn *fn = &hx_fns[_i];
	const uint64_t *a = args_of(fn->id);
	struct hcabi_ref_ret r;
	prepare_memory();
	r = CALL(0, fn->id, a[0], a[1], a[2], a[3], a[4], a[5]);
	ck_assert_msg(r.status != HCABI_ERR_NOT_SUPPORTED && r.status != HCABI_ERR_INVALID_PARAM,
		      "function 0x%x: status %lld", fn->id, (long long)r.status);
}
END_TEST

/* ---- hcabi_ref_parse_extensions ------------------------------------------------ */

/* Bit i: hx_exts[i]. Profiles' sets come from the registry. */
static uint32_t profile_set(const char *profile, uint32_t version)
{
	uint32_t set = 0;
#define X(PROFILE, SINCE, EXT)                                                                     \
	if (strcmp(profile, #PROFILE) == 0 && (SINCE) <= version)                                  \
		for (unsigned i = 0; i < HX_NEXTS; i++)                                            \
			if (strcmp(hx_exts[i].name, #EXT) == 0)                                    \
				set |= 1u << i;
	HCABI_FOREACH_PROFILE_EXTENSION(X)
#undef X
	return set;
}

static uint32_t set_of(const char *names)
{
	uint32_t set = 0;
	for (unsigned i = 0; i < HX_NEXTS; i++) {
		const char *p = strstr(names, hx_exts[i].name);
		size_t n = strlen(hx_exts[i].name);
		while (p && !((p == names || p[-1] == ',') && (p[n] == ',' || p[n] == '\0')))
			p = strstr(p + 1, hx_exts[i].name);
		if (p)
			set |= 1u << i;
	}
	return set;
}

struct parse_row {
	const char *list;
	const char *want; /* extension names; "core"/"full" for a profile's set */
	const char *err;  /* a part of the message, NULL when it parses */
	size_t bad;
};
static const struct parse_row parse_rows[] = {
    {"BASE,CONSOLE,TIME,SYSTEM", "BASE,CONSOLE,TIME,SYSTEM", NULL, 0},
    {"base,Console,tImE,system", "BASE,CONSOLE,TIME,SYSTEM", NULL, 0},
    {"SYSTEM,BASE,BASE", "BASE,SYSTEM", NULL, 0},
    {"BASE", "BASE", NULL, 0},
    {"core", "core", NULL, 0},
    {"FULL", "full", NULL, 0},
    {"core,VCPU,ipi", "core+VCPU,IPI", NULL, 0},
    {"", NULL, "empty item", 0},
    {"BASE,", NULL, "empty item", 5},
    {",BASE", NULL, "empty item", 0},
    {"BASE,,TIME", NULL, "empty item", 5},
    {"BASE,TIMER", NULL, "not the name", 5},
    {"BASE,CONSOLE,0x2", NULL, "not the name", 13},
    {"BASE, TIME", NULL, "not the name", 5},
    {"CONSOLE,TIME", NULL, "BASE is mandatory", 0},
    {"corex", NULL, "not the name", 0},
};

START_TEST(parse_each)
{
	const struct parse_row *p = &parse_rows[_i];
	uint32_t eids[HCABI_REF_MAX_EXTENSIONS], n = 99, got = 0, want;
	const char *err = "unset";
	size_t bad = 999;
	bool ok = hcabi_ref_parse_extensions(p->list, 0, eids, &n, &err, &bad);

	if (p->err) {
		ck_assert_msg(!ok, "'%s' parsed", p->list);
		ck_assert_ptr_nonnull(err);
		ck_assert_msg(strstr(err, p->err) != NULL, "'%s': message '%s'", p->list, err);
		ck_assert_uint_eq(bad, p->bad);
		ck_assert_uint_eq(n, 0);
		return;
	}
	ck_assert_msg(ok, "'%s': %s", p->list, err ? err : "?");
	ck_assert_ptr_null(err);
	if (strncmp(p->want, "core", 4) == 0 || strcmp(p->want, "full") == 0) {
		want = profile_set(strncmp(p->want, "core", 4) == 0 ? "core" : "full",
				   HCABI_VERSION_NEWEST);
		if (p->want[4] == '+')
			want |= set_of(p->want + 5);
	} else {
		want = set_of(p->want);
	}
	for (uint32_t k = 0; k < n; k++) {
		unsigned i;
		for (i = 0; i < HX_NEXTS; i++)
			if (hx_exts[i].eid == eids[k])
				break;
		ck_assert_uint_lt(i, HX_NEXTS);
		ck_assert_msg(!(got & (1u << i)), "'%s': EID 0x%x twice", p->list, eids[k]);
		got |= 1u << i;
		/* registry order */
		ck_assert(k == 0 || eids[k] > eids[k - 1]);
	}
	ck_assert_uint_eq(got, want);
	/* the registry's profiles are what the spec says: core is the four */
	if (strcmp(p->want, "core") == 0)
		ck_assert_uint_eq(got, set_of("BASE,CONSOLE,TIME,SYSTEM"));
	if (strcmp(p->want, "full") == 0)
		ck_assert_uint_eq(n, HX_NEXTS);
}
END_TEST

/* A parsed list is accepted by hcabi_ref_create, at every version. */
START_TEST(parse_then_create)
{
	static const uint32_t versions[] = {
#define X(V) (V),
	    HCABI_FOREACH_VERSION(X)
#undef X
	};
	for (unsigned v = 0; v < sizeof(versions) / sizeof(versions[0]); v++) {
		uint32_t eids[HCABI_REF_MAX_EXTENSIONS], n = 0;
		const char *err = NULL;
		ck_assert(hcabi_ref_parse_extensions("core", versions[v], eids, &n, &err, NULL));
		hx_close();
		hx_open_ext(1, versions[v], eids, n);
		ck_assert_uint_eq(hcabi_ref_spec_version(hx.ref), versions[v]);
		ck_assert(hcabi_ref_provides(hx.ref, HCABI_EID_TIME));
		ck_assert(!hcabi_ref_provides(hx.ref, HCABI_EID_VCPU));
	}
}
END_TEST

static Suite *profiles_suite(void)
{
	Suite *s = suite_create("profiles");
	TCase *tc = hx_tcase(s, "create", 10);
	tcase_add_loop_test(tc, create_refuses, 0, (int)(sizeof(bad_cfgs) / sizeof(bad_cfgs[0])));
	tcase_add_test(tc, create_core_list);
	tc = hx_tcase(s, "withheld", 20);
	tcase_add_loop_test(tc, withheld_probes, 0, (int)NOPT);
	tcase_add_loop_test(tc, withheld_calls, 0, (int)NOPT);
	tcase_add_loop_test(tc, withheld_in_batch, 0, (int)NOPT);
	tcase_add_loop_test(tc, provided_control, 0, (int)HX_NFNS);
	tc = hx_tcase(s, "parse", 10);
	tcase_add_loop_test(tc, parse_each, 0, (int)(sizeof(parse_rows) / sizeof(parse_rows[0])));
	tcase_add_test(tc, parse_then_create);
	return s;
}

int main(void)
{
	return hx_run(profiles_suite());
}
