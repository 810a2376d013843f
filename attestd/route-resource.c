/*
 * GET /kbs/v0/resource/<repo>/<type>/<tag>: the secret as a flattened JWE
 * (attestd/jwe.h) to the key the EAR confirms ("cnf"), when
 *
 *   1. the caller holds an EAR: the session cookie of an ATTESTED session
 *      (the token its MAC-checked row holds) or Authorization: Bearer <EAR>,
 *      verified against the published JWKS at the current time - or found
 *      in the cache of tokens already verified or issued, which checks the
 *      expiry and that the signing kid is still published on every hit
 *      (attestd/ear-cache.h);
 *   2. the resource exists (404 otherwise);
 *   3. the policy that governs it (the resource's own scope, else its
 *      repository's: store_policy_for) admits the report the token carries,
 *      appraised by attest/appraise.h; no policy refuses.
 *
 * The audit row names the tenant, the resource and its version, and the
 * policy id (its scope) and version that decided. 401 for a missing or bad
 * token, 403 for a policy refusal, nothing more to the client.
 */
#include "attestd/ctx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "attest/appraise-policy.h"
#include "attest/appraise.h"
#include "attestd/claims.h"
#include "attestd/ear-cache.h"
#include "attestd/ear.h"
#include "attestd/jwe.h"
#include "attestd/jwk.h"
#include "attestd/store.h"
#include "util/secret.h"

#define PREFIX "/kbs/v0/resource/"

struct rpath {
	char repo[STORE_NAME_MAX + 1], type[STORE_NAME_MAX + 1], tag[STORE_NAME_MAX + 1];
};

/* "<repo>/<type>/<tag>" after the prefix, each a valid store name. */
static bool parse_path(const char *path, struct rpath *p)
{
	const char *s = path + strlen(PREFIX);
	char *parts[3] = { p->repo, p->type, p->tag };

	for (size_t i = 0; i < 3; i++) {
		const char *end = strchr(s, '/');
		size_t n = end ? (size_t)(end - s) : strlen(s);

		if ((i < 2) != (end != NULL) || n == 0 || n > STORE_NAME_MAX)
			return false;
		memcpy(parts[i], s, n);
		parts[i][n] = '\0';
		if (!store_name_valid(parts[i]))
			return false;
		s += n + 1;
	}
	return true;
}

/* The guest key the token confirms. */
static int confirmed_key(const json_t *claims, struct jwk_pub *key, struct snp_err *err)
{
	const json_t *jwk = json_object_get(json_object_get(claims, "cnf"), "jwk");

	if (jwk == NULL)
		return snp_errf(err, SNP_E_INVALID, "token: no cnf.jwk");
	return jwk_pub_parse(jwk, "token: cnf.jwk", key, err);
}

/*
 * The token's claims and confirmed key: from the cache of tokens already
 * verified or issued (attestd/ear-cache.h: digest, expiry and a published kid
 * checked on every hit), else by ear_verify against the published JWKS and
 * jwk_pub_parse of its cnf.jwk, then cached. 0, or a refusal in x.
 */
static int token_claims(struct attestd *a, const char *token, struct ear_cached *t,
			struct httpd_resp *resp, struct attestd_exch *x)
{
	struct snp_err err = { 0 };
	char kid[EAR_KID_MAX + 1];
	json_t *jwks = NULL;
	int ret = SNP_E_REFUSED;

	if (keys_get(&a->keys, a->store, x->now, NULL, &jwks, &err) != 0) {
		exch_refuse(x, resp, 500, "internal", "keys", "resource: %s", err.msg);
		goto out;
	}
	if (ear_cache_get(a->ear_cache, token, strlen(token), x->now, jwks, t)) {
		ret = 0;
		goto out;
	}
	if (ear_verify_kid(jwks, token, strlen(token), x->now, &t->claims, kid, &err) != 0 ||
	    confirmed_key(t->claims, &t->key, &err) != 0) {
		exch_refuse(x, resp, 401, "unauthorized", "token-invalid", "resource: %s", err.msg);
		ear_cached_free(t);
		goto out;
	}
	ear_cache_put(a->ear_cache, token, strlen(token), kid,
		      json_integer_value(json_object_get(t->claims, "exp")), t->claims, &t->key);
	ret = 0;
out:
	json_decref(jwks);
	return ret;
}

/* Step 1: the token's claims and key into t, or a refusal in x. */
static int authenticate(struct attestd *a, const struct httpd_req *req, struct ear_cached *t,
			struct httpd_resp *resp, struct attestd_exch *x)
{
	const char *auth = req->header(req, "Authorization");
	const char *sid = req->cookie(req, "kbs-session-id");
	struct store_session ss = { 0 };
	struct snp_err err = { 0 };
	int ret = SNP_E_REFUSED;

	memset(t, 0, sizeof(*t));
	if (auth && strncasecmp(auth, "Bearer ", 7) == 0) {
		exch_bind(x, auth + 7);
		exch_audit(x, "credential", json_string("bearer"));
		return token_claims(a, auth + 7, t, resp, x);
	}
	if (!sid || strlen(sid) != STORE_SESSION_ID_LEN) {
		exch_refuse(x, resp, 401, "unauthorized", "no-credentials",
			    "resource: neither a session cookie nor a Bearer token");
		return SNP_E_REFUSED;
	}
	exch_bind(x, sid);
	exch_audit(x, "credential", json_string("session"));
	ret = store_session_get(a->store, sid, x->now, &ss, &err);
	if (ret == STORE_NOT_FOUND || (ret == 0 && ss.state != STORE_SESSION_ATTESTED)) {
		exch_refuse(x, resp, 401, "unauthorized", ret ? "session-unknown"
						: "session-not-attested",
			    "resource: session %s", ret ? "unknown or expired" : "not attested");
		ret = SNP_E_REFUSED;
	} else if (ret != 0) {
		exch_refuse(x, resp, 500, "internal", "store", "resource: %s", err.msg);
	} else {
		ret = token_claims(a, ss.token, t, resp, x);
	}
	store_session_free(&ss);
	return ret;
}

/* Step 3: appraisal of the token's report against the resource's policy. */
static int admit(struct attestd *a, const struct rpath *p, const json_t *claims,
		 struct httpd_resp *resp, struct attestd_exch *x)
{
	struct appraise_opts *ao = calloc(1, sizeof(*ao));
	struct appraise_result *ar = calloc(1, sizeof(*ar));
	char scope[STORE_NAME_MAX * 3 + 3];
	struct snp_report rep;
	enum snp_product product = SNP_PRODUCT_UNKNOWN;
	struct snp_err err = { 0 };
	json_t *policy = NULL;
	char *text = NULL;
	uint64_t version = 0;
	int ret = SNP_E_REFUSED;

	if (ao == NULL || ar == NULL) {
		exch_refuse(x, resp, 500, "internal", "nomem", "resource: out of memory");
		goto out;
	}
	ret = store_policy_for(a->store, p->repo, p->type, p->tag, &policy, scope, &version, &err);
	if (ret == STORE_NOT_FOUND) {
		exch_refuse(x, resp, 403, "policy-refused", "no-policy",
			    "resource: no policy governs %s/%s/%s", p->repo, p->type, p->tag);
		ret = SNP_E_REFUSED;
		goto out;
	}
	if (ret != 0) {
		exch_refuse(x, resp, 500, "internal", "store", "resource: %s", err.msg);
		goto out;
	}
	exch_audit(x, "policy_id", json_string(scope));
	exch_audit(x, "policy_version", json_integer((json_int_t)version));
	if ((text = json_dumps(policy, JSON_COMPACT)) == NULL ||
	    (ret = appraise_opts_from_json(text, strlen(text), ao, &err)) != 0) {
		exch_refuse(x, resp, 403, "policy-refused", "policy-invalid",
			    "resource: policy %s v%llu: %s", scope, (unsigned long long)version,
			    text ? err.msg : "out of memory");
		ret = SNP_E_REFUSED;
		goto out;
	}
	if ((ret = claims_report(claims, &rep, &product, &err)) != 0) {
		exch_refuse(x, resp, 401, "unauthorized", "token-invalid", "resource: %s", err.msg);
		goto out;
	}
	if ((ret = appraise_report(&rep, product, ao, ar, &err)) != 0) {
		char reason[64] = "policy";

		for (size_t i = 0; i < ar->nchecks; i++)
			if (!ar->checks[i].passed) {
				snprintf(reason, sizeof(reason), "policy.%s", ar->checks[i].name);
				break;
			}
		exch_refuse(x, resp, 403, "policy-refused", reason, "resource: policy %s v%llu: %s",
			    scope, (unsigned long long)version, err.msg);
		goto out;
	}
	ret = 0;
out:
	free(text);
	json_decref(policy);
	free(ao);
	free(ar);
	return ret;
}

void route_resource(struct attestd *a, const struct httpd_req *req, struct httpd_resp *resp,
		    struct attestd_exch *x)
{
	struct rpath p;
	struct ear_cached t = { 0 };
	struct secret sec = { 0 };
	char tenant[STORE_NAME_MAX + 1] = "", path[3 * STORE_NAME_MAX + 3];
	struct snp_err err = { 0 };
	uint64_t version = 0;
	char *jwe = NULL;
	int ret;

	x->event = "release";
	if (!parse_path(req->path, &p)) {
		exch_refuse(x, resp, 404, "not-found", "bad-path", "resource: bad path %.80s",
			    req->path);
		return;
	}
	snprintf(path, sizeof(path), "%s/%s/%s", p.repo, p.type, p.tag);
	exch_audit(x, "resource", json_string(path));
	if (authenticate(a, req, &t, resp, x) != 0)
		return;
	{
		const char *st = json_string_value(json_object_get(json_object_get(
			json_object_get(t.claims, "submods"), EAR_SUBMOD), "ear.status"));

		if (st == NULL || strcmp(st, "affirming") != 0) {
			exch_refuse(x, resp, 401, "unauthorized", "token-not-affirming",
				    "resource: ear.status %s", st ? st : "(none)");
			goto out;
		}
	}
	ret = store_resource_get(a->store, p.repo, p.type, p.tag, &sec, &version, tenant, &err);
	if (ret == STORE_NOT_FOUND) {
		exch_refuse(x, resp, 404, "not-found", "unknown-resource", "resource: %s unknown",
			    path);
		goto out;
	}
	if (ret != 0) {
		exch_refuse(x, resp, 500, "internal", "store", "resource: %s", err.msg);
		goto out;
	}
	exch_audit(x, "tenant", json_string(tenant));
	exch_audit(x, "resource_version", json_integer((json_int_t)version));
	if (admit(a, &p, t.claims, resp, x) != 0)
		goto out;
	if (jwe_wrap(&t.key, sec.p, sec.len, &jwe, &err) != 0) {
		exch_refuse(x, resp, 500, "internal", "wrap", "resource: %s", err.msg);
		goto out;
	}
	x->decision = "accept";
	snprintf(x->reason, sizeof(x->reason), "released");
	httpd_resp_set(resp, 200, "application/json", jwe, strlen(jwe));
out:
	free(jwe);
	secret_free(&sec);
	ear_cached_free(&t);
}
