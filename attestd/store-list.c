/*
 * store_list: what a tenant (or, with no tenant, the operator) sees of the
 * store - repositories, resources with their newest version, policies with
 * theirs. Never a secret or a policy's content.
 */
#include "attestd/store-int.h"

#include <stdio.h>

struct list_op {
	const char *tenant;
	json_t *repos, *resources, *policies;
	int ret;
};

static int repo_row(void *ctx, const struct db_val *cols, size_t ncols)
{
	struct list_op *op = ctx;
	json_t *o;

	if (ncols != 3 || cols[0].type != DB_TEXT || cols[1].type != DB_TEXT ||
	    cols[2].type != DB_INT)
		return SNP_E_INVALID;
	o = json_pack("{s:s%,s:s%,s:I}", "name", (const char *)cols[0].p, cols[0].len, "tenant",
		      (const char *)cols[1].p, cols[1].len, "created", (json_int_t)cols[2].i);
	return o && json_array_append_new(op->repos, o) == 0 ? 0 : SNP_E_NOMEM;
}

static int resource_row(void *ctx, const struct db_val *cols, size_t ncols)
{
	struct list_op *op = ctx;
	char path[STORE_SCOPE_MAX + 1];
	json_t *o;
	int n;

	if (ncols != 5 || cols[0].type != DB_TEXT || cols[1].type != DB_TEXT ||
	    cols[2].type != DB_TEXT || cols[3].type != DB_INT || cols[4].type != DB_INT)
		return SNP_E_INVALID;
	n = snprintf(path, sizeof(path), "%.*s/%.*s/%.*s", (int)cols[0].len,
		     (const char *)cols[0].p, (int)cols[1].len, (const char *)cols[1].p,
		     (int)cols[2].len, (const char *)cols[2].p);
	if (n < 0 || (size_t)n >= sizeof(path))
		return SNP_E_INVALID;
	o = json_pack("{s:s,s:I,s:I}", "path", path, "version", (json_int_t)cols[3].i, "created",
		      (json_int_t)cols[4].i);
	return o && json_array_append_new(op->resources, o) == 0 ? 0 : SNP_E_NOMEM;
}

static int policy_row(void *ctx, const struct db_val *cols, size_t ncols)
{
	struct list_op *op = ctx;
	json_t *o;

	if (ncols != 3 || cols[0].type != DB_TEXT || cols[1].type != DB_INT ||
	    cols[2].type != DB_INT)
		return SNP_E_INVALID;
	o = json_pack("{s:s%,s:I,s:I}", "scope", (const char *)cols[0].p, cols[0].len, "version",
		      (json_int_t)cols[1].i, "created", (json_int_t)cols[2].i);
	return o && json_array_append_new(op->policies, o) == 0 ? 0 : SNP_E_NOMEM;
}

static int list_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct list_op *op = ctx;
	/* Every tenant's rows when all is 1 (the operator's view). */
	const struct db_val who[] = { DB_T(op->tenant ? op->tenant : ""),
				      DB_I(op->tenant ? 0 : 1) };
	int ret;

	json_array_clear(op->repos);
	json_array_clear(op->resources);
	json_array_clear(op->policies);
	if ((ret = db_exec(c, "SELECT name, tenant, created FROM repositories "
			      "WHERE tenant = ? OR ? = 1 ORDER BY name",
			   who, 2, repo_row, op, NULL, err)) != 0 ||
	    (ret = db_exec(c, "SELECT r.repo, r.type, r.tag, MAX(r.version), MAX(r.created) "
			      "FROM resources r JOIN repositories p ON p.name = r.repo "
			      "WHERE p.tenant = ? OR ? = 1 "
			      "GROUP BY r.repo, r.type, r.tag ORDER BY r.repo, r.type, r.tag",
			   who, 2, resource_row, op, NULL, err)) != 0 ||
	    (ret = db_exec(c, "SELECT s.scope, MAX(s.version), MAX(s.created) "
			      "FROM policies s JOIN repositories p ON p.name = s.repo "
			      "WHERE p.tenant = ? OR ? = 1 GROUP BY s.scope ORDER BY s.scope",
			   who, 2, policy_row, op, NULL, err)) != 0) {
		if (ret == SNP_E_NOMEM)
			return snp_errf(err, ret, "list: out of memory");
		if (ret == SNP_E_INVALID)
			return snp_errf(err, ret, "list: a stored row is malformed");
		return ret;
	}
	return 0;
}

int store_list(struct store *s, const char *tenant, json_t **out, struct snp_err *err)
{
	struct list_op op = { .tenant = tenant };
	int ret = SNP_E_INTERNAL;

	*out = NULL;
	if (tenant && (ret = store_name_check(tenant, "tenant", err)) != 0)
		return ret;
	op.repos = json_array();
	op.resources = json_array();
	op.policies = json_array();
	if (!op.repos || !op.resources || !op.policies) {
		ret = snp_errf(err, SNP_E_NOMEM, "list: out of memory");
		goto out;
	}
	if ((ret = db_tx(s->db, DB_READ, list_tx, &op, err)) != 0)
		goto out;
	*out = json_pack("{s:O,s:O,s:O}", "repositories", op.repos, "resources", op.resources,
			 "policies", op.policies);
	if (!*out) {
		ret = snp_errf(err, SNP_E_NOMEM, "list: out of memory");
		goto out;
	}
	if (tenant && json_object_set_new(*out, "tenant", json_string(tenant)) != 0) {
		json_decref(*out);
		*out = NULL;
		ret = snp_errf(err, SNP_E_NOMEM, "list: out of memory");
		goto out;
	}
	ret = 0;
out:
	json_decref(op.repos);
	json_decref(op.resources);
	json_decref(op.policies);
	return ret;
}
