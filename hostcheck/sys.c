/* host-check's reach into the host: the default OS calls, files and device nodes under the root. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "hostcheck/internal.h"
#include "util/file.h"

static int real_open(void *ctx, const char *path, int flags)
{
	int fd;

	(void)ctx;
	fd = open(path, flags | O_CLOEXEC | O_NOCTTY);
	return fd < 0 ? -errno : fd;
}

static int real_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	int r;

	(void)ctx;
	r = ioctl(fd, req, arg);
	return r < 0 ? -errno : r;
}

static void real_cpuid(void *ctx, uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
	(void)ctx;
	regs[0] = regs[1] = regs[2] = regs[3] = 0;
#if defined(__x86_64__) || defined(__i386__)
	__cpuid_count(leaf, subleaf, regs[0], regs[1], regs[2], regs[3]);
#else
	(void)leaf;
	(void)subleaf;
#endif
}

void hc_sys_defaults(struct hostcheck_sys *s)
{
	if (!s->open)
		s->open = real_open;
	if (!s->ioctl)
		s->ioctl = real_ioctl;
	if (!s->cpuid)
		s->cpuid = real_cpuid;
}

bool hc_path(const struct hc_ctx *c, const char *abs, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%s", c->root, abs);

	return n >= 0 && (size_t)n < len;
}

int hc_read(const struct hc_ctx *c, const char *abs, size_t max, char **out, size_t *len,
	    bool *more, struct snp_err *err)
{
	char path[PATH_MAX];
	int ret;

	*out = NULL;
	*len = 0;
	*more = false;
	if (!hc_path(c, abs, path, sizeof(path)))
		return snp_errf(err, SNP_E_INVALID, "%s: path under the root too long", abs);
	if ((ret = file_read_head(path, max, out, len, more, err)) != 0 && !c->real_root) {
		/* Say the host path, not the test tree's: strip the root from the message. */
		size_t rl = strlen(c->root);

		if (strncmp(err->msg, c->root, rl) == 0)
			memmove(err->msg, err->msg + rl, strlen(err->msg + rl) + 1);
	}
	return ret;
}

void hc_printable(char *dst, size_t dsz, const char *s, size_t n)
{
	size_t i;

	if (!dsz)
		return;
	for (i = 0; i < n && i + 1 < dsz; i++)
		dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	dst[i] = '\0';
}

int hc_open_dev(struct hc_ctx *c, struct hostcheck_result *r, const struct hc_dev *d)
{
	char path[PATH_MAX];
	int fd;

	if (!hc_path(c, d->path, path, sizeof(path))) {
		hc_fail(r, "Use a shorter --root.", "%s: path under the root too long", d->path);
		return -1;
	}
	fd = c->sys.open(c->sys.ctx, path, O_RDWR);
	if (fd >= 0) {
		hc_pass(r, "%s opens read-write", d->path);
		return fd;
	}
	if (fd == -ENOENT)
		hc_fail(r, d->missing_fix, "%s", d->missing);
	else if (fd == -EACCES || fd == -EPERM)
		hc_fail(r, d->denied_fix, "%s: %s", d->path, strerror(-fd));
	else
		hc_fail(r, d->other_fix, "%s: %s", d->path, strerror(-fd));
	return -1;
}
