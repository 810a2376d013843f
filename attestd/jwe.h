/*
 * Secret wrapping: a flattened JSON JWE (RFC 7516 §7.2.2) to the guest's
 * tee-pubkey, as the Trustee KBS protocol's resource response carries it
 * (confidential-containers/trustee, kbs/docs/kbs_attestation_protocol.md).
 *
 *   EC key  (P-256/384/521): alg ECDH-ES+A256KW (RFC 7518 §4.6, Concat KDF
 *           with SHA-256), the ephemeral "epk" in the protected header
 *   RSA key (>= 3072 bits):  alg RSA-OAEP-256 (RFC 7518 §4.3: OAEP with
 *           SHA-256 and MGF1-SHA-256)
 *   always  enc A256GCM with a fresh random CEK; AAD = the protected header
 *
 * libjose builds and opens the JWE. Debian 12's libjose 11 was compiled
 * without OAEP (its RSA wrap offers only RSA1_5, which attestd refuses), so
 * for RSA-OAEP-256 the CEK alone is wrapped by OpenSSL's EVP_PKEY_encrypt
 * with OAEP padding and libjose encrypts the content under that CEK
 * (jose_jwe_enc_cek / jose_jwe_dec_cek); nothing here implements a
 * cryptographic primitive.
 *
 * Secrets: the CEK and plaintext buffers that this code holds are wiped
 * (OPENSSL_cleanse) before release. Temporary copies that libjose makes
 * inside its own I/O chain are outside its control.
 */
#ifndef SNPVM_ATTESTD_JWE_H
#define SNPVM_ATTESTD_JWE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/err.h"
#include "util/secret.h"

struct jwk_pub;

/* Largest plaintext jwe_wrap accepts and jwe_open returns (an empty one is refused). */
#define JWE_MAX_PLAINTEXT (64 * 1024)
/* Largest JWE text jwe_open reads. */
#define JWE_MAX_TEXT (128 * 1024)

/*
 * Encrypts len bytes of pt to key (validated by jwk_pub_parse) and returns
 * the flattened JWE as compact JSON text in *out ({"protected",
 * "encrypted_key", "iv", "ciphertext", "tag"}; NUL-terminated, malloc'd,
 * the caller frees it). Does not keep or modify pt.
 */
int jwe_wrap(const struct jwk_pub *key, const uint8_t *pt, size_t len, char **out,
	     struct snp_err *err) SNP_MUST_CHECK;

/*
 * Opens the flattened JWE text (len bytes) with the private JWK priv (EC or
 * RSA, e.g. from jwk_generate). Accepts only the two algorithm pairs above,
 * chosen by priv's key type; both alg and enc must be in the integrity-
 * protected header; refuses "zip", "crit" and any header or member it does
 * not know (naming it), the general serialization, an epk on another curve.
 * On success the plaintext is in *pt (release with secret_free); on failure
 * *pt is zeroed and err says why (SNP_E_INVALID malformed, SNP_E_UNSUPPORTED
 * algorithm, SNP_E_CRYPTO the key does not open it or it was altered).
 */
int jwe_open(const json_t *priv, const char *text, size_t len, struct secret *pt,
	     struct snp_err *err) SNP_MUST_CHECK;

#endif
