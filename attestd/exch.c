/* Per-request helpers shared by the routes: RFC 7807 problems, JSON bodies, ids. */
#include "attestd/ctx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "util/hex.h"

/* Public problem types (RFC 7807 §3.1 "type" as urn:snpvm:attestd:<code>) and their titles. */
static const char *const titles[][2] = {
	{ "bad-request", "Malformed request" },
	{ "unauthorized", "No valid session or token" },
	{ "attestation-failed", "Attestation failed" },
	{ "policy-refused", "Refused by the resource policy" },
	{ "not-found", "Not found" },
	{ "method-not-allowed", "Method not allowed" },
	{ "too-many-requests", "Too many requests" },
	{ "unsupported-media-type", "Unsupported media type" },
	{ "internal", "Internal error" },
};

static const char *title_of(const char *type)
{
	for (size_t i = 0; i < sizeof(titles) / sizeof(titles[0]); i++)
		if (strcmp(titles[i][0], type) == 0)
			return titles[i][1];
	return "Error";
}

void exch_json(struct httpd_resp *resp, unsigned status, json_t *v)
{
	char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;

	json_decref(v);
	if (text == NULL) {
		httpd_resp_set(resp, 500, NULL, NULL, 0);
		return;
	}
	httpd_resp_set(resp, status, "application/json", text, strlen(text));
	free(text);
}

void exch_refuse(struct attestd_exch *x, struct httpd_resp *resp, unsigned status,
		 const char *type, const char *reason, const char *fmt, ...)
{
	char typeuri[96], *text;
	json_t *p;
	va_list ap;

	snprintf(x->reason, sizeof(x->reason), "%s", reason);
	va_start(ap, fmt);
	vsnprintf(x->detail, sizeof(x->detail), fmt, ap);
	va_end(ap);
	if (x->event)
		x->decision = "refuse";
	snprintf(typeuri, sizeof(typeuri), "urn:snpvm:attestd:%s", type);
	p = json_pack("{s:s,s:s,s:i,s:s,s:s}", "type", typeuri, "title", title_of(type),
		      "status", (int)status, "reason", type, "correlation_id", x->cid);
	text = p ? json_dumps(p, JSON_COMPACT) : NULL;
	json_decref(p);
	if (text == NULL || httpd_resp_set(resp, status, "application/problem+json", text,
					   strlen(text)) != 0)
		httpd_resp_set(resp, status, NULL, NULL, 0);
	free(text);
}

void exch_bind(struct attestd_exch *x, const char *s)
{
	uint8_t md[32];
	unsigned mdlen = 0;

	if (EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL) != 1)
		return;
	hex_encode(md, 8, x->exchange);
}

void exch_audit(struct attestd_exch *x, const char *k, json_t *v)
{
	if (x->audit == NULL)
		x->audit = json_object();
	if (x->audit)
		json_object_set_new(x->audit, k, v);
	else
		json_decref(v);
}

int attestd_random(uint8_t *buf, size_t len, struct snp_err *err)
{
	if (RAND_bytes(buf, (int)len) != 1)
		return snp_err_openssl(err, "RAND_bytes");
	return 0;
}
