#include "attestd/jwe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "attestd/b64url.h"
#include "attestd/jose-cfg.h"
#include "attestd/jose-dl.h"
#include "attestd/jwk.h"

#define CEK_LEN 32              /* A256GCM */
#define PROTECTED_MAX 4096      /* decoded protected header */
#define RSA_CT_MAX (JWK_RSA_MAX_BITS / 8)

/* Flattened JWE members (RFC 7516 §7.2.2) this profile uses. */
static const char *const jwe_members[] = {
	"protected", "header", "encrypted_key", "iv", "ciphertext", "tag",
};
/* Header parameters a peer may send; anything else (zip, crit, jku, jwk, ...) is refused. */
static const char *const jwe_params[] = {
	"alg", "enc", "epk", "kid", "typ", "cty", "apu", "apv",
};

static int in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(s, list[i]) == 0)
			return 1;
	}
	return 0;
}

/* RSAES-OAEP with SHA-256 and MGF1-SHA-256 (RFC 7518 §4.3) through OpenSSL. */
static int rsa_oaep256(EVP_PKEY *pkey, int decrypt, const uint8_t *in, size_t inlen,
		       uint8_t *out, size_t *outlen, struct snp_err *err)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
	int ret = SNP_E_CRYPTO;

	if (!ctx)
		return snp_err_openssl(err, "jwe: EVP_PKEY_CTX_new");
	if ((decrypt ? EVP_PKEY_decrypt_init(ctx) : EVP_PKEY_encrypt_init(ctx)) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) != 1) {
		ret = snp_err_openssl(err, "jwe: RSA-OAEP-256 setup");
		goto out;
	}
	if ((decrypt ? EVP_PKEY_decrypt(ctx, out, outlen, in, inlen)
		     : EVP_PKEY_encrypt(ctx, out, outlen, in, inlen)) != 1) {
		ret = snp_err_openssl(err, "jwe: encrypted_key: RSA-OAEP-256 %s failed",
				      decrypt ? "decryption" : "encryption");
		goto out;
	}
	ret = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return ret;
}

/* ECDH-ES+A256KW: libjose does it all; epk then moves into the protected header. */
static int wrap_ec(struct josecfg *jc, const struct jwk_pub *key, json_t *jwe, json_t *cek,
		   struct snp_err *err)
{
	json_t *hdr, *epk;

	if (!jose_jwe_enc_jwk(jc->cfg, jwe, NULL, key->jwk, cek))
		return josecfg_fail(jc, err, SNP_E_CRYPTO, "jwe: ECDH-ES+A256KW key wrap");
	/*
	 * libjose leaves epk in the per-recipient "header"; Trustee's clients read
	 * it from the protected header, where it is also integrity-protected
	 * (RFC 7516 §7.2.1 allows a parameter in either, not both).
	 */
	hdr = json_object_get(jwe, "header");
	epk = json_object_get(hdr, "epk");
	if (!epk || json_object_size(hdr) != 1 ||
	    json_object_set(json_object_get(jwe, "protected"), "epk", epk) != 0 ||
	    json_object_del(jwe, "header") != 0)
		return snp_errf(err, SNP_E_INTERNAL, "jwe: libjose left no single epk header");
	return 0;
}

/* RSA-OAEP-256: libjose makes the CEK, OpenSSL wraps it (see jwe.h). */
static int wrap_rsa(struct josecfg *jc, const struct jwk_pub *key, json_t *jwe, json_t *cek,
		    struct snp_err *err)
{
	uint8_t raw[CEK_LEN], ct[RSA_CT_MAX];
	size_t rawlen = 0, ctlen = sizeof(ct);
	EVP_PKEY *pkey = NULL;
	const char *k;
	int ret = SNP_E_INTERNAL;

	if (json_object_set_new(cek, "alg", json_string("A256GCM")) != 0 ||
	    !jose_jwk_gen(jc->cfg, cek)) {
		ret = josecfg_fail(jc, err, SNP_E_CRYPTO, "jwe: generating the A256GCM CEK");
		goto out;
	}
	k = json_string_value(json_object_get(cek, "k"));
	if (!k || (ret = b64url_decode(k, strlen(k), "jwe: CEK", raw, sizeof(raw), &rawlen,
				       err)) != 0 || rawlen != CEK_LEN) {
		ret = snp_errf(err, SNP_E_INTERNAL, "jwe: libjose made no 32-byte CEK");
		goto out;
	}
	pkey = jose_openssl_jwk_to_EVP_PKEY(jc->cfg, key->jwk);
	if (!pkey) {
		ret = josecfg_fail(jc, err, SNP_E_CRYPTO, "jwe: RSA key to OpenSSL");
		goto out;
	}
	if ((ret = rsa_oaep256(pkey, 0, raw, rawlen, ct, &ctlen, err)) != 0)
		goto out;
	if (json_object_set_new(jwe, "encrypted_key", jose_b64_enc(ct, ctlen)) != 0) {
		ret = snp_errf(err, SNP_E_NOMEM, "jwe: out of memory");
		goto out;
	}
	ret = 0;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	EVP_PKEY_free(pkey);
	return ret;
}

int jwe_wrap(const struct jwk_pub *key, const uint8_t *pt, size_t len, char **out,
	     struct snp_err *err)
{
	int is_ec = key->kind != JWK_RSA;
	struct josecfg jc = { 0 };
	json_t *jwe = NULL, *cek = NULL;
	int ret = SNP_E_INTERNAL;

	*out = NULL;
	if (key->kind == JWK_NONE || !key->jwk)
		return snp_errf(err, SNP_E_INVALID, "jwe: no key");
	if (len == 0 || len > JWE_MAX_PLAINTEXT)
		return snp_errf(err, SNP_E_INVALID, "jwe: a %zu-byte secret: 1 to %d bytes allowed",
				len, JWE_MAX_PLAINTEXT);
	if ((ret = josecfg_open(&jc, err)) != 0)
		return ret;
	jwe = json_pack("{s:{s:s,s:s}}", "protected", "alg",
			is_ec ? "ECDH-ES+A256KW" : "RSA-OAEP-256", "enc", "A256GCM");
	cek = json_object();
	if (!jwe || !cek) {
		ret = snp_errf(err, SNP_E_NOMEM, "jwe: out of memory");
		goto out;
	}
	if ((ret = is_ec ? wrap_ec(&jc, key, jwe, cek, err) : wrap_rsa(&jc, key, jwe, cek, err)) != 0)
		goto out;
	if (!jose_jwe_enc_cek(jc.cfg, jwe, cek, pt, len)) {
		ret = josecfg_fail(&jc, err, SNP_E_CRYPTO, "jwe: A256GCM encryption");
		goto out;
	}
	*out = json_dumps(jwe, JSON_COMPACT | JSON_SORT_KEYS);
	if (!*out) {
		ret = snp_errf(err, SNP_E_NOMEM, "jwe: out of memory");
		goto out;
	}
	ret = 0;
out:
	jwk_free_private(cek);
	json_decref(jwe);
	josecfg_close(&jc);
	return ret;
}

/* Decodes a base64url member of the JWE strictly (the text is checked before libjose sees it). */
static int check_b64_member(const json_t *jwe, const char *name, size_t min, size_t max,
			    struct snp_err *err)
{
	json_t *v = json_object_get(jwe, name);
	char what[48];
	uint8_t *buf;
	size_t n;
	int ret;

	snprintf(what, sizeof(what), "jwe: %s", name);
	if (!json_is_string(v))
		return snp_errf(err, SNP_E_INVALID, "%s: %s", what,
				v ? "expected a string" : "missing");
	buf = malloc(max ? max : 1);
	if (!buf)
		return snp_errf(err, SNP_E_NOMEM, "%s: out of memory", what);
	ret = b64url_decode(json_string_value(v), json_string_length(v), what, buf, max, &n, err);
	OPENSSL_clear_free(buf, max ? max : 1);
	if (ret == 0 && n < min)
		ret = snp_errf(err, SNP_E_INVALID, "%s: %zu bytes, at least %zu needed", what, n,
			       min);
	return ret;
}

/* The merged header (protected first), with every parameter checked against the profile. */
static int open_header(const json_t *jwe, json_t **merged, struct snp_err *err)
{
	uint8_t raw[PROTECTED_MAX];
	json_t *prot = NULL, *hdr = json_object_get(jwe, "header");
	const char *p = json_string_value(json_object_get(jwe, "protected")), *key;
	json_error_t jerr;
	json_t *val;
	size_t n;
	int ret;

	*merged = NULL;
	if (!p)
		return snp_errf(err, SNP_E_INVALID, "jwe: protected: missing or not a string");
	if ((ret = b64url_decode(p, strlen(p), "jwe: protected", raw, sizeof(raw), &n, err)) != 0)
		return ret;
	prot = json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(prot)) {
		json_decref(prot);
		return snp_errf(err, SNP_E_INVALID, "jwe: protected: not a JSON object");
	}
	if (!json_is_string(json_object_get(prot, "alg")) ||
	    !json_is_string(json_object_get(prot, "enc"))) {
		ret = snp_errf(err, SNP_E_INVALID, "jwe: protected: alg and enc must both be "
			       "in the protected header");
		goto out;
	}
	if (hdr && !json_is_object(hdr)) {
		ret = snp_errf(err, SNP_E_INVALID, "jwe: header: not a JSON object");
		goto out;
	}
	json_object_foreach(hdr, key, val) {
		if (json_object_get(prot, key)) {
			ret = snp_errf(err, SNP_E_INVALID, "jwe: header parameter \"%.32s\" in both "
				       "protected and unprotected headers", key);
			goto out;
		}
		json_object_set(prot, key, val);
	}
	json_object_foreach(prot, key, val) {
		if (!in_list(key, jwe_params, sizeof(jwe_params) / sizeof(jwe_params[0]))) {
			ret = snp_errf(err, SNP_E_UNSUPPORTED, "jwe: header parameter \"%.32s\" is "
				       "not supported", key);
			goto out;
		}
	}
	*merged = prot;
	prot = NULL;
	ret = 0;
out:
	json_decref(prot);
	return ret;
}

/* The JWE's structure and algorithms for a key of kty (and crv for EC). */
static int open_check(const json_t *jwe, const json_t *priv, const json_t *hdr,
		      struct snp_err *err)
{
	const char *kty = json_string_value(json_object_get(priv, "kty"));
	const char *alg = json_string_value(json_object_get(hdr, "alg"));
	const char *enc = json_string_value(json_object_get(hdr, "enc"));
	int is_ec = kty && strcmp(kty, "EC") == 0;
	const char *want = is_ec ? "ECDH-ES+A256KW" : "RSA-OAEP-256";
	json_t *epk = json_object_get(hdr, "epk");
	const char *key;
	json_t *val;
	int ret;

	if (!kty || (!is_ec && strcmp(kty, "RSA") != 0))
		return snp_errf(err, SNP_E_UNSUPPORTED, "jwe: private key: kty must be EC or RSA");
	if (strcmp(alg, want) != 0)
		return snp_errf(err, SNP_E_UNSUPPORTED, "jwe: alg \"%.32s\" is not supported for "
				"an %s key (want %s)", alg, kty, want);
	if (strcmp(enc, "A256GCM") != 0)
		return snp_errf(err, SNP_E_UNSUPPORTED, "jwe: enc \"%.32s\" is not supported "
				"(want A256GCM)", enc);
	json_object_foreach((json_t *)jwe, key, val) {
		if (!in_list(key, jwe_members, sizeof(jwe_members) / sizeof(jwe_members[0])))
			return snp_errf(err, SNP_E_INVALID, "jwe: member \"%.32s\" is not allowed "
					"in a flattened JWE of this profile", key);
	}
	/* A256GCM: 96-bit IV, 128-bit tag (RFC 7518 §5.3); A256KW output is 40 bytes. */
	if ((ret = check_b64_member(jwe, "encrypted_key", 40, RSA_CT_MAX, err)) != 0 ||
	    (ret = check_b64_member(jwe, "iv", 12, 12, err)) != 0 ||
	    (ret = check_b64_member(jwe, "tag", 16, 16, err)) != 0 ||
	    (ret = check_b64_member(jwe, "ciphertext", 1, JWE_MAX_PLAINTEXT, err)) != 0)
		return ret;
	if (is_ec) {
		struct jwk_pub e;

		if (!epk)
			return snp_errf(err, SNP_E_INVALID, "jwe: epk: missing");
		if ((ret = jwk_pub_parse(epk, "jwe: epk", &e, err)) != 0)
			return ret;
		jwk_pub_free(&e);
		if (!json_equal(json_object_get(epk, "crv"), json_object_get(priv, "crv")))
			return snp_errf(err, SNP_E_INVALID, "jwe: epk: curve differs from the key's");
	} else if (epk) {
		return snp_errf(err, SNP_E_INVALID, "jwe: epk: not used with RSA-OAEP-256");
	}
	return 0;
}

/* RSA-OAEP-256: OpenSSL unwraps the CEK into an oct JWK for libjose (*cek). */
static int unwrap_rsa(struct josecfg *jc, const json_t *jwe, const json_t *priv, json_t **cek,
		      struct snp_err *err)
{
	const char *ek = json_string_value(json_object_get(jwe, "encrypted_key"));
	uint8_t ct[RSA_CT_MAX], raw[RSA_CT_MAX];
	size_t ctlen, rawlen = sizeof(raw);
	EVP_PKEY *pkey = NULL;
	int ret;

	*cek = NULL;
	if ((ret = b64url_decode(ek, strlen(ek), "jwe: encrypted_key", ct, sizeof(ct), &ctlen,
				 err)) != 0)
		goto out;
	pkey = jose_openssl_jwk_to_EVP_PKEY(jc->cfg, priv);
	if (!pkey) {
		ret = josecfg_fail(jc, err, SNP_E_INVALID, "jwe: private key: not a usable RSA key");
		goto out;
	}
	if ((ret = rsa_oaep256(pkey, 1, ct, ctlen, raw, &rawlen, err)) != 0)
		goto out;
	if (rawlen != CEK_LEN) {
		ret = snp_errf(err, SNP_E_CRYPTO, "jwe: encrypted_key: a %zu-byte CEK, A256GCM "
			       "needs %d", rawlen, CEK_LEN);
		goto out;
	}
	*cek = json_pack("{s:s,s:s,s:o}", "kty", "oct", "alg", "A256GCM", "k",
			 jose_b64_enc(raw, rawlen));
	ret = *cek ? 0 : snp_errf(err, SNP_E_NOMEM, "jwe: out of memory");
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	EVP_PKEY_free(pkey);
	return ret;
}

int jwe_open(const json_t *priv, const char *text, size_t len, struct secret *pt,
	     struct snp_err *err)
{
	json_t *jwe = NULL, *hdr = NULL, *cek = NULL;
	struct josecfg jc = { 0 };
	json_error_t jerr;
	uint8_t *plain = NULL;
	size_t plen = 0;
	int ret = SNP_E_INTERNAL;

	memset(pt, 0, sizeof(*pt));
	if (len > JWE_MAX_TEXT)
		return snp_errf(err, SNP_E_INVALID, "jwe: %zu bytes, at most %d allowed", len,
				JWE_MAX_TEXT);
	if (!json_is_object(priv))
		return snp_errf(err, SNP_E_INVALID, "jwe: private key: not a JSON object");
	jwe = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(jwe)) {
		ret = snp_errf(err, SNP_E_INVALID, "jwe: not a JSON object: %s", jerr.text);
		goto out;
	}
	if ((ret = open_header(jwe, &hdr, err)) != 0 ||
	    (ret = open_check(jwe, priv, hdr, err)) != 0 ||
	    (ret = josecfg_open(&jc, err)) != 0)
		goto out;
	if (json_object_get(hdr, "epk")) {
		cek = jose_jwe_dec_jwk(jc.cfg, jwe, NULL, priv);
		if (!cek) {
			ret = josecfg_fail(&jc, err, SNP_E_CRYPTO, "jwe: ECDH-ES+A256KW: the key "
					   "does not unwrap the CEK");
			goto out;
		}
	} else if ((ret = unwrap_rsa(&jc, jwe, priv, &cek, err)) != 0) {
		goto out;
	}
	plain = jose_jwe_dec_cek(jc.cfg, jwe, cek, &plen);
	if (!plain) {
		ret = josecfg_fail(&jc, err, SNP_E_CRYPTO, "jwe: A256GCM decryption failed "
				   "(wrong key or altered JWE)");
		goto out;
	}
	if ((ret = secret_alloc(pt, plen)) != 0) {
		snp_errf(err, ret, "jwe: out of memory");
		goto out;
	}
	memcpy(pt->p, plain, plen);
	ret = 0;
out:
	if (plain)
		OPENSSL_cleanse(plain, plen);
	free(plain);        /* libjose's jose_io_malloc buffer */
	jwk_free_private(cek);
	json_decref(hdr);
	json_decref(jwe);
	josecfg_close(&jc);
	return ret;
}
