/* The KVM ops table on the real system calls. */
#include "launcher/kvm-ops.h"

#include <errno.h>
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

const struct kvm_ops kvm_ops_sys = {
	.open = sys_open,
	.ioctl = sys_ioctl,
	.mmap = sys_mmap,
	.munmap = sys_munmap,
	.close = sys_close,
};
