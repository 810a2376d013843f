/*
 * cli/cmd-idblock.c through the binary: the reference vector's output lines,
 * --json, the raw --id-block-out/--id-auth-out files, defaults, and usage
 * errors that name the flag with exit status 2.
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

#include "measure/idblock.h"
#include "tests/common/idblock-vectors.h"
#include "tests/common/testutil.h"
#include "util/file.h"
#include "util/hex.h"

static char id_key[256], author_key[256];

static int setup(void **state)
{
	(void)state;
	snprintf(id_key, sizeof(id_key), "%s", tdata_path(IDV_ID_KEY));
	snprintf(author_key, sizeof(author_key), "%s", tdata_path(IDV_AUTHOR_KEY));
	return 0;
}

static void expect_line(const char *out, const char *line)
{
	char want[8192];

	snprintf(want, sizeof(want), "%s\n", line);
	if (!strstr(out, want))
		fail_msg("stdout lacks line '%s'; stdout:\n%s", line, out);
}

static void id_block_cli_vector_text(void **state)
{
	const char *argv[] = { "id-block", "--measurement", IDV_LD_HEX, "--id-key", id_key,
			       "--author-key", author_key, NULL };
	struct run_result r;

	(void)state;
	run_snpvm(argv, NULL, &r);
	if (r.status != 0)
		fail_msg("status %d, stderr: %s", r.status, r.err);
	expect_line(r.out, "id-block: " IDV_BLOCK_B64);
	expect_line(r.out, "id-key-digest: " IDV_ID_DIGEST_B64);
	expect_line(r.out, "author-key-digest: " IDV_AUTHOR_DIGEST_B64);
	expect_line(r.out, "author-key-enabled: on");
	assert_non_null(strstr(r.out, "qemu: id-block=" IDV_BLOCK_B64 ",id-auth="));
	assert_non_null(strstr(r.out, ",author-key-enabled=on\n"));
	assert_non_null(strstr(r.out, "id-auth: AQAAAAEAAAA")); /* algorithms 1 and 1 */
	run_result_free(&r);
}

static void id_block_cli_base64_measurement_no_author(void **state)
{
	const char *argv[] = { "id-block", "--measurement",
			       IDV2_LD_B64,
			       "--id-key", id_key, NULL };
	struct run_result r;

	(void)state;
	run_snpvm(argv, NULL, &r);
	if (r.status != 0)
		fail_msg("status %d, stderr: %s", r.status, r.err);
	/* Second vector (sev-snp-measure tests/test_id_block.py). */
	expect_line(r.out, "id-block: " IDV2_BLOCK_B64);
	expect_line(r.out, "id-key-digest: " IDV_ID_DIGEST_B64);
	expect_line(r.out, "author-key-enabled: off");
	assert_null(strstr(r.out, "author-key-digest"));
	assert_non_null(strstr(r.out, "id-auth: AQAAAAAAAAA")); /* AUTH_KEY_ALGO 0 */
	run_result_free(&r);
}

static void id_block_cli_json(void **state)
{
	const char *argv[] = { "id-block", "--json", "--measurement", IDV_LD_HEX,
			       "--id-key", id_key, "--author-key", author_key,
			       "--guest-svn", "0x10", "--policy", "196608",
			       "--family-id", "000102030405060708090a0b0c0d0e0f", NULL };
	json_error_t jerr;
	struct run_result r;
	json_t *o;

	(void)state;
	run_snpvm(argv, NULL, &r);
	if (r.status != 0)
		fail_msg("status %d, stderr: %s", r.status, r.err);
	o = json_loads(r.out, 0, &jerr);
	if (!o)
		fail_msg("not JSON (%s): %s", jerr.text, r.out);
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "id_key_digest"),
							      "hex")), IDV_ID_DIGEST_HEX);
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "id_key_digest"),
							      "base64")), IDV_ID_DIGEST_B64);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(o, "author_key_digest"), "hex")),
			    IDV_AUTHOR_DIGEST_HEX);
	assert_true(json_is_true(json_object_get(o, "author_key_enabled")));
	json_t *f = json_object_get(o, "fields");
	assert_int_equal(json_integer_value(json_object_get(f, "guest_svn")), 16);
	assert_int_equal(json_integer_value(json_object_get(f, "version")), 1);
	assert_string_equal(json_string_value(json_object_get(f, "policy")), "0x30000");
	assert_string_equal(json_string_value(json_object_get(f, "family_id")),
			    "000102030405060708090a0b0c0d0e0f");
	assert_string_equal(json_string_value(json_object_get(f, "ld")), IDV_LD_HEX);
	json_decref(o);
	run_result_free(&r);
}

/* The raw files equal what stdout shows, and verify as the firmware would. */
static void id_block_cli_writes_raw_files(void **state)
{
	char *dir = tmpdir_make(), bpath[512], apath[512];
	const char *argv[] = { "id-block", "--measurement", IDV_LD_HEX, "--id-key", id_key,
			       "--author-key", author_key, "--id-block-out", bpath, "--id-auth-out",
			       apath, NULL };
	uint8_t want[SNP_ID_BLOCK_SIZE], d1[48], d2[48], *blk = NULL, *auth = NULL;
	struct snp_err err = { 0 };
	struct run_result r;
	size_t blen, alen;
	char *b64;

	(void)state;
	snprintf(bpath, sizeof(bpath), "%s/id-block.bin", dir);
	snprintf(apath, sizeof(apath), "%s/id-auth.bin", dir);
	run_snpvm(argv, NULL, &r);
	if (r.status != 0)
		fail_msg("status %d, stderr: %s", r.status, r.err);
	assert_int_equal(file_read(bpath, 1 << 16, &blk, &blen, &err), 0);
	assert_int_equal(file_read(apath, 1 << 16, &auth, &alen, &err), 0);
	assert_int_equal(blen, SNP_ID_BLOCK_SIZE);
	assert_int_equal(alen, SNP_ID_AUTH_SIZE);
	assert_int_equal(b64_decode(IDV_BLOCK_B64, want, sizeof(want), "vector", &err), 0);
	assert_memory_equal(blk, want, sizeof(want));
	b64 = b64_encode(auth, alen);
	assert_non_null(b64);
	assert_non_null(strstr(r.out, b64));
	free(b64);
	if (idblock_verify_auth(blk, auth, true, d1, d2, &err) != 0)
		fail_msg("%s", err.msg);
	free(blk);
	free(auth);
	run_result_free(&r);
	rm_rf(dir);
	free(dir);
}

/* file_write_atomic renames over its target: a FIFO (or /dev/null) must be refused. */
static void id_block_cli_refuses_non_regular_out(void **state)
{
	char *dir = tmpdir_make(), fifo[512];
	const char *argv[] = { "id-block", "--measurement", IDV_LD_HEX, "--id-key", id_key,
			       "--id-auth-out", fifo, NULL };
	struct run_result r;
	struct stat st;

	(void)state;
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	run_snpvm(argv, NULL, &r);
	if (r.status != 2 || !strstr(r.err, "--id-auth-out") ||
	    !strstr(r.err, "not a regular file"))
		fail_msg("status %d, stderr: %s", r.status, r.err);
	assert_int_equal(stat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	run_result_free(&r);
	rm_rf(dir);
	free(dir);
}

static void id_block_cli_help(void **state)
{
	const char *argv[] = { "id-block", "--help", NULL };
	struct run_result r;

	(void)state;
	run_snpvm(argv, NULL, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "usage: snpvm id-block"));
	assert_non_null(strstr(r.out, "--id-auth-out"));
	run_result_free(&r);
}

static void id_block_cli_usage_errors(void **state)
{
	static const struct {
		const char *flag, *value, *needle;
	} cases[] = {
		{ "--guest-svn", "12x", "--guest-svn" },
		{ "--guest-svn", "-1", "--guest-svn" },
		{ "--guest-svn", "4294967296", "--guest-svn" },
		{ "--guest-svn", "", "--guest-svn" },
		{ "--guest-svn", " 1", "--guest-svn" },
		{ "--guest-svn", "0x", "--guest-svn" },
		{ "--guest-svn", "0x-1", "--guest-svn" },
		{ "--policy", "0x10000", "--policy" },
		{ "--policy", "0x30000 ", "--policy" },
		{ "--policy", "99999999999999999999999", "--policy" },
		{ "--family-id", "00", "--family-id" },
		{ "--image-id", "zz0102030405060708090a0b0c0d0e0f", "--image-id" },
		{ "--measurement", "abcd", "--measurement" },
		{ "--bogus", "1", "unknown option '--bogus'" },
	};
	struct run_result r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[] = { "id-block", "--measurement", IDV_LD_HEX, "--id-key", id_key,
				       cases[i].flag, cases[i].value, NULL };

		run_snpvm(argv, NULL, &r);
		if (r.status != 2 || !strstr(r.err, cases[i].needle))
			fail_msg("%s '%s': status %d, stderr: %s", cases[i].flag, cases[i].value,
				 r.status, r.err);
		run_result_free(&r);
	}
}

static void id_block_cli_missing_and_bad_keys(void **state)
{
	char *dir = tmpdir_make(), p256[512];
	const char *no_key[] = { "id-block", "--measurement", IDV_LD_HEX, NULL };
	const char *bad_key[] = { "id-block", "--measurement", IDV_LD_HEX, "--id-key", id_key,
				  "--author-key", p256, NULL };
	const char *not_pem[] = { "id-block", "--measurement", IDV_LD_HEX, "--id-key", p256, NULL };
	struct run_result r;
	FILE *f;

	(void)state;
	run_snpvm(no_key, NULL, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--id-key is required"));
	run_result_free(&r);

	snprintf(p256, sizeof(p256), "%s/missing.pem", dir);
	run_snpvm(not_pem, NULL, &r);
	if (r.status != 2 || !strstr(r.err, "--id-key") || !strstr(r.err, "missing.pem"))
		fail_msg("status %d, stderr: %s", r.status, r.err);
	run_result_free(&r);

	/* A throwaway P-256 key made with `openssl ecparam -name prime256v1 -genkey`. */
	snprintf(p256, sizeof(p256), "%s/p256.pem", dir);
	f = fopen(p256, "w");
	assert_non_null(f);
	fputs("-----BEGIN EC PRIVATE KEY-----\n"
	      "MHcCAQEEIJZUqZj4R9mdjAKhRAYLdz0x39WRHt8+xXYbbbVu/CyloAoGCCqGSM49\n"
	      "AwEHoUQDQgAEX+qc8crwuD6ShWrItUfoadj8f3zzZBUNtyoaLWteNwiEocSkWtc5\n"
	      "wF+HwpNga5a7C9CMP9xwJ/N8h/bMh/mvaQ==\n"
	      "-----END EC PRIVATE KEY-----\n", f);
	fclose(f);
	run_snpvm(bad_key, NULL, &r);
	if (r.status != 2 || !strstr(r.err, "--author-key") || !strstr(r.err, "not P-384"))
		fail_msg("status %d, stderr: %s", r.status, r.err);
	run_result_free(&r);

	f = fopen(p256, "w");
	assert_non_null(f);
	fputs("not a key\n", f);
	fclose(f);
	run_snpvm(not_pem, NULL, &r);
	if (r.status != 2 || !strstr(r.err, "--id-key") || !strstr(r.err, "not a PEM private key"))
		fail_msg("status %d, stderr: %s", r.status, r.err);
	run_result_free(&r);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(id_block_cli_vector_text),
		cmocka_unit_test(id_block_cli_base64_measurement_no_author),
		cmocka_unit_test(id_block_cli_json),
		cmocka_unit_test(id_block_cli_writes_raw_files),
		cmocka_unit_test(id_block_cli_refuses_non_regular_out),
		cmocka_unit_test(id_block_cli_help),
		cmocka_unit_test(id_block_cli_usage_errors),
		cmocka_unit_test(id_block_cli_missing_and_bad_keys),
	};

	return cmocka_run_group_tests_name("cli/id-block", tests, setup, NULL);
}
