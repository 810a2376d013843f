/*
 * attestd/jwe.c: flattened JWE to the guest key and its opening. Shape,
 * algorithms and tamper detection here; tests/attestd/test-interop.c proves
 * the bytes against python3-jwcrypto in both directions.
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

#include "attestd/jose-dl.h"
#include "attestd/jwe.h"
#include "attestd/jwk.h"
#include "tests/common/testutil.h"

static const uint8_t secret_bytes[] = "disk key: 0123456789abcdef\0with a NUL";

static json_t *fixture(const char *name)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "attestd/%s", name);
	return tdata_json(rel);
}

static char *wrap_to(const json_t *pubjwk, const uint8_t *pt, size_t len)
{
	struct snp_err err = { 0 };
	struct jwk_pub k;
	char *out;

	if (jwk_pub_parse(pubjwk, "key", &k, &err) != 0)
		fail_msg("%s", err.msg);
	if (jwe_wrap(&k, pt, len, &out, &err) != 0)
		fail_msg("jwe_wrap: %s", err.msg);
	jwk_pub_free(&k);
	return out;
}

static void expect_opens(const json_t *priv, const char *jwe, const uint8_t *want, size_t len)
{
	struct snp_err err = { 0 };
	struct secret s;

	if (jwe_open(priv, jwe, strlen(jwe), &s, &err) != 0)
		fail_msg("jwe_open: %s", err.msg);
	assert_int_equal(s.len, len);
	assert_memory_equal(s.p, want, len);
	secret_free(&s);
}

static void expect_refused(const json_t *priv, const char *jwe, int code, const char *needle)
{
	struct snp_err err = { 0 };
	struct secret s;

	if (jwe_open(priv, jwe, strlen(jwe), &s, &err) != code)
		fail_msg("want code %d, got %d: %s", code, err.code, err.msg);
	assert_null(s.p);
	assert_int_equal(s.len, 0);
	if (!strstr(err.msg, needle))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
}

/* Replaces the protected header of a JWE with hdr (base64url-encoded by libjose). */
static char *with_protected(const char *jwe, json_t *hdr)
{
	json_t *v = json_loads(jwe, 0, NULL);
	char *out;

	json_object_set_new(v, "protected", jose_b64_enc_dump(hdr));
	out = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	json_decref(hdr);
	return out;
}

static char *with_member(const char *jwe, const char *name, json_t *val)
{
	json_t *v = json_loads(jwe, 0, NULL);
	char *out;

	if (val)
		json_object_set_new(v, name, val);
	else
		json_object_del(v, name);
	out = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	return out;
}

static json_t *protected_of(const char *jwe)
{
	json_t *v = json_loads(jwe, 0, NULL);
	json_t *p = jose_b64_dec_load(json_object_get(v, "protected"));

	json_decref(v);
	assert_non_null(p);
	return p;
}

/* Opening jwe with one protected-header parameter set (or deleted when val is NULL) fails so. */
static void refused_with_param(const json_t *priv, const char *jwe, const char *name, json_t *val,
			       int code, const char *needle)
{
	json_t *hdr = protected_of(jwe);
	char *bad;

	if (val)
		json_object_set_new(hdr, name, val);
	else
		json_object_del(hdr, name);
	bad = with_protected(jwe, hdr);
	expect_refused(priv, bad, code, needle);
	free(bad);
}

/* The same for a top-level member of the flattened JWE. */
static void refused_with_member(const json_t *priv, const char *jwe, const char *name, json_t *val,
				int code, const char *needle)
{
	char *bad = with_member(jwe, name, val);

	expect_refused(priv, bad, code, needle);
	free(bad);
}

/* Exactly the five flattened members, and the header the profile promises. */
static void jwe_wrap_shape(void **state)
{
	json_t *ec = fixture("ec-p256.pub.jwk"), *rsa = fixture("rsa-3072.pub.jwk");
	char *a = wrap_to(ec, secret_bytes, sizeof(secret_bytes));
	char *b = wrap_to(rsa, secret_bytes, sizeof(secret_bytes));
	json_t *va = json_loads(a, 0, NULL), *pa = protected_of(a), *pb = protected_of(b);
	const char *key;
	json_t *val;

	(void)state;
	assert_int_equal(json_object_size(va), 5);
	json_object_foreach(va, key, val)
		assert_true(strcmp(key, "protected") == 0 || strcmp(key, "encrypted_key") == 0 ||
			    strcmp(key, "iv") == 0 || strcmp(key, "ciphertext") == 0 ||
			    strcmp(key, "tag") == 0);
	assert_string_equal(json_string_value(json_object_get(pa, "alg")), "ECDH-ES+A256KW");
	assert_string_equal(json_string_value(json_object_get(pa, "enc")), "A256GCM");
	assert_string_equal(json_string_value(json_object_get(json_object_get(pa, "epk"), "crv")),
			    "P-256");
	assert_null(json_object_get(json_object_get(pa, "epk"), "d"));
	assert_string_equal(json_string_value(json_object_get(pb, "alg")), "RSA-OAEP-256");
	assert_string_equal(json_string_value(json_object_get(pb, "enc")), "A256GCM");
	assert_int_equal(json_object_size(pb), 2);
	/* A 3072-bit RSA encrypted_key is 384 bytes: 512 base64url characters. */
	json_decref(va);
	va = json_loads(b, 0, NULL);
	assert_int_equal(json_string_length(json_object_get(va, "encrypted_key")), 512);
	json_decref(va);
	json_decref(pa);
	json_decref(pb);
	json_decref(ec);
	json_decref(rsa);
	free(a);
	free(b);
}

/* Every supported key type, fixture keys and freshly generated ones. */
static void jwe_roundtrip_every_key_type(void **state)
{
	static const enum jwk_kind kinds[] = { JWK_EC_P256, JWK_EC_P384, JWK_EC_P521, JWK_RSA };
	json_t *priv = fixture("ec-p256.priv.jwk"), *pub = fixture("ec-p256.pub.jwk");
	char *jwe = wrap_to(pub, secret_bytes, sizeof(secret_bytes));

	(void)state;
	expect_opens(priv, jwe, secret_bytes, sizeof(secret_bytes));
	free(jwe);
	json_decref(priv);
	json_decref(pub);
	priv = fixture("rsa-3072.priv.jwk");
	pub = fixture("rsa-3072.pub.jwk");
	jwe = wrap_to(pub, secret_bytes, sizeof(secret_bytes));
	expect_opens(priv, jwe, secret_bytes, sizeof(secret_bytes));
	free(jwe);
	json_decref(priv);
	json_decref(pub);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct snp_err err = { 0 };

		assert_int_equal(jwk_generate(kinds[i], &priv, &err), 0);
		assert_int_equal(jwk_public_of(priv, &pub, &err), 0);
		jwe = wrap_to(pub, (const uint8_t *)"x", 1);
		expect_opens(priv, jwe, (const uint8_t *)"x", 1);
		free(jwe);
		json_decref(pub);
		jwk_free_private(priv);
	}
}

/* Each wrap uses a fresh CEK, IV and (for EC) ephemeral key. */
static void jwe_wrap_is_randomised(void **state)
{
	json_t *pub = fixture("ec-p384.pub.jwk");
	char *a = wrap_to(pub, secret_bytes, 8), *b = wrap_to(pub, secret_bytes, 8);

	(void)state;
	assert_string_not_equal(a, b);
	free(a);
	free(b);
	json_decref(pub);
}

static void jwe_tampering_detected(void **state)
{
	json_t *priv = fixture("ec-p256.priv.jwk"), *pub = fixture("ec-p256.pub.jwk");
	json_t *rpriv = fixture("rsa-3072.priv.jwk"), *rpub = fixture("rsa-3072.pub.jwk");
	char *jwe = wrap_to(pub, secret_bytes, sizeof(secret_bytes));
	char *rjwe = wrap_to(rpub, secret_bytes, sizeof(secret_bytes));
	json_t *v = json_loads(jwe, 0, NULL), *rv = json_loads(rjwe, 0, NULL);
	char ct[128];

	(void)state;
	/* One ciphertext character changed (still canonical: 'A' <-> 'Q' keep low bits). */
	snprintf(ct, sizeof(ct), "%s", json_string_value(json_object_get(v, "ciphertext")));
	ct[0] = ct[0] == 'A' ? 'Q' : 'A';
	refused_with_member(priv, jwe, "ciphertext", json_string(ct), SNP_E_CRYPTO,
			    "A256GCM decryption failed");
	/* The protected header is authenticated: an added harmless kid breaks the tag. */
	refused_with_param(priv, jwe, "kid", json_string("x"), SNP_E_CRYPTO,
			   "decryption failed");
	/* The RSA-wrapped CEK is authenticated by OAEP. */
	{
		char ek[600];

		snprintf(ek, sizeof(ek), "%s",
			 json_string_value(json_object_get(rv, "encrypted_key")));
		ek[5] = ek[5] == 'A' ? 'Q' : 'A';
		refused_with_member(rpriv, rjwe, "encrypted_key", json_string(ek), SNP_E_CRYPTO,
				    "RSA-OAEP-256 decryption failed");
	}
	/* Wrong key of the right type. */
	{
		struct snp_err err = { 0 };
		json_t *other;

		assert_int_equal(jwk_generate(JWK_EC_P256, &other, &err), 0);
		expect_refused(other, jwe, SNP_E_CRYPTO, "does not unwrap the CEK");
		jwk_free_private(other);
	}
	/* An EC JWE offered to an RSA key and the reverse. */
	expect_refused(rpriv, jwe, SNP_E_UNSUPPORTED, "alg \"ECDH-ES+A256KW\" is not supported "
		       "for an RSA key");
	expect_refused(priv, rjwe, SNP_E_UNSUPPORTED, "alg \"RSA-OAEP-256\"");
	json_decref(v);
	json_decref(rv);
	free(jwe);
	free(rjwe);
	json_decref(priv);
	json_decref(pub);
	json_decref(rpriv);
	json_decref(rpub);
}

static void jwe_profile_enforced(void **state)
{
	json_t *priv = fixture("rsa-3072.priv.jwk"), *pub = fixture("rsa-3072.pub.jwk");
	json_t *epriv = fixture("ec-p256.priv.jwk"), *epub = fixture("ec-p256.pub.jwk");
	char *jwe = wrap_to(pub, secret_bytes, 4), *ejwe = wrap_to(epub, secret_bytes, 4);
	json_t *hdr;
	char *bad;

	(void)state;
	refused_with_param(priv, jwe, "zip", json_string("DEF"), SNP_E_UNSUPPORTED,
			   "header parameter \"zip\" is not supported");
	refused_with_param(priv, jwe, "alg", json_string("RSA1_5"), SNP_E_UNSUPPORTED,
			   "alg \"RSA1_5\" is not supported");
	refused_with_param(priv, jwe, "enc", json_string("A128CBC-HS256"), SNP_E_UNSUPPORTED,
			   "enc \"A128CBC-HS256\"");
	hdr = protected_of(jwe);
	json_object_del(hdr, "enc");
	{
		char *tmp = with_protected(jwe, hdr);

		bad = with_member(tmp, "header", json_pack("{s:s}", "enc", "A256GCM"));
		free(tmp);
	}
	expect_refused(priv, bad, SNP_E_INVALID, "alg and enc must both be in the protected");
	free(bad);
	refused_with_member(priv, jwe, "header", json_pack("{s:s}", "alg", "RSA-OAEP-256"),
			    SNP_E_INVALID, "\"alg\" in both protected and unprotected");
	refused_with_member(priv, jwe, "recipients", json_array(), SNP_E_INVALID,
			    "member \"recipients\" is not allowed");
	refused_with_member(priv, jwe, "aad", json_string("AAAA"), SNP_E_INVALID,
			    "member \"aad\"");
	refused_with_member(priv, jwe, "iv", json_string("AAAAAAAAAAAAAAAAAAAAAA"), SNP_E_INVALID,
			    "jwe: iv: 16 bytes, at most 12");
	refused_with_member(priv, jwe, "iv", json_string("AAAAAAAAAAA"), SNP_E_INVALID,
			    "jwe: iv: 8 bytes, at least 12");
	refused_with_member(priv, jwe, "ciphertext", json_string(""), SNP_E_INVALID,
			    "jwe: ciphertext: 0 bytes, at least 1");
	refused_with_member(priv, jwe, "tag", NULL, SNP_E_INVALID,
			    "jwe: tag: missing");
	/* An epk on another curve than the key's. */
	refused_with_param(epriv, ejwe, "epk", fixture("ec-p384.pub.jwk"), SNP_E_INVALID,
			   "epk: curve differs");
	refused_with_param(epriv, ejwe, "epk", fixture("ec-p256-offcurve.pub.jwk"), SNP_E_INVALID,
			   "point is not on curve");
	expect_refused(priv, "[]", SNP_E_INVALID, "not a JSON object");
	free(jwe);
	free(ejwe);
	json_decref(priv);
	json_decref(pub);
	json_decref(epriv);
	json_decref(epub);
}

static void jwe_sizes_bounded(void **state)
{
	json_t *pub = fixture("ec-p256.pub.jwk"), *priv = fixture("ec-p256.priv.jwk");
	uint8_t *big = calloc(1, JWE_MAX_PLAINTEXT + 1);
	char *huge = calloc(1, JWE_MAX_TEXT + 2);
	struct snp_err err = { 0 };
	struct jwk_pub k;
	struct secret s;
	char *out;

	(void)state;
	assert_non_null(big);
	assert_non_null(huge);
	assert_int_equal(jwk_pub_parse(pub, "key", &k, &err), 0);
	assert_int_equal(jwe_wrap(&k, big, JWE_MAX_PLAINTEXT + 1, &out, &err), SNP_E_INVALID);
	assert_null(out);
	assert_non_null(strstr(err.msg, "1 to 65536 bytes allowed"));
	assert_int_equal(jwe_wrap(&k, big, 0, &out, &err), SNP_E_INVALID);
	out = wrap_to(pub, big, JWE_MAX_PLAINTEXT);
	expect_opens(priv, out, big, JWE_MAX_PLAINTEXT);
	free(out);
	memset(huge, ' ', JWE_MAX_TEXT + 1);
	assert_int_equal(jwe_open(priv, huge, JWE_MAX_TEXT + 1, &s, &err), SNP_E_INVALID);
	jwk_pub_free(&k);
	free(big);
	free(huge);
	json_decref(pub);
	json_decref(priv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(jwe_wrap_shape),
		cmocka_unit_test(jwe_roundtrip_every_key_type),
		cmocka_unit_test(jwe_wrap_is_randomised),
		cmocka_unit_test(jwe_tampering_detected),
		cmocka_unit_test(jwe_profile_enforced),
		cmocka_unit_test(jwe_sizes_bounded),
	};

	return cmocka_run_group_tests_name("jwe", tests, NULL, NULL);
}
