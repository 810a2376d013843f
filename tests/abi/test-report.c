/* abi/report.c: layout, bounds, version gating, reserved ranges, round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "abi/report.h"
#include "tests/common/testutil.h"

/* Genuine reports from the fixture set, one per version/product. */
static const char *const genuine[] = {
	"attest/gosevguest/attestation.bin",          /* Milan v2 */
	"attest/trustee/test-report.bin",             /* Milan v2 */
	"attest/trustee/test-vlek-report.bin",        /* Milan v3 VLEK */
	"attest/trustee/e2e_report_reconstructed.bin", /* Bergamo v3 */
	"attest/mstav/milan_attestation_report.bin",  /* Milan v3 */
	"attest/mstav/genoa_attestation_report.bin",  /* Genoa v3 */
	"attest/mstav/turin_attestation_report.bin",  /* Turin v5 */
	"attest/routex/report_turin.bin",             /* Turin v5 */
};

static void report_parse_genuine_round_trips(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(genuine) / sizeof(genuine[0]); i++) {
		struct snp_err err = { 0 };
		struct snp_report rep;
		uint8_t out[SNP_REPORT_SIZE];
		size_t len;
		uint8_t *buf = tdata_read(genuine[i], &len);

		if (report_parse(buf, len, NULL, &rep, &err) != 0)
			fail_msg("%s: %s", genuine[i], err.msg);
		report_write(&rep, out);
		assert_memory_equal(out, buf, SNP_REPORT_SIZE);
		free(buf);
	}
}

/* Field values read by hand from the fixture README, not from our parser. */
static void report_parse_turin_fields(void **state)
{
	struct snp_err err = { 0 };
	struct snp_report rep;
	struct snp_tcb tcb;
	size_t len;
	uint8_t *buf = tdata_read("attest/mstav/turin_attestation_report.bin", &len);

	(void)state;
	assert_int_equal(report_parse(buf, len, NULL, &rep, &err), 0);
	assert_int_equal(rep.version, 5);
	assert_int_equal(rep.cpuid_fam_id, 0x1a);
	assert_int_equal(report_product(&rep), SNP_PRODUCT_TURIN);
	assert_int_equal(rep.platform_info, 0x65);
	assert_int_equal(rep.launch_mit_vector, 0x3f);
	assert_int_equal(rep.current_mit_vector, 0x3f);
	snp_tcb_decode(SNP_PRODUCT_TURIN, rep.reported_tcb, &tcb);
	assert_int_equal(tcb.fmc, 1);
	assert_int_equal(tcb.bootloader, 1);
	assert_int_equal(tcb.tee, 1);
	assert_int_equal(tcb.snp, 4);
	assert_int_equal(tcb.microcode, 81);
	/* Fields sit at the spec offsets: compare against the raw bytes. */
	assert_memory_equal(rep.measurement, buf + 0x90, 48);
	assert_memory_equal(rep.chip_id, buf + 0x1a0, 64);
	assert_memory_equal(rep.signature_s, buf + 0x2e8, 48);
	free(buf);
}

static void report_parse_bergamo_maps_to_genoa(void **state)
{
	struct snp_err err = { 0 };
	struct snp_report rep;
	size_t len;
	uint8_t *buf = tdata_read("attest/trustee/e2e_report_reconstructed.bin", &len);

	(void)state;
	assert_int_equal(report_parse(buf, len, NULL, &rep, &err), 0);
	assert_int_equal(rep.cpuid_mod_id, 0xa0);
	assert_int_equal(report_product(&rep), SNP_PRODUCT_GENOA);
	free(buf);
}

static void report_parse_truncated_fails(void **state)
{
	struct snp_err err = { 0 };
	struct snp_report rep;
	size_t len;
	uint8_t *buf = tdata_read("attest/mstav/genoa_attestation_report.bin", &len);

	(void)state;
	assert_int_equal(report_parse(buf, len - 1, NULL, &rep, &err), SNP_E_TRUNCATED);
	assert_non_null(strstr(err.msg, "1183"));
	assert_int_equal(report_parse(buf, 0, NULL, &rep, &err), SNP_E_TRUNCATED);
	free(buf);
}

static void report_parse_bad_version_fails(void **state)
{
	struct snp_err err = { 0 };
	struct snp_report rep;
	size_t len;
	uint8_t *buf = tdata_read("attest/mstav/genoa_attestation_report.bin", &len);
	static const uint8_t versions[] = { 0, 1, 6, 0xff };

	(void)state;
	for (size_t i = 0; i < sizeof(versions); i++) {
		buf[0] = versions[i];
		assert_int_equal(report_parse(buf, len, NULL, &rep, &err), SNP_E_VERSION);
		assert_non_null(strstr(err.msg, "VERSION"));
	}
	free(buf);
}

static void report_parse_reserved_fails_and_lax_accepts(void **state)
{
	/* Offsets of must-be-zero bytes in a v3 report. */
	static const size_t offs[] = { 0x4c, 0x18b, 0x19f, 0x1eb, 0x1ef, 0x1f8, 0x29f };
	struct report_parse_opts lax = { .lax_reserved = true };
	struct snp_err err = { 0 };
	struct snp_report rep;
	size_t len;
	uint8_t *buf = tdata_read("attest/mstav/genoa_attestation_report.bin", &len);

	(void)state;
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		char want[32];

		buf[offs[i]] = 0x01;
		assert_int_equal(report_parse(buf, len, NULL, &rep, &err), SNP_E_RESERVED);
		snprintf(want, sizeof(want), "0x%zx", offs[i]);
		if (!strstr(err.msg, want))
			fail_msg("offset %s not named in '%s'", want, err.msg);
		assert_int_equal(report_parse(buf, len, &lax, &rep, &err), 0);
		buf[offs[i]] = 0;
	}
	free(buf);
}

static void report_parse_signature_upper_bytes_fail_even_lax(void **state)
{
	struct report_parse_opts lax = { .lax_reserved = true };
	struct snp_err err = { 0 };
	struct snp_report rep;
	size_t len;
	uint8_t *buf = tdata_read("attest/negative/genoa_sig_s_upper_nonzero.bin", &len);

	(void)state;
	assert_int_equal(report_parse(buf, len, NULL, &rep, &err), SNP_E_RESERVED);
	assert_non_null(strstr(err.msg, "SIGNATURE_S"));
	assert_int_equal(report_parse(buf, len, &lax, &rep, &err), SNP_E_RESERVED);
	free(buf);
}

static void report_parse_zero_signature_fails(void **state)
{
	struct snp_err err = { 0 };
	struct snp_report rep;
	size_t len;
	uint8_t *buf = tdata_read("attest/negative/milan_zero_signature.bin", &len);

	(void)state;
	assert_int_equal(report_parse(buf, len, NULL, &rep, &err), SNP_E_SIGNATURE);
	assert_non_null(strstr(err.msg, "all zero"));
	free(buf);
}

static void report_parse_signer_field_checked(void **state)
{
	struct snp_err err = { 0 };
	struct snp_report rep;
	size_t len;
	uint8_t *buf = tdata_read("attest/mstav/milan_attestation_report.bin", &len);

	(void)state;
	buf[0x48] = 7 << 2; /* SIGNING_KEY NONE */
	assert_int_equal(report_parse(buf, len, NULL, &rep, &err), SNP_E_SIGNATURE);
	assert_non_null(strstr(err.msg, "NONE"));
	buf[0x48] = 3 << 2; /* reserved */
	assert_int_equal(report_parse(buf, len, NULL, &rep, &err), SNP_E_SIGNATURE);
	buf[0x48] = SNP_SIGNER_MASK_CHIP_KEY;
	assert_int_equal(report_parse(buf, len, NULL, &rep, &err), SNP_E_SIGNATURE);
	assert_non_null(strstr(err.msg, "MASK_CHIP_KEY"));
	buf[0x48] = 0;
	buf[0x49] = 1; /* bit 8: reserved */
	assert_int_equal(report_parse(buf, len, NULL, &rep, &err), SNP_E_RESERVED);
	buf[0x49] = 0;
	buf[0x34] = 2; /* SIGNATURE_ALGO */
	assert_int_equal(report_parse(buf, len, NULL, &rep, &err), SNP_E_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "SIGNATURE_ALGO"));
	free(buf);
}

static void report_parse_policy_bit17_required(void **state)
{
	struct snp_err err = { 0 };
	struct snp_report rep;
	size_t len;
	uint8_t *buf = tdata_read("attest/mstav/milan_attestation_report.bin", &len);

	(void)state;
	buf[0x0a] &= (uint8_t)~0x02; /* POLICY bit 17 */
	assert_int_equal(report_parse(buf, len, NULL, &rep, &err), SNP_E_RESERVED);
	assert_non_null(strstr(err.msg, "bit 17"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(report_parse_genuine_round_trips),
		cmocka_unit_test(report_parse_turin_fields),
		cmocka_unit_test(report_parse_bergamo_maps_to_genoa),
		cmocka_unit_test(report_parse_truncated_fails),
		cmocka_unit_test(report_parse_bad_version_fails),
		cmocka_unit_test(report_parse_reserved_fails_and_lax_accepts),
		cmocka_unit_test(report_parse_signature_upper_bytes_fail_even_lax),
		cmocka_unit_test(report_parse_zero_signature_fails),
		cmocka_unit_test(report_parse_signer_field_checked),
		cmocka_unit_test(report_parse_policy_bit17_required),
	};

	return cmocka_run_group_tests_name("abi/report", tests, NULL, NULL);
}
