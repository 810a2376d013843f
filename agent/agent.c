#include "agent/agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agent/http.h"
#include "agent/rcar.h"
#include "attestd/binding.h"
#include "attestd/jose-dl.h"
#include "attestd/jwe.h"
#include "util/secret.h"

/* base + path; refuses a base that is not http(s):// or already has a query. */
static int url_join(const char *base, const char *path, char **out, struct snp_err *err)
{
	size_t n = strlen(base);

	*out = NULL;
	if (strncmp(base, "https://", 8) != 0 && strncmp(base, "http://", 7) != 0)
		return snp_errf(err, SNP_E_INVALID, "--url %s: want http:// or https://", base);
	if (strpbrk(base, "?#"))
		return snp_errf(err, SNP_E_INVALID, "--url %s: no query or fragment", base);
	while (n && base[n - 1] == '/')
		n--;
	if (asprintf(out, "%.*s%s", (int)n, base, path) < 0) {
		*out = NULL;
		return snp_errf(err, SNP_E_NOMEM, "out of memory");
	}
	return 0;
}

/* One exchange: status 200 wanted, else the problem; step prefixes every message. */
static int step_call(struct agent_http *h, const char *step, const char *base, const char *path,
		     const char *json, struct agent_http_resp *r, struct snp_err *err)
{
	char *url = NULL;
	int ret;

	if ((ret = url_join(base, path, &url, err)) != 0)
		return ret;
	ret = agent_http_call(h, url, json, r, err);
	free(url);
	if (ret != 0)
		return snp_err_prefix(err, "%s: ", step);
	if (r->status != 200) {
		ret = agent_http_problem(step, r, err);
		agent_http_resp_free(r);
	}
	return ret;
}

/* Reads what the result reports from the evidence; the report must carry want_rd. */
static int evidence_check(const struct tsm_evidence *ev, const uint8_t *want_rd,
			  struct agent_result *res, struct snp_err *err)
{
	const struct report_parse_opts lax = { .lax_reserved = true };
	struct snp_report rep;
	int ret;

	if ((ret = report_parse(ev->outblob, ev->outblob_len, &lax, &rep, err)) != 0)
		return snp_err_prefix(err, "report: ");
	if (!secret_equal(rep.report_data, want_rd, SNP_REPORT_DATA_SIZE))
		return snp_errf(err, SNP_E_CHAIN,
				"report: REPORT_DATA is not the one asked for (the provider "
				"answered another request)");
	memcpy(res->measurement, rep.measurement, sizeof(res->measurement));
	res->vmpl = rep.vmpl;
	res->cert_table_len = ev->auxblob_len;
	return 0;
}

/* res->attest_request = {"cookie", "body"} of the /attest just sent. */
static int keep_request(const char *cookie, const char *body, struct agent_result *res,
			struct snp_err *err)
{
	json_t *o = json_pack("{s:s,s:s}", "cookie", cookie, "body", body);

	res->attest_request = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return res->attest_request ? 0 : snp_errf(err, SNP_E_NOMEM, "out of memory");
}

int agent_fetch_secret(const struct agent_opts *o, struct agent_result *res, struct snp_err *err)
{
	struct agent_http h;
	struct agent_http_resp r = { 0 };
	struct tsm_evidence ev = { .provider = "" };
	json_t *priv = NULL, *pub = NULL, *rtd = NULL;
	char *body = NULL, *nonce = NULL, *token = NULL, *path = NULL;
	int ret = SNP_E_INTERNAL;

	memset(res, 0, sizeof(*res));
	agent_http_init(&h);
	h.curl.ca_file = o->ca_file;
	if (o->connect_timeout_ms)
		h.curl.connect_timeout_ms = o->connect_timeout_ms;
	if (o->timeout_ms)
		h.curl.timeout_ms = o->timeout_ms;
	if (!o->provider || !o->url || !o->resource) {
		ret = snp_errf(err, SNP_E_INVALID, "agent: a provider, a URL and a resource are needed");
		goto out;
	}
	if ((ret = jose_dl_load(err)) != 0)
		goto out;
	res->provider = o->provider->name;
	res->insecure = o->provider->insecure;
	res->key = o->key == JWK_NONE ? JWK_EC_P256 : o->key;
	res->cbor = o->form == AGENT_EVIDENCE_CBOR ||
		    (o->form == AGENT_EVIDENCE_AUTO && o->provider == &agent_provider_tsm);
	if ((ret = rcar_resource_check(o->resource, err)) != 0)
		goto out;
	if (asprintf(&path, "/kbs/v0/resource/%s", o->resource) < 0) {
		path = NULL;
		ret = snp_errf(err, SNP_E_NOMEM, "out of memory");
		goto out;
	}
	if ((ret = jwk_generate(res->key, &priv, err)) != 0 ||
	    (ret = jwk_public_of(priv, &pub, err)) != 0) {
		snp_err_prefix(err, "key: ");
		goto out;
	}
	/* Request -> Challenge */
	if ((ret = rcar_request_body(&body, err)) != 0 ||
	    (ret = step_call(&h, "auth", o->url, "/kbs/v0/auth", body, &r, err)) != 0 ||
	    (ret = rcar_challenge_parse((const char *)r.body, r.len, &nonce, err)) != 0)
		goto out;
	if (!h.cookie[0]) {
		ret = snp_errf(err, SNP_E_INVALID, "auth: no %s cookie in the answer",
			       AGENT_COOKIE_NAME);
		goto out;
	}
	agent_http_resp_free(&r);
	free(body);
	body = NULL;
	/* the report bound to {nonce, tee-pubkey} */
	if ((rtd = rcar_runtime_data(nonce, pub)) == NULL) {
		ret = snp_errf(err, SNP_E_NOMEM, "out of memory");
		goto out;
	}
	if ((ret = binding_report_data(rtd, res->report_data, err)) != 0) {
		snp_err_prefix(err, "binding: ");
		goto out;
	}
	if ((ret = o->provider->get(&o->pcfg, res->report_data, &ev, err)) != 0) {
		snp_err_prefix(err, "report: ");
		goto out;
	}
	if ((ret = evidence_check(&ev, res->report_data, res, err)) != 0)
		goto out;
	/* Attestation -> token */
	if ((ret = rcar_attestation_body(rtd, &ev, res->cbor, &body, err)) != 0 ||
	    (ret = step_call(&h, "attest", o->url, "/kbs/v0/attest", body, &r, err)) != 0 ||
	    (ret = rcar_token_parse((const char *)r.body, r.len, &token, err)) != 0)
		goto out;
	agent_http_resp_free(&r);
	if (o->keep_attest && (ret = keep_request(h.cookie, body, res, err)) != 0)
		goto out;
	/* the resource, wrapped to our key */
	if ((ret = step_call(&h, "resource", o->url, path, NULL, &r, err)) != 0)
		goto out;
	if ((ret = jwe_open(priv, (const char *)r.body, r.len, &res->secret, err)) != 0) {
		snp_err_prefix(err, "resource: ");
		goto out;
	}
	ret = 0;
out:
	if (ret != 0) {
		agent_result_free(res);
		memset(res, 0, sizeof(*res));
	}
	if (token) {
		secret_wipe(token, strlen(token));
		free(token);
	}
	agent_http_resp_free(&r);
	agent_http_free(&h);
	tsm_evidence_free(&ev);
	jwk_free_private(priv);
	json_decref(pub);
	json_decref(rtd);
	free(nonce);
	free(body);
	free(path);
	return ret;
}

void agent_result_free(struct agent_result *res)
{
	secret_free(&res->secret);
	free(res->attest_request);
	res->attest_request = NULL;
}
