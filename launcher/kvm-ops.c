/* The KVM ops table on the real system calls. */
#include "launcher/kvm-ops.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static int sys_open(void *ctx, const char *path, int flags)
{
	int fd;

	(void)ctx;
	fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int sys_ioctl(void *ctx, int fd, unsigned long req, unsigned long arg)
{
	int r;

	(void)ctx;
	r = ioctl(fd, req, arg);
	return r < 0 ? -errno : r;
}

static int sys_mmap(void *ctx, size_t len, int prot, int flags, int fd, void **out)
{
	void *p;

	(void)ctx;
	p = mmap(NULL, len, prot, flags, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	*out = p;
	return 0;
}

static void sys_munmap(void *ctx, void *addr, size_t len)
{
	(void)ctx;
	munmap(addr, len);
}

static void sys_close(void *ctx, int fd)
{
	(void)ctx;
	close(fd);
}

static int sys_fallocate(void *ctx, int fd, int mode, uint64_t off, uint64_t len)
{
	(void)ctx;
	if (off > INT64_MAX || len > INT64_MAX)
		return -EINVAL;
	return fallocate(fd, mode, (off_t)off, (off_t)len) < 0 ? -errno : 0;
}

static int sys_madvise(void *ctx, void *addr, size_t len, int advice)
{
	(void)ctx;
	return madvise(addr, len, advice) < 0 ? -errno : 0;
}

const struct kvm_ops kvm_ops_sys = {
	.open = sys_open,
	.ioctl = sys_ioctl,
	.mmap = sys_mmap,
	.munmap = sys_munmap,
	.close = sys_close,
	.fallocate = sys_fallocate,
	.madvise = sys_madvise,
};
