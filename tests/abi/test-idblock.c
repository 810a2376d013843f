/*
 * abi/idblock.c: ID_BLOCK, ID_AUTH, signature and public key layouts against
 * the reference vector (tests/data/idblock/README.md) and hand-built blocks;
 * bounds, reserved bytes, algorithm and curve ids; round trips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "abi/idblock.h"
#include "tests/common/idblock-vectors.h"
#include "util/hex.h"

static void vector_block(uint8_t out[SNP_ID_BLOCK_SIZE])
{
	struct snp_err err = { 0 };

	if (b64_decode(IDV_BLOCK_B64, out, SNP_ID_BLOCK_SIZE, "vector", &err) != 0)
		fail_msg("%s", err.msg);
}

/* Little-endian store written out here so that the test does not use abi/endian.h. */
static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/*
 * A well-formed ID_AUTH built from the spec table by hand (offsets typed in
 * from SNP ABI spec 56860 §8.18): algorithms 1, curves 2, patterned R/S/QX/QY.
 */
static void handmade_auth(uint8_t a[SNP_ID_AUTH_SIZE], int with_author)
{
	static const size_t sigs[] = { 0x040, 0x680 }, keys[] = { 0x240, 0x880 };

	memset(a, 0, SNP_ID_AUTH_SIZE);
	put32(a + 0x000, 1);
	put32(a + 0x004, with_author ? 1 : 0);
	for (int k = 0; k < (with_author ? 2 : 1); k++) {
		for (size_t i = 0; i < 48; i++) {
			a[sigs[k] + i] = (uint8_t)(0x10 + i + k);          /* R */
			a[sigs[k] + 0x48 + i] = (uint8_t)(0x80 + i + k);   /* S */
			a[keys[k] + 0x04 + i] = (uint8_t)(0x30 + i + k);   /* QX */
			a[keys[k] + 0x4C + i] = (uint8_t)(0xa0 + i + k);   /* QY */
		}
		put32(a + keys[k], 2);
	}
}

static void expect_fail(int ret, int code, const struct snp_err *err, const char *needle)
{
	if (ret != code)
		fail_msg("got %d (%s), want %d; message: %s", ret, snp_code_name(ret), code,
			 err->msg);
	if (!strstr(err->msg, needle))
		fail_msg("message '%s' does not name '%s'", err->msg, needle);
}

static void id_block_parse_vector_fields(void **state)
{
	uint8_t buf[SNP_ID_BLOCK_SIZE], ld[48], zero[16] = { 0 };
	struct snp_err err = { 0 };
	struct snp_id_block b;

	(void)state;
	vector_block(buf);
	assert_int_equal(hex_decode(IDV_LD_HEX, ld, sizeof(ld), "ld", &err), 0);
	if (id_block_parse(buf, sizeof(buf), &b, &err) != 0)
		fail_msg("%s", err.msg);
	assert_memory_equal(b.ld, ld, 48);
	assert_memory_equal(b.family_id, zero, 16);
	assert_memory_equal(b.image_id, zero, 16);
	assert_int_equal(b.version, 1);
	assert_int_equal(b.guest_svn, 0);
	assert_int_equal(b.policy, 0x30000);
}

static void id_block_write_matches_vector(void **state)
{
	struct snp_id_block b = { .version = 1, .guest_svn = 0, .policy = 0x30000 };
	uint8_t want[SNP_ID_BLOCK_SIZE], out[SNP_ID_BLOCK_SIZE];
	struct snp_err err = { 0 };

	(void)state;
	vector_block(want);
	assert_int_equal(hex_decode(IDV_LD_HEX, b.ld, sizeof(b.ld), "ld", &err), 0);
	memset(out, 0xee, sizeof(out));
	id_block_write(&b, out);
	assert_memory_equal(out, want, SNP_ID_BLOCK_SIZE);
}

static void id_block_write_field_offsets(void **state)
{
	struct snp_id_block b = { .version = 1, .guest_svn = 0x01020304,
				  .policy = 0x1122334455667788ull };
	uint8_t out[SNP_ID_BLOCK_SIZE];

	(void)state;
	b.family_id[0] = 0xf0;
	b.image_id[15] = 0x1f;
	id_block_write(&b, out);
	assert_int_equal(out[0x30], 0xf0);
	assert_int_equal(out[0x4f], 0x1f);
	assert_int_equal(out[0x50], 1);
	assert_int_equal(out[0x54], 0x04);
	assert_int_equal(out[0x57], 0x01);
	assert_int_equal(out[0x58], 0x88);
	assert_int_equal(out[0x5f], 0x11);
}

static void id_block_parse_truncated_fails(void **state)
{
	uint8_t buf[SNP_ID_BLOCK_SIZE];
	struct snp_err err = { 0 };
	struct snp_id_block b;

	(void)state;
	vector_block(buf);
	expect_fail(id_block_parse(buf, 0x5c, &b, &err), SNP_E_TRUNCATED, &err, "POLICY at 0x58");
	expect_fail(id_block_parse(buf, 0x20, &b, &err), SNP_E_TRUNCATED, &err, "LD at 0x0");
	expect_fail(id_block_parse(NULL, 0, &b, &err), SNP_E_TRUNCATED, &err, "LD");
}

static void id_block_parse_trailing_fails(void **state)
{
	uint8_t buf[SNP_ID_BLOCK_SIZE + 1] = { 0 };
	struct snp_err err = { 0 };
	struct snp_id_block b;

	(void)state;
	vector_block(buf);
	expect_fail(id_block_parse(buf, sizeof(buf), &b, &err), SNP_E_TRAILING, &err,
		    "ID block: 1 trailing");
}

static void id_block_parse_bad_version_fails(void **state)
{
	uint8_t buf[SNP_ID_BLOCK_SIZE];
	struct snp_err err = { 0 };
	struct snp_id_block b;

	(void)state;
	vector_block(buf);
	buf[0x50] = 2;
	expect_fail(id_block_parse(buf, sizeof(buf), &b, &err), SNP_E_VERSION, &err,
		    "VERSION at 0x50");
	assert_int_equal(b.version, 0); /* output cleared on failure */
}

static void id_block_parse_bad_policy_fails(void **state)
{
	uint8_t buf[SNP_ID_BLOCK_SIZE];
	struct snp_err err = { 0 };
	struct snp_id_block b;

	(void)state;
	vector_block(buf);
	buf[0x5a] = 0x01; /* bit 17 cleared */
	expect_fail(id_block_parse(buf, sizeof(buf), &b, &err), SNP_E_RESERVED, &err,
		    "POLICY at 0x58");
	vector_block(buf);
	buf[0x5f] = 0x80; /* bit 63 */
	expect_fail(id_block_parse(buf, sizeof(buf), &b, &err), SNP_E_RESERVED, &err,
		    "POLICY at 0x58");
}

static void id_auth_parse_handmade_round_trips(void **state)
{
	uint8_t a[SNP_ID_AUTH_SIZE], out[SNP_ID_AUTH_SIZE];
	struct snp_err err = { 0 };
	struct snp_id_auth au;

	(void)state;
	for (int with = 0; with <= 1; with++) {
		handmade_auth(a, with);
		if (id_auth_parse(a, sizeof(a), &au, &err) != 0)
			fail_msg("%s", err.msg);
		assert_int_equal(au.id_key_algo, 1);
		assert_int_equal(au.auth_key_algo, (uint32_t)with);
		assert_int_equal(au.id_key.curve, 2);
		assert_int_equal(au.id_block_sig.r[0], 0x10);
		assert_int_equal(au.id_block_sig.s[47], 0x80 + 47);
		assert_int_equal(au.id_key.qx[0], 0x30);
		assert_int_equal(au.id_key.qy[47], 0xa0 + 47);
		assert_int_equal(au.id_key.qx[48], 0);
		assert_int_equal(au.author_key.curve, with ? 2 : 0);
		assert_int_equal(au.id_key_sig.r[0], with ? 0x11 : 0);
		assert_int_equal(au.author_key.qy[0], with ? 0xa1 : 0);
		memset(out, 0xee, sizeof(out));
		id_auth_write(&au, out);
		assert_memory_equal(out, a, SNP_ID_AUTH_SIZE);
	}
}

static void id_auth_parse_truncated_fails(void **state)
{
	uint8_t a[SNP_ID_AUTH_SIZE];
	struct snp_err err = { 0 };
	struct snp_id_auth au;

	(void)state;
	handmade_auth(a, 1);
	expect_fail(id_auth_parse(a, 2, &au, &err), SNP_E_TRUNCATED, &err, "ID_KEY_ALGO");
	expect_fail(id_auth_parse(a, 0x100, &au, &err), SNP_E_TRUNCATED, &err,
		    "ID_BLOCK_SIG at 0x40");
	expect_fail(id_auth_parse(a, 0x300, &au, &err), SNP_E_TRUNCATED, &err,
		    "ID_KEY at 0x240");
	expect_fail(id_auth_parse(a, 0x900, &au, &err), SNP_E_TRUNCATED, &err,
		    "AUTHOR_KEY at 0x880");
	expect_fail(id_auth_parse(a, SNP_ID_AUTH_SIZE - 1, &au, &err), SNP_E_TRUNCATED, &err,
		    "reserved at 0xc84");
	assert_int_equal(au.id_key_algo, 0);
}

static void id_auth_parse_trailing_fails(void **state)
{
	uint8_t a[SNP_ID_AUTH_SIZE + 4];
	struct snp_err err = { 0 };
	struct snp_id_auth au;

	(void)state;
	handmade_auth(a, 1);
	memset(a + SNP_ID_AUTH_SIZE, 0, 4);
	expect_fail(id_auth_parse(a, sizeof(a), &au, &err), SNP_E_TRAILING, &err,
		    "4 trailing bytes");
}

struct reserved_case {
	size_t off;
	int code;
	const char *needle;
};

static void id_auth_parse_reserved_fails(void **state)
{
	static const struct reserved_case cases[] = {
		{ 0x008, SNP_E_RESERVED, "ID auth: reserved at 0x8" },
		{ 0x03f, SNP_E_RESERVED, "reserved byte 0x3f" },
		{ 0x040 + 48, SNP_E_RESERVED, "ID_BLOCK_SIG: R bytes 48..71 at 0x70" },
		{ 0x040 + 0x48 + 71, SNP_E_RESERVED, "ID_BLOCK_SIG: S bytes 48..71" },
		{ 0x040 + 0x90, SNP_E_RESERVED, "ID_BLOCK_SIG: reserved at 0xd0" },
		{ 0x23f, SNP_E_RESERVED, "ID_BLOCK_SIG: reserved" },
		{ 0x240 + 0x04 + 50, SNP_E_RESERVED, "ID_KEY: QX bytes 48..71" },
		{ 0x240 + 0x4C + 48, SNP_E_RESERVED, "ID_KEY: QY bytes 48..71" },
		{ 0x240 + 0x94, SNP_E_RESERVED, "ID_KEY: reserved at 0x2d4" },
		{ 0x644, SNP_E_RESERVED, "ID auth: reserved at 0x644" },
		{ 0x680 + 0x90, SNP_E_RESERVED, "ID_KEY_SIG: reserved" },
		{ 0x880 + 0x403, SNP_E_RESERVED, "AUTHOR_KEY: reserved" },
		{ 0xc84, SNP_E_RESERVED, "ID auth: reserved at 0xc84" },
		{ 0xfff, SNP_E_RESERVED, "reserved byte 0xfff" },
	};
	uint8_t a[SNP_ID_AUTH_SIZE];
	struct snp_err err = { 0 };
	struct snp_id_auth au;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		handmade_auth(a, 1);
		a[cases[i].off] = 0x5a;
		expect_fail(id_auth_parse(a, sizeof(a), &au, &err), cases[i].code, &err,
			    cases[i].needle);
	}
}

static void id_auth_parse_bad_algo_and_curve_fail(void **state)
{
	uint8_t a[SNP_ID_AUTH_SIZE];
	struct snp_err err = { 0 };
	struct snp_id_auth au;

	(void)state;
	handmade_auth(a, 1);
	put32(a + 0x000, 2);
	expect_fail(id_auth_parse(a, sizeof(a), &au, &err), SNP_E_UNSUPPORTED, &err,
		    "ID_KEY_ALGO at 0x000: 2");
	handmade_auth(a, 1);
	put32(a + 0x004, 3);
	expect_fail(id_auth_parse(a, sizeof(a), &au, &err), SNP_E_UNSUPPORTED, &err,
		    "AUTH_KEY_ALGO at 0x004: 3");
	handmade_auth(a, 1);
	put32(a + 0x240, 3); /* P-521 is not an SNP ID key curve */
	expect_fail(id_auth_parse(a, sizeof(a), &au, &err), SNP_E_UNSUPPORTED, &err,
		    "ID_KEY: CURVE at 0x240: 3");
	handmade_auth(a, 1);
	put32(a + 0x880, 0);
	expect_fail(id_auth_parse(a, sizeof(a), &au, &err), SNP_E_UNSUPPORTED, &err,
		    "AUTHOR_KEY: CURVE at 0x880: 0");
}

/* AUTH_KEY_ALGO 0 promises no author key: leftover author fields are rejected. */
static void id_auth_parse_no_author_requires_zero_fields(void **state)
{
	uint8_t a[SNP_ID_AUTH_SIZE];
	struct snp_err err = { 0 };
	struct snp_id_auth au;

	(void)state;
	handmade_auth(a, 1);
	put32(a + 0x004, 0);
	expect_fail(id_auth_parse(a, sizeof(a), &au, &err), SNP_E_RESERVED, &err,
		    "ID_KEY_SIG (AUTH_KEY_ALGO is 0) at 0x680");
	handmade_auth(a, 0);
	a[0x880] = 2;
	expect_fail(id_auth_parse(a, sizeof(a), &au, &err), SNP_E_RESERVED, &err,
		    "AUTHOR_KEY (AUTH_KEY_ALGO is 0) at 0x880");
}

static void pubkey_and_sig_standalone_round_trip(void **state)
{
	uint8_t a[SNP_ID_AUTH_SIZE], out[SNP_PUBKEY_SIZE];
	struct snp_err err = { 0 };
	struct snp_ecdsa_sig sig;
	struct snp_pubkey pk;

	(void)state;
	handmade_auth(a, 1);
	assert_int_equal(snp_pubkey_parse(a + 0x880, SNP_PUBKEY_SIZE, &pk, &err), 0);
	memset(out, 0xee, sizeof(out));
	snp_pubkey_write(&pk, out);
	assert_memory_equal(out, a + 0x880, SNP_PUBKEY_SIZE);
	assert_int_equal(snp_ecdsa_sig_parse(a + 0x680, SNP_ECDSA_SIG_SIZE, &sig, &err), 0);
	memset(out, 0xee, sizeof(out));
	snp_ecdsa_sig_write(&sig, out);
	assert_memory_equal(out, a + 0x680, SNP_ECDSA_SIG_SIZE);

	expect_fail(snp_pubkey_parse(a + 0x880, SNP_PUBKEY_SIZE - 1, &pk, &err), SNP_E_TRUNCATED,
		    &err, "public key: reserved at 0x94");
	expect_fail(snp_ecdsa_sig_parse(a + 0x680, SNP_ECDSA_SIG_SIZE + 1, &sig, &err),
		    SNP_E_TRAILING, &err, "signature: 1 trailing");
	put32(a + 0x880, 1);
	expect_fail(snp_pubkey_parse(a + 0x880, SNP_PUBKEY_SIZE, &pk, &err), SNP_E_UNSUPPORTED,
		    &err, "public key: CURVE at 0x0: 1");
	assert_int_equal(pk.curve, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(id_block_parse_vector_fields),
		cmocka_unit_test(id_block_write_matches_vector),
		cmocka_unit_test(id_block_write_field_offsets),
		cmocka_unit_test(id_block_parse_truncated_fails),
		cmocka_unit_test(id_block_parse_trailing_fails),
		cmocka_unit_test(id_block_parse_bad_version_fails),
		cmocka_unit_test(id_block_parse_bad_policy_fails),
		cmocka_unit_test(id_auth_parse_handmade_round_trips),
		cmocka_unit_test(id_auth_parse_truncated_fails),
		cmocka_unit_test(id_auth_parse_trailing_fails),
		cmocka_unit_test(id_auth_parse_reserved_fails),
		cmocka_unit_test(id_auth_parse_bad_algo_and_curve_fail),
		cmocka_unit_test(id_auth_parse_no_author_requires_zero_fields),
		cmocka_unit_test(pubkey_and_sig_standalone_round_trip),
	};

	return cmocka_run_group_tests_name("abi/idblock", tests, NULL, NULL);
}
