/*
 * EAR tokens attestd has already verified (or just issued), kept in memory
 * by the SHA-256 digest of the token's bytes, so a resource request that
 * presents the same token again - with the session cookie, whose session
 * row holds the token, or as a Bearer token - does not verify attestd's
 * own ES384 signature and re-check the confirmed key's point each time.
 *
 * What a hit still checks, every time: the full 32-byte digest (compared
 * with CRYPTO_memcmp), now < the token's exp, and that the kid that signed
 * it is still in the JWKS attestd publishes now (a key rotated out past its
 * overlap refuses its tokens from the cache as ear_verify would). Nothing
 * enters the cache that did not pass ear_verify or come from ear_sign_with.
 * The token's bytes are not stored. The cache is direct-mapped (a digest
 * picks one slot; a newer token evicts an older one), so its size is fixed
 * and a miss only costs the full verification.
 */
#ifndef SNPVM_ATTESTD_EAR_CACHE_H
#define SNPVM_ATTESTD_EAR_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "attestd/jwk.h"
#include "util/err.h"

/* Slots (a power of two): tokens live a few minutes, a slot is ~100 bytes. */
#define EAR_CACHE_SLOTS 4096

struct ear_cache;

/*
 * What a hit hands out: references shared with the cache and with other
 * threads, so both are read-only. Release with ear_cached_free.
 */
struct ear_cached {
	json_t *claims;         /* the token's payload, as ear_verify returns it */
	struct jwk_pub key;     /* its cnf.jwk, validated by jwk_pub_parse */
};

/* An empty cache into *out; 0 or SNP_E_NOMEM. Release with ear_cache_free. */
int ear_cache_new(struct ear_cache **out, struct snp_err *err) SNP_MUST_CHECK;

/* Frees c and every reference it holds; NULL is fine. */
void ear_cache_free(struct ear_cache *c);

/*
 * Records token (len bytes), verified or issued, signed by kid, valid until
 * exp, with its payload claims and confirmed key (new references are
 * taken; the caller keeps its own). Replaces what the slot held.
 */
void ear_cache_put(struct ear_cache *c, const char *token, size_t len, const char *kid,
		   int64_t exp, json_t *claims, const struct jwk_pub *key);

/*
 * true when token is in the cache, now < its exp and its kid names a key
 * in jwks ({"keys": [...]}); *out then holds new references. false
 * otherwise (*out zeroed): the caller verifies in full.
 */
bool ear_cache_get(struct ear_cache *c, const char *token, size_t len, int64_t now,
		   const json_t *jwks, struct ear_cached *out);

/* Releases the references of e and zeroes it; safe on a zeroed struct. */
void ear_cached_free(struct ear_cached *e);

#endif
