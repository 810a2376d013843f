#include "attest/kds-curl.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

struct body {
	uint8_t *p;
	size_t len, max;
	bool too_big;
};

static size_t collect(char *data, size_t size, size_t n, void *ctx)
{
	struct body *b = ctx;
	size_t add = size * n;
	uint8_t *q;

	if (add > b->max - b->len) {
		b->too_big = true;
		return 0; /* aborts the transfer */
	}
	if (add == 0)
		return 0;
	q = realloc(b->p, b->len + add);
	if (q == NULL)
		return 0;
	memcpy(q + b->len, data, add);
	b->p = q;
	b->len += add;
	return add;
}

static int curl_get(void *ctx, const char *url, uint8_t **body, size_t *len, long *http_status,
		    struct snp_err *err)
{
	const struct kds_curl *c = ctx;
	struct body b = { .max = c->max_body ? c->max_body : KDS_MAX_BODY };
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *h = NULL;
	CURLcode rc;
	int ret = SNP_E_INTERNAL;

	*body = NULL;
	*len = 0;
	*http_status = 0;
	if ((h = curl_easy_init()) == NULL)
		return snp_errf(err, SNP_E_NOMEM, "curl_easy_init failed");
	if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
#if LIBCURL_VERSION_NUM >= 0x075500
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
#else
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) !=
		    CURLE_OK ||
#endif
	    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			     c->connect_timeout_ms ? c->connect_timeout_ms : KDS_CURL_CONNECT_MS) !=
		    CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
			     c->timeout_ms ? c->timeout_ms : KDS_CURL_TOTAL_MS) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)b.max) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_USERAGENT, "snpvm/" SNPVM_VERSION) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b) != CURLE_OK) {
		ret = snp_errf(err, SNP_E_INTERNAL, "curl_easy_setopt failed");
		goto out;
	}
	rc = curl_easy_perform(h);
	if (b.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		ret = snp_errf(err, SNP_E_INVALID, "response larger than %zu bytes", b.max);
		goto out;
	}
	if (rc != CURLE_OK) {
		ret = snp_errf(err, SNP_E_SYS, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
		goto out;
	}
	if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, http_status) != CURLE_OK) {
		ret = snp_errf(err, SNP_E_SYS, "no HTTP status");
		goto out;
	}
	*body = b.p;
	*len = b.len;
	b.p = NULL;
	ret = 0;
out:
	free(b.p);
	curl_easy_cleanup(h);
	return ret;
}

void kds_curl_init(struct kds_curl *c)
{
	c->connect_timeout_ms = KDS_CURL_CONNECT_MS;
	c->timeout_ms = KDS_CURL_TOTAL_MS;
	c->max_body = KDS_MAX_BODY;
}

struct kds_fetcher kds_curl_fetcher(struct kds_curl *c)
{
	return (struct kds_fetcher){ .get = curl_get, .ctx = c };
}
