/*
 * libcurl's easy API, loaded from libcurl.so.4 on first use (util/dl.h) so
 * that only the commands that make HTTP requests pay for it, and the body
 * collector every caller shares (a cap enforced while receiving).
 */
#ifndef SNPVM_UTIL_CURL_DL_H
#define SNPVM_UTIL_CURL_DL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "util/err.h"

/* The libcurl calls used; all NULL until curl_dl_load. */
struct curl_dl {
	void *handle;
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *h);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *h);
	const char *(*easy_strerror)(CURLcode rc);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
	void (*easy_reset)(CURL *h); /* options back to defaults; open connections kept */
};

/* Loads libcurl into a (a no-op when already loaded). Fails SNP_E_UNSUPPORTED naming it. */
int curl_dl_load(struct curl_dl *a, struct snp_err *err) SNP_MUST_CHECK;

/* Unloads libcurl if curl_dl_load loaded it and zeroes a. */
void curl_dl_close(struct curl_dl *a);

/* A response body being received: at most max bytes, else too_big. */
struct curl_dl_body {
	uint8_t *p; /* malloc'd; the caller frees it */
	size_t len, max;
	bool too_big;
};

/* CURLOPT_WRITEFUNCTION for a struct curl_dl_body (CURLOPT_WRITEDATA): aborts past max. */
size_t curl_dl_collect(char *data, size_t size, size_t n, void *body);

#endif
