#include "measure/input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint8_t empty[1];

/* Non-regular files: read until EOF, growing the buffer, never past max. */
static int read_stream(int fd, const char *path, size_t max, struct input *in,
		       struct snp_err *err)
{
	size_t cap = 0, got = 0;
	uint8_t *buf = NULL;

	for (;;) {
		ssize_t n;

		if (got == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			uint8_t *nbuf;

			if (cap > max)
				break;
			if (ncap > max + 1)
				ncap = max + 1;
			nbuf = realloc(buf, ncap);
			if (!nbuf) {
				free(buf);
				return snp_errf(err, SNP_E_NOMEM, "%s: out of memory", path);
			}
			buf = nbuf;
			cap = ncap;
		}
		n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int ret = snp_err_sys(err, "%s: read", path);

			free(buf);
			return ret;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > max) {
			free(buf);
			return snp_errf(err, SNP_E_INVALID, "%s: more than the limit of %zu bytes",
					path, max);
		}
	}
	in->buf = buf;
	in->data = buf ? buf : empty;
	in->len = got;
	return 0;
}

int input_open(const char *path, size_t max, struct input *in, struct snp_err *err)
{
	int ret = SNP_E_INTERNAL, fd;
	struct stat st;

	memset(in, 0, sizeof(*in));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return snp_err_sys(err, "%s", path);
	if (fstat(fd, &st) != 0) {
		ret = snp_err_sys(err, "%s: stat", path);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = snp_errf(err, SNP_E_INVALID, "%s: is a directory", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = read_stream(fd, path, max, in, err);
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		ret = snp_errf(err, SNP_E_INVALID, "%s: %lld bytes is more than the limit of %zu",
			       path, (long long)st.st_size, max);
		goto out;
	}
	if (st.st_size == 0) {
		in->data = empty;
		ret = 0;
		goto out;
	}
	in->map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (in->map == MAP_FAILED) {
		in->map = NULL;
		ret = snp_err_sys(err, "%s: mmap", path);
		goto out;
	}
	in->map_len = (size_t)st.st_size;
	in->data = in->map;
	in->len = (size_t)st.st_size;
	ret = 0;
out:
	close(fd);
	return ret;
}

void input_close(struct input *in)
{
	if (in->map)
		munmap(in->map, in->map_len);
	free(in->buf);
	memset(in, 0, sizeof(*in));
}
