/*
 * attestd/jwk.c: the tee-pubkey JWK. The accepted keys are python3-jwcrypto
 * fixtures (tests/data/attestd/); every refusal names the member at fault.
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

#include "attestd/jwk.h"
#include "tests/common/testutil.h"

static json_t *fixture(const char *name)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "attestd/%s", name);
	return tdata_json(rel);
}

static void expect_ok(json_t *in, enum jwk_kind kind, unsigned bits)
{
	struct snp_err err = { 0 };
	struct jwk_pub k;

	if (jwk_pub_parse(in, "tee-pubkey", &k, &err) != 0)
		fail_msg("refused: %s", err.msg);
	assert_int_equal(k.kind, kind);
	assert_int_equal(k.bits, bits);
	/* Only the key members survive into the copy. */
	assert_null(json_object_get(k.jwk, "alg"));
	assert_null(json_object_get(k.jwk, "kid"));
	assert_true(json_equal(json_object_get(k.jwk, "kty"), json_object_get(in, "kty")));
	jwk_pub_free(&k);
	assert_null(k.jwk);
	json_decref(in);
}

static void expect_refused(json_t *in, int code, const char *needle)
{
	struct snp_err err = { 0 };
	struct jwk_pub k;

	assert_int_equal(jwk_pub_parse(in, "tee-pubkey", &k, &err), code);
	assert_int_equal(err.code, code);
	assert_null(k.jwk);
	assert_int_equal(k.kind, JWK_NONE);
	if (!strstr(err.msg, needle))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
	json_decref(in);
}

/* Sets member name of a fixture to a string value (or deletes it when value is NULL). */
static json_t *with(const char *name, const char *member, const char *value)
{
	json_t *v = fixture(name);

	if (value)
		json_object_set_new(v, member, json_string(value));
	else
		json_object_del(v, member);
	return v;
}

static void jwk_accepts_jwcrypto_keys(void **state)
{
	(void)state;
	expect_ok(fixture("ec-p256.pub.jwk"), JWK_EC_P256, 256);
	expect_ok(fixture("ec-p384.pub.jwk"), JWK_EC_P384, 384);
	expect_ok(fixture("ec-p521.pub.jwk"), JWK_EC_P521, 521);
	expect_ok(fixture("rsa-3072.pub.jwk"), JWK_RSA, 3072);
	expect_ok(fixture("rsa-4096.pub.jwk"), JWK_RSA, 4096);
}

static void jwk_accepts_optional_members(void **state)
{
	json_t *v = with("ec-p256.pub.jwk", "alg", "ECDH-ES+A256KW");

	(void)state;
	json_object_set_new(v, "use", json_string("enc"));
	json_object_set_new(v, "kid", json_string("guest-1"));
	expect_ok(v, JWK_EC_P256, 256);
	expect_ok(with("rsa-3072.pub.jwk", "alg", "RSA-OAEP-256"), JWK_RSA, 3072);
}

static void jwk_refuses_private_members(void **state)
{
	(void)state;
	expect_refused(fixture("ec-p256.priv.jwk"), SNP_E_REFUSED, "tee-pubkey: d: private");
	expect_refused(fixture("rsa-3072.priv.jwk"), SNP_E_REFUSED, "private key member");
	expect_refused(with("ec-p384.pub.jwk", "k", "AAAA"), SNP_E_REFUSED, "k: private");
	expect_refused(with("rsa-3072.pub.jwk", "oth", "x"), SNP_E_REFUSED, "oth: private");
}

static void jwk_refuses_unknown_and_misplaced_members(void **state)
{
	json_t *v;

	(void)state;
	expect_refused(with("ec-p256.pub.jwk", "x5u", "https://example.com"), SNP_E_INVALID,
		       "tee-pubkey: x5u: unknown member");
	expect_refused(with("ec-p256.pub.jwk", "n", "AQAB"), SNP_E_INVALID,
		       "n: not a member of an EC key");
	expect_refused(with("rsa-3072.pub.jwk", "crv", "P-256"), SNP_E_INVALID,
		       "crv: not a member of an RSA key");
	v = fixture("ec-p256.pub.jwk");
	json_object_set_new(v, "kid", json_integer(1));
	expect_refused(v, SNP_E_INVALID, "kid: expected a string");
	v = fixture("ec-p256.pub.jwk");
	for (int i = 0; i < JWK_MAX_MEMBERS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "m%d", i);
		json_object_set_new(v, name, json_string(""));
	}
	expect_refused(v, SNP_E_INVALID, "at most 16 allowed");
}

static void jwk_refuses_unsupported_types(void **state)
{
	(void)state;
	expect_refused(with("ec-p256.pub.jwk", "kty", "oct"), SNP_E_UNSUPPORTED,
		       "kty: \"oct\" is not supported");
	expect_refused(with("ec-p256.pub.jwk", "kty", NULL), SNP_E_INVALID, "kty: missing");
	expect_refused(with("ec-p256.pub.jwk", "crv", "P-192"), SNP_E_UNSUPPORTED,
		       "crv: \"P-192\" is not supported");
	expect_refused(with("ec-p256.pub.jwk", "crv", "secp256k1"), SNP_E_UNSUPPORTED, "crv");
	expect_refused(with("ec-p256.pub.jwk", "alg", "ECDH-ES"), SNP_E_UNSUPPORTED,
		       "alg: \"ECDH-ES\" is not supported");
	expect_refused(with("rsa-3072.pub.jwk", "alg", "RSA1_5"), SNP_E_UNSUPPORTED,
		       "alg: \"RSA1_5\"");
	expect_refused(with("ec-p256.pub.jwk", "use", "sig"), SNP_E_INVALID, "use: \"sig\"");
	expect_refused(json_string("{}"), SNP_E_INVALID, "not a JSON object");
}

static void jwk_ec_coordinates_checked(void **state)
{
	(void)state;
	/* A P-256 fixture relabelled as P-384: 32-byte coordinates, 48 needed. */
	expect_refused(with("ec-p256.pub.jwk", "crv", "P-384"), SNP_E_INVALID,
		       "x: 32 bytes, P-384 needs 48");
	expect_refused(with("ec-p256.pub.jwk", "y", NULL), SNP_E_INVALID, "y: missing");
	expect_refused(fixture("ec-p256-offcurve.pub.jwk"), SNP_E_INVALID,
		       "tee-pubkey: not a valid EC P-256 public key: "
		       "error:0800006B:elliptic curve routines::point is not on curve");
	/* Padding, the standard alphabet and stray low bits are all refused. */
	expect_refused(with("ec-p256.pub.jwk", "x", "2RYpw3w7JyqWbqHDxvYNbOVrDTiyKGskoChKYkPdqaM="),
		       SNP_E_INVALID, "x: not base64url: character 0x3d at 43");
	expect_refused(with("ec-p256.pub.jwk", "x", "2RYpw3w7JyqWbqHDxvYNbOVrDTiyKGskoChKYkPdqa+"),
		       SNP_E_INVALID, "character 0x2b");
	expect_refused(with("ec-p256.pub.jwk", "x", "2RYpw3w7JyqWbqHDxvYNbOVrDTiyKGskoChKYkPdqaN"),
		       SNP_E_INVALID, "x: not canonical base64url");
	expect_refused(with("ec-p256.pub.jwk", "x", "A"), SNP_E_INVALID, "x: not base64url: length 1");
}

static void jwk_rsa_size_and_exponent_checked(void **state)
{
	json_t *v;
	char *n;

	(void)state;
	expect_refused(fixture("rsa-2048.pub.jwk"), SNP_E_REFUSED,
		       "n: 2048-bit modulus is below the 3072-bit minimum");
	expect_refused(with("rsa-3072.pub.jwk", "e", "Aw"), SNP_E_INVALID, "e: not an odd exponent");
	expect_refused(with("rsa-3072.pub.jwk", "e", "AQAA"), SNP_E_INVALID, "e: not an odd");
	expect_refused(with("rsa-3072.pub.jwk", "e", "AAEAAQ"), SNP_E_INVALID,
		       "e: leading zero octet");
	expect_refused(with("rsa-3072.pub.jwk", "e", ""), SNP_E_INVALID, "e: empty");
	/* Three zero octets in front of n: same number, not the minimal encoding. */
	v = fixture("rsa-3072.pub.jwk");
	assert_true(asprintf(&n, "AAAA%s", json_string_value(json_object_get(v, "n"))) > 0);
	json_object_set_new(v, "n", json_string(n));
	free(n);
	expect_refused(v, SNP_E_INVALID, "n: leading zero octet");
}

static void jwk_text_is_bounded_and_strict(void **state)
{
	struct snp_err err = { 0 };
	struct jwk_pub k;
	char *big = calloc(1, JWK_MAX_TEXT + 2);
	static const char dup[] = "{\"kty\":\"EC\",\"kty\":\"RSA\"}";

	(void)state;
	assert_non_null(big);
	memset(big, ' ', JWK_MAX_TEXT + 1);
	assert_int_equal(jwk_pub_parse_text(big, JWK_MAX_TEXT + 1, "jwk", &k, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "at most 8192"));
	free(big);
	assert_int_equal(jwk_pub_parse_text(dup, strlen(dup), "jwk", &k, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "duplicate"));
}

/* Generated keys are accepted by the parser once their public half is taken. */
static void jwk_generate_and_public_of(void **state)
{
	static const enum jwk_kind kinds[] = { JWK_EC_P256, JWK_EC_P384, JWK_EC_P521, JWK_RSA };

	(void)state;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct snp_err err = { 0 };
		json_t *priv, *pub;
		struct jwk_pub k;

		assert_int_equal(jwk_generate(kinds[i], &priv, &err), 0);
		assert_non_null(json_object_get(priv, "d"));
		assert_int_equal(jwk_pub_parse(priv, "k", &k, &err), SNP_E_REFUSED);
		assert_int_equal(jwk_public_of(priv, &pub, &err), 0);
		assert_null(json_object_get(pub, "d"));
		if (jwk_pub_parse(pub, "k", &k, &err) != 0)
			fail_msg("%s: %s", jwk_kind_name(kinds[i]), err.msg);
		assert_int_equal(k.kind, kinds[i]);
		jwk_pub_free(&k);
		json_decref(pub);
		jwk_free_private(priv);
	}
}

/* jwk_free_private wipes a private member in place, but only when it holds the last reference. */
static void jwk_free_private_wipes_only_its_own(void **state)
{
	json_t *priv = json_pack("{s:s,s:s}", "kty", "oct", "k", "c2VjcmV0");
	json_t *k = json_object_get(priv, "k");

	(void)state;
	json_incref(priv);
	jwk_free_private(priv);         /* still shared: left intact */
	assert_string_equal(json_string_value(k), "c2VjcmV0");
	jwk_free_private(priv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(jwk_accepts_jwcrypto_keys),
		cmocka_unit_test(jwk_accepts_optional_members),
		cmocka_unit_test(jwk_refuses_private_members),
		cmocka_unit_test(jwk_refuses_unknown_and_misplaced_members),
		cmocka_unit_test(jwk_refuses_unsupported_types),
		cmocka_unit_test(jwk_ec_coordinates_checked),
		cmocka_unit_test(jwk_rsa_size_and_exponent_checked),
		cmocka_unit_test(jwk_text_is_bounded_and_strict),
		cmocka_unit_test(jwk_generate_and_public_of),
		cmocka_unit_test(jwk_free_private_wipes_only_its_own),
	};

	return cmocka_run_group_tests_name("jwk", tests, NULL, NULL);
}
