/* SPDX-License-Identifier: MIT */
/*
 * files.c - reading a whole file given on the command line (a guest image,
 * an --initrd) into memory, with one-line errors naming it. Every
 * architecture's loader uses it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "refvmm.h"

int hcabi__read_whole_file(const char *path, const char *what, uint64_t max, uint8_t **data,
			   size_t *size, char *err, size_t errlen)
{
	struct stat st;
	size_t got = 0;
	uint8_t *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hcabi__fail(err, errlen, "cannot open %s %s: %s", what, path,
				   strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return hcabi__fail(err, errlen, "%s %s is not a regular file", what, path);
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return hcabi__fail(err, errlen, "%s %s is too large (%lld bytes)", what, path,
				   (long long)st.st_size);
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		return hcabi__fail(err, errlen, "out of memory reading %s", path);
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			close(fd);
			free(buf);
			return hcabi__fail(err, errlen, "cannot read %s %s: %s", what, path,
					   strerror(e));
		}
		got += (size_t)n;
	}
	close(fd);
	*data = buf;
	*size = got;
	return 0;
}
