/* SPDX-License-Identifier: MIT */
/*
 * options.c - parsers of option values that main.c's command line shares
 * and the unit test checks (tests/check_pvh.c, "size").
 */
#include <errno.h>
#include <stdlib.h>

#include "refvmm.h"

bool hcabi__parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		mul = 1ull << 10;
		end++;
		break;
	case 'm':
	case 'M':
		mul = 1ull << 20;
		end++;
		break;
	case 'g':
	case 'G':
		mul = 1ull << 30;
		end++;
		break;
	default:
		return false;
	}
	if (*end != '\0')
		return false;
	if (v > UINT64_MAX / mul)
		return false;
	*out = (uint64_t)v * mul;
	return true;
}
