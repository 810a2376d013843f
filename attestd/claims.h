/*
 * The appraised claims attestd puts into an EAR (attestd/ear.h,
 * "ear.veraison.annotated-evidence") at /attest, and reads back at
 * /resource to appraise the same report against the resource's policy:
 *
 *   {"product": "Milan", "signer": "VCEK", "sim_root": false,
 *    "report": {every field, attest/report-json.h},
 *    "snpvm.report": "<the verified 1184 bytes, base64url>"}
 *
 * The raw report rides along so that /resource runs attest/appraise.h on
 * exactly the bytes that verified, whether the token comes from the session
 * or as a Bearer token (which attestd signed, so the bytes are its own).
 */
#ifndef SNPVM_ATTESTD_CLAIMS_H
#define SNPVM_ATTESTD_CLAIMS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "abi/report.h"
#include "abi/tcb.h"
#include "util/err.h"

struct verify_result;

/* The claims of a verified report (raw: its SNP_REPORT_SIZE bytes); NULL when out of memory. */
json_t *claims_from_verified(const struct verify_result *vr, const uint8_t *raw, size_t len);

/*
 * The report and product back from an EAR's claims payload (ear_verify's
 * output): submods.cpu0's annotated evidence. Fails SNP_E_INVALID naming
 * what is missing.
 */
int claims_report(const json_t *ear_payload, struct snp_report *rep, enum snp_product *product,
		  struct snp_err *err) SNP_MUST_CHECK;

#endif
