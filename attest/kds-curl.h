/*
 * The libcurl implementation of struct kds_fetcher (attest/kds.h): one GET
 * per call, http and https only, no redirects (KDS answers directly; a 3xx
 * reaches kds_get as an unexpected status), connect and total timeouts, a
 * body cap enforced while receiving, no proxy for loopback addresses.
 * Other HTTP clients (the guest agent's) reuse the loaded API and the same
 * request set-up through kds_curl_api_load, kds_curl_setup and kds_curl_perform.
 */
#ifndef SNPVM_ATTEST_KDS_CURL_H
#define SNPVM_ATTEST_KDS_CURL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "attest/kds.h"

#define KDS_CURL_CONNECT_MS 5000L
#define KDS_CURL_TOTAL_MS 20000L

/* The libcurl calls used, resolved from libcurl.so.4 on the first fetch (util/dl.h). */
struct kds_curl_api {
	void *handle;
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *h);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *h);
	const char *(*easy_strerror)(CURLcode rc);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
};

struct kds_curl {
	long connect_timeout_ms; /* KDS_CURL_CONNECT_MS */
	long timeout_ms;         /* KDS_CURL_TOTAL_MS */
	size_t max_body;         /* KDS_MAX_BODY */
	struct kds_curl_api api; /* loaded on first use */
};

/* Fills c with the defaults above; libcurl is not loaded yet. */
void kds_curl_init(struct kds_curl *c);

/* Unloads libcurl if a fetch loaded it. */
void kds_curl_free(struct kds_curl *c);

/* A fetcher using c (which must outlive it). */
struct kds_fetcher kds_curl_fetcher(struct kds_curl *c);

/* Loads libcurl into a unless it is loaded already. */
int kds_curl_api_load(struct kds_curl_api *a, struct snp_err *err) SNP_MUST_CHECK;

/* A response body, capped at max bytes while it arrives. */
struct kds_curl_body {
	uint8_t *p; /* malloc'd */
	size_t len, max;
	bool too_big;
};

/*
 * Sets on h (from c's loaded API) what every request makes: url, http and
 * https only, no redirects, no proxy for loopback, c's timeouts, the body
 * cap into b, the error text into errbuf (CURL_ERROR_SIZE bytes).
 */
int kds_curl_setup(const struct kds_curl *c, CURL *h, const char *url, struct kds_curl_body *b,
		   char *errbuf, struct snp_err *err) SNP_MUST_CHECK;

/*
 * Performs the request set up on h and reads the HTTP status into *status:
 * SNP_E_INVALID when the body passed its cap, SNP_E_SYS with libcurl's text
 * for a transfer failure. The body stays in b either way (the caller frees b->p).
 */
int kds_curl_perform(const struct kds_curl *c, CURL *h, const struct kds_curl_body *b,
		     const char *errbuf, long *status, struct snp_err *err) SNP_MUST_CHECK;

#endif
