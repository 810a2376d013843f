/*
 * attest/verify.c on the real AMD fixtures (tests/data/attest/README.md):
 * every genuine pair verifies, every negative fails with the expected code
 * and a message naming the check, and every single-bit change of the signed
 * bytes, of R/S, and every one-byte change of a VCEK's TBSCertificate is
 * rejected. Validity is checked at a fixed "current" time, never the clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/x509.h>

#include "abi/report.h"
#include "attest/certs.h"
#include "attest/verify.h"
#include "tests/common/testutil.h"

#define NOW_2026_11_22 1795305600 /* 2026-11-22T00:00:00Z */
#define NOW_2025_06_01 1748736000 /* 2025-06-01T00:00:00Z, before the AWS VLEK expired */

struct pair {
	const char *report; /* under tests/data/ */
	const char *vek;
	const char *ask;    /* optional ASK/ASVK bundle */
	size_t hcl_offset;  /* 0x20 for Azure HCL reports */
	enum snp_product product;
	time_t now;
};

static const struct pair genuine[] = {
	{ "attest/gosevguest/attestation.bin", "attest/gosevguest/vcek.testcer",
	  "attest/gosevguest/ask_ark_milan.pem", 0, SNP_PRODUCT_MILAN, NOW_2026_11_22 },
	{ "attest/trustee/test-report.bin", "attest/trustee/test-vcek.der",
	  "attest/trustee/milan_ask_ark_asvk.pem", 0, SNP_PRODUCT_MILAN, NOW_2026_11_22 },
	{ "attest/trustee/test-vlek-report.bin", "attest/trustee/test-vlek.der",
	  "attest/gosevguest/ask_ark_milan_vlek.pem", 0, SNP_PRODUCT_MILAN, NOW_2025_06_01 },
	{ "attest/trustee/e2e_report_reconstructed.bin", "attest/trustee/e2e_vcek.der",
	  "attest/trustee/genoa_ask_ark_asvk.pem", 0, SNP_PRODUCT_GENOA, NOW_2026_11_22 },
	{ "attest/trustee/az-snp-vtpm/hcl-report.bin", "attest/trustee/az-snp-vtpm/vcek.pem",
	  "attest/trustee/milan_ask_ark_asvk.pem", 0x20, SNP_PRODUCT_MILAN, NOW_2026_11_22 },
	{ "attest/trustee/az-snp-vtpm/evidence-v0_hcl.bin",
	  "attest/trustee/az-snp-vtpm/evidence-v0_vcek.pem", NULL, 0x20, SNP_PRODUCT_MILAN,
	  NOW_2026_11_22 },
	{ "attest/trustee/az-snp-vtpm/evidence-v1_hcl.bin",
	  "attest/trustee/az-snp-vtpm/evidence-v1_vcek.der", NULL, 0x20, SNP_PRODUCT_MILAN,
	  NOW_2026_11_22 },
	{ "attest/trustee/az-snp-vtpm/evidence-v2_hcl.bin",
	  "attest/trustee/az-snp-vtpm/evidence-v2_vcek.der", NULL, 0x20, SNP_PRODUCT_MILAN,
	  NOW_2026_11_22 },
	{ "attest/trustee/az-snp-vtpm/evidence-genoa_hcl.bin",
	  "attest/trustee/az-snp-vtpm/evidence-genoa_vcek.pem",
	  "attest/trustee/genoa_ask_ark_asvk.pem", 0x20, SNP_PRODUCT_GENOA, NOW_2026_11_22 },
	{ "attest/mstav/milan_attestation_report.bin", "attest/mstav/milan_vcek.pem",
	  "attest/gosevguest/ask_ark_milan.pem", 0, SNP_PRODUCT_MILAN, NOW_2026_11_22 },
	{ "attest/mstav/genoa_attestation_report.bin", "attest/mstav/genoa_vcek.pem",
	  "attest/gosevguest/ask_ark_genoa.pem", 0, SNP_PRODUCT_GENOA, NOW_2026_11_22 },
	{ "attest/mstav/turin_attestation_report.bin", "attest/mstav/turin_vcek.pem",
	  "attest/gosevguest/ask_ark_turin_vcek.pem", 0, SNP_PRODUCT_TURIN, NOW_2026_11_22 },
	{ "attest/routex/report_turin.bin", "attest/routex/vcek-chain-turin_vcek.pem",
	  "attest/routex/vcek-chain-turin_askark.pem", 0, SNP_PRODUCT_TURIN, NOW_2026_11_22 },
};

struct fixture {
	struct verifier *v;
};

static int setup(void **state)
{
	static struct fixture f;
	struct snp_err err = { 0 };

	if (verifier_new(&f.v, &err) != 0) {
		fprintf(stderr, "verifier_new: %s\n", err.msg);
		return -1;
	}
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	verifier_free(f->v);
	return 0;
}

/* The 0x4A0 report bytes of a fixture (HCL reports carry it at 0x20). */
static uint8_t *load_report(const char *rel, size_t hcl_offset)
{
	size_t len;
	uint8_t *buf = tdata_read(rel, &len), *rep = malloc(SNP_REPORT_SIZE);

	assert_non_null(rep);
	assert_true(len >= hcl_offset + SNP_REPORT_SIZE);
	memcpy(rep, buf + hcl_offset, SNP_REPORT_SIZE);
	free(buf);
	return rep;
}

static void load_certs(struct certs *c, const char *vek, const char *ask)
{
	struct snp_err err = { 0 };

	certs_init(c);
	if (vek && certs_load_vek_file(c, tdata_path(vek), &err) != 0)
		fail_msg("%s: %s", vek, err.msg);
	if (ask && certs_load_issuer_file(c, tdata_path(ask), &err) != 0)
		fail_msg("%s: %s", ask, err.msg);
}

static int run(struct verifier *v, const uint8_t *rep, const char *vek, const char *ask,
	       time_t now, enum snp_product product, struct verify_result *res,
	       struct snp_err *err)
{
	struct verify_opts opts = { .now = now, .product = product };
	struct certs c;
	int ret;

	load_certs(&c, vek, ask);
	ret = verify_report(v, rep, SNP_REPORT_SIZE, &c, &opts, res, err);
	certs_free(&c);
	return ret;
}

/* Fails unless ret is code and the message starts with the check's name. */
static void expect_fail(int ret, const struct snp_err *err, int code, const char *check,
			const char *what)
{
	if (ret != code || strncmp(err->msg, check, strlen(check)) != 0)
		fail_msg("%s: got %s \"%s\", want %s from %s", what, snp_code_name(ret), err->msg,
			 snp_code_name(code), check);
}

static void genuine_pairs_verify(void **state)
{
	struct fixture *f = *state;
	struct verify_result *res = calloc(1, sizeof(*res));

	assert_non_null(res);
	for (size_t i = 0; i < sizeof(genuine) / sizeof(genuine[0]); i++) {
		const struct pair *p = &genuine[i];
		struct snp_err err = { 0 };
		uint8_t *rep = load_report(p->report, p->hcl_offset);

		/* Twice: the second run takes the cached chain. */
		for (int pass = 0; pass < 2; pass++) {
			if (run(f->v, rep, p->vek, p->ask, p->now, SNP_PRODUCT_UNKNOWN, res, &err))
				fail_msg("%s (run %d): %s", p->report, pass, err.msg);
			assert_int_equal(res->product, p->product);
			if (pass == 1)
				assert_true(res->chain_cached);
			assert_false(res->sim_root);
			assert_string_equal(res->checks[res->nchecks - 1].name, "vek.hwid");
		}
		/* Without a CRL the verdict says revocation was not checked. */
		{
			bool crl_recorded = false;

			for (size_t k = 0; k < res->nchecks; k++)
				if (strcmp(res->checks[k].name, "crl") == 0 &&
				    strstr(res->checks[k].detail, "not checked"))
					crl_recorded = true;
			assert_true(crl_recorded);
		}
		free(rep);
	}
	free(res);
}

static void vlek_expired_at_current_time(void **state)
{
	struct fixture *f = *state;
	struct verify_result res;
	struct snp_err err = { 0 };
	uint8_t *rep = load_report("attest/trustee/test-vlek-report.bin", 0);
	int ret = run(f->v, rep, "attest/trustee/test-vlek.der", NULL, NOW_2026_11_22,
		      SNP_PRODUCT_UNKNOWN, &res, &err);

	expect_fail(ret, &err, SNP_E_CHAIN, "vek.validity", "AWS VLEK at 2026-11-22");
	assert_non_null(strstr(err.msg, "2025-12-10"));
	free(rep);
}

static void zero_time_is_strict(void **state)
{
	struct fixture *f = *state;
	struct verify_result res;
	struct snp_err err = { 0 };
	uint8_t *rep = load_report("attest/mstav/milan_attestation_report.bin", 0);
	struct certs c;
	struct verify_opts zero = { 0 };
	int ret;

	load_certs(&c, "attest/mstav/milan_vcek.pem", NULL);
	ret = verify_report(f->v, rep, SNP_REPORT_SIZE, &c, &zero, &res, &err);
	expect_fail(ret, &err, SNP_E_CHAIN, "ark.validity", "zeroed opts (now = 1970)");
	ret = verify_report(f->v, rep, SNP_REPORT_SIZE, &c, NULL, &res, &err);
	expect_fail(ret, &err, SNP_E_CHAIN, "ark.validity", "NULL opts");
	certs_free(&c);
	free(rep);
}

/* A product value outside the enum (a library caller's mistake) is refused, not indexed. */
static void out_of_range_product_refused(void **state)
{
	struct fixture *f = *state;
	struct verify_result res;
	struct snp_err err = { 0 };
	uint8_t *rep = load_report("attest/trustee/test-report.bin", 0);
	int ret = run(f->v, rep, "attest/trustee/test-vcek.der", NULL, NOW_2026_11_22,
		      (enum snp_product)9, &res, &err);

	expect_fail(ret, &err, SNP_E_INVALID, "product", "product 9 on a v2 report");
	free(rep);
}

struct negative {
	const char *report, *vek, *ask;
	enum snp_product product;
	int code;
	const char *check;
};

static const struct negative negatives[] = {
	/* Derived negatives */
	{ "attest/negative/turin_measurement_bitflip.bin", "attest/mstav/turin_vcek.pem", NULL,
	  SNP_PRODUCT_UNKNOWN, SNP_E_SIGNATURE, "report.signature" },
	{ "attest/negative/genoa_sig_s_upper_nonzero.bin", "attest/mstav/genoa_vcek.pem", NULL,
	  SNP_PRODUCT_UNKNOWN, SNP_E_RESERVED, "report.parse" },
	{ "attest/negative/milan_zero_signature.bin", "attest/mstav/milan_vcek.pem", NULL,
	  SNP_PRODUCT_UNKNOWN, SNP_E_SIGNATURE, "report.parse" },
	/* Cross-product chains */
	{ "attest/mstav/milan_attestation_report.bin", "attest/mstav/milan_vcek.pem",
	  "attest/gosevguest/ask_ark_genoa.pem", SNP_PRODUCT_UNKNOWN, SNP_E_CHAIN, "intermediate" },
	{ "attest/trustee/test-report.bin", "attest/trustee/test-vcek.der", NULL,
	  SNP_PRODUCT_GENOA, SNP_E_CHAIN, "vek.signature" },
	{ "attest/mstav/milan_attestation_report.bin", "attest/mstav/milan_vcek.pem", NULL,
	  SNP_PRODUCT_GENOA, SNP_E_CHAIN, "product" },
	{ "attest/trustee/test-vlek-report.bin", "attest/trustee/test-vlek.der",
	  "attest/gosevguest/ask_ark_milan.pem", SNP_PRODUCT_UNKNOWN, SNP_E_CHAIN, "intermediate" },
	/* A VCEK presented for a VLEK-signed report, and the reverse */
	{ "attest/trustee/test-vlek-report.bin", "attest/trustee/test-vcek.der", NULL,
	  SNP_PRODUCT_UNKNOWN, SNP_E_CHAIN, "vek.kind" },
	{ "attest/trustee/test-report.bin", "attest/trustee/test-vlek.der", NULL,
	  SNP_PRODUCT_UNKNOWN, SNP_E_CHAIN, "vek.kind" },
	/* routex: genuine VCEKs that belong to other chips */
	{ "attest/routex/report_milan.bin", "attest/routex/vcek-chain-milan_vcek.pem",
	  "attest/routex/vcek-chain-milan_askark.pem", SNP_PRODUCT_UNKNOWN, SNP_E_SIGNATURE,
	  "report.signature" },
	{ "attest/routex/report_genoa.bin", "attest/routex/vcek-chain-genoa_vcek.pem",
	  "attest/routex/vcek-chain-genoa_askark.pem", SNP_PRODUCT_UNKNOWN, SNP_E_SIGNATURE,
	  "report.signature" },
	{ "attest/routex/report_genoa.bin", "attest/routex/vcek-chain-genoa-v5_vcek.pem",
	  "attest/routex/vcek-chain-genoa-v5_askark.pem", SNP_PRODUCT_UNKNOWN, SNP_E_SIGNATURE,
	  "report.signature" },
	/* A genuine VCEK of another chip for a genuine report */
	{ "attest/mstav/milan_attestation_report.bin", "attest/trustee/test-vcek.der", NULL,
	  SNP_PRODUCT_UNKNOWN, SNP_E_SIGNATURE, "report.signature" },
	/* trustee's not-AMD-signed parse fixtures */
	{ "attest/trustee/test-report.bin", "attest/trustee/test-vcek-invalid-legacy.der", NULL,
	  SNP_PRODUCT_UNKNOWN, SNP_E_CHAIN, "vek.signature" },
	{ "attest/trustee/test-report.bin", "attest/trustee/test-vcek-invalid-new.der", NULL,
	  SNP_PRODUCT_UNKNOWN, SNP_E_CHAIN, "vek.signature" },
	/* No VEK at all */
	{ "attest/trustee/test-report.bin", NULL, NULL, SNP_PRODUCT_UNKNOWN, SNP_E_INVALID,
	  "vek.present" },
};

static void negatives_fail_with_reason(void **state)
{
	struct fixture *f = *state;
	struct verify_result res;

	for (size_t i = 0; i < sizeof(negatives) / sizeof(negatives[0]); i++) {
		const struct negative *n = &negatives[i];
		struct snp_err err = { 0 };
		uint8_t *rep = load_report(n->report, 0);
		int ret = run(f->v, rep, n->vek, n->ask, NOW_2026_11_22, n->product, &res, &err);

		expect_fail(ret, &err, n->code, n->check, n->report);
		/* The result names the same failed check last. */
		assert_string_equal(res.checks[res.nchecks - 1].name, n->check);
		assert_int_equal(res.checks[res.nchecks - 1].code, n->code);
		free(rep);
	}
}

/* An ASK that differs from the pinned one by one byte is not trusted. */
static void modified_ask_is_refused(void **state)
{
	struct fixture *f = *state;
	struct verify_result res;
	struct snp_err err = { 0 };
	uint8_t *rep = load_report("attest/mstav/milan_attestation_report.bin", 0);
	X509 *ask = verifier_pinned(f->v, SNP_PRODUCT_MILAN, 1 /* ROOT_ASK */);
	unsigned char *der = NULL;
	const unsigned char *p;
	struct verify_opts opts = { .now = NOW_2026_11_22 };
	struct certs c;
	int len = i2d_X509(ask, &der), ret;

	assert_true(len > 600);
	der[len - 600] ^= 0x01; /* inside the RSA modulus */
	p = der;
	load_certs(&c, "attest/mstav/milan_vcek.pem", NULL);
	c.issuer = d2i_X509(NULL, &p, len);
	assert_non_null(c.issuer);
	ret = verify_report(f->v, rep, SNP_REPORT_SIZE, &c, &opts, &res, &err);
	expect_fail(ret, &err, SNP_E_CHAIN, "intermediate", "ASK with one byte changed");
	certs_free(&c);
	OPENSSL_free(der);
	free(rep);
}

/* Every single-bit flip of 0x000..0x29F and of R/S is rejected. */
static void report_bit_flips_rejected(void **state)
{
	struct fixture *f = *state;
	struct verify_result *res = calloc(1, sizeof(*res));
	const char *reports[] = { "attest/mstav/turin_attestation_report.bin",
				  "attest/mstav/milan_attestation_report.bin" };
	const char *veks[] = { "attest/mstav/turin_vcek.pem", "attest/mstav/milan_vcek.pem" };
	struct verify_opts opts = { .now = NOW_2026_11_22 };

	assert_non_null(res);
	for (size_t r = 0; r < 2; r++) {
		uint8_t *rep = load_report(reports[r], 0);
		struct certs c;
		size_t accepted = 0, tried = 0;

		load_certs(&c, veks[r], NULL);
		for (size_t off = 0; off < 0x330; off++) {
			for (int bit = 0; bit < 8; bit++) {
				struct snp_err err = { 0 };

				rep[off] ^= (uint8_t)(1u << bit);
				if (verify_report(f->v, rep, SNP_REPORT_SIZE, &c, &opts, res, &err) == 0) {
					accepted++;
					print_error("%s: flip 0x%zx bit %d accepted\n", reports[r], off, bit);
				}
				rep[off] ^= (uint8_t)(1u << bit);
				tried++;
			}
		}
		{
			struct snp_err err = { 0 };

			if (verify_report(f->v, rep, SNP_REPORT_SIZE, &c, &opts, res, &err) != 0)
				fail_msg("unmodified %s: %s", reports[r], err.msg);
		}
		assert_int_equal(tried, 0x330 * 8);
		assert_int_equal(accepted, 0);
		certs_free(&c);
		free(rep);
	}
	free(res);
}

/* Every one-byte change inside the VCEK's TBSCertificate is rejected. */
static void vcek_tbs_byte_changes_rejected(void **state)
{
	struct fixture *f = *state;
	struct verify_result *res = calloc(1, sizeof(*res));
	uint8_t *rep = load_report("attest/mstav/genoa_attestation_report.bin", 0);
	struct verify_opts opts = { .now = NOW_2026_11_22 };
	struct certs base;
	unsigned char *der = NULL;
	size_t tbs_start, tbs_end, accepted = 0;
	int len;

	assert_non_null(res);
	load_certs(&base, "attest/mstav/genoa_vcek.pem", NULL);
	len = i2d_X509(base.vek, &der);
	assert_true(len > 8);
	/* Certificate ::= SEQUENCE (30 82 LL LL) { tbs SEQUENCE (30 82 LL LL) ... } */
	assert_int_equal(der[0], 0x30);
	assert_int_equal(der[1], 0x82);
	assert_int_equal(der[4], 0x30);
	assert_int_equal(der[5], 0x82);
	tbs_start = 4;
	tbs_end = 8 + ((size_t)der[6] << 8 | der[7]);
	assert_true(tbs_end < (size_t)len);
	for (size_t off = tbs_start; off < tbs_end; off++) {
		unsigned char *copy = malloc((size_t)len);
		const unsigned char *p = copy;
		struct snp_err err = { 0 };
		struct certs c;

		assert_non_null(copy);
		memcpy(copy, der, (size_t)len);
		copy[off] ^= 0x5a;
		certs_init(&c);
		c.vek = d2i_X509(NULL, &p, len);
		/* A change that breaks the DER is a parse rejection. */
		if (c.vek && verify_report(f->v, rep, SNP_REPORT_SIZE, &c, &opts, res, &err) == 0) {
			accepted++;
			print_error("TBS byte 0x%zx changed and accepted\n", off);
		}
		certs_free(&c);
		free(copy);
	}
	assert_int_equal(accepted, 0);
	OPENSSL_free(der);
	certs_free(&base);
	free(rep);
	free(res);
}

/* The go-sev-guest report (DEBUG allowed) still verifies: refusing it is appraisal's job. */
static void debug_report_verifies(void **state)
{
	struct fixture *f = *state;
	struct verify_result res;
	struct snp_err err = { 0 };
	uint8_t *rep = load_report("attest/gosevguest/attestation.bin", 0);

	if (run(f->v, rep, "attest/gosevguest/vcek.testcer", NULL, NOW_2026_11_22,
		SNP_PRODUCT_UNKNOWN, &res, &err) != 0)
		fail_msg("%s", err.msg);
	assert_true(res.report.policy & (1ull << 19));
	free(rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(genuine_pairs_verify),
		cmocka_unit_test(vlek_expired_at_current_time),
		cmocka_unit_test(zero_time_is_strict),
		cmocka_unit_test(out_of_range_product_refused),
		cmocka_unit_test(negatives_fail_with_reason),
		cmocka_unit_test(modified_ask_is_refused),
		cmocka_unit_test(debug_report_verifies),
		cmocka_unit_test(report_bit_flips_rejected),
		cmocka_unit_test(vcek_tbs_byte_changes_rejected),
	};

	return cmocka_run_group_tests_name("attest/verify", tests, setup, teardown);
}
