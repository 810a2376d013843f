/* The fake SNP host for hostcheck/'s tests (tests/common/fakehost.h). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/common/fakehost.h"
#include "tests/common/testutil.h"
#include "util/file.h"

/* The kernel's request numbers (linux/kvm.h, linux/psp-sev.h on x86-64), written out. */
#define REQ_KVM_GET_API_VERSION 0xAE00ul
#define REQ_KVM_CHECK_EXTENSION 0xAE03ul
#define REQ_SEV_ISSUE_CMD 0xC0105300ul
/* Capability numbers (linux/kvm.h) and the SNP_PLATFORM_STATUS command (linux/psp-sev.h). */
#define CAP_EXIT_HYPERCALL 201
#define CAP_MEMORY_ATTRIBUTES 233
#define CAP_GUEST_MEMFD 234
#define CAP_VM_TYPES 235
#define SEV_CMD_SNP_PLATFORM_STATUS 9

/*
 * Two processor entries in the format of Linux's /proc/cpuinfo (arch/x86/kernel/cpu/proc.c)
 * with the values of an EPYC 7763 (Milan, family 25 model 1), most lines left out.
 */
const char fakehost_cpuinfo[] =
	"processor\t: 0\n"
	"vendor_id\t: AuthenticAMD\n"
	"cpu family\t: 25\n"
	"model\t\t: 1\n"
	"model name\t: AMD EPYC 7763 64-Core Processor\n"
	"stepping\t: 1\n"
	"flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep svm extapic sme sev sev_es "
	"sev_snp v_vmsave_vmload vgif v_spec_ctrl\n"
	"bugs\t\t: sysret_ss_attrs spectre_v1 spectre_v2\n"
	"\n"
	"processor\t: 1\n"
	"vendor_id\t: AuthenticAMD\n"
	"cpu family\t: 25\n"
	"model\t\t: 1\n"
	"flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep svm extapic sme sev sev_es "
	"sev_snp\n"
	"\n";

static void mkdirs(const char *path)
{
	char buf[4096];
	size_t i;

	snprintf(buf, sizeof(buf), "%s", path);
	for (i = 1; buf[i]; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", buf, strerror(errno));
		buf[i] = '/';
	}
}

void fakehost_write_bytes(struct fakehost *f, const char *rel, const void *p, size_t len)
{
	struct snp_err err = { 0 };
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	mkdirs(path);
	if (file_write_atomic(path, p, len, 0644, &err) != 0)
		fail_msg("%s", err.msg);
}

void fakehost_write(struct fakehost *f, const char *rel, const char *text)
{
	fakehost_write_bytes(f, rel, text, strlen(text));
}

void fakehost_remove(struct fakehost *f, const char *rel)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	rm_rf(path);
}

void fakehost_ready(struct fakehost *f)
{
	/* SNP_PLATFORM_STATUS as SNP ABI spec 56860 lays it out, byte by byte. */
	static const uint8_t status[32] = {
		1, 55,                   /* API_MAJOR, API_MINOR */
		1,                       /* STATE: INIT */
		1,                       /* IS_RMP_INIT */
		21, 0, 0, 0,             /* BUILD_ID */
		0, 0, 0, 0,              /* MASK_CHIP_ID etc. */
		2, 0, 0, 0,              /* GUEST_COUNT */
		3, 0, 0, 0, 0, 0, 8, 115, /* CURRENT_TCB, Milan: BL 3, TEE 0, SNP 8, uCode 115 */
		3, 0, 0, 0, 0, 0, 8, 115, /* REPORTED_TCB */
	};

	memset(f, 0, sizeof(*f));
	f->root = tmpdir_make();
	f->kvm_fd = f->sev_fd = -1;
	fakehost_write(f, "proc/cpuinfo", fakehost_cpuinfo);
	fakehost_write(f, "proc/sys/kernel/osrelease", "6.12.9-amd64\n");
	fakehost_write(f, "sys/module/kvm_amd/parameters/sev", "Y\n");
	fakehost_write(f, "sys/module/kvm_amd/parameters/sev_es", "Y\n");
	fakehost_write(f, "sys/module/kvm_amd/parameters/sev_snp", "Y\n");
	fakehost_write(f, "dev/kvm", "");
	fakehost_write(f, "dev/sev", "");
	f->api_version = 12;
	f->vm_types = 0x1f;          /* default, SW_PROTECTED, SEV, SEV_ES, SNP */
	f->guest_memfd = 1;
	f->memory_attributes = 0x8;  /* PRIVATE */
	f->exit_hypercall = 0x1000;  /* 1 << KVM_HC_MAP_GPA_RANGE (12) */
	memcpy(f->status, status, sizeof(status));
	f->cpuid_max_ext = 0x80000028;
	f->cpuid_sev[0] = 0x1b;                          /* SME, SEV, SEV-ES, SNP */
	f->cpuid_sev[1] = 51 | (1u << 6) | (4u << 12);   /* C-bit 51, 4 VMPLs */
	f->cpuid_sev[2] = 509;                           /* ASIDs in all */
	f->cpuid_sev[3] = 100;                           /* first SEV-only ASID */
}

static bool ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);

	return a >= b && strcmp(s + a - b, tail) == 0;
}

static int fake_open(void *ctx, const char *path, int flags)
{
	struct fakehost *f = ctx;
	int fd, *slot = NULL;

	if (ends_with(path, "/dev/kvm")) {
		if (f->kvm_open_errno)
			return -f->kvm_open_errno;
		slot = &f->kvm_fd;
	} else if (ends_with(path, "/dev/sev")) {
		if (f->sev_open_errno)
			return -f->sev_open_errno;
		slot = &f->sev_fd;
	} else {
		fail_msg("hostcheck opened %s through sys.open", path);
	}
	assert_int_equal(flags & O_ACCMODE, O_RDWR);
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*slot = fd;
	return fd;
}

static int kvm_ioctl(struct fakehost *f, unsigned long req, void *arg)
{
	if (req == REQ_KVM_GET_API_VERSION)
		return f->api_version;
	assert_int_equal(req, REQ_KVM_CHECK_EXTENSION);
	switch ((uintptr_t)arg) {
	case CAP_VM_TYPES:
		return f->vm_types;
	case CAP_GUEST_MEMFD:
		return f->guest_memfd;
	case CAP_MEMORY_ATTRIBUTES:
		return f->memory_attributes;
	case CAP_EXIT_HYPERCALL:
		return f->exit_hypercall;
	}
	fail_msg("unexpected KVM_CHECK_EXTENSION(%lu)", (unsigned long)(uintptr_t)arg);
	return -EINVAL;
}

/* struct sev_issue_cmd (psp-sev.h, packed): u32 cmd @0, u64 data @4, u32 error @12. */
static int sev_ioctl(struct fakehost *f, unsigned long req, void *arg)
{
	uint8_t *c = arg;
	uint32_t cmd, error;
	uint64_t data;

	assert_int_equal(req, REQ_SEV_ISSUE_CMD);
	memcpy(&cmd, c, 4);
	memcpy(&data, c + 4, 8);
	assert_int_equal(cmd, SEV_CMD_SNP_PLATFORM_STATUS);
	assert_true(data != 0);
	error = f->status_fw_error;
	memcpy(c + 12, &error, 4);
	if (f->status_ret < 0)
		return f->status_ret;
	memcpy((void *)(uintptr_t)data, f->status, sizeof(f->status));
	return 0;
}

static int fake_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	struct fakehost *f = ctx;

	f->ioctls++;
	if (fd >= 0 && fd == f->kvm_fd)
		return kvm_ioctl(f, req, arg);
	if (fd >= 0 && fd == f->sev_fd)
		return sev_ioctl(f, req, arg);
	fail_msg("ioctl 0x%lx on fd %d, neither /dev/kvm nor /dev/sev", req, fd);
	return -EBADF;
}

static void fake_cpuid(void *ctx, uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
	struct fakehost *f = ctx;

	assert_int_equal(subleaf, 0);
	memset(regs, 0, 4 * sizeof(regs[0]));
	if (leaf == 0x80000000u)
		regs[0] = f->cpuid_max_ext;
	else if (leaf == 0x8000001Fu)
		memcpy(regs, f->cpuid_sev, sizeof(f->cpuid_sev));
	else
		fail_msg("unexpected CPUID leaf 0x%x", leaf);
}

struct hostcheck_sys fakehost_sys(struct fakehost *f)
{
	struct hostcheck_sys s = {
		.open = fake_open, .ioctl = fake_ioctl, .cpuid = fake_cpuid, .ctx = f,
	};

	return s;
}

void fakehost_run(struct fakehost *f, struct hostcheck_report *rep)
{
	struct hostcheck_sys sys = fakehost_sys(f);
	struct hostcheck_opts o = { .root = f->root, .sys = &sys, .firmware = f->firmware };
	struct snp_err err = { 0 };

	f->kvm_fd = f->sev_fd = -1;
	if (hostcheck_run(&o, rep, &err) != 0)
		fail_msg("hostcheck_run: %s", err.msg);
}

void fakehost_free(struct fakehost *f)
{
	if (f->root) {
		rm_rf(f->root);
		free(f->root);
	}
	f->root = NULL;
}
