#include "sim/rng.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

/*
 * Bytes of deterministic randomness a keygen may draw. RSA-4096 prime search
 * draws a few tens of KiB on average; the margin keeps unlucky seeds working
 * and costs a few milliseconds of SHAKE output.
 */
#define STREAM_LEN (2u << 20)

int sim_rng_derive(const uint8_t *seed, size_t seed_len, const char *label, uint8_t *out,
		   size_t len, struct snp_err *err)
{
	EVP_MD_CTX *md = NULL;
	int ret = SNP_E_INTERNAL;

	ERR_clear_error();
	if ((md = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(md, EVP_shake256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, seed, seed_len) != 1 ||
	    EVP_DigestUpdate(md, label, strlen(label)) != 1 ||
	    EVP_DigestFinalXOF(md, out, len) != 1) {
		ret = snp_err_openssl(err, "sim rng: SHAKE-256");
		goto out;
	}
	ret = 0;
out:
	EVP_MD_CTX_free(md);
	return ret;
}

/* Points the private and public generators of lctx at deterministic streams. */
static int seed_libctx(OSSL_LIB_CTX *lctx, const uint8_t *seed, size_t seed_len, const char *label,
		       struct snp_err *err)
{
	static const char *const which[] = { "private", "public" };
	uint8_t *stream = NULL;
	char sublabel[160];
	int ret = SNP_E_INTERNAL;

	if ((stream = OPENSSL_malloc(STREAM_LEN)) == NULL)
		return snp_errf(err, SNP_E_NOMEM, "sim rng: out of memory");
	for (size_t i = 0; i < 2; i++) {
		EVP_RAND_CTX *rc = i == 0 ? RAND_get0_private(lctx) : RAND_get0_public(lctx);
		OSSL_PARAM params[2];

		snprintf(sublabel, sizeof(sublabel), "%s/%s", label, which[i]);
		if ((ret = sim_rng_derive(seed, seed_len, sublabel, stream, STREAM_LEN, err)) != 0)
			goto out;
		params[0] = OSSL_PARAM_construct_octet_string(OSSL_RAND_PARAM_TEST_ENTROPY, stream,
							      STREAM_LEN);
		params[1] = OSSL_PARAM_construct_end();
		if (rc == NULL || EVP_RAND_CTX_set_params(rc, params) != 1) {
			ret = snp_err_openssl(err, "sim rng: seeding TEST-RAND");
			goto out;
		}
	}
	ret = 0;
out:
	OPENSSL_clear_free(stream, STREAM_LEN);
	return ret;
}

static int generate(OSSL_LIB_CTX *lctx, enum sim_key_kind kind, EVP_PKEY **key,
		    struct snp_err *err)
{
	EVP_PKEY_CTX *ctx = NULL;
	int ret = SNP_E_INTERNAL;

	ctx = EVP_PKEY_CTX_new_from_name(lctx, kind == SIM_KEY_RSA4096 ? "RSA" : "EC", NULL);
	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1)
		goto fail;
	if (kind == SIM_KEY_RSA4096) {
		if (EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 4096) != 1)
			goto fail;
	} else if (EVP_PKEY_CTX_set_group_name(ctx, "P-384") != 1) {
		goto fail;
	}
	if (EVP_PKEY_generate(ctx, key) != 1)
		goto fail;
	ret = 0;
	goto out;
fail:
	ret = snp_err_openssl(err, "sim rng: %s key generation",
			      kind == SIM_KEY_RSA4096 ? "RSA-4096" : "P-384");
out:
	EVP_PKEY_CTX_free(ctx);
	return ret;
}

int sim_rng_keygen(const uint8_t *seed, size_t seed_len, const char *label, enum sim_key_kind kind,
		   EVP_PKEY **out, struct snp_err *err)
{
	OSSL_LIB_CTX *lctx = NULL;
	EVP_PKEY *key = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	int len = 0, ret = SNP_E_INTERNAL;

	*out = NULL;
	ERR_clear_error();
	if (seed == NULL)
		return generate(NULL, kind, out, err);
	if ((lctx = OSSL_LIB_CTX_new()) == NULL ||
	    RAND_set_DRBG_type(lctx, "TEST-RAND", NULL, NULL, NULL) != 1) {
		ret = snp_err_openssl(err, "sim rng: library context");
		goto out;
	}
	if ((ret = seed_libctx(lctx, seed, seed_len, label, err)) != 0 ||
	    (ret = generate(lctx, kind, &key, err)) != 0)
		goto out;
	/* Move the key to the default context so it outlives lctx. */
	if ((len = i2d_PrivateKey(key, &der)) <= 0) {
		ret = snp_err_openssl(err, "sim rng: encoding key");
		goto out;
	}
	p = der;
	if ((*out = d2i_AutoPrivateKey(NULL, &p, len)) == NULL) {
		ret = snp_err_openssl(err, "sim rng: decoding key");
		goto out;
	}
	ret = 0;
out:
	if (der)
		OPENSSL_clear_free(der, (size_t)(len > 0 ? len : 0));
	EVP_PKEY_free(key);
	OSSL_LIB_CTX_free(lctx);
	return ret;
}
