/* SPDX-License-Identifier: MIT */
/*
 * linux_image.c - the Linux Image loader of linux_image.h: the header
 * checked in the backend's format (its magic, the load address's
 * alignment, little-endian, image_size covering the file and fitting in
 * RAM) and the image copied to RAM base + text_offset. No KVM here.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "linux_image.h"

#define IMAGE_HEADER_SIZE 64u
#define IMAGE_FLAG_BE (1ull << 0) /* flags bit 0: big-endian kernel */

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* The header's rules, against a VM of ram_size bytes. */
static int check_header(const struct hcabi__image_format *f, struct hcabi__image *img,
			const char *path, uint64_t ram_size, char *err, size_t errlen)
{
	const uint8_t *h = img->data;
	uint64_t end;

	if (img->size < IMAGE_HEADER_SIZE || le(h + 56, 4) != f->magic)
		return hcabi__fail(err, errlen, "%s: not a%s %s Image (no \"%s\" magic at offset 56)",
				   path, f->arch[0] == 'a' ? "n" : "", f->arch, f->magic_text);
	img->text_offset = le(h + 8, 8);
	img->image_size = le(h + 16, 8);
	if (le(h + 24, 8) & IMAGE_FLAG_BE)
		return hcabi__fail(err, errlen, "%s: a big-endian Image is not supported", path);
	if ((HCABI__ARCH_RAM_BASE + img->text_offset) % f->load_align)
		return hcabi__fail(err, errlen, "%s: text_offset 0x%llx is not %s", path,
				   (unsigned long long)img->text_offset, f->align_text);
	/* image_size 0: an old kernel; it takes at least the file */
	if (img->image_size == 0)
		img->image_size = img->size;
	if (img->image_size < img->size)
		return hcabi__fail(err, errlen, "%s: image_size 0x%llx is below the file size 0x%llx",
				   path, (unsigned long long)img->image_size,
				   (unsigned long long)img->size);
	end = img->text_offset + img->image_size;
	if (end < img->text_offset || end > ram_size)
		return hcabi__fail(err, errlen,
				   "%s: the image (text_offset 0x%llx + image_size 0x%llx) does not "
				   "fit in %llu bytes of RAM",
				   path, (unsigned long long)img->text_offset,
				   (unsigned long long)img->image_size, (unsigned long long)ram_size);
	return 0;
}

struct hcabi__image *hcabi__image_load(const struct hcabi__image_format *f, const char *path,
				       const char *initrd_path, uint64_t ram_size, char *err,
				       size_t errlen)
{
	struct hcabi__image *img;
	size_t size = 0;

	if (initrd_path) { /* the device tree's linux,initrd-* would carry it: not yet */
		hcabi__fail(err, errlen, "--initrd: not supported on %s yet", f->arch);
		return NULL;
	}
	img = calloc(1, sizeof(*img));
	if (!img) {
		hcabi__fail(err, errlen, "out of memory");
		return NULL;
	}
	/* an Image file is at most RAM-sized (check_header says whether it fits) */
	if (hcabi__read_whole_file(path, "image", ram_size, &img->data, &size, err, errlen) != 0) {
		hcabi__arch_image_free(img);
		return NULL;
	}
	img->size = size;
	if (check_header(f, img, path, ram_size, err, errlen) != 0) {
		hcabi__arch_image_free(img);
		return NULL;
	}
	return img;
}

void hcabi__arch_image_free(struct hcabi__image *img)
{
	if (!img)
		return;
	free(img->data);
	free(img);
}

uint64_t hcabi__image_install(const struct hcabi__image *img, uint8_t *ram, uint64_t ram_size,
			      char *err, size_t errlen)
{
	/* checked against this size at load (main.c passes --memory) */
	if (img->text_offset + img->image_size > ram_size) {
		hcabi__fail(err, errlen, "the image does not fit in RAM");
		return 0;
	}
	/* BSS and the rest of image_size are zero: fresh anonymous RAM */
	memcpy(ram + img->text_offset, img->data, img->size);
	return HCABI__ARCH_RAM_BASE + img->text_offset;
}
