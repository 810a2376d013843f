/* attest/kds-url.c against the hand-written KDS URLs of tests/attest/kds-vectors.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "abi/report.h"
#include "attest/kds-url.h"
#include "tests/attest/kds-vectors.h"
#include "tests/common/testutil.h"

#define AMD "https://kdsintf.amd.com"

static void check_vcek(const char *rel, const char *base, const char *want)
{
	struct snp_report rep;
	struct snp_err err = { 0 };
	char url[KDS_URL_MAX];

	tdata_report(rel, &rep);
	if (kds_url_vcek(base, report_product(&rep), &rep, url, sizeof(url), &err) != 0)
		fail_msg("%s: %s", rel, err.msg);
	assert_string_equal(url, want);
}

static void kds_url_vcek_milan(void **state)
{
	(void)state;
	check_vcek("attest/mstav/milan_attestation_report.bin", AMD,
		   AMD KV_MILAN_VCEK);
}

static void kds_url_vcek_genoa(void **state)
{
	(void)state;
	check_vcek("attest/mstav/genoa_attestation_report.bin", AMD "/",
		   AMD KV_GENOA_VCEK);
}

/* Turin: only the first 8 bytes of CHIP_ID, and fmcSPL. */
static void kds_url_vcek_turin(void **state)
{
	(void)state;
	check_vcek("attest/mstav/turin_attestation_report.bin", "http://127.0.0.1:8080//",
		   "http://127.0.0.1:8080" KV_TURIN_VCEK);
}

static void kds_url_chain_and_crl(void **state)
{
	struct snp_err err = { 0 };
	char url[KDS_URL_MAX];

	(void)state;
	assert_int_equal(kds_url_chain(AMD, SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK, url,
				       sizeof(url), &err), 0);
	assert_string_equal(url, AMD "/vcek/v1/Milan/cert_chain");
	assert_int_equal(kds_url_chain(AMD, SNP_PRODUCT_GENOA, SNP_SIGNING_KEY_VLEK, url,
				       sizeof(url), &err), 0);
	assert_string_equal(url, AMD "/vlek/v1/Genoa/cert_chain");
	assert_int_equal(kds_url_crl(AMD, SNP_PRODUCT_TURIN, SNP_SIGNING_KEY_VCEK, url,
				     sizeof(url), &err), 0);
	assert_string_equal(url, AMD "/vcek/v1/Turin/crl");
	assert_int_equal(kds_url_crl(AMD "/", SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VLEK, url,
				     sizeof(url), &err), 0);
	assert_string_equal(url, AMD "/vlek/v1/Milan/crl");
	assert_int_equal(kds_url_crl(AMD, SNP_PRODUCT_UNKNOWN, SNP_SIGNING_KEY_VCEK, url,
				     sizeof(url), &err), SNP_E_UNSUPPORTED);
	assert_int_equal(kds_url_crl(AMD, SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_NONE, url,
				     sizeof(url), &err), SNP_E_UNSUPPORTED);
}

/* KDS never serves a VLEK: asking for one is refused, naming it. */
static void kds_url_vlek_refused(void **state)
{
	struct snp_report rep;
	struct snp_err err = { 0 };
	char url[KDS_URL_MAX];

	(void)state;
	tdata_report("attest/trustee/test-vlek-report.bin", &rep);
	assert_int_equal(kds_url_vcek(AMD, SNP_PRODUCT_MILAN, &rep, url, sizeof(url), &err),
			 SNP_E_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "VLEK"));
	assert_string_equal(url, "");
}

static void kds_url_bad_base_or_size(void **state)
{
	static const char *const bad[] = {
		"kdsintf.amd.com", "ftp://kdsintf.amd.com", "file:///etc", "https://",
		"https:///x", "https://kds?x=1", "https://kds#f", "https://k ds", "http://a\nb",
		"",
	};
	struct snp_report rep;
	struct snp_err err = { 0 };
	char url[KDS_URL_MAX];

	(void)state;
	tdata_report("attest/mstav/milan_attestation_report.bin", &rep);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (kds_url_vcek(bad[i], SNP_PRODUCT_MILAN, &rep, url, sizeof(url), &err) !=
		    SNP_E_INVALID)
			fail_msg("base '%s' accepted", bad[i]);
		assert_non_null(strstr(err.msg, "base URL"));
	}
	/* 128 hex digits do not fit in 100 bytes: refused, never cut short. */
	assert_int_equal(kds_url_vcek(AMD, SNP_PRODUCT_MILAN, &rep, url, 100, &err), SNP_E_INVALID);
	assert_string_equal(url, "");
	assert_int_equal(kds_url_vcek(AMD, SNP_PRODUCT_UNKNOWN, &rep, url, sizeof(url), &err),
			 SNP_E_UNSUPPORTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kds_url_vcek_milan),   cmocka_unit_test(kds_url_vcek_genoa),
		cmocka_unit_test(kds_url_vcek_turin),   cmocka_unit_test(kds_url_chain_and_crl),
		cmocka_unit_test(kds_url_vlek_refused), cmocka_unit_test(kds_url_bad_base_or_size),
	};

	return cmocka_run_group_tests_name("attest/kds-url", tests, NULL, NULL);
}
