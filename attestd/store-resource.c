/*
 * Resources: secrets by repository/type/tag, each put a new version,
 * AES-256-GCM under the store's key with the owner, the path and the
 * version as associated data, so a row edited, or moved to another path,
 * version or tenant, fails to decrypt.
 */
#include "attestd/store-int.h"

#include <stdlib.h>
#include <string.h>

static const char resource_label[] = "resources";

struct res_op {
	const struct store *s;
	const char *tenant, *repo, *type, *tag;
	const uint8_t *secret;
	size_t len;
	int64_t now;
	uint64_t version;
	/* get: the newest row */
	bool found;
	char owner[STORE_NAME_MAX + 1];
	uint8_t iv[STORE_IV_SIZE];
	size_t ivlen;
	uint8_t *ct;
	size_t ctlen;
	struct secret out;
};

static int res_names_check(const char *repo, const char *type, const char *tag,
			   struct snp_err *err)
{
	int ret;

	if ((ret = store_name_check(repo, "repository", err)) != 0 ||
	    (ret = store_name_check(type, "resource type", err)) != 0 ||
	    (ret = store_name_check(tag, "resource tag", err)) != 0)
		return ret;
	return 0;
}

static int put_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct res_op *op = ctx;
	struct store_int max = { 0 };
	uint8_t iv[STORE_IV_SIZE], *ct = NULL;
	size_t ctlen = 0;
	int64_t version;
	int ret;

	if ((ret = store_repo_check_owner(op->s, c, op->tenant, op->repo, err)) != 0)
		return ret;
	if ((ret = db_exec(c, "SELECT MAX(version) FROM resources WHERE repo = ? AND type = ? "
			      "AND tag = ?",
			   (struct db_val[]){ DB_T(op->repo), DB_T(op->type), DB_T(op->tag) }, 3,
			   store_row_int, &max, NULL, err)) != 0)
		return ret;
	version = max.found ? max.v + 1 : 1;
	if ((ret = store_seal(op->s, resource_label,
			      (struct db_val[]){ DB_T(op->tenant), DB_T(op->repo), DB_T(op->type),
						 DB_T(op->tag), DB_I(version) },
			      5, op->secret, op->len, iv, &ct, &ctlen, err)) != 0)
		return ret;
	ret = db_exec(c,
		      "INSERT INTO resources (repo, type, tag, version, tenant, created, iv, ct) "
		      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		      (struct db_val[]){ DB_T(op->repo), DB_T(op->type), DB_T(op->tag),
					 DB_I(version), DB_T(op->tenant), DB_I(op->now),
					 DB_B(iv, sizeof(iv)), DB_B(ct, ctlen) },
		      8, NULL, NULL, NULL, err);
	free(ct);
	if (ret == DB_CONFLICT)
		return snp_errf(err, SNP_E_SYS, "resource %s/%s/%s: version %lld written concurrently",
				op->repo, op->type, op->tag, (long long)version);
	if (ret == 0)
		op->version = (uint64_t)version;
	return ret;
}

int store_resource_put(struct store *s, const char *tenant, const char *repo, const char *type,
		       const char *tag, const uint8_t *secret, size_t len, int64_t now,
		       uint64_t *version, struct snp_err *err)
{
	struct res_op op = { .s = s, .tenant = tenant, .repo = repo, .type = type, .tag = tag,
			     .secret = secret, .len = len, .now = now };
	int ret;

	if (version)
		*version = 0;
	if ((ret = store_name_check(tenant, "tenant", err)) != 0 ||
	    (ret = res_names_check(repo, type, tag, err)) != 0)
		return ret;
	if (!secret || len == 0 || len > STORE_SECRET_MAX)
		return snp_errf(err, SNP_E_INVALID, "resource %s/%s/%s: %zu bytes (want 1..%d)",
				repo, type, tag, len, STORE_SECRET_MAX);
	/* Serialised: two puts of one path on two replicas must not pick the same version. */
	if ((ret = db_tx(s->db, DB_SERIAL, put_tx, &op, err)) != 0)
		return ret;
	if (version)
		*version = op.version;
	return 0;
}

static int get_row(void *ctx, const struct db_val *cols, size_t ncols)
{
	struct res_op *op = ctx;

	op->found = true;
	if (ncols != 4 || cols[0].type != DB_INT || cols[0].i < 1 || cols[1].type != DB_TEXT ||
	    cols[1].len > STORE_NAME_MAX || cols[2].type != DB_BLOB ||
	    cols[2].len != STORE_IV_SIZE || cols[3].type != DB_BLOB)
		return 0; /* op->ct stays NULL: reported as a bad row */
	op->version = (uint64_t)cols[0].i;
	memcpy(op->owner, cols[1].p, cols[1].len);
	op->owner[cols[1].len] = '\0';
	memcpy(op->iv, cols[2].p, STORE_IV_SIZE);
	op->ivlen = STORE_IV_SIZE;
	if (!(op->ct = malloc(cols[3].len ? cols[3].len : 1)))
		return SNP_E_NOMEM;
	memcpy(op->ct, cols[3].p, cols[3].len);
	op->ctlen = cols[3].len;
	return 0;
}

static int get_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct res_op *op = ctx;
	int ret;

	free(op->ct);
	op->ct = NULL;
	op->found = false;
	ret = db_exec(c,
		      "SELECT version, tenant, iv, ct FROM resources WHERE repo = ? AND type = ? "
		      "AND tag = ? ORDER BY version DESC LIMIT 1",
		      (struct db_val[]){ DB_T(op->repo), DB_T(op->type), DB_T(op->tag) }, 3,
		      get_row, op, NULL, err);
	if (ret == SNP_E_NOMEM)
		return snp_errf(err, ret, "resource: out of memory");
	return ret;
}

int store_resource_get(struct store *s, const char *repo, const char *type, const char *tag,
		       struct secret *out, uint64_t *version, char *tenant_out,
		       struct snp_err *err)
{
	struct res_op op = { .s = s, .repo = repo, .type = type, .tag = tag };
	int ret = SNP_E_INTERNAL;

	out->p = NULL;
	out->len = 0;
	if (version)
		*version = 0;
	if (tenant_out)
		tenant_out[0] = '\0';
	if ((ret = res_names_check(repo, type, tag, err)) != 0)
		return ret;
	if ((ret = db_tx(s->db, DB_READ, get_tx, &op, err)) != 0)
		goto out;
	if (!op.found) {
		ret = STORE_NOT_FOUND;
		goto out;
	}
	if (!op.ct) {
		ret = snp_errf(err, SNP_E_SIGNATURE, "resource %s/%s/%s: stored row malformed",
			       repo, type, tag);
		goto out;
	}
	if ((ret = store_open_sealed(s, resource_label,
				     (struct db_val[]){ DB_T(op.owner), DB_T(repo), DB_T(type),
							DB_T(tag), DB_I((int64_t)op.version) },
				     5, op.iv, op.ivlen, op.ct, op.ctlen, "resource", out, err)) != 0) {
		snp_err_prefix(err, "%s/%s/%s version %llu: ", repo, type, tag,
			       (unsigned long long)op.version);
		goto out;
	}
	if (version)
		*version = op.version;
	if (tenant_out)
		memcpy(tenant_out, op.owner, strlen(op.owner) + 1);
	ret = 0;
out:
	free(op.ct);
	return ret;
}

static int delete_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct res_op *op = ctx;
	uint64_t changes = 0;
	int ret;

	if ((ret = store_repo_check_owner(op->s, c, op->tenant, op->repo, err)) != 0)
		return ret;
	if ((ret = db_exec(c, "DELETE FROM resources WHERE repo = ? AND type = ? AND tag = ?",
			   (struct db_val[]){ DB_T(op->repo), DB_T(op->type), DB_T(op->tag) }, 3,
			   NULL, NULL, &changes, err)) != 0)
		return ret;
	op->found = changes > 0;
	return 0;
}

int store_resource_delete(struct store *s, const char *tenant, const char *repo,
			  const char *type, const char *tag, int64_t now, struct snp_err *err)
{
	struct res_op op = { .s = s, .tenant = tenant, .repo = repo, .type = type, .tag = tag,
			     .now = now };
	int ret;

	if ((ret = store_name_check(tenant, "tenant", err)) != 0 ||
	    (ret = res_names_check(repo, type, tag, err)) != 0)
		return ret;
	if ((ret = db_tx(s->db, DB_WRITE, delete_tx, &op, err)) != 0)
		return ret;
	return op.found ? 0 : STORE_NOT_FOUND;
}
