/*
 * Integrity and confidentiality of rows: AES-256-GCM (12-byte random IV,
 * 16-byte tag) for secrets, HMAC-SHA-256 for rows that are not secret but
 * must not change (owners, tokens' digests, policies, sessions). Both bind
 * the row's identifying fields (the AAD or MAC input) so a row copied into
 * another row's place fails.
 */
#include "attestd/store-int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

/* Feeds bytes to a MAC or to an AEAD's associated data. */
typedef int feed_fn(void *ctx, const void *p, size_t len);

static void be64(uint8_t out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		out[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* label NUL, then per field: type byte, 8-byte length, bytes (integers as 8 bytes). */
static int feed_fields(feed_fn *fn, void *ctx, const char *label, const struct db_val *f,
		       size_t n)
{
	if (!fn(ctx, label, strlen(label) + 1))
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t hdr[9], num[8];

		hdr[0] = (uint8_t)f[i].type;
		switch (f[i].type) {
		case DB_NULL:
			be64(hdr + 1, 0);
			if (!fn(ctx, hdr, sizeof(hdr)))
				return 0;
			break;
		case DB_INT:
			be64(hdr + 1, 8);
			be64(num, (uint64_t)f[i].i);
			if (!fn(ctx, hdr, sizeof(hdr)) || !fn(ctx, num, sizeof(num)))
				return 0;
			break;
		default:
			be64(hdr + 1, f[i].len);
			if (!fn(ctx, hdr, sizeof(hdr)) || (f[i].len && !fn(ctx, f[i].p, f[i].len)))
				return 0;
			break;
		}
	}
	return 1;
}

static int feed_aad(void *ctx, const void *p, size_t len)
{
	int outl;

	return len <= INT32_MAX &&
	       EVP_CipherUpdate(ctx, NULL, &outl, p, (int)len) == 1;
}

static int feed_mac(void *ctx, const void *p, size_t len)
{
	return EVP_MAC_update(ctx, p, len) == 1;
}

/* A cipher context keyed for encryption (enc 1) or decryption (0) with iv, AAD fed. */
static EVP_CIPHER_CTX *gcm_start(const struct store *s, int enc, const uint8_t *iv,
				 const char *label, const struct db_val *aad, size_t naad)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	if (!ctx)
		return NULL;
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, STORE_IV_SIZE, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, s->enc_key.p, iv, enc) != 1 ||
	    !feed_fields(feed_aad, ctx, label, aad, naad)) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int store_seal(const struct store *s, const char *label, const struct db_val *aad, size_t naad,
	       const uint8_t *pt, size_t len, uint8_t iv[STORE_IV_SIZE], uint8_t **ct,
	       size_t *ctlen, struct snp_err *err)
{
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t *buf = NULL;
	int ret = SNP_E_INTERNAL, outl = 0, fin = 0;

	*ct = NULL;
	*ctlen = 0;
	if (len > INT32_MAX - STORE_TAG_SIZE)
		return snp_errf(err, SNP_E_INVALID, "store: %zu bytes too large to seal", len);
	if (!(buf = malloc(len + STORE_TAG_SIZE)))
		return snp_errf(err, SNP_E_NOMEM, "store: out of memory");
	if (RAND_bytes(iv, STORE_IV_SIZE) != 1 ||
	    !(ctx = gcm_start(s, 1, iv, label, aad, naad)) ||
	    EVP_EncryptUpdate(ctx, buf, &outl, pt, (int)len) != 1 ||
	    EVP_EncryptFinal_ex(ctx, buf + outl, &fin) != 1 ||
	    (size_t)(outl + fin) != len ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, STORE_TAG_SIZE, buf + len) != 1) {
		ret = snp_err_openssl(err, "store: AES-256-GCM seal");
		goto out;
	}
	*ct = buf;
	*ctlen = len + STORE_TAG_SIZE;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

int store_open_sealed(const struct store *s, const char *label, const struct db_val *aad,
		      size_t naad, const uint8_t *iv, size_t ivlen, const uint8_t *ct,
		      size_t ctlen, const char *what, struct secret *out, struct snp_err *err)
{
	EVP_CIPHER_CTX *ctx = NULL;
	size_t len;
	int ret = SNP_E_INTERNAL, outl = 0, fin = 0, rc;

	out->p = NULL;
	out->len = 0;
	if (ivlen != STORE_IV_SIZE || ctlen < STORE_TAG_SIZE || ctlen > INT32_MAX)
		return snp_errf(err, SNP_E_SIGNATURE, "%s: stored IV or ciphertext has a bad size",
				what);
	len = ctlen - STORE_TAG_SIZE;
	if ((ret = secret_alloc(out, len)) != 0)
		return snp_errf(err, ret, "store: out of memory");
	if (!(ctx = gcm_start(s, 0, iv, label, aad, naad)) ||
	    EVP_DecryptUpdate(ctx, out->p, &outl, ct, (int)len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, STORE_TAG_SIZE,
				(void *)(ct + len)) != 1) {
		ret = snp_err_openssl(err, "store: AES-256-GCM open");
		goto out;
	}
	rc = EVP_DecryptFinal_ex(ctx, out->p + outl, &fin);
	if (rc != 1) {
		ERR_clear_error();
		ret = snp_errf(err, SNP_E_SIGNATURE,
			       "%s: does not decrypt under the master key (edited, moved or "
			       "another key)", what);
		goto out;
	}
	ret = 0;
out:
	if (ret != 0)
		secret_free(out);
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

int store_mac(const struct store *s, const char *label, const struct db_val *f, size_t n,
	      uint8_t mac[STORE_MAC_SIZE], struct snp_err *err)
{
	EVP_MAC *m = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t outl = 0;
	int ret = SNP_E_INTERNAL;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!(m = EVP_MAC_fetch(NULL, "HMAC", NULL)) || !(ctx = EVP_MAC_CTX_new(m)) ||
	    EVP_MAC_init(ctx, s->mac_key.p, s->mac_key.len, params) != 1 ||
	    !feed_fields(feed_mac, ctx, label, f, n) ||
	    EVP_MAC_final(ctx, mac, &outl, STORE_MAC_SIZE) != 1 || outl != STORE_MAC_SIZE) {
		ret = snp_err_openssl(err, "store: HMAC-SHA-256");
		goto out;
	}
	ret = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(m);
	return ret;
}

int store_mac_check(const struct store *s, const char *label, const struct db_val *f, size_t n,
		    const void *mac, size_t maclen, const char *what, struct snp_err *err)
{
	uint8_t want[STORE_MAC_SIZE];
	int ret;

	if ((ret = store_mac(s, label, f, n, want, err)) != 0)
		return ret;
	if (maclen != STORE_MAC_SIZE || !secret_equal(want, mac, STORE_MAC_SIZE))
		return snp_errf(err, SNP_E_SIGNATURE,
				"%s: row was changed outside attestd (MAC mismatch)", what);
	return 0;
}
