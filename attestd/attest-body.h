/*
 * The body of POST /kbs/v0/attest, parsed strictly (unknown or duplicate
 * members refused, sizes bounded):
 *
 *   {"runtime-data": {"nonce": "<the challenge>", "tee-pubkey": {JWK}},
 *    "tee-evidence": EVIDENCE}
 *
 * EVIDENCE is the raw report and certificate table, base64url (RFC 4648 §5,
 * unpadded):
 *     {"report": "<1184 bytes: AMD SEV-SNP ABI spec 56860, table 22>",
 *      ?"cert-table": "<GHCB certificate table (GHCB spec 56421)>"}
 * or the configfs-tsm map of attestd/tsm-cbor.h, base64url:
 *     {"media-type": "application/vnd.veraison.tsm-report+cbor",
 *      "tsm-report": "<CBOR map>"}
 */
#ifndef SNPVM_ATTESTD_ATTEST_BODY_H
#define SNPVM_ATTESTD_ATTEST_BODY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "attestd/jwk.h"
#include "util/err.h"

/* Largest certificate table accepted. */
#define ATTEST_CERT_TABLE_MAX (64 * 1024)

struct attest_body {
	json_t *root;             /* owns the parsed text */
	const json_t *runtime_data;
	const char *nonce;        /* in root */
	struct jwk_pub key;       /* the validated tee-pubkey */
	uint8_t *report;          /* malloc'd, SNP_REPORT_SIZE bytes */
	size_t report_len;
	uint8_t *cert_table;      /* malloc'd, or NULL */
	size_t cert_table_len;
	const char *form;         /* "report" or "tsm-cbor" (static) */
};

/*
 * Parses len bytes of body into *out (zeroed first). Fails with
 * SNP_E_INVALID or SNP_E_UNSUPPORTED (jwk_pub_parse's codes for the key)
 * naming the member; *out then holds nothing.
 */
int attest_body_parse(const uint8_t *body, size_t len, struct attest_body *out,
		      struct snp_err *err) SNP_MUST_CHECK;

void attest_body_free(struct attest_body *b);

#endif
