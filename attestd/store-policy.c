/*
 * Resource policies: verifier-policy JSON per repository ("repo") or per
 * resource ("repo/type/tag"), each set a new version, kept as JCS text
 * (attestd/jcs.h) and MAC'd with its scope, version and owner, so an edited
 * policy is refused rather than applied.
 */
#include "attestd/store-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attestd/jcs.h"

static const char policy_label[] = "policies";

/* Checks scope ("repo" or "repo/type/tag") and copies its repository into repo. */
static int scope_check(const char *scope, char repo[STORE_NAME_MAX + 1], struct snp_err *err)
{
	char buf[STORE_SCOPE_MAX + 1], *parts[3];
	size_t n = 0, len = scope ? strnlen(scope, sizeof(buf)) : 0;

	if (len == 0 || len >= sizeof(buf))
		return snp_errf(err, SNP_E_INVALID, "policy scope: empty or too long");
	memcpy(buf, scope, len + 1);
	parts[n++] = buf;
	for (char *p = buf; *p; p++) {
		if (*p != '/')
			continue;
		if (n == 3)
			goto bad;
		*p = '\0';
		parts[n++] = p + 1;
	}
	if (n == 2)
		goto bad;
	for (size_t i = 0; i < n; i++)
		if (!store_name_valid(parts[i]))
			goto bad;
	memcpy(repo, parts[0], strlen(parts[0]) + 1);
	return 0;
bad:
	return snp_errf(err, SNP_E_INVALID,
			"policy scope %s: want \"repo\" or \"repo/type/tag\" of valid names", scope);
}

struct policy_op {
	const struct store *s;
	const char *tenant, *scope, *text;
	char repo[STORE_NAME_MAX + 1];
	int64_t now;
	uint64_t version;
	/* for: the row found */
	bool found;
	char *row_tenant, *row_text;
	uint8_t mac[STORE_MAC_SIZE];
	size_t maclen;
};

static int set_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct policy_op *op = ctx;
	struct store_int max = { 0 };
	uint8_t mac[STORE_MAC_SIZE];
	int64_t version;
	int ret;

	if ((ret = store_repo_check_owner(op->s, c, op->tenant, op->repo, err)) != 0)
		return ret;
	if ((ret = db_exec(c, "SELECT MAX(version) FROM policies WHERE scope = ?",
			   (struct db_val[]){ DB_T(op->scope) }, 1, store_row_int, &max, NULL,
			   err)) != 0)
		return ret;
	version = max.found ? max.v + 1 : 1;
	if ((ret = store_mac(op->s, policy_label,
			     (struct db_val[]){ DB_T(op->scope), DB_I(version), DB_T(op->tenant),
						DB_T(op->text) },
			     4, mac, err)) != 0)
		return ret;
	ret = db_exec(c,
		      "INSERT INTO policies (scope, version, repo, tenant, policy, created, mac) "
		      "VALUES (?, ?, ?, ?, ?, ?, ?)",
		      (struct db_val[]){ DB_T(op->scope), DB_I(version), DB_T(op->repo),
					 DB_T(op->tenant), DB_T(op->text), DB_I(op->now),
					 DB_B(mac, sizeof(mac)) },
		      7, NULL, NULL, NULL, err);
	if (ret == DB_CONFLICT)
		return snp_errf(err, SNP_E_SYS, "policy %s: version %lld written concurrently",
				op->scope, (long long)version);
	if (ret == 0)
		op->version = (uint64_t)version;
	return ret;
}

int store_policy_set(struct store *s, const char *tenant, const char *scope,
		     const json_t *policy, int64_t now, uint64_t *version, struct snp_err *err)
{
	struct policy_op op = { .s = s, .tenant = tenant, .scope = scope, .now = now };
	char *text = NULL;
	size_t len = 0;
	int ret;

	if (version)
		*version = 0;
	if ((ret = store_name_check(tenant, "tenant", err)) != 0 ||
	    (ret = scope_check(scope, op.repo, err)) != 0)
		return ret;
	if (!json_is_object(policy))
		return snp_errf(err, SNP_E_INVALID, "policy %s: not a JSON object", scope);
	if ((ret = jcs_serialize(policy, &text, &len, err)) != 0) {
		snp_err_prefix(err, "policy %s: ", scope);
		return ret;
	}
	op.text = text;
	/* Serialised: two replicas setting one scope must not pick the same version. */
	ret = db_tx(s->db, DB_SERIAL, set_tx, &op, err);
	free(text);
	if (ret == 0 && version)
		*version = op.version;
	return ret;
}

static int for_row(void *ctx, const struct db_val *cols, size_t ncols)
{
	struct policy_op *op = ctx;

	op->found = true;
	if (ncols != 4 || cols[0].type != DB_INT || cols[0].i < 1 || cols[1].type != DB_TEXT ||
	    cols[2].type != DB_TEXT || cols[3].type != DB_BLOB)
		return 0; /* row_text stays NULL: reported as a bad row */
	op->version = (uint64_t)cols[0].i;
	op->row_tenant = store_val_strdup(&cols[1]);
	op->row_text = store_val_strdup(&cols[2]);
	op->maclen = cols[3].len < sizeof(op->mac) ? cols[3].len : sizeof(op->mac);
	memcpy(op->mac, cols[3].p, op->maclen);
	if (!op->row_tenant || !op->row_text)
		return SNP_E_NOMEM;
	return 0;
}

static void for_reset(struct policy_op *op)
{
	free(op->row_tenant);
	free(op->row_text);
	op->row_tenant = op->row_text = NULL;
	op->found = false;
}

static int for_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct policy_op *op = ctx;
	int ret;

	for_reset(op);
	ret = db_exec(c,
		      "SELECT version, tenant, policy, mac FROM policies WHERE scope = ? "
		      "ORDER BY version DESC LIMIT 1",
		      (struct db_val[]){ DB_T(op->scope) }, 1, for_row, op, NULL, err);
	if (ret == SNP_E_NOMEM)
		return snp_errf(err, ret, "policy: out of memory");
	return ret;
}

/* The newest version of one scope: 0, STORE_NOT_FOUND, or a failure. */
static int policy_load(struct store *s, const char *scope, json_t **policy, uint64_t *version,
		       struct snp_err *err)
{
	struct policy_op op = { .s = s, .scope = scope };
	json_error_t jerr;
	int ret;

	if ((ret = db_tx(s->db, DB_READ, for_tx, &op, err)) != 0)
		goto out;
	if (!op.found) {
		ret = STORE_NOT_FOUND;
		goto out;
	}
	if (!op.row_text) {
		ret = snp_errf(err, SNP_E_SIGNATURE, "policy %s: stored row malformed", scope);
		goto out;
	}
	if ((ret = store_mac_check(s, policy_label,
				   (struct db_val[]){ DB_T(scope), DB_I((int64_t)op.version),
						      DB_T(op.row_tenant), DB_T(op.row_text) },
				   4, op.mac, op.maclen, "policy", err)) != 0) {
		snp_err_prefix(err, "%s version %llu: ", scope, (unsigned long long)op.version);
		goto out;
	}
	*policy = json_loads(op.row_text, JSON_REJECT_DUPLICATES, &jerr);
	if (!*policy) {
		ret = snp_errf(err, SNP_E_INVALID, "policy %s: stored text: %s", scope, jerr.text);
		goto out;
	}
	*version = op.version;
	ret = 0;
out:
	for_reset(&op);
	return ret;
}

int store_policy_for(struct store *s, const char *repo, const char *type, const char *tag,
		     json_t **policy, char *scope_out, uint64_t *version, struct snp_err *err)
{
	char scope[STORE_SCOPE_MAX + 1];
	uint64_t v = 0;
	int ret;

	*policy = NULL;
	if (scope_out)
		scope_out[0] = '\0';
	if (version)
		*version = 0;
	if ((ret = store_name_check(repo, "repository", err)) != 0 ||
	    (ret = store_name_check(type, "resource type", err)) != 0 ||
	    (ret = store_name_check(tag, "resource tag", err)) != 0)
		return ret;
	snprintf(scope, sizeof(scope), "%s/%s/%s", repo, type, tag);
	ret = policy_load(s, scope, policy, &v, err);
	if (ret == STORE_NOT_FOUND) {
		snprintf(scope, sizeof(scope), "%s", repo);
		ret = policy_load(s, scope, policy, &v, err);
	}
	if (ret != 0)
		return ret;
	if (scope_out)
		memcpy(scope_out, scope, strlen(scope) + 1);
	if (version)
		*version = v;
	return 0;
}
