/*
 * attestd/ear.c: EAR JWTs, ES384 over the claims, verified against a JWKS
 * by kid at an injected time. The kid is checked against an RFC 7638
 * thumbprint computed here with OpenSSL; python3-jwcrypto verifies the
 * tokens independently in tests/attestd/test-interop.c.
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
#include <openssl/evp.h>

#include "attestd/ear.h"
#include "attestd/jose-dl.h"
#include "attestd/jwk.h"

#define T0 1764930000   /* 2025-12-05, an arbitrary fixed "now" */

struct fix {
	json_t *key, *jwks;
	char *token;
};

static char *sign_at(const json_t *key, int64_t iat, int64_t exp, const char *status)
{
	json_t *appraised = json_pack("{s:s,s:i}", "measurement", "ab12", "vmpl", 0);
	struct ear_claims c = {
		.status = status, .appraised = appraised, .iat = iat, .exp = exp,
		.policy_id = "tenant-a/disk", .policy_version = 7,
	};
	struct snp_err err = { 0 };
	char *tok;

	if (ear_sign(key, &c, &tok, &err) != 0)
		fail_msg("ear_sign: %s", err.msg);
	json_decref(appraised);
	return tok;
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct snp_err err = { 0 };
	json_t *pub;

	assert_non_null(f);
	assert_int_equal(ear_key_generate(&f->key, &err), 0);
	assert_int_equal(ear_key_public(f->key, &pub, &err), 0);
	f->jwks = json_pack("{s:[o]}", "keys", pub);
	f->token = sign_at(f->key, T0, T0 + 300, "affirming");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	jwk_free_private(f->key);
	json_decref(f->jwks);
	free(f->token);
	free(f);
	return 0;
}

static void expect_refused(const json_t *jwks, const char *tok, int64_t now, int code,
			   const char *needle)
{
	struct snp_err err = { 0 };
	json_t *claims = (json_t *)1;

	if (ear_verify(jwks, tok, strlen(tok), now, &claims, &err) != code)
		fail_msg("want %d, got %d: %s", code, err.code, err.msg);
	assert_null(claims);
	if (!strstr(err.msg, needle))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
}

static json_t *part_json(const char *tok, int idx)
{
	const char *p = tok;
	json_t *s, *v;
	size_t n;

	for (int i = 0; i < idx; i++)
		p = strchr(p, '.') + 1;
	n = strcspn(p, ".");
	s = json_stringn(p, n);
	v = jose_b64_dec_load(s);
	json_decref(s);
	assert_non_null(v);
	return v;
}

/* RFC 7638 §3: SHA-256 over {"crv","kty","x","y"} in that order, no whitespace. */
static void ear_kid_is_rfc7638_thumbprint(void **state)
{
	struct fix *f = *state;
	uint8_t md[32];
	unsigned int mdlen;
	char *members;
	json_t *b64;

	assert_true(asprintf(&members, "{\"crv\":\"P-384\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
			     json_string_value(json_object_get(f->key, "x")),
			     json_string_value(json_object_get(f->key, "y"))) > 0);
	assert_int_equal(EVP_Digest(members, strlen(members), md, &mdlen, EVP_sha256(), NULL), 1);
	b64 = jose_b64_enc(md, mdlen);
	assert_string_equal(json_string_value(json_object_get(f->key, "kid")),
			    json_string_value(b64));
	assert_string_equal(json_string_value(json_object_get(f->key, "alg")), "ES384");
	json_decref(b64);
	free(members);
}

static void ear_token_shape_and_verify(void **state)
{
	struct fix *f = *state;
	json_t *hdr = part_json(f->token, 0), *claims, *sub, *pub;
	struct snp_err err = { 0 };

	assert_string_equal(json_string_value(json_object_get(hdr, "alg")), "ES384");
	assert_string_equal(json_string_value(json_object_get(hdr, "typ")), "JWT");
	assert_string_equal(json_string_value(json_object_get(hdr, "kid")),
			    json_string_value(json_object_get(f->key, "kid")));
	assert_int_equal(json_object_size(hdr), 3);
	json_decref(hdr);
	/* The published key is public only. */
	pub = json_array_get(json_object_get(f->jwks, "keys"), 0);
	assert_null(json_object_get(pub, "d"));
	assert_string_equal(json_string_value(json_object_get(pub, "use")), "sig");
	if (ear_verify(f->jwks, f->token, strlen(f->token), T0 + 10, &claims, &err) != 0)
		fail_msg("ear_verify: %s", err.msg);
	assert_string_equal(json_string_value(json_object_get(claims, "eat_profile")),
			    "tag:github.com,2023:veraison/ear");
	assert_int_equal(json_integer_value(json_object_get(claims, "iat")), T0);
	assert_int_equal(json_integer_value(json_object_get(claims, "exp")), T0 + 300);
	sub = json_object_get(json_object_get(claims, "submods"), "cpu0");
	assert_string_equal(json_string_value(json_object_get(sub, "ear.status")), "affirming");
	assert_string_equal(json_string_value(json_object_get(sub, "ear.appraisal-policy-id")),
			    "tenant-a/disk");
	assert_int_equal(json_integer_value(json_object_get(sub, "snpvm.policy-version")), 7);
	assert_string_equal(json_string_value(json_object_get(json_object_get(sub,
			    "ear.veraison.annotated-evidence"), "measurement")), "ab12");
	json_decref(claims);
}

/* RFC 7800 §3.2: the attested key rides in "cnf": {"jwk"}; absent when not given. */
static void ear_cnf_carries_the_attested_key(void **state)
{
	struct fix *f = *state;
	json_t *appraised = json_object(), *claims = NULL, *guest = NULL, *pub = NULL;
	struct ear_claims c = {
		.status = "affirming", .appraised = appraised, .iat = T0, .exp = T0 + 60,
		.policy_id = "p", .policy_version = 1,
	};
	struct snp_err err = { 0 };
	char *tok = NULL;

	assert_null(json_object_get(json_object_get(f->jwks, "keys"), "cnf"));
	assert_int_equal(ear_verify(f->jwks, f->token, strlen(f->token), T0, &claims, &err), 0);
	assert_null(json_object_get(claims, "cnf"));
	json_decref(claims);
	assert_int_equal(jwk_generate(JWK_EC_P256, &guest, &err), 0);
	/* A private key is refused. */
	c.cnf_jwk = guest;
	assert_int_equal(ear_sign(f->key, &c, &tok, &err), SNP_E_INVALID);
	assert_null(tok);
	assert_int_equal(jwk_public_of(guest, &pub, &err), 0);
	c.cnf_jwk = pub;
	assert_int_equal(ear_sign(f->key, &c, &tok, &err), 0);
	assert_int_equal(ear_verify(f->jwks, tok, strlen(tok), T0, &claims, &err), 0);
	assert_true(json_equal(json_object_get(json_object_get(claims, "cnf"), "jwk"), pub));
	json_decref(claims);
	free(tok);
	json_decref(pub);
	jwk_free_private(guest);
	json_decref(appraised);
}

static void ear_expiry_at_injected_time(void **state)
{
	struct fix *f = *state;
	struct snp_err err = { 0 };
	json_t *claims;

	assert_int_equal(ear_verify(f->jwks, f->token, strlen(f->token), T0 + 299, &claims, &err),
			 0);
	json_decref(claims);
	expect_refused(f->jwks, f->token, T0 + 300, SNP_E_REFUSED, "token expired at");
	expect_refused(f->jwks, f->token, T0 - EAR_IAT_SKEW - 1, SNP_E_REFUSED,
		       "issued in the future");
	assert_int_equal(ear_verify(f->jwks, f->token, strlen(f->token), T0 - EAR_IAT_SKEW,
				    &claims, &err), 0);
	json_decref(claims);
}

/* Rotation: a JWKS with the old and new key verifies both; without the old one, no. */
static void ear_kid_selects_key(void **state)
{
	struct fix *f = *state;
	struct snp_err err = { 0 };
	json_t *other, *opub, *both, *only_other, *claims;
	char *tok2;

	assert_int_equal(ear_key_generate(&other, &err), 0);
	assert_int_equal(ear_key_public(other, &opub, &err), 0);
	both = json_pack("{s:[OO]}", "keys", opub, json_array_get(json_object_get(f->jwks,
								  "keys"), 0));
	only_other = json_pack("{s:[O]}", "keys", opub);
	tok2 = sign_at(other, T0, T0 + 60, "warning");
	assert_int_equal(ear_verify(both, f->token, strlen(f->token), T0, &claims, &err), 0);
	json_decref(claims);
	assert_int_equal(ear_verify(both, tok2, strlen(tok2), T0, &claims, &err), 0);
	json_decref(claims);
	expect_refused(only_other, f->token, T0, SNP_E_SIGNATURE, "no P-384 key with kid");
	/* The other key relabelled with the first key's kid: the signature fails. */
	json_object_set(opub, "kid", json_object_get(f->key, "kid"));
	expect_refused(only_other, f->token, T0, SNP_E_SIGNATURE, "ES384 signature does not verify");
	free(tok2);
	json_decref(both);
	json_decref(only_other);
	json_decref(opub);
	jwk_free_private(other);
}

static char *replace_part(const char *tok, int idx, json_t *v)
{
	json_t *enc = jose_b64_enc_dump(v);
	const char *dots[2];
	char *out;

	dots[0] = strchr(tok, '.');
	dots[1] = strchr(dots[0] + 1, '.');
	if (idx == 0)
		assert_true(asprintf(&out, "%s%s", json_string_value(enc), dots[0]) > 0);
	else
		assert_true(asprintf(&out, "%.*s%s%s", (int)(dots[0] - tok + 1), tok,
				     json_string_value(enc), dots[1]) > 0);
	json_decref(enc);
	json_decref(v);
	return out;
}

static void ear_tampering_and_headers_refused(void **state)
{
	struct fix *f = *state;
	json_t *v;
	char *bad;

	v = part_json(f->token, 1);
	json_object_set_new(json_object_get(json_object_get(v, "submods"), "cpu0"), "ear.status",
			    json_string("affirming "));
	bad = replace_part(f->token, 1, v);
	expect_refused(f->jwks, bad, T0, SNP_E_SIGNATURE, "does not verify");
	free(bad);
	v = part_json(f->token, 1);
	json_object_set_new(v, "exp", json_integer(T0 + 999999));
	bad = replace_part(f->token, 1, v);
	expect_refused(f->jwks, bad, T0, SNP_E_SIGNATURE, "does not verify");
	free(bad);
	v = part_json(f->token, 0);
	json_object_set_new(v, "alg", json_string("none"));
	bad = replace_part(f->token, 0, v);
	expect_refused(f->jwks, bad, T0, SNP_E_INVALID, "alg must be ES384");
	free(bad);
	v = part_json(f->token, 0);
	json_object_set_new(v, "alg", json_string("HS384"));
	bad = replace_part(f->token, 0, v);
	expect_refused(f->jwks, bad, T0, SNP_E_INVALID, "alg must be ES384");
	free(bad);
	v = part_json(f->token, 0);
	json_object_set_new(v, "crit", json_pack("[s]", "exp"));
	bad = replace_part(f->token, 0, v);
	expect_refused(f->jwks, bad, T0, SNP_E_INVALID, "\"crit\" is not allowed");
	free(bad);
	v = part_json(f->token, 0);
	json_object_set_new(v, "jwk", json_object_get(f->jwks, "keys") ?
			    json_deep_copy(json_array_get(json_object_get(f->jwks, "keys"), 0)) :
			    NULL);
	bad = replace_part(f->token, 0, v);
	expect_refused(f->jwks, bad, T0, SNP_E_INVALID, "\"jwk\" is not allowed");
	free(bad);
	expect_refused(f->jwks, "a.b", T0, SNP_E_INVALID, "three dot-separated");
	expect_refused(f->jwks, "a.b.c.d", T0, SNP_E_INVALID, "three dot-separated");
	expect_refused(f->jwks, "a+.b.c", T0, SNP_E_INVALID, "header: not base64url");
}

static void ear_sign_refuses_bad_input(void **state)
{
	struct fix *f = *state;
	json_t *appraised = json_object(), *pub;
	struct ear_claims c = {
		.status = "affirming", .appraised = appraised, .iat = T0, .exp = T0 + 1,
		.policy_id = "p", .policy_version = 1,
	};
	struct snp_err err = { 0 };
	char *tok;

	c.status = "great";
	assert_int_equal(ear_sign(f->key, &c, &tok, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "\"great\" is not an EAR tier"));
	c.status = "contraindicated";
	c.exp = T0;
	assert_int_equal(ear_sign(f->key, &c, &tok, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "exp"));
	c.exp = T0 + 1;
	c.policy_id = "";
	assert_int_equal(ear_sign(f->key, &c, &tok, &err), SNP_E_INVALID);
	c.policy_id = "p";
	pub = json_array_get(json_object_get(f->jwks, "keys"), 0);
	assert_int_equal(ear_sign(pub, &c, &tok, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "not a P-384 private key"));
	assert_null(tok);
	assert_int_equal(ear_sign(f->key, &c, &tok, &err), 0);
	free(tok);
	json_decref(appraised);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(ear_kid_is_rfc7638_thumbprint, setup, teardown),
		cmocka_unit_test_setup_teardown(ear_token_shape_and_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(ear_cnf_carries_the_attested_key, setup, teardown),
		cmocka_unit_test_setup_teardown(ear_expiry_at_injected_time, setup, teardown),
		cmocka_unit_test_setup_teardown(ear_kid_selects_key, setup, teardown),
		cmocka_unit_test_setup_teardown(ear_tampering_and_headers_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(ear_sign_refuses_bad_input, setup, teardown),
	};

	return cmocka_run_group_tests_name("ear", tests, NULL, NULL);
}
