#include "attest/kds-curl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

static int curl_get(void *ctx, const char *url, uint8_t **body, size_t *len, long *http_status,
		    struct snp_err *err)
{
	struct kds_curl *c = ctx;
	const struct curl_dl *a = &c->api;
	struct curl_dl_body b = { .max = c->max_body ? c->max_body : KDS_MAX_BODY };
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *h = NULL;
	CURLcode rc;
	int ret = SNP_E_INTERNAL;

	*body = NULL;
	*len = 0;
	*http_status = 0;
	if ((ret = curl_dl_load(&c->api, err)) != 0)
		return ret;
	if ((h = a->easy_init()) == NULL)
		return snp_errf(err, SNP_E_NOMEM, "curl_easy_init failed");
	if (a->easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
#if LIBCURL_VERSION_NUM >= 0x075500
	    a->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
#else
	    a->easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) !=
		    CURLE_OK ||
#endif
	    a->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1") != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			     c->connect_timeout_ms ? c->connect_timeout_ms : KDS_CURL_CONNECT_MS) !=
		    CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_TIMEOUT_MS,
			     c->timeout_ms ? c->timeout_ms : KDS_CURL_TOTAL_MS) != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)b.max) != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_USERAGENT, "snpvm/" SNPVM_VERSION) != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_WRITEFUNCTION, curl_dl_collect) != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_WRITEDATA, &b) != CURLE_OK) {
		ret = snp_errf(err, SNP_E_INTERNAL, "curl_easy_setopt failed");
		goto out;
	}
	rc = a->easy_perform(h);
	if (b.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		ret = snp_errf(err, SNP_E_INVALID, "response larger than %zu bytes", b.max);
		goto out;
	}
	if (rc != CURLE_OK) {
		ret = snp_errf(err, SNP_E_SYS, "%s", errbuf[0] ? errbuf : a->easy_strerror(rc));
		goto out;
	}
	if (a->easy_getinfo(h, CURLINFO_RESPONSE_CODE, http_status) != CURLE_OK) {
		ret = snp_errf(err, SNP_E_SYS, "no HTTP status");
		goto out;
	}
	*body = b.p;
	*len = b.len;
	b.p = NULL;
	ret = 0;
out:
	free(b.p);
	if (h)
		a->easy_cleanup(h);
	return ret;
}

void kds_curl_init(struct kds_curl *c)
{
	memset(c, 0, sizeof(*c));
	c->connect_timeout_ms = KDS_CURL_CONNECT_MS;
	c->timeout_ms = KDS_CURL_TOTAL_MS;
	c->max_body = KDS_MAX_BODY;
}

void kds_curl_free(struct kds_curl *c)
{
	curl_dl_close(&c->api);
}

struct kds_fetcher kds_curl_fetcher(struct kds_curl *c)
{
	return (struct kds_fetcher){ .get = curl_get, .ctx = c };
}
