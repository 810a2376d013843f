/*
 * attestd JOSE against an independent implementation, Debian's
 * python3-jwcrypto (run as /usr/bin/python3, the interpreter Debian's
 * package installs into; a pyenv python3 on PATH does not see it):
 *   (a) JWEs made by jwcrypto to our keys open with jwe_open;
 *   (b) JWEs made by jwe_wrap open with jwcrypto;
 *   (c) EAR tokens from ear_sign verify with jwcrypto (ES384, key by kid).
 * JCS has no jwcrypto counterpart; its vectors come from RFC 8785
 * (tests/attestd/test-jcs.c). Skips, saying why, when python3-jwcrypto is
 * missing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "attestd/ear.h"
#include "attestd/jwe.h"
#include "attestd/jwk.h"
#include "tests/common/testutil.h"
#include "util/hex.h"

#define PYTHON "/usr/bin/python3"
#define JWE_PY "tests/attestd/jwcrypto-jwe.py"
#define EAR_PY "tests/attestd/jwcrypto-ear.py"

static const enum jwk_kind kinds[] = { JWK_EC_P256, JWK_EC_P384, JWK_EC_P521, JWK_RSA };
static const char plaintext[] = "tenant disk key 7f3a+/=\n";

static void need_jwcrypto(void)
{
	const char *const argv[] = { PYTHON, JWE_PY, "check", NULL };
	struct run_result r;

	if (access(PYTHON, X_OK) != 0) {
		printf("skip: %s is not installed (Debian python3 with python3-jwcrypto)\n", PYTHON);
		skip();
	}
	run_cmd(argv, NULL, &r);
	if (r.status != 0) {
		printf("skip: python3-jwcrypto is not importable by %s: %s\n", PYTHON, r.err);
		run_result_free(&r);
		skip();
	}
	run_result_free(&r);
}

/* Writes v as JSON to <dir>/<name>; returns the path (malloc'd). */
static char *write_json(const char *dir, const char *name, const json_t *v)
{
	char *path;

	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	assert_int_equal(json_dump_file(v, path, JSON_COMPACT), 0);
	return path;
}

static void interop_jwcrypto_jwe_opens_with_us(void **state)
{
	char *dir;

	(void)state;
	need_jwcrypto();
	dir = tmpdir_make();
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct snp_err err = { 0 };
		json_t *priv, *pub;
		struct run_result r;
		struct secret s;
		char *path;

		assert_int_equal(jwk_generate(kinds[i], &priv, &err), 0);
		assert_int_equal(jwk_public_of(priv, &pub, &err), 0);
		path = write_json(dir, "pub.jwk", pub);
		{
			const char *const argv[] = { PYTHON, JWE_PY, "encrypt", path, NULL };

			run_cmd(argv, plaintext, &r);
		}
		if (r.status != 0)
			fail_msg("jwcrypto encrypt (%s): %s", jwk_kind_name(kinds[i]), r.err);
		if (jwe_open(priv, r.out, strlen(r.out), &s, &err) != 0)
			fail_msg("%s: jwe_open of jwcrypto's JWE: %s\n%s", jwk_kind_name(kinds[i]),
				 err.msg, r.out);
		assert_int_equal(s.len, strlen(plaintext));
		assert_memory_equal(s.p, plaintext, s.len);
		printf("jwcrypto -> snpvm: %s ok\n", jwk_kind_name(kinds[i]));
		secret_free(&s);
		run_result_free(&r);
		free(path);
		json_decref(pub);
		jwk_free_private(priv);
	}
	rm_rf(dir);
	free(dir);
}

static void interop_our_jwe_opens_with_jwcrypto(void **state)
{
	char want[2 * sizeof(plaintext) + 1];
	char *dir;

	(void)state;
	need_jwcrypto();
	hex_encode((const uint8_t *)plaintext, strlen(plaintext), want);
	dir = tmpdir_make();
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct snp_err err = { 0 };
		json_t *priv, *pub;
		struct jwk_pub k;
		struct run_result r;
		char *path, *jwe;

		assert_int_equal(jwk_generate(kinds[i], &priv, &err), 0);
		assert_int_equal(jwk_public_of(priv, &pub, &err), 0);
		assert_int_equal(jwk_pub_parse(pub, "key", &k, &err), 0);
		if (jwe_wrap(&k, (const uint8_t *)plaintext, strlen(plaintext), &jwe, &err) != 0)
			fail_msg("jwe_wrap: %s", err.msg);
		path = write_json(dir, "priv.jwk", priv);
		{
			const char *const argv[] = { PYTHON, JWE_PY, "decrypt", path, NULL };

			run_cmd(argv, jwe, &r);
		}
		if (r.status != 0)
			fail_msg("%s: jwcrypto cannot open our JWE: %s\n%s", jwk_kind_name(kinds[i]),
				 r.err, jwe);
		assert_string_equal(r.out, want);
		printf("snpvm -> jwcrypto: %s ok\n", jwk_kind_name(kinds[i]));
		run_result_free(&r);
		unlink(path);
		free(path);
		free(jwe);
		jwk_pub_free(&k);
		json_decref(pub);
		jwk_free_private(priv);
	}
	rm_rf(dir);
	free(dir);
}

static void interop_our_ear_verifies_with_jwcrypto(void **state)
{
	json_t *key, *other, *pub, *opub, *jwks, *claims, *appraised;
	struct snp_err err = { 0 };
	int64_t now = (int64_t)time(NULL);
	struct ear_claims c = {
		.status = "affirming", .iat = now, .exp = now + 300,
		.policy_id = "tenant-a/disk", .policy_version = 3,
	};
	struct run_result r;
	char *dir, *path, *tok;

	(void)state;
	need_jwcrypto();
	appraised = json_pack("{s:s}", "measurement", "00ff");
	c.appraised = appraised;
	assert_int_equal(ear_key_generate(&key, &err), 0);
	assert_int_equal(ear_key_generate(&other, &err), 0);
	assert_int_equal(ear_key_public(key, &pub, &err), 0);
	assert_int_equal(ear_key_public(other, &opub, &err), 0);
	/* The signing key second, so jwcrypto must pick it by kid. */
	jwks = json_pack("{s:[oo]}", "keys", opub, pub);
	assert_int_equal(ear_sign(key, &c, &tok, &err), 0);
	dir = tmpdir_make();
	path = write_json(dir, "jwks.json", jwks);
	{
		const char *const argv[] = { PYTHON, EAR_PY, path, NULL };

		run_cmd(argv, tok, &r);
	}
	if (r.status != 0)
		fail_msg("jwcrypto does not verify our EAR: %s\n%s", r.err, tok);
	claims = json_loads(r.out, 0, NULL);
	assert_non_null(claims);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(
			    claims, "submods"), "cpu0"), "ear.status")), "affirming");
	assert_int_equal(json_integer_value(json_object_get(claims, "exp")), now + 300);
	json_decref(claims);
	run_result_free(&r);
	/* And jwcrypto refuses it when only the other key is published. */
	json_array_remove(json_object_get(jwks, "keys"), 1);
	assert_int_equal(json_dump_file(jwks, path, JSON_COMPACT), 0);
	{
		const char *const argv[] = { PYTHON, EAR_PY, path, NULL };

		run_cmd(argv, tok, &r);
	}
	assert_int_not_equal(r.status, 0);
	run_result_free(&r);
	rm_rf(dir);
	free(dir);
	free(path);
	free(tok);
	json_decref(jwks);
	json_decref(appraised);
	jwk_free_private(key);
	jwk_free_private(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(interop_jwcrypto_jwe_opens_with_us),
		cmocka_unit_test(interop_our_jwe_opens_with_jwcrypto),
		cmocka_unit_test(interop_our_ear_verifies_with_jwcrypto),
	};

	return cmocka_run_group_tests_name("interop-jwcrypto", tests, NULL, NULL);
}
