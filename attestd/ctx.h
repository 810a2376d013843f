/*
 * The service object behind attestd/service.h, shared by the route files
 * (attestd/route-*.c) and nothing outside attestd/ and its tests.
 */
#ifndef SNPVM_ATTESTD_CTX_H
#define SNPVM_ATTESTD_CTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "attest/appraise.h"
#include "attest/certs.h"
#include "attestd/admin-routes.h"
#include "attestd/keys.h"
#include "attestd/service.h"
#include "httpd/httpd.h"

struct ear_cache;
struct metrics;
struct ratelimit;
struct store;
struct verifier;

struct attestd {
	struct attestd_opts o;       /* as given (strings borrowed), defaults filled */
	char *store_uri, *master_key, *admin_listen; /* owned defaults */
	struct store *store;
	struct verifier *verifier;
	struct certs base_certs;     /* --certs: ARK/ASK/ASVK copied into every request's set */
	struct cert_cache *cert_cache; /* certificate tables' entries, parsed once */
	struct appraise_opts verify_only; /* the appraisal run at /attest (see route-attest.c) */
	struct attestd_keys keys;
	bool keys_ready;             /* keys holds a lock to destroy */
	struct ear_cache *ear_cache; /* tokens issued or verified (attestd/ear-cache.h) */
	struct metrics *metrics;
	struct ratelimit *auth_rl;
	struct httpd *guest, *admin;
	struct admin_ctx admin_ctx;  /* the admin listener's handler context */
};

/*
 * What one request did, filled by its route and written once by the router
 * (attestd/router.c) to the log, the metrics and (when event is set) the
 * audit chain.
 */
struct attestd_exch {
	char cid[33];          /* request correlation id (random) */
	char exchange[17];     /* SHA-256(session id or token) prefix: ties auth/attest/resource */
	const char *route;     /* "auth", "attest", "resource", ... (static) */
	const char *event;     /* audit event ("attest", "release"), NULL: not audited */
	const char *decision;  /* "accept" | "refuse" | NULL */
	char reason[64];       /* reason code (log, audit, metrics) */
	char detail[400];      /* the full reason: log and audit only, never the client */
	json_t *audit;         /* extra audit members (tenant, resource, policy, report ids) */
	int64_t now;           /* seconds, fixed at the request's start */
};

/* Each route: fills resp (never fails) and x. */
typedef void attestd_route_fn(struct attestd *a, const struct httpd_req *req,
			      struct httpd_resp *resp, struct attestd_exch *x);

attestd_route_fn route_auth, route_attest, route_resource, route_healthz, route_metrics,
	route_jwks;

/* SHA-256(s) as 16 hex digits into x->exchange. */
void exch_bind(struct attestd_exch *x, const char *s);

/* Adds member k (a new reference, stolen) to x->audit. */
void exch_audit(struct attestd_exch *x, const char *k, json_t *v);

/*
 * Answers an RFC 7807 problem: status, public type code ("attestation-failed",
 * "policy-refused", ...) and title; records reason and the formatted full
 * detail in x (decision "refuse" when x->event is set). Nothing of detail
 * reaches the client.
 */
void exch_refuse(struct attestd_exch *x, struct httpd_resp *resp, unsigned status,
		 const char *type, const char *reason, const char *fmt, ...) SNP_PRINTF(6, 7);

/* A JSON body (compact text of v, which is released) with status. */
void exch_json(struct httpd_resp *resp, unsigned status, json_t *v);

/*
 * The appraisal settings /attest runs (attestd/route-attest.c says why):
 * every relaxation on, so only the report's own consistency can refuse.
 */
void attestd_verify_only_policy(struct appraise_opts *o);

/* The injected clock in milliseconds (attestd_now is the same in seconds). */
int64_t attestd_now_ms(const struct attestd *a);

/* Random bytes for nonces and ids (RAND_bytes); returns 0 or SNP_E_CRYPTO. */
int attestd_random(uint8_t *buf, size_t len, struct snp_err *err) SNP_MUST_CHECK;

#endif
