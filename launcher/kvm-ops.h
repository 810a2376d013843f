/*
 * The system calls the KVM SEV-SNP backend makes, as an ops table: the real
 * one (kvm_ops_sys) calls the kernel; tests swap in a fake KVM that checks
 * every struct and keeps the VM's state (tests/launcher/fake-kvm.h). Each op
 * returns a non-negative result or -errno, read at the failing call.
 */
#ifndef SNPVM_LAUNCHER_KVM_OPS_H
#define SNPVM_LAUNCHER_KVM_OPS_H

#include <stddef.h>
#include <stdint.h>

struct kvm_ops {
	/* open(2) with O_CLOEXEC added: an fd or -errno. */
	int (*open)(void *ctx, const char *path, int flags);
	/* ioctl(2) with an integer or pointer argument: the result (>= 0) or -errno. */
	int (*ioctl)(void *ctx, int fd, unsigned long req, unsigned long arg);
	/* mmap(2) at no fixed address: 0 with *out set, or -errno. */
	int (*mmap)(void *ctx, size_t len, int prot, int flags, int fd, void **out);
	void (*munmap)(void *ctx, void *addr, size_t len);
	void (*close)(void *ctx, int fd);
	/* fallocate(2) (the SNP exits punch holes in a guest_memfd): 0 or -errno. */
	int (*fallocate)(void *ctx, int fd, int mode, uint64_t off, uint64_t len);
	/* madvise(2) (the SNP exits discard a shared view): 0 or -errno. */
	int (*madvise)(void *ctx, void *addr, size_t len, int advice);
	void *ctx;
};

/* The kernel's system calls (ctx unused). */
extern const struct kvm_ops kvm_ops_sys;

#endif
