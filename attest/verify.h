/*
 * VERIFY, the second of parse -> verify -> appraise (docs/architecture.md): decides from
 * a report and AMD's certificates alone whether the report was signed by a
 * genuine AMD secure processor, and binds it to its VCEK/VLEK. It never reads
 * tenant policy (attest/appraise*). Checks, in order, stopping at the first
 * failure (docs/verify.md):
 *   report.parse, vek.present, vek.kind, product, ark.pinned, intermediate,
 *   ark.validity, intermediate.validity, vek.signature, vek.form, vek.extensions,
 *   vek.validity, crl, report.signature, vek.struct_version, vek.product_name,
 *   vek.tcb, vek.hwid
 * Trust: only the pinned AMD ARK/ASK/ASVK (attest/roots.h), plus simulated
 * roots handed in explicitly through verify_opts.allow_sim_roots.
 */
#ifndef SNPVM_ATTEST_VERIFY_H
#define SNPVM_ATTEST_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "abi/report.h"
#include "attest/certs.h"
#include "util/err.h"

/* A zeroed struct is the strict default (and now = 1970 makes every certificate fail). */
struct verify_opts {
	time_t now;               /* validity instant; the CLI passes the clock or --at */
	enum snp_product product; /* UNKNOWN: CPUID (v3+), else the VEK issuer CN (v2) */
	X509_CRL *crl;            /* when non-NULL: ARK-signed, current, not listing the chain */
	/*
	 * Extra self-signed ARKs that may anchor a chain (`snpvm sim` roots,
	 * --trust-sim-root). Empty by default: only the pinned AMD roots anchor.
	 */
	X509 *const *allow_sim_roots;
	size_t n_allow_sim_roots;
	struct report_parse_opts parse; /* lax_reserved for newer firmware */
};

#define VERIFY_MAX_CHECKS 24

struct verify_check {
	const char *name; /* "report.signature", ... (static) */
	int code;         /* 0 passed, else the SNP_E_* of the failure */
	char detail[200];
};

struct verify_result {
	struct snp_report report;  /* valid once report.parse passed */
	enum snp_product product;
	enum snp_signing_key signer;
	bool sim_root;             /* the chain is anchored by a simulated root */
	bool chain_cached;         /* the VEK chain came from the cache */
	char vek_sha256[65];       /* hex sha256 of the VEK DER */
	char anchor[64];           /* CN of the ARK that anchored the chain */
	size_t nchecks;
	struct verify_check checks[VERIFY_MAX_CHECKS]; /* in order; the last one failed on error */
};

struct verifier;

/*
 * Parses the pinned roots, checks their SHA-256 against the pinned table,
 * verifies each ARK's self-signature and the ARK signature on each ASK/ASVK
 * once. *out is freed with verifier_free. Thread-safe once created.
 */
int verifier_new(struct verifier **out, struct snp_err *err) SNP_MUST_CHECK;
void verifier_free(struct verifier *v);

/*
 * Verifies raw (exactly the bytes received, SNP_REPORT_SIZE) against the
 * certificates in certs. Returns 0 when every check passed; otherwise the
 * first failure's code with err "<check>: <problem> (got X, want Y)". res
 * (always filled) lists the checks run. certs and opts may be NULL (no
 * certificates; the strict zeroed options). The VEK chain status is cached in v
 * by sha256 of the VEK, issuer and ARK, so a repeated VEK costs one SHA-384
 * and one ECDSA verify plus field comparisons.
 */
int verify_report(struct verifier *v, const uint8_t *raw, size_t len, const struct certs *certs,
		  const struct verify_opts *opts, struct verify_result *res,
		  struct snp_err *err) SNP_MUST_CHECK;

/* The pinned certificate for (product, role) as parsed by v, or NULL. Owned by v. */
X509 *verifier_pinned(const struct verifier *v, enum snp_product p, int role);

#endif
