/*
 * `snpvm verify` as a user runs it: exit status 0/1/2, a single line naming
 * the first failed check, every certificate source, and the --json shape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "abi/cert-table.h"
#include "tests/common/testutil.h"
#include "util/file.h"

#define AT "--at=2026-11-22T00:00:00Z"

/* Paths are copied: tdata_path returns a static buffer. */
static char *p(const char *rel)
{
	char *s = strdup(tdata_path(rel));

	assert_non_null(s);
	return s;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Runs snpvm verify with up to 8 arguments; checks the status; returns the result. */
static void verify(struct run_result *res, int want_status, const char *a0, const char *a1,
		   const char *a2, const char *a3, const char *a4, const char *a5, const char *a6,
		   const char *a7)
{
	const char *argv[] = { "verify", a0, a1, a2, a3, a4, a5, a6, a7, NULL };

	run_snpvm(argv, NULL, res);
	if (res->status != want_status)
		fail_msg("status %d, want %d; stdout: %s; stderr: %s", res->status, want_status,
			 res->out, res->err);
}

static void genuine_exit_0(void **state)
{
	struct run_result r;
	char *rep = p("attest/mstav/turin_attestation_report.bin");
	char *vek = p("attest/mstav/turin_vcek.pem");

	(void)state;
	verify(&r, 0, "--report", rep, "--vcek", vek, AT, NULL, NULL, NULL);
	assert_non_null(strstr(r.out, "verified: Turin"));
	assert_string_equal(r.err, "");
	run_result_free(&r);
	free(rep);
	free(vek);
}

static void refused_exit_1_one_line(void **state)
{
	struct run_result r;
	char *rep = p("attest/negative/turin_measurement_bitflip.bin");
	char *vek = p("attest/mstav/turin_vcek.pem");
	char *vlek_rep = p("attest/trustee/test-vlek-report.bin");
	char *vlek = p("attest/trustee/test-vlek.der");

	(void)state;
	verify(&r, 1, "--report", rep, "--vcek", vek, AT, NULL, NULL, NULL);
	assert_int_equal(count_lines(r.err), 1);
	assert_non_null(strstr(r.err, "report.signature"));
	assert_string_equal(r.out, "");
	run_result_free(&r);

	/* The AWS VLEK: refused now, verified before it expired. */
	verify(&r, 1, "--report", vlek_rep, "--vcek", vlek, AT, NULL, NULL, NULL);
	assert_int_equal(count_lines(r.err), 1);
	assert_non_null(strstr(r.err, "vek.validity"));
	run_result_free(&r);
	verify(&r, 0, "--report", vlek_rep, "--vcek", vlek, "--at", "2025-06-01T12:00:00+02:00",
	       NULL, NULL);
	run_result_free(&r);
	free(rep);
	free(vek);
	free(vlek_rep);
	free(vlek);
}

static void unusable_input_exit_2(void **state)
{
	struct run_result r;
	char *vek = p("attest/mstav/turin_vcek.pem");
	char *bad = p("attest/trustee/test-vcek.der"); /* not a report */
	char *rep = p("attest/mstav/turin_attestation_report.bin");

	(void)state;
	verify(&r, 2, "--report", bad, "--vcek", vek, AT, NULL, NULL, NULL);
	assert_int_equal(count_lines(r.err), 1);
	assert_non_null(strstr(r.err, "report.parse"));
	run_result_free(&r);
	verify(&r, 2, "--report", "/nonexistent/report.bin", "--vcek", vek, NULL, NULL, NULL, NULL);
	run_result_free(&r);
	verify(&r, 2, "--report", rep, "--vcek", rep, NULL, NULL, NULL, NULL);
	assert_int_equal(count_lines(r.err), 1);
	run_result_free(&r);
	verify(&r, 2, "--report", rep, "--no-such-flag", NULL, NULL, NULL, NULL, NULL);
	run_result_free(&r);
	verify(&r, 2, "--report", rep, "--vcek", vek, "--at", "yesterday", NULL, NULL);
	run_result_free(&r);
	verify(&r, 2, "--report", rep, "--vcek", vek, "--product", "venice", NULL, NULL);
	run_result_free(&r);
	verify(&r, 2, "--report", rep, "--vcek", vek, "--crl", vek, NULL, NULL);
	run_result_free(&r);
	verify(&r, 2, "--report", rep, "--vcek", vek, "--trust-sim-root", rep, NULL, NULL);
	run_result_free(&r);
	verify(&r, 2, "--vcek", vek, NULL, NULL, NULL, NULL, NULL, NULL);
	run_result_free(&r);
	verify(&r, 2, "--report", rep, NULL, NULL, NULL, NULL, NULL, NULL); /* no VEK */
	assert_non_null(strstr(r.err, "vek.present"));
	run_result_free(&r);
	verify(&r, 0, "--help", NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	assert_non_null(strstr(r.out, "usage: snpvm verify"));
	run_result_free(&r);
	free(vek);
	free(bad);
	free(rep);
}

static void cert_sources(void **state)
{
	struct run_result r;
	struct snp_err err = { 0 };
	char *dir = tmpdir_make(), path[512], tpath[512];
	char *rep = p("attest/trustee/test-report.bin");
	char *hcl = p("attest/trustee/az-snp-vtpm/hcl-report.bin");
	char *hvek = p("attest/trustee/az-snp-vtpm/vcek.pem");
	size_t vlen, alen, tlen;
	uint8_t *vek = tdata_read("attest/trustee/test-vcek.der", &vlen);
	uint8_t *askark = tdata_read("attest/gosevguest/ask_ark_milan.pem", &alen), *table = NULL;
	struct snp_cert_blob blob;

	(void)state;
	snprintf(path, sizeof(path), "%s/vcek.der", dir);
	assert_int_equal(file_write_atomic(path, vek, vlen, 0644, &err), 0);
	snprintf(path, sizeof(path), "%s/chain.pem", dir);
	assert_int_equal(file_write_atomic(path, askark, alen, 0644, &err), 0);
	snprintf(path, sizeof(path), "%s/notes.txt", dir); /* ignored by suffix */
	assert_int_equal(file_write_atomic(path, "x", 1, 0644, &err), 0);
	verify(&r, 0, "--report", rep, "--certs", dir, AT, NULL, NULL, NULL);
	run_result_free(&r);

	memcpy(blob.guid, SNP_CERT_GUID_VCEK, 16);
	blob.data = vek;
	blob.len = vlen;
	assert_int_equal(cert_table_write(&blob, 1, &table, &tlen, &err), 0);
	snprintf(tpath, sizeof(tpath), "%s/table.bin", dir);
	assert_int_equal(file_write_atomic(tpath, table, tlen, 0644, &err), 0);
	verify(&r, 0, "--report", rep, "--cert-table", tpath, AT, NULL, NULL, NULL);
	run_result_free(&r);
	/* A truncated table is unusable input. */
	assert_int_equal(file_write_atomic(tpath, table, 30, 0644, &err), 0);
	verify(&r, 2, "--report", rep, "--cert-table", tpath, AT, NULL, NULL, NULL);
	run_result_free(&r);

	verify(&r, 0, "--report", hcl, "--hcl", "--vcek", hvek, AT, NULL, NULL);
	run_result_free(&r);
	verify(&r, 2, "--report", hcl, "--vcek", hvek, AT, NULL, NULL, NULL); /* no --hcl */
	run_result_free(&r);

	rm_rf(dir);
	free(dir);
	free(table);
	free(vek);
	free(askark);
	free(rep);
	free(hcl);
	free(hvek);
}

static void json_shape(void **state)
{
	struct run_result r;
	json_error_t jerr;
	json_t *o, *rep, *checks;
	char *report = p("attest/mstav/genoa_attestation_report.bin");
	char *vek = p("attest/mstav/genoa_vcek.pem");
	char *bad = p("attest/negative/turin_measurement_bitflip.bin");
	char *tvek = p("attest/mstav/turin_vcek.pem");

	(void)state;
	verify(&r, 0, "--report", report, "--vcek", vek, AT, "--json", NULL, NULL);
	o = json_loads(r.out, 0, &jerr);
	if (!o)
		fail_msg("not JSON (%s): %s", jerr.text, r.out);
	assert_true(json_is_true(json_object_get(o, "verified")));
	assert_string_equal(json_string_value(json_object_get(o, "product")), "Genoa");
	assert_string_equal(json_string_value(json_object_get(o, "signer")), "VCEK");
	rep = json_object_get(o, "report");
	assert_int_equal(json_integer_value(json_object_get(rep, "version")), 3);
	assert_int_equal(strlen(json_string_value(json_object_get(rep, "measurement"))), 96);
	assert_int_equal(strlen(json_string_value(json_object_get(rep, "chip_id"))), 128);
	assert_true(json_is_integer(json_object_get(json_object_get(rep, "reported_tcb"), "snp")));
	assert_null(json_object_get(json_object_get(rep, "reported_tcb"), "fmc"));
	checks = json_object_get(o, "checks");
	assert_true(json_array_size(checks) >= 15);
	for (size_t i = 0; i < json_array_size(checks); i++)
		assert_true(json_is_true(json_object_get(json_array_get(checks, i), "ok")));
	json_decref(o);
	run_result_free(&r);

	verify(&r, 1, "--report", bad, "--vcek", tvek, AT, "--json", NULL, NULL);
	o = json_loads(r.out, 0, &jerr);
	if (!o)
		fail_msg("not JSON (%s): %s", jerr.text, r.out);
	assert_true(json_is_false(json_object_get(o, "verified")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "error"), "code")),
			    "SIGNATURE");
	checks = json_object_get(o, "checks");
	{
		json_t *last = json_array_get(checks, json_array_size(checks) - 1);

		assert_string_equal(json_string_value(json_object_get(last, "name")),
				    "report.signature");
		assert_true(json_is_false(json_object_get(last, "ok")));
	}
	/* Turin TCBs decode with the FMC field. */
	assert_true(json_is_integer(json_object_get(
		json_object_get(json_object_get(o, "report"), "reported_tcb"), "fmc")));
	json_decref(o);
	run_result_free(&r);
	free(report);
	free(vek);
	free(bad);
	free(tvek);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(genuine_exit_0),
		cmocka_unit_test(refused_exit_1_one_line),
		cmocka_unit_test(unusable_input_exit_2),
		cmocka_unit_test(cert_sources),
		cmocka_unit_test(json_shape),
	};

	return cmocka_run_group_tests_name("snpvm verify", tests, NULL, NULL);
}
