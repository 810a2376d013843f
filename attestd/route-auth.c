/*
 * POST /kbs/v0/auth, the KBS "Request -> Challenge" step
 * (confidential-containers/trustee, kbs/docs/kbs_attestation_protocol.md):
 *
 *   {"version": "0.4.0", "tee": "snp", "extra-params": {}}
 *   -> {"nonce": "<standard base64 of 32 random bytes>", "extra-params": {}}
 *      Set-Cookie: kbs-session-id=<UUID>; Secure; HttpOnly; Path=/kbs; Max-Age=<ttl>
 *
 * The version must match exactly, as Trustee's server requires. Each source
 * address is rate-limited (429 with Retry-After).
 */
#include "attestd/ctx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "attestd/ratelimit.h"
#include "attestd/store.h"
#include "util/hex.h"

#define KBS_PROTOCOL_VERSION "0.4.0"
#define NONCE_BYTES 32

/* Checks the Request body; returns 0 or fills x and resp. */
static int check_request(const struct httpd_req *req, struct httpd_resp *resp,
			 struct attestd_exch *x)
{
	json_error_t je;
	json_t *body = json_loadb((const char *)req->body, req->body_len,
				  JSON_REJECT_DUPLICATES, &je);
	json_t *extra = NULL;
	const char *version = NULL, *tee = NULL, *k;
	json_t *v;
	int ret = -1;

	if (!json_is_object(body)) {
		exch_refuse(x, resp, 400, "bad-request", "body", "auth: body is not a JSON object");
		goto out;
	}
	json_object_foreach(body, k, v) {
		if (strcmp(k, "version") && strcmp(k, "tee") && strcmp(k, "extra-params")) {
			exch_refuse(x, resp, 400, "bad-request", "body", "auth: unknown member '%.40s'",
				    k);
			goto out;
		}
	}
	version = json_string_value(json_object_get(body, "version"));
	tee = json_string_value(json_object_get(body, "tee"));
	extra = json_object_get(body, "extra-params");
	if (version == NULL || strcmp(version, KBS_PROTOCOL_VERSION) != 0) {
		exch_refuse(x, resp, 400, "bad-request", "version",
			    "auth: version '%.20s' is not " KBS_PROTOCOL_VERSION,
			    version ? version : "(missing)");
		goto out;
	}
	if (tee == NULL || strcmp(tee, "snp") != 0) {
		exch_refuse(x, resp, 400, "bad-request", "tee", "auth: tee '%.20s' is not snp",
			    tee ? tee : "(missing)");
		goto out;
	}
	if (extra && !json_is_object(extra)) {
		exch_refuse(x, resp, 400, "bad-request", "body", "auth: extra-params is not an object");
		goto out;
	}
	ret = 0;
out:
	json_decref(body);
	return ret;
}

/* A random (version 4) UUID, RFC 9562 §5.4. */
static int make_uuid(char out[STORE_SESSION_ID_LEN + 1], struct snp_err *err)
{
	uint8_t b[16];
	char h[33];
	int ret;

	if ((ret = attestd_random(b, sizeof(b), err)) != 0)
		return ret;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	hex_encode(b, sizeof(b), h);
	snprintf(out, STORE_SESSION_ID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12,
		 h + 16, h + 20);
	return 0;
}

void route_auth(struct attestd *a, const struct httpd_req *req, struct httpd_resp *resp,
		struct attestd_exch *x)
{
	char id[STORE_SESSION_ID_LEN + 1];
	uint8_t raw[NONCE_BYTES];
	struct snp_err err = { 0 };
	char *nonce = NULL;
	unsigned retry = 0;
	int64_t ttl = a->o.session_ttl_s;

	if (a->auth_rl && !ratelimit_take(a->auth_rl, req->peer ? req->peer : "",
					  attestd_now_ms(a), &retry)) {
		exch_refuse(x, resp, 429, "too-many-requests", "rate-limited",
			    "auth: %s over the rate limit", req->peer ? req->peer : "");
		if (httpd_resp_header(resp, "Retry-After", "%u", retry) != 0) {
			/* The status alone still says it. */
		}
		return;
	}
	if (check_request(req, resp, x) != 0)
		return;
	if (make_uuid(id, &err) != 0 || attestd_random(raw, sizeof(raw), &err) != 0 ||
	    (nonce = b64_encode(raw, sizeof(raw))) == NULL) {
		exch_refuse(x, resp, 500, "internal", "random", "auth: %s",
			    err.msg[0] ? err.msg : "out of memory");
		goto out;
	}
	if (store_session_create(a->store, id, nonce, x->now + ttl, &err) != 0) {
		exch_refuse(x, resp, 500, "internal", "store", "auth: %s", err.msg);
		goto out;
	}
	exch_bind(x, id);
	snprintf(x->reason, sizeof(x->reason), "challenge");
	exch_json(resp, 200, json_pack("{s:s,s:{}}", "nonce", nonce, "extra-params"));
	if (httpd_resp_header(resp, "Set-Cookie",
			      "kbs-session-id=%s; Secure; HttpOnly; Path=/kbs; Max-Age=%lld", id,
			      (long long)ttl) != 0)
		exch_refuse(x, resp, 500, "internal", "headers", "auth: no room for Set-Cookie");
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	free(nonce);
}
