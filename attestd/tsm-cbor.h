/*
 * SEV-SNP evidence as the configfs-tsm report map of Veraison's tsm-report
 * media type (application/vnd.veraison.tsm-report+cbor): a CBOR map
 *
 *     {"provider": "sev_guest", "outblob": bstr, ?"auxblob": bstr}
 *
 * whose names mirror the Linux configfs-tsm attributes
 * (Documentation/ABI/testing/configfs-tsm): outblob is the 1184-byte SNP
 * report (AMD SEV-SNP ABI spec 56860, table 22), auxblob the GHCB certificate
 * table (GHCB spec 56421, SNP extended guest request). Decoding is strict:
 * definite lengths only, text keys, no duplicate or unknown keys, sizes
 * bounded, nothing after the map (libcbor does not enforce these itself).
 */
#ifndef SNPVM_ATTESTD_TSM_CBOR_H
#define SNPVM_ATTESTD_TSM_CBOR_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define TSM_CBOR_MEDIA_TYPE "application/vnd.veraison.tsm-report+cbor"
#define TSM_PROVIDER_MAX 32
#define TSM_OUTBLOB_MAX 4096
#define TSM_AUXBLOB_MAX (64 * 1024)
/* Largest encoded map decoded. */
#define TSM_CBOR_MAX (TSM_OUTBLOB_MAX + TSM_AUXBLOB_MAX + 256)

struct tsm_evidence {
	char provider[TSM_PROVIDER_MAX + 1];
	uint8_t *outblob; /* malloc'd */
	size_t outblob_len;
	uint8_t *auxblob; /* malloc'd, NULL when absent */
	size_t auxblob_len;
};

/* Decodes buf strictly (see above); on failure out holds nothing and err names the key or offset. */
int tsm_cbor_decode(const uint8_t *buf, size_t len, struct tsm_evidence *out,
		    struct snp_err *err) SNP_MUST_CHECK;

/* Encodes in (provider, outblob, auxblob if non-NULL, in that order) into *out (malloc'd). */
int tsm_cbor_encode(const struct tsm_evidence *in, uint8_t **out, size_t *len,
		    struct snp_err *err) SNP_MUST_CHECK;

void tsm_evidence_free(struct tsm_evidence *ev);

#endif
