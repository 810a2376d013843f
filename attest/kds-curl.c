#include "attest/kds-curl.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "util/dl.h"

static const char *const api_names[] = {
	"curl_easy_init", "curl_easy_setopt", "curl_easy_perform", "curl_easy_getinfo",
	"curl_easy_cleanup", "curl_easy_strerror", "curl_slist_append", "curl_slist_free_all",
};

int kds_curl_api_load(struct kds_curl_api *a, struct snp_err *err)
{
	void *fn[sizeof(api_names) / sizeof(api_names[0])];
	int ret;

	if (a->handle)
		return 0;
	if ((ret = dl_open("libcurl.so.4", api_names, fn, sizeof(fn) / sizeof(fn[0]), &a->handle,
			   err)) != 0)
		return ret;
	a->easy_init = (CURL * (*)(void)) fn[0];
	a->easy_setopt = (CURLcode(*)(CURL *, CURLoption, ...))fn[1];
	a->easy_perform = (CURLcode(*)(CURL *))fn[2];
	a->easy_getinfo = (CURLcode(*)(CURL *, CURLINFO, ...))fn[3];
	a->easy_cleanup = (void (*)(CURL *))fn[4];
	a->easy_strerror = (const char *(*)(CURLcode))fn[5];
	a->slist_append = (struct curl_slist * (*)(struct curl_slist *, const char *)) fn[6];
	a->slist_free_all = (void (*)(struct curl_slist *))fn[7];
	return 0;
}

static size_t collect(char *data, size_t size, size_t n, void *ctx)
{
	struct kds_curl_body *b = ctx;
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

int kds_curl_setup(const struct kds_curl *c, CURL *h, const char *url, struct kds_curl_body *b,
		   char *errbuf, struct snp_err *err)
{
	const struct kds_curl_api *a = &c->api;

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
	    a->easy_setopt(h, CURLOPT_WRITEFUNCTION, collect) != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_WRITEDATA, b) != CURLE_OK)
		return snp_errf(err, SNP_E_INTERNAL, "curl_easy_setopt failed");
	return 0;
}

int kds_curl_perform(const struct kds_curl *c, CURL *h, const struct kds_curl_body *b,
		     const char *errbuf, long *status, struct snp_err *err)
{
	const struct kds_curl_api *a = &c->api;
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
	struct kds_curl_body b = { .max = c->max_body ? c->max_body : KDS_MAX_BODY };
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *h = NULL;
	int ret = SNP_E_INTERNAL;

	*body = NULL;
	*len = 0;
	*http_status = 0;
	if ((ret = kds_curl_api_load(&c->api, err)) != 0)
		return ret;
	if ((h = c->api.easy_init()) == NULL)
		return snp_errf(err, SNP_E_NOMEM, "curl_easy_init failed");
	if ((ret = kds_curl_setup(c, h, url, &b, errbuf, err)) != 0 ||
	    (ret = kds_curl_perform(c, h, &b, errbuf, http_status, err)) != 0)
		goto out;
	*body = b.p;
	*len = b.len;
	b.p = NULL;
	ret = 0;
out:
	free(b.p);
	c->api.easy_cleanup(h);
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
	dl_close(c->api.handle);
	memset(&c->api, 0, sizeof(c->api));
}

struct kds_fetcher kds_curl_fetcher(struct kds_curl *c)
{
	return (struct kds_fetcher){ .get = curl_get, .ctx = c };
}
