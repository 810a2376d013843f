/*
 * The AMD extensions of a VCEK or VLEK certificate (VCEK spec 57230, arc
 * 1.3.6.1.4.1.3704.1): structVersion, productName, the SPL integers, hwID and
 * cspID. Decoding checks encodings exactly; matching them against a report is
 * attest/verify.c's job.
 */
#ifndef SNPVM_ATTEST_VEK_H
#define SNPVM_ATTEST_VEK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "util/err.h"

/* SPL extensions .1.3.1 .. .1.3.9, indexed by their last arc. */
enum vek_spl {
	VEK_SPL_BL = 1,
	VEK_SPL_TEE = 2,
	VEK_SPL_SNP = 3,
	VEK_SPL_4 = 4,
	VEK_SPL_5 = 5,
	VEK_SPL_6 = 6,
	VEK_SPL_7 = 7,
	VEK_SPL_UCODE = 8,
	VEK_SPL_FMC = 9,
	VEK_SPL_MAX = 9,
};

#define VEK_HWID_MAX 64
#define VEK_TEXT_MAX 128

struct vek_ext {
	bool has_struct_version;
	uint8_t struct_version;
	bool has_product_name;
	char product_name[VEK_TEXT_MAX];
	bool has_spl[VEK_SPL_MAX + 1];
	uint8_t spl[VEK_SPL_MAX + 1];
	bool has_hwid;
	bool hwid_wrapped; /* hwID was a DER OCTET STRING rather than raw bytes */
	uint8_t hwid[VEK_HWID_MAX];
	size_t hwid_len;   /* 64 or 8 */
	bool has_csp_id;
	char csp_id[VEK_TEXT_MAX];
};

/*
 * Decodes the AMD extensions of x. Fails (SNP_E_CHAIN, naming the extension)
 * on a duplicate extension of any OID, an INTEGER that is not exactly
 * 02 01 xx (xx < 0x80) or 02 02 00 xx (xx >= 0x80), a productName or cspID
 * that is not one IA5String, or a hwID that is neither 64/8 raw bytes nor a
 * DER OCTET STRING of 64/8 bytes. Unknown extensions are ignored.
 */
int vek_ext_decode(const X509 *x, struct vek_ext *out, struct snp_err *err) SNP_MUST_CHECK;

/* "blSPL", "teeSPL", ..., "fmcSPL" for the SPL index i. */
const char *vek_spl_name(enum vek_spl i);

#endif
