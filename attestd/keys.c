#include "attestd/keys.h"

#include <string.h>

#include "attestd/ear.h"
#include "attestd/jwk.h"
#include "attestd/store.h"

/* Re-reads both from the store; the caller holds k->lock. */
static int reload(struct attestd_keys *k, struct store *s, int64_t now, struct snp_err *err)
{
	json_t *sign = NULL, *jwks = NULL;
	struct ear_signer *signer = NULL;
	const char *kid;
	int ret = store_signing_keys(s, now, &sign, &jwks, err);

	if (ret != 0) {
		if (ret == STORE_NOT_FOUND)
			ret = snp_errf(err, SNP_E_STATE, "no EAR signing key signs now "
				       "(rotate-key makes one)");
		return ret;
	}
	kid = json_string_value(json_object_get(sign, "kid"));
	/* The kid is the key's RFC 7638 thumbprint: the same kid, the same key. */
	if (k->sign == NULL || kid == NULL || strcmp(kid, ear_signer_kid(k->sign)) != 0) {
		if ((ret = ear_signer_new(sign, &signer, err)) != 0)
			goto out;
		ear_signer_free(k->sign);
		k->sign = signer;
	}
	json_decref(k->jwks);
	k->jwks = jwks;
	jwks = NULL;
	k->loaded = now;
	ret = 0;
out:
	jwk_free_private(sign);
	json_decref(jwks);
	return ret;
}

int keys_init(struct attestd_keys *k, struct store *s, int64_t now, int64_t token_ttl,
	      struct snp_err *err)
{
	json_t *jwk = NULL, *probe = NULL;
	int ret;

	memset(k, 0, sizeof(*k));
	pthread_mutex_init(&k->lock, NULL);
	k->token_ttl = token_ttl;
	ret = store_signing_keys(s, now, &probe, NULL, err);
	jwk_free_private(probe);
	if (ret == STORE_NOT_FOUND) {
		if ((ret = ear_key_generate(&jwk, err)) != 0)
			return ret;
		ret = store_signing_key_add(s, jwk, now, now + KEYS_SIGN_LIFETIME,
					    now + KEYS_SIGN_LIFETIME + token_ttl, err);
		jwk_free_private(jwk);
	}
	if (ret != 0)
		return ret;
	return reload(k, s, now, err);
}

int keys_get(struct attestd_keys *k, struct store *s, int64_t now, struct ear_signer **sign,
	     json_t **jwks, struct snp_err *err)
{
	int ret = 0;

	if (sign)
		*sign = NULL;
	if (jwks)
		*jwks = NULL;
	pthread_mutex_lock(&k->lock);
	if ((now - k->loaded >= KEYS_REFRESH || now < k->loaded) &&
	    (ret = reload(k, s, now, err)) != 0)
		goto out;
	if (sign)
		*sign = ear_signer_ref(k->sign);
	if (jwks)
		*jwks = json_incref(k->jwks);
out:
	pthread_mutex_unlock(&k->lock);
	return ret;
}

void keys_free(struct attestd_keys *k)
{
	ear_signer_free(k->sign);
	json_decref(k->jwks);
	k->sign = NULL;
	k->jwks = NULL;
	pthread_mutex_destroy(&k->lock);
}
