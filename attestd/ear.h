/*
 * EAR attestation-result tokens (draft-ietf-rats-ear, EAT Attestation
 * Results): a JWT (RFC 7519) in JWS compact form (RFC 7515 §7.1), signed
 * ES384 (RFC 7518 §3.4) by attestd, carried to the guest and back as a
 * Bearer token. Claims, in the dotted names Trustee and Veraison emit:
 *
 *   {"eat_profile": EAR_PROFILE, "iat": N, "exp": N,
 *    "ear.verifier-id": {"developer": "snpvm", "build": "snpvm <version>"},
 *    "submods": {"cpu0": {"ear.status": "affirming" | "warning" |
 *                                       "contraindicated" | "none",
 *                         "ear.appraisal-policy-id": "<policy id>",
 *                         "snpvm.policy-version": N,
 *                         "ear.veraison.annotated-evidence": {appraised claims}}},
 *    ?"cnf": {"jwk": {the attested public key}}}
 *
 * The JWS header is {"alg":"ES384","kid":<RFC 7638 thumbprint>,"typ":"JWT"}.
 * Verification picks the key by kid from a JWKS (RFC 7517 §5) and checks
 * expiry against an injected time. libjose signs and verifies.
 */
#ifndef SNPVM_ATTESTD_EAR_H
#define SNPVM_ATTESTD_EAR_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/err.h"

#define EAR_PROFILE "tag:github.com,2023:veraison/ear"
#define EAR_SUBMOD "cpu0"
/* Largest token ear_verify reads. */
#define EAR_MAX_TOKEN (64 * 1024)
/* Tolerated clock skew for "iat" in the future (seconds). */
#define EAR_IAT_SKEW 60

struct ear_claims {
	const char *status;             /* one of the four ear.status tiers */
	const json_t *appraised;        /* JSON object, copied into the token */
	int64_t iat, exp;               /* seconds since the epoch; exp > iat */
	const char *policy_id;          /* non-empty */
	uint64_t policy_version;
	/*
	 * Optional (NULL: absent): the attested key the token is bound to, as a
	 * public JWK, emitted as the top-level confirmation claim
	 * "cnf": {"jwk": ...} (RFC 7800 §3.2), so a Bearer token names the key
	 * secrets are wrapped to. A private member in it is refused.
	 */
	const json_t *cnf_jwk;
};

/*
 * Generates a P-384 signing key with libjose, "alg":"ES384" and "kid" = its
 * RFC 7638 SHA-256 thumbprint (base64url). Release with jwk_free_private.
 */
int ear_key_generate(json_t **jwk, struct snp_err *err) SNP_MUST_CHECK;

/* The public half of a signing key, with its kid and alg, for a JWKS. */
int ear_key_public(const json_t *jwk, json_t **pub, struct snp_err *err) SNP_MUST_CHECK;

/*
 * Signs the claims with key (from ear_key_generate) into a JWS compact token
 * *token (malloc'd, NUL-terminated; the caller frees it). Refuses an unknown
 * status, a non-object appraised value, exp <= iat, an empty policy id or a
 * key that is not an ES384 P-384 private key with a kid. Converts key on
 * every call; a service signing many tokens keeps an ear_signer instead.
 */
int ear_sign(const json_t *key, const struct ear_claims *c, char **token,
	     struct snp_err *err) SNP_MUST_CHECK;

/*
 * A signing key converted once: libjose turns the private JWK into an
 * OpenSSL key (checking the point and that d matches it, two P-384 scalar
 * multiplications) when the signer is made, not per token. Reference
 * counted, so a key cache can hand it to several threads at once; the
 * OpenSSL key is only read while signing.
 */
struct ear_signer;

/*
 * Makes *out from key (the same checks as ear_sign). The JWK is not kept:
 * the caller still owns and wipes it. Release with ear_signer_free.
 */
int ear_signer_new(const json_t *key, struct ear_signer **out, struct snp_err *err) SNP_MUST_CHECK;

/* Another reference to s (returned). */
struct ear_signer *ear_signer_ref(struct ear_signer *s);

/* Drops a reference; the last one frees the key (OpenSSL wipes d). NULL is fine. */
void ear_signer_free(struct ear_signer *s);

/* The signer's kid (RFC 7638 thumbprint), valid while the reference is held. */
const char *ear_signer_kid(const struct ear_signer *s);

/*
 * As ear_sign with a converted key: ES384 over the JWS signing input
 * (RFC 7515 §5.1) by OpenSSL's EVP_DigestSign with SHA-384, the signature
 * as R || S, 48 bytes each (RFC 7518 §3.4). When claims is not NULL it
 * receives the payload as parsed back from the signed text, what
 * ear_verify would return for the token (the caller json_decrefs it).
 */
int ear_sign_with(const struct ear_signer *s, const struct ear_claims *c, char **token,
		  json_t **claims, struct snp_err *err) SNP_MUST_CHECK;

/*
 * Verifies token (len bytes) against jwks ({"keys": [...]}): the header must
 * be exactly ES384 with a kid (typ "JWT" optional; crit or anything else is
 * refused), the kid must name a P-384 public key in jwks, the signature must
 * verify, and at time now: iat <= now + EAR_IAT_SKEW and now < exp. The
 * payload must carry EAR_PROFILE and submods.cpu0's ear.status. On success
 * *claims is the payload object (caller json_decref). Fails SNP_E_INVALID
 * (malformed), SNP_E_SIGNATURE (unknown kid or bad signature), SNP_E_REFUSED
 * (expired or not yet valid).
 */
int ear_verify(const json_t *jwks, const char *token, size_t len, int64_t now, json_t **claims,
	       struct snp_err *err) SNP_MUST_CHECK;

/* Longest kid ear_verify_kid reports (attestd's kids are 43-character thumbprints). */
#define EAR_KID_MAX 128

/*
 * As ear_verify; on success kid (EAR_KID_MAX + 1 bytes) also receives the
 * kid of the key that verified the token. A longer kid fails SNP_E_INVALID.
 */
int ear_verify_kid(const json_t *jwks, const char *token, size_t len, int64_t now,
		   json_t **claims, char kid[EAR_KID_MAX + 1], struct snp_err *err) SNP_MUST_CHECK;

#endif
