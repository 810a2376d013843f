/*
 * attestd's admin API, served only on the admin listener (a Unix socket of
 * mode 0600, never the guest-facing port), as one plain handler function of
 * httpd/httpd.h's httpd_handler_fn type so that tests call it without a
 * socket. JSON answers; errors are RFC 7807 problem objects
 * ({"type","title","status","detail","reason"}) whose detail names the field.
 *
 * Every request carries "Authorization: Bearer <token>" and
 * "X-Snpvm-Principal: <name>", checked with store_principal_check. A missing
 * header, an unknown principal and a wrong token all get the same 401.
 *
 *   POST   /admin/v0/tenants                {"name"} -> {"name","token"}     operator
 *   POST   /admin/v0/repos                  {"tenant","repo"} -> {"tenant","repo"}  operator
 *   PUT    /admin/v0/resource/<repo>/<type>/<tag>  secret bytes -> {"path","version"}
 *   DELETE /admin/v0/resource/<repo>/<type>/<tag>  -> {"path","deleted":true}
 *   PUT    /admin/v0/policy/<scope>         verifier-policy JSON -> {"scope","version"}
 *   GET    /admin/v0/list                   -> the caller's (operator: every tenant's) things
 *   GET    /admin/v0/audit?after=N[&limit=M] -> {"rows":[...]} (a tenant: its own rows)
 *   POST   /admin/v0/audit/verify           -> {"rows":N,"intact":true}          operator
 *   POST   /admin/v0/keys/rotate            {"overlap":S} (optional)             operator
 *                                           -> {"kid","retired_publish_until"}
 *
 * A tenant principal may change resources and policies only in repositories
 * it owns; anything else is 403 with the same answer whether or not the
 * repository exists. The operator may do everything. Every change (and every
 * refused attempt by an authenticated principal) is appended to the audit
 * chain with the principal, operation, path and version - never a secret or
 * a token.
 */
#ifndef SNPVM_ATTESTD_ADMIN_ROUTES_H
#define SNPVM_ATTESTD_ADMIN_ROUTES_H

#include <stdint.h>

#include "httpd/httpd.h"

struct store;

/* The principal that administers attestd itself (created by `snpvm attestd init`). */
#define ADMIN_OPERATOR "operator"
/* The admin API's path prefix. */
#define ADMIN_PATH_PREFIX "/admin/v0/"
/* Default time a rotated-out EAR key stays published (tokens it signed still verify). */
#define ADMIN_DEFAULT_OVERLAP (24 * 3600)
/* How long a key made by rotate-key signs (it stays published an overlap longer). */
#define ADMIN_KEY_LIFETIME (365 * 24 * 3600)
/* Longest overlap accepted: a year. */
#define ADMIN_OVERLAP_MAX (366 * 24 * 3600)
/* Most audit rows one GET /admin/v0/audit returns. */
#define ADMIN_AUDIT_PAGE 1000

/* What one admin request did, handed to admin_ctx.log after the answer is built. */
struct admin_event {
	const char *correlation; /* random per request; also in the audit row */
	const char *principal;   /* as authenticated; NULL when authentication failed */
	const char *method;
	const char *path;
	unsigned status;         /* the HTTP status answered */
	const char *reason;      /* the problem's reason code; NULL on success */
	const char *detail;      /* the full reason, for the log (never a secret) */
};

struct admin_ctx {
	struct store *store;
	/* Seconds since the epoch; NULL means time(NULL). Tests inject a clock. */
	int64_t (*now)(void *now_ctx);
	void *now_ctx;
	/* Called once per request (may be NULL; must be thread-safe): the service's JSON log. */
	void (*log)(void *log_ctx, const struct admin_event *ev);
	void *log_ctx;
	/* rotate-key's overlap when the request names none; 0 = ADMIN_DEFAULT_OVERLAP. */
	int64_t overlap_default;
};

/*
 * The admin API (an httpd_handler_fn; ctx is a struct admin_ctx *). Never
 * fails: errors become a status and an RFC 7807 body. Thread-safe as far as
 * the store is.
 */
void admin_route(void *ctx, const struct httpd_req *req, struct httpd_resp *resp);

#endif
