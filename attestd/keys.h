/*
 * attestd's EAR signing keys, cached from the store (attestd/store.h):
 * the newest key that still signs, converted once into an ear_signer (an
 * OpenSSL key, not a JWK converted per token), and the JWKS of every key
 * still published. The cache is refreshed every few seconds, so a rotation
 * by the admin API or by another replica is picked up without a restart;
 * the signer is converted again only when the signing kid changes.
 */
#ifndef SNPVM_ATTESTD_KEYS_H
#define SNPVM_ATTESTD_KEYS_H

#include <pthread.h>
#include <stdint.h>

#include <jansson.h>

#include "util/err.h"

struct ear_signer;
struct store;

/* How long a key made at start signs; it stays published a token lifetime longer. */
#define KEYS_SIGN_LIFETIME (365 * 86400)
/* Seconds between re-reads of the keys from the store. */
#define KEYS_REFRESH 5

struct attestd_keys {
	pthread_mutex_t lock;
	struct ear_signer *sign; /* the signing key, converted */
	json_t *jwks;   /* {"keys": [...]} */
	int64_t loaded; /* when read from the store */
	int64_t token_ttl;
};

/*
 * Loads the keys; when none signs at now, generates one (ear_key_generate)
 * and stores it to sign for KEYS_SIGN_LIFETIME, published token_ttl longer.
 */
int keys_init(struct attestd_keys *k, struct store *s, int64_t now, int64_t token_ttl,
	      struct snp_err *err) SNP_MUST_CHECK;

/*
 * New references to the signing key and the JWKS at now (either pointer may
 * be NULL), re-read from s when older than KEYS_REFRESH. Release *sign with
 * ear_signer_free and *jwks with json_decref.
 */
int keys_get(struct attestd_keys *k, struct store *s, int64_t now, struct ear_signer **sign,
	     json_t **jwks, struct snp_err *err) SNP_MUST_CHECK;

void keys_free(struct attestd_keys *k);

#endif
