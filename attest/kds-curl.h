/*
 * The libcurl implementation of struct kds_fetcher (attest/kds.h): one GET
 * per call, http and https only, no redirects (KDS answers directly; a 3xx
 * reaches kds_get as an unexpected status), connect and total timeouts, a
 * body cap enforced while receiving, no proxy for loopback addresses.
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
	long connect_timeout_ms; /* KDS_CURL_CONNECT_MS */
	long timeout_ms;         /* KDS_CURL_TOTAL_MS */
	size_t max_body;         /* KDS_MAX_BODY */
	struct curl_dl api;      /* loaded on first use */
};

/* Fills c with the defaults above; libcurl is not loaded yet. */
void kds_curl_init(struct kds_curl *c);

/* Unloads libcurl if a fetch loaded it. */
void kds_curl_free(struct kds_curl *c);

/* A fetcher using c (which must outlive it). */
struct kds_fetcher kds_curl_fetcher(struct kds_curl *c);

#endif
