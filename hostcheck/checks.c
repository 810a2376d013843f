/*
 * The table of host-check's checks, in the order they run and print, and the
 * run over it. Later checks use what earlier ones found (hc_ctx), and skip,
 * naming the check, when what they need is missing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostcheck/internal.h"

static const struct {
	const char *name;
	hc_check_fn *fn;
} checks[] = {
	/* The processor: virtee snphost's `ok` checks these through CPUID and MSRs. */
	{ "cpu-vendor", hc_cpu_vendor },
	{ "cpu-model", hc_cpu_model },
	{ "cpu-flag-sev-snp", hc_cpu_flag },
	{ "cpuid-snp", hc_cpuid_snp },
	{ "snp-asids", hc_snp_asids },
	/* The kernel and its KVM: what snphost does not check. */
	{ "kernel-version", hc_kernel_version },
	{ "kvm-amd-loaded", hc_kvm_amd_loaded },
	{ "kvm-amd-sev", hc_kvm_amd_sev },
	{ "kvm-amd-sev-es", hc_kvm_amd_sev_es },
	{ "kvm-amd-sev-snp", hc_kvm_amd_sev_snp },
	{ "dev-kvm", hc_dev_kvm },
	{ "kvm-api-version", hc_kvm_api_version },
	{ "kvm-vm-type-snp", hc_kvm_vm_types },
	{ "kvm-guest-memfd", hc_kvm_guest_memfd },
	{ "kvm-memory-attributes", hc_kvm_memory_attributes },
	{ "kvm-exit-hypercall", hc_kvm_exit_hypercall },
	/* The secure processor's firmware. */
	{ "dev-sev", hc_dev_sev },
	{ "snp-firmware", hc_snp_firmware },
	{ "snp-initialised", hc_snp_initialised },
	{ "snp-tcb", hc_snp_tcb },
};

_Static_assert(sizeof(checks) / sizeof(checks[0]) + 1 <= HOSTCHECK_MAX_CHECKS,
	       "struct hostcheck_report holds every check");

static void set(struct hostcheck_result *r, enum hostcheck_status s, const char *fix,
		const char *fmt, va_list ap) SNP_PRINTF(4, 0);

static void set(struct hostcheck_result *r, enum hostcheck_status s, const char *fix,
		const char *fmt, va_list ap)
{
	r->status = s;
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	snprintf(r->fix, sizeof(r->fix), "%s", fix ? fix : "");
}

void hc_pass(struct hostcheck_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set(r, HOSTCHECK_PASS, NULL, fmt, ap);
	va_end(ap);
}

void hc_fail(struct hostcheck_result *r, const char *fix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set(r, HOSTCHECK_FAIL, fix, fmt, ap);
	va_end(ap);
}

void hc_skip(struct hostcheck_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set(r, HOSTCHECK_SKIP, NULL, fmt, ap);
	va_end(ap);
}

static int set_root(struct hc_ctx *c, const char *root, struct snp_err *err)
{
	struct stat st;
	size_t n;

	c->real_root = !root || strcmp(root, "/") == 0;
	if (c->real_root)
		return 0;
	n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	if (n == 0 || n >= sizeof(c->root) - 64)
		return snp_errf(err, SNP_E_INVALID, "--root: '%s' is not a usable path", root);
	memcpy(c->root, root, n);
	c->root[n] = '\0';
	if (stat(c->root, &st) != 0)
		return snp_errf(err, SNP_E_INVALID, "--root: %s: %s", c->root, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return snp_errf(err, SNP_E_INVALID, "--root: %s is not a directory", c->root);
	return 0;
}

int hostcheck_run(const struct hostcheck_opts *o, struct hostcheck_report *out,
		  struct snp_err *err)
{
	struct hc_ctx c;
	size_t i;
	int ret;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.kvm_fd = c.sev_fd = -1;
	if ((ret = set_root(&c, o->root, err)) != 0)
		return ret;
	if (o->sys)
		c.sys = *o->sys;
	hc_sys_defaults(&c.sys);
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		struct hostcheck_result *r = &out->checks[out->n++];

		r->name = checks[i].name;
		checks[i].fn(&c, r);
	}
	if (o->firmware) {
		struct hostcheck_result *r = &out->checks[out->n++];

		r->name = "firmware";
		hc_firmware(o->firmware, r);
	}
	if (c.kvm_fd >= 0)
		close(c.kvm_fd);
	if (c.sev_fd >= 0)
		close(c.sev_fd);
	return 0;
}

bool hostcheck_ready(const struct hostcheck_report *r)
{
	size_t i;

	if (r->n == 0)
		return false;
	for (i = 0; i < r->n; i++)
		if (r->checks[i].status != HOSTCHECK_PASS)
			return false;
	return true;
}

const struct hostcheck_result *hostcheck_find(const struct hostcheck_report *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->checks[i].name, name) == 0)
			return &r->checks[i];
	return NULL;
}

const char *hostcheck_status_name(enum hostcheck_status s)
{
	switch (s) {
	case HOSTCHECK_PASS:
		return "pass";
	case HOSTCHECK_FAIL:
		return "fail";
	case HOSTCHECK_SKIP:
		return "skip";
	}
	return "?";
}
