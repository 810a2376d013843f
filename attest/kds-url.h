/*
 * AMD Key Distribution Service URLs (AMD VCEK certificate and KDS spec 57230):
 *   {base}/vcek/v1/{P}/{hwid}?blSPL=B&teeSPL=T&snpSPL=S&ucodeSPL=U[&fmcSPL=F on Turin]
 *   {base}/{vcek|vlek}/v1/{P}/cert_chain      ASK (ASVK) then ARK, PEM
 *   {base}/{vcek|vlek}/v1/{P}/crl             the ARK-signed CRL, DER
 * hwid is the lowercase hex of CHIP_ID: all 64 bytes on Milan/Genoa, only the
 * first 8 on Turin. SPLs are decimal (zero-padded to two digits, as existing
 * clients send them), read from REPORTED_TCB with the product's layout
 * (abi/tcb.h). A VLEK is never published by KDS: asking for one fails.
 */
#ifndef SNPVM_ATTEST_KDS_URL_H
#define SNPVM_ATTEST_KDS_URL_H

#include <stddef.h>
#include <stdint.h>

#include "abi/report.h"
#include "abi/tcb.h"
#include "util/err.h"

#define KDS_URL_MAX 768
#define KDS_HWID_MAX (2 * SNP_CHIP_ID_SIZE + 1)

/*
 * The hwid KDS knows the chip by, as lowercase hex into out (NUL-terminated):
 * 128 characters, or 16 on Turin. Fails (SNP_E_UNSUPPORTED) for an unknown product.
 */
int kds_hwid(enum snp_product p, const uint8_t chip_id[SNP_CHIP_ID_SIZE], char out[KDS_HWID_MAX],
	     struct snp_err *err) SNP_MUST_CHECK;

/*
 * Checks base ("http://" or "https://" then a host, no query, fragment,
 * whitespace or control characters) and returns its length without trailing
 * slashes in *len.
 */
int kds_base_check(const char *base, size_t *len, struct snp_err *err) SNP_MUST_CHECK;

/*
 * The VCEK URL for rep (signed by a VCEK) on product p into out[cap].
 * SNP_E_UNSUPPORTED for a VLEK-signed report (KDS never serves VLEKs) or an
 * unknown product; SNP_E_INVALID for a bad base or a URL longer than cap.
 */
int kds_url_vcek(const char *base, enum snp_product p, const struct snp_report *rep, char *out,
		 size_t cap, struct snp_err *err) SNP_MUST_CHECK;

/* The cert_chain URL of the VCEK (signer VCEK) or VLEK (signer VLEK) tree of p. */
int kds_url_chain(const char *base, enum snp_product p, enum snp_signing_key signer, char *out,
		  size_t cap, struct snp_err *err) SNP_MUST_CHECK;

/* The CRL URL of the VCEK or VLEK tree of p. */
int kds_url_crl(const char *base, enum snp_product p, enum snp_signing_key signer, char *out,
		size_t cap, struct snp_err *err) SNP_MUST_CHECK;

#endif
