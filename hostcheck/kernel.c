/*
 * The kernel checks: its version (the full SNP launch path is upstream since
 * Linux 6.11) and kvm_amd's module parameters sev, sev_es and sev_snp
 * (Documentation/virt/kvm/x86/amd-memory-encryption.rst), read from
 * /sys/module/kvm_amd/parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "hostcheck/internal.h"

/* KVM_X86_SNP_VM and the KVM_SEV_SNP_LAUNCH_* commands arrived in Linux 6.11. */
#define MIN_MAJOR 6u
#define MIN_MINOR 11u

#define RELEASE_MAX 256
#define PARAM_MAX 64

static const char reload_fix[] =
	"Reload kvm_amd with SEV-SNP: modprobe -r kvm_amd; modprobe kvm_amd sev=1 sev_es=1 "
	"sev_snp=1 (or 'options kvm_amd sev=1 sev_es=1 sev_snp=1' in /etc/modprobe.d/); if it "
	"stays off, dmesg says why (firmware, ASIDs, BIOS).";

/* "6.11.0-1-amd64" -> 6, 11: digits, a dot, digits, then anything. */
static bool parse_release(const char *s, unsigned *major, unsigned *minor)
{
	unsigned v[2] = { 0, 0 };
	int i;

	for (i = 0; i < 2; i++) {
		int digits = 0;

		for (; *s >= '0' && *s <= '9'; s++) {
			if (++digits > 5)
				return false;
			v[i] = v[i] * 10 + (unsigned)(*s - '0');
		}
		if (!digits || (i == 0 && *s++ != '.'))
			return false;
	}
	*major = v[0];
	*minor = v[1];
	return true;
}

void hc_kernel_version(struct hc_ctx *c, struct hostcheck_result *r)
{
	struct snp_err err = { 0 };
	char *buf = NULL, rel[RELEASE_MAX];
	struct utsname u;
	size_t len = 0;
	bool more;
	unsigned major, minor;

	/* The same string as uname -r (Documentation/admin-guide/sysctl/kernel.rst, osrelease). */
	if (hc_read(c, "/proc/sys/kernel/osrelease", RELEASE_MAX - 1, &buf, &len, &more,
		    &err) == 0) {
		while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
			len--;
		hc_printable(rel, sizeof(rel), buf, len);
		free(buf);
	} else if (c->real_root && uname(&u) == 0) {
		hc_printable(rel, sizeof(rel), u.release, strnlen(u.release, sizeof(u.release)));
	} else {
		hc_fail(r, "Mount /proc: the kernel check reads /proc/sys/kernel/osrelease.", "%s",
			err.msg);
		return;
	}
	if (!parse_release(rel, &major, &minor)) {
		hc_fail(r, "Boot a Linux 6.11 or later kernel built with CONFIG_KVM_AMD_SEV.",
			"cannot read a version from kernel release '%s'", rel);
		return;
	}
	if (major < MIN_MAJOR || (major == MIN_MAJOR && minor < MIN_MINOR)) {
		hc_fail(r,
			"Boot Linux 6.11 or later built with CONFIG_KVM_AMD_SEV (Debian 12: the "
			"bookworm-backports kernel): upstream KVM runs SNP guests since 6.11.",
			"kernel %s is older than 6.11", rel);
		return;
	}
	hc_pass(r, "kernel %s", rel);
}

void hc_kvm_amd_loaded(struct hc_ctx *c, struct hostcheck_result *r)
{
	char path[PATH_MAX];
	struct stat st;

	if (!hc_path(c, "/sys/module/kvm_amd", path, sizeof(path)) || stat(path, &st) != 0 ||
	    !S_ISDIR(st.st_mode)) {
		hc_fail(r, "Load it: modprobe kvm_amd sev=1 sev_es=1 sev_snp=1 (on an AMD host "
			   "with AMD-V (svm) enabled in the BIOS setup).",
			"kvm_amd is not loaded (no /sys/module/kvm_amd)");
		return;
	}
	c->kvm_amd = true;
	hc_pass(r, "kvm_amd is loaded");
}

/* One boolean module parameter: "Y"/"N" (bool) or "1"/"0" (older int parameters). */
static void module_param(struct hc_ctx *c, struct hostcheck_result *r, const char *name)
{
	struct snp_err err = { 0 };
	char abs[96], *buf = NULL, shown[PARAM_MAX];
	size_t len = 0;
	bool more;

	if (!c->kvm_amd) {
		hc_skip(r, "needs kvm_amd (kvm-amd-loaded)");
		return;
	}
	snprintf(abs, sizeof(abs), "/sys/module/kvm_amd/parameters/%s", name);
	if (hc_read(c, abs, PARAM_MAX - 1, &buf, &len, &more, &err) != 0) {
		if (strcmp(name, "sev_snp") == 0)
			hc_fail(r,
				"This kvm_amd has no sev_snp parameter: boot Linux 6.11 or later "
				"built with CONFIG_KVM_AMD_SEV.",
				"%s", err.msg);
		else
			hc_fail(r, "Boot a kernel built with CONFIG_KVM_AMD_SEV.", "%s", err.msg);
		return;
	}
	if (len && buf[len - 1] == '\n')
		len--;
	hc_printable(shown, sizeof(shown), buf, len);
	free(buf);
	if (strcmp(shown, "Y") == 0 || strcmp(shown, "1") == 0) {
		hc_pass(r, "kvm_amd %s=%s", name, shown);
		return;
	}
	hc_fail(r, reload_fix, "kvm_amd %s=%s, not Y", name, shown);
}

void hc_kvm_amd_sev(struct hc_ctx *c, struct hostcheck_result *r)
{
	module_param(c, r, "sev");
}

void hc_kvm_amd_sev_es(struct hc_ctx *c, struct hostcheck_result *r)
{
	module_param(c, r, "sev_es");
}

void hc_kvm_amd_sev_snp(struct hc_ctx *c, struct hostcheck_result *r)
{
	module_param(c, r, "sev_snp");
}
