#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_read(const char *path, size_t max, uint8_t **out, size_t *len, struct snp_err *err)
{
	int ret = SNP_E_INTERNAL, fd;
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return snp_err_sys(err, "%s", path);
	if (fstat(fd, &st) != 0) {
		ret = snp_err_sys(err, "%s: stat", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = snp_errf(err, SNP_E_INVALID, "%s: not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		ret = snp_errf(err, SNP_E_INVALID, "%s: %lld bytes is larger than the limit %zu",
			       path, (long long)st.st_size, max);
		goto out;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		ret = snp_errf(err, SNP_E_NOMEM, "%s: out of memory", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = snp_err_sys(err, "%s: read", path);
			goto out;
		}
		if (n == 0)
			break; /* the file shrank under us: return what is there */
		got += (size_t)n;
	}
	*out = buf;
	*len = got;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	close(fd);
	return ret;
}

int file_write_atomic(const char *path, const void *buf, size_t len, unsigned mode,
		      struct snp_err *err)
{
	int ret = SNP_E_INTERNAL, fd = -1;
	char tmp[4096];
	const uint8_t *p = buf;
	size_t done = 0;
	struct stat st;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= sizeof(tmp))
		return snp_errf(err, SNP_E_INVALID, "%s: path too long", path);
	/* rename() would replace a device, FIFO or symlink with a plain file: refuse. */
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return snp_errf(err, SNP_E_INVALID, "%s: exists and is not a regular file", path);
	/*
	 * A fresh name created exclusively (O_EXCL, random suffix): a file or
	 * symlink planted at a predictable temporary name is never followed.
	 */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return snp_err_sys(err, "%s: temporary file", path);
	if (fchmod(fd, mode) != 0) {
		ret = snp_err_sys(err, "%s: chmod", tmp);
		goto out;
	}
	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = snp_err_sys(err, "%s: write", tmp);
			goto out;
		}
		done += (size_t)n;
	}
	if (fsync(fd) != 0) {
		ret = snp_err_sys(err, "%s: fsync", tmp);
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		ret = snp_err_sys(err, "%s: close", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		ret = snp_err_sys(err, "%s: rename", path);
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (ret)
		unlink(tmp);
	return ret;
}
