/*
 * A fake host for hostcheck/: a directory tree with proc/, sys/ and dev/ as
 * an SNP-ready host has them, and a struct hostcheck_sys whose open, ioctl
 * and CPUID answer from the fields below. Tests start from fakehost_ready()
 * and break one piece. The ioctl fake checks the request numbers against the
 * kernel's (0xAE00, 0xAE03, 0xC0105300), not against our headers.
 */
#ifndef SNPVM_TESTS_COMMON_FAKEHOST_H
#define SNPVM_TESTS_COMMON_FAKEHOST_H

#include <stdint.h>

#include "hostcheck/hostcheck.h"

struct fakehost {
	char *root; /* the tree (a fresh temporary directory) */
	/* open: a non-zero errno here makes opening /dev/kvm or /dev/sev fail with it. */
	int kvm_open_errno, sev_open_errno;
	/* /dev/kvm answers (negative: -errno). */
	int api_version, vm_types, guest_memfd, memory_attributes, exit_hypercall;
	/* SNP_PLATFORM_STATUS: ioctl result (0 or -errno), firmware error, the 32 bytes. */
	int status_ret;
	uint32_t status_fw_error;
	uint8_t status[32];
	/* CPUID: highest extended leaf and Fn8000_001F EAX..EDX. */
	uint32_t cpuid_max_ext, cpuid_sev[4];
	/* --firmware: an image for the "firmware" check, or NULL. */
	const char *firmware;
	/* Bookkeeping of the fake. */
	int kvm_fd, sev_fd;
	unsigned ioctls;
};

/* A ready host: Milan, Linux 6.12.9, kvm_amd sev/sev_es/sev_snp=Y, SNP firmware 1.55 build 21. */
void fakehost_ready(struct fakehost *f);

/* Writes text to <root>/<rel>, creating directories. */
void fakehost_write(struct fakehost *f, const char *rel, const char *text);
/* The same with len bytes (binary content). */
void fakehost_write_bytes(struct fakehost *f, const char *rel, const void *p, size_t len);
/* Removes <root>/<rel> (a file or a tree). */
void fakehost_remove(struct fakehost *f, const char *rel);

/* The struct hostcheck_sys answering from f. */
struct hostcheck_sys fakehost_sys(struct fakehost *f);

/* Runs hostcheck on f's tree with f's answers; fails the test if hostcheck_run fails. */
void fakehost_run(struct fakehost *f, struct hostcheck_report *rep);

/* Removes the tree. */
void fakehost_free(struct fakehost *f);

/* The Milan cpuinfo entry fakehost_ready writes, for tests that vary it. */
extern const char fakehost_cpuinfo[];

#endif
