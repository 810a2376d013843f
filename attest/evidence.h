/*
 * The evidence pipeline, the one entry point `snpvm verify` and attestd call:
 * the report (unwrapped from an Azure HCL report when asked), the VEK from
 * the certificate table, the verifier's certificates, the KDS cache or AMD
 * KDS, then parse -> verify -> cache the verified VCEK -> appraise, and the
 * verdict as JSON. Nothing obtained on the way is trusted: verify_report
 * checks the chain against the pinned roots (attest/verify.h).
 */
#ifndef SNPVM_ATTEST_EVIDENCE_H
#define SNPVM_ATTEST_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attest/appraise.h"
#include "attest/certs.h"
#include "attest/kds.h"
#include "attest/verify.h"
#include "util/err.h"

/* An Azure HCL report (magic "HCLA") carries the SNP report at this offset. */
#define EVIDENCE_HCL_MAGIC "HCLA"
#define EVIDENCE_HCL_REPORT_OFFSET 0x20

struct evidence_opts {
	/* The evidence. */
	const uint8_t *report; /* the raw report, SNP_REPORT_SIZE bytes (or an HCL report) */
	size_t report_len;
	bool hcl;                  /* report is an Azure HCL report */
	const uint8_t *cert_table; /* an extended-request certificate table, or NULL */
	size_t cert_table_len;

	/*
	 * The verifier's side. certs (may be NULL) holds certificates the caller
	 * loaded; the table's and the KDS's are added to it, so the caller frees
	 * it (certs_free) afterwards. verify.crl stays the caller's.
	 */
	struct certs *certs;
	/* Parsed certificates shared across requests (attest/certs.h); NULL: parse each table. */
	struct cert_cache *cert_cache;
	struct verify_opts verify;
	const struct appraise_opts *appraise; /* NULL: refused, as a zeroed policy */

	/*
	 * The KDS: consulted only when no VEK is at hand (kds.base_url and/or
	 * kds.cache_dir set), and for the CRL when fetch_crl. Under a simulated
	 * root (verify.allow_sim_roots) the cache is the subtree
	 * <cache_dir>/sim-<16 hex digits of that ARK's SHA-256>/, apart from
	 * AMD-anchored entries.
	 */
	struct kds_opts kds;
	bool fetch_crl; /* fetch the CRL from kds.base_url and check it; fail if it cannot be */
};

struct evidence_verdict {
	bool evaluated;  /* verification ran: the fields below are the verdict */
	int verify_code; /* 0 verified, else the failed check's SNP_E_* */
	int appraise_code; /* 0 appraised; SNP_E_INTERNAL when appraisal did not run */
	struct verify_result verify;
	struct appraise_result appraise;
	struct snp_err error;     /* the first failure (empty when verified and appraised) */
	const char *vek_source;   /* "KDS", "KDS cache" or NULL (the VEK came with the inputs) */
	struct snp_err cache_err; /* a verified VCEK that could not be cached (not a failure) */
};

/*
 * Runs the pipeline with the verifier v (attest/verify.h; shareable between
 * threads). Returns 0 when the report verified and appraised; otherwise the
 * first failure's SNP_E_* with err (and out->error) naming it: input that
 * cannot be used (an HCL report without the magic, a bad certificate table,
 * a product that cannot be known for the KDS, the KDS unreachable) fails
 * before verification (out->evaluated false); a refused verification or
 * appraisal leaves out->evaluated true. out is always filled; it holds no
 * allocation.
 */
int evidence_evaluate(struct verifier *v, const struct evidence_opts *o,
		      struct evidence_verdict *out, struct snp_err *err) SNP_MUST_CHECK;

struct json_t;

/*
 * The verdict as a JSON object (jansson; the caller json_decref()s it, NULL
 * when out of memory): "verified", "appraised", "report" and "signer" once
 * the report parsed, "product", "anchor", "vek_sha256", "sim_root",
 * "checks" (every verify check), "appraisal" (when it ran) and "error".
 */
struct json_t *evidence_verdict_json(const struct evidence_verdict *vd);

#endif
