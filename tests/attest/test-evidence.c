/*
 * attest/evidence.c: the one pipeline `snpvm verify` and attestd call, on
 * real fixtures (tests/data/attest/README.md): the VEK from the caller's
 * certificates, the certificate table, an HCL report, the KDS (an in-process
 * fake fetcher) and its cache; refusals by verify and by appraise; the
 * verdict JSON. Expected values are the fixtures' and the README's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>

#include "abi/cert-table.h"
#include "attest/appraise.h"
#include "attest/certs.h"
#include "attest/evidence.h"
#include "attest/verify.h"
#include "tests/common/testutil.h"

#define NOW ((time_t)1795305600) /* 2026-11-22T00:00:00Z */
#define REPORT "attest/trustee/test-report.bin" /* Milan, v2, VCEK-signed */
#define VCEK "attest/trustee/test-vcek.der"

struct fix {
	struct verifier *v;
	struct appraise_opts policy; /* the default policy */
	uint8_t *report, *vcek;
	size_t report_len, vcek_len;
};

static int setup(void **state)
{
	static struct fix f;
	struct snp_err err = { 0 };

	if (verifier_new(&f.v, &err) != 0) {
		fprintf(stderr, "verifier_new: %s\n", err.msg);
		return -1;
	}
	appraise_opts_default(&f.policy);
	f.report = tdata_read(REPORT, &f.report_len);
	f.vcek = tdata_read(VCEK, &f.vcek_len);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	verifier_free(f->v);
	free(f->report);
	free(f->vcek);
	return 0;
}

static struct evidence_opts opts_for(struct fix *f, struct certs *certs)
{
	return (struct evidence_opts){
		.report = f->report,
		.report_len = f->report_len,
		.certs = certs,
		.verify = { .now = NOW },
		.appraise = &f->policy,
	};
}

static json_t *verdict_json(const struct evidence_verdict *vd)
{
	json_t *j = evidence_verdict_json(vd);

	assert_non_null(j);
	return j;
}

static void evidence_verifies_and_appraises_with_given_certs(void **state)
{
	struct fix *f = *state;
	struct certs certs;
	struct evidence_verdict *vd = calloc(1, sizeof(*vd));
	struct snp_err err = { 0 };
	struct evidence_opts o;
	json_t *j;

	certs_init(&certs);
	assert_int_equal(certs_add_buf(&certs, f->vcek, f->vcek_len, VCEK, &err), 0);
	o = opts_for(f, &certs);
	if (evidence_evaluate(f->v, &o, vd, &err) != 0)
		fail_msg("%s", err.msg);
	assert_true(vd->evaluated);
	assert_int_equal(vd->verify_code, 0);
	assert_int_equal(vd->appraise_code, 0);
	assert_int_equal(vd->verify.product, SNP_PRODUCT_MILAN);
	assert_int_equal(vd->verify.report.version, 2);
	assert_null(vd->vek_source);
	assert_int_equal(vd->error.code, 0);
	j = verdict_json(vd);
	assert_true(json_is_true(json_object_get(j, "verified")));
	assert_true(json_is_true(json_object_get(j, "appraised")));
	assert_string_equal(json_string_value(json_object_get(j, "signer")), "VCEK");
	assert_string_equal(json_string_value(json_object_get(j, "product")), "Milan");
	assert_true(json_array_size(json_object_get(j, "checks")) > 0);
	assert_true(json_is_true(json_object_get(json_object_get(j, "appraisal"), "passed")));
	assert_null(json_object_get(j, "error"));
	json_decref(j);
	certs_free(&certs);
	free(vd);
}

/* The VCEK in an extended-request certificate table, with no certificates of the caller's. */
static void evidence_takes_the_vek_from_the_cert_table(void **state)
{
	struct fix *f = *state;
	struct evidence_verdict *vd = calloc(1, sizeof(*vd));
	struct snp_err err = { 0 };
	struct snp_cert_blob blob = { .data = f->vcek, .len = f->vcek_len };
	struct evidence_opts o = opts_for(f, NULL);
	uint8_t *table = NULL;
	size_t tlen;

	memcpy(blob.guid, SNP_CERT_GUID_VCEK, 16);
	assert_int_equal(cert_table_write(&blob, 1, &table, &tlen, &err), 0);
	o.cert_table = table;
	o.cert_table_len = tlen;
	if (evidence_evaluate(f->v, &o, vd, &err) != 0)
		fail_msg("%s", err.msg);
	/* A truncated table is unusable input: refused before verification. */
	o.cert_table_len = 30;
	assert_int_not_equal(evidence_evaluate(f->v, &o, vd, &err), 0);
	assert_false(vd->evaluated);
	assert_int_equal(vd->error.code, err.code);
	/* No VEK at all: verification runs and names the missing VEK. */
	o.cert_table = NULL;
	assert_int_equal(evidence_evaluate(f->v, &o, vd, &err), SNP_E_INVALID);
	assert_true(vd->evaluated);
	assert_non_null(strstr(err.msg, "vek.present"));
	free(table);
	free(vd);
}

static void evidence_unwraps_hcl_reports(void **state)
{
	struct fix *f = *state;
	struct evidence_verdict *vd = calloc(1, sizeof(*vd));
	struct snp_err err = { 0 };
	struct certs certs;
	size_t len;
	uint8_t *hcl = tdata_read("attest/trustee/az-snp-vtpm/hcl-report.bin", &len);
	struct evidence_opts o = opts_for(f, &certs);

	certs_init(&certs);
	assert_int_equal(certs_load_vek_file(&certs,
					     tdata_path("attest/trustee/az-snp-vtpm/vcek.pem"),
					     &err),
			 0);
	o.report = hcl;
	o.report_len = len;
	o.hcl = true;
	if (evidence_evaluate(f->v, &o, vd, &err) != 0)
		fail_msg("%s", err.msg);
	/* The same bytes as a plain report do not parse. */
	o.hcl = false;
	assert_int_not_equal(evidence_evaluate(f->v, &o, vd, &err), 0);
	assert_true(vd->evaluated);
	assert_non_null(strstr(err.msg, "report.parse"));
	/* A plain report is not an HCL report. */
	o.report = f->report;
	o.report_len = f->report_len;
	o.hcl = true;
	assert_int_equal(evidence_evaluate(f->v, &o, vd, &err), SNP_E_INVALID);
	assert_false(vd->evaluated);
	assert_non_null(strstr(err.msg, "not an HCL report"));
	certs_free(&certs);
	free(hcl);
	free(vd);
}

/* Verify stops the pipeline; appraisal refusals still carry the verified report. */
static void evidence_refusals_and_their_json(void **state)
{
	struct fix *f = *state;
	struct evidence_verdict *vd = calloc(1, sizeof(*vd));
	struct snp_err err = { 0 };
	struct certs certs;
	struct evidence_opts o = opts_for(f, &certs);
	size_t len;
	uint8_t *flip = tdata_read("attest/negative/turin_measurement_bitflip.bin", &len);
	json_t *j;

	certs_init(&certs);
	assert_int_equal(certs_add_buf(&certs, f->vcek, f->vcek_len, VCEK, &err), 0);
	o.appraise = NULL; /* the zeroed policy: nothing is allowed */
	assert_int_equal(evidence_evaluate(f->v, &o, vd, &err), SNP_E_REFUSED);
	assert_true(vd->evaluated);
	assert_int_equal(vd->verify_code, 0);
	assert_int_equal(vd->appraise_code, SNP_E_REFUSED);
	assert_non_null(strstr(err.msg, "MEASUREMENT"));
	j = verdict_json(vd);
	assert_true(json_is_true(json_object_get(j, "verified")));
	assert_true(json_is_false(json_object_get(j, "appraised")));
	assert_true(json_is_false(json_object_get(json_object_get(j, "appraisal"), "passed")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "code")),
			    "REFUSED");
	json_decref(j);
	certs_free(&certs);

	certs_init(&certs);
	assert_int_equal(certs_load_vek_file(&certs, tdata_path("attest/mstav/turin_vcek.pem"),
					     &err),
			 0);
	o.report = flip;
	o.report_len = len;
	o.appraise = &f->policy;
	assert_int_equal(evidence_evaluate(f->v, &o, vd, &err), SNP_E_SIGNATURE);
	assert_true(vd->evaluated);
	assert_int_equal(vd->appraise_code, SNP_E_INTERNAL); /* did not run */
	assert_non_null(strstr(err.msg, "report.signature"));
	j = verdict_json(vd);
	assert_true(json_is_false(json_object_get(j, "verified")));
	assert_true(json_is_false(json_object_get(j, "appraised")));
	assert_null(json_object_get(j, "appraisal"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "code")),
			    "SIGNATURE");
	json_decref(j);
	certs_free(&certs);
	free(flip);
	free(vd);
}

struct fake_kds {
	const uint8_t *vcek;
	size_t len;
	unsigned calls;
	char url[512];
};

static int fake_get(void *ctx, const char *url, uint8_t **body, size_t *len, long *status,
		    struct snp_err *err)
{
	struct fake_kds *k = ctx;

	(void)err;
	k->calls++;
	snprintf(k->url, sizeof(k->url), "%s", url);
	*body = malloc(k->len);
	assert_non_null(*body);
	memcpy(*body, k->vcek, k->len);
	*len = k->len;
	*status = 200;
	return 0;
}

/* No VEK given: fetched from the KDS, cached once verified, then found offline in the cache. */
static void evidence_fetches_and_caches_the_vcek(void **state)
{
	struct fix *f = *state;
	struct evidence_verdict *vd = calloc(1, sizeof(*vd));
	struct snp_err err = { 0 };
	struct fake_kds k = { .vcek = f->vcek, .len = f->vcek_len };
	struct evidence_opts o = opts_for(f, NULL);
	char *dir = tmpdir_make(), milan[600];
	struct stat st;

	o.kds.base_url = "https://kds.example";
	o.kds.cache_dir = dir;
	o.kds.fetch = (struct kds_fetcher){ .get = fake_get, .ctx = &k };
	/* A v2 report does not say its product: the KDS URL cannot be built. */
	assert_int_equal(evidence_evaluate(f->v, &o, vd, &err), SNP_E_INVALID);
	assert_false(vd->evaluated);
	assert_non_null(strstr(err.msg, "product of a v2 report is unknown"));
	assert_null(strstr(err.msg, "--"));
	assert_int_equal(k.calls, 0);

	o.verify.product = SNP_PRODUCT_MILAN;
	if (evidence_evaluate(f->v, &o, vd, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(k.calls, 1);
	assert_non_null(strstr(k.url, "https://kds.example/vcek/v1/Milan/"));
	assert_string_equal(vd->vek_source, "KDS");
	assert_int_equal(vd->cache_err.code, 0);
	snprintf(milan, sizeof(milan), "%s/vcek/Milan", dir);
	assert_int_equal(stat(milan, &st), 0);

	o.kds.base_url = NULL; /* offline: the cache only */
	if (evidence_evaluate(f->v, &o, vd, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(k.calls, 1);
	assert_string_equal(vd->vek_source, "KDS cache");

	/* A CRL both given and to be fetched is a contradiction, refused. */
	o.fetch_crl = true;
	o.verify.crl = (X509_CRL *)1; /* never dereferenced: refused before use */
	assert_int_equal(evidence_evaluate(f->v, &o, vd, &err), SNP_E_INVALID);
	assert_false(vd->evaluated);
	rm_rf(dir);
	free(dir);
	free(vd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(evidence_verifies_and_appraises_with_given_certs),
		cmocka_unit_test(evidence_takes_the_vek_from_the_cert_table),
		cmocka_unit_test(evidence_unwraps_hcl_reports),
		cmocka_unit_test(evidence_refusals_and_their_json),
		cmocka_unit_test(evidence_fetches_and_caches_the_vcek),
	};

	return cmocka_run_group_tests_name("attest/evidence", tests, setup, teardown);
}
