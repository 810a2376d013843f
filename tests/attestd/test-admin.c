/*
 * attestd/admin-routes.c without a socket: requests are built here with
 * header and query tables, against a real SQLite store in a temporary
 * directory, at an injected time. Covers every operation, the tenant
 * isolation model (a tenant touches only its own repositories; 401 says
 * nothing about which principals exist; 403 nothing about which
 * repositories exist), policy versions and validation, key rotation with its
 * overlap, and the audit row of every change. Also attestd/admin-init.c.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "attestd/admin-init.h"
#include "attestd/admin-routes.h"
#include "attestd/db.h"
#include "attestd/ear.h"
#include "attestd/jwk.h"
#include "attestd/store.h"
#include "tests/common/testutil.h"
#include "util/file.h"

#define T0 1764930000 /* 2025-12-05, an arbitrary fixed "now" */

#define GOOD_POLICY "docs/examples/verifier-policy-default.json"

struct fix {
	char *dir;
	struct store *store;
	struct admin_ctx ctx;
	int64_t now;
	char op_token[STORE_TOKEN_LEN + 1];
	char alice[STORE_TOKEN_LEN + 1], bob[STORE_TOKEN_LEN + 1];
	unsigned nlog;
	struct admin_event last;
	char last_principal[STORE_NAME_MAX + 1];
};

/* One request: its tables of headers and query arguments. */
struct treq {
	struct httpd_req r;
	const char *hdr[4][2];
	const char *qry[2][2];
};

static const char *lookup(const char *const (*t)[2], size_t n, const char *name, bool fold)
{
	for (size_t i = 0; i < n; i++)
		if (t[i][0] && (fold ? strcasecmp(t[i][0], name) : strcmp(t[i][0], name)) == 0)
			return t[i][1];
	return NULL;
}

static const char *hdr_fn(const struct httpd_req *r, const char *name)
{
	const struct treq *t = r->impl;

	return lookup((const char *const (*)[2])t->hdr, 4, name, true);
}

static const char *qry_fn(const struct httpd_req *r, const char *name)
{
	const struct treq *t = r->impl;

	return lookup((const char *const (*)[2])t->qry, 2, name, false);
}

static int64_t fake_now(void *ctx)
{
	return ((struct fix *)ctx)->now;
}

static void log_hook(void *ctx, const struct admin_event *ev)
{
	struct fix *f = ctx;

	f->nlog++;
	f->last = *ev;
	snprintf(f->last_principal, sizeof(f->last_principal), "%s",
		 ev->principal ? ev->principal : "");
}

/*
 * Sends method path (query "k=v" or NULL) with body as principal/token
 * (NULL: header absent). Returns the status; *out (may be NULL) the JSON
 * answer, *raw (may be NULL) the body text.
 */
static unsigned call_raw(struct fix *f, const char *principal, const char *token,
			 const char *method, const char *path, const char *query, const void *body,
			 size_t len, json_t **out, char **raw)
{
	char auth[256], qk[32] = "", *qv = NULL;
	struct treq t = { 0 };
	struct httpd_resp resp = { 0 };

	if (query) {
		snprintf(qk, sizeof(qk), "%s", query);
		qv = strchr(qk, '=');
		assert_non_null(qv);
		*qv++ = '\0';
		t.qry[0][0] = qk;
		t.qry[0][1] = qv;
	}
	snprintf(auth, sizeof(auth), "Bearer %s", token ? token : "");
	if (token) {
		t.hdr[0][0] = "Authorization";
		t.hdr[0][1] = auth;
	}
	if (principal) {
		t.hdr[1][0] = "X-Snpvm-Principal";
		t.hdr[1][1] = principal;
	}
	t.r = (struct httpd_req){
		.method = method, .path = path, .body = body ? body : (const void *)"",
		.body_len = len, .peer = "unix", .header = hdr_fn, .query = qry_fn, .impl = &t,
	};
	admin_route(&f->ctx, &t.r, &resp);
	assert_non_null(resp.body);
	if (out) {
		*out = json_loadb((const char *)resp.body, resp.len, 0, NULL);
		assert_non_null(*out);
	}
	if (raw) {
		*raw = strndup((const char *)resp.body, resp.len);
		assert_non_null(*raw);
	}
	if (resp.status >= 400)
		assert_string_equal(resp.content_type, "application/problem+json");
	else
		assert_string_equal(resp.content_type, "application/json");
	free(resp.body);
	return resp.status;
}

static unsigned call(struct fix *f, const char *principal, const char *token, const char *method,
		     const char *path, const char *body, json_t **out)
{
	return call_raw(f, principal, token, method, path, NULL, body, body ? strlen(body) : 0, out,
			NULL);
}

/* A problem answer's detail contains want. */
static void assert_problem(json_t *o, unsigned status, const char *want)
{
	const char *detail = json_string_value(json_object_get(o, "detail"));

	assert_int_equal(json_integer_value(json_object_get(o, "status")), status);
	assert_non_null(json_string_value(json_object_get(o, "reason")));
	assert_string_equal(json_string_value(json_object_get(o, "type")), "about:blank");
	assert_non_null(detail);
	if (strstr(detail, want) == NULL)
		fail_msg("detail '%s' does not name '%s'", detail, want);
}

/* Sends the request; checks the status and, for a problem, that its detail names want. */
static void expect(struct fix *f, const char *principal, const char *token, const char *method,
		   const char *path, const char *body, unsigned status, const char *want)
{
	json_t *o;

	assert_int_equal(call(f, principal, token, method, path, body, &o), status);
	if (status >= 400)
		assert_problem(o, status, want ? want : "");
	json_decref(o);
}

static void tenant_create(struct fix *f, const char *name, char token[STORE_TOKEN_LEN + 1])
{
	char body[128];
	json_t *o;

	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
	assert_int_equal(call(f, ADMIN_OPERATOR, f->op_token, "POST", "/admin/v0/tenants", body,
			      &o),
			 201);
	assert_string_equal(json_string_value(json_object_get(o, "name")), name);
	assert_int_equal(strlen(json_string_value(json_object_get(o, "token"))), STORE_TOKEN_LEN);
	memcpy(token, json_string_value(json_object_get(o, "token")), STORE_TOKEN_LEN + 1);
	json_decref(o);
}

static void repo_assign(struct fix *f, const char *tenant, const char *repo)
{
	char body[160];

	snprintf(body, sizeof(body), "{\"tenant\":\"%s\",\"repo\":\"%s\"}", tenant, repo);
	expect(f, ADMIN_OPERATOR, f->op_token, "POST", "/admin/v0/repos", body, 200, NULL);
}

/* alice owns repo "ra", bob owns "rb"; bob has rb/key/disk = "bob-secret". */
static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct snp_err err = { 0 };
	char key[4096], db[4096];

	assert_non_null(f);
	f->dir = tmpdir_make();
	f->now = T0;
	snprintf(key, sizeof(key), "%s/master.key", f->dir);
	snprintf(db, sizeof(db), "%s/attestd.db", f->dir);
	if (store_master_key_create(key, &err) != 0 || store_open(db, key, &f->store, &err) != 0 ||
	    store_principal_create(f->store, ADMIN_OPERATOR, T0, f->op_token, &err) != 0)
		fail_msg("store: %s", err.msg);
	f->ctx = (struct admin_ctx){ .store = f->store, .now = fake_now, .now_ctx = f,
				     .log = log_hook, .log_ctx = f };
	tenant_create(f, "alice", f->alice);
	tenant_create(f, "bob", f->bob);
	repo_assign(f, "alice", "ra");
	repo_assign(f, "bob", "rb");
	expect(f, "bob", f->bob, "PUT", "/admin/v0/resource/rb/key/disk", "bob-secret", 200, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	store_close(f->store);
	rm_rf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* bob's secret as the store holds it. */
static void assert_bob_intact(struct fix *f)
{
	struct secret s = { 0 };
	struct snp_err err = { 0 };
	uint64_t version = 0;
	char owner[STORE_NAME_MAX + 1] = "";

	assert_int_equal(store_resource_get(f->store, "rb", "key", "disk", &s, &version, owner,
					    &err), 0);
	assert_int_equal(s.len, strlen("bob-secret"));
	assert_memory_equal(s.p, "bob-secret", s.len);
	assert_int_equal(version, 1);
	assert_string_equal(owner, "bob");
	secret_free(&s);
}

/* --- authentication ------------------------------------------------------ */

static void admin_auth_wrong_token_and_unknown_principal_look_alike(void **state)
{
	struct fix *f = *state;
	char *wrong = NULL, *unknown = NULL, *none = NULL, *basic = NULL;
	char bad[STORE_TOKEN_LEN + 1];

	memcpy(bad, f->alice, sizeof(bad));
	bad[0] = bad[0] == 'A' ? 'B' : 'A';
	assert_int_equal(call_raw(f, "alice", bad, "GET", "/admin/v0/list", NULL, NULL, 0, NULL,
				  &wrong), 401);
	assert_int_equal(call_raw(f, "mallory", f->alice, "GET", "/admin/v0/list", NULL, NULL, 0,
				  NULL, &unknown), 401);
	assert_int_equal(call_raw(f, NULL, f->alice, "GET", "/admin/v0/list", NULL, NULL, 0, NULL,
				  &none), 401);
	/* alice's token is not bob's. */
	assert_int_equal(call(f, "bob", f->alice, "GET", "/admin/v0/list", NULL, NULL), 401);
	assert_int_equal(call(f, ADMIN_OPERATOR, f->alice, "GET", "/admin/v0/list", NULL, NULL),
			 401);
	/* The answers are byte for byte the same: nothing says which principals exist. */
	assert_string_equal(wrong, unknown);
	assert_string_equal(wrong, none);
	assert_null(strstr(wrong, "mallory"));
	assert_null(strstr(wrong, "alice"));
	/* The log still gets the real reason; no principal is recorded as authenticated. */
	assert_int_equal(f->last.status, 401);
	assert_string_equal(f->last_principal, "");
	{
		struct treq t = { 0 };
		struct httpd_resp resp = { 0 };

		t.hdr[0][0] = "authorization"; /* header names fold */
		t.hdr[0][1] = "Basic YWxpY2U6eA==";
		t.hdr[1][0] = "X-Snpvm-Principal";
		t.hdr[1][1] = "alice";
		t.r = (struct httpd_req){ .method = "GET", .path = "/admin/v0/list", .body =
					  (const uint8_t *)"", .header = hdr_fn, .query = qry_fn,
					  .impl = &t };
		admin_route(&f->ctx, &t.r, &resp);
		assert_int_equal(resp.status, 401);
		basic = strndup((const char *)resp.body, resp.len);
		free(resp.body);
	}
	assert_string_equal(wrong, basic);
	free(wrong);
	free(unknown);
	free(none);
	free(basic);
}

/* --- tenants and repositories ------------------------------------------- */

static void admin_tenant_create_refusals(void **state)
{
	struct fix *f = *state;
	json_t *o;

	expect(f, ADMIN_OPERATOR, f->op_token, "POST", "/admin/v0/tenants", "{\"name\":\"alice\"}",
	       409, "alice");
	expect(f, ADMIN_OPERATOR, f->op_token, "POST", "/admin/v0/tenants",
	       "{\"name\":\"operator\"}", 400, "'name'");
	expect(f, ADMIN_OPERATOR, f->op_token, "POST", "/admin/v0/tenants", "{\"name\":\"a/b\"}",
	       400, "'name'");
	expect(f, ADMIN_OPERATOR, f->op_token, "POST", "/admin/v0/tenants",
	       "{\"name\":\"carol\",\"admin\":true}", 400, "'admin'");
	expect(f, ADMIN_OPERATOR, f->op_token, "POST", "/admin/v0/tenants",
	       "{\"name\":\"carol\",\"name\":\"dave\"}", 400, NULL);
	assert_int_equal(call(f, ADMIN_OPERATOR, f->op_token, "POST", "/admin/v0/tenants", "[1]",
			      &o), 400);
	json_decref(o);
}

static void admin_repo_assign_refusals(void **state)
{
	struct fix *f = *state;

	/* Re-assigning to the owner is a no-op; to another tenant a conflict. */
	repo_assign(f, "alice", "ra");
	expect(f, ADMIN_OPERATOR, f->op_token, "POST", "/admin/v0/repos",
	       "{\"tenant\":\"alice\",\"repo\":\"rb\"}", 409, "rb");
	expect(f, ADMIN_OPERATOR, f->op_token, "POST", "/admin/v0/repos",
	       "{\"tenant\":\"nobody\",\"repo\":\"rn\"}", 409, "tenant nobody does not exist");
	expect(f, ADMIN_OPERATOR, f->op_token, "POST", "/admin/v0/repos", "{\"tenant\":\"alice\"}",
	       400, "'repo'");
	assert_bob_intact(f);
}

/* --- isolation ------------------------------------------------------------ */

static void admin_tenant_cannot_touch_another_tenants_repo(void **state)
{
	static const struct {
		const char *method, *path, *body;
	} reqs[] = {
		{ "PUT", "/admin/v0/resource/rb/key/disk", "alice-was-here" },
		{ "PUT", "/admin/v0/resource/rb/key/new", "alice-was-here" },
		{ "DELETE", "/admin/v0/resource/rb/key/disk", NULL },
		{ "PUT", "/admin/v0/policy/rb", NULL },
		{ "PUT", "/admin/v0/policy/rb/key/disk", NULL },
	};
	struct fix *f = *state;
	char *policy = NULL, *ans_b = NULL, *ans_none = NULL;
	size_t plen = 0;

	assert_int_equal(file_read(GOOD_POLICY, 1 << 20, (uint8_t **)&policy, &plen, NULL), 0);
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		const char *body = reqs[i].body ? reqs[i].body : policy;
		size_t len = reqs[i].body ? strlen(body) : plen;
		char none[128];

		assert_int_equal(call_raw(f, "alice", f->alice, reqs[i].method, reqs[i].path, NULL,
					  body, len, NULL, &ans_b), 403);
		/* The same request on a repository that does not exist: the same answer. */
		snprintf(none, sizeof(none), "%s", reqs[i].path);
		memcpy(strstr(none, "/rb") + 1, "rz", 2);
		assert_int_equal(call_raw(f, "alice", f->alice, reqs[i].method, none, NULL, body,
					  len, NULL, &ans_none), 403);
		assert_string_equal(ans_b, ans_none);
		free(ans_b);
		free(ans_none);
	}
	free(policy);
	assert_bob_intact(f);
	/* bob has no policy and no second resource. */
	{
		struct snp_err err = { 0 };
		json_t *p = NULL;
		char scope[STORE_NAME_MAX * 3 + 3];
		uint64_t v;
		struct secret s = { 0 };

		assert_int_equal(store_policy_for(f->store, "rb", "key", "disk", &p, scope, &v,
						  &err),
				 STORE_NOT_FOUND);
		assert_int_equal(store_resource_get(f->store, "rb", "key", "new", &s, &v, NULL,
						    &err),
				 STORE_NOT_FOUND);
	}
	/* Nor may a tenant do the operator's work. */
	expect(f, "alice", f->alice, "POST", "/admin/v0/tenants", "{\"name\":\"eve\"}", 403,
	       "operator");
	expect(f, "alice", f->alice, "POST", "/admin/v0/repos",
	       "{\"tenant\":\"alice\",\"repo\":\"rc\"}", 403, NULL);
	expect(f, "alice", f->alice, "POST", "/admin/v0/audit/verify", NULL, 403, NULL);
	expect(f, "alice", f->alice, "POST", "/admin/v0/keys/rotate", NULL, 403, NULL);
	/* The refusals went only to alice's audit view. */
	assert_int_equal(call_raw(f, "bob", f->bob, "GET", "/admin/v0/audit", NULL, NULL, 0, NULL,
				  &ans_b), 200);
	assert_null(strstr(ans_b, "alice"));
	free(ans_b);
}

static void admin_list_and_audit_show_only_own(void **state)
{
	struct fix *f = *state;
	json_t *o, *row;
	char *text;
	size_t i;

	expect(f, "alice", f->alice, "PUT", "/admin/v0/resource/ra/key/disk", "alice-secret", 200,
	       NULL);
	/* alice: her repository, none of bob's. */
	assert_int_equal(call(f, "alice", f->alice, "GET", "/admin/v0/list", NULL, &o), 200);
	text = json_dumps(o, JSON_COMPACT);
	assert_non_null(strstr(text, "ra"));
	assert_null(strstr(text, "rb"));
	assert_null(strstr(text, "bob"));
	assert_null(strstr(text, "secret")); /* never a secret's bytes */
	free(text);
	json_decref(o);
	/* The operator sees both. */
	assert_int_equal(call(f, ADMIN_OPERATOR, f->op_token, "GET", "/admin/v0/list", NULL, &o),
			 200);
	text = json_dumps(o, JSON_COMPACT);
	assert_non_null(strstr(text, "\"ra\""));
	assert_non_null(strstr(text, "\"rb\""));
	assert_null(strstr(text, "alice-secret"));
	free(text);
	json_decref(o);
	/* alice's audit rows are all hers. */
	assert_int_equal(call(f, "alice", f->alice, "GET", "/admin/v0/audit", NULL, &o), 200);
	assert_true(json_array_size(json_object_get(o, "rows")) >= 2);
	json_array_foreach(json_object_get(o, "rows"), i, row)
		assert_string_equal(json_string_value(json_object_get(row, "tenant")), "alice");
	json_decref(o);
}

/* --- resources ---------------------------------------------------------- */

static void admin_resource_put_versions_and_delete(void **state)
{
	struct fix *f = *state;
	struct snp_err err = { 0 };
	struct secret s = { 0 };
	uint64_t version = 0;
	uint8_t *big;
	json_t *o;

	assert_int_equal(call(f, "alice", f->alice, "PUT", "/admin/v0/resource/ra/key/disk", "v1",
			      &o), 200);
	assert_int_equal(json_integer_value(json_object_get(o, "version")), 1);
	assert_string_equal(json_string_value(json_object_get(o, "path")), "ra/key/disk");
	json_decref(o);
	/* The operator may put into any assigned repository. */
	assert_int_equal(call(f, ADMIN_OPERATOR, f->op_token, "PUT",
			      "/admin/v0/resource/ra/key/disk", "v2", &o), 200);
	assert_int_equal(json_integer_value(json_object_get(o, "version")), 2);
	json_decref(o);
	assert_int_equal(store_resource_get(f->store, "ra", "key", "disk", &s, &version, NULL,
					    &err),
			 0);
	assert_int_equal(version, 2);
	assert_memory_equal(s.p, "v2", 2);
	secret_free(&s);
	/* Empty and oversized secrets, bad paths. */
	expect(f, "alice", f->alice, "PUT", "/admin/v0/resource/ra/key/x", "", 400, "secret");
	big = calloc(1, STORE_SECRET_MAX + 1);
	assert_int_equal(call_raw(f, "alice", f->alice, "PUT", "/admin/v0/resource/ra/key/x", NULL,
				  big, STORE_SECRET_MAX + 1, &o, NULL), 413);
	json_decref(o);
	assert_int_equal(call_raw(f, "alice", f->alice, "PUT", "/admin/v0/resource/ra/key/x", NULL,
				  big, STORE_SECRET_MAX, &o, NULL), 200);
	json_decref(o);
	free(big);
	expect(f, "alice", f->alice, "PUT", "/admin/v0/resource/ra/key", "x", 400, "<tag>");
	expect(f, "alice", f->alice, "PUT", "/admin/v0/resource/ra/../x", "x", 400, "type '..'");
	expect(f, "alice", f->alice, "PUT", "/admin/v0/resource/ra/a/b/c", "x", 400, NULL);
	/* The operator on an unassigned repository: 404, it may know. */
	expect(f, ADMIN_OPERATOR, f->op_token, "PUT", "/admin/v0/resource/rz/key/disk", "x", 404,
	       "rz");
	/* Delete: every version goes; a second delete is 404. */
	assert_int_equal(call(f, "alice", f->alice, "DELETE", "/admin/v0/resource/ra/key/disk",
			      NULL, &o), 200);
	assert_true(json_is_true(json_object_get(o, "deleted")));
	json_decref(o);
	assert_int_equal(store_resource_get(f->store, "ra", "key", "disk", &s, &version, NULL,
					    &err),
			 STORE_NOT_FOUND);
	expect(f, "alice", f->alice, "DELETE", "/admin/v0/resource/ra/key/disk", NULL, 404, NULL);
	assert_bob_intact(f);
}

/* --- policies ----------------------------------------------------------- */

static void admin_policy_versions_increase_and_newest_governs(void **state)
{
	struct fix *f = *state;
	struct snp_err err = { 0 };
	char scope[STORE_NAME_MAX * 3 + 3];
	uint64_t version = 0;
	json_t *o, *p = NULL;

	assert_int_equal(call(f, "alice", f->alice, "PUT", "/admin/v0/policy/ra",
			      "{\"allow_any_measurement\":true,\"vmpl\":0}", &o), 200);
	assert_string_equal(json_string_value(json_object_get(o, "scope")), "ra");
	assert_int_equal(json_integer_value(json_object_get(o, "version")), 1);
	json_decref(o);
	assert_int_equal(call(f, "alice", f->alice, "PUT", "/admin/v0/policy/ra",
			      "{\"allow_any_measurement\":true,\"vmpl\":1}", &o), 200);
	assert_int_equal(json_integer_value(json_object_get(o, "version")), 2);
	json_decref(o);
	/* Hot reload: what attestd reads for the next request is version 2. */
	assert_int_equal(store_policy_for(f->store, "ra", "key", "disk", &p, scope, &version, &err),
			 0);
	assert_string_equal(scope, "ra");
	assert_int_equal(version, 2);
	assert_int_equal(json_integer_value(json_object_get(p, "vmpl")), 1);
	json_decref(p);
	/* A resource's own policy wins, with its own versions. */
	assert_int_equal(call(f, "alice", f->alice, "PUT", "/admin/v0/policy/ra/key/disk",
			      "{\"allow_any_measurement\":true,\"vmpl\":2}", &o), 200);
	assert_string_equal(json_string_value(json_object_get(o, "scope")), "ra/key/disk");
	assert_int_equal(json_integer_value(json_object_get(o, "version")), 1);
	json_decref(o);
	assert_int_equal(store_policy_for(f->store, "ra", "key", "disk", &p, scope, &version, &err),
			 0);
	assert_string_equal(scope, "ra/key/disk");
	assert_int_equal(version, 1);
	json_decref(p);
}

static void admin_bad_policy_refused_naming_the_field(void **state)
{
	static const struct {
		const char *body, *names;
	} bad[] = {
		{ "{\"measurements\":[\"zz\"]}", "measurements[0]" },
		{ "{\"allow_any_measurment\":true}", "allow_any_measurment" },
		{ "{\"vmpl\":7}", "vmpl" },
		{ "{\"min_guest_svn\":-1}", "min_guest_svn" },
		{ "[]", "policy" },
		{ "{", "policy" },
	};
	struct fix *f = *state;
	struct snp_err err = { 0 };
	char scope[STORE_NAME_MAX * 3 + 3];
	uint64_t version = 0;
	json_t *o, *p = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(call(f, "alice", f->alice, "PUT", "/admin/v0/policy/ra",
				      bad[i].body, &o), 400);
		assert_problem(o, 400, bad[i].names);
		assert_string_equal(json_string_value(json_object_get(o, "reason")), "bad-policy");
		json_decref(o);
	}
	/* Nothing was stored. */
	assert_int_equal(store_policy_for(f->store, "ra", "key", "disk", &p, scope, &version, &err),
			 STORE_NOT_FOUND);
}

/* --- audit -------------------------------------------------------------- */

/* The rows after `after` as the operator sees them. */
static json_t *audit_rows(struct fix *f, const char *query)
{
	json_t *o, *rows;

	assert_int_equal(call_raw(f, ADMIN_OPERATOR, f->op_token, "GET", "/admin/v0/audit", query,
				  NULL, 0, &o, NULL), 200);
	rows = json_incref(json_object_get(o, "rows"));
	json_decref(o);
	assert_true(json_is_array(rows));
	return rows;
}

static void assert_row(json_t *row, const char *event, const char *decision,
		       const char *principal, const char *key, const char *val, int64_t version)
{
	assert_string_equal(json_string_value(json_object_get(row, "event")), event);
	assert_string_equal(json_string_value(json_object_get(row, "decision")), decision);
	assert_string_equal(json_string_value(json_object_get(row, "principal")), principal);
	assert_int_equal(strlen(json_string_value(json_object_get(row, "correlation"))), 16);
	if (key)
		assert_string_equal(json_string_value(json_object_get(row, key)), val);
	assert_int_equal(json_integer_value(json_object_get(row, "version")), version);
}

static void admin_every_change_is_audited(void **state)
{
	struct fix *f = *state;
	uint64_t rows_n = 0;
	struct snp_err err = { 0 };
	json_t *rows, *o;
	char *text;

	/* setup: 2 tenant-create, 2 repo-assign, 1 resource-put. */
	rows = audit_rows(f, NULL);
	assert_int_equal(json_array_size(rows), 5);
	assert_row(json_array_get(rows, 0), "admin.tenant-create", "ok", "operator", "tenant",
		   "alice", 0);
	assert_row(json_array_get(rows, 1), "admin.tenant-create", "ok", "operator", "tenant",
		   "bob",
		   0);
	assert_row(json_array_get(rows, 2), "admin.repo-assign", "ok", "operator", "repo", "ra", 0);
	assert_row(json_array_get(rows, 3), "admin.repo-assign", "ok", "operator", "tenant", "bob",
		   0);
	assert_row(json_array_get(rows, 4), "admin.resource-put", "ok", "bob", "path",
		   "rb/key/disk", 1);
	json_decref(rows);

	assert_int_equal(call(f, "alice", f->alice, "PUT", "/admin/v0/resource/ra/t/g", "hush",
			      &o), 200);
	json_decref(o);
	expect(f, "alice", f->alice, "PUT", "/admin/v0/policy/ra/t/g",
	       "{\"allow_any_measurement\":true}", 200, NULL);
	assert_int_equal(call(f, "alice", f->alice, "DELETE", "/admin/v0/resource/ra/t/g", NULL,
			      &o), 200);
	json_decref(o);
	expect(f, "alice", f->alice, "DELETE", "/admin/v0/resource/rb/key/disk", NULL, 403, NULL);
	assert_int_equal(call(f, ADMIN_OPERATOR, f->op_token, "POST", "/admin/v0/keys/rotate", NULL,
			      &o), 200);
	json_decref(o);

	rows = audit_rows(f, "after=5");
	assert_int_equal(json_array_size(rows), 5);
	assert_row(json_array_get(rows, 0), "admin.resource-put", "ok", "alice", "path", "ra/t/g",
		   1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "tenant")),
			    "alice");
	assert_row(json_array_get(rows, 1), "admin.policy-set", "ok", "alice", "scope", "ra/t/g",
		   1);
	assert_row(json_array_get(rows, 2), "admin.resource-delete", "ok", "alice", "path",
		   "ra/t/g", 0);
	assert_row(json_array_get(rows, 3), "admin.resource-delete", "deny", "alice", "path",
		   "rb/key/disk", 0);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 3), "reason")),
			    "not-owner");
	assert_row(json_array_get(rows, 4), "admin.key-rotate", "ok", "operator", NULL, NULL, 0);
	assert_non_null(json_string_value(json_object_get(json_array_get(rows, 4), "kid")));
	/* Never a secret or a token. */
	text = json_dumps(rows, JSON_COMPACT);
	assert_null(strstr(text, "hush"));
	assert_null(strstr(text, f->alice));
	free(text);
	json_decref(rows);
	rows = audit_rows(f, NULL);
	text = json_dumps(rows, JSON_COMPACT);
	json_decref(rows);
	assert_null(strstr(text, "bob-secret"));
	assert_null(strstr(text, f->alice));
	assert_null(strstr(text, f->bob));
	free(text);

	/* The chain holds, and the operator can check it. */
	assert_int_equal(call(f, ADMIN_OPERATOR, f->op_token, "POST", "/admin/v0/audit/verify",
			      NULL, &o), 200);
	assert_true(json_is_true(json_object_get(o, "intact")));
	assert_int_equal(json_integer_value(json_object_get(o, "rows")), 10);
	json_decref(o);
	assert_int_equal(store_audit_verify(f->store, &rows_n, &err), 0);
	assert_int_equal(rows_n, 10);

	/* Paging and its refusals. */
	rows = audit_rows(f, "after=9");
	assert_int_equal(json_array_size(rows), 1);
	json_decref(rows);
	assert_int_equal(call_raw(f, ADMIN_OPERATOR, f->op_token, "GET", "/admin/v0/audit",
				  "after=-1", NULL, 0, &o, NULL), 400);
	assert_problem(o, 400, "'after'");
	json_decref(o);
	assert_int_equal(call_raw(f, ADMIN_OPERATOR, f->op_token, "GET", "/admin/v0/audit",
				  "after=99999999999999999999", NULL, 0, &o, NULL), 400);
	json_decref(o);
	assert_int_equal(call_raw(f, ADMIN_OPERATOR, f->op_token, "GET", "/admin/v0/audit",
				  "limit=0", NULL, 0, &o, NULL), 400);
	assert_problem(o, 400, "'limit'");
	json_decref(o);
}

/* --- signing keys -------------------------------------------------------- */

static bool jwks_has(const json_t *jwks, const char *kid)
{
	size_t i;
	json_t *k;

	json_array_foreach(json_object_get(jwks, "keys"), i, k)
		if (strcmp(json_string_value(json_object_get(k, "kid")), kid) == 0)
			return true;
	return false;
}

static void admin_rotate_key_keeps_old_published_and_stops_it_signing(void **state)
{
	struct fix *f = *state;
	struct snp_err err = { 0 };
	json_t *old = NULL, *cur = NULL, *jwks = NULL, *o;
	char old_kid[128], new_kid[128];

	/* A key as attestd makes one at start: signs a year, published an hour longer. */
	assert_int_equal(ear_key_generate(&old, &err), 0);
	snprintf(old_kid, sizeof(old_kid), "%s", json_string_value(json_object_get(old, "kid")));
	assert_int_equal(store_signing_key_add(f->store, old, T0, T0 + 365 * 86400,
					       T0 + 365 * 86400 + 3600, &err), 0);
	jwk_free_private(old);

	f->now = T0 + 100;
	assert_int_equal(call(f, ADMIN_OPERATOR, f->op_token, "POST", "/admin/v0/keys/rotate",
			      "{\"overlap\":600}", &o), 200);
	snprintf(new_kid, sizeof(new_kid), "%s", json_string_value(json_object_get(o, "kid")));
	assert_string_not_equal(new_kid, old_kid);
	assert_int_equal(json_integer_value(json_object_get(o, "retired_publish_until")),
			 T0 + 100 + 600);
	json_decref(o);

	/* Now: the new key signs, both are published. */
	assert_int_equal(store_signing_keys(f->store, T0 + 100, &cur, &jwks, &err), 0);
	assert_string_equal(json_string_value(json_object_get(cur, "kid")), new_kid);
	assert_true(jwks_has(jwks, old_kid));
	assert_true(jwks_has(jwks, new_kid));
	jwk_free_private(cur);
	json_decref(jwks);
	/* Within the overlap the old key still verifies its tokens; after it, it is gone. */
	assert_int_equal(store_signing_keys(f->store, T0 + 699, &cur, &jwks, &err), 0);
	assert_string_equal(json_string_value(json_object_get(cur, "kid")), new_kid);
	assert_true(jwks_has(jwks, old_kid));
	jwk_free_private(cur);
	json_decref(jwks);
	assert_int_equal(store_signing_keys(f->store, T0 + 701, &cur, &jwks, &err), 0);
	assert_string_equal(json_string_value(json_object_get(cur, "kid")), new_kid);
	assert_false(jwks_has(jwks, old_kid));
	assert_true(jwks_has(jwks, new_kid));
	jwk_free_private(cur);
	json_decref(jwks);

	/* Default overlap, and refusals. */
	f->now = T0 + 1000;
	assert_int_equal(call(f, ADMIN_OPERATOR, f->op_token, "POST", "/admin/v0/keys/rotate", NULL,
			      &o), 200);
	assert_int_equal(json_integer_value(json_object_get(o, "retired_publish_until")),
			 T0 + 1000 + ADMIN_DEFAULT_OVERLAP);
	json_decref(o);
	expect(f, ADMIN_OPERATOR, f->op_token, "POST", "/admin/v0/keys/rotate", "{\"overlap\":-5}",
	       400, "'overlap'");
	expect(f, ADMIN_OPERATOR, f->op_token, "POST", "/admin/v0/keys/rotate",
	       "{\"overlap\":\"1d\"}", 400, NULL);
}

/* --- routing ------------------------------------------------------------- */

static void admin_unknown_path_and_wrong_method(void **state)
{
	struct fix *f = *state;
	unsigned n0 = f->nlog;

	expect(f, ADMIN_OPERATOR, f->op_token, "GET", "/admin/v0/nothing", NULL, 404, NULL);
	expect(f, ADMIN_OPERATOR, f->op_token, "GET", "/kbs/v0/auth", NULL, 404, NULL);
	expect(f, ADMIN_OPERATOR, f->op_token, "GET", "/admin/v0/tenants", NULL, 405, NULL);
	expect(f, ADMIN_OPERATOR, f->op_token, "POST", "/admin/v0/list", NULL, 405, NULL);
	expect(f, ADMIN_OPERATOR, f->op_token, "GET", "/admin/v0/resource/ra/a/b", NULL, 405, NULL);
	/* Unauthenticated: 401 before any routing. */
	expect(f, NULL, NULL, "GET", "/admin/v0/nothing", NULL, 401, NULL);
	/* The log hook saw each request once, with the principal. */
	assert_int_equal(f->nlog, n0 + 6);
	assert_int_equal(f->last.status, 401);
	assert_non_null(f->last.correlation);
}

/* --- admin_init ---------------------------------------------------------- */

static mode_t mode_of(const char *dir, const char *name)
{
	char p[8300];
	struct stat st;

	snprintf(p, sizeof(p), "%s%s%s", dir, name ? "/" : "", name ? name : "");
	assert_int_equal(lstat(p, &st), 0);
	return st.st_mode & 07777;
}

static void admin_init_creates_modes_and_a_working_operator(void **state)
{
	char *tmp = tmpdir_make(), dir[4096], key[4200], db[4200], tokpath[4200];
	struct snp_err err = { 0 };
	struct store *s = NULL;
	uint8_t *tok = NULL;
	size_t len = 0;
	uint64_t rows = 0;
	json_t *list = NULL;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/state", tmp);
	umask(022);
	assert_int_equal(admin_init(dir, T0, &err), 0);
	assert_int_equal(mode_of(dir, NULL), 0700);
	assert_int_equal(mode_of(dir, ATTESTD_MASTER_KEY_FILE), 0600);
	assert_int_equal(mode_of(dir, ATTESTD_OPERATOR_TOKEN_FILE), 0600);
	assert_int_equal(mode_of(dir, ATTESTD_DB_FILE) & 077, 0);
	snprintf(key, sizeof(key), "%s/" ATTESTD_MASTER_KEY_FILE, dir);
	snprintf(db, sizeof(db), "%s/" ATTESTD_DB_FILE, dir);
	snprintf(tokpath, sizeof(tokpath), "%s/" ATTESTD_OPERATOR_TOKEN_FILE, dir);
	assert_int_equal(file_read(tokpath, 1024, &tok, &len, &err), 0);
	assert_int_equal(len, STORE_TOKEN_LEN + 1);
	assert_int_equal(tok[STORE_TOKEN_LEN], '\n');
	tok[STORE_TOKEN_LEN] = '\0';
	assert_int_equal(store_open(db, key, &s, &err), 0);
	assert_int_equal(store_principal_check(s, ADMIN_OPERATOR, (char *)tok, &err), 0);
	tok[0] ^= 1;
	assert_int_equal(store_principal_check(s, ADMIN_OPERATOR, (char *)tok, &err),
			 SNP_E_REFUSED);
	/* The creation is the chain's first row. */
	assert_int_equal(store_audit_verify(s, &rows, &err), 0);
	assert_int_equal(rows, 1);
	assert_int_equal(store_audit_list(s, NULL, 0, 10, &list, &err), 0);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "event")),
			    "admin.init");
	json_decref(list);
	store_close(s);
	free(tok);
	/* A second init of the same directory is refused, and changes nothing. */
	assert_int_equal(admin_init(dir, T0, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "not empty"));
	assert_int_equal(mode_of(dir, ATTESTD_MASTER_KEY_FILE), 0600);
	rm_rf(tmp);
	free(tmp);
}

static void admin_init_refuses_non_empty_and_accepts_empty_dir(void **state)
{
	char *tmp = tmpdir_make(), other[4200], *dir = tmpdir_make();
	struct snp_err err = { 0 };
	int fd;

	(void)state;
	/* A non-empty directory: refused, nothing written, the file left alone. */
	snprintf(other, sizeof(other), "%s/precious", tmp);
	fd = open(other, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(admin_init(tmp, T0, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "precious"));
	snprintf(other, sizeof(other), "%s/" ATTESTD_MASTER_KEY_FILE, tmp);
	assert_int_equal(access(other, F_OK), -1);
	/* A file where the directory should be. */
	snprintf(other, sizeof(other), "%s/precious", tmp);
	assert_int_equal(admin_init(other, T0, &err), SNP_E_INVALID);
	/* An existing empty directory (mkdtemp: 0700 already; make it 0755 first). */
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(admin_init(dir, T0, &err), 0);
	assert_int_equal(mode_of(dir, NULL), 0700);
	rm_rf(tmp);
	rm_rf(dir);
	free(tmp);
	free(dir);
}

/* --- a change and its audit row commit together ---------------------------- */

struct head_mac {
	const char *sql;
	uint8_t mac[32];
	size_t len;
};

static int head_mac_row(void *ctx, const struct db_val *cols, size_t ncols)
{
	struct head_mac *h = ctx;

	assert_int_equal(ncols, 1);
	assert_true(cols[0].type == DB_BLOB && cols[0].len == sizeof(h->mac));
	memcpy(h->mac, cols[0].p, sizeof(h->mac));
	h->len = cols[0].len;
	return 0;
}

static int head_mac_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct head_mac *h = ctx;

	if (h->sql == NULL)
		return db_exec(c, "SELECT mac FROM audit_head WHERE id = 1", NULL, 0, head_mac_row,
			       h, NULL, err);
	return db_exec(c, h->sql, (struct db_val[]){ DB_B(h->mac, sizeof(h->mac)) }, 1, NULL,
		       NULL, NULL, err);
}

/* Reads (sql NULL) or writes the audit head's MAC on a connection of its own, as an attacker would. */
static void head_mac_io(struct fix *f, struct head_mac *h)
{
	struct snp_err err = { 0 };
	struct db *db = NULL;
	char path[4096];

	snprintf(path, sizeof(path), "%s/attestd.db", f->dir);
	if (db_open(path, &db, &err) != 0 || db_tx(db, DB_WRITE, head_mac_tx, h, &err) != 0)
		fail_msg("audit head: %s", err.msg);
	db_close(db);
}

/*
 * With the audit head broken (its MAC zeroed) every append fails: each
 * change must then answer 500 and leave nothing behind, and work again once
 * the head is restored.
 */
static void admin_change_not_made_when_its_audit_fails(void **state)
{
	struct fix *f = *state;
	struct head_mac good = { 0 }, bad = { .sql = "UPDATE audit_head SET mac = ? WHERE id = 1" };
	struct snp_err err = { 0 };
	struct secret s = { 0 };
	char owner[STORE_NAME_MAX + 1], scope[STORE_NAME_MAX * 3 + 3];
	json_t *pol = NULL, *jwk = NULL, *jwks = NULL, *jwks_after = NULL;
	char *policy = NULL;
	size_t plen = 0;
	uint64_t v = 0;

	assert_int_equal(file_read(GOOD_POLICY, 1 << 16, (uint8_t **)&policy, &plen, &err), 0);
	assert_int_equal(store_signing_keys(f->store, T0, &jwk, &jwks, &err), STORE_NOT_FOUND);
	head_mac_io(f, &good);
	head_mac_io(f, &bad); /* zeroes */

	expect(f, "alice", f->alice, "PUT", "/admin/v0/resource/ra/key/disk", "v1", 500, NULL);
	assert_int_equal(store_resource_get(f->store, "ra", "key", "disk", &s, &v, NULL, &err),
			 STORE_NOT_FOUND);
	expect(f, "bob", f->bob, "DELETE", "/admin/v0/resource/rb/key/disk", NULL, 500, NULL);
	assert_bob_intact(f);
	assert_int_equal(call_raw(f, "alice", f->alice, "PUT", "/admin/v0/policy/ra", NULL, policy,
				  plen, NULL, NULL), 500);
	assert_int_equal(store_policy_for(f->store, "ra", "key", "disk", &pol, scope, &v, &err),
			 STORE_NOT_FOUND);
	expect(f, ADMIN_OPERATOR, f->op_token, "POST", "/admin/v0/tenants", "{\"name\":\"carol\"}",
	       500, NULL);
	expect(f, ADMIN_OPERATOR, f->op_token, "POST", "/admin/v0/repos",
	       "{\"tenant\":\"alice\",\"repo\":\"rc\"}", 500, NULL);
	assert_int_equal(store_repo_owner(f->store, "rc", owner, &err), STORE_NOT_FOUND);
	expect(f, ADMIN_OPERATOR, f->op_token, "POST", "/admin/v0/keys/rotate", "{}", 500, NULL);
	assert_int_equal(store_signing_keys(f->store, T0, &jwk, &jwks_after, &err),
			 STORE_NOT_FOUND);
	assert_true(json_equal(jwks, jwks_after));

	/* Restored: the same changes go through (carol was not half-created). */
	memcpy(bad.mac, good.mac, sizeof(bad.mac));
	head_mac_io(f, &bad);
	expect(f, ADMIN_OPERATOR, f->op_token, "POST", "/admin/v0/tenants", "{\"name\":\"carol\"}",
	       201, NULL);
	expect(f, "alice", f->alice, "PUT", "/admin/v0/resource/ra/key/disk", "v1", 200, NULL);
	assert_int_equal(store_resource_get(f->store, "ra", "key", "disk", &s, &v, NULL, &err), 0);
	assert_int_equal(v, 1);
	secret_free(&s);
	json_decref(jwks);
	json_decref(jwks_after);
	free(policy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(admin_auth_wrong_token_and_unknown_principal_look_alike),
		T(admin_tenant_create_refusals),
		T(admin_repo_assign_refusals),
		T(admin_tenant_cannot_touch_another_tenants_repo),
		T(admin_list_and_audit_show_only_own),
		T(admin_resource_put_versions_and_delete),
		T(admin_policy_versions_increase_and_newest_governs),
		T(admin_bad_policy_refused_naming_the_field),
		T(admin_every_change_is_audited),
		T(admin_rotate_key_keeps_old_published_and_stops_it_signing),
		T(admin_unknown_path_and_wrong_method),
		T(admin_change_not_made_when_its_audit_fails),
#undef T
		cmocka_unit_test(admin_init_creates_modes_and_a_working_operator),
		cmocka_unit_test(admin_init_refuses_non_empty_and_accepts_empty_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
