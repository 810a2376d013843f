/*
 * Key binding: the guest proves that its ephemeral key and the server's
 * nonce belong to this report by putting
 *
 *     REPORT_DATA = SHA-384(JCS(runtime-data)) || 16 zero bytes
 *
 * into its SEV-SNP attestation report (REPORT_DATA, AMD SEV-SNP ABI spec
 * 56860, table 22, offset 0x50). runtime-data is the {"nonce", "tee-pubkey"}
 * object of the Trustee KBS protocol's Attestation message
 * (confidential-containers/trustee, kbs/docs/kbs_attestation_protocol.md),
 * canonicalised with RFC 8785 (attestd/jcs.h), exactly as Trustee's
 * attestation service does for SNP.
 */
#ifndef SNPVM_ATTESTD_BINDING_H
#define SNPVM_ATTESTD_BINDING_H

#include <stdint.h>

#include <jansson.h>

#include "abi/report.h"
#include "util/err.h"

/* Length of the SHA-384 digest at the start of REPORT_DATA; the rest is zero. */
#define BINDING_DIGEST_SIZE 48

/*
 * Computes the REPORT_DATA that binds runtime_data into out. Fails (and
 * zeroes out) when runtime_data cannot be canonicalised (attestd/jcs.h).
 */
int binding_report_data(const json_t *runtime_data, uint8_t out[SNP_REPORT_DATA_SIZE],
			struct snp_err *err) SNP_MUST_CHECK;

/*
 * Returns 0 when report_data equals binding_report_data(runtime_data),
 * compared in constant time (CRYPTO_memcmp) over all 64 bytes, and
 * SNP_E_REFUSED otherwise; the message gives a prefix of both values for the
 * log, which callers must not send to the client.
 */
int binding_check(const json_t *runtime_data, const uint8_t report_data[SNP_REPORT_DATA_SIZE],
		  struct snp_err *err) SNP_MUST_CHECK;

#endif
