#include "util/curl-dl.h"

#include <stdlib.h>
#include <string.h>

#include "util/dl.h"

static const char *const api_names[] = {
	"curl_easy_init",    "curl_easy_setopt",   "curl_easy_perform",
	"curl_easy_getinfo", "curl_easy_cleanup",  "curl_easy_strerror",
	"curl_slist_append", "curl_slist_free_all", "curl_easy_reset",
};

int curl_dl_load(struct curl_dl *a, struct snp_err *err)
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
	a->easy_reset = (void (*)(CURL *))fn[8];
	return 0;
}

void curl_dl_close(struct curl_dl *a)
{
	dl_close(a->handle);
	memset(a, 0, sizeof(*a));
}

size_t curl_dl_collect(char *data, size_t size, size_t n, void *ctx)
{
	struct curl_dl_body *b = ctx;
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
