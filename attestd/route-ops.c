/*
 * Operations routes on the guest listener: GET /healthz (the store answers),
 * GET /metrics (Prometheus text, attestd/metrics.h), and the EAR keys as a
 * JWKS (RFC 7517 §5) at GET /kbs/v0/jwks and /.well-known/jwks.json: every
 * key still published, so tokens signed before a rotation verify during
 * the overlap window.
 */
#include "attestd/ctx.h"

#include <stdlib.h>
#include <string.h>

#include "attestd/metrics.h"
#include "attestd/store.h"

void route_healthz(struct attestd *a, const struct httpd_req *req, struct httpd_resp *resp,
		   struct attestd_exch *x)
{
	struct store_session ss = { 0 };
	struct snp_err err = { 0 };
	/* A lookup that cannot match: it proves the database answers. */
	int ret = store_session_get(a->store, "00000000-0000-0000-0000-000000000000", x->now, &ss,
				    &err);

	(void)req;
	store_session_free(&ss);
	if (ret != 0 && ret != STORE_NOT_FOUND) {
		exch_refuse(x, resp, 503, "internal", "store", "healthz: %s", err.msg);
		return;
	}
	exch_json(resp, 200, json_pack("{s:s}", "status", "ok"));
}

void route_metrics(struct attestd *a, const struct httpd_req *req, struct httpd_resp *resp,
		   struct attestd_exch *x)
{
	struct snp_err err = { 0 };
	char *text = NULL;
	size_t len = 0;

	(void)req;
	if (metrics_text(a->metrics, &text, &len, &err) != 0) {
		exch_refuse(x, resp, 500, "internal", "metrics", "metrics: %s", err.msg);
		return;
	}
	httpd_resp_set(resp, 200, "text/plain; version=0.0.4", text, len);
	free(text);
}

void route_jwks(struct attestd *a, const struct httpd_req *req, struct httpd_resp *resp,
		struct attestd_exch *x)
{
	struct snp_err err = { 0 };
	json_t *jwks = NULL;

	(void)req;
	if (keys_get(&a->keys, a->store, x->now, NULL, &jwks, &err) != 0) {
		exch_refuse(x, resp, 500, "internal", "keys", "jwks: %s", err.msg);
		return;
	}
	exch_json(resp, 200, jwks);
	if (httpd_resp_header(resp, "Cache-Control", "max-age=60") != 0) {
		/* Only a caching hint. */
	}
}
