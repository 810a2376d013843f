/*
 * hostcheck/: a fake SNP-ready host passes every check, and each missing
 * piece fails the check that owns it, with that check's fix, while the
 * checks that need it skip. Expected texts are what docs/host-check.md
 * promises, written out here.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/sha.h>

#include "hostcheck/hostcheck.h"
#include "tests/common/fakehost.h"
#include "tests/common/testutil.h"

/* The checks, in their order (docs/host-check.md). */
static const char *const names[] = {
	"cpu-vendor",      "cpu-model",          "cpu-flag-sev-snp",   "cpuid-snp",
	"snp-asids",       "kernel-version",     "kvm-amd-loaded",     "kvm-amd-sev",
	"kvm-amd-sev-es",  "kvm-amd-sev-snp",    "dev-kvm",            "kvm-api-version",
	"kvm-vm-type-snp", "kvm-guest-memfd",    "kvm-memory-attributes", "kvm-exit-hypercall",
	"dev-sev",         "snp-firmware",       "snp-initialised",    "snp-tcb",
};
#define NCHECKS (sizeof(names) / sizeof(names[0]))

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n++;
	closedir(d);
	return n;
}

/* Every result is well-formed: a fix exactly on failures, none cut short. */
static void expect_well_formed(const struct hostcheck_report *rep)
{
	size_t i;

	assert_int_equal(rep->n, NCHECKS);
	for (i = 0; i < rep->n; i++) {
		const struct hostcheck_result *r = &rep->checks[i];

		assert_string_equal(r->name, names[i]);
		assert_true(r->detail[0] != '\0');
		assert_true(strlen(r->detail) < sizeof(r->detail) - 1);
		if (r->status == HOSTCHECK_FAIL) {
			assert_true(r->fix[0] != '\0');
			assert_true(strlen(r->fix) < sizeof(r->fix) - 1);
		} else {
			assert_string_equal(r->fix, "");
		}
	}
}

static const struct hostcheck_result *get(const struct hostcheck_report *rep, const char *name)
{
	const struct hostcheck_result *r = hostcheck_find(rep, name);

	if (!r)
		fail_msg("no check %s", name);
	return r;
}

static void expect_status(const struct hostcheck_report *rep, const char *name,
			  enum hostcheck_status want)
{
	const struct hostcheck_result *r = get(rep, name);

	if (r->status != want)
		fail_msg("%s: %s (%s), want %s", name, hostcheck_status_name(r->status), r->detail,
			 hostcheck_status_name(want));
}

/* name failed with detail containing detail_part and fix containing fix_part. */
static void expect_fail(const struct hostcheck_report *rep, const char *name,
			const char *detail_part, const char *fix_part)
{
	const struct hostcheck_result *r = get(rep, name);

	expect_status(rep, name, HOSTCHECK_FAIL);
	if (!strstr(r->detail, detail_part))
		fail_msg("%s: detail '%s' lacks '%s'", name, r->detail, detail_part);
	if (!strstr(r->fix, fix_part))
		fail_msg("%s: fix '%s' lacks '%s'", name, r->fix, fix_part);
	assert_false(hostcheck_ready(rep));
}

/* Every check other than those listed passed. */
static void expect_others_pass(const struct hostcheck_report *rep, const char *const *except)
{
	size_t i, j;

	for (i = 0; i < rep->n; i++) {
		bool listed = false;

		for (j = 0; except[j]; j++)
			listed |= strcmp(rep->checks[i].name, except[j]) == 0;
		if (!listed)
			expect_status(rep, rep->checks[i].name, HOSTCHECK_PASS);
	}
}

static void ready_host_passes_every_check(void **state)
{
	struct hostcheck_report rep;
	struct fakehost f;
	int fds = count_fds();

	(void)state;
	fakehost_ready(&f);
	fakehost_run(&f, &rep);
	expect_well_formed(&rep);
	for (size_t i = 0; i < rep.n; i++)
		expect_status(&rep, rep.checks[i].name, HOSTCHECK_PASS);
	assert_true(hostcheck_ready(&rep));
	assert_string_equal(get(&rep, "cpu-model")->detail, "family 0x19 model 0x1: Milan");
	assert_string_equal(get(&rep, "kernel-version")->detail, "kernel 6.12.9-amd64");
	assert_string_equal(get(&rep, "kvm-amd-sev-snp")->detail, "kvm_amd sev_snp=Y");
	/* ASIDs 1..99 for SEV-ES and SNP guests (EDX 100), 509 in all (ECX). */
	assert_string_equal(get(&rep, "snp-asids")->detail,
			    "99 ASIDs for SEV-ES and SNP guests, 509 in all");
	assert_string_equal(get(&rep, "kvm-vm-type-snp")->detail, "KVM_CAP_VM_TYPES is 0x1f");
	assert_string_equal(get(&rep, "snp-firmware")->detail,
			    "SNP firmware 1.55 build 21, 2 guests running");
	assert_string_equal(get(&rep, "snp-initialised")->detail,
			    "platform state INIT, RMP initialised");
	assert_string_equal(get(&rep, "snp-tcb")->detail,
			    "Milan TCB current BL 3 TEE 0 SNP 8 uCode 115, reported BL 3 TEE 0 "
			    "SNP 8 uCode 115");
	/* API version, four capabilities, one platform status. */
	assert_int_equal(f.ioctls, 6);
	assert_int_equal(count_fds(), fds); /* /dev/kvm and /dev/sev closed again */
	fakehost_free(&f);
}

static void no_dev_kvm_fails_and_skips_the_kvm_checks(void **state)
{
	static const char *const failing[] = { "dev-kvm",         "kvm-api-version",
					       "kvm-vm-type-snp", "kvm-guest-memfd",
					       "kvm-memory-attributes", "kvm-exit-hypercall",
					       NULL };
	struct hostcheck_report rep;
	struct fakehost f;

	(void)state;
	fakehost_ready(&f);
	fakehost_remove(&f, "dev/kvm");
	fakehost_run(&f, &rep);
	expect_well_formed(&rep);
	expect_fail(&rep, "dev-kvm", "no /dev/kvm: KVM is not available",
		    "the host must pass /dev/kvm through");
	for (size_t i = 1; failing[i]; i++) {
		expect_status(&rep, failing[i], HOSTCHECK_SKIP);
		assert_string_equal(get(&rep, failing[i])->detail, "needs /dev/kvm (dev-kvm)");
	}
	expect_others_pass(&rep, failing);
	fakehost_free(&f);
}

static void dev_kvm_permission_denied_says_how_to_get_access(void **state)
{
	struct hostcheck_report rep;
	struct fakehost f;

	(void)state;
	fakehost_ready(&f);
	f.kvm_open_errno = EACCES;
	fakehost_run(&f, &rep);
	expect_fail(&rep, "dev-kvm", "/dev/kvm: Permission denied", "usermod -aG kvm");
	expect_status(&rep, "kvm-vm-type-snp", HOSTCHECK_SKIP);
	fakehost_free(&f);
}

static void kvm_amd_without_sev_snp_fails_with_the_modprobe_line(void **state)
{
	static const char *const failing[] = { "kvm-amd-sev-snp", NULL };
	struct hostcheck_report rep;
	struct fakehost f;

	(void)state;
	fakehost_ready(&f);
	fakehost_write(&f, "sys/module/kvm_amd/parameters/sev_snp", "N\n");
	fakehost_run(&f, &rep);
	expect_well_formed(&rep);
	expect_fail(&rep, "kvm-amd-sev-snp", "kvm_amd sev_snp=N, not Y",
		    "modprobe kvm_amd sev=1 sev_es=1 sev_snp=1");
	expect_others_pass(&rep, failing);

	/* A kernel before 6.11 has no such parameter at all. */
	fakehost_remove(&f, "sys/module/kvm_amd/parameters/sev_snp");
	fakehost_run(&f, &rep);
	expect_fail(&rep, "kvm-amd-sev-snp", "/sys/module/kvm_amd/parameters/sev_snp: No such file",
		    "no sev_snp parameter");
	/* The message names the host path, not the test tree. */
	assert_null(strstr(get(&rep, "kvm-amd-sev-snp")->detail, f.root));

	/* "1" (an int parameter) counts as on; anything else does not. */
	fakehost_write(&f, "sys/module/kvm_amd/parameters/sev_snp", "1\n");
	fakehost_write(&f, "sys/module/kvm_amd/parameters/sev", "0");
	fakehost_run(&f, &rep);
	expect_status(&rep, "kvm-amd-sev-snp", HOSTCHECK_PASS);
	expect_fail(&rep, "kvm-amd-sev", "kvm_amd sev=0, not Y", "sev=1");
	fakehost_free(&f);
}

static void kvm_amd_not_loaded_skips_its_parameters(void **state)
{
	struct hostcheck_report rep;
	struct fakehost f;

	(void)state;
	fakehost_ready(&f);
	fakehost_remove(&f, "sys/module/kvm_amd");
	fakehost_run(&f, &rep);
	expect_fail(&rep, "kvm-amd-loaded", "kvm_amd is not loaded", "modprobe kvm_amd");
	expect_status(&rep, "kvm-amd-sev", HOSTCHECK_SKIP);
	expect_status(&rep, "kvm-amd-sev-snp", HOSTCHECK_SKIP);
	assert_string_equal(get(&rep, "kvm-amd-sev-snp")->detail,
			    "needs kvm_amd (kvm-amd-loaded)");
	fakehost_free(&f);
}

static void old_kernel_fails_below_6_11(void **state)
{
	static const struct {
		const char *release;
		enum hostcheck_status want;
	} cases[] = {
		{ "6.1.0-28-amd64\n", HOSTCHECK_FAIL }, { "6.10.14\n", HOSTCHECK_FAIL },
		{ "5.19.0\n", HOSTCHECK_FAIL },         { "6.11.0-rc1\n", HOSTCHECK_PASS },
		{ "6.12.9-amd64", HOSTCHECK_PASS },     { "7.0.0\n", HOSTCHECK_PASS },
		{ "10.2.3\n", HOSTCHECK_PASS },
	};
	static const char *const failing[] = { "kernel-version", NULL };
	struct hostcheck_report rep;
	struct fakehost f;

	(void)state;
	fakehost_ready(&f);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fakehost_write(&f, "proc/sys/kernel/osrelease", cases[i].release);
		fakehost_run(&f, &rep);
		expect_status(&rep, "kernel-version", cases[i].want);
	}
	fakehost_write(&f, "proc/sys/kernel/osrelease", "6.1.0-28-amd64\n");
	fakehost_run(&f, &rep);
	expect_well_formed(&rep);
	expect_fail(&rep, "kernel-version", "kernel 6.1.0-28-amd64 is older than 6.11",
		    "Boot Linux 6.11 or later");
	expect_others_pass(&rep, failing);
	fakehost_free(&f);
}

static void intel_cpu_fails_the_vendor_and_skips_the_amd_checks(void **state)
{
	struct hostcheck_report rep;
	struct fakehost f;

	(void)state;
	fakehost_ready(&f);
	fakehost_write(&f, "proc/cpuinfo",
		       "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n"
		       "model\t\t: 143\nflags\t\t: fpu vme vmx\n\n");
	fakehost_run(&f, &rep);
	expect_well_formed(&rep);
	expect_fail(&rep, "cpu-vendor", "vendor GenuineIntel, not AuthenticAMD", "AMD EPYC");
	expect_status(&rep, "cpu-model", HOSTCHECK_SKIP);
	expect_status(&rep, "cpuid-snp", HOSTCHECK_SKIP);
	expect_status(&rep, "snp-asids", HOSTCHECK_SKIP);
	expect_fail(&rep, "cpu-flag-sev-snp", "no sev_snp", "BIOS");
	fakehost_free(&f);
}

static void old_amd_family_fails_the_model_check(void **state)
{
	struct hostcheck_report rep;
	struct fakehost f;

	(void)state;
	fakehost_ready(&f);
	/* EPYC 7002 (Rome): family 23 (0x17) has SEV-ES but not SNP. */
	fakehost_write(&f, "proc/cpuinfo",
		       "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 23\n"
		       "model\t\t: 49\nflags\t\t: fpu sev sev_es\n\n");
	fakehost_run(&f, &rep);
	expect_fail(&rep, "cpu-model", "family 0x17 model 0x31: older than family 0x19",
		    "family 19h");
	fakehost_free(&f);
}

static void no_sev_snp_flag_fails_with_the_bios_fix(void **state)
{
	static const char *const failing[] = { "cpu-flag-sev-snp", NULL };
	struct hostcheck_report rep;
	struct fakehost f;

	(void)state;
	fakehost_ready(&f);
	fakehost_write(&f, "proc/cpuinfo",
		       "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\n"
		       "model\t\t: 1\nflags\t\t: fpu sev sev_es sev_snpx xsev_snp\n\n");
	fakehost_run(&f, &rep);
	expect_well_formed(&rep);
	expect_fail(&rep, "cpu-flag-sev-snp",
		    "no sev_snp in the flags of /proc/cpuinfo (sev yes, sev_es yes)",
		    "Enable SEV-SNP in the BIOS setup");
	expect_others_pass(&rep, failing);
	fakehost_free(&f);
}

static void cpuid_without_snp_or_asids_fails(void **state)
{
	struct hostcheck_report rep;
	struct fakehost f;

	(void)state;
	fakehost_ready(&f);
	f.cpuid_sev[3] = 1; /* every ASID is SEV-only */
	fakehost_run(&f, &rep);
	expect_fail(&rep, "snp-asids", "no ASIDs for SEV-ES/SNP guests (CPUID 0x8000001F ECX 509, "
				       "EDX 1)",
		    "SEV-ES ASID Space Limit");
	f.cpuid_sev[0] = 0x0b; /* SNP bit 4 clear */
	fakehost_run(&f, &rep);
	expect_fail(&rep, "cpuid-snp", "EAX 0x0000000b: SNP bit 4 clear (SEV yes, SEV-ES yes)",
		    "BIOS");
	expect_status(&rep, "snp-asids", HOSTCHECK_SKIP);
	f.cpuid_max_ext = 0x80000008;
	fakehost_run(&f, &rep);
	expect_fail(&rep, "cpuid-snp", "CPUID has no leaf 0x8000001F (highest extended leaf "
					"0x80000008)",
		    "bare metal");
	fakehost_free(&f);
}

static void kvm_without_snp_vm_type_fails(void **state)
{
	static const char *const failing[] = { "kvm-vm-type-snp", NULL };
	struct hostcheck_report rep;
	struct fakehost f;

	(void)state;
	fakehost_ready(&f);
	f.vm_types = 0x1; /* the default VM type only, as a nested (PVM) KVM reports */
	fakehost_run(&f, &rep);
	expect_well_formed(&rep);
	expect_fail(&rep, "kvm-vm-type-snp",
		    "KVM_CAP_VM_TYPES is 0x1: no KVM_X86_SNP_VM (bit 4): this KVM cannot create "
		    "SNP VMs",
		    "Linux 6.11 or later");
	expect_others_pass(&rep, failing);
	/* A kernel before 6.8 does not know the capability: 0. */
	f.vm_types = 0;
	fakehost_run(&f, &rep);
	expect_fail(&rep, "kvm-vm-type-snp", "KVM_CAP_VM_TYPES is 0x0", "sev_snp=1");
	fakehost_free(&f);
}

static void kvm_missing_memory_capabilities_fail(void **state)
{
	struct hostcheck_report rep;
	struct fakehost f;

	(void)state;
	fakehost_ready(&f);
	f.guest_memfd = 0;
	f.memory_attributes = 0; /* what a KVM without private memory answers */
	f.exit_hypercall = 0x1; /* some other hypercall, not MAP_GPA_RANGE */
	f.api_version = 11;
	fakehost_run(&f, &rep);
	expect_well_formed(&rep);
	expect_fail(&rep, "kvm-guest-memfd", "KVM_CAP_GUEST_MEMFD is 0x0", "Linux 6.11");
	expect_fail(&rep, "kvm-memory-attributes",
		    "KVM_CAP_MEMORY_ATTRIBUTES is 0x0: no KVM_MEMORY_ATTRIBUTE_PRIVATE (bit 3)",
		    "Linux 6.11");
	expect_fail(&rep, "kvm-exit-hypercall",
		    "KVM_CAP_EXIT_HYPERCALL is 0x1: no KVM_HC_MAP_GPA_RANGE (bit 12)", "Linux 6.11");
	expect_fail(&rep, "kvm-api-version", "KVM API version 11, want 12", "stable KVM API");
	f.api_version = -ENOTTY;
	f.vm_types = -EINVAL;
	fakehost_run(&f, &rep);
	expect_fail(&rep, "kvm-api-version", "KVM_GET_API_VERSION: Inappropriate ioctl",
		    "/dev/kvm");
	expect_fail(&rep, "kvm-vm-type-snp", "KVM_CHECK_EXTENSION(KVM_CAP_VM_TYPES): Invalid "
					     "argument",
		    "Linux 6.11");
	fakehost_free(&f);
}

static void dev_sev_missing_or_denied_fails_and_skips_the_firmware(void **state)
{
	static const char *const failing[] = { "dev-sev", "snp-firmware", "snp-initialised",
					       "snp-tcb", NULL };
	struct hostcheck_report rep;
	struct fakehost f;

	(void)state;
	fakehost_ready(&f);
	f.sev_open_errno = EACCES;
	fakehost_run(&f, &rep);
	expect_well_formed(&rep);
	expect_fail(&rep, "dev-sev", "/dev/sev: Permission denied",
		    "read-write access to /dev/sev");
	expect_status(&rep, "snp-firmware", HOSTCHECK_SKIP);
	assert_string_equal(get(&rep, "snp-firmware")->detail, "needs /dev/sev (dev-sev)");
	expect_status(&rep, "snp-initialised", HOSTCHECK_SKIP);
	expect_status(&rep, "snp-tcb", HOSTCHECK_SKIP);
	expect_others_pass(&rep, failing);
	f.sev_open_errno = 0;
	fakehost_remove(&f, "dev/sev");
	fakehost_run(&f, &rep);
	expect_fail(&rep, "dev-sev", "no /dev/sev", "load ccp");
	fakehost_free(&f);
}

static void platform_not_initialised_fails(void **state)
{
	static const char *const failing[] = { "snp-initialised", NULL };
	struct hostcheck_report rep;
	struct fakehost f;

	(void)state;
	fakehost_ready(&f);
	f.status[2] = 0; /* STATE: UNINIT */
	f.status[3] = 0; /* IS_RMP_INIT clear */
	fakehost_run(&f, &rep);
	expect_well_formed(&rep);
	expect_fail(&rep, "snp-initialised", "platform state 0 (not INIT), RMP not initialised",
		    "Load kvm_amd with sev_snp=1");
	expect_others_pass(&rep, failing);
	f.status[2] = 1; /* INIT, but the RMP bit still clear */
	fakehost_run(&f, &rep);
	expect_fail(&rep, "snp-initialised", "platform state 1 (INIT), RMP not initialised",
		    "RMP table");
	fakehost_free(&f);
}

static void firmware_old_or_refusing_fails(void **state)
{
	struct hostcheck_report rep;
	struct fakehost f;

	(void)state;
	fakehost_ready(&f);
	f.status[1] = 49;
	fakehost_run(&f, &rep);
	expect_fail(&rep, "snp-firmware", "SNP firmware 1.49 build 21 is older than 1.51",
		    "Update the SEV firmware");
	/* Decoded from the status all the same. */
	expect_status(&rep, "snp-tcb", HOSTCHECK_PASS);
	f.status_ret = -EIO;
	f.status_fw_error = 0x01;
	fakehost_run(&f, &rep);
	expect_fail(&rep, "snp-firmware",
		    "SNP_PLATFORM_STATUS: Input/output error, firmware status 0x1 "
		    "(INVALID_PLATFORM_STATE)",
		    "sev_snp=1");
	expect_status(&rep, "snp-initialised", HOSTCHECK_SKIP);
	expect_status(&rep, "snp-tcb", HOSTCHECK_SKIP);
	f.status_fw_error = 0;
	f.status_ret = -EINVAL;
	fakehost_run(&f, &rep);
	expect_fail(&rep, "snp-firmware", "SNP_PLATFORM_STATUS: Invalid argument", "dmesg");
	fakehost_free(&f);
}

static void reported_tcb_above_current_fails(void **state)
{
	struct hostcheck_report rep;
	struct fakehost f;

	(void)state;
	fakehost_ready(&f);
	f.status[24 + 6] = 9; /* REPORTED_TCB.SNP 9 > CURRENT_TCB.SNP 8 */
	fakehost_run(&f, &rep);
	expect_fail(&rep, "snp-tcb", "reported BL 3 TEE 0 SNP 9 uCode 115 is above it",
		    "SNP_SET_CONFIG");
	fakehost_free(&f);
}

static void root_must_be_a_directory(void **state)
{
	struct hostcheck_opts o = { 0 };
	struct hostcheck_report rep;
	struct snp_err err = { 0 };
	struct fakehost f;
	char path[4096];

	(void)state;
	fakehost_ready(&f);
	snprintf(path, sizeof(path), "%s/proc/cpuinfo", f.root);
	o.root = path;
	assert_int_equal(hostcheck_run(&o, &rep, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "is not a directory"));
	snprintf(path, sizeof(path), "%s/none", f.root);
	assert_int_equal(hostcheck_run(&o, &rep, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "No such file or directory"));
	assert_int_equal(rep.n, 0);
	/* A trailing slash is the same tree. */
	snprintf(path, sizeof(path), "%s///", f.root);
	struct hostcheck_sys sys = fakehost_sys(&f);
	o.sys = &sys;
	if (hostcheck_run(&o, &rep, &err) != 0)
		fail_msg("%s", err.msg);
	assert_true(hostcheck_ready(&rep));
	fakehost_free(&f);
}

/*
 * --firmware: the image against the manifest of known builds. The pinned AmdSev
 * build passes; Debian's OVMF_CODE_4M (no SEV metadata) and an unknown image
 * (the pinned one with a byte changed; its sha256 computed here) fail naming
 * why; the host's own checks are unaffected, and without --firmware there is no
 * such check.
 */
static void firmware_checked_against_the_manifest(void **state)
{
	struct hostcheck_report rep;
	struct fakehost f;
	const struct hostcheck_result *r;
	const char *const fw_only[] = { "firmware", NULL };
	char *dir = tmpdir_make(), path[1200], want[200];
	uint8_t md[SHA256_DIGEST_LENGTH], *img;
	size_t len;
	FILE *out;

	(void)state;
	fakehost_ready(&f);
	fakehost_run(&f, &rep);
	assert_null(hostcheck_find(&rep, "firmware"));

	f.firmware = tdata_path("firmware/OVMF.amdsev.fd");
	fakehost_run(&f, &rep);
	r = get(&rep, "firmware");
	assert_int_equal(r->status, HOSTCHECK_PASS);
	assert_non_null(strstr(r->detail, "OVMF.amdsev.fd (AmdSevX64, edk2 2025.02-8+deb13u1), "
					  "measured direct boot (kernel hashes)"));
	assert_true(hostcheck_ready(&rep));

	f.firmware = tdata_path("debian-ovmf/usr/share/OVMF/OVMF_CODE_4M.fd");
	fakehost_run(&f, &rep);
	expect_fail(&rep, "firmware", "has no SEV metadata: it cannot launch an SNP guest",
		    "make ovmf");
	expect_others_pass(&rep, fw_only);
	assert_false(hostcheck_ready(&rep));

	img = tdata_read("firmware/OVMF.amdsev.fd", &len);
	img[len / 2] ^= 1;
	SHA256(img, len, md);
	snprintf(path, sizeof(path), "%s/mine.fd", dir);
	assert_non_null(out = fopen(path, "wb"));
	assert_int_equal(fwrite(img, 1, len, out), len);
	fclose(out);
	f.firmware = path;
	fakehost_run(&f, &rep);
	snprintf(want, sizeof(want), "sha256 ");
	for (size_t i = 0; i < sizeof(md); i++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%02x", md[i]);
	strncat(want, " is not a known build", sizeof(want) - strlen(want) - 1);
	expect_fail(&rep, "firmware", want, "make ovmf");

	snprintf(path, sizeof(path), "%s/missing.fd", dir);
	fakehost_run(&f, &rep);
	expect_fail(&rep, "firmware", "missing.fd", "OVMF image");
	free(img);
	rm_rf(dir);
	free(dir);
	fakehost_free(&f);
}

static void report_json_lists_every_check(void **state)
{
	struct hostcheck_report rep;
	struct fakehost f;
	json_t *o, *checks, *e;

	(void)state;
	fakehost_ready(&f);
	fakehost_remove(&f, "dev/kvm");
	fakehost_run(&f, &rep);
	o = hostcheck_report_json(&rep);
	assert_non_null(o);
	assert_true(json_is_false(json_object_get(o, "ready")));
	checks = json_object_get(o, "checks");
	assert_int_equal(json_array_size(checks), NCHECKS);
	for (size_t i = 0; i < NCHECKS; i++) {
		e = json_array_get(checks, i);
		assert_string_equal(json_string_value(json_object_get(e, "name")), names[i]);
		assert_int_equal(json_object_size(e), 4);
	}
	e = json_array_get(checks, 10);
	assert_string_equal(json_string_value(json_object_get(e, "name")), "dev-kvm");
	assert_string_equal(json_string_value(json_object_get(e, "status")), "fail");
	assert_string_equal(json_string_value(json_object_get(e, "detail")),
			    "no /dev/kvm: KVM is not available");
	assert_non_null(strstr(json_string_value(json_object_get(e, "fix")), "/dev/kvm"));
	e = json_array_get(checks, 0);
	assert_string_equal(json_string_value(json_object_get(e, "status")), "pass");
	assert_true(json_is_null(json_object_get(e, "fix")));
	e = json_array_get(checks, 11);
	assert_string_equal(json_string_value(json_object_get(e, "status")), "skip");
	json_decref(o);
	fakehost_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ready_host_passes_every_check),
		cmocka_unit_test(no_dev_kvm_fails_and_skips_the_kvm_checks),
		cmocka_unit_test(dev_kvm_permission_denied_says_how_to_get_access),
		cmocka_unit_test(kvm_amd_without_sev_snp_fails_with_the_modprobe_line),
		cmocka_unit_test(kvm_amd_not_loaded_skips_its_parameters),
		cmocka_unit_test(old_kernel_fails_below_6_11),
		cmocka_unit_test(intel_cpu_fails_the_vendor_and_skips_the_amd_checks),
		cmocka_unit_test(old_amd_family_fails_the_model_check),
		cmocka_unit_test(no_sev_snp_flag_fails_with_the_bios_fix),
		cmocka_unit_test(cpuid_without_snp_or_asids_fails),
		cmocka_unit_test(kvm_without_snp_vm_type_fails),
		cmocka_unit_test(kvm_missing_memory_capabilities_fail),
		cmocka_unit_test(dev_sev_missing_or_denied_fails_and_skips_the_firmware),
		cmocka_unit_test(platform_not_initialised_fails),
		cmocka_unit_test(firmware_old_or_refusing_fails),
		cmocka_unit_test(reported_tcb_above_current_fails),
		cmocka_unit_test(root_must_be_a_directory),
		cmocka_unit_test(report_json_lists_every_check),
		cmocka_unit_test(firmware_checked_against_the_manifest),
	};

	return cmocka_run_group_tests_name("hostcheck/checks", tests, NULL, NULL);
}
