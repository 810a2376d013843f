#include "attestd/admin-routes.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "attest/appraise-policy.h"
#include "attest/appraise.h"
#include "attestd/ear.h"
#include "attestd/jwk.h"
#include "attestd/store.h"
#include "util/hex.h"

/* Longest bearer token read from a request (store tokens are STORE_TOKEN_LEN). */
#define TOKEN_MAX 128
/* "repo/type/tag" */
#define PATH_MAX_ (STORE_NAME_MAX * 3 + 3)

/* One request in flight. */
struct areq {
	const struct admin_ctx *ctx;
	const struct httpd_req *req;
	struct httpd_resp *resp;
	int64_t now;
	char corr[17];
	char principal[STORE_NAME_MAX + 1];
	bool authed, is_operator;
	const char *reason; /* problem reason code, NULL while all is well */
	char detail[320];
};

/* --- answers -------------------------------------------------------------- */

static const char *status_title(unsigned status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	default: return "Internal Server Error";
	}
}

/* Sets the answer to body (a new JSON reference, consumed; NULL is an out-of-memory 500). */
static void answer(struct areq *a, unsigned status, const char *content_type, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	free(a->resp->body);
	a->resp->body = NULL;
	a->resp->len = 0;
	if (text == NULL) {
		a->resp->status = 500;
		a->resp->content_type = NULL;
		return;
	}
	a->resp->status = status;
	a->resp->content_type = content_type;
	a->resp->body = (uint8_t *)text;
	a->resp->len = strlen(text);
}

static void ok(struct areq *a, unsigned status, json_t *body)
{
	answer(a, status, "application/json", body);
}

/*
 * An RFC 7807 problem (type about:blank, RFC 7807 §4.2) with a reason code
 * and a detail that names the field. The detail also goes to the log.
 */
static void problem(struct areq *a, unsigned status, const char *reason, const char *fmt, ...)
	SNP_PRINTF(4, 5);
static void problem(struct areq *a, unsigned status, const char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->detail, sizeof(a->detail), fmt, ap);
	va_end(ap);
	a->reason = reason;
	answer(a, status, "application/problem+json",
	       json_pack("{s:s,s:s,s:i,s:s,s:s}", "type", "about:blank", "title",
			 status_title(status), "status", (int)status, "reason", reason, "detail",
			 a->detail));
}

/* A store failure: the message is logged in full, the answer names only the operation. */
static void store_failed(struct areq *a, const char *op, const struct snp_err *err)
{
	problem(a, 500, "store-failed", "%s failed", op);
	snprintf(a->detail, sizeof(a->detail), "%s: %s", op, err->msg);
}

/* --- audit ------------------------------------------------------------------ */

/*
 * The record {event, decision, principal, correlation, peer, tenant?, path?,
 * version?, reason?}; tenant decides whose audit view shows the row. NULL
 * when out of memory.
 */
static json_t *audit_record(const struct areq *a, const char *event, const char *decision,
			    const char *tenant, const char *path_key, const char *path,
			    uint64_t version)
{
	json_t *r = json_pack("{s:s,s:s,s:s,s:s,s:s}", "event", event, "decision", decision,
			      "principal", a->principal, "correlation", a->corr, "peer",
			      a->req->peer ? a->req->peer : "unknown");

	if (r && ((tenant && json_object_set_new(r, "tenant", json_string(tenant)) != 0) ||
		  (path && json_object_set_new(r, path_key, json_string(path)) != 0) ||
		  (version &&
		   json_object_set_new(r, "version", json_integer((json_int_t)version)) != 0) ||
		  (a->reason && json_object_set_new(r, "reason", json_string(a->reason)) != 0))) {
		json_decref(r);
		r = NULL;
	}
	return r;
}

/* Appends audit_record(...) to the audit chain. Returns 0, or has answered 500. */
static int audit(struct areq *a, const char *event, const char *decision, const char *tenant,
		 const char *path_key, const char *path, uint64_t version)
{
	struct snp_err err = { 0 };
	json_t *r = audit_record(a, event, decision, tenant, path_key, path, version);
	int ret;

	if (r == NULL) {
		problem(a, 500, "out-of-memory", "audit record: out of memory");
		return SNP_E_NOMEM;
	}
	ret = store_audit_append(a->ctx->store, r, a->now, NULL, &err);
	json_decref(r);
	if (ret != 0) {
		store_failed(a, "audit append", &err);
		return ret;
	}
	return 0;
}

/*
 * One change and its "ok" audit row, committed together (store_change_audited):
 * apply makes the change with the fields below and may set version; the
 * row is {event, tenant, path_key: path, version}.
 */
struct change {
	struct areq *a;
	int (*apply)(struct store *s, struct change *ch, struct snp_err *err);
	const char *event, *tenant, *path_key, *path;
	/* apply's arguments */
	const char *repo, *type, *tag;
	const void *data;
	size_t len;
	const json_t *json;
	int64_t overlap;
	/* apply's results */
	uint64_t version;
	char token[STORE_TOKEN_LEN + 1];
	bool applied; /* apply succeeded: a failure after it is the audit append's */
};

static int change_tx(struct store *s, void *ctx, json_t **record, struct snp_err *err)
{
	struct change *ch = ctx;
	int ret;

	ch->applied = false;
	ch->version = 0;
	if ((ret = ch->apply(s, ch, err)) != 0)
		return ret;
	ch->applied = true;
	*record = audit_record(ch->a, ch->event, "ok", ch->tenant, ch->path_key, ch->path,
			       ch->version);
	return *record ? 0 : snp_errf(err, SNP_E_NOMEM, "audit record: out of memory");
}

/* change_run's answer when it has answered (500) itself; no SNP_E_* or STORE_* value. */
#define CHANGE_ANSWERED 1000

/*
 * Runs ch. 0: made and recorded. CHANGE_ANSWERED: the change went through
 * but its audit row did not, so neither was committed; answered 500.
 * Anything else is apply's own failure (err says why), for the caller.
 */
static int change_run(struct change *ch, struct snp_err *err)
{
	int ret = store_change_audited(ch->a->ctx->store, change_tx, ch, ch->a->now, NULL, err);

	if (ret != 0 && ch->applied) {
		store_failed(ch->a, "audit append (the change was not made)", err);
		return CHANGE_ANSWERED;
	}
	return ret;
}

/* A refusal of an authenticated principal: answered 403 and recorded in its own audit view. */
static void deny(struct areq *a, const char *event, const char *path_key, const char *path,
		 const char *reason, const char *detail)
{
	problem(a, 403, reason, "%s", detail);
	/* A failed append turns the answer into a 500, as for any change. */
	(void)audit(a, event, "deny", a->is_operator ? NULL : a->principal, path_key, path, 0);
}

/* --- request parsing ------------------------------------------------------- */

static const char *header(const struct areq *a, const char *name)
{
	return a->req->header ? a->req->header(a->req, name) : NULL;
}

static const char *query(const struct areq *a, const char *name)
{
	return a->req->query ? a->req->query(a->req, name) : NULL;
}

/*
 * Authenticates the request: a Bearer token and a principal name that
 * store_principal_check accepts. Every failure gets the same 401, so a
 * caller learns nothing about which principals exist.
 */
static int authenticate(struct areq *a)
{
	const char *auth = header(a, "Authorization");
	const char *name = header(a, "X-Snpvm-Principal");
	char token[TOKEN_MAX + 1];
	struct snp_err err = { 0 };
	size_t n;
	int ret;

	if (auth == NULL || name == NULL) {
		snprintf(a->detail, sizeof(a->detail), "missing %s header",
			 auth == NULL ? "Authorization" : "X-Snpvm-Principal");
		goto unauthorized;
	}
	if (strncasecmp(auth, "Bearer ", 7) != 0) {
		snprintf(a->detail, sizeof(a->detail), "Authorization: not a Bearer token");
		goto unauthorized;
	}
	auth += 7;
	while (*auth == ' ')
		auth++;
	n = strlen(auth);
	if (n == 0 || n > TOKEN_MAX || !store_name_valid(name)) {
		snprintf(a->detail, sizeof(a->detail), "malformed token or principal");
		goto unauthorized;
	}
	memcpy(token, auth, n + 1);
	ret = store_principal_check(a->ctx->store, name, token, &err);
	OPENSSL_cleanse(token, sizeof(token));
	if (ret == SNP_E_REFUSED) {
		snprintf(a->detail, sizeof(a->detail), "principal '%s': token refused", name);
		goto unauthorized;
	}
	if (ret != 0) {
		store_failed(a, "principal check", &err);
		return ret;
	}
	snprintf(a->principal, sizeof(a->principal), "%s", name);
	a->authed = true;
	a->is_operator = strcmp(name, ADMIN_OPERATOR) == 0;
	return 0;
unauthorized: {
	char why[sizeof(a->detail)];

	memcpy(why, a->detail, sizeof(why));
	problem(a, 401, "unauthorized",
		"a valid Authorization: Bearer token and X-Snpvm-Principal are required");
	memcpy(a->detail, why, sizeof(why)); /* the log keeps the real reason */
	return SNP_E_REFUSED;
}
}

/*
 * The request body as a JSON object whose keys are all in keys[] (a body
 * that is empty counts as {} when empty_ok). Answers 400 naming the key on
 * failure and returns nonzero.
 */
static int body_object(struct areq *a, const char *const *keys, size_t nkeys, bool empty_ok,
		       json_t **out)
{
	json_error_t jerr;
	const char *k;
	json_t *o, *v;

	*out = NULL;
	if (a->req->body_len == 0 && empty_ok) {
		*out = json_object();
		if (*out == NULL) {
			problem(a, 500, "out-of-memory", "out of memory");
			return SNP_E_NOMEM;
		}
		return 0;
	}
	o = json_loadb((const char *)a->req->body, a->req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL) {
		problem(a, 400, "bad-json", "body: %s (line %d)", jerr.text, jerr.line);
		return SNP_E_INVALID;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		problem(a, 400, "bad-json", "body: expected a JSON object");
		return SNP_E_INVALID;
	}
	json_object_foreach(o, k, v) {
		size_t i = 0;

		while (i < nkeys && strcmp(k, keys[i]) != 0)
			i++;
		if (i == nkeys) {
			problem(a, 400, "unknown-field", "body: unknown field '%.64s'", k);
			json_decref(o);
			return SNP_E_INVALID;
		}
	}
	*out = o;
	return 0;
}

/* A required name-valued field of o (store_name_valid); answers 400 naming it. */
static const char *name_field(struct areq *a, const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s == NULL) {
		problem(a, 400, "missing-field", "body: '%s' must be a string", key);
		return NULL;
	}
	if (!store_name_valid(s)) {
		problem(a, 400, "bad-name",
			"body: '%s' must be 1-%d of [A-Za-z0-9._-], not '.' or '..'", key,
			STORE_NAME_MAX);
		return NULL;
	}
	return s;
}

/*
 * Splits rest ("repo" or "repo/type/tag") into parts[0..n) in buf; want_one
 * allows the single repository form. Answers 400 naming the bad part.
 */
static int split_path(struct areq *a, const char *rest, bool want_one, char buf[PATH_MAX_ + 1],
		      const char *parts[3])
{
	static const char *const what[3] = { "repository", "type", "tag" };
	size_t n = 0;
	char *p, *slash;

	if (strlen(rest) > PATH_MAX_) {
		problem(a, 400, "bad-path", "path: longer than %d characters", PATH_MAX_);
		return SNP_E_INVALID;
	}
	memcpy(buf, rest, strlen(rest) + 1);
	for (p = buf; n < 3; p = slash + 1) {
		parts[n++] = p;
		slash = strchr(p, '/');
		if (slash == NULL)
			break;
		*slash = '\0';
	}
	if ((slash != NULL) || !(n == 3 || (n == 1 && want_one))) {
		problem(a, 400, "bad-path", "path: expected %s<repository>/<type>/<tag>",
			want_one ? "<repository> or " : "");
		return SNP_E_INVALID;
	}
	for (size_t i = 0; i < n; i++) {
		if (!store_name_valid(parts[i])) {
			problem(a, 400, "bad-name",
				"path: %s '%.64s' must be 1-%d of [A-Za-z0-9._-], not '.' or '..'",
				what[i], parts[i], STORE_NAME_MAX);
			return SNP_E_INVALID;
		}
	}
	return (int)n;
}

/*
 * Whether the caller may change repo: the operator may touch any assigned
 * repository, a tenant only its own. owner receives the owning tenant.
 * Otherwise answered: 403 for a tenant whether or not repo exists, 404 for
 * the operator and an unassigned repository.
 */
static int authorize_repo(struct areq *a, const char *event, const char *path_key,
			  const char *path, const char *repo, char owner[STORE_NAME_MAX + 1])
{
	struct snp_err err = { 0 };
	int ret = store_repo_owner(a->ctx->store, repo, owner, &err);

	if (ret != 0 && ret != STORE_NOT_FOUND) {
		store_failed(a, "repository lookup", &err);
		return ret;
	}
	if (!a->is_operator && (ret == STORE_NOT_FOUND || strcmp(owner, a->principal) != 0)) {
		deny(a, event, path_key, path, "not-owner",
		     "repository is not one of this principal's");
		return SNP_E_REFUSED;
	}
	if (ret == STORE_NOT_FOUND) {
		problem(a, 404, "no-such-repository",
			"repository '%s' is not assigned to a tenant (repo-assign it first)", repo);
		return SNP_E_REFUSED;
	}
	return 0;
}

/* Strict decimal u64 (no sign, no spaces, no overflow). */
static bool parse_u64(const char *s, uint64_t *v)
{
	uint64_t x = 0;

	if (*s == '\0')
		return false;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s) || x > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*v = x;
	return true;
}

/* --- operations ------------------------------------------------------------ */

static int apply_tenant_create(struct store *s, struct change *ch, struct snp_err *err)
{
	return store_principal_create(s, ch->tenant, ch->a->now, ch->token, err);
}

static void op_tenant_create(struct areq *a, const char *rest)
{
	static const char *const keys[] = { "name" };
	struct change ch = { 0 };
	struct snp_err err = { 0 };
	const char *name;
	json_t *o;
	int ret;

	(void)rest;
	if (body_object(a, keys, 1, false, &o) != 0)
		return;
	if ((name = name_field(a, o, "name")) == NULL)
		goto out;
	if (strcmp(name, ADMIN_OPERATOR) == 0) {
		problem(a, 400, "bad-name", "body: 'name' may not be '%s'", ADMIN_OPERATOR);
		goto out;
	}
	ch = (struct change){ .a = a, .apply = apply_tenant_create,
			      .event = "admin.tenant-create", .tenant = name };
	ret = change_run(&ch, &err);
	if (ret == SNP_E_STATE) {
		problem(a, 409, "exists", "tenant '%s' exists", name);
		goto out;
	}
	if (ret != 0 && ret != CHANGE_ANSWERED)
		store_failed(a, "tenant create", &err);
	if (ret != 0)
		goto out;
	ok(a, 201, json_pack("{s:s,s:s}", "name", name, "token", ch.token));
out:
	OPENSSL_cleanse(ch.token, sizeof(ch.token));
	json_decref(o);
}

static int apply_repo_assign(struct store *s, struct change *ch, struct snp_err *err)
{
	return store_repo_assign(s, ch->tenant, ch->repo, ch->a->now, err);
}

static void op_repo_assign(struct areq *a, const char *rest)
{
	static const char *const keys[] = { "tenant", "repo" };
	struct change ch;
	struct snp_err err = { 0 };
	const char *tenant, *repo;
	json_t *o;
	int ret;

	(void)rest;
	if (body_object(a, keys, 2, false, &o) != 0)
		return;
	if ((tenant = name_field(a, o, "tenant")) == NULL ||
	    (repo = name_field(a, o, "repo")) == NULL)
		goto out;
	if (strcmp(tenant, ADMIN_OPERATOR) == 0) {
		problem(a, 400, "bad-name", "body: 'tenant' may not be '%s'", ADMIN_OPERATOR);
		goto out;
	}
	ch = (struct change){ .a = a, .apply = apply_repo_assign, .event = "admin.repo-assign",
			      .tenant = tenant, .path_key = "repo", .path = repo, .repo = repo };
	ret = change_run(&ch, &err);
	if (ret == SNP_E_REFUSED) {
		/* An unknown tenant or another tenant's repository; only the operator gets here. */
		problem(a, 409, "conflict", "%s", err.msg);
		goto out;
	}
	if (ret != 0 && ret != CHANGE_ANSWERED)
		store_failed(a, "repository assign", &err);
	if (ret != 0)
		goto out;
	ok(a, 200, json_pack("{s:s,s:s}", "tenant", tenant, "repo", repo));
out:
	json_decref(o);
}

static int apply_resource_put(struct store *s, struct change *ch, struct snp_err *err)
{
	return store_resource_put(s, ch->tenant, ch->repo, ch->type, ch->tag, ch->data, ch->len,
				  ch->a->now, &ch->version, err);
}

static void op_resource_put(struct areq *a, const char *rest)
{
	const char *ev = "admin.resource-put", *p[3];
	char buf[PATH_MAX_ + 1], owner[STORE_NAME_MAX + 1];
	struct snp_err err = { 0 };
	struct change ch;
	int ret;

	if (split_path(a, rest, false, buf, p) < 0 ||
	    authorize_repo(a, ev, "path", rest, p[0], owner) != 0)
		return;
	if (a->req->body_len == 0 || a->req->body_len > STORE_SECRET_MAX) {
		problem(a, a->req->body_len ? 413 : 400, "bad-secret",
			"body: the secret must be 1 to %d bytes (got %zu)", STORE_SECRET_MAX,
			a->req->body_len);
		return;
	}
	ch = (struct change){ .a = a, .apply = apply_resource_put, .event = ev, .tenant = owner,
			      .path_key = "path", .path = rest, .repo = p[0], .type = p[1],
			      .tag = p[2], .data = a->req->body, .len = a->req->body_len };
	ret = change_run(&ch, &err);
	if (ret != 0 && ret != CHANGE_ANSWERED)
		store_failed(a, "resource put", &err);
	if (ret != 0)
		return;
	ok(a, 200, json_pack("{s:s,s:I}", "path", rest, "version", (json_int_t)ch.version));
}

static int apply_resource_delete(struct store *s, struct change *ch, struct snp_err *err)
{
	return store_resource_delete(s, ch->tenant, ch->repo, ch->type, ch->tag, ch->a->now, err);
}

static void op_resource_delete(struct areq *a, const char *rest)
{
	const char *ev = "admin.resource-delete", *p[3];
	char buf[PATH_MAX_ + 1], owner[STORE_NAME_MAX + 1];
	struct snp_err err = { 0 };
	struct change ch;
	int ret;

	if (split_path(a, rest, false, buf, p) < 0 ||
	    authorize_repo(a, ev, "path", rest, p[0], owner) != 0)
		return;
	ch = (struct change){ .a = a, .apply = apply_resource_delete, .event = ev,
			      .tenant = owner, .path_key = "path", .path = rest, .repo = p[0],
			      .type = p[1], .tag = p[2] };
	ret = change_run(&ch, &err);
	if (ret == STORE_NOT_FOUND) {
		problem(a, 404, "no-such-resource", "resource '%s' does not exist", rest);
		return;
	}
	if (ret != 0 && ret != CHANGE_ANSWERED)
		store_failed(a, "resource delete", &err);
	if (ret != 0)
		return;
	ok(a, 200, json_pack("{s:s,s:b}", "path", rest, "deleted", 1));
}

/*
 * The body must be a verifier policy that attest/appraise-policy.c accepts
 * (the format `snpvm verify --policy` reads); it is stored as the scope's
 * next version, which attestd reads on the next request (no restart).
 */
static int apply_policy_set(struct store *s, struct change *ch, struct snp_err *err)
{
	return store_policy_set(s, ch->tenant, ch->path, ch->json, ch->a->now, &ch->version, err);
}

static void op_policy_set(struct areq *a, const char *rest)
{
	const char *ev = "admin.policy-set", *p[3];
	char buf[PATH_MAX_ + 1], owner[STORE_NAME_MAX + 1];
	struct appraise_opts *opts = NULL;
	struct snp_err err = { 0 };
	json_error_t jerr;
	struct change ch;
	json_t *policy = NULL;
	int ret;

	if (split_path(a, rest, true, buf, p) < 0 ||
	    authorize_repo(a, ev, "scope", rest, p[0], owner) != 0)
		return;
	if ((opts = calloc(1, sizeof(*opts))) == NULL) {
		problem(a, 500, "out-of-memory", "out of memory");
		return;
	}
	if (appraise_opts_from_json((const char *)a->req->body, a->req->body_len, opts,
				    &err) != 0) {
		problem(a, 400, "bad-policy", "%s", err.msg);
		goto out;
	}
	policy = json_loadb((const char *)a->req->body, a->req->body_len, JSON_REJECT_DUPLICATES,
			    &jerr);
	if (!json_is_object(policy)) {
		problem(a, 400, "bad-policy", "policy: %s",
			policy ? "expected a JSON object" : jerr.text);
		goto out;
	}
	ch = (struct change){ .a = a, .apply = apply_policy_set, .event = ev, .tenant = owner,
			      .path_key = "scope", .path = rest, .json = policy };
	ret = change_run(&ch, &err);
	if (ret != 0 && ret != CHANGE_ANSWERED)
		store_failed(a, "policy set", &err);
	if (ret != 0)
		goto out;
	ok(a, 200, json_pack("{s:s,s:I}", "scope", rest, "version", (json_int_t)ch.version));
out:
	json_decref(policy);
	free(opts);
}

static void op_list(struct areq *a, const char *rest)
{
	struct snp_err err = { 0 };
	json_t *out = NULL;

	(void)rest;
	if (store_list(a->ctx->store, a->is_operator ? NULL : a->principal, &out, &err) != 0) {
		store_failed(a, "list", &err);
		return;
	}
	ok(a, 200, out);
}

static void op_audit(struct areq *a, const char *rest)
{
	const char *after_s = query(a, "after"), *limit_s = query(a, "limit");
	uint64_t after = 0, limit = ADMIN_AUDIT_PAGE;
	struct snp_err err = { 0 };
	json_t *rows = NULL;

	(void)rest;
	if (after_s && !parse_u64(after_s, &after)) {
		problem(a, 400, "bad-query", "query: 'after' must be a decimal sequence number");
		return;
	}
	if (limit_s && (!parse_u64(limit_s, &limit) || limit == 0 || limit > ADMIN_AUDIT_PAGE)) {
		problem(a, 400, "bad-query", "query: 'limit' must be 1 to %d", ADMIN_AUDIT_PAGE);
		return;
	}
	if (store_audit_list(a->ctx->store, a->is_operator ? NULL : a->principal, after,
			     (unsigned)limit, &rows, &err) != 0) {
		store_failed(a, "audit list", &err);
		return;
	}
	ok(a, 200, json_pack("{s:o}", "rows", rows));
}

static void op_audit_verify(struct areq *a, const char *rest)
{
	struct snp_err err = { 0 };
	uint64_t rows = 0;
	int ret;

	(void)rest;
	ret = store_audit_verify(a->ctx->store, &rows, &err);
	if (ret == SNP_E_SIGNATURE) {
		/* A broken chain is an answer, not a failed request. */
		ok(a, 200, json_pack("{s:b,s:s}", "intact", 0, "detail", err.msg));
		return;
	}
	if (ret != 0) {
		store_failed(a, "audit verify", &err);
		return;
	}
	ok(a, 200, json_pack("{s:b,s:I}", "intact", 1, "rows", (json_int_t)rows));
}

/*
 * A new EAR signing key signs from now on; every older key stops signing now
 * and stays published for the overlap, so tokens it signed keep verifying
 * until they expire.
 */
static int apply_key_rotate(struct store *s, struct change *ch, struct snp_err *err)
{
	int64_t now = ch->a->now;

	return store_signing_key_rotate(s, ch->json, now, now + ADMIN_KEY_LIFETIME,
					now + ADMIN_KEY_LIFETIME + ch->overlap, now + ch->overlap,
					err);
}

static void op_key_rotate(struct areq *a, const char *rest)
{
	static const char *const keys[] = { "overlap" };
	int64_t overlap = a->ctx->overlap_default ? a->ctx->overlap_default : ADMIN_DEFAULT_OVERLAP;
	struct snp_err err = { 0 };
	json_t *o, *jwk = NULL, *v;
	struct change ch;
	const char *kid;
	int ret;

	(void)rest;
	if (body_object(a, keys, 1, true, &o) != 0)
		return;
	if ((v = json_object_get(o, "overlap")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > ADMIN_OVERLAP_MAX) {
			problem(a, 400, "bad-field", "body: 'overlap' must be 0 to %d seconds",
				ADMIN_OVERLAP_MAX);
			goto out;
		}
		overlap = json_integer_value(v);
	}
	if (ear_key_generate(&jwk, &err) != 0) {
		problem(a, 500, "crypto-failed", "key generation failed");
		snprintf(a->detail, sizeof(a->detail), "ear_key_generate: %s", err.msg);
		goto out;
	}
	kid = json_string_value(json_object_get(jwk, "kid"));
	ch = (struct change){ .a = a, .apply = apply_key_rotate, .event = "admin.key-rotate",
			      .path_key = "kid", .path = kid, .json = jwk, .overlap = overlap };
	ret = change_run(&ch, &err);
	if (ret != 0 && ret != CHANGE_ANSWERED)
		store_failed(a, "key rotate", &err);
	if (ret != 0)
		goto out;
	ok(a, 200, json_pack("{s:s,s:I}", "kid", kid, "retired_publish_until",
			     (json_int_t)(a->now + overlap)));
out:
	jwk_free_private(jwk);
	json_decref(o);
}

/* --- routing ------------------------------------------------------------- */

struct route {
	const char *method;
	const char *path;   /* after ADMIN_PATH_PREFIX */
	bool prefix;        /* path is a prefix; the rest goes to fn */
	bool operator_only;
	const char *event;  /* audit event of a refusal */
	void (*fn)(struct areq *a, const char *rest);
};

static const struct route routes[] = {
	{ "POST", "tenants", false, true, "admin.tenant-create", op_tenant_create },
	{ "POST", "repos", false, true, "admin.repo-assign", op_repo_assign },
	{ "PUT", "resource/", true, false, "admin.resource-put", op_resource_put },
	{ "DELETE", "resource/", true, false, "admin.resource-delete", op_resource_delete },
	{ "PUT", "policy/", true, false, "admin.policy-set", op_policy_set },
	{ "GET", "list", false, false, "admin.list", op_list },
	{ "GET", "audit", false, false, "admin.audit", op_audit },
	{ "POST", "audit/verify", false, true, "admin.audit-verify", op_audit_verify },
	{ "POST", "keys/rotate", false, true, "admin.key-rotate", op_key_rotate },
};

static bool route_matches(const struct route *r, const char *sub, const char **rest)
{
	size_t n = strlen(r->path);

	if (r->prefix ? strncmp(sub, r->path, n) != 0 : strcmp(sub, r->path) != 0)
		return false;
	*rest = sub + n;
	return true;
}

static void dispatch(struct areq *a)
{
	const char *path = a->req->path ? a->req->path : "";
	const char *method = a->req->method ? a->req->method : "";
	const struct route *found = NULL;
	const char *sub, *rest = "";

	if (strncmp(path, ADMIN_PATH_PREFIX, strlen(ADMIN_PATH_PREFIX)) != 0) {
		problem(a, 404, "not-found", "no such admin path");
		return;
	}
	sub = path + strlen(ADMIN_PATH_PREFIX);
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const char *r;

		if (!route_matches(&routes[i], sub, &r))
			continue;
		if (strcmp(routes[i].method, method) == 0) {
			found = &routes[i];
			rest = r;
			break;
		}
		if (found == NULL)
			found = &routes[i]; /* the path exists: 405 unless another method matches */
	}
	if (found == NULL) {
		problem(a, 404, "not-found", "no such admin path");
		return;
	}
	if (strcmp(found->method, method) != 0) {
		problem(a, 405, "method-not-allowed", "%.16s is not allowed here", method);
		return;
	}
	if (found->operator_only && !a->is_operator) {
		deny(a, found->event, "path", path, "operator-only",
		     "only the operator principal may do this");
		return;
	}
	found->fn(a, rest);
}

static int64_t clock_now(const struct admin_ctx *c)
{
	return c->now ? c->now(c->now_ctx) : (int64_t)time(NULL);
}

void admin_route(void *ctx, const struct httpd_req *req, struct httpd_resp *resp)
{
	struct areq a = { .ctx = ctx, .req = req, .resp = resp };
	uint8_t rnd[8];

	a.now = clock_now(a.ctx);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));
	hex_encode(rnd, sizeof(rnd), a.corr);
	if (authenticate(&a) == 0)
		dispatch(&a);
	if (a.ctx->log) {
		struct admin_event ev = {
			.correlation = a.corr,
			.principal = a.authed ? a.principal : NULL,
			.method = req->method,
			.path = req->path,
			.status = resp->status ? resp->status : 500,
			.reason = a.reason,
			.detail = a.reason ? a.detail : NULL,
		};

		a.ctx->log(a.ctx->log_ctx, &ev);
	}
}
