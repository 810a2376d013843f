/*
 * AMD certificate revocation lists (VCEK spec 57230): an ARK-signed CRL
 * (RSASSA-PSS as every AMD signature), current at the injected time, that
 * must not list the intermediate or the VEK.
 */
#ifndef SNPVM_ATTEST_CRL_H
#define SNPVM_ATTEST_CRL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "util/err.h"

/* Parses a CRL in DER or PEM. *out is owned by the caller (X509_CRL_free). */
int crl_parse(const uint8_t *buf, size_t len, const char *src, X509_CRL **out,
	      struct snp_err *err) SNP_MUST_CHECK;

/* crl_parse on a file (at most 4 MiB). */
int crl_load_file(const char *path, X509_CRL **out, struct snp_err *err) SNP_MUST_CHECK;

/*
 * Checks crl against the chain: issuer name = ark's subject, RSASSA-PSS
 * SHA-384/salt 48 signature by ark, thisUpdate <= now < nextUpdate (a CRL
 * without nextUpdate fails), that an issuing distribution point, when the
 * CRL names one, ends with tree ("vcek/v1/Milan/crl"; NULL skips this), and
 * neither intermediate's nor vek's serial is listed. Returns 0, or
 * SNP_E_CHAIN naming the check.
 */
int crl_check(X509_CRL *crl, X509 *ark, X509 *intermediate, const char *intermediate_what,
	      X509 *vek, const char *vek_what, const char *tree, time_t now,
	      struct snp_err *err) SNP_MUST_CHECK;

#endif
