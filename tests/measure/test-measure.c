/*
 * measure/measure.c and `snpvm measure`: option checking, the driver's
 * refusals through the library and through the CLI (exit status 2, message
 * naming the section or offset), and help. Digest values are tested in
 * test-vectors.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "abi/endian.h"
#include "measure/measure.h"
#include "tests/common/testutil.h"
#include "util/file.h"

#define SUFFIX "measure/firmware/ovmf_AmdSev_suffix.bin"

static void opts_init(struct measure_opts *o, const uint8_t *fw, size_t len)
{
	memset(o, 0, sizeof(*o));
	o->launch.mode = MEASURE_MODE_SNP;
	o->launch.vmm = VMM_QEMU;
	o->launch.vcpus = 1;
	o->launch.vcpu_sig = 0x00A00F11;
	o->launch.guest_features = 1;
	o->launch.ovmf = fw;
	o->launch.ovmf_len = len;
}

static void measure_run_refuses_bad_options(void **state)
{
	struct snp_err err = { 0 };
	struct measure_result r;
	struct measure_opts o;
	struct sev_hashes h;
	size_t len;
	uint8_t *fw = tdata_read(SUFFIX, &len);
	uint8_t *x64 = tdata_read("measure/firmware/ovmf_OvmfX64_suffix.bin", &len);

	(void)state;
	memset(&h, 0, sizeof(h));
	opts_init(&o, fw, len);
	assert_int_equal(measure_run(&o, &r, &err), 0);
	assert_int_equal(r.npages, 1 + 0x9 + 0x3 + 1 + 1 + 1 + 1 + 0xF + 1); /* §6.4 sections */

	o.launch.vcpus = 0;
	assert_int_equal(measure_run(&o, &r, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "vCPU count 0"));
	o.launch.vcpus = MEASURE_MAX_VCPUS + 1;
	assert_int_equal(measure_run(&o, &r, &err), SNP_E_INVALID);
	o.launch.vcpus = 1;

	o.launch.ovmf = NULL;
	assert_int_equal(measure_run(&o, &r, &err), SNP_E_INVALID);
	o.launch.ovmf = fw;

	/* a kernel on firmware without SNP_KERNEL_HASHES (§6.2, issue #26) */
	opts_init(&o, x64, len);
	o.launch.kernel_hashes = &h;
	assert_int_equal(measure_run(&o, &r, &err), SNP_E_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "SNP_KERNEL_HASHES"));
	for (size_t i = 0; i < SNP_LD_SIZE; i++)
		assert_int_equal(r.ld[i], 0);

	/* SVSM mode: QEMU only, page-aligned VARS gap, an SVSM image */
	opts_init(&o, fw, len);
	o.launch.mode = MEASURE_MODE_SVSM;
	o.launch.svsm = fw;
	o.launch.svsm_len = len;
	o.launch.vars_size = 0x1001;
	assert_int_equal(measure_run(&o, &r, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "VARS size 0x1001"));
	o.launch.vars_size = 0x1000;
	o.launch.vmm = VMM_EC2;
	assert_int_equal(measure_run(&o, &r, &err), SNP_E_UNSUPPORTED);
	o.launch.vmm = VMM_QEMU;
	/* the AmdSev suffix has no SVSM info entry */
	assert_int_equal(measure_run(&o, &r, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "SVSM info"));
	free(x64);
	free(fw);
}

/* --- the CLI --- */

static void run(const char *const argv[], int want_status, const char *want_err)
{
	struct run_result res;

	run_snpvm(argv, NULL, &res);
	if (res.status != want_status)
		fail_msg("%s %s ...: exit %d, want %d; stderr: %s", argv[0], argv[1], res.status,
			 want_status, res.err);
	if (want_err && !strstr(res.err, want_err))
		fail_msg("stderr \"%s\" does not name \"%s\"", res.err, want_err);
	if (want_status != 0)
		assert_string_equal(res.out, "");
	run_result_free(&res);
}

/* Writes a mutated copy of the AmdSev suffix into dir and returns its path. */
static char *mutant(const char *dir, const char *name, size_t len,
		    void (*mutate)(uint8_t *buf))
{
	struct snp_err err = { 0 };
	char path[512];
	size_t n;
	uint8_t *buf = tdata_read(SUFFIX, &n);

	if (mutate)
		mutate(buf);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (file_write_atomic(path, buf, len, 0644, &err) != 0)
		fail_msg("%s", err.msg);
	free(buf);
	return strdup(path);
}

static void no_metadata(uint8_t *buf)
{
	buf[0xf74] ^= 0xff;
}

static void overlap(uint8_t *buf)
{
	le32_put(buf + 0xabc + 12 + 4, 0x4000);
}

static void outside(uint8_t *buf)
{
	le32_put(buf + 0xabc + 72, 0xFFFFF000);
	le32_put(buf + 0xabc + 72 + 4, 0x1000);
}

static void unknown_type(uint8_t *buf)
{
	le32_put(buf + 0xabc + 48 + 8, 5);
}

static void cli_refuses_unusable_firmware(void **state)
{
	char *dir = tmpdir_make();
	char *odd = mutant(dir, "odd.fd", 4095, NULL);
	char *nomd = mutant(dir, "nomd.fd", 4096, no_metadata);
	char *ovl = mutant(dir, "overlap.fd", 4096, overlap);
	char *out = mutant(dir, "outside.fd", 4096, outside);
	char *unk = mutant(dir, "unknown.fd", 4096, unknown_type);
	char x64[512], kernel[512];

	(void)state;
	run((const char *const[]){ "measure", "--vcpus=1", "--vcpu-type=EPYC-v4", "--ovmf", odd,
				    NULL },
	    2, "4095");
	run((const char *const[]){ "measure", "--vcpus=1", "--vcpu-type=EPYC-v4", "--ovmf", nomd,
				    NULL },
	    2, "no SEV metadata entry");
	run((const char *const[]){ "measure", "--mode", "snp:ovmf-hash", "--ovmf", nomd, NULL }, 2,
	    "0xf58");
	run((const char *const[]){ "measure", "--vcpus=1", "--vcpu-type=EPYC-v4", "--ovmf", ovl,
				    NULL },
	    2, "section 2 (SNP_SECRETS) at 0xad4");
	run((const char *const[]){ "measure", "--vcpus=1", "--vcpu-type=EPYC-v4", "--ovmf", out,
				    NULL },
	    2, "outside guest memory");
	run((const char *const[]){ "measure", "--vcpus=1", "--vcpu-type=EPYC-v4", "--ovmf", unk,
				    NULL },
	    2, "section 4 at 0xaec: unknown type 0x5");
	snprintf(x64, sizeof(x64), "--ovmf=%s",
		 tdata_path("measure/firmware/ovmf_OvmfX64_suffix.bin"));
	snprintf(kernel, sizeof(kernel), "--kernel=%s", tdata_path("measure/inputs/kernel.bin"));
	run((const char *const[]){ "measure", "--vcpus=1", "--vcpu-type=EPYC-v4", x64, kernel,
				    NULL },
	    2, "SNP_KERNEL_HASHES");
	run((const char *const[]){ "measure", "--vcpus=1", "--vcpu-type=EPYC-v4", "--ovmf",
				    "/nonexistent/OVMF.fd", NULL },
	    3, "/nonexistent/OVMF.fd");
	free(odd);
	free(nomd);
	free(ovl);
	free(out);
	free(unk);
	rm_rf(dir);
	free(dir);
}

static void cli_refuses_bad_flags(void **state)
{
	char ovmf[512];

	(void)state;
	snprintf(ovmf, sizeof(ovmf), "--ovmf=%s", tdata_path(SUFFIX));
	run((const char *const[]){ "measure", "--vcpus=1", "--vcpu-type=EPYC-Foo", ovmf, NULL }, 2,
	    "EPYC-Foo");
	run((const char *const[]){ "measure", "--vcpus=1", "--vcpu-type=epyc-v4", ovmf, NULL }, 2,
	    "epyc-v4");
	run((const char *const[]){ "measure", "--vcpus=1", "--vmm-type=azure", ovmf, NULL }, 2,
	    "azure");
	run((const char *const[]){ "measure", "--vcpus=1", ovmf, NULL }, 2, "CPU model");
	run((const char *const[]){ "measure", "--vcpu-type=EPYC", ovmf, NULL }, 2, "--vcpus");
	run((const char *const[]){ "measure", "--vcpus=0", "--vcpu-type=EPYC", ovmf, NULL }, 2,
	    "--vcpus 0");
	run((const char *const[]){ "measure", "--vcpus=4097", "--vcpu-type=EPYC", ovmf, NULL }, 2,
	    "4097");
	run((const char *const[]){ "measure", "--vcpus=x", "--vcpu-type=EPYC", ovmf, NULL }, 2,
	    "not a number");
	run((const char *const[]){ "measure", "--vcpus=1", "--vcpu-sig=0x100000000", ovmf, NULL },
	    2, "vcpu-sig");
	run((const char *const[]){ "measure", "--vcpus=1", "--vcpu-type=EPYC", "--vcpu-sig=0", ovmf,
				    NULL },
	    2, "one of");
	run((const char *const[]){ "measure", "--vcpus=1", "--vcpu-family=25", ovmf, NULL }, 2,
	    "go together");
	run((const char *const[]){ "measure", "--vcpus=1", "--vcpu-family=25", "--vcpu-model=1",
				    "--vcpu-stepping=16", ovmf, NULL },
	    2, "stepping 16");
	run((const char *const[]){ "measure", "--mode=sev", "--vcpus=1", "--vcpu-type=EPYC", ovmf,
				    NULL },
	    2, "only SNP");
	run((const char *const[]){ "measure", "--vcpus=1", "--vcpu-type=EPYC", "--append=x", ovmf,
				    NULL },
	    2, "need --kernel");
	run((const char *const[]){ "measure", "--vcpus=1", "--vcpu-type=EPYC", "--svsm=x", ovmf,
				    NULL },
	    2, "snp:svsm");
	run((const char *const[]){ "measure", "--vcpus=1", "--vcpu-type=EPYC",
				    "--snp-ovmf-hash=00", ovmf, NULL },
	    2, "--snp-ovmf-hash");
	run((const char *const[]){ "measure", "--vcpus=1", "--vcpu-type=EPYC",
				    "--output-format=raw", ovmf, NULL },
	    2, "raw");
	run((const char *const[]){ "measure", "--vcpus=1", "--vcpu-type=EPYC", "--bogus", ovmf,
				    NULL },
	    2, "--bogus");
	run((const char *const[]){ "measure", "--vcpus=1", "--vcpu-type=EPYC", ovmf, "POLICY.json",
				    NULL },
	    2, "POLICY.json");
	run((const char *const[]){ "measure", "--vcpus=1", "--vcpu-type=EPYC", NULL }, 2,
	    "--ovmf");
	run((const char *const[]){ "measure", "--vcpus", NULL }, 2, "needs a value");
}

static void cli_accepts_flag_spellings(void **state)
{
	char ovmf[512];
	struct run_result a, b;

	(void)state;
	snprintf(ovmf, sizeof(ovmf), "--ovmf=%s", tdata_path(SUFFIX));
	run_snpvm((const char *const[]){ "measure", "--mode=snp", "--vmm-type=Ec2", "--vcpus=2",
					 ovmf, NULL },
		  NULL, &a);
	run_snpvm((const char *const[]){ "measure", "--mode", "snp", "--vmm-type", "EC2",
					 "--vcpus", "2", "--ovmf", tdata_path(SUFFIX), NULL },
		  NULL, &b);
	assert_int_equal(a.status, 0);
	assert_int_equal(b.status, 0);
	assert_int_equal(strlen(a.out), 97);
	assert_string_equal(a.out, b.out);
	run_result_free(&a);
	run_result_free(&b);
}

static void cli_help_lists_the_flags(void **state)
{
	static const char *const flags[] = {
		"--mode", "--vcpus", "--vcpu-type", "--vcpu-sig", "--vcpu-family", "--vcpu-model",
		"--vcpu-stepping", "--vmm-type", "--ovmf", "--kernel", "--initrd", "--append",
		"--guest-features", "--snp-ovmf-hash", "--svsm", "--vars-size", "--output-format",
		"--json",
	};
	struct run_result res;

	(void)state;
	run_snpvm((const char *const[]){ "measure", "--help", NULL }, NULL, &res);
	assert_int_equal(res.status, 0);
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (!strstr(res.out, flags[i]))
			fail_msg("--help does not list %s", flags[i]);
	run_result_free(&res);
}

static void cli_json_error_shape(void **state)
{
	struct run_result res;
	char ovmf[512];

	(void)state;

	snprintf(ovmf, sizeof(ovmf), "--ovmf=%s", tdata_path("debian-ovmf/usr/share/ovmf/OVMF.fd"));
	run_snpvm((const char *const[]){ "measure", "--json", "--vcpus=1", "--vcpu-type=EPYC", ovmf,
					 "--kernel", tdata_path("measure/inputs/kernel.bin"), NULL },
		  NULL, &res);
	assert_int_equal(res.status, 2);
	assert_non_null(strstr(res.out, "\"code\": \"UNSUPPORTED\""));
	assert_non_null(strstr(res.out, "SNP_KERNEL_HASHES"));
	run_result_free(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(measure_run_refuses_bad_options),
		cmocka_unit_test(cli_refuses_unusable_firmware),
		cmocka_unit_test(cli_refuses_bad_flags),
		cmocka_unit_test(cli_accepts_flag_spellings),
		cmocka_unit_test(cli_help_lists_the_flags),
		cmocka_unit_test(cli_json_error_shape),
	};

	return cmocka_run_group_tests_name("measure/measure", tests, NULL, NULL);
}
