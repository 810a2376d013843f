#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const char *type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return "directory";
	case S_IFIFO:
		return "fifo";
	case S_IFCHR:
		return "character device";
	case S_IFBLK:
		return "block device";
	case S_IFSOCK:
		return "socket";
	default:
		return "unknown type";
	}
}

/*
 * /dev/null (character device 1:3 on Linux, Documentation/admin-guide/devices.txt)
 * reads as an empty file: `--kernel /dev/null` is how sev-snp-measure's own
 * vectors ask for an empty kernel. No other device is read.
 */
static bool is_dev_null(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && major(st->st_rdev) == 1 && minor(st->st_rdev) == 3;
}

static bool is_readable_type(const struct stat *st)
{
	return S_ISREG(st->st_mode) || is_dev_null(st);
}

/*
 * Opens path for reading if it is a regular file (or /dev/null); *size is its
 * size at open.
 * open(2) of a FIFO without O_NONBLOCK waits for a writer, forever if none
 * comes, and opening a device can have side effects (a tape rewinds, a tty
 * becomes the controlling terminal): so stat first and never open anything
 * else, open with O_NONBLOCK in case the name was swapped in between, and
 * decide on fstat of what was opened.
 */
static int open_input(const char *path, int *fdp, uint64_t *size, struct snp_err *err)
{
	struct stat st;
	int fd, fl;

	*fdp = -1;
	if (stat(path, &st) != 0)
		return snp_err_sys(err, "%s", path);
	if (!is_readable_type(&st))
		return snp_errf(err, SNP_E_INVALID, "%s: not a regular file (%s)", path,
				type_name(st.st_mode));
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return snp_err_sys(err, "%s", path);
	if (fstat(fd, &st) != 0) {
		int ret = snp_err_sys(err, "%s: stat", path);

		close(fd);
		return ret;
	}
	if (!is_readable_type(&st)) {
		close(fd);
		return snp_errf(err, SNP_E_INVALID, "%s: not a regular file (%s)", path,
				type_name(st.st_mode));
	}
	/* Blocking reads from here on (O_NONBLOCK means nothing to most file systems). */
	if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
		int ret = snp_err_sys(err, "%s: fcntl", path);

		close(fd);
		return ret;
	}
	*fdp = fd;
	*size = (uint64_t)st.st_size;
	return 0;
}

/*
 * Reads exactly len bytes at the current offset; done counts the bytes read
 * before this call, size is the size seen at open (both for the message).
 */
static int read_exact(int fd, const char *path, uint8_t *buf, size_t len, uint64_t done,
		      uint64_t size, struct snp_err *err)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return snp_err_sys(err, "%s: read", path);
		if (n == 0)
			return snp_errf(err, SNP_E_SYS,
					"%s: ended after %llu of the %llu bytes it had when opened "
					"(truncated while being read?)",
					path, (unsigned long long)(done + got),
					(unsigned long long)size);
		got += (size_t)n;
	}
	return 0;
}

/* Whether fd has another byte (*more); consumes it. */
static int read_past(int fd, const char *path, bool *more, struct snp_err *err)
{
	uint8_t extra;
	ssize_t n;

	do
		n = read(fd, &extra, 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return snp_err_sys(err, "%s: read", path);
	*more = n > 0;
	return 0;
}

/* After size bytes: the file must end there, else it grew while being read. */
static int expect_eof(int fd, const char *path, uint64_t size, struct snp_err *err)
{
	bool more;
	int ret;

	if ((ret = read_past(fd, path, &more, err)) != 0)
		return ret;
	if (more)
		return snp_errf(err, SNP_E_SYS,
				"%s: has more than the %llu bytes it had when opened (changed "
				"while being read?)",
				path, (unsigned long long)size);
	return 0;
}

static int check_max(const char *path, uint64_t size, uint64_t max, struct snp_err *err)
{
	if (size > max)
		return snp_errf(err, SNP_E_INVALID, "%s: %llu bytes is larger than the limit %llu",
				path, (unsigned long long)size, (unsigned long long)max);
	return 0;
}

int file_read(const char *path, size_t max, uint8_t **out, size_t *len, struct snp_err *err)
{
	int ret = SNP_E_INTERNAL, fd;
	uint64_t size = 0;
	uint8_t *buf = NULL;

	*out = NULL;
	*len = 0;
	if ((ret = open_input(path, &fd, &size, err)) != 0)
		return ret;
	if ((ret = check_max(path, size, max, err)) != 0)
		goto out;
	buf = malloc(size ? (size_t)size : 1);
	if (!buf) {
		ret = snp_errf(err, SNP_E_NOMEM, "%s: out of memory", path);
		goto out;
	}
	if ((ret = read_exact(fd, path, buf, (size_t)size, 0, size, err)) != 0 ||
	    (ret = expect_eof(fd, path, size, err)) != 0)
		goto out;
	*out = buf;
	*len = (size_t)size;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	close(fd);
	return ret;
}

int file_read_head(const char *path, size_t max, char **out, size_t *len, bool *more,
		   struct snp_err *err)
{
	int ret = SNP_E_INTERNAL, fd;
	uint64_t size = 0;
	size_t got = 0;
	char *buf = NULL;
	ssize_t n;

	*out = NULL;
	*len = 0;
	*more = false;
	if (max == SIZE_MAX)
		return snp_errf(err, SNP_E_INVALID, "%s: no limit given", path);
	if ((ret = open_input(path, &fd, &size, err)) != 0)
		return ret;
	buf = malloc(max + 1);
	if (!buf) {
		ret = snp_errf(err, SNP_E_NOMEM, "%s: out of memory", path);
		goto out;
	}
	while (got < max) {
		n = read(fd, buf + got, max - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = snp_err_sys(err, "%s: read", path);
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got == max && (ret = read_past(fd, path, more, err)) != 0)
		goto out;
	buf[got] = '\0';
	*out = buf;
	*len = got;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	close(fd);
	return ret;
}

int file_read_chunks(const char *path, uint64_t max, file_chunk_fn *fn, void *ctx,
		     uint64_t *size, struct snp_err *err)
{
	int ret = SNP_E_INTERNAL, fd;
	uint64_t total = 0, done = 0;
	uint8_t *buf = NULL;

	*size = 0;
	if ((ret = open_input(path, &fd, &total, err)) != 0)
		return ret;
	if ((ret = check_max(path, total, max, err)) != 0)
		goto out;
	buf = malloc(total < FILE_CHUNK_SIZE ? (total ? (size_t)total : 1) : FILE_CHUNK_SIZE);
	if (!buf) {
		ret = snp_errf(err, SNP_E_NOMEM, "%s: out of memory", path);
		goto out;
	}
	while (done < total) {
		size_t n = FILE_CHUNK_SIZE;

		if (total - done < n)
			n = (size_t)(total - done);

		if ((ret = read_exact(fd, path, buf, n, done, total, err)) != 0 ||
		    (ret = fn(ctx, buf, n, err)) != 0)
			goto out;
		done += n;
	}
	if ((ret = expect_eof(fd, path, total, err)) != 0)
		goto out;
	*size = total;
	ret = 0;
out:
	free(buf);
	close(fd);
	return ret;
}

int file_map(const char *path, size_t max, struct file_map *m, struct snp_err *err)
{
	static const uint8_t empty[1];
	int ret = SNP_E_INTERNAL, fd;
	uint64_t size = 0;
	void *p;

	memset(m, 0, sizeof(*m));
	m->data = empty;
	if ((ret = open_input(path, &fd, &size, err)) != 0)
		return ret;
	if ((ret = check_max(path, size, max, err)) != 0)
		goto out;
	if (size == 0) {
		/* Nothing to map (also /dev/null); a /proc file that claims 0 bytes is refused. */
		ret = expect_eof(fd, path, 0, err);
		goto out;
	}
	p = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (p == MAP_FAILED) {
		ret = snp_err_sys(err, "%s: mmap", path);
		goto out;
	}
	m->map = p;
	m->data = p;
	m->len = (size_t)size;
	ret = 0;
out:
	close(fd);
	return ret;
}

void file_unmap(struct file_map *m)
{
	if (m->map)
		munmap(m->map, m->len);
	memset(m, 0, sizeof(*m));
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
