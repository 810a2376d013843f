/*
 * The guest listener's route table and the one place an exchange is
 * recorded: after the route has answered, the decision goes to the audit
 * chain (a release whose audit row cannot be written is not released), the
 * metrics, and one JSON log line.
 */
#include "attestd/ctx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attestd/metrics.h"
#include "attestd/store.h"
#include "util/hex.h"

struct route {
	const char *method;
	const char *path;
	bool prefix;      /* path is a prefix (the rest is the route's to parse) */
	const char *name; /* for logs and metrics */
	attestd_route_fn *fn;
};

static const struct route routes[] = {
	{ "POST", "/kbs/v0/auth", false, "auth", route_auth },
	{ "POST", "/kbs/v0/attest", false, "attest", route_attest },
	{ "GET", "/kbs/v0/resource/", true, "resource", route_resource },
	{ "GET", "/kbs/v0/jwks", false, "jwks", route_jwks },
	{ "GET", "/.well-known/jwks.json", false, "jwks", route_jwks },
	{ "GET", "/healthz", false, "healthz", route_healthz },
	{ "GET", "/metrics", false, "metrics", route_metrics },
};

static bool path_matches(const struct route *r, const char *path)
{
	return r->prefix ? strncmp(path, r->path, strlen(r->path)) == 0 : strcmp(path, r->path) == 0;
}

static double mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void dispatch(struct attestd *a, const struct httpd_req *req, struct httpd_resp *resp,
		     struct attestd_exch *x)
{
	const struct route *other = NULL;

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!path_matches(&routes[i], req->path))
			continue;
		if (strcmp(routes[i].method, req->method) == 0) {
			x->route = routes[i].name;
			routes[i].fn(a, req, resp, x);
			return;
		}
		other = &routes[i];
	}
	if (other) {
		x->route = other->name;
		exch_refuse(x, resp, 405, "method-not-allowed", "method", "%s not allowed on %s",
			    req->method, other->path);
		if (httpd_resp_header(resp, "Allow", "%s", other->method) != 0) {
			/* Only the hint is lost. */
		}
		return;
	}
	x->route = "unknown";
	exch_refuse(x, resp, 404, "not-found", "no-route", "no route for %s %s", req->method,
		    req->path);
}

/* The audit record of the exchange; 0 or the store's error. */
static int audit(struct attestd *a, const struct httpd_req *req, struct attestd_exch *x,
		 uint64_t *seq, struct snp_err *err)
{
	json_t *rec = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "event", x->event, "decision",
				x->decision, "reason", x->reason, "detail", x->detail, "cid", x->cid,
				"exchange", x->exchange, "peer", req->peer ? req->peer : "");
	int ret;

	if (rec == NULL)
		return snp_errf(err, SNP_E_NOMEM, "out of memory");
	if (x->audit && json_object_update(rec, x->audit) != 0) {
		json_decref(rec);
		return snp_errf(err, SNP_E_NOMEM, "out of memory");
	}
	ret = store_audit_append(a->store, rec, x->now, seq, err);
	json_decref(rec);
	return ret;
}

static void log_exchange(struct attestd *a, const struct httpd_req *req,
			 const struct httpd_resp *resp, const struct attestd_exch *x,
			 uint64_t seq, double secs)
{
	json_t *l;
	char *line;

	if (a->o.log == NULL)
		return;
	l = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:f}", "time", (json_int_t)x->now,
		      "cid", x->cid, "exchange", x->exchange, "route", x->route,
		      "method", req->method, "path", req->path, "peer", req->peer ? req->peer : "",
		      "status", (int)(resp->status ? resp->status : 500), "ms", secs * 1000.0);
	if (l == NULL)
		return;
	if (x->event)
		json_object_set_new(l, "event", json_string(x->event));
	if (x->decision)
		json_object_set_new(l, "decision", json_string(x->decision));
	if (x->reason[0])
		json_object_set_new(l, "reason", json_string(x->reason));
	if (x->detail[0])
		json_object_set_new(l, "detail", json_string(x->detail));
	if (seq)
		json_object_set_new(l, "audit_seq", json_integer((json_int_t)seq));
	if (x->audit)
		json_object_set(l, "audit", x->audit);
	line = json_dumps(l, JSON_COMPACT);
	json_decref(l);
	if (line)
		a->o.log(a->o.log_ctx, line);
	free(line);
}

void attestd_handle(void *ctx, const struct httpd_req *req, struct httpd_resp *resp)
{
	struct attestd *a = ctx;
	struct attestd_exch x = { .route = "unknown" };
	struct snp_err err = { 0 };
	uint8_t id[16] = { 0 };
	uint64_t seq = 0;
	double t0 = mono_seconds();

	x.now = attestd_now(a);
	if (attestd_random(id, sizeof(id), &err) != 0) {
		exch_refuse(&x, resp, 500, "internal", "random", "%s", err.msg);
		goto record;
	}
	hex_encode(id, sizeof(id), x.cid);
	dispatch(a, req, resp, &x);
	if (x.event && x.decision && audit(a, req, &x, &seq, &err) != 0) {
		/* No release without its audit row. */
		if (strcmp(x.decision, "accept") == 0) {
			httpd_resp_free(resp);
			x.decision = "refuse";
			exch_refuse(&x, resp, 500, "internal", "audit", "audit append failed: %s",
				    err.msg);
		} else {
			snprintf(x.detail + strlen(x.detail), sizeof(x.detail) - strlen(x.detail),
				 " (audit append failed: %s)", err.msg);
		}
	}
record:
	if (httpd_resp_header(resp, "X-Correlation-Id", "%s", x.cid) != 0) {
		/* A full header table: a problem body still carries the id. */
	}
	if (x.event && x.decision)
		metrics_decision(a->metrics, x.event, x.decision, x.reason);
	metrics_request(a->metrics, x.route, resp->status ? resp->status : 500,
			mono_seconds() - t0);
	log_exchange(a, req, resp, &x, seq, mono_seconds() - t0);
	json_decref(x.audit);
}
