/*
 * POST /kbs/v0/attest, the KBS "Attestation -> Response" step: the session
 * cookie from /auth, then
 *
 *   1. runtime-data.nonce equals the session's nonce (constant time);
 *   2. the nonce is consumed in the store (single use on every replica: the
 *      insert decides) - replay protection rests on this, never on the
 *      report's bytes, since ECDSA signatures are malleable;
 *   3. the evidence is verified by attest/evidence.h (signature, chain to the
 *      pinned AMD roots or a --trust-sim-root, TCB against the VCEK);
 *   4. REPORT_DATA = SHA-384(JCS(runtime-data)) || 0^16 (attestd/binding.h),
 *      so the key that will receive secrets is the one the guest reported.
 *
 * Design: /attest verifies; it appraises only with the permissive
 * "verify-only" settings below (every relaxation on, so nothing but the
 * report's own consistency - CURRENT_TCB >= REPORTED_TCB - can refuse).
 * The tenant's policy is applied at /resource, per resource, with the
 * policy that governs it (Trustee's split between the attestation policy and
 * the resource policy); a guest that no resource policy admits gets a token
 * that releases nothing. The EAR carries the report, so /resource appraises
 * the very bytes that verified, for a cookie or a Bearer token alike.
 * Failures answer 401 "attestation-failed" with nothing else; the reason
 * goes to the log and the audit chain.
 */
#include "attestd/ctx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "attest/evidence.h"
#include "attestd/attest-body.h"
#include "attestd/binding.h"
#include "attestd/claims.h"
#include "attestd/ear-cache.h"
#include "attestd/ear.h"
#include "attestd/jwk.h"
#include "attestd/store.h"
#include "util/hex.h"

#define VERIFY_ONLY_POLICY_ID "attestd/verify-only"

void attestd_verify_only_policy(struct appraise_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->allow_any_measurement = true;
	o->vmpl_mask = 0xf;
	o->guest_policy.allow_debug = true;
	o->guest_policy.allow_migrate_ma = true;
	o->guest_policy.allow_smt = true;
	o->guest_policy.allow_cxl = true;
	o->allow_provisional_firmware = true;
	o->allow_any_id_key = true;
	o->allow_unknown_platform_info = true;
}

/* The request's certificate set: --certs' roots and intermediates, shared by reference. */
static int request_certs(const struct certs *base, struct certs *c, struct snp_err *err)
{
	certs_init(c);
	for (size_t i = 0; i < CERTS_NPRODUCTS; i++) {
		X509 *const from[] = { base->ark[i], base->ask[i], base->asvk[i] };

		for (size_t j = 0; j < 3; j++) {
			if (from[j] == NULL)
				continue;
			X509_up_ref(from[j]);
			if (certs_add(c, from[j], "--certs", err) != 0)
				return err->code;
		}
	}
	return 0;
}

/* Step 3: the evidence through the one pipeline. Fills x on refusal; 0 when verified. */
static int evaluate(struct attestd *a, const struct attest_body *b, struct evidence_verdict *vd,
		    struct attestd_exch *x, struct httpd_resp *resp)
{
	struct certs certs;
	struct evidence_opts eo = {
		.report = b->report,
		.report_len = b->report_len,
		.cert_table = b->cert_table,
		.cert_table_len = b->cert_table_len,
		.certs = &certs,
		.cert_cache = a->cert_cache,
		.verify = {
			.now = (time_t)x->now,
			.allow_sim_roots = a->o.sim_roots,
			.n_allow_sim_roots = a->o.nsim_roots,
		},
		.appraise = &a->verify_only,
		.kds = a->o.kds,
	};
	struct snp_err err = { 0 };
	int ret;

	if ((ret = request_certs(&a->base_certs, &certs, &err)) == 0)
		ret = evidence_evaluate(a->verifier, &eo, vd, &err);
	certs_free(&certs);
	if (ret == 0)
		return 0;
	if (!vd->evaluated) {
		exch_refuse(x, resp, 401, "attestation-failed", "evidence-unusable",
			    "attest: %s", err.msg);
	} else if (vd->verify_code != 0) {
		const struct verify_check *c = vd->verify.nchecks ?
			&vd->verify.checks[vd->verify.nchecks - 1] : NULL;
		char reason[64];

		snprintf(reason, sizeof(reason), "verify.%s", c ? c->name : "failed");
		exch_refuse(x, resp, 401, "attestation-failed", reason, "attest: %s", err.msg);
	} else {
		exch_refuse(x, resp, 401, "attestation-failed", "report-inconsistent",
			    "attest: %s", err.msg);
	}
	return ret;
}

/* Report identifiers for the audit row (never the report itself). */
static void audit_report_ids(struct attestd_exch *x, const struct snp_report *r)
{
	char m[2 * SNP_MEASUREMENT_SIZE + 1], id[65], chip[2 * SNP_CHIP_ID_SIZE + 1];

	hex_encode(r->measurement, SNP_MEASUREMENT_SIZE, m);
	hex_encode(r->report_id, sizeof(r->report_id), id);
	hex_encode(r->chip_id, SNP_CHIP_ID_SIZE, chip);
	exch_audit(x, "measurement", json_string(m));
	exch_audit(x, "report_id", json_string(id));
	exch_audit(x, "chip_id", json_string(chip));
}

/* Steps 1 and 2. */
static int check_nonce(struct attestd *a, const struct store_session *ss,
		       const struct attest_body *b, struct attestd_exch *x,
		       struct httpd_resp *resp)
{
	struct snp_err err = { 0 };
	int ret;

	if (CRYPTO_memcmp(ss->nonce, b->nonce, STORE_NONCE_LEN) != 0) {
		exch_refuse(x, resp, 401, "attestation-failed", "nonce-mismatch",
			    "attest: runtime-data nonce is not this session's");
		return SNP_E_REFUSED;
	}
	ret = store_nonce_consume(a->store, b->nonce, ss->expires, &err);
	if (ret == SNP_E_REFUSED) {
		exch_refuse(x, resp, 401, "attestation-failed", "nonce-replayed",
			    "attest: nonce already used");
		return ret;
	}
	if (ret != 0) {
		exch_refuse(x, resp, 500, "internal", "store", "attest: %s", err.msg);
		return ret;
	}
	return 0;
}

/*
 * The EAR for the verified report, bound to the guest's key; *claims is its
 * payload and *kid the signing key's (for the token cache).
 */
static int issue(struct attestd *a, const struct attest_body *b,
		 const struct evidence_verdict *vd, char **token, json_t **claims,
		 char kid[EAR_KID_MAX + 1], struct snp_err *err)
{
	json_t *appraised = claims_from_verified(&vd->verify, b->report, b->report_len);
	struct ear_signer *key = NULL;
	struct ear_claims c = {
		.status = "affirming",
		.appraised = appraised,
		.iat = attestd_now(a),
		.policy_id = VERIFY_ONLY_POLICY_ID,
		.policy_version = 1,
		.cnf_jwk = b->key.jwk,
	};
	int ret;

	c.exp = c.iat + a->o.token_ttl_s;
	if (appraised == NULL)
		return snp_errf(err, SNP_E_NOMEM, "out of memory");
	if ((ret = keys_get(&a->keys, a->store, c.iat, &key, NULL, err)) == 0 &&
	    (ret = ear_sign_with(key, &c, token, claims, err)) == 0)
		snprintf(kid, EAR_KID_MAX + 1, "%s", ear_signer_kid(key));
	ear_signer_free(key);
	json_decref(appraised);
	return ret;
}

static void attest_session(struct attestd *a, const struct httpd_req *req,
			   struct httpd_resp *resp, struct attestd_exch *x,
			   const struct store_session *ss)
{
	struct attest_body b;
	struct evidence_verdict *vd = NULL;
	struct snp_err err = { 0 };
	char *token = NULL, *jwk_text = NULL, kid[EAR_KID_MAX + 1] = "";
	json_t *claims = NULL;

	if (req->content_type && strncmp(req->content_type, "application/json", 16) != 0) {
		exch_refuse(x, resp, 415, "unsupported-media-type", "content-type",
			    "attest: content type '%.60s'", req->content_type);
		return;
	}
	if (attest_body_parse(req->body, req->body_len, &b, &err) != 0) {
		exch_refuse(x, resp, 400, "bad-request", "body", "%s", err.msg);
		return;
	}
	exch_audit(x, "evidence", json_string(b.form));
	exch_audit(x, "tee_pubkey", json_string(jwk_kind_name(b.key.kind)));
	if (check_nonce(a, ss, &b, x, resp) != 0)
		goto out;
	if ((vd = calloc(1, sizeof(*vd))) == NULL) {
		exch_refuse(x, resp, 500, "internal", "nomem", "attest: out of memory");
		goto out;
	}
	if (evaluate(a, &b, vd, x, resp) != 0)
		goto out;
	audit_report_ids(x, &vd->verify.report);
	exch_audit(x, "sim_root", json_boolean(vd->verify.sim_root));
	if (binding_check(b.runtime_data, vd->verify.report.report_data, &err) != 0) {
		exch_refuse(x, resp, 401, "attestation-failed", "report-data-unbound", "attest: %s",
			    err.msg);
		goto out;
	}
	if (issue(a, &b, vd, &token, &claims, kid, &err) != 0 ||
	    (jwk_text = json_dumps(b.key.jwk, JSON_COMPACT | JSON_SORT_KEYS)) == NULL ||
	    store_session_attest(a->store, ss->id, token, jwk_text, &err) != 0) {
		exch_refuse(x, resp, 500, "internal", "issue", "attest: %s",
			    err.msg[0] ? err.msg : "out of memory");
		goto out;
	}
	/* Its /resource requests then need no second verification of our own signature. */
	ear_cache_put(a->ear_cache, token, strlen(token), kid,
		      json_integer_value(json_object_get(claims, "exp")), claims, &b.key);
	x->decision = "accept";
	snprintf(x->reason, sizeof(x->reason), "verified");
	exch_json(resp, 200, json_pack("{s:s}", "token", token));
out:
	free(token);
	free(jwk_text);
	json_decref(claims);
	free(vd);
	attest_body_free(&b);
}

void route_attest(struct attestd *a, const struct httpd_req *req, struct httpd_resp *resp,
		  struct attestd_exch *x)
{
	const char *sid = req->cookie(req, "kbs-session-id");
	struct store_session ss = { 0 };
	struct snp_err err = { 0 };
	int ret;

	x->event = "attest";
	if (sid == NULL) {
		exch_refuse(x, resp, 401, "unauthorized", "no-session", "attest: no kbs-session-id");
		return;
	}
	exch_bind(x, sid);
	ret = strlen(sid) == STORE_SESSION_ID_LEN ? store_session_get(a->store, sid, x->now, &ss, &err)
						  : STORE_NOT_FOUND;
	if (ret == STORE_NOT_FOUND) {
		exch_refuse(x, resp, 401, "unauthorized", "session-unknown",
			    "attest: session unknown or expired");
		return;
	}
	if (ret != 0) {
		exch_refuse(x, resp, 500, "internal", "store", "attest: %s", err.msg);
		return;
	}
	attest_session(a, req, resp, x, &ss);
	store_session_free(&ss);
}
