/*
 * Building, signing and verifying the SNP_LAUNCH_FINISH ID block and ID auth
 * block (SNP ABI spec 56860 §8.18; docs/id-block.md) with OpenSSL 3 EVP: ECDSA P-384
 * over SHA-384, keys in the SEV public key format, SHA-384 key digests.
 * Layouts live in abi/idblock.h; this file is the crypto on top of them.
 */
#ifndef SNPVM_MEASURE_IDBLOCK_H
#define SNPVM_MEASURE_IDBLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "abi/idblock.h"
#include "util/err.h"

/* Defaults of `snpvm id-block` (and of QEMU / sev-snp-measure). */
#define IDBLOCK_DEFAULT_POLICY 0x30000ull

/*
 * Sets b to the defaults with ld as the expected launch digest: FAMILY_ID
 * and IMAGE_ID zero, VERSION 1, GUEST_SVN 0, POLICY 0x30000.
 */
void idblock_init(struct snp_id_block *b, const uint8_t ld[48]);

/*
 * Loads an EC P-384 private key from PEM text (SEC1 "EC PRIVATE KEY" or
 * PKCS#8). `what` names the key in messages ("--id-key"). Fails with
 * SNP_E_INVALID if the text is not a private key, or the key is not EC
 * P-384. *out is owned by the caller (EVP_PKEY_free); NULL on failure.
 */
int idblock_key_from_pem(const char *pem, size_t len, const char *what, EVP_PKEY **out,
			 struct snp_err *err) SNP_MUST_CHECK;

/* idblock_key_from_pem on a file's contents (at most 64 KiB); the read buffer is wiped. */
int idblock_key_load(const char *path, EVP_PKEY **out, struct snp_err *err) SNP_MUST_CHECK;

/*
 * The SEV public key structure of a P-384 key (public or private): curve 2,
 * QX and QY little-endian. SNP_E_INVALID if key is not EC P-384.
 */
int idblock_pubkey_from_pkey(const EVP_PKEY *key, struct snp_pubkey *out,
			     struct snp_err *err) SNP_MUST_CHECK;

/*
 * An EVP_PKEY (public only) from a SEV public key structure; fails with
 * SNP_E_UNSUPPORTED for a curve other than 2 and SNP_E_INVALID for a point
 * not on the curve. *out is owned by the caller; NULL on failure.
 */
int idblock_pubkey_to_pkey(const struct snp_pubkey *pk, EVP_PKEY **out,
			   struct snp_err *err) SNP_MUST_CHECK;

/* SHA-384 of the 1028-byte structure of pk: the report's ID_KEY_DIGEST / AUTHOR_KEY_DIGEST. */
int idblock_key_digest(const struct snp_pubkey *pk, uint8_t digest[SNP_ID_DIGEST_SIZE],
		       struct snp_err *err) SNP_MUST_CHECK;

/* Signs msg with key (ECDSA P-384, SHA-384) and stores R and S in the SEV format. */
int idblock_sig_sign(EVP_PKEY *key, const uint8_t *msg, size_t len, struct snp_ecdsa_sig *sig,
		     struct snp_err *err) SNP_MUST_CHECK;

/*
 * Verifies a SEV-format signature over msg with pk. Returns 0, or
 * SNP_E_SIGNATURE naming `what` when it does not verify or pk is not a
 * P-384 point, SNP_E_UNSUPPORTED for another curve, SNP_E_CRYPTO when
 * OpenSSL fails.
 */
int idblock_sig_verify(const struct snp_pubkey *pk, const uint8_t *msg, size_t len,
		       const struct snp_ecdsa_sig *sig, const char *what,
		       struct snp_err *err) SNP_MUST_CHECK;

/*
 * Fills *auth for block: ID_BLOCK_SIG by id_key over the 96 ID block bytes,
 * ID_KEY; and when author_key is non-NULL, ID_KEY_SIG by author_key over the
 * 1028 ID_KEY bytes and AUTHOR_KEY (else those stay zero, AUTH_KEY_ALGO 0).
 * Keys are borrowed. *auth is zeroed on failure.
 */
int idblock_sign(const struct snp_id_block *block, EVP_PKEY *id_key, EVP_PKEY *author_key,
		 struct snp_id_auth *auth, struct snp_err *err) SNP_MUST_CHECK;

/*
 * Verifies ID_AUTH for ID_BLOCK as the firmware does at SNP_LAUNCH_FINISH:
 * the ID block signature with the ID key; when author_key_en, the ID key
 * structure signature with the author key. Outputs the SHA-384 digests of
 * the ID and author public key structures (author digest zero when
 * !author_key_en). Without author_key_en the author fields (AUTH_KEY_ALGO,
 * ID_KEY_SIG, AUTHOR_KEY) are ignored, as the firmware ignores them. Returns
 * 0, SNP_E_SIGNATURE (naming which signature), or a parse error. On failure
 * both digests are zeroed.
 */
int idblock_verify_auth(const uint8_t id_block[SNP_ID_BLOCK_SIZE],
			const uint8_t id_auth[SNP_ID_AUTH_SIZE], bool author_key_en,
			uint8_t id_key_digest[48], uint8_t author_key_digest[48],
			struct snp_err *err) SNP_MUST_CHECK;

/* Everything `snpvm id-block` produces, as the firmware and QEMU consume it. */
struct idblock_result {
	uint8_t id_block[SNP_ID_BLOCK_SIZE];
	uint8_t id_auth[SNP_ID_AUTH_SIZE];
	uint8_t id_key_digest[SNP_ID_DIGEST_SIZE];
	uint8_t author_key_digest[SNP_ID_DIGEST_SIZE]; /* zero without an author key */
	bool author_key_en;                             /* SNP_LAUNCH_FINISH AUTH_KEY_EN */
};

/*
 * Checks block (VERSION 1, POLICY valid: SNP_E_VERSION / SNP_E_RESERVED),
 * signs it with idblock_sign (author_key may be NULL), writes both wire
 * blocks and checks them with idblock_verify_auth, which also yields the
 * digests. Keys are borrowed. *out is zeroed on failure.
 */
int idblock_make(const struct snp_id_block *block, EVP_PKEY *id_key, EVP_PKEY *author_key,
		 struct idblock_result *out, struct snp_err *err) SNP_MUST_CHECK;

#endif
