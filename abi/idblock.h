/*
 * ID_BLOCK and ID_AUTH, the optional inputs of SNP_LAUNCH_FINISH, with the
 * ECDSA signature and public key formats they embed. SEV-SNP ABI spec 56860:
 * the "ID Block Structure" and "ID Authentication Information Structure"
 * tables of SNP_LAUNCH_FINISH, and the "ECDSA P-384 with SHA-384 Signature"
 * and "ECDSA Public Key" formats of the cryptographic-formats chapter (tables
 * also in docs/id-block.md). Layout only: no crypto (measure/idblock.h signs
 * and verifies).
 */
#ifndef SNPVM_ABI_IDBLOCK_H
#define SNPVM_ABI_IDBLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define SNP_ID_BLOCK_SIZE 0x60
#define SNP_ID_AUTH_SIZE 0x1000
#define SNP_PUBKEY_SIZE 0x404
#define SNP_ECDSA_SIG_SIZE 0x200

#define SNP_ID_BLOCK_VERSION 1        /* the only ID block format */
#define SNP_ID_ALGO_ECDSA_P384_SHA384 1 /* ID_KEY_ALGO / AUTH_KEY_ALGO */
#define SNP_CURVE_P384 2              /* public key CURVE */
#define SNP_ECDSA_COMPONENT_SIZE 72   /* R, S, QX, QY fields: little-endian, zero-extended */
#define SNP_ECDSA_P384_BYTES 48       /* bytes of a P-384 value; the rest of 72 is zero */
#define SNP_ID_DIGEST_SIZE 48         /* SHA-384 of a public key structure */

/* Wire layouts as byte arrays (no padding) for offsetof/sizeof; never cast onto input. */
struct snp_id_block_layout {
	uint8_t ld[48];        /* 0x00 */
	uint8_t family_id[16]; /* 0x30 */
	uint8_t image_id[16];  /* 0x40 */
	uint8_t version[4];    /* 0x50 */
	uint8_t guest_svn[4];  /* 0x54 */
	uint8_t policy[8];     /* 0x58 */
};

struct snp_ecdsa_sig_layout {
	uint8_t r[72];         /* 0x000 */
	uint8_t s[72];         /* 0x048 */
	uint8_t reserved[368]; /* 0x090 */
};

struct snp_pubkey_layout {
	uint8_t curve[4];      /* 0x000 */
	uint8_t qx[72];        /* 0x004 */
	uint8_t qy[72];        /* 0x04C */
	uint8_t reserved[880]; /* 0x094 */
};

struct snp_id_auth_layout {
	uint8_t id_key_algo[4];                        /* 0x000 */
	uint8_t auth_key_algo[4];                      /* 0x004 */
	uint8_t reserved0[56];                         /* 0x008 */
	struct snp_ecdsa_sig_layout id_block_sig;      /* 0x040 */
	struct snp_pubkey_layout id_key;               /* 0x240 */
	uint8_t reserved1[60];                         /* 0x644 */
	struct snp_ecdsa_sig_layout id_key_sig;        /* 0x680 */
	struct snp_pubkey_layout author_key;           /* 0x880 */
	uint8_t reserved2[892];                        /* 0xC84 */
};

#define SNP_ID_AUTH_OFF(field) offsetof(struct snp_id_auth_layout, field)

/* Decoded ID_BLOCK. */
struct snp_id_block {
	uint8_t ld[48];
	uint8_t family_id[16];
	uint8_t image_id[16];
	uint32_t version;
	uint32_t guest_svn;
	uint64_t policy;
};

/* Decoded signature: R and S little-endian as on the wire (bytes 48..71 zero). */
struct snp_ecdsa_sig {
	uint8_t r[SNP_ECDSA_COMPONENT_SIZE];
	uint8_t s[SNP_ECDSA_COMPONENT_SIZE];
};

/* Decoded public key: QX and QY little-endian as on the wire (bytes 48..71 zero). */
struct snp_pubkey {
	uint32_t curve;
	uint8_t qx[SNP_ECDSA_COMPONENT_SIZE];
	uint8_t qy[SNP_ECDSA_COMPONENT_SIZE];
};

/*
 * Decoded ID_AUTH. auth_key_algo 0 means "no author key": id_key_sig and
 * author_key are then all zero.
 */
struct snp_id_auth {
	uint32_t id_key_algo;
	uint32_t auth_key_algo;
	struct snp_ecdsa_sig id_block_sig;
	struct snp_pubkey id_key;
	struct snp_ecdsa_sig id_key_sig;
	struct snp_pubkey author_key;
};

/*
 * Parses exactly SNP_ID_BLOCK_SIZE bytes. Checks VERSION == 1 (SNP_E_VERSION)
 * and POLICY (bit 17 set, bits 63:26 clear; SNP_E_RESERVED). On failure *out
 * is zeroed and err names the field and offset.
 */
int id_block_parse(const uint8_t *buf, size_t len, struct snp_id_block *out,
		   struct snp_err *err) SNP_MUST_CHECK;

/* Writes b as SNP_ID_BLOCK_SIZE bytes; the inverse of id_block_parse. */
void id_block_write(const struct snp_id_block *b, uint8_t out[SNP_ID_BLOCK_SIZE]);

/*
 * Parses exactly SNP_ID_AUTH_SIZE bytes. Checks ID_KEY_ALGO == 1, the ID key
 * (curve 2), the ID block signature's shape, all reserved bytes zero, and
 * either AUTH_KEY_ALGO == 1 with a well-formed author key, or AUTH_KEY_ALGO ==
 * 0 with ID_KEY_SIG and AUTHOR_KEY all zero. Shape only: signatures are
 * verified by idblock_verify_auth. On failure *out is zeroed.
 */
int id_auth_parse(const uint8_t *buf, size_t len, struct snp_id_auth *out,
		  struct snp_err *err) SNP_MUST_CHECK;

/* Writes a as SNP_ID_AUTH_SIZE bytes; the inverse of id_auth_parse. */
void id_auth_write(const struct snp_id_auth *a, uint8_t out[SNP_ID_AUTH_SIZE]);

/*
 * Parses a standalone 1028-byte public key structure: CURVE must be 2
 * (SNP_E_UNSUPPORTED otherwise), QX/QY bytes 48..71 and 0x094.. zero.
 */
int snp_pubkey_parse(const uint8_t *buf, size_t len, struct snp_pubkey *out,
		     struct snp_err *err) SNP_MUST_CHECK;

/* Writes pk as SNP_PUBKEY_SIZE bytes (the bytes ID_KEY_DIGEST hashes). */
void snp_pubkey_write(const struct snp_pubkey *pk, uint8_t out[SNP_PUBKEY_SIZE]);

/* Parses a standalone 512-byte signature: R/S bytes 48..71 and 0x090.. zero. */
int snp_ecdsa_sig_parse(const uint8_t *buf, size_t len, struct snp_ecdsa_sig *out,
			struct snp_err *err) SNP_MUST_CHECK;

/* Writes sig as SNP_ECDSA_SIG_SIZE bytes. */
void snp_ecdsa_sig_write(const struct snp_ecdsa_sig *sig, uint8_t out[SNP_ECDSA_SIG_SIZE]);

#endif
