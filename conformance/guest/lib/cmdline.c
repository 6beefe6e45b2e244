/* SPDX-License-Identifier: MIT */
/*
 * cmdline.c - the words of the boot command line (hcabi_command_line):
 * `NAME=VALUE` words separated by single spaces, as the runner, the
 * stress and the bench guests use them.
 */
#include "hcabi_guest.h"

const char *hcabi_cmdline_value(const char *name)
{
	const char *cl = hcabi_command_line();
	size_t nl = strlen(name);

	for (const char *w = cl; *w; w++)
		if ((w == cl || w[-1] == ' ') && !strncmp(w, name, nl) && w[nl] == '=')
			return w + nl + 1;
	return 0;
}

bool hcabi_parse_u64(const char *s, uint64_t *v)
{
	uint64_t n = 0;

	if (!s || *s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (n > (UINT64_MAX - 9) / 10)
			return false;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	if (*s && *s != ' ')
		return false;
	*v = n;
	return true;
}

long long hcabi_cmdline_number(const char *name)
{
	uint64_t v;

	if (!hcabi_parse_u64(hcabi_cmdline_value(name), &v) || v > 1000000000u)
		return -1;
	return (long long)v;
}
