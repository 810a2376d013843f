/*
 * Obtaining a VCEK (and, for simulated roots, the cert_chain; and the CRL)
 * from AMD's Key Distribution Service or an on-disk cache, for hosts that
 * supply no certificates (docs/verify.md, "Fetching from KDS"). Nothing obtained here is
 * trusted: the caller hands it to verify_report(), which checks the chain
 * against the pinned roots every time. So a corrupted cache entry or a
 * hostile KDS can only cause a refusal.
 *
 * Fetching goes through an injectable hook (struct kds_fetcher);
 * attest/kds-curl.h is the libcurl implementation. Cache layout (docs/verify.md):
 *   DIR/vcek/<P>/<hwid>/<reported-tcb-hex>.der   the VCEK, DER
 *   DIR/vcek/<P>/cert_chain.pem                  ASK then ARK (only kept for simulated roots)
 * <P> is Milan, Genoa or Turin; hwid as in the KDS URL (attest/kds-url.h);
 * the TCB is the 8 REPORTED_TCB bytes in report order, lowercase hex.
 */
#ifndef SNPVM_ATTEST_KDS_H
#define SNPVM_ATTEST_KDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "abi/report.h"
#include "abi/tcb.h"
#include "util/err.h"

#define KDS_MAX_BODY (64u << 10) /* a VCEK is ~1.3 KiB, a cert_chain ~4.5 KiB */
#define KDS_TRIES 3              /* at most, for HTTP 429 and 5xx */
#define KDS_BACKOFF_MS 1000      /* before the 2nd try; doubled before the 3rd */

/*
 * GET url. Returns 0 when an HTTP response arrived (whatever its status),
 * with *http_status set and the body in *body (malloc'd, the caller frees it;
 * NULL when empty), or an error (SNP_E_SYS for transport failures). An
 * implementation refuses bodies larger than its own cap.
 */
struct kds_fetcher {
	int (*get)(void *ctx, const char *url, uint8_t **body, size_t *len, long *http_status,
		   struct snp_err *err);
	void *ctx;
};

/* Zeroed: no network, no cache (every lookup fails), default limits. */
struct kds_opts {
	const char *base_url;     /* e.g. https://kdsintf.amd.com; NULL: offline, cache only */
	const char *cache_dir;    /* NULL: no cache */
	struct kds_fetcher fetch; /* used when base_url is set */
	size_t max_body;          /* 0: KDS_MAX_BODY */
	unsigned tries;           /* 0 or more than KDS_TRIES: KDS_TRIES */
	unsigned backoff_ms;      /* first delay; 0: KDS_BACKOFF_MS; capped at 5000 */
	void (*sleep_ms)(void *ctx, unsigned ms); /* NULL: nanosleep */
	void *sleep_ctx;
};

/*
 * GETs url through o->fetch: HTTP 200 with a non-empty body of at most
 * max_body bytes is success (*body malloc'd, the caller frees it). 429 and
 * 5xx are retried after backoff_ms, then twice that, up to `tries` tries in
 * all; transport errors are not retried. 404 fails with SNP_E_CHAIN ("no
 * certificate for this chip/TCB") naming the URL path; an oversized body with
 * SNP_E_INVALID; anything else with SNP_E_SYS.
 */
int kds_get(const struct kds_opts *o, const char *url, uint8_t **body, size_t *len,
	    struct snp_err *err) SNP_MUST_CHECK;

/* What kds_vek_get found; each buffer malloc'd (free with kds_vek_free). */
struct kds_vek {
	uint8_t *vcek;  /* DER */
	size_t vcek_len;
	uint8_t *chain; /* PEM, ASK then ARK; NULL unless asked for */
	size_t chain_len;
	bool vcek_cached, chain_cached; /* read from the cache, not fetched */
};

/*
 * The VCEK for rep (VCEK-signed) on product p: from o->cache_dir when present
 * there, else fetched from o->base_url. With want_chain also the cert_chain
 * (the same way). Nothing is written to the cache here: the caller stores
 * with kds_vek_cache_put once the chain has verified. Fails with
 * SNP_E_UNSUPPORTED for a VLEK-signed report (KDS never serves VLEKs) and
 * with SNP_E_INVALID (no VEK, as verify's vek.present) when offline and the
 * cache has no entry.
 */
int kds_vek_get(const struct kds_opts *o, const struct snp_report *rep, enum snp_product p,
		bool want_chain, struct kds_vek *out, struct snp_err *err) SNP_MUST_CHECK;

/*
 * Writes the fetched (not cached) parts of k into o->cache_dir (a no-op
 * without one): file_write_atomic, files 0644, directories 0755.
 */
int kds_vek_cache_put(const struct kds_opts *o, const struct snp_report *rep, enum snp_product p,
		      const struct kds_vek *k, struct snp_err *err) SNP_MUST_CHECK;

void kds_vek_free(struct kds_vek *k);

/*
 * Fetches and parses the CRL of the VCEK or VLEK tree of p (never cached).
 * *out is owned by the caller (X509_CRL_free); verify_report checks it.
 */
int kds_crl_get(const struct kds_opts *o, enum snp_product p, enum snp_signing_key signer,
		X509_CRL **out, struct snp_err *err) SNP_MUST_CHECK;

#endif
