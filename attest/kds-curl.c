#include "attest/kds-curl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

int kds_curl_setup(const struct kds_curl *c, CURL *h, const char *url, struct curl_dl_body *b,
		   char *errbuf, struct snp_err *err)
{
	const struct curl_dl *a = &c->api;

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
	    a->easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)b->max) != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_USERAGENT, "snpvm/" SNPVM_VERSION) != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_WRITEFUNCTION, curl_dl_collect) != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_WRITEDATA, b) != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    /* a CA file replaces the system's: its bundle, and the directory Debian's libcurl adds */
	    (c->ca_file && (a->easy_setopt(h, CURLOPT_CAINFO, c->ca_file) != CURLE_OK ||
			    a->easy_setopt(h, CURLOPT_CAPATH, (char *)NULL) != CURLE_OK)))
		return snp_errf(err, SNP_E_INTERNAL, "curl_easy_setopt failed");
	return 0;
}

int kds_curl_perform(const struct kds_curl *c, CURL *h, const struct curl_dl_body *b,
		     const char *errbuf, long *status, struct snp_err *err)
{
	const struct curl_dl *a = &c->api;
	CURLcode rc = a->easy_perform(h);

	*status = 0;
	if (b->too_big || rc == CURLE_FILESIZE_EXCEEDED)
		return snp_errf(err, SNP_E_INVALID, "response larger than %zu bytes", b->max);
	if (rc != CURLE_OK)
		return snp_errf(err, SNP_E_SYS, "%s", errbuf[0] ? errbuf : a->easy_strerror(rc));
	if (a->easy_getinfo(h, CURLINFO_RESPONSE_CODE, status) != CURLE_OK)
		return snp_errf(err, SNP_E_SYS, "no HTTP status");
	return 0;
}

static int curl_get(void *ctx, const char *url, uint8_t **body, size_t *len, long *http_status,
		    struct snp_err *err)
{
	struct kds_curl *c = ctx;
	const struct curl_dl *a = &c->api;
	struct curl_dl_body b = { .max = c->max_body ? c->max_body : KDS_MAX_BODY };
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *h = NULL;
	int ret;

	*body = NULL;
	*len = 0;
	*http_status = 0;
	if ((ret = curl_dl_load(&c->api, err)) != 0)
		return ret;
	if ((h = a->easy_init()) == NULL)
		return snp_errf(err, SNP_E_NOMEM, "curl_easy_init failed");
	if ((ret = kds_curl_setup(c, h, url, &b, errbuf, err)) == 0 &&
	    (ret = kds_curl_perform(c, h, &b, errbuf, http_status, err)) == 0) {
		*body = b.p;
		*len = b.len;
		b.p = NULL;
	}
	free(b.p);
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

int kds_curl_preload(struct kds_curl *c, struct snp_err *err)
{
	CURL *h;
	int ret;

	if ((ret = curl_dl_load(&c->api, err)) != 0)
		return ret;
	if ((h = c->api.easy_init()) == NULL)
		return snp_errf(err, SNP_E_NOMEM, "curl_easy_init failed");
	c->api.easy_cleanup(h);
	return 0;
}

void kds_curl_free(struct kds_curl *c)
{
	curl_dl_close(&c->api);
}

struct kds_fetcher kds_curl_fetcher(struct kds_curl *c)
{
	return (struct kds_fetcher){ .get = curl_get, .ctx = c };
}
