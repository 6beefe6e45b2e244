/* SPDX-License-Identifier: MIT */
/*
 * extset.c - profiles: which extensions an instance provides. The embedder
 * may withhold any optional extension (as OpenSBI's per-extension probe
 * lets a platform leave one out), so that an implementation of only a
 * profile's extensions can be built and tested. Names and profile lists
 * come from abi.h's X-macros (the registry), never typed here.
 */
#include <ctype.h>
#include <string.h>

#include "hcabi_ref_internal.h"

struct profile_row {
	const char *profile;
	uint32_t since;
	uint8_t ext;
};
static const struct profile_row profile_rows[] = {
#define HCABI__CORE_X(PROFILE, SINCE, EXT) {#PROFILE, (SINCE), HCABI__CORE_EXT_##EXT},
    HCABI_FOREACH_PROFILE_EXTENSION(HCABI__CORE_X)
#undef HCABI__CORE_X
};
#define NPROFILE_ROWS (sizeof(profile_rows) / sizeof(profile_rows[0]))

static int ext_index(uint32_t eid)
{
	for (int i = 0; i < HCABI__CORE_NEXT; i++)
		if (hcabi__core_exts[i].eid == eid)
			return i;
	return -1;
}

const char *hcabi__core_select_extensions(const struct hcabi_ref_config *cfg, uint32_t version,
					  bool provide[HCABI__CORE_NEXT])
{
	for (int i = 0; i < HCABI__CORE_NEXT; i++)
		provide[i] = cfg->extensions == NULL;
	if (cfg->extensions == NULL)
		return cfg->extension_count ? "extensions is NULL, extension_count is not 0" : NULL;
	if (cfg->extension_count == 0)
		return "extensions: the list is empty (BASE is mandatory)";
	for (uint32_t k = 0; k < cfg->extension_count; k++) {
		int i = ext_index(cfg->extensions[k]);
		if (i < 0)
			return "extensions: an EID is not an extension this library implements";
		if (hcabi__core_exts[i].since > version)
			return "extensions: an extension is newer than the exposed version";
		provide[i] = true;
	}
	if (!provide[HCABI__CORE_EXT_BASE])
		return "extensions: BASE is mandatory and cannot be withheld";
	return NULL;
}

bool hcabi_ref_provides(const struct hcabi_ref *ref, uint32_t eid)
{
	int i = ext_index(eid);
	return i >= 0 && ref->ext[i] != NULL;
}

/* Case-insensitive: does [s, s + len) spell `name`? */
static bool item_is(const char *s, size_t len, const char *name)
{
	if (strlen(name) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (tolower((unsigned char)s[i]) != tolower((unsigned char)name[i]))
			return false;
	return true;
}

bool hcabi_ref_parse_extensions(const char *list, uint32_t version,
				uint32_t eids[HCABI_REF_MAX_EXTENSIONS], uint32_t *count,
				const char **err, size_t *bad)
{
	bool want[HCABI__CORE_NEXT] = {false};
	const char *p;
	uint32_t n = 0;

	_Static_assert(HCABI__CORE_NEXT <= HCABI_REF_MAX_EXTENSIONS, "HCABI_REF_MAX_EXTENSIONS");
	*count = 0;
	if (bad)
		*bad = 0;
	if (!version)
		version = hcabi_ref_newest_version();
	if (!list) {
		*err = "no list";
		return false;
	}
	for (p = list;; p++) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		bool known = false;

		if (bad)
			*bad = (size_t)(p - list);
		if (len == 0) {
			*err = "an empty item (the list is NAME,NAME,...)";
			return false;
		}
		for (int i = 0; i < HCABI__CORE_NEXT; i++) {
			if (!item_is(p, len, hcabi__core_exts[i].name))
				continue;
			if (hcabi__core_exts[i].since > version) {
				*err = "an extension newer than the exposed version";
				return false;
			}
			want[i] = known = true;
		}
		/* A profile: the extensions it requires at `version`. */
		for (size_t r = 0; r < NPROFILE_ROWS; r++) {
			if (!item_is(p, len, profile_rows[r].profile))
				continue;
			known = true;
			if (profile_rows[r].since <= version)
				want[profile_rows[r].ext] = true;
		}
		if (!known) {
			*err = "not the name of an extension or a profile";
			return false;
		}
		if (!end)
			break;
		p = end;
	}
	if (bad)
		*bad = 0;
	if (!want[HCABI__CORE_EXT_BASE]) {
		*err = "BASE is mandatory and cannot be withheld";
		return false;
	}
	for (int i = 0; i < HCABI__CORE_NEXT; i++)
		if (want[i])
			eids[n++] = hcabi__core_exts[i].eid;
	*count = n;
	*err = NULL;
	return true;
}
