/*
 * What host-check's files share: the run context the checks fill in order
 * (what a later check needs from an earlier one), the check signature, and
 * the helpers that set a result and read a pseudo file under the root.
 */
#ifndef SNPVM_HOSTCHECK_INTERNAL_H
#define SNPVM_HOSTCHECK_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostcheck/hostcheck.h"
#include "util/err.h"

/* What the first processor entry of /proc/cpuinfo says (hostcheck/cpu.c). */
struct hc_cpuinfo {
	char vendor[32]; /* printable ASCII only; "" when absent */
	unsigned family, model;
	bool have_family, have_model;
	bool flag_sev, flag_sev_es, flag_sev_snp;
};

/* SNP_PLATFORM_STATUS output, parsed (hostcheck/sev.c). */
struct hc_snp_status {
	uint8_t api_major, api_minor, state;
	bool rmp_initialised;
	uint32_t build_id, features, guest_count;
	uint64_t current_tcb, reported_tcb;
};

struct hc_ctx {
	char root[PATH_MAX]; /* "" for the real host, else the tree without a trailing '/' */
	bool real_root;
	struct hostcheck_sys sys; /* every member set (defaults filled in) */

	bool cpuinfo_ok;
	char cpuinfo_why[HOSTCHECK_TEXT]; /* why not, when !cpuinfo_ok */
	struct hc_cpuinfo cpu;
	bool amd;          /* cpu-vendor passed */
	bool cpuid_ok;     /* CPUID 0x8000001F reports SNP (regs below) */
	uint32_t sev_leaf[4];
	bool kvm_amd;      /* /sys/module/kvm_amd exists */
	int kvm_fd;        /* -1 unless dev-kvm passed */
	int sev_fd;        /* -1 unless dev-sev passed */
	bool status_ok;
	struct hc_snp_status status;
};

typedef void hc_check_fn(struct hc_ctx *c, struct hostcheck_result *r);

/* The firmware image at path against the manifest of known builds (hostcheck/firmware.c). */
void hc_firmware(const char *path, struct hostcheck_result *r);

/* The result setters: detail is printf-formatted; fix is a fixed sentence. */
void hc_pass(struct hostcheck_result *r, const char *fmt, ...) SNP_PRINTF(2, 3);
void hc_fail(struct hostcheck_result *r, const char *fix, const char *fmt, ...) SNP_PRINTF(3, 4);
void hc_skip(struct hostcheck_result *r, const char *fmt, ...) SNP_PRINTF(2, 3);

/* "<root><abs>" into buf (abs starts with '/'); false when it does not fit. */
bool hc_path(const struct hc_ctx *c, const char *abs, char *buf, size_t len);

/*
 * Reads the head of the pseudo file <root><abs>, at most max bytes,
 * NUL-terminated (util/file.h, file_read_head). *more: the file goes on past
 * max. The caller frees *out. Errors name the path as given (abs), not the
 * root, so messages read the same under a test tree.
 */
int hc_read(const struct hc_ctx *c, const char *abs, size_t max, char **out, size_t *len,
	    bool *more, struct snp_err *err) SNP_MUST_CHECK;

/* A device node a check opens read-write, and what to say when it cannot. */
struct hc_dev {
	const char *path;        /* "/dev/kvm" */
	const char *missing;     /* detail when it does not exist */
	const char *missing_fix;
	const char *denied_fix;  /* EACCES or EPERM */
	const char *other_fix;   /* any other errno */
};

/*
 * Opens <root><d->path> read-write through c->sys.open and sets r: pass, or
 * fail with the fix for the errno. Returns the fd, or -1.
 */
int hc_open_dev(struct hc_ctx *c, struct hostcheck_result *r, const struct hc_dev *d);

/* Copies s[0..n) into dst (size dsz) with every byte outside printable ASCII as '?'. */
void hc_printable(char *dst, size_t dsz, const char *s, size_t n);

/* The default OS calls (hostcheck/sys.c), for the members a caller left NULL. */
void hc_sys_defaults(struct hostcheck_sys *s);

/* The checks, in hostcheck/cpu.c, kernel.c, kvm.c and sev.c; the table is in checks.c. */
hc_check_fn hc_cpu_vendor, hc_cpu_model, hc_cpu_flag, hc_cpuid_snp, hc_snp_asids;
hc_check_fn hc_kernel_version, hc_kvm_amd_loaded, hc_kvm_amd_sev, hc_kvm_amd_sev_es,
	hc_kvm_amd_sev_snp;
hc_check_fn hc_dev_kvm, hc_kvm_api_version, hc_kvm_vm_types, hc_kvm_guest_memfd,
	hc_kvm_memory_attributes, hc_kvm_exit_hypercall;
hc_check_fn hc_dev_sev, hc_snp_firmware, hc_snp_initialised, hc_snp_tcb;

#endif
