/*
 * ATTESTATION_REPORT (SNP ABI spec 56860 §7.3, MSG_REPORT_RSP, table
 * "ATTESTATION_REPORT Structure"). One parser for versions 2-5 with
 * version-gated fields, and its inverse writer. Layout only: no crypto, no
 * policy beyond "is this a well-formed, signed report".
 */
#ifndef SNPVM_ABI_REPORT_H
#define SNPVM_ABI_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/tcb.h"
#include "util/err.h"

#define SNP_REPORT_SIZE 0x4A0
#define SNP_REPORT_SIGNED_LEN 0x2A0 /* bytes 0x000..0x29F are signed */
#define SNP_REPORT_SIG_OFFSET 0x2A0
#define SNP_MEASUREMENT_SIZE 48
#define SNP_REPORT_DATA_SIZE 64
#define SNP_HOST_DATA_SIZE 32
#define SNP_KEY_DIGEST_SIZE 48
#define SNP_SIG_COMPONENT_SIZE 72 /* R and S, little-endian */
#define SNP_P384_SIZE 48          /* bytes of R/S that may be non-zero */

#define SNP_SIG_ALGO_ECDSA_P384_SHA384 1

/* Signer info at 0x048. */
#define SNP_SIGNER_AUTHOR_KEY_EN (1u << 0)
#define SNP_SIGNER_MASK_CHIP_KEY (1u << 1)
#define SNP_SIGNER_KEY_SHIFT 2
#define SNP_SIGNER_KEY_MASK (7u << SNP_SIGNER_KEY_SHIFT)
#define SNP_SIGNER_MBZ_MASK (~0x1fu) /* bits 31:5 */

enum snp_signing_key {
	SNP_SIGNING_KEY_VCEK = 0,
	SNP_SIGNING_KEY_VLEK = 1,
	SNP_SIGNING_KEY_NONE = 7,
};

/*
 * The wire layout, as byte arrays only (so there is no padding), used for
 * offsetof/sizeof and static asserts. Untrusted bytes are never cast to it.
 */
struct snp_report_layout {
	uint8_t version[4];             /* 0x000 */
	uint8_t guest_svn[4];           /* 0x004 */
	uint8_t policy[8];              /* 0x008 */
	uint8_t family_id[16];          /* 0x010 */
	uint8_t image_id[16];           /* 0x020 */
	uint8_t vmpl[4];                /* 0x030 */
	uint8_t signature_algo[4];      /* 0x034 */
	uint8_t current_tcb[8];         /* 0x038 */
	uint8_t platform_info[8];       /* 0x040 */
	uint8_t signer_info[4];         /* 0x048 */
	uint8_t reserved0[4];           /* 0x04C */
	uint8_t report_data[64];        /* 0x050 */
	uint8_t measurement[48];        /* 0x090 */
	uint8_t host_data[32];          /* 0x0C0 */
	uint8_t id_key_digest[48];      /* 0x0E0 */
	uint8_t author_key_digest[48];  /* 0x110 */
	uint8_t report_id[32];          /* 0x140 */
	uint8_t report_id_ma[32];       /* 0x160 */
	uint8_t reported_tcb[8];        /* 0x180 */
	uint8_t cpuid_fam_id;           /* 0x188, v3+ */
	uint8_t cpuid_mod_id;           /* 0x189, v3+ */
	uint8_t cpuid_step;             /* 0x18A, v3+ */
	uint8_t reserved1[21];          /* 0x18B */
	uint8_t chip_id[64];            /* 0x1A0 */
	uint8_t committed_tcb[8];       /* 0x1E0 */
	uint8_t current_build;          /* 0x1E8 */
	uint8_t current_minor;          /* 0x1E9 */
	uint8_t current_major;          /* 0x1EA */
	uint8_t reserved2;              /* 0x1EB */
	uint8_t committed_build;        /* 0x1EC */
	uint8_t committed_minor;        /* 0x1ED */
	uint8_t committed_major;        /* 0x1EE */
	uint8_t reserved3;              /* 0x1EF */
	uint8_t launch_tcb[8];          /* 0x1F0 */
	uint8_t launch_mit_vector[8];   /* 0x1F8, v5 */
	uint8_t current_mit_vector[8];  /* 0x200, v5 */
	uint8_t reserved4[152];         /* 0x208 */
	uint8_t signature_r[72];        /* 0x2A0 */
	uint8_t signature_s[72];        /* 0x2E8 */
	uint8_t signature_rest[368];    /* 0x330 */
};

#define SNP_REPORT_OFF(field) offsetof(struct snp_report_layout, field)

/* The decoded report. Fixed-size fields are arrays; TCBs are kept raw here. */
struct snp_report {
	uint32_t version;
	uint32_t guest_svn;
	uint64_t policy;
	uint8_t family_id[16];
	uint8_t image_id[16];
	uint32_t vmpl;
	uint32_t signature_algo;
	uint64_t current_tcb;
	uint64_t platform_info;
	uint32_t signer_info;
	uint8_t report_data[SNP_REPORT_DATA_SIZE];
	uint8_t measurement[SNP_MEASUREMENT_SIZE];
	uint8_t host_data[SNP_HOST_DATA_SIZE];
	uint8_t id_key_digest[SNP_KEY_DIGEST_SIZE];
	uint8_t author_key_digest[SNP_KEY_DIGEST_SIZE];
	uint8_t report_id[32];
	uint8_t report_id_ma[32];
	uint64_t reported_tcb;
	uint8_t cpuid_fam_id; /* v3+; 0 in v2 */
	uint8_t cpuid_mod_id;
	uint8_t cpuid_step;
	uint8_t chip_id[SNP_CHIP_ID_SIZE];
	uint64_t committed_tcb;
	uint8_t current_build, current_minor, current_major;
	uint8_t committed_build, committed_minor, committed_major;
	uint64_t launch_tcb;
	uint64_t launch_mit_vector;  /* v5+; 0 before */
	uint64_t current_mit_vector; /* v5+; 0 before */
	uint8_t signature_r[SNP_SIG_COMPONENT_SIZE];
	uint8_t signature_s[SNP_SIG_COMPONENT_SIZE];
};

/* Parse options; a zeroed struct is the strict default. */
struct report_parse_opts {
	/*
	 * Accept non-zero bits in reserved report bytes and in POLICY bits 63:26,
	 * for firmware newer than this code. The signature's unused bytes, the
	 * version, the signer and the algorithm are checked regardless.
	 */
	bool lax_reserved;
};

/*
 * Parses exactly SNP_REPORT_SIZE bytes. Checks: VERSION 2..5, SIGNATURE_ALGO
 * 1, signer info (VCEK or VLEK, MASK_CHIP_KEY clear, bits 31:5 zero), the
 * all-zero signature, bytes 48..71 of R and S and 0x330..0x49F zero,
 * reserved ranges zero, POLICY bit 17 set. Fills *out; on failure *out is
 * zeroed and err names the field and offset.
 */
int report_parse(const uint8_t *buf, size_t len, const struct report_parse_opts *opts,
		 struct snp_report *out, struct snp_err *err) SNP_MUST_CHECK;

/* Writes rep as SNP_REPORT_SIZE bytes; reserved bytes are zero. The inverse of report_parse. */
void report_write(const struct snp_report *rep, uint8_t out[SNP_REPORT_SIZE]);

/* SIGNING_KEY (bits 4:2 of signer info). */
static inline enum snp_signing_key report_signing_key(const struct snp_report *rep)
{
	return (enum snp_signing_key)((rep->signer_info & SNP_SIGNER_KEY_MASK) >>
				      SNP_SIGNER_KEY_SHIFT);
}

/*
 * Product from CPUID_FAM_ID/CPUID_MOD_ID for v3+ reports; SNP_PRODUCT_UNKNOWN
 * for v2 (the caller takes it from the certificate or configuration).
 */
enum snp_product report_product(const struct snp_report *rep);

/* The one definition of the signed bytes: buf[0 .. *len). */
static inline size_t snp_report_signed_range(void)
{
	return SNP_REPORT_SIGNED_LEN;
}

#endif
