#include "attestd/keys.h"

#include <string.h>

#include "attestd/ear.h"
#include "attestd/jwk.h"
#include "attestd/store.h"

/* Re-reads both from the store; the caller holds k->lock. */
static int reload(struct attestd_keys *k, struct store *s, int64_t now, struct snp_err *err)
{
	json_t *sign = NULL, *jwks = NULL;
	int ret = store_signing_keys(s, now, &sign, &jwks, err);

	if (ret != 0) {
		if (ret == STORE_NOT_FOUND)
			ret = snp_errf(err, SNP_E_STATE, "no EAR signing key signs now "
				       "(rotate-key makes one)");
		return ret;
	}
	jwk_free_private(k->sign);
	json_decref(k->jwks);
	k->sign = sign;
	k->jwks = jwks;
	k->loaded = now;
	return 0;
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

int keys_get(struct attestd_keys *k, struct store *s, int64_t now, json_t **sign, json_t **jwks,
	     struct snp_err *err)
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
		*sign = json_deep_copy(k->sign);
	if (jwks)
		*jwks = json_incref(k->jwks);
	if ((sign && !*sign) || (jwks && !*jwks)) {
		ret = snp_errf(err, SNP_E_NOMEM, "out of memory");
		if (sign) {
			jwk_free_private(*sign);
			*sign = NULL;
		}
		if (jwks) {
			json_decref(*jwks);
			*jwks = NULL;
		}
	}
out:
	pthread_mutex_unlock(&k->lock);
	return ret;
}

void keys_free(struct attestd_keys *k)
{
	jwk_free_private(k->sign);
	json_decref(k->jwks);
	k->sign = k->jwks = NULL;
	pthread_mutex_destroy(&k->lock);
}
