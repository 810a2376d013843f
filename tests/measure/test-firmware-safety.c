/*
 * Firmware safety, shared by snpvm measure and snpvm launch (the launch plan,
 * measure/plan.c): firmware without SEV metadata (Debian's OVMF_CODE_4M.fd)
 * is refused, and so is a kernel on firmware without an SNP_KERNEL_HASHES
 * section (Debian 12's OVMF.fd), with messages naming the file. The manifest
 * of known builds (measure/firmware-known.c) knows the pinned AmdSev image and
 * Debian's files by the sha256 their provenance gives (tests/data/README.md),
 * and the CLI warns about an image it does not know.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "measure/firmware-known.h"
#include "measure/kernel-hashes.h"
#include "measure/measure.h"
#include "tests/common/testutil.h"
#include "util/file.h"

#define CODE_4M "debian-ovmf/usr/share/OVMF/OVMF_CODE_4M.fd"
#define DEBIAN_FD "debian-ovmf/usr/share/ovmf/OVMF.fd"
#define AMDSEV "firmware/OVMF.amdsev.fd"
#define KERNEL "measure/inputs/kernel.bin"

/* The sha256 values tests/data/README.md and firmware/README.md give. */
#define SHA_AMDSEV "5e096d451c351f2c310b3f24bbf5a1487122407b61431f32f36465a6bb15e688"
#define SHA_DEBIAN_FD "7b456907dd0786d415999e801a1ac4637b8ed4d7cf5378cfc6edbe5e574dd773"
#define SHA_CODE_4M "b157d97b1f69729514feb7f201d2cbe4957f23ab77920e361fe9f822ba49ca4c"

static int measure_file(const char *rel, const char *name, bool kernel, struct snp_err *err)
{
	size_t len;
	uint8_t *fw = tdata_read(rel, &len);
	struct sev_hashes h;
	struct measure_opts o = { .launch = { .mode = MEASURE_MODE_SNP, .vmm = VMM_QEMU, .vcpus = 1,
					      .vcpu_sig = 0x00a00f11, .guest_features = 1,
					      .ovmf = fw, .ovmf_len = len, .ovmf_name = name } };
	struct measure_result r;
	int ret;

	if (kernel) {
		assert_int_equal(kernel_hashes_compute((const uint8_t *)"K", 1, NULL, 0, "", &h, err),
				 0);
		o.launch.kernel_hashes = &h;
	}
	ret = measure_run(&o, &r, err);
	free(fw);
	return ret;
}

static void library_refuses_unfit_firmware_naming_it(void **state)
{
	struct snp_err err = { 0 };

	(void)state;
	assert_int_equal(measure_file(CODE_4M, "/x/OVMF_CODE_4M.fd", false, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "OVMF /x/OVMF_CODE_4M.fd"));
	assert_non_null(strstr(err.msg, "no SEV metadata"));
	memset(&err, 0, sizeof(err));
	assert_int_equal(measure_file(DEBIAN_FD, "/x/OVMF.fd", true, &err), SNP_E_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "OVMF /x/OVMF.fd"));
	assert_non_null(strstr(err.msg, "no SNP_KERNEL_HASHES section"));
	/* without a kernel Debian's OVMF.fd measures; the pinned AmdSev takes a kernel */
	assert_int_equal(measure_file(DEBIAN_FD, "/x/OVMF.fd", false, &err), 0);
	assert_int_equal(measure_file(AMDSEV, "/x/a.fd", true, &err), 0);
	/* no name: the messages say OVMF */
	assert_int_equal(measure_file(DEBIAN_FD, NULL, true, &err), SNP_E_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "OVMF: SEV metadata"));
}

static void manifest_knows_the_pinned_and_debian_images(void **state)
{
	static const struct {
		const char *rel, *sha;
		bool md, kh;
	} cases[] = {
		{ AMDSEV, SHA_AMDSEV, true, true },
		{ DEBIAN_FD, SHA_DEBIAN_FD, true, false },
		{ CODE_4M, SHA_CODE_4M, false, false },
	};
	struct snp_err err = { 0 };
	char hex[FIRMWARE_SHA256_HEX];
	const struct firmware_known *k;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len;
		uint8_t *fw = tdata_read(cases[i].rel, &len);

		assert_int_equal(firmware_known_lookup(fw, len, hex, &k, &err), 0);
		assert_string_equal(hex, cases[i].sha);
		assert_non_null(k);
		assert_int_equal(k->sev_metadata, cases[i].md);
		assert_int_equal(k->kernel_hashes, cases[i].kh);
		assert_non_null(k->origin);
		/* an image with one byte changed is unknown */
		fw[0] ^= 1;
		assert_int_equal(firmware_known_lookup(fw, len, hex, &k, &err), 0);
		assert_null(k);
		assert_string_not_equal(hex, cases[i].sha);
		free(fw);
	}
}

/* Every entry is well formed: 64 lower-case hex digits, each hash once. */
static void manifest_entries_are_well_formed(void **state)
{
	size_t n;
	const struct firmware_known *k = firmware_known_all(&n);

	(void)state;
	assert_true(n >= 5);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(strlen(k[i].sha256), 64);
		assert_int_equal(strspn(k[i].sha256, "0123456789abcdef"), 64);
		assert_true(!k[i].kernel_hashes || k[i].sev_metadata);
		assert_true(k[i].kernel_hashes || k[i].note);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(k[i].sha256, k[j].sha256);
	}
}

static void measure_cli(const char *rel, bool kernel, struct run_result *r)
{
	char fw[1024], kp[1024];
	const char *argv[] = { "measure", "--vcpus", "1", "--vcpu-type", "EPYC-v4", "--ovmf", fw,
			       kernel ? "--kernel" : NULL, kp, NULL };

	snprintf(fw, sizeof(fw), "%s", tdata_path(rel));
	snprintf(kp, sizeof(kp), "%s", tdata_path(KERNEL));
	run_snpvm(argv, NULL, r);
}

static void measure_cli_refuses_and_warns(void **state)
{
	struct run_result r;
	char *tmp = tmpdir_make(), path[1200];
	size_t len;
	uint8_t *fw = tdata_read(DEBIAN_FD, &len);
	struct snp_err err = { 0 };

	(void)state;
	measure_cli(CODE_4M, false, &r);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.err, "OVMF_CODE_4M.fd"));
	assert_non_null(strstr(r.err, "no SEV metadata"));
	assert_null(strstr(r.err, "not a known build"));
	run_result_free(&r);
	measure_cli(DEBIAN_FD, true, &r);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.err, "ovmf/OVMF.fd: SEV metadata"));
	assert_non_null(strstr(r.err, "no SNP_KERNEL_HASHES section"));
	run_result_free(&r);
	measure_cli(AMDSEV, true, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	run_result_free(&r);
	/* Debian's OVMF.fd with a byte of its padding changed: measured, but unknown */
	fw[0] ^= 1;
	snprintf(path, sizeof(path), "%s/changed.fd", tmp);
	assert_int_equal(file_write_atomic(path, fw, len, 0644, &err), 0);
	{
		const char *argv[] = { "measure", "--vcpus", "1", "--vcpu-type", "EPYC-v4",
				       "--ovmf", path, NULL };

		run_snpvm(argv, NULL, &r);
	}
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "warning: firmware"));
	assert_non_null(strstr(r.err, "changed.fd"));
	assert_non_null(strstr(r.err, "not a known build"));
	run_result_free(&r);
	free(fw);
	rm_rf(tmp);
	free(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(library_refuses_unfit_firmware_naming_it),
		cmocka_unit_test(manifest_knows_the_pinned_and_debian_images),
		cmocka_unit_test(manifest_entries_are_well_formed),
		cmocka_unit_test(measure_cli_refuses_and_warns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
