/*
 * attestd's guest routes called as plain handlers (attestd_handle, no
 * socket) against a real SQLite store and sim-signed reports: the whole
 * auth -> attest -> resource exchange with the secret opened by the guest's
 * key, and every refusal with its reason in the audit chain.
 */
#include <strings.h>

#include "attestd/ear.h"
#include "attestd/jwe.h"
#include "attestd/tsm-cbor.h"
#include "tests/attestd/attestd-test.h"
#include "tests/common/pgserver.h"
#include "util/secret.h"

/* A request as the wrapper would hand it over; lookups read these tables. */
struct fake {
	const char *headers[4][2];
	const char *cookies[2][2];
};

static const char *find(const char *(*t)[2], size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (t[i][0] && strcasecmp(t[i][0], name) == 0)
			return t[i][1];
	return NULL;
}

static const char *fk_header(const struct httpd_req *r, const char *name)
{
	struct fake *f = r->impl;

	return find(f->headers, 4, name);
}

static const char *fk_cookie(const struct httpd_req *r, const char *name)
{
	struct fake *f = r->impl;

	return find(f->cookies, 2, name);
}

static const char *fk_query(const struct httpd_req *r, const char *name)
{
	(void)r;
	(void)name;
	return NULL;
}

struct call {
	const char *method, *path, *body, *sid, *bearer, *peer;
};

static void call(struct afx *f, const struct call *c, struct httpd_resp *resp)
{
	struct fake fk = { 0 };
	char auth[8192];
	struct httpd_req req = {
		.method = c->method,
		.path = c->path,
		.content_type = c->body ? "application/json" : NULL,
		.body = (const uint8_t *)(c->body ? c->body : ""),
		.body_len = c->body ? strlen(c->body) : 0,
		.peer = c->peer ? c->peer : "192.0.2.1",
		.header = fk_header,
		.cookie = fk_cookie,
		.query = fk_query,
		.impl = &fk,
	};

	if (c->sid) {
		fk.cookies[0][0] = "kbs-session-id";
		fk.cookies[0][1] = c->sid;
	}
	if (c->bearer) {
		snprintf(auth, sizeof(auth), "Bearer %s", c->bearer);
		fk.headers[0][0] = "Authorization";
		fk.headers[0][1] = auth;
	}
	memset(resp, 0, sizeof(*resp));
	attestd_handle(f->a, &req, resp);
}

static const char *resp_header(const struct httpd_resp *r, const char *name)
{
	for (unsigned i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

static json_t *resp_json(const struct httpd_resp *r)
{
	json_t *j = json_loadb((const char *)r->body, r->len, 0, NULL);

	if (j == NULL)
		fail_msg("status %u: body is not JSON: %.*s", r->status, (int)r->len,
			 (const char *)r->body);
	return j;
}

static void expect_status(const struct httpd_resp *r, unsigned want)
{
	if (r->status != want)
		fail_msg("status %u, want %u: %.*s", r->status, want, (int)r->len,
			 r->body ? (const char *)r->body : "");
}

/* POST /kbs/v0/auth: the session id (from Set-Cookie) and the nonce. */
static void do_auth(struct afx *f, char sid[STORE_SESSION_ID_LEN + 1],
		    char nonce[STORE_NONCE_LEN + 1])
{
	struct call c = { .method = "POST", .path = "/kbs/v0/auth",
			  .body = "{\"version\":\"0.4.0\",\"tee\":\"snp\",\"extra-params\":{}}" };
	struct httpd_resp r;
	const char *cookie;
	json_t *j;
	uint8_t raw[32];
	struct snp_err err = { 0 };

	call(f, &c, &r);
	expect_status(&r, 200);
	cookie = resp_header(&r, "Set-Cookie");
	assert_non_null(cookie);
	assert_int_equal(strncmp(cookie, "kbs-session-id=", 15), 0);
	assert_non_null(strstr(cookie, "; Secure; HttpOnly; Path=/kbs; Max-Age=300"));
	snprintf(sid, STORE_SESSION_ID_LEN + 1, "%s", cookie + 15);
	assert_int_equal(cookie[15 + STORE_SESSION_ID_LEN], ';');
	assert_int_equal(sid[14], '4'); /* a version 4 UUID */
	j = resp_json(&r);
	assert_non_null(json_string_value(json_object_get(j, "nonce")));
	snprintf(nonce, STORE_NONCE_LEN + 1, "%s", json_string_value(json_object_get(j, "nonce")));
	assert_int_equal(strlen(nonce), STORE_NONCE_LEN);
	/* Standard base64 with padding of 32 bytes. */
	assert_int_equal(b64_decode(nonce, raw, sizeof(raw), "nonce", &err), 0);
	assert_true(json_is_object(json_object_get(j, "extra-params")));
	json_decref(j);
	httpd_resp_free(&r);
}

/* POST /kbs/v0/attest with body under session sid; returns the status, *token on 200. */
static unsigned do_attest(struct afx *f, const char *sid, const char *body, char **token)
{
	struct call c = { .method = "POST", .path = "/kbs/v0/attest", .body = body, .sid = sid };
	struct httpd_resp r;
	unsigned st;

	call(f, &c, &r);
	st = r.status;
	if (token)
		*token = NULL;
	if (st == 200 && token) {
		json_t *j = resp_json(&r);

		*token = strdup(json_string_value(json_object_get(j, "token")));
		json_decref(j);
	} else if (st != 200) {
		json_t *j = resp_json(&r);
		const char *ct = r.content_type;

		/* RFC 7807, and no detail beyond the public type. */
		assert_string_equal(ct, "application/problem+json");
		assert_int_equal(json_integer_value(json_object_get(j, "status")), st);
		assert_null(json_object_get(j, "detail"));
		json_decref(j);
	}
	httpd_resp_free(&r);
	return st;
}

/* The whole exchange up to a token; gr receives the guest's side. */
static char *attested(struct afx *f, struct sim_guest *g, struct afx_guest_req *gr,
		      char sid[STORE_SESSION_ID_LEN + 1])
{
	char nonce[STORE_NONCE_LEN + 1], *body, *token = NULL;

	do_auth(f, sid, nonce);
	afx_guest_req(f, g, nonce, gr);
	body = afx_attest_body(f, gr);
	if (do_attest(f, sid, body, &token) != 200)
		fail_msg("attest refused: %s",
			 json_string_value(json_object_get(afx_last_audit(f, "attest"), "detail")));
	free(body);
	return token;
}

/* GET the resource; on 200 opens the JWE with priv and checks the secret. */
static unsigned get_resource(struct afx *f, const char *path, const char *sid,
			     const char *bearer, const json_t *priv)
{
	struct call c = { .method = "GET", .path = path, .sid = sid, .bearer = bearer };
	struct httpd_resp r;
	unsigned st;

	call(f, &c, &r);
	st = r.status;
	if (st == 200) {
		assert_string_equal(r.content_type, "application/json");
		afx_assert_secret(priv, r.body, r.len);
	} else {
		json_t *j = resp_json(&r);

		assert_null(json_object_get(j, "detail"));
		json_decref(j);
	}
	httpd_resp_free(&r);
	return st;
}

#define RES(tag) "/kbs/v0/resource/" AFX_REPO "/key/" tag

/* A fresh attestd with the resource "disk" provisioned and one guest attested for it. */
struct exchange {
	struct afx *f;
	char *pol;                          /* the policy "disk" is under, or NULL */
	uint64_t pv;                        /* its version (0 without one) */
	struct afx_guest_req gr;            /* the guest's side */
	char sid[STORE_SESSION_ID_LEN + 1];
	char *token;
};

/* x->f: a fresh attestd that trusts the sim; nothing provisioned yet. */
static void exchange_open(struct exchange *x)
{
	memset(x, 0, sizeof(*x));
	x->f = afx_new(true);
}

/* "disk" under pol (x takes it; NULL: no policy), then guest g (NULL: x->f's) attested. */
static void exchange_attest_disk(struct exchange *x, char *pol, struct sim_guest *g)
{
	x->pol = pol;
	x->pv = afx_provision(x->f, "disk", pol);
	x->token = attested(x->f, g, &x->gr, x->sid);
}

/* exchange_open, then "disk" under the policy admitting x->f's guest, which attests. */
static void exchange_attested(struct exchange *x)
{
	exchange_open(x);
	exchange_attest_disk(x, afx_policy(x->f, NULL), NULL);
}

static void exchange_close(struct exchange *x)
{
	free(x->token);
	free(x->pol);
	afx_guest_req_free(&x->gr);
	afx_free(x->f);
}

static void happy_path_cookie_and_bearer(void **state)
{
	struct exchange x;
	struct afx *f;
	json_t *row, *claims = NULL, *jwks;
	struct snp_err err = { 0 };

	(void)state;
	exchange_attested(&x);
	f = x.f;
	afx_assert_audit(f, "attest", "accept", "verified");
	assert_int_equal(get_resource(f, RES("disk"), x.sid, NULL, x.gr.priv), 200);
	afx_assert_audit(f, "release", "accept", "released");
	row = afx_last_audit(f, "release");
	assert_string_equal(json_string_value(json_object_get(row, "policy_id")), AFX_REPO);
	assert_int_equal(json_integer_value(json_object_get(row, "policy_version")), x.pv);
	assert_string_equal(json_string_value(json_object_get(row, "tenant")), AFX_TENANT);
	assert_string_equal(json_string_value(json_object_get(row, "resource")),
			    AFX_REPO "/key/disk");
	assert_string_equal(json_string_value(json_object_get(row, "credential")), "session");
	json_decref(row);
	/* The same token as Bearer, without the cookie. */
	assert_int_equal(get_resource(f, RES("disk"), NULL, x.token, x.gr.priv), 200);
	row = afx_last_audit(f, "release");
	assert_string_equal(json_string_value(json_object_get(row, "credential")), "bearer");
	json_decref(row);
	/* The token: ES384 EAR, affirming, bound to the guest's key (cnf). */
	{
		struct httpd_resp r;
		struct call c = { .method = "GET", .path = "/kbs/v0/jwks" };
		json_t *pub = NULL;

		call(f, &c, &r);
		expect_status(&r, 200);
		jwks = resp_json(&r);
		httpd_resp_free(&r);
		if (ear_verify(jwks, x.token, strlen(x.token), f->now_ms / 1000, &claims, &err) != 0)
			fail_msg("ear_verify: %s", err.msg);
		assert_int_equal(jwk_public_of(x.gr.priv, &pub, &err), 0);
		assert_true(json_equal(json_object_get(json_object_get(claims, "cnf"), "jwk"), pub));
		assert_int_equal(json_integer_value(json_object_get(claims, "exp")) -
				 json_integer_value(json_object_get(claims, "iat")), 300);
		json_decref(pub);
		json_decref(claims);
		json_decref(jwks);
	}
	/* The same document at the well-known address. */
	{
		struct httpd_resp r;
		struct call c = { .method = "GET", .path = "/.well-known/jwks.json" };

		call(f, &c, &r);
		expect_status(&r, 200);
		httpd_resp_free(&r);
	}
	exchange_close(&x);
}

/* The configfs-tsm CBOR form of the evidence (attestd/tsm-cbor.h) takes the same path. */
static void tsm_cbor_evidence_accepted(void **state)
{
	struct afx *f = afx_new(true);
	char *pol = afx_policy(f, NULL), sid[STORE_SESSION_ID_LEN + 1], nonce[STORE_NONCE_LEN + 1];
	struct afx_guest_req gr = { 0 };
	struct tsm_evidence ev = { .provider = "sev_guest" };
	struct snp_err err = { 0 };
	uint8_t *cbor = NULL;
	size_t n = 0;
	char *body, *token = NULL;
	json_t *b;

	(void)state;
	afx_provision(f, "disk", pol);
	do_auth(f, sid, nonce);
	afx_guest_req(f, NULL, nonce, &gr);
	ev.outblob = gr.report;
	ev.outblob_len = SNP_REPORT_SIZE;
	ev.auxblob = f->table;
	ev.auxblob_len = f->table_len;
	assert_int_equal(tsm_cbor_encode(&ev, &cbor, &n, &err), 0);
	b = json_pack("{s:O,s:{s:s,s:o}}", "runtime-data", gr.rd, "tee-evidence", "media-type",
		      TSM_CBOR_MEDIA_TYPE, "tsm-report", jose_b64_enc(cbor, n));
	body = json_dumps(b, JSON_COMPACT);
	assert_int_equal(do_attest(f, sid, body, &token), 200);
	assert_non_null(token);
	afx_assert_audit(f, "attest", "accept", "verified");
	{
		json_t *row = afx_last_audit(f, "attest");

		assert_string_equal(json_string_value(json_object_get(row, "evidence")), "tsm-cbor");
		json_decref(row);
	}
	assert_int_equal(get_resource(f, RES("disk"), sid, NULL, gr.priv), 200);
	free(body);
	json_decref(b);
	free(cbor);
	free(token);
	free(pol);
	afx_guest_req_free(&gr);
	afx_free(f);
}

static void replayed_nonce_refused(void **state)
{
	struct afx *f = afx_new(true);
	char sid[STORE_SESSION_ID_LEN + 1], sid2[STORE_SESSION_ID_LEN + 1];
	char nonce2[STORE_NONCE_LEN + 1], *token, *body;
	struct afx_guest_req gr = { 0 };

	(void)state;
	token = attested(f, NULL, &gr, sid);
	body = afx_attest_body(f, &gr);
	/* The same evidence again on its own session: the nonce is spent. */
	assert_int_equal(do_attest(f, sid, body, NULL), 401);
	afx_assert_audit(f, "attest", "refuse", "nonce-replayed");
	/* On a fresh session: not that session's nonce. */
	do_auth(f, sid2, nonce2);
	assert_int_equal(do_attest(f, sid2, body, NULL), 401);
	afx_assert_audit(f, "attest", "refuse", "nonce-mismatch");
	free(body);
	free(token);
	afx_guest_req_free(&gr);
	afx_free(f);
}

/* One /attest whose evidence mutate() spoils; refused 401 with reason in the audit row. */
static void attest_refused(bool trust_sim, void (*mutate)(struct afx *, struct afx_guest_req *),
			   const char *reason)
{
	struct afx *f = afx_new(trust_sim);
	char sid[STORE_SESSION_ID_LEN + 1], nonce[STORE_NONCE_LEN + 1], *body;
	struct afx_guest_req gr = { 0 };

	do_auth(f, sid, nonce);
	afx_guest_req(f, NULL, nonce, &gr);
	if (mutate)
		mutate(f, &gr);
	body = afx_attest_body(f, &gr);
	assert_int_equal(do_attest(f, sid, body, NULL), 401);
	afx_assert_audit(f, "attest", "refuse", reason);
	free(body);
	afx_guest_req_free(&gr);
	afx_free(f);
}

static void session_expires(struct afx *f, struct afx_guest_req *gr)
{
	(void)gr;
	f->now_ms += 301 * 1000;
}

/* The report binds another key to the same nonce. */
static void report_of_another_key(struct afx *f, struct afx_guest_req *gr)
{
	struct afx_guest_req other = { 0 };

	afx_guest_req(f, NULL, json_string_value(json_object_get(gr->rd, "nonce")), &other);
	memcpy(gr->report, other.report, SNP_REPORT_SIZE);
	afx_guest_req_free(&other);
}

static void flip_measurement_bit(struct afx *f, struct afx_guest_req *gr)
{
	(void)f;
	gr->report[0x90] ^= 1;
}

static void expired_session_refused(void **state)
{
	(void)state;
	attest_refused(true, session_expires, "session-unknown");
}

static void report_data_not_bound_refused(void **state)
{
	(void)state;
	attest_refused(true, report_of_another_key, "report-data-unbound");
}

static void tampered_report_refused(void **state)
{
	(void)state;
	attest_refused(true, flip_measurement_bit, "verify.report.signature");
}

/* The chain stops at the sim's ARK: not one of AMD's pinned roots. */
static void sim_report_without_sim_root_refused(void **state)
{
	(void)state;
	attest_refused(false, NULL, "verify.ark.pinned");
}

/* The resource policy refusals: each names the failed check in the audit row. */
static void policy_refusal(const char *policy_extra, bool own_policy, const char *text,
			   uint64_t guest_policy, const char *reason)
{
	struct exchange x;
	char *pol;
	struct sim_guest *g;

	exchange_open(&x);
	pol = own_policy ? strdup(text) : afx_policy(x.f, policy_extra);
	g = guest_policy ? afx_guest(x.f, guest_policy) : NULL;
	exchange_attest_disk(&x, pol, g);
	assert_int_equal(get_resource(x.f, RES("disk"), x.sid, NULL, x.gr.priv), 403);
	afx_assert_audit(x.f, "release", "refuse", reason);
	sim_guest_free(g);
	exchange_close(&x);
}

static void debug_guest_refused_by_policy(void **state)
{
	(void)state;
	policy_refusal(NULL, false, NULL, AFX_GUEST_POLICY | SNP_POLICY_DEBUG, "policy.POLICY.DEBUG");
}

static void measurement_not_allowed(void **state)
{
	(void)state;
	policy_refusal(NULL, true,
		       "{\"measurements\":[\"" /* 48 bytes no guest here has */
		       "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
		       "202122232425262728292a2b2c2d2e2f\"],\"vmpl\":\"any\","
		       "\"guest_policy\":{\"allow_smt\":true},\"allow_provisional_firmware\":true,"
		       "\"allow_any_id_key\":true,\"platform_info\":{\"allow_unknown_bits\":true}}",
		       0, "policy.MEASUREMENT");
}

static void tcb_below_minimum(void **state)
{
	(void)state;
	policy_refusal(",\"min_reported_tcb\":{\"snp\":255}", false, NULL, 0,
		       "policy.REPORTED_TCB");
}

static void no_policy_refuses(void **state)
{
	struct exchange x;

	(void)state;
	exchange_open(&x);
	exchange_attest_disk(&x, NULL, NULL);
	assert_int_equal(get_resource(x.f, RES("disk"), x.sid, NULL, x.gr.priv), 403);
	afx_assert_audit(x.f, "release", "refuse", "no-policy");
	exchange_close(&x);
}

static void unknown_resource_404(void **state)
{
	struct exchange x;

	(void)state;
	exchange_attested(&x);
	assert_int_equal(get_resource(x.f, RES("other"), x.sid, NULL, x.gr.priv), 404);
	afx_assert_audit(x.f, "release", "refuse", "unknown-resource");
	assert_int_equal(get_resource(x.f, "/kbs/v0/resource/" AFX_REPO "/key", x.sid, NULL,
				      x.gr.priv), 404);
	assert_int_equal(get_resource(x.f, "/kbs/v0/resource/../key/disk", x.sid, NULL, x.gr.priv),
			 404);
	exchange_close(&x);
}

static void token_from_another_attestd_key_refused(void **state)
{
	struct exchange x;
	char *forged = NULL;
	struct snp_err err = { 0 };
	json_t *key = NULL, *jwks = NULL, *claims = NULL;
	struct httpd_resp r;
	struct call c = { .method = "GET", .path = "/kbs/v0/jwks" };

	(void)state;
	exchange_attested(&x);
	/* The genuine token's claims, re-signed by a key this attestd never published. */
	call(x.f, &c, &r);
	jwks = resp_json(&r);
	httpd_resp_free(&r);
	assert_int_equal(ear_verify(jwks, x.token, strlen(x.token), x.f->now_ms / 1000, &claims,
				    &err), 0);
	assert_int_equal(ear_key_generate(&key, &err), 0);
	{
		json_t *sub = json_object_get(json_object_get(claims, "submods"), EAR_SUBMOD);
		struct ear_claims ec = {
			.status = "affirming",
			.appraised = json_object_get(sub, "ear.veraison.annotated-evidence"),
			.iat = json_integer_value(json_object_get(claims, "iat")),
			.exp = json_integer_value(json_object_get(claims, "exp")),
			.policy_id = "forged",
			.policy_version = 1,
			.cnf_jwk = json_object_get(json_object_get(claims, "cnf"), "jwk"),
		};

		assert_int_equal(ear_sign(key, &ec, &forged, &err), 0);
	}
	assert_int_equal(get_resource(x.f, RES("disk"), NULL, forged, x.gr.priv), 401);
	afx_assert_audit(x.f, "release", "refuse", "token-invalid");
	/* Nor does a session or a token get anything without one. */
	assert_int_equal(get_resource(x.f, RES("disk"), NULL, NULL, x.gr.priv), 401);
	afx_assert_audit(x.f, "release", "refuse", "no-credentials");
	/* An expired token. */
	x.f->now_ms += 301 * 1000;
	assert_int_equal(get_resource(x.f, RES("disk"), NULL, x.token, x.gr.priv), 401);
	afx_assert_audit(x.f, "release", "refuse", "token-invalid");
	jwk_free_private(key);
	json_decref(jwks);
	json_decref(claims);
	free(forged);
	exchange_close(&x);
}

/*
 * The token cache (attestd/ear-cache.h) refuses what ear_verify would: a
 * token whose signing key was rotated out and whose overlap has passed,
 * although the token itself has not expired, by cookie and by Bearer.
 */
static void cached_token_refused_after_rotation_past_overlap(void **state)
{
	struct exchange x;
	struct afx *f;
	char sid2[STORE_SESSION_ID_LEN + 1];
	struct afx_guest_req gr2 = { 0 };
	struct snp_err err = { 0 };
	json_t *nk = NULL;
	char *token2;
	int64_t now;

	(void)state;
	exchange_attested(&x);
	f = x.f;
	assert_int_equal(get_resource(f, RES("disk"), x.sid, NULL, x.gr.priv), 200);
	assert_int_equal(get_resource(f, RES("disk"), NULL, x.token, x.gr.priv), 200);
	/* Rotation now, the old key published 60 s longer; the token lives 300 s. */
	now = f->now_ms / 1000;
	assert_int_equal(ear_key_generate(&nk, &err), 0);
	assert_int_equal(store_signing_key_rotate(f->st, nk, now, now + 86400, now + 86400 + 300,
						  now + 60, &err), 0);
	jwk_free_private(nk);
	f->now_ms += 30 * 1000; /* past KEYS_REFRESH, inside the overlap */
	assert_int_equal(get_resource(f, RES("disk"), NULL, x.token, x.gr.priv), 200);
	assert_int_equal(get_resource(f, RES("disk"), x.sid, NULL, x.gr.priv), 200);
	f->now_ms += 31 * 1000; /* past the overlap, the token not yet expired */
	assert_int_equal(get_resource(f, RES("disk"), NULL, x.token, x.gr.priv), 401);
	afx_assert_audit(f, "release", "refuse", "token-invalid");
	assert_int_equal(get_resource(f, RES("disk"), x.sid, NULL, x.gr.priv), 401);
	afx_assert_audit(f, "release", "refuse", "token-invalid");
	/* A new exchange is signed by the new key. */
	token2 = attested(f, NULL, &gr2, sid2);
	assert_int_equal(get_resource(f, RES("disk"), NULL, token2, gr2.priv), 200);
	free(token2);
	afx_guest_req_free(&gr2);
	exchange_close(&x);
}

/* A cached Bearer token is refused from the second its exp names. */
static void cached_bearer_refused_at_expiry(void **state)
{
	struct exchange x;

	(void)state;
	exchange_attested(&x);
	assert_int_equal(get_resource(x.f, RES("disk"), NULL, x.token, x.gr.priv), 200);
	x.f->now_ms += 299 * 1000;
	assert_int_equal(get_resource(x.f, RES("disk"), NULL, x.token, x.gr.priv), 200);
	x.f->now_ms += 1000; /* now == exp */
	assert_int_equal(get_resource(x.f, RES("disk"), NULL, x.token, x.gr.priv), 401);
	afx_assert_audit(x.f, "release", "refuse", "token-invalid");
	exchange_close(&x);
}

static void auth_checks_request_and_rate_limits(void **state)
{
	struct afx *f = afx_new(true);
	static const char *const bad[] = {
		"{\"version\":\"0.1.1\",\"tee\":\"snp\",\"extra-params\":{}}",
		"{\"version\":\"0.4.0\",\"tee\":\"tdx\",\"extra-params\":{}}",
		"{\"version\":\"0.4.0\",\"tee\":\"snp\",\"extra\":1}",
		"[]", "not json",
	};
	struct httpd_resp r;
	unsigned i, ok = 0;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct call c = { .method = "POST", .path = "/kbs/v0/auth", .body = bad[i],
				  .peer = "198.51.100.7" };

		call(f, &c, &r);
		expect_status(&r, 400);
		httpd_resp_free(&r);
	}
	/* Default bucket: 20 at once, then 429 with Retry-After. */
	for (i = 0; i < 30; i++) {
		struct call c = { .method = "POST", .path = "/kbs/v0/auth",
				  .body = "{\"version\":\"0.4.0\",\"tee\":\"snp\"}",
				  .peer = "198.51.100.8" };

		call(f, &c, &r);
		if (r.status == 200) {
			ok++;
		} else {
			expect_status(&r, 429);
			assert_string_equal(resp_header(&r, "Retry-After"), "1");
		}
		httpd_resp_free(&r);
	}
	assert_int_equal(ok, 20);
	/* Another source is not affected; a second later the first one has a token again. */
	{
		struct call c = { .method = "POST", .path = "/kbs/v0/auth",
				  .body = "{\"version\":\"0.4.0\",\"tee\":\"snp\"}",
				  .peer = "198.51.100.9" };

		call(f, &c, &r);
		expect_status(&r, 200);
		httpd_resp_free(&r);
		f->now_ms += 1000;
		c.peer = "198.51.100.8";
		call(f, &c, &r);
		expect_status(&r, 200);
		httpd_resp_free(&r);
	}
	afx_free(f);
}

static void ops_routes_and_errors(void **state)
{
	struct afx *f = afx_new(true);
	struct httpd_resp r;
	struct call healthz = { .method = "GET", .path = "/healthz" };
	struct call metrics = { .method = "GET", .path = "/metrics" };
	struct call nope = { .method = "GET", .path = "/nope" };
	struct call wrong = { .method = "GET", .path = "/kbs/v0/auth" };
	char sid[STORE_SESSION_ID_LEN + 1], nonce[STORE_NONCE_LEN + 1];
	json_t *j, *line;
	size_t nlogs;

	(void)state;
	call(f, &healthz, &r);
	expect_status(&r, 200);
	httpd_resp_free(&r);
	call(f, &nope, &r);
	expect_status(&r, 404);
	j = resp_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "type")),
			    "urn:snpvm:attestd:not-found");
	assert_int_equal(strlen(json_string_value(json_object_get(j, "correlation_id"))), 32);
	json_decref(j);
	httpd_resp_free(&r);
	call(f, &wrong, &r);
	expect_status(&r, 405);
	assert_string_equal(resp_header(&r, "Allow"), "POST");
	httpd_resp_free(&r);
	do_auth(f, sid, nonce);
	assert_int_equal(do_attest(f, sid, "{\"runtime-data\":1}", NULL), 400);
	assert_int_equal(do_attest(f, NULL, "{}", NULL), 401);
	call(f, &metrics, &r);
	expect_status(&r, 200);
	assert_non_null(strstr((char *)r.body,
			       "snpvm_attestd_requests_total{route=\"auth\",status=\"200\"} 1\n"));
	assert_non_null(strstr((char *)r.body,
			       "snpvm_attestd_decisions_total{event=\"attest\",decision=\"refuse\","
			       "reason=\"no-session\"} 1\n"));
	/* Two on the auth route: the POST and the GET answered 405. */
	assert_non_null(strstr((char *)r.body, "snpvm_attestd_request_duration_seconds_bucket{"
					       "route=\"auth\",le=\"+Inf\"} 2\n"));
	assert_non_null(strstr((char *)r.body,
			       "snpvm_attestd_requests_total{route=\"auth\",status=\"405\"} 1\n"));
	httpd_resp_free(&r);
	/* One JSON log line per exchange, with its correlation id. */
	nlogs = json_array_size(f->logs);
	assert_int_equal(nlogs, 7);
	line = json_array_get(f->logs, 4);
	assert_string_equal(json_string_value(json_object_get(line, "route")), "attest");
	assert_int_equal(json_integer_value(json_object_get(line, "status")), 400);
	assert_non_null(json_string_value(json_object_get(line, "detail")));
	assert_int_equal(strlen(json_string_value(json_object_get(line, "cid"))), 32);
	afx_free(f);
}

/* One racer: POST /attest on replica r->a; the status into r->status. */
struct racer {
	struct afx f; /* a shallow copy whose .a is this replica */
	const char *sid, *body;
	unsigned status;
};

static void *race_attest(void *arg)
{
	struct racer *r = arg;

	r->status = do_attest(&r->f, r->sid, r->body, NULL);
	return NULL;
}

/*
 * Two attestd instances (each with its own connection pool) on one
 * PostgreSQL database, as replicas behind a load balancer: a session opened
 * on A is seen by B; one /attest raced on both with the same nonce wins on
 * exactly one (the nonce row decides); the resource is then released by the
 * replica that did not attest; the audit chain verifies. Skipped, saying why,
 * without the PostgreSQL server binaries.
 */
static void two_replicas_on_postgresql(void **state)
{
	char why[256], sid[STORE_SESSION_ID_LEN + 1], nonce[STORE_NONCE_LEN + 1], *body, *pol;
	struct pgserver *pg = pgserver_start(false, why, sizeof(why));
	struct afx *f;
	struct attestd *rep[2] = { NULL, NULL }, *own_a;
	struct store *own_st;
	struct attestd_opts o;
	struct afx_guest_req gr = { 0 };
	struct racer rc[2];
	pthread_t t[2];
	struct snp_err err = { 0 };
	uint64_t rows = 0;
	char *uri;
	int wins = 0, loser = -1;

	(void)state;
	if (pg == NULL) {
		print_message("[  SKIP    ] %s\n", why);
		skip();
	}
	uri = pgserver_createdb(pg, "attestd");
	assert_non_null(uri);
	f = afx_new(true);
	own_a = f->a;
	own_st = f->st;
	o = afx_opts(f, true);
	o.store_uri = uri;
	for (int i = 0; i < 2; i++)
		if (attestd_open(&o, &rep[i], &err) != 0)
			fail_msg("attestd_open on PostgreSQL: %s", err.msg);
	f->a = rep[0];
	f->st = attestd_store(rep[0]);
	pol = afx_policy(f, NULL);
	afx_provision(f, "disk", pol);
	do_auth(f, sid, nonce); /* on replica 0 */
	afx_guest_req(f, NULL, nonce, &gr);
	body = afx_attest_body(f, &gr);
	for (int i = 0; i < 2; i++) {
		rc[i].f = *f;
		rc[i].f.a = rep[i];
		rc[i].sid = sid;
		rc[i].body = body;
		assert_int_equal(pthread_create(&t[i], NULL, race_attest, &rc[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		if (rc[i].status == 200)
			wins++;
		else
			loser = i;
	}
	assert_int_equal(wins, 1);
	assert_true(loser >= 0);
	assert_int_equal(rc[loser].status, 401);
	/* the session attested on the winner releases on the other replica */
	f->a = rep[loser];
	f->st = attestd_store(rep[loser]);
	assert_int_equal(get_resource(f, RES("disk"), sid, NULL, gr.priv), 200);
	if (store_audit_verify(f->st, &rows, &err) != 0)
		fail_msg("audit chain on PostgreSQL: %s", err.msg);
	assert_int_equal(rows, 3); /* attest accepted, attest refused (nonce), release */
	f->a = own_a;
	f->st = own_st;
	for (int i = 0; i < 2; i++)
		attestd_close(rep[i]);
	free(body);
	free(pol);
	free(uri);
	afx_guest_req_free(&gr);
	afx_free(f);
	pgserver_stop(pg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(happy_path_cookie_and_bearer),
		cmocka_unit_test(two_replicas_on_postgresql),
		cmocka_unit_test(tsm_cbor_evidence_accepted),
		cmocka_unit_test(replayed_nonce_refused),
		cmocka_unit_test(expired_session_refused),
		cmocka_unit_test(report_data_not_bound_refused),
		cmocka_unit_test(tampered_report_refused),
		cmocka_unit_test(sim_report_without_sim_root_refused),
		cmocka_unit_test(debug_guest_refused_by_policy),
		cmocka_unit_test(measurement_not_allowed),
		cmocka_unit_test(tcb_below_minimum),
		cmocka_unit_test(no_policy_refuses),
		cmocka_unit_test(unknown_resource_404),
		cmocka_unit_test(token_from_another_attestd_key_refused),
		cmocka_unit_test(cached_token_refused_after_rotation_past_overlap),
		cmocka_unit_test(cached_bearer_refused_at_expiry),
		cmocka_unit_test(auth_checks_request_and_rate_limits),
		cmocka_unit_test(ops_routes_and_errors),
	};

	return cmocka_run_group_tests_name("attestd service", tests, NULL, NULL);
}
