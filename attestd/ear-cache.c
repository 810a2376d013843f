#include "attestd/ear-cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "attestd/ear.h"

struct slot {
	bool used;
	uint8_t digest[32];     /* SHA-256 of the token */
	int64_t exp;
	char kid[EAR_KID_MAX + 1];
	json_t *claims;
	struct jwk_pub key;
};

struct ear_cache {
	pthread_mutex_t lock;
	struct slot slots[EAR_CACHE_SLOTS];
};

_Static_assert((EAR_CACHE_SLOTS & (EAR_CACHE_SLOTS - 1)) == 0, "a power of two");

int ear_cache_new(struct ear_cache **out, struct snp_err *err)
{
	struct ear_cache *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (c == NULL)
		return snp_errf(err, SNP_E_NOMEM, "ear cache: out of memory");
	pthread_mutex_init(&c->lock, NULL);
	*out = c;
	return 0;
}

static void slot_clear(struct slot *s)
{
	json_decref(s->claims);
	jwk_pub_free(&s->key);
	memset(s, 0, sizeof(*s));
}

void ear_cache_free(struct ear_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < EAR_CACHE_SLOTS; i++)
		slot_clear(&c->slots[i]);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* SHA-256 of the token and the slot it picks; false when hashing failed. */
static bool token_digest(const char *token, size_t len, uint8_t d[32], size_t *slot)
{
	unsigned int n = 0;

	if (EVP_Digest(token, len, d, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return false;
	*slot = ((size_t)d[0] | (size_t)d[1] << 8 | (size_t)d[2] << 16) & (EAR_CACHE_SLOTS - 1);
	return true;
}

void ear_cache_put(struct ear_cache *c, const char *token, size_t len, const char *kid,
		   int64_t exp, json_t *claims, const struct jwk_pub *key)
{
	uint8_t d[32];
	size_t i;
	struct slot *s;

	if (!kid || strlen(kid) > EAR_KID_MAX || !claims || !key->jwk ||
	    !token_digest(token, len, d, &i))
		return;
	pthread_mutex_lock(&c->lock);
	s = &c->slots[i];
	slot_clear(s);
	s->used = true;
	memcpy(s->digest, d, sizeof(d));
	s->exp = exp;
	memcpy(s->kid, kid, strlen(kid) + 1);
	s->claims = json_incref(claims);
	s->key = *key;
	s->key.jwk = json_incref(key->jwk);
	pthread_mutex_unlock(&c->lock);
}

static bool kid_published(const json_t *jwks, const char *kid)
{
	const json_t *k;
	size_t i;

	json_array_foreach(json_object_get(jwks, "keys"), i, k) {
		const char *kk = json_string_value(json_object_get(k, "kid"));

		if (kk && strcmp(kk, kid) == 0)
			return true;
	}
	return false;
}

bool ear_cache_get(struct ear_cache *c, const char *token, size_t len, int64_t now,
		   const json_t *jwks, struct ear_cached *out)
{
	uint8_t d[32];
	size_t i;
	struct slot *s;
	bool hit = false;

	memset(out, 0, sizeof(*out));
	if (!token_digest(token, len, d, &i))
		return false;
	pthread_mutex_lock(&c->lock);
	s = &c->slots[i];
	if (s->used && CRYPTO_memcmp(s->digest, d, sizeof(d)) == 0) {
		if (now >= s->exp) {
			slot_clear(s);
		} else if (kid_published(jwks, s->kid)) {
			out->claims = json_incref(s->claims);
			out->key = s->key;
			out->key.jwk = json_incref(s->key.jwk);
			hit = true;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return hit;
}

void ear_cached_free(struct ear_cached *e)
{
	json_decref(e->claims);
	e->claims = NULL;
	jwk_pub_free(&e->key);
}
