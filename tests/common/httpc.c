#include "tests/common/httpc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

struct sink {
	char **p;
	size_t *len;
};

static size_t collect(char *data, size_t size, size_t n, void *ctx)
{
	struct sink *s = ctx;
	char *q = realloc(*s->p, *s->len + size * n + 1);

	if (q == NULL)
		return 0;
	memcpy(q + *s->len, data, size * n);
	*s->len += size * n;
	q[*s->len] = '\0';
	*s->p = q;
	return size * n;
}

int httpc_do(const struct httpc_req *r, struct httpc_resp *out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hl = NULL;
	struct sink body = { (char **)&out->body, &out->len }, hdr = { &out->headers, &out->hlen };
	char ct[256];
	CURLcode rc;

	memset(out, 0, sizeof(*out));
	if (c == NULL)
		return CURLE_FAILED_INIT;
	curl_easy_setopt(c, CURLOPT_URL, r->url);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, r->timeout_s ? r->timeout_s : 20L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &hdr);
	if (r->unix_path)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, r->unix_path);
	if (r->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
	}
	if (r->method)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
	if (r->content_type) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", r->content_type);
		hl = curl_slist_append(hl, ct);
	}
	/* No "Expect: 100-continue" round trip. */
	hl = curl_slist_append(hl, "Expect:");
	for (size_t i = 0; r->headers && r->headers[i]; i++)
		hl = curl_slist_append(hl, r->headers[i]);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	if (r->cookie)
		curl_easy_setopt(c, CURLOPT_COOKIE, r->cookie);
	if (r->cainfo)
		curl_easy_setopt(c, CURLOPT_CAINFO, r->cainfo);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	if (out->body == NULL && (out->body = calloc(1, 1)) == NULL)
		return CURLE_OUT_OF_MEMORY;
	return (int)rc;
}

const char *httpc_header(const struct httpc_resp *resp, const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);
	const char *p = resp->headers;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t l = eol ? (size_t)(eol - p) : strlen(p);

		if (l > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;
			size_t vl;

			while (*v == ' ')
				v++;
			vl = (size_t)(p + l - v);
			while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == ' '))
				vl--;
			if (vl >= len)
				vl = len - 1;
			memcpy(buf, v, vl);
			buf[vl] = '\0';
			return buf;
		}
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

void httpc_resp_free(struct httpc_resp *resp)
{
	free(resp->body);
	free(resp->headers);
	memset(resp, 0, sizeof(*resp));
}
