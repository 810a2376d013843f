/*
 * attest/appraise-policy.c: the verifier-policy JSON reader. Every key lands
 * in its field, absent keys stay strict, every malformed input fails naming
 * the key, and the documented examples load and appraise the fixtures as
 * their descriptions say.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "abi/policy.h"
#include "abi/report.h"
#include "attest/appraise-policy.h"
#include "attest/appraise.h"
#include "tests/common/testutil.h"
#include "util/file.h"

static int parse(const char *json, struct appraise_opts *o, struct snp_err *err)
{
	return appraise_opts_from_json(json, strlen(json), o, err);
}

static void policy_full_document_fills_every_field(void **state)
{
	static const char json[] =
		"{\"description\": \"all keys\","
		" \"measurements\": [\"" "11" "%s\", \"22%s\"],"
		" \"allow_any_measurement\": false,"
		" \"host_data\": \"33%s\","
		" \"report_data\": \"44%s\","
		" \"vmpl\": [0, 2],"
		" \"guest_policy\": {\"allow_debug\": true, \"allow_migrate_ma\": true,"
		"   \"allow_smt\": true, \"allow_cxl\": true, \"require_single_socket\": true,"
		"   \"require_mem_aes_256_xts\": true, \"require_rapl_dis\": true,"
		"   \"require_ciphertext_hiding\": true, \"require_page_swap_disable\": true,"
		"   \"abi_min\": \"1.51\", \"allow_unknown_bits\": true},"
		" \"min_reported_tcb\": {\"fmc\": 1, \"bootloader\": 2, \"tee\": 3, \"snp\": 4,"
		"   \"microcode\": 255},"
		" \"min_committed_tcb\": {\"snp\": 22},"
		" \"min_launch_tcb\": {\"microcode\": 0},"
		" \"allow_provisional_firmware\": true,"
		" \"min_firmware_version\": \"1.55.21\","
		" \"allow_any_id_key\": false, \"require_author_key\": true,"
		" \"trusted_id_keys\": [\"55%s\"],"
		" \"trusted_author_keys\": [\"66%s\", \"77%s\", \"88%s\"],"
		" \"min_guest_svn\": 4294967295,"
		" \"family_id\": \"0102030405060708090a0b0c0d0e0f10\","
		" \"image_id\": \"A0000000000000000000000000000000\","
		" \"platform_info\": {\"required\": [\"ECC_EN\", 5], \"forbidden\": [\"SMT_EN\","
		"   \"SEV_TIO_EN\", 63], \"allow_unknown_bits\": true},"
		" \"chip_ids\": [\"0123456789abcdef\", \"99%s\"],"
		" \"mit_vector_required\": [0, 3, 63]}";
	char pad47[95], pad31[63], pad63[127], doc[4096];
	struct appraise_opts o;
	struct snp_err err = { 0 };

	(void)state;
	memset(pad47, '0', 94);
	pad47[94] = '\0';
	memset(pad31, '0', 62);
	pad31[62] = '\0';
	memset(pad63, '0', 126);
	pad63[126] = '\0';
	snprintf(doc, sizeof(doc), json, pad47, pad47, pad31, pad63, pad47, pad47, pad47, pad47,
		 pad63);
	if (parse(doc, &o, &err) != 0)
		fail_msg("%s", err.msg);

	assert_int_equal(o.nmeasurements, 2);
	assert_int_equal(o.measurements[0][0], 0x11);
	assert_int_equal(o.measurements[1][0], 0x22);
	assert_int_equal(o.measurements[1][47], 0);
	assert_false(o.allow_any_measurement);
	assert_true(o.check_host_data);
	assert_int_equal(o.host_data[0], 0x33);
	assert_true(o.check_report_data);
	assert_int_equal(o.report_data[0], 0x44);
	assert_int_equal(o.vmpl_mask, 0x5);
	assert_true(o.guest_policy.allow_debug && o.guest_policy.allow_migrate_ma &&
		    o.guest_policy.allow_smt && o.guest_policy.allow_cxl &&
		    o.guest_policy.require_single_socket && o.guest_policy.require_mem_aes_256_xts &&
		    o.guest_policy.require_rapl_dis && o.guest_policy.require_ciphertext_hiding &&
		    o.guest_policy.require_page_swap_disable && o.guest_policy.allow_unknown_bits);
	assert_int_equal(o.guest_policy.abi_major_min, 1);
	assert_int_equal(o.guest_policy.abi_minor_min, 51);
	assert_int_equal(o.min_reported_tcb.fmc, 1);
	assert_int_equal(o.min_reported_tcb.bootloader, 2);
	assert_int_equal(o.min_reported_tcb.tee, 3);
	assert_int_equal(o.min_reported_tcb.snp, 4);
	assert_int_equal(o.min_reported_tcb.microcode, 255);
	assert_int_equal(o.min_committed_tcb.snp, 22);
	assert_int_equal(o.min_launch_tcb.microcode, 0);
	assert_true(o.allow_provisional_firmware);
	assert_int_equal(o.min_firmware.major, 1);
	assert_int_equal(o.min_firmware.minor, 55);
	assert_int_equal(o.min_firmware.build, 21);
	assert_false(o.allow_any_id_key);
	assert_true(o.require_author_key);
	assert_int_equal(o.ntrusted_id_keys, 1);
	assert_int_equal(o.trusted_id_keys[0][0], 0x55);
	assert_int_equal(o.ntrusted_author_keys, 3);
	assert_int_equal(o.trusted_author_keys[2][0], 0x88);
	assert_int_equal(o.min_guest_svn, 4294967295u);
	assert_true(o.check_family_id);
	assert_int_equal(o.family_id[0], 0x01);
	assert_int_equal(o.family_id[15], 0x10);
	assert_true(o.check_image_id);
	assert_int_equal(o.image_id[0], 0xa0);
	assert_int_equal(o.platform_info_required, SNP_PLATFORM_ECC_EN | (1ull << 5));
	assert_int_equal(o.platform_info_forbidden,
			 SNP_PLATFORM_SMT_EN | SNP_PLATFORM_SEV_TIO_EN | (1ull << 63));
	assert_true(o.allow_unknown_platform_info);
	assert_true(o.check_chip_id);
	assert_int_equal(o.nchip_ids, 2);
	/* A 16-digit (Turin) chip id is its 8 bytes then 56 zero bytes. */
	assert_int_equal(o.chip_ids[0][0], 0x01);
	assert_int_equal(o.chip_ids[0][7], 0xef);
	for (size_t i = 8; i < SNP_CHIP_ID_SIZE; i++)
		assert_int_equal(o.chip_ids[0][i], 0);
	assert_int_equal(o.chip_ids[1][0], 0x99);
	assert_int_equal(o.mit_vector_required, 1ull | (1ull << 3) | (1ull << 63));
}

static void policy_absent_keys_are_strict(void **state)
{
	struct appraise_opts o, zero;
	struct snp_err err = { 0 };

	(void)state;
	memset(&zero, 0, sizeof(zero));
	memset(&o, 0xa5, sizeof(o));
	assert_int_equal(parse("{}", &o, &err), 0);
	assert_memory_equal(&o, &zero, sizeof(o));
	/* An explicitly empty measurement list is still a list: nothing is allowed. */
	assert_int_equal(parse("{\"measurements\": [], \"chip_ids\": []}", &o, &err), 0);
	assert_int_equal(o.nmeasurements, 0);
	assert_false(o.allow_any_measurement);
	assert_true(o.check_chip_id);
	assert_int_equal(o.nchip_ids, 0);
}

static void policy_text_need_not_be_nul_terminated(void **state)
{
	static const char text[] = "{\"min_guest_svn\": 7}garbage";
	struct appraise_opts o;
	struct snp_err err = { 0 };

	(void)state;
	assert_int_equal(appraise_opts_from_json(text, 20, &o, &err), 0);
	assert_int_equal(o.min_guest_svn, 7);
	assert_int_equal(appraise_opts_from_json(text, sizeof(text) - 1, &o, &err), SNP_E_INVALID);
}

static const struct {
	const char *json;
	const char *want;
} negatives[] = {
	{ "{\"measurement\": []}", "policy: unknown key 'measurement'" },
	{ "{\"guest_policy\": {\"allow_debugg\": true}}",
	  "policy: guest_policy: unknown key 'allow_debugg'" },
	{ "{\"min_reported_tcb\": {\"ucode\": 1}}", "policy: min_reported_tcb: unknown key 'ucode'" },
	{ "{\"platform_info\": {\"reqired\": []}}", "policy: platform_info: unknown key 'reqired'" },
	{ "{\"measurements\": [\"%96\", \"%96\", \"%94\"]}",
	  "policy: measurements[2]: expected 96 hex digits, got 94" },
	{ "{\"measurements\": [\"0000x%91\"]}",
	  "policy: measurements[0]: non-hex character at position 4" },
	{ "{\"host_data\": \"%63\"}", "policy: host_data: expected 64 hex digits, got 63" },
	{ "{\"report_data\": \"%64\"}", "policy: report_data: expected 128 hex digits, got 64" },
	{ "{\"trusted_id_keys\": [\"%97\"]}",
	  "policy: trusted_id_keys[0]: expected 96 hex digits, got 97" },
	{ "{\"trusted_author_keys\": [\"\"]}",
	  "policy: trusted_author_keys[0]: expected 96 hex digits, got 0" },
	{ "{\"family_id\": \"%30\"}", "policy: family_id: expected 32 hex digits, got 30" },
	{ "{\"image_id\": \"%34\"}", "policy: image_id: expected 32 hex digits, got 34" },
	{ "{\"chip_ids\": [\"%20\"]}", "policy: chip_ids[0]: expected 128 or 16 hex digits, got 20" },
	{ "{\"min_reported_tcb\": {\"snp\": 256}}",
	  "policy: min_reported_tcb.snp: 256 is out of range 0..255" },
	{ "{\"min_launch_tcb\": {\"fmc\": -1}}",
	  "policy: min_launch_tcb.fmc: -1 is out of range 0..255" },
	{ "{\"vmpl\": 4}", "policy: vmpl: 4 is out of range 0..3" },
	{ "{\"vmpl\": [0, 7]}", "policy: vmpl[1]: 7 is out of range 0..3" },
	{ "{\"vmpl\": \"all\"}", "policy: vmpl: expected 0..3, a list of them or \"any\", got 'all'" },
	{ "{\"vmpl\": true}", "policy: vmpl: expected 0..3, a list of them or \"any\", got a boolean" },
	{ "{\"min_guest_svn\": 4294967296}",
	  "policy: min_guest_svn: 4294967296 is out of range 0..4294967295" },
	{ "{\"mit_vector_required\": [64]}",
	  "policy: mit_vector_required[0]: 64 is out of range 0..63" },
	{ "{\"platform_info\": {\"forbidden\": [-1]}}",
	  "policy: platform_info.forbidden[0]: -1 is out of range 0..63" },
	{ "{\"allow_any_measurement\": \"yes\"}",
	  "policy: allow_any_measurement: expected a boolean, got a string" },
	{ "{\"allow_provisional_firmware\": 1}",
	  "policy: allow_provisional_firmware: expected a boolean, got an integer" },
	{ "{\"measurements\": \"abc\"}",
	  "policy: measurements: expected an array of hex strings, got a string" },
	{ "{\"measurements\": [1]}", "policy: measurements[0]: expected a hex string, got an integer" },
	{ "{\"min_reported_tcb\": {\"snp\": 1.5}}",
	  "policy: min_reported_tcb.snp: expected an integer, got a real number" },
	{ "{\"min_committed_tcb\": []}", "policy: min_committed_tcb: expected an object, got an array" },
	{ "{\"min_guest_svn\": null}", "policy: min_guest_svn: expected an integer, got null" },
	{ "{\"mit_vector_required\": [\"IBRS\"]}",
	  "policy: mit_vector_required[0]: expected an integer, got a string" },
	{ "{\"platform_info\": {\"required\": [\"SMT\"]}}",
	  "policy: platform_info.required[0]: unknown bit name 'SMT'" },
	{ "{\"platform_info\": {\"required\": \"SMT_EN\"}}",
	  "policy: platform_info.required: expected an array of bit numbers, got a string" },
	{ "{\"min_firmware_version\": \"1.55\"}",
	  "policy: min_firmware_version: expected MAJOR.MINOR.BUILD with each part 0..255, got '1.55'" },
	{ "{\"min_firmware_version\": \"1.256.0\"}",
	  "policy: min_firmware_version: expected MAJOR.MINOR.BUILD with each part 0..255, got '1.256.0'" },
	{ "{\"min_firmware_version\": \"1.55.21 \"}",
	  "policy: min_firmware_version: expected MAJOR.MINOR.BUILD with each part 0..255, got '1.55.21 '" },
	{ "{\"min_firmware_version\": 1}",
	  "policy: min_firmware_version: expected a version string, got an integer" },
	{ "{\"guest_policy\": {\"abi_min\": \"1.51.2\"}}",
	  "policy: guest_policy.abi_min: expected MAJOR.MINOR with each part 0..255, got '1.51.2'" },
	{ "{\"guest_policy\": {\"abi_min\": \"-1.0\"}}",
	  "policy: guest_policy.abi_min: expected MAJOR.MINOR with each part 0..255, got '-1.0'" },
	{ "{\"description\": 5}", "policy: description: expected a string, got an integer" },
	{ "[]", "policy: top level: expected an object, got an array" },
	{ "{\"vmpl\": 0, \"vmpl\": 1}", "duplicate object key" },
	{ "{\"vmpl\": 0", "policy: line 1" },
	{ "", "policy: line" },
};

/* Expands "%N" into N zero digits, so the table stays readable. */
static void expand(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	while (*in && o + 1 < cap) {
		if (*in == '%') {
			int n = 0;

			in++;
			while (*in >= '0' && *in <= '9')
				n = n * 10 + (*in++ - '0');
			for (int i = 0; i < n && o + 1 < cap; i++)
				out[o++] = '0';
		} else {
			out[o++] = *in++;
		}
	}
	out[o] = '\0';
}

static void policy_malformed_input_names_the_key(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(negatives) / sizeof(negatives[0]); i++) {
		struct appraise_opts o, zero;
		struct snp_err err = { 0 };
		char doc[1024];
		int ret;

		expand(negatives[i].json, doc, sizeof(doc));
		memset(&zero, 0, sizeof(zero));
		memset(&o, 0xa5, sizeof(o));
		ret = parse(doc, &o, &err);
		if (ret != SNP_E_INVALID)
			fail_msg("%s: returned %d, want SNP_E_INVALID", negatives[i].json, ret);
		if (!strstr(err.msg, negatives[i].want))
			fail_msg("%s: message '%s' lacks '%s'", negatives[i].json, err.msg,
				 negatives[i].want);
		/* A failed parse leaves nothing half-filled. */
		assert_memory_equal(&o, &zero, sizeof(o));
	}
}

static void policy_too_many_entries_fail(void **state)
{
	const size_t cap = 70 * 100 + 64;
	char *doc = malloc(cap);
	struct appraise_opts o;
	struct snp_err err = { 0 };
	size_t n;

	(void)state;
	assert_non_null(doc);
	n = (size_t)snprintf(doc, cap, "{\"measurements\": [");
	for (int i = 0; i < APPRAISE_MAX_MEASUREMENTS + 1; i++) {
		n += (size_t)snprintf(doc + n, cap - n, "%s\"", i ? "," : "");
		memset(doc + n, 'a', 96);
		n += 96;
		doc[n++] = '"';
	}
	snprintf(doc + n, cap - n, "]}");
	assert_int_equal(parse(doc, &o, &err), SNP_E_INVALID);
	assert_string_equal(err.msg, "policy: measurements: 65 entries, at most 64");
	free(doc);
}

static void policy_from_file_names_the_file(void **state)
{
	static const char text[] = "{\"vmpl\": 0, \"bogus\": 1}";
	struct appraise_opts o;
	struct snp_err err = { 0 };
	char *dir = tmpdir_make();
	char path[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/p.json", dir);
	assert_int_equal(file_write_atomic(path, text, strlen(text), 0644, &err), 0);
	assert_int_equal(appraise_opts_from_file(path, &o, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "policy: unknown key 'bogus'"));

	snprintf(path, sizeof(path), "%s/missing.json", dir);
	assert_int_not_equal(appraise_opts_from_file(path, &o, &err), 0);
	assert_non_null(strstr(err.msg, "missing.json"));
	rm_rf(dir);
	free(dir);
}

static int appraise_file(const char *policy, const char *report, enum snp_product p,
			 struct snp_err *err)
{
	struct appraise_opts o;
	struct snp_report rep;

	if (appraise_opts_from_file(policy, &o, err) != 0)
		fail_msg("%s: %s", policy, err->msg);
	tdata_report(report, &rep);
	return appraise_report(&rep, p, &o, NULL, err);
}

static void policy_default_example_is_the_builtin_default(void **state)
{
	struct appraise_opts file, builtin;
	struct snp_err err = { 0 };

	(void)state;
	if (appraise_opts_from_file("docs/examples/verifier-policy-default.json", &file, &err) != 0)
		fail_msg("%s", err.msg);
	appraise_opts_default(&builtin);
	assert_memory_equal(&file, &builtin, sizeof(file));
}

/*
 * pinned-image carries the mstav Milan/Genoa image's MEASUREMENT, HOST_DATA and
 * ID key with floors both reports meet; turin-fleet carries the mstav Turin
 * report's values (README: fmc1/bl1/tee1/snp4/ucode81, mit 0x3F, plat 0x65).
 */
static void policy_examples_appraise_fixtures(void **state)
{
	static const char pinned[] = "docs/examples/verifier-policy-pinned-image.json";
	static const char turin[] = "docs/examples/verifier-policy-turin-fleet.json";
	struct snp_err err = { 0 };

	(void)state;
	if (appraise_file(pinned, "attest/mstav/milan_attestation_report.bin", SNP_PRODUCT_MILAN,
			  &err) != 0)
		fail_msg("pinned/milan: %s", err.msg);
	if (appraise_file(pinned, "attest/mstav/genoa_attestation_report.bin", SNP_PRODUCT_GENOA,
			  &err) != 0)
		fail_msg("pinned/genoa: %s", err.msg);
	assert_int_equal(appraise_file(pinned, "attest/mstav/turin_attestation_report.bin",
				       SNP_PRODUCT_TURIN, &err),
			 SNP_E_REFUSED);
	assert_non_null(strstr(err.msg, "MEASUREMENT 6d6c3545"));

	if (appraise_file(turin, "attest/mstav/turin_attestation_report.bin", SNP_PRODUCT_TURIN,
			  &err) != 0)
		fail_msg("turin/mstav: %s", err.msg);
	/* routex Turin: README TCB fmc0/bl1/tee0/snp2/ucode71, another image. */
	assert_int_equal(appraise_file(turin, "attest/routex/report_turin.bin", SNP_PRODUCT_TURIN,
				       &err),
			 SNP_E_REFUSED);
	assert_non_null(strstr(err.msg, "MEASUREMENT f924dd18"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(policy_full_document_fills_every_field),
		cmocka_unit_test(policy_absent_keys_are_strict),
		cmocka_unit_test(policy_text_need_not_be_nul_terminated),
		cmocka_unit_test(policy_malformed_input_names_the_key),
		cmocka_unit_test(policy_too_many_entries_fail),
		cmocka_unit_test(policy_from_file_names_the_file),
		cmocka_unit_test(policy_default_example_is_the_builtin_default),
		cmocka_unit_test(policy_examples_appraise_fixtures),
	};

	return cmocka_run_group_tests_name("appraise-policy", tests, NULL, NULL);
}
