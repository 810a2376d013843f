/*
 * The libcurl implementation of struct kds_fetcher (attest/kds.h): one GET
 * per call, http and https only, no redirects (KDS answers directly; a 3xx
 * reaches kds_get as an unexpected status), connect and total timeouts, a
 * body cap enforced while receiving, no proxy for loopback addresses,
 * certificate and host name verification on (against the system's CA bundle,
 * or the PEM file a caller names: a KDS mirror behind a private CA).
 */
#ifndef SNPVM_ATTEST_KDS_CURL_H
#define SNPVM_ATTEST_KDS_CURL_H

#include <stddef.h>

#include <curl/curl.h>

#include "attest/kds.h"
#include "util/curl-dl.h"

#define KDS_CURL_CONNECT_MS 5000L
#define KDS_CURL_TOTAL_MS 20000L

struct kds_curl {
	const char *ca_file;     /* PEM CA certificates for https, or NULL: the system's */
	long connect_timeout_ms; /* KDS_CURL_CONNECT_MS */
	long timeout_ms;         /* KDS_CURL_TOTAL_MS */
	size_t max_body;         /* KDS_MAX_BODY */
	struct curl_dl api;      /* loaded on first use */
};

/* Fills c with the defaults above; libcurl is not loaded yet. */
void kds_curl_init(struct kds_curl *c);

/*
 * Loads libcurl and runs its global initialisation (OpenSSL's included) now,
 * through one handle made and freed: otherwise the first fetch does both,
 * opening libraries and configuration files, and two first fetches on two
 * threads would race (curl_global_init is not thread-safe). attestd does it
 * before confining itself (attestd/confine.h).
 */
int kds_curl_preload(struct kds_curl *c, struct snp_err *err) SNP_MUST_CHECK;

/* Unloads libcurl if a fetch loaded it. */
void kds_curl_free(struct kds_curl *c);

/*
 * The options of one request (URL, http/https only, no redirects, no proxy
 * for loopback, c's timeouts, body collected into b up to b->max, errbuf
 * CURL_ERROR_SIZE bytes) on a handle from c->api (curl_dl_load first); and
 * running it, the HTTP status into *status. Shared by the KDS fetcher and
 * the guest agent's client (agent/http.c).
 */
int kds_curl_setup(const struct kds_curl *c, CURL *h, const char *url, struct curl_dl_body *b,
		   char *errbuf, struct snp_err *err) SNP_MUST_CHECK;
int kds_curl_perform(const struct kds_curl *c, CURL *h, const struct curl_dl_body *b,
		     const char *errbuf, long *status, struct snp_err *err) SNP_MUST_CHECK;

/* A fetcher using c (which must outlive it). */
struct kds_fetcher kds_curl_fetcher(struct kds_curl *c);

#endif
