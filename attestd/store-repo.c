/*
 * Repositories and their owners: each repository belongs to exactly one
 * tenant, for good (re-assigning it to another tenant is refused). The
 * owner row is MAC'd, so an edited owner is seen, never obeyed.
 */
#include "attestd/store-int.h"

#include <string.h>

static const char repo_label[] = "repositories";

struct owner_row {
	char tenant[STORE_NAME_MAX + 1];
	uint8_t mac[STORE_MAC_SIZE];
	size_t maclen;
	bool found;
	bool bad; /* the row's columns have the wrong types or sizes */
};

static int owner_row(void *ctx, const struct db_val *cols, size_t ncols)
{
	struct owner_row *r = ctx;

	r->found = true;
	if (ncols != 2 || cols[0].type != DB_TEXT || cols[0].len > STORE_NAME_MAX ||
	    cols[1].type != DB_BLOB || cols[1].len != STORE_MAC_SIZE) {
		r->bad = true;
		return 0;
	}
	memcpy(r->tenant, cols[0].p, cols[0].len);
	r->tenant[cols[0].len] = '\0';
	memcpy(r->mac, cols[1].p, STORE_MAC_SIZE);
	r->maclen = STORE_MAC_SIZE;
	return 0;
}

/* Loads and checks repo's owner: 0 with r->found or not, SNP_E_SIGNATURE for an edited row. */
static int owner_load(const struct store *s, struct db_conn *c, const char *repo,
		      struct owner_row *r, struct snp_err *err)
{
	int ret;

	memset(r, 0, sizeof(*r));
	if ((ret = db_exec(c, "SELECT tenant, mac FROM repositories WHERE name = ?",
			   (struct db_val[]){ DB_T(repo) }, 1, owner_row, r, NULL, err)) != 0)
		return ret;
	if (!r->found)
		return 0;
	if (r->bad)
		return snp_errf(err, SNP_E_SIGNATURE, "repository %s: owner row malformed", repo);
	return store_mac_check(s, repo_label,
			       (struct db_val[]){ DB_T(repo), DB_T(r->tenant) }, 2, r->mac,
			       r->maclen, "repository owner", err);
}

int store_repo_check_owner(const struct store *s, struct db_conn *c, const char *tenant,
			   const char *repo, struct snp_err *err)
{
	struct owner_row r;
	int ret;

	if ((ret = owner_load(s, c, repo, &r, err)) != 0)
		return ret;
	if (!r.found)
		return snp_errf(err, SNP_E_REFUSED, "repository %s is not assigned to any tenant",
				repo);
	if (strcmp(r.tenant, tenant) != 0)
		return snp_errf(err, SNP_E_REFUSED, "repository %s does not belong to %s", repo,
				tenant);
	return 0;
}

struct assign_op {
	const struct store *s;
	const char *tenant, *repo;
	int64_t now;
};

static int assign_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct assign_op *op = ctx;
	struct store_int exists = { 0 };
	struct owner_row r;
	uint8_t mac[STORE_MAC_SIZE];
	int ret;

	if ((ret = db_exec(c, "SELECT 1 FROM principals WHERE name = ?",
			   (struct db_val[]){ DB_T(op->tenant) }, 1, store_row_int, &exists, NULL,
			   err)) != 0)
		return ret;
	if (!exists.found)
		return snp_errf(err, SNP_E_REFUSED, "tenant %s does not exist", op->tenant);
	if ((ret = owner_load(op->s, c, op->repo, &r, err)) != 0)
		return ret;
	if (r.found)
		return strcmp(r.tenant, op->tenant) == 0
			       ? 0
			       : snp_errf(err, SNP_E_REFUSED, "repository %s belongs to another tenant",
					  op->repo);
	if ((ret = store_mac(op->s, repo_label,
			     (struct db_val[]){ DB_T(op->repo), DB_T(op->tenant) }, 2, mac, err)) != 0)
		return ret;
	ret = db_exec(c, "INSERT INTO repositories (name, tenant, created, mac) VALUES (?, ?, ?, ?)",
		      (struct db_val[]){ DB_T(op->repo), DB_T(op->tenant), DB_I(op->now),
					 DB_B(mac, sizeof(mac)) },
		      4, NULL, NULL, NULL, err);
	if (ret == DB_CONFLICT)
		ret = snp_errf(err, SNP_E_REFUSED, "repository %s was assigned concurrently",
			       op->repo);
	return ret;
}

int store_repo_assign(struct store *s, const char *tenant, const char *repo, int64_t now,
		      struct snp_err *err)
{
	struct assign_op op = { .s = s, .tenant = tenant, .repo = repo, .now = now };
	int ret;

	if ((ret = store_name_check(tenant, "tenant", err)) != 0 ||
	    (ret = store_name_check(repo, "repository", err)) != 0)
		return ret;
	return db_tx(s->db, DB_WRITE, assign_tx, &op, err);
}

struct owner_op {
	const struct store *s;
	const char *repo;
	struct owner_row r;
};

static int owner_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct owner_op *op = ctx;

	return owner_load(op->s, c, op->repo, &op->r, err);
}

int store_repo_owner(struct store *s, const char *repo, char owner[STORE_NAME_MAX + 1],
		     struct snp_err *err)
{
	struct owner_op op = { .s = s, .repo = repo };
	int ret;

	owner[0] = '\0';
	if ((ret = store_name_check(repo, "repository", err)) != 0)
		return ret;
	if ((ret = db_tx(s->db, DB_READ, owner_tx, &op, err)) != 0)
		return ret;
	if (!op.r.found)
		return STORE_NOT_FOUND;
	memcpy(owner, op.r.tenant, sizeof(op.r.tenant));
	return 0;
}
