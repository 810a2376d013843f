#include "agent/http.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "util/secret.h"

void agent_http_init(struct agent_http *h)
{
	memset(h, 0, sizeof(*h));
	kds_curl_init(&h->curl);
	h->curl.max_body = AGENT_HTTP_MAX_BODY;
}

void agent_http_free(struct agent_http *h)
{
	if (h->conn)
		h->curl.api.easy_cleanup(h->conn);
	h->conn = NULL;
	kds_curl_free(&h->curl);
	secret_wipe(h->cookie, sizeof(h->cookie));
}

void agent_http_resp_free(struct agent_http_resp *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* RFC 6265 §4.1.1 cookie-octet. */
static bool cookie_octet(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
	       (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

int agent_http_set_cookie(const char *line, size_t len, char *out, struct snp_err *err)
{
	static const char hdr[] = "set-cookie:";
	static const char name[] = AGENT_COOKIE_NAME "=";
	size_t i = sizeof(hdr) - 1, start, n;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len < i || strncasecmp(line, hdr, i) != 0)
		return 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (len - i < sizeof(name) - 1 || memcmp(line + i, name, sizeof(name) - 1) != 0)
		return 0;
	start = i += sizeof(name) - 1;
	while (i < len && line[i] != ';')
		i++;
	n = i - start;
	if (n == 0 || n > AGENT_COOKIE_MAX)
		return snp_errf(err, SNP_E_INVALID, "Set-Cookie: %s value of %zu bytes (want 1..%d)",
				AGENT_COOKIE_NAME, n, AGENT_COOKIE_MAX);
	for (size_t k = start; k < i; k++)
		if (!cookie_octet((unsigned char)line[k]))
			return snp_errf(err, SNP_E_INVALID,
					"Set-Cookie: %s: byte 0x%02x is not a cookie-octet",
					AGENT_COOKIE_NAME, (unsigned char)line[k]);
	memcpy(out, line + start, n);
	out[n] = '\0';
	return 1;
}

struct hdr_ctx {
	char cookie[AGENT_COOKIE_MAX + 1];
	bool has_cookie;
	struct snp_err err;
};

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
	struct hdr_ctx *c = ctx;
	int r = agent_http_set_cookie(data, size * n, c->cookie, &c->err);

	if (r < 0)
		return 0; /* aborts the transfer; c->err says why */
	if (r == 1)
		c->has_cookie = true;
	return size * n;
}

int agent_http_call(struct agent_http *h, const char *url, const char *json,
		    struct agent_http_resp *r, struct snp_err *err)
{
	const struct curl_dl *a = &h->curl.api;
	struct curl_dl_body b = { .max = h->curl.max_body ? h->curl.max_body : AGENT_HTTP_MAX_BODY };
	struct hdr_ctx hc = { .has_cookie = false };
	char errbuf[CURL_ERROR_SIZE] = "", cookie[sizeof(AGENT_COOKIE_NAME) + AGENT_COOKIE_MAX + 2];
	struct curl_slist *hdrs = NULL, *l;
	CURL *c;
	int ret = SNP_E_INTERNAL;

	memset(r, 0, sizeof(*r));
	if ((ret = curl_dl_load(&h->curl.api, err)) != 0)
		return ret;
	/* one handle for every call, so its connection stays (out: resets its options) */
	if (!h->conn && (h->conn = a->easy_init()) == NULL)
		return snp_errf(err, SNP_E_NOMEM, "curl_easy_init failed");
	c = h->conn;
	if ((ret = kds_curl_setup(&h->curl, c, url, &b, errbuf, err)) != 0)
		goto out;
	ret = SNP_E_NOMEM;
	if ((l = a->slist_append(hdrs, "Accept: application/json")) == NULL)
		goto out;
	hdrs = l;
	if (json) {
		if ((l = a->slist_append(hdrs, "Content-Type: application/json")) == NULL)
			goto out;
		hdrs = l;
	}
	ret = SNP_E_INTERNAL;
	if (a->easy_setopt(c, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
	    a->easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
	    a->easy_setopt(c, CURLOPT_HEADERDATA, &hc) != CURLE_OK ||
	    (json && (a->easy_setopt(c, CURLOPT_POSTFIELDS, json) != CURLE_OK ||
		      a->easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				     (curl_off_t)strlen(json)) != CURLE_OK))) {
		ret = snp_errf(err, SNP_E_INTERNAL, "curl_easy_setopt failed");
		goto out;
	}
	if (h->cookie[0]) {
		snprintf(cookie, sizeof(cookie), "%s=%s", AGENT_COOKIE_NAME, h->cookie);
		if (a->easy_setopt(c, CURLOPT_COOKIE, cookie) != CURLE_OK) {
			ret = snp_errf(err, SNP_E_INTERNAL, "curl_easy_setopt failed");
			goto out;
		}
	}
	if ((ret = kds_curl_perform(&h->curl, c, &b, errbuf, &r->status, err)) != 0) {
		if (hc.err.code != 0)
			*err = hc.err;
		ret = err->code;
		goto out;
	}
	if (hc.has_cookie)
		memcpy(h->cookie, hc.cookie, sizeof(h->cookie));
	/* NUL-terminate for the JSON parser */
	if ((r->body = realloc(b.p, b.len + 1)) == NULL) {
		ret = snp_errf(err, SNP_E_NOMEM, "out of memory");
		goto out;
	}
	b.p = NULL;
	r->body[b.len] = '\0';
	r->len = b.len;
	ret = 0;
out:
	free(b.p);
	/* nothing of this call's may stay in the handle: the header list and buffers go now */
	a->easy_reset(c);
	if (hdrs)
		a->slist_free_all(hdrs);
	secret_wipe(cookie, sizeof(cookie));
	secret_wipe(hc.cookie, sizeof(hc.cookie));
	return ret;
}

/* Appends s to buf (printable ASCII only, at most max bytes of it). */
static void add_clean(char *buf, size_t size, const char *sep, const char *s, size_t max)
{
	size_t n = strlen(buf);

	if (!s || !*s || n + strlen(sep) + 1 >= size)
		return;
	n += (size_t)snprintf(buf + n, size - n, "%s", n ? sep : "");
	for (size_t i = 0; s[i] && i < max && n + 1 < size; i++)
		buf[n++] = isprint((unsigned char)s[i]) ? s[i] : '?';
	buf[n] = '\0';
}

int agent_http_problem(const char *step, const struct agent_http_resp *r, struct snp_err *err)
{
	int code = r->status == 401 || r->status == 403	  ? SNP_E_REFUSED
		   : r->status == 400 || r->status == 404 ? SNP_E_INVALID
							  : SNP_E_SYS;
	char reason[160] = "";
	json_t *p = r->body && r->len ? json_loadb((const char *)r->body, r->len, 0, NULL) : NULL;

	if (json_is_object(p)) {
		const char *type = json_string_value(json_object_get(p, "type"));
		const char *tail = type ? strrchr(type, '/') : NULL;

		add_clean(reason, sizeof(reason), ": ", json_string_value(json_object_get(p, "title")), 60);
		add_clean(reason, sizeof(reason), ": ", tail ? tail + 1 : type, 40);
		add_clean(reason, sizeof(reason), ": ", json_string_value(json_object_get(p, "detail")),
			  100);
	}
	json_decref(p);
	return snp_errf(err, code, "%s: HTTP %ld: %s", step, r->status,
			reason[0] ? reason : "(no problem details)");
}
