/*
 * nested-probe-report.h: the "nested-probe: KEY=VALUE" lines that the nested
 * probes print (nested-probe.c for x86-64, nested-probe-arm64.c,
 * nested-probe-riscv64.c), and the count of failed checks behind their last
 * line.  Included by each probe's
 * single source file, so everything here is static.
 */
#ifndef HCABI__NESTED_PROBE_REPORT_H
#define HCABI__NESTED_PROBE_REPORT_H

#include <stdarg.h>
#include <stdio.h>

static int failures;              /* checks that failed so far */
static const char *first_failure; /* the KEY of the first of them */

static void report(const char *key, int ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(const char *key, int ok, const char *fmt, ...)
{
	va_list ap;
	printf("nested-probe: %s=", key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok) {
		if (!first_failure)
			first_failure = key;
		failures++;
	}
}

#endif
