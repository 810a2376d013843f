#include "attestd/ear.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "attestd/b64url.h"
#include "attestd/jose-cfg.h"
#include "attestd/jose-dl.h"
#include "attestd/jwk.h"

#define HEADER_MAX 1024

static const char *const ear_tiers[] = { "none", "affirming", "warning", "contraindicated" };

static int valid_status(const char *s)
{
	for (size_t i = 0; s && i < sizeof(ear_tiers) / sizeof(ear_tiers[0]); i++) {
		if (strcmp(s, ear_tiers[i]) == 0)
			return 1;
	}
	return 0;
}

int ear_key_generate(json_t **jwk, struct snp_err *err)
{
	struct josecfg jc = { 0 };
	json_t *k = NULL, *kid;
	int ret;

	*jwk = NULL;
	if ((ret = jwk_generate(JWK_EC_P384, &k, err)) != 0 ||
	    (ret = josecfg_open(&jc, err)) != 0)
		goto out;
	/* RFC 7638 thumbprint over the required public members, SHA-256. */
	kid = jose_jwk_thp(jc.cfg, k, "S256");
	if (!json_is_string(kid)) {
		json_decref(kid);
		ret = josecfg_fail(&jc, err, SNP_E_CRYPTO, "ear: RFC 7638 thumbprint");
		goto out;
	}
	if (json_object_set_new(k, "kid", kid) != 0 ||
	    json_object_set_new(k, "alg", json_string("ES384")) != 0) {
		ret = snp_errf(err, SNP_E_NOMEM, "ear: out of memory");
		goto out;
	}
	*jwk = k;
	k = NULL;
	ret = 0;
out:
	jwk_free_private(k);
	josecfg_close(&jc);
	return ret;
}

int ear_key_public(const json_t *jwk, json_t **pub, struct snp_err *err)
{
	int ret;

	if ((ret = jwk_public_of(jwk, pub, err)) != 0)
		return ret;
	/* jose_jwk_pub keeps kid and alg; "use" tells JWKS readers what the key is for. */
	if (json_object_set_new(*pub, "use", json_string("sig")) != 0) {
		json_decref(*pub);
		*pub = NULL;
		return snp_errf(err, SNP_E_NOMEM, "ear: out of memory");
	}
	return 0;
}

static json_t *claims_json(const struct ear_claims *c)
{
	json_t *claims = json_pack("{s:s,s:I,s:I,s:{s:s,s:s},s:{s:{s:s,s:s,s:I,s:O}}}",
			 "eat_profile", EAR_PROFILE, "iat", (json_int_t)c->iat,
			 "exp", (json_int_t)c->exp,
			 "ear.verifier-id", "developer", "snpvm", "build", "snpvm " SNPVM_VERSION,
			 "submods", EAR_SUBMOD, "ear.status", c->status,
			 "ear.appraisal-policy-id", c->policy_id,
			 "snpvm.policy-version", (json_int_t)c->policy_version,
			 "ear.veraison.annotated-evidence", c->appraised);

	if (claims && c->cnf_jwk &&
	    json_object_set_new(claims, "cnf", json_pack("{s:O}", "jwk", c->cnf_jwk)) != 0) {
		json_decref(claims);
		return NULL;
	}
	return claims;
}

static int check_signing_key(const json_t *key, struct snp_err *err)
{
	const char *kty = NULL, *crv = NULL, *kid = NULL;

	if (json_unpack((json_t *)key, "{s:s,s:s,s:s}", "kty", &kty, "crv", &crv, "kid", &kid) != 0 ||
	    strcmp(kty, "EC") != 0 || strcmp(crv, "P-384") != 0 || !json_object_get(key, "d"))
		return snp_errf(err, SNP_E_INVALID, "ear: signing key: not a P-384 private key "
				"with a kid");
	return 0;
}

struct ear_signer {
	atomic_int refs;
	EVP_PKEY *pkey;
	char *kid;
};

int ear_signer_new(const json_t *key, struct ear_signer **out, struct snp_err *err)
{
	struct ear_signer *s = NULL;
	struct josecfg jc = { 0 };
	int ret;

	*out = NULL;
	if ((ret = check_signing_key(key, err)) != 0 || (ret = josecfg_open(&jc, err)) != 0)
		return ret;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->kid = strdup(json_string_value(json_object_get(key, "kid")))) == NULL) {
		ret = snp_errf(err, SNP_E_NOMEM, "ear: out of memory");
		goto out;
	}
	atomic_init(&s->refs, 1);
	/* libjose's conversion runs EC_KEY_check_key: on the curve, n·Q = O, d·G = Q. */
	if ((s->pkey = jose_openssl_jwk_to_EVP_PKEY(jc.cfg, key)) == NULL ||
	    EVP_PKEY_get_base_id(s->pkey) != EVP_PKEY_EC || EVP_PKEY_get_bits(s->pkey) != 384) {
		ret = josecfg_fail(&jc, err, SNP_E_INVALID, "ear: signing key: not a valid P-384 "
				   "private key");
		goto out;
	}
	*out = s;
	s = NULL;
	ret = 0;
out:
	ear_signer_free(s);
	josecfg_close(&jc);
	return ret;
}

struct ear_signer *ear_signer_ref(struct ear_signer *s)
{
	atomic_fetch_add(&s->refs, 1);
	return s;
}

void ear_signer_free(struct ear_signer *s)
{
	if (s == NULL || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	EVP_PKEY_free(s->pkey);
	free(s->kid);
	free(s);
}

const char *ear_signer_kid(const struct ear_signer *s)
{
	return s->kid;
}

static int check_claims_in(const struct ear_claims *c, struct snp_err *err)
{
	if (!valid_status(c->status))
		return snp_errf(err, SNP_E_INVALID, "ear: ear.status \"%.32s\" is not an EAR tier",
				c->status ? c->status : "(null)");
	if (!json_is_object(c->appraised))
		return snp_errf(err, SNP_E_INVALID, "ear: appraised claims: not a JSON object");
	if (c->exp <= c->iat)
		return snp_errf(err, SNP_E_INVALID, "ear: exp %lld is not after iat %lld",
				(long long)c->exp, (long long)c->iat);
	if (!c->policy_id || !c->policy_id[0])
		return snp_errf(err, SNP_E_INVALID, "ear: empty policy id");
	if (c->policy_version > (uint64_t)INT64_MAX)
		return snp_errf(err, SNP_E_INVALID, "ear: policy version out of range");
	if (c->cnf_jwk && (!json_is_object(c->cnf_jwk) || json_object_get(c->cnf_jwk, "d") ||
			   json_object_get(c->cnf_jwk, "p") || json_object_get(c->cnf_jwk, "k")))
		return snp_errf(err, SNP_E_INVALID, "ear: cnf: not a public JWK");
	return 0;
}

/* base64url (libjose) of len bytes as a malloc'd C string. */
static char *b64_str(const void *p, size_t len)
{
	json_t *v = jose_b64_enc(p, len);
	char *s = json_is_string(v) ? strdup(json_string_value(v)) : NULL;

	json_decref(v);
	return s;
}

/* ES384 over in: the DER ECDSA signature from OpenSSL, re-encoded as R || S (RFC 7518 §3.4). */
static int es384(EVP_PKEY *pkey, const char *in, size_t len, uint8_t rs[96], struct snp_err *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t der[160];
	const uint8_t *dp = der;
	size_t dlen = sizeof(der);
	ECDSA_SIG *sig = NULL;
	const BIGNUM *r, *s;
	int ret = SNP_E_CRYPTO;

	ERR_clear_error();
	if (!md || EVP_DigestSignInit_ex(md, NULL, "SHA384", NULL, NULL, pkey, NULL) != 1 ||
	    EVP_DigestSign(md, der, &dlen, (const uint8_t *)in, len) != 1) {
		ret = snp_err_openssl(err, "ear: ES384 signature");
		goto out;
	}
	if ((sig = d2i_ECDSA_SIG(NULL, &dp, (long)dlen)) == NULL || dp != der + dlen) {
		ret = snp_err_openssl(err, "ear: ES384 signature: DER");
		goto out;
	}
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, rs, 48) != 48 || BN_bn2binpad(s, rs + 48, 48) != 48) {
		ret = snp_errf(err, SNP_E_CRYPTO, "ear: ES384 signature: R or S wider than 48 bytes");
		goto out;
	}
	ret = 0;
out:
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	return ret;
}

int ear_sign_with(const struct ear_signer *sg, const struct ear_claims *c, char **token,
		  json_t **claims_out, struct snp_err *err)
{
	json_t *claims = NULL, *hdr = NULL;
	char *payload = NULL, *htext = NULL, *h64 = NULL, *p64 = NULL, *s64 = NULL, *input = NULL;
	uint8_t rs[96];
	int ret = SNP_E_INTERNAL;

	*token = NULL;
	if (claims_out)
		*claims_out = NULL;
	if ((ret = check_claims_in(c, err)) != 0)
		return ret;
	claims = claims_json(c);
	payload = claims ? json_dumps(claims, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	hdr = json_pack("{s:s,s:s,s:s}", "alg", "ES384", "kid", sg->kid, "typ", "JWT");
	htext = hdr ? json_dumps(hdr, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	h64 = htext ? b64_str(htext, strlen(htext)) : NULL;
	p64 = payload ? b64_str(payload, strlen(payload)) : NULL;
	if (!h64 || !p64 || asprintf(&input, "%s.%s", h64, p64) < 0) {
		input = NULL;
		ret = snp_errf(err, SNP_E_NOMEM, "ear: out of memory");
		goto out;
	}
	/* JWS signing input ASCII(b64(header) '.' b64(payload)), RFC 7515 §5.1. */
	if ((ret = es384(sg->pkey, input, strlen(input), rs, err)) != 0)
		goto out;
	if ((s64 = b64_str(rs, sizeof(rs))) == NULL ||
	    asprintf(token, "%s.%s", input, s64) < 0) {
		*token = NULL;
		ret = snp_errf(err, SNP_E_NOMEM, "ear: out of memory");
		goto out;
	}
	if (claims_out &&
	    (*claims_out = json_loads(payload, JSON_REJECT_DUPLICATES, NULL)) == NULL) {
		free(*token);
		*token = NULL;
		ret = snp_errf(err, SNP_E_NOMEM, "ear: out of memory");
		goto out;
	}
	ret = 0;
out:
	free(payload);
	free(htext);
	free(h64);
	free(p64);
	free(s64);
	free(input);
	json_decref(claims);
	json_decref(hdr);
	return ret;
}

int ear_sign(const json_t *key, const struct ear_claims *c, char **token, struct snp_err *err)
{
	struct ear_signer *s = NULL;
	int ret;

	*token = NULL;
	if ((ret = check_claims_in(c, err)) != 0 || (ret = ear_signer_new(key, &s, err)) != 0)
		return ret;
	ret = ear_sign_with(s, c, token, NULL, err);
	ear_signer_free(s);
	return ret;
}

/* Splits a compact JWS into its three parts, each strict base64url. */
static int split_token(const char *token, size_t len, const char *part[3], size_t plen[3],
		       struct snp_err *err)
{
	static const char *const names[] = { "header", "payload", "signature" };
	size_t start = 0, n = 0;

	for (size_t i = 0; i <= len && n < 3; i++) {
		if (i == len || token[i] == '.') {
			part[n] = token + start;
			plen[n++] = i - start;
			start = i + 1;
		}
	}
	if (n != 3 || start != len + 1)
		return snp_errf(err, SNP_E_INVALID, "ear: token: not three dot-separated parts");
	for (int i = 0; i < 3; i++) {
		for (size_t k = 0; k < plen[i]; k++) {
			char ch = part[i][k];

			if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
			      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
				return snp_errf(err, SNP_E_INVALID, "ear: token %s: not base64url",
						names[i]);
		}
	}
	return 0;
}

static int check_header(const char *h, size_t hlen, const char **kid, json_t **hdr,
			struct snp_err *err)
{
	uint8_t raw[HEADER_MAX];
	const char *key, *alg, *typ;
	json_t *val;
	size_t n;
	int ret;

	*hdr = NULL;
	if ((ret = b64url_decode(h, hlen, "ear: token header", raw, sizeof(raw), &n, err)) != 0)
		return ret;
	*hdr = json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(*hdr))
		return snp_errf(err, SNP_E_INVALID, "ear: token header: not a JSON object");
	json_object_foreach(*hdr, key, val) {
		if (strcmp(key, "alg") != 0 && strcmp(key, "kid") != 0 && strcmp(key, "typ") != 0)
			return snp_errf(err, SNP_E_INVALID, "ear: token header: \"%.32s\" is not "
					"allowed", key);
	}
	alg = json_string_value(json_object_get(*hdr, "alg"));
	*kid = json_string_value(json_object_get(*hdr, "kid"));
	typ = json_string_value(json_object_get(*hdr, "typ"));
	if (!alg || strcmp(alg, "ES384") != 0)
		return snp_errf(err, SNP_E_INVALID, "ear: token header: alg must be ES384");
	if (!*kid)
		return snp_errf(err, SNP_E_INVALID, "ear: token header: kid missing");
	if (json_object_get(*hdr, "typ") && (!typ || strcmp(typ, "JWT") != 0))
		return snp_errf(err, SNP_E_INVALID, "ear: token header: typ must be JWT");
	return 0;
}

/* The P-384 public key named kid in jwks, as a fresh public-only JWK. */
static json_t *find_key(const json_t *jwks, const char *kid)
{
	json_t *keys = json_object_get(jwks, "keys"), *k;
	size_t i;

	json_array_foreach(keys, i, k) {
		const char *kkid = json_string_value(json_object_get(k, "kid"));
		const char *kty = json_string_value(json_object_get(k, "kty"));
		const char *crv = json_string_value(json_object_get(k, "crv"));

		if (!kkid || strcmp(kkid, kid) != 0)
			continue;
		if (!kty || strcmp(kty, "EC") != 0 || !crv || strcmp(crv, "P-384") != 0)
			return NULL;
		return json_pack("{s:s,s:s,s:O,s:O}", "kty", "EC", "crv", "P-384",
				 "x", json_object_get(k, "x"), "y", json_object_get(k, "y"));
	}
	return NULL;
}

static int check_claims(const json_t *claims, int64_t now, struct snp_err *err)
{
	json_t *iat = json_object_get(claims, "iat"), *exp = json_object_get(claims, "exp");
	const char *prof = json_string_value(json_object_get(claims, "eat_profile"));
	json_t *sub = json_object_get(json_object_get(claims, "submods"), EAR_SUBMOD);

	if (!json_is_integer(iat) || !json_is_integer(exp))
		return snp_errf(err, SNP_E_INVALID, "ear: claims: iat and exp must be integers");
	if (!prof || strcmp(prof, EAR_PROFILE) != 0)
		return snp_errf(err, SNP_E_INVALID, "ear: claims: eat_profile is not %s",
				EAR_PROFILE);
	if (!valid_status(json_string_value(json_object_get(sub, "ear.status"))))
		return snp_errf(err, SNP_E_INVALID, "ear: claims: submods.%s: no valid ear.status",
				EAR_SUBMOD);
	if (now >= json_integer_value(exp))
		return snp_errf(err, SNP_E_REFUSED, "ear: token expired at %lld (now %lld)",
				(long long)json_integer_value(exp), (long long)now);
	if (json_integer_value(iat) > now + EAR_IAT_SKEW)
		return snp_errf(err, SNP_E_REFUSED, "ear: token issued in the future: iat %lld, "
				"now %lld", (long long)json_integer_value(iat), (long long)now);
	return 0;
}

int ear_verify(const json_t *jwks, const char *token, size_t len, int64_t now, json_t **claims,
	       struct snp_err *err)
{
	char kid[EAR_KID_MAX + 1];

	return ear_verify_kid(jwks, token, len, now, claims, kid, err);
}

int ear_verify_kid(const json_t *jwks, const char *token, size_t len, int64_t now,
		   json_t **claims, char kid_out[EAR_KID_MAX + 1], struct snp_err *err)
{
	json_t *hdr = NULL, *key = NULL, *jws = NULL, *payload = NULL;
	struct josecfg jc = { 0 };
	const char *part[3], *kid = NULL;
	size_t plen[3];
	int ret = SNP_E_INTERNAL;

	*claims = NULL;
	if (len > EAR_MAX_TOKEN)
		return snp_errf(err, SNP_E_INVALID, "ear: token: %zu bytes, at most %d allowed",
				len, EAR_MAX_TOKEN);
	kid_out[0] = '\0';
	if ((ret = split_token(token, len, part, plen, err)) != 0 ||
	    (ret = check_header(part[0], plen[0], &kid, &hdr, err)) != 0)
		goto out;
	if (strlen(kid) > EAR_KID_MAX) {
		ret = snp_errf(err, SNP_E_INVALID, "ear: token header: kid longer than %d bytes",
			       EAR_KID_MAX);
		goto out;
	}
	key = find_key(jwks, kid);
	if (!key) {
		ret = snp_errf(err, SNP_E_SIGNATURE, "ear: no P-384 key with kid \"%.64s\" in the "
			       "JWKS", kid);
		goto out;
	}
	if ((ret = josecfg_open(&jc, err)) != 0)
		goto out;
	jws = json_pack("{s:s%,s:s%,s:s%}", "protected", part[0], plen[0], "payload", part[1],
			plen[1], "signature", part[2], plen[2]);
	if (!jws) {
		ret = snp_errf(err, SNP_E_NOMEM, "ear: out of memory");
		goto out;
	}
	if (!jose_jws_ver(jc.cfg, jws, NULL, key, false)) {
		ret = josecfg_fail(&jc, err, SNP_E_SIGNATURE, "ear: ES384 signature does not "
				   "verify with key \"%.64s\"", kid);
		goto out;
	}
	payload = jose_b64_dec_load(json_object_get(jws, "payload"));
	if (!json_is_object(payload)) {
		ret = snp_errf(err, SNP_E_INVALID, "ear: claims: not a JSON object");
		goto out;
	}
	if ((ret = check_claims(payload, now, err)) != 0)
		goto out;
	snprintf(kid_out, EAR_KID_MAX + 1, "%s", kid);
	*claims = payload;
	payload = NULL;
	ret = 0;
out:
	json_decref(payload);
	json_decref(jws);
	json_decref(key);
	json_decref(hdr);
	josecfg_close(&jc);
	return ret;
}
