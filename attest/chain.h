/*
 * Single-link checks of the AMD certificate chain (VCEK spec 57230): the
 * RSASSA-PSS parameters every AMD signature must carry, one issuer->subject
 * signature, validity at an injected time, and names. attest/verify.c strings
 * them together; nothing here caches or decides trust.
 */
#ifndef SNPVM_ATTEST_CHAIN_H
#define SNPVM_ATTEST_CHAIN_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "util/err.h"

/*
 * Checks that alg is RSASSA-PSS with hash SHA-384, MGF1 with SHA-384, salt
 * length 48 and trailer field 1 (explicit or default). what names the
 * signed object in the message. Returns 0 or SNP_E_CHAIN.
 */
int chain_check_pss_alg(const X509_ALGOR *alg, const char *what,
			struct snp_err *err) SNP_MUST_CHECK;

/*
 * Checks that issuer signed subject: subject's issuer name equals issuer's
 * subject name, the signature algorithm passes chain_check_pss_alg, and
 * X509_verify with issuer's key returns 1. Returns 0, SNP_E_CHAIN or
 * SNP_E_CRYPTO; the message names both certificates.
 */
int chain_check_signed(X509 *subject, const char *subject_what, X509 *issuer,
		       const char *issuer_what, struct snp_err *err) SNP_MUST_CHECK;

/* notBefore <= now <= notAfter. Returns 0 or SNP_E_CHAIN naming the bound and both times. */
int chain_check_validity(const X509 *cert, const char *what, time_t now,
			 struct snp_err *err) SNP_MUST_CHECK;

/*
 * Copies the subject (or issuer) commonName into buf (NUL-terminated). Returns
 * 0, or SNP_E_INVALID when there is no single UTF-8 CN that fits.
 */
int chain_subject_cn(const X509 *cert, char *buf, size_t len, struct snp_err *err) SNP_MUST_CHECK;
int chain_issuer_cn(const X509 *cert, char *buf, size_t len, struct snp_err *err) SNP_MUST_CHECK;

/* Formats t as "2025-12-10T22:14:21Z" into buf (at least 21 bytes). */
void chain_format_time(time_t t, char *buf, size_t len);

#endif
