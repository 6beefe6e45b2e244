/* SPDX-License-Identifier: MIT */
/*
 * status_coverage.c - the status-coverage check of the libhcabi_ref unit
 * tests. Reads the pair files the suites wrote ("FID STATUS d|b" lines, see
 * harness.h), and fails:
 *  - listing every (function, status) pair that abi.h's status mask permits
 *    (HCABI_FOREACH_FUNCTION) and that no test produced, so that every status
 *    of every function has a test that makes the core return it;
 *  - listing every pair produced that the function does not permit
 *    (STATUS-001; a batch entry may also get DENIED, BATCH-004);
 *  - if a file is missing or malformed (a suite did not run).
 * Usage: hcabi_ref_status_coverage FILE...
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"

struct fn_row {
	uint32_t id;
	uint32_t statuses;
	uint32_t flags;
	const char *name;
};
static const struct fn_row fns[] = {
#define X(EXT, NAME, ID, NARGS, SINCE, STATUSES, FLAGS) {(ID), (STATUSES), (FLAGS), #EXT "." #NAME},
    HCABI_FOREACH_FUNCTION(X)
#undef X
};
#define NFN (sizeof(fns) / sizeof(fns[0]))

static const char *status_name(long long st)
{
	switch (st) {
#define X(NAME, VALUE)                                                                             \
	case (VALUE):                                                                              \
		return #NAME;
		HCABI_FOREACH_STATUS(X)
#undef X
	default:
		return "?";
	}
}

int main(int argc, char **argv)
{
	static unsigned char produced[NFN][32];
	unsigned missing = 0, bad = 0, required = 0;
	int errors = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s PAIRS-FILE...\n", argv[0]);
		return 2;
	}
	for (int a = 1; a < argc; a++) {
		FILE *f = fopen(argv[a], "r");
		char line[128];
		unsigned lineno = 0;
		if (!f) {
			fprintf(stderr, "error: %s: cannot open (did its suite run?)\n", argv[a]);
			errors++;
			continue;
		}
		while (fgets(line, sizeof(line), f)) {
			unsigned id;
			long long st;
			char kind;
			unsigned i;
			lineno++;
			if (sscanf(line, "%x %lld %c", &id, &st, &kind) != 3 ||
			    (kind != 'd' && kind != 'b')) {
				fprintf(stderr, "error: %s:%u: malformed line\n", argv[a], lineno);
				errors++;
				continue;
			}
			for (i = 0; i < NFN && fns[i].id != id; i++)
				;
			if (i == NFN) {
				fprintf(stderr, "error: %s:%u: unknown function 0x%08x\n", argv[a],
					lineno, id);
				errors++;
				continue;
			}
			if (st > 0 || st <= -32) {
				fprintf(stderr,
					"not permitted (STATUS-001): %s returned %lld (%s)\n",
					fns[i].name, st, argv[a]);
				bad++;
				continue;
			}
			if (!((fns[i].statuses >> (unsigned)(-st)) & 1u) &&
			    !(kind == 'b' && st == HCABI_ERR_DENIED &&
			      (fns[i].flags & HCABI_FN_NO_BATCH))) {
				fprintf(stderr,
					"not permitted (STATUS-001): %s returned %s%s (%s)\n",
					fns[i].name, status_name(st),
					kind == 'b' ? " in a batch" : "", argv[a]);
				bad++;
			}
			produced[i][-st] = 1;
		}
		fclose(f);
	}
	for (unsigned i = 0; i < NFN; i++) {
		for (unsigned n = 0; n < 32; n++) {
			if (!((fns[i].statuses >> n) & 1u))
				continue;
			required++;
			if (!produced[i][n]) {
				fprintf(stderr, "missing: %s never returned %s\n", fns[i].name,
					status_name(-(long long)n));
				missing++;
			}
		}
	}
	printf("status coverage: %u of %u permitted (function, status) pairs produced; "
	       "%u missing, %u not permitted, %d file error(s)\n",
	       required - missing, required, missing, bad, errors);
	return (missing || bad || errors) ? 1 : 0;
}
