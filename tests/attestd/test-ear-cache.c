/*
 * attestd/ear-cache.c: a cached token is found only by its exact bytes,
 * only before its exp, and only while the kid that signed it is published.
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

#include "attestd/ear-cache.h"
#include "attestd/ear.h"
#include "attestd/jwk.h"

#define TOKEN "eyJhbGciOiJFUzM4NCJ9.eyJleHAiOjEwMDB9.c2lnbmF0dXJl"
#define EXP 1000

struct fix {
	struct ear_cache *c;
	struct jwk_pub key;
	json_t *claims, *jwks;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct snp_err err = { 0 };
	json_t *priv = NULL, *pub = NULL;

	assert_non_null(f);
	assert_int_equal(ear_cache_new(&f->c, &err), 0);
	assert_int_equal(jwk_generate(JWK_EC_P256, &priv, &err), 0);
	assert_int_equal(jwk_public_of(priv, &pub, &err), 0);
	assert_int_equal(jwk_pub_parse(pub, "key", &f->key, &err), 0);
	f->claims = json_pack("{s:i}", "exp", EXP);
	f->jwks = json_pack("{s:[{s:s},{s:s}]}", "keys", "kid", "other", "kid", "k1");
	assert_non_null(f->claims);
	assert_non_null(f->jwks);
	jwk_free_private(priv);
	json_decref(pub);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	ear_cache_free(f->c);
	jwk_pub_free(&f->key);
	json_decref(f->claims);
	json_decref(f->jwks);
	free(f);
	return 0;
}

static void ear_cache_hit_hands_out_references(void **state)
{
	struct fix *f = *state;
	struct ear_cached e;

	ear_cache_put(f->c, TOKEN, strlen(TOKEN), "k1", EXP, f->claims, &f->key);
	assert_true(ear_cache_get(f->c, TOKEN, strlen(TOKEN), EXP - 1, f->jwks, &e));
	assert_ptr_equal(e.claims, f->claims);
	assert_int_equal(e.key.kind, JWK_EC_P256);
	assert_true(json_equal(e.key.jwk, f->key.jwk));
	ear_cached_free(&e);
	assert_null(e.claims);
	assert_null(e.key.jwk);
	/* The caller's references are its own: the cache's survive them. */
	assert_true(ear_cache_get(f->c, TOKEN, strlen(TOKEN), 0, f->jwks, &e));
	ear_cached_free(&e);
}

static void ear_cache_needs_the_exact_token(void **state)
{
	struct fix *f = *state;
	char other[] = TOKEN;
	struct ear_cached e;

	ear_cache_put(f->c, TOKEN, strlen(TOKEN), "k1", EXP, f->claims, &f->key);
	other[sizeof(other) - 2] ^= 1;
	assert_false(ear_cache_get(f->c, other, strlen(other), 0, f->jwks, &e));
	assert_null(e.claims);
	/* A prefix of the token is another token. */
	assert_false(ear_cache_get(f->c, TOKEN, strlen(TOKEN) - 1, 0, f->jwks, &e));
	assert_true(ear_cache_get(f->c, TOKEN, strlen(TOKEN), 0, f->jwks, &e));
	ear_cached_free(&e);
}

static void ear_cache_refuses_at_exp(void **state)
{
	struct fix *f = *state;
	struct ear_cached e;

	ear_cache_put(f->c, TOKEN, strlen(TOKEN), "k1", EXP, f->claims, &f->key);
	assert_true(ear_cache_get(f->c, TOKEN, strlen(TOKEN), EXP - 1, f->jwks, &e));
	ear_cached_free(&e);
	assert_false(ear_cache_get(f->c, TOKEN, strlen(TOKEN), EXP, f->jwks, &e));
	assert_null(e.claims);
	/* An expired entry is dropped, not kept for a clock that goes back. */
	assert_false(ear_cache_get(f->c, TOKEN, strlen(TOKEN), EXP - 1, f->jwks, &e));
}

static void ear_cache_refuses_a_kid_no_longer_published(void **state)
{
	struct fix *f = *state;
	json_t *rotated = json_pack("{s:[{s:s}]}", "keys", "kid", "k2"), *empty = json_object();
	struct ear_cached e;

	assert_non_null(rotated);
	assert_non_null(empty);
	ear_cache_put(f->c, TOKEN, strlen(TOKEN), "k1", EXP, f->claims, &f->key);
	assert_false(ear_cache_get(f->c, TOKEN, strlen(TOKEN), 0, rotated, &e));
	assert_false(ear_cache_get(f->c, TOKEN, strlen(TOKEN), 0, empty, &e));
	/* Published again (the JWKS of another replica's refresh): found again. */
	assert_true(ear_cache_get(f->c, TOKEN, strlen(TOKEN), 0, f->jwks, &e));
	ear_cached_free(&e);
	json_decref(rotated);
	json_decref(empty);
}

static void ear_cache_put_needs_a_kid_and_a_key(void **state)
{
	struct fix *f = *state;
	char kid[EAR_KID_MAX + 2];
	struct jwk_pub none = { 0 };
	struct ear_cached e;

	memset(kid, 'k', sizeof(kid) - 1);
	kid[sizeof(kid) - 1] = '\0';
	ear_cache_put(f->c, TOKEN, strlen(TOKEN), kid, EXP, f->claims, &f->key);
	assert_false(ear_cache_get(f->c, TOKEN, strlen(TOKEN), 0, f->jwks, &e));
	ear_cache_put(f->c, TOKEN, strlen(TOKEN), NULL, EXP, f->claims, &f->key);
	assert_false(ear_cache_get(f->c, TOKEN, strlen(TOKEN), 0, f->jwks, &e));
	ear_cache_put(f->c, TOKEN, strlen(TOKEN), "k1", EXP, f->claims, &none);
	assert_false(ear_cache_get(f->c, TOKEN, strlen(TOKEN), 0, f->jwks, &e));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(ear_cache_hit_hands_out_references, setup, teardown),
		cmocka_unit_test_setup_teardown(ear_cache_needs_the_exact_token, setup, teardown),
		cmocka_unit_test_setup_teardown(ear_cache_refuses_at_exp, setup, teardown),
		cmocka_unit_test_setup_teardown(ear_cache_refuses_a_kid_no_longer_published, setup,
						teardown),
		cmocka_unit_test_setup_teardown(ear_cache_put_needs_a_kid_and_a_key, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("ear-cache", tests, NULL, NULL);
}
