/*
 * The guest's ephemeral public key, the runtime-data "tee-pubkey" member of
 * the Trustee KBS protocol: a JWK (RFC 7517) that attestd wraps secrets to.
 *
 * Accepted (RFC 7518 §6):
 *   EC  {"kty":"EC","crv":"P-256"|"P-384"|"P-521","x","y"}; x and y exactly
 *       the field size (32, 48, 66 bytes, RFC 7518 §6.2.1.2-3); the point
 *       must be on the curve (libjose's conversion runs OpenSSL's
 *       EC_KEY_check_key, then EVP_PKEY_public_check_quick: one scalar
 *       multiplication in all).
 *   RSA {"kty":"RSA","n","e"}; n of JWK_RSA_MIN_BITS..JWK_RSA_MAX_BITS bits,
 *       e odd with 2^16 < e < 2^256 (NIST SP 800-56B rev. 2 §6.2.1), both
 *       Base64urlUInt without leading zero octets (RFC 7518 §2, §6.3.1).
 * Optional: "alg" (only the algorithm attestd uses for that key type:
 * ECDH-ES+A256KW or RSA-OAEP-256), "use" (only "enc"), "kid" (a string of at
 * most JWK_KID_MAX bytes). Refused, naming the member: private members (d,
 * p, q, dp, dq, qi, oth, k), any other member, unknown kty or crv, members of
 * the other key type, and base64url that is not the unpadded canonical
 * alphabet of RFC 7515 §2.
 *
 * Parsing goes through jansson and libjose (jose_openssl_jwk_to_EVP_PKEY);
 * nothing here implements cryptography.
 */
#ifndef SNPVM_ATTESTD_JWK_H
#define SNPVM_ATTESTD_JWK_H

#include <stddef.h>

#include <jansson.h>

#include "util/err.h"

#define JWK_RSA_MIN_BITS 3072
#define JWK_RSA_MAX_BITS 8192
#define JWK_KID_MAX 256
#define JWK_MAX_MEMBERS 16
/* Largest JWK text jwk_pub_parse_text reads (an 8192-bit RSA key is ~1.4 KiB). */
#define JWK_MAX_TEXT 8192

enum jwk_kind {
	JWK_NONE = 0,
	JWK_EC_P256,
	JWK_EC_P384,
	JWK_EC_P521,
	JWK_RSA,
};

struct jwk_pub {
	enum jwk_kind kind;
	unsigned bits;          /* curve size or RSA modulus bits */
	json_t *jwk;            /* owned: only kty+crv+x+y or kty+n+e, as received */
};

/*
 * Validates in as described above. On success out->jwk is a fresh public
 * JWK holding only the key members (no alg, use or kid); free it with
 * jwk_pub_free. what prefixes messages ("tee-pubkey: x: ..."). Fails with
 * SNP_E_INVALID (malformed), SNP_E_UNSUPPORTED (kty, crv, alg) or
 * SNP_E_REFUSED (private members, a key below the size floor); out is then
 * zeroed.
 */
int jwk_pub_parse(const json_t *in, const char *what, struct jwk_pub *out,
		  struct snp_err *err) SNP_MUST_CHECK;

/* As jwk_pub_parse, from JSON text (at most JWK_MAX_TEXT bytes, no duplicate keys). */
int jwk_pub_parse_text(const char *text, size_t len, const char *what, struct jwk_pub *out,
		       struct snp_err *err) SNP_MUST_CHECK;

/* Releases k->jwk and zeroes k; safe on a zeroed struct. */
void jwk_pub_free(struct jwk_pub *k);

/* "EC P-256", "RSA", ...; never NULL. */
const char *jwk_kind_name(enum jwk_kind kind);

/*
 * Generates a fresh private key of the given kind with libjose (RSA:
 * JWK_RSA_MIN_BITS, e = 65537) into *priv; the caller releases it with
 * jwk_free_private. This is the guest agent's ephemeral key.
 */
int jwk_generate(enum jwk_kind kind, json_t **priv, struct snp_err *err) SNP_MUST_CHECK;

/* The public JWK of priv (a new object without private members) into *pub. */
int jwk_public_of(const json_t *priv, json_t **pub, struct snp_err *err) SNP_MUST_CHECK;

/*
 * Wipes the private members of jwk in place (OPENSSL_cleanse over the
 * jansson strings of d, p, q, dp, dq, qi, k) and drops the reference.
 * Copies that libjose made internally are beyond its reach. NULL is fine.
 */
void jwk_free_private(json_t *jwk);

#endif
