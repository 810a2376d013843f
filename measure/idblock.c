#include "measure/idblock.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "util/file.h"
#include "util/pem.h"
#include "util/secret.h"

#define P384 SNP_ECDSA_P384_BYTES
#define KEY_FILE_MAX (64u * 1024)

/* Keeps the drained OpenSSL text of err but reclassifies it (bad input, not a crypto failure). */
static int recode(struct snp_err *err, int code)
{
	if (err)
		err->code = code;
	return code;
}

void idblock_init(struct snp_id_block *b, const uint8_t ld[48])
{
	memset(b, 0, sizeof(*b));
	memcpy(b->ld, ld, sizeof(b->ld));
	b->version = SNP_ID_BLOCK_VERSION;
	b->policy = IDBLOCK_DEFAULT_POLICY;
}

/* 0 if key is an EC key on P-384; SNP_E_INVALID naming `what` otherwise. */
static int key_check_p384(const EVP_PKEY *key, const char *what, struct snp_err *err)
{
	char group[64] = "";
	size_t glen = 0;

	if (!EVP_PKEY_is_a(key, "EC"))
		return snp_errf(err, SNP_E_INVALID, "%s: a %s key, not EC P-384", what,
				EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "?");
	if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
					   &glen) != 1) {
		ERR_clear_error();
		return snp_errf(err, SNP_E_INVALID, "%s: EC key without a named curve, not P-384",
				what);
	}
	if (strcmp(group, SN_secp384r1) != 0)
		return snp_errf(err, SNP_E_INVALID, "%s: EC key on curve %s, not P-384 (secp384r1)",
				what, group);
	return 0;
}

int idblock_key_from_pem(const char *pem, size_t len, const char *what, EVP_PKEY **out,
			 struct snp_err *err)
{
	EVP_PKEY *key = NULL;
	BIO *bio = NULL;
	int ret = SNP_E_INTERNAL;

	*out = NULL;
	ERR_clear_error();
	if (len > INT32_MAX) {
		ret = snp_errf(err, SNP_E_INVALID, "%s: %zu bytes is too large for a key", what,
			       len);
		goto out;
	}
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio) {
		ret = snp_err_openssl(err, "%s: BIO_new_mem_buf", what);
		goto out;
	}
	key = PEM_read_bio_PrivateKey_ex(bio, NULL, pem_no_passphrase, NULL, NULL, NULL);
	if (!key) {
		snp_err_openssl(err, "%s: not a PEM private key (EC PRIVATE KEY or PKCS#8, "
				     "unencrypted)", what);
		ret = recode(err, SNP_E_INVALID);
		goto out;
	}
	if ((ret = key_check_p384(key, what, err)) != 0)
		goto out;
	*out = key;
	key = NULL;
	ret = 0;
out:
	EVP_PKEY_free(key);
	BIO_free(bio);
	return ret;
}

int idblock_key_load(const char *path, EVP_PKEY **out, struct snp_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret = SNP_E_INTERNAL;

	*out = NULL;
	if ((ret = file_read(path, KEY_FILE_MAX, &buf, &len, err)) != 0)
		goto out;
	if ((ret = idblock_key_from_pem((const char *)buf, len, path, out, err)) != 0)
		goto out;
	ret = 0;
out:
	if (buf) {
		secret_wipe(buf, len);
		free(buf);
	}
	return ret;
}

/* Stores a non-negative BIGNUM of at most 48 bytes as a 72-byte little-endian field. */
static int bn_to_field(const BIGNUM *bn, const char *what, uint8_t out[SNP_ECDSA_COMPONENT_SIZE],
		       struct snp_err *err)
{
	if (BN_is_negative(bn) || BN_num_bytes(bn) > P384)
		return snp_errf(err, SNP_E_INTERNAL, "%s: %d bytes, more than P-384 allows", what,
				BN_num_bytes(bn));
	if (BN_bn2lebinpad(bn, out, SNP_ECDSA_COMPONENT_SIZE) != SNP_ECDSA_COMPONENT_SIZE)
		return snp_err_openssl(err, "%s: BN_bn2lebinpad", what);
	return 0;
}

int idblock_pubkey_from_pkey(const EVP_PKEY *key, struct snp_pubkey *out, struct snp_err *err)
{
	BIGNUM *x = NULL, *y = NULL;
	int ret = SNP_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	ERR_clear_error();
	if ((ret = key_check_p384(key, "key", err)) != 0)
		goto out;
	if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
	    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1) {
		ret = snp_err_openssl(err, "key: EVP_PKEY_get_bn_param(qx, qy)");
		goto out;
	}
	out->curve = SNP_CURVE_P384;
	if ((ret = bn_to_field(x, "key: QX", out->qx, err)) != 0 ||
	    (ret = bn_to_field(y, "key: QY", out->qy, err)) != 0)
		goto out;
	ret = 0;
out:
	if (ret)
		memset(out, 0, sizeof(*out));
	BN_free(x);
	BN_free(y);
	return ret;
}

/* Big-endian copy of the low 48 bytes of a little-endian field. */
static void field_to_be(const uint8_t le[SNP_ECDSA_COMPONENT_SIZE], uint8_t be[P384])
{
	for (size_t i = 0; i < P384; i++)
		be[i] = le[P384 - 1 - i];
}

/* Bytes 48..71 are zero after id_auth_parse; callers' own structs are checked too. */
static int field_check(const uint8_t f[SNP_ECDSA_COMPONENT_SIZE], const char *what,
		       struct snp_err *err)
{
	for (size_t i = P384; i < SNP_ECDSA_COMPONENT_SIZE; i++)
		if (f[i])
			return snp_errf(err, SNP_E_INVALID, "%s: byte %zu is 0x%02x, must be zero",
					what, i, f[i]);
	return 0;
}

int idblock_pubkey_to_pkey(const struct snp_pubkey *pk, EVP_PKEY **out, struct snp_err *err)
{
	uint8_t point[1 + 2 * P384];
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL, *cctx = NULL;
	EVP_PKEY *key = NULL;
	int ret = SNP_E_INTERNAL;

	*out = NULL;
	ERR_clear_error();
	if (pk->curve != SNP_CURVE_P384) {
		ret = snp_errf(err, SNP_E_UNSUPPORTED,
			       "public key: CURVE %u is not supported (want 2, P-384)", pk->curve);
		goto out;
	}
	if ((ret = field_check(pk->qx, "public key: QX", err)) != 0 ||
	    (ret = field_check(pk->qy, "public key: QY", err)) != 0)
		goto out;
	point[0] = POINT_CONVERSION_UNCOMPRESSED;
	field_to_be(pk->qx, point + 1);
	field_to_be(pk->qy, point + 1 + P384);
	bld = OSSL_PARAM_BLD_new();
	if (!bld ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, SN_secp384r1, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld))) {
		ret = snp_err_openssl(err, "public key: OSSL_PARAM_BLD");
		goto out;
	}
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1) {
		ret = snp_err_openssl(err, "public key: EVP_PKEY_fromdata_init");
		goto out;
	}
	if (EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		snp_err_openssl(err, "public key: QX/QY is not a P-384 point");
		ret = recode(err, SNP_E_INVALID);
		goto out;
	}
	/* fromdata decodes the point; the public check also rules out infinity and small order. */
	cctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	if (!cctx) {
		ret = snp_err_openssl(err, "public key: EVP_PKEY_CTX_new_from_pkey");
		goto out;
	}
	if (EVP_PKEY_public_check(cctx) != 1) {
		snp_err_openssl(err, "public key: QX/QY is not a valid P-384 public key");
		ret = recode(err, SNP_E_INVALID);
		goto out;
	}
	*out = key;
	key = NULL;
	ret = 0;
out:
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(cctx);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return ret;
}

static int sha384(const uint8_t *data, size_t len, uint8_t out[SNP_ID_DIGEST_SIZE],
		  struct snp_err *err)
{
	unsigned int n = 0;

	if (EVP_Digest(data, len, out, &n, EVP_sha384(), NULL) != 1 || n != SNP_ID_DIGEST_SIZE)
		return snp_err_openssl(err, "SHA-384");
	return 0;
}

int idblock_key_digest(const struct snp_pubkey *pk, uint8_t digest[SNP_ID_DIGEST_SIZE],
		       struct snp_err *err)
{
	uint8_t buf[SNP_PUBKEY_SIZE];

	snp_pubkey_write(pk, buf);
	return sha384(buf, sizeof(buf), digest, err);
}

int idblock_sig_sign(EVP_PKEY *key, const uint8_t *msg, size_t len, struct snp_ecdsa_sig *sig,
		     struct snp_err *err)
{
	EVP_MD_CTX *md = NULL;
	ECDSA_SIG *es = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	const BIGNUM *r, *s;
	size_t derlen = 0;
	int ret = SNP_E_INTERNAL;

	memset(sig, 0, sizeof(*sig));
	ERR_clear_error();
	if ((ret = key_check_p384(key, "signing key", err)) != 0)
		goto out;
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestSignInit_ex(md, NULL, "SHA384", NULL, NULL, key, NULL) != 1 ||
	    EVP_DigestSign(md, NULL, &derlen, msg, len) != 1) {
		ret = snp_err_openssl(err, "EVP_DigestSignInit");
		goto out;
	}
	der = OPENSSL_malloc(derlen);
	if (!der) {
		ret = snp_errf(err, SNP_E_NOMEM, "signature: %zu bytes", derlen);
		goto out;
	}
	if (EVP_DigestSign(md, der, &derlen, msg, len) != 1) {
		ret = snp_err_openssl(err, "EVP_DigestSign");
		goto out;
	}
	p = der;
	if (derlen > LONG_MAX || !(es = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) ||
	    p != der + derlen) {
		ret = snp_err_openssl(err, "d2i_ECDSA_SIG");
		goto out;
	}
	ECDSA_SIG_get0(es, &r, &s);
	if ((ret = bn_to_field(r, "signature: R", sig->r, err)) != 0 ||
	    (ret = bn_to_field(s, "signature: S", sig->s, err)) != 0)
		goto out;
	ret = 0;
out:
	if (ret)
		memset(sig, 0, sizeof(*sig));
	ECDSA_SIG_free(es);
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	return ret;
}

/* DER (for EVP_DigestVerify) of a SEV-format signature; *der is OPENSSL_free'd by the caller. */
static int sig_to_der(const struct snp_ecdsa_sig *sig, const char *what, unsigned char **der,
		      int *derlen, struct snp_err *err)
{
	BIGNUM *r = NULL, *s = NULL;
	ECDSA_SIG *es = NULL;
	int ret = SNP_E_INTERNAL;

	*der = NULL;
	if ((ret = field_check(sig->r, what, err)) != 0 ||
	    (ret = field_check(sig->s, what, err)) != 0)
		goto out;
	r = BN_lebin2bn(sig->r, P384, NULL);
	s = BN_lebin2bn(sig->s, P384, NULL);
	es = ECDSA_SIG_new();
	if (!r || !s || !es || ECDSA_SIG_set0(es, r, s) != 1) {
		ret = snp_err_openssl(err, "%s: ECDSA_SIG_set0", what);
		goto out;
	}
	r = s = NULL; /* owned by es */
	*derlen = i2d_ECDSA_SIG(es, der);
	if (*derlen <= 0) {
		*der = NULL;
		ret = snp_err_openssl(err, "%s: i2d_ECDSA_SIG", what);
		goto out;
	}
	ret = 0;
out:
	ECDSA_SIG_free(es);
	BN_free(r);
	BN_free(s);
	return ret;
}

int idblock_sig_verify(const struct snp_pubkey *pk, const uint8_t *msg, size_t len,
		       const struct snp_ecdsa_sig *sig, const char *what, struct snp_err *err)
{
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *md = NULL;
	unsigned char *der = NULL;
	int derlen = 0, rc;
	int ret = SNP_E_INTERNAL;

	ERR_clear_error();
	if ((ret = idblock_pubkey_to_pkey(pk, &key, err)) != 0) {
		snp_err_prefix(err, "%s: ", what);
		/* A key that is not a curve point cannot have made this signature. */
		if (ret == SNP_E_INVALID)
			ret = recode(err, SNP_E_SIGNATURE);
		goto out;
	}
	if ((ret = sig_to_der(sig, what, &der, &derlen, err)) != 0)
		goto out;
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestVerifyInit_ex(md, NULL, "SHA384", NULL, NULL, key, NULL) != 1) {
		ret = snp_err_openssl(err, "%s: EVP_DigestVerifyInit", what);
		goto out;
	}
	rc = EVP_DigestVerify(md, der, (size_t)derlen, msg, len);
	if (rc != 1) {
		/*
		 * 0 is "does not verify"; OpenSSL also reports out-of-range R or S
		 * (zero, >= the group order) as an error. Either way the signature
		 * is not good, and nothing after it means anything.
		 */
		ERR_clear_error();
		ret = snp_errf(err, SNP_E_SIGNATURE, "%s does not verify", what);
		goto out;
	}
	ret = 0;
out:
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	EVP_PKEY_free(key);
	return ret;
}

int idblock_sign(const struct snp_id_block *block, EVP_PKEY *id_key, EVP_PKEY *author_key,
		 struct snp_id_auth *auth, struct snp_err *err)
{
	uint8_t bbuf[SNP_ID_BLOCK_SIZE], kbuf[SNP_PUBKEY_SIZE];
	struct snp_id_auth a = { 0 };
	int ret = SNP_E_INTERNAL;

	memset(auth, 0, sizeof(*auth));
	id_block_write(block, bbuf);
	a.id_key_algo = SNP_ID_ALGO_ECDSA_P384_SHA384;
	if ((ret = idblock_pubkey_from_pkey(id_key, &a.id_key, err)) != 0) {
		snp_err_prefix(err, "ID key: ");
		goto out;
	}
	if ((ret = idblock_sig_sign(id_key, bbuf, sizeof(bbuf), &a.id_block_sig, err)) != 0) {
		snp_err_prefix(err, "ID block signature: ");
		goto out;
	}
	if (author_key) {
		a.auth_key_algo = SNP_ID_ALGO_ECDSA_P384_SHA384;
		if ((ret = idblock_pubkey_from_pkey(author_key, &a.author_key, err)) != 0) {
			snp_err_prefix(err, "author key: ");
			goto out;
		}
		snp_pubkey_write(&a.id_key, kbuf);
		if ((ret = idblock_sig_sign(author_key, kbuf, sizeof(kbuf), &a.id_key_sig,
					    err)) != 0) {
			snp_err_prefix(err, "ID key signature: ");
			goto out;
		}
	}
	*auth = a;
	ret = 0;
out:
	return ret;
}

#define ID_BLOCK_SIG_WHAT "ID auth: ID_BLOCK_SIG (ID block signed by the ID key)"
#define ID_KEY_SIG_WHAT "ID auth: ID_KEY_SIG (ID key signed by the author key)"

int idblock_verify_auth(const uint8_t id_block[SNP_ID_BLOCK_SIZE],
			const uint8_t id_auth[SNP_ID_AUTH_SIZE], bool author_key_en,
			uint8_t id_key_digest[48], uint8_t author_key_digest[48],
			struct snp_err *err)
{
	/* The author signs the ID key structure exactly as it sits in the ID auth block. */
	const uint8_t *id_key_bytes = id_auth + SNP_ID_AUTH_OFF(id_key);
	uint8_t *masked = NULL;
	struct snp_id_block b;
	struct snp_id_auth a;
	int ret = SNP_E_INTERNAL;

	memset(id_key_digest, 0, SNP_ID_DIGEST_SIZE);
	memset(author_key_digest, 0, SNP_ID_DIGEST_SIZE);
	if ((ret = id_block_parse(id_block, SNP_ID_BLOCK_SIZE, &b, err)) != 0)
		goto out;
	if (author_key_en) {
		if ((ret = id_auth_parse(id_auth, SNP_ID_AUTH_SIZE, &a, err)) != 0)
			goto out;
	} else {
		/*
		 * Without AUTHOR_KEY_EN the firmware ignores the author fields
		 * (AUTH_KEY_ALGO, ID_KEY_SIG, AUTHOR_KEY): parse a copy with them
		 * cleared, so only what is used must be well-formed.
		 */
		if ((masked = malloc(SNP_ID_AUTH_SIZE)) == NULL) {
			ret = snp_errf(err, SNP_E_NOMEM, "ID auth: out of memory");
			goto out;
		}
		memcpy(masked, id_auth, SNP_ID_AUTH_SIZE);
		memset(masked + SNP_ID_AUTH_OFF(auth_key_algo), 0, 4);
		memset(masked + SNP_ID_AUTH_OFF(id_key_sig), 0, SNP_ECDSA_SIG_SIZE + SNP_PUBKEY_SIZE);
		if ((ret = id_auth_parse(masked, SNP_ID_AUTH_SIZE, &a, err)) != 0)
			goto out;
	}
	/* The signed bytes are the caller's bytes, exactly as the firmware sees them. */
	if ((ret = idblock_sig_verify(&a.id_key, id_block, SNP_ID_BLOCK_SIZE, &a.id_block_sig,
				      ID_BLOCK_SIG_WHAT, err)) != 0)
		goto out;
	if (author_key_en) {
		if (a.auth_key_algo == 0) {
			ret = snp_errf(err, SNP_E_SIGNATURE,
				       "ID auth: ID_KEY_SIG: AUTHOR_KEY_EN is set but "
				       "AUTH_KEY_ALGO at 0x004 is 0 (no author key)");
			goto out;
		}
		if ((ret = idblock_sig_verify(&a.author_key, id_key_bytes, SNP_PUBKEY_SIZE,
					      &a.id_key_sig, ID_KEY_SIG_WHAT, err)) != 0)
			goto out;
	}
	if ((ret = sha384(id_key_bytes, SNP_PUBKEY_SIZE, id_key_digest, err)) != 0)
		goto out;
	if (author_key_en && (ret = sha384(id_auth + SNP_ID_AUTH_OFF(author_key), SNP_PUBKEY_SIZE,
					   author_key_digest, err)) != 0)
		goto out;
	ret = 0;
out:
	free(masked);
	if (ret) {
		memset(id_key_digest, 0, SNP_ID_DIGEST_SIZE);
		memset(author_key_digest, 0, SNP_ID_DIGEST_SIZE);
	}
	return ret;
}

int idblock_make(const struct snp_id_block *block, EVP_PKEY *id_key, EVP_PKEY *author_key,
		 struct idblock_result *out, struct snp_err *err)
{
	struct idblock_result res = { 0 };
	struct snp_id_block check;
	struct snp_id_auth auth;
	int ret = SNP_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	id_block_write(block, res.id_block);
	/* The parser holds the rules for VERSION and POLICY; apply them before signing. */
	if ((ret = id_block_parse(res.id_block, sizeof(res.id_block), &check, err)) != 0 ||
	    (ret = idblock_sign(block, id_key, author_key, &auth, err)) != 0)
		goto out;
	id_auth_write(&auth, res.id_auth);
	res.author_key_en = author_key != NULL;
	if ((ret = idblock_verify_auth(res.id_block, res.id_auth, res.author_key_en,
				       res.id_key_digest, res.author_key_digest, err)) != 0) {
		snp_err_prefix(err, "self-check of the signed blocks: ");
		/* Fresh signatures that do not verify are a bug, not a refusal. */
		if (ret == SNP_E_SIGNATURE)
			ret = recode(err, SNP_E_INTERNAL);
		goto out;
	}
	*out = res;
	ret = 0;
out:
	return ret;
}
