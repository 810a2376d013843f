/*
 * Principals: the operator and each tenant's admin credential. A token is 32
 * random bytes as unpadded base64url (43 characters); the store keeps only
 * its SHA-256, MAC'd with the name so a digest cannot be moved to another
 * principal's row.
 */
#include "attestd/store-int.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

static const char principal_label[] = "principals";

/* 32 random bytes as unpadded base64url into token (STORE_TOKEN_LEN + 1). */
static int token_make(char token[STORE_TOKEN_LEN + 1], struct snp_err *err)
{
	uint8_t raw[32];
	char b64[48];
	int n;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return snp_err_openssl(err, "token: RAND_bytes");
	n = EVP_EncodeBlock((unsigned char *)b64, raw, sizeof(raw));
	secret_wipe(raw, sizeof(raw));
	if (n != 44) {
		secret_wipe(b64, sizeof(b64));
		return snp_errf(err, SNP_E_INTERNAL, "token: base64 gave %d characters", n);
	}
	for (int i = 0; i < STORE_TOKEN_LEN; i++)
		token[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
	token[STORE_TOKEN_LEN] = '\0';
	secret_wipe(b64, sizeof(b64));
	return 0;
}

struct principal_op {
	struct store *s;
	const char *name;
	int64_t now;
	char *token;
	bool create;
};

static int principal_write_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct principal_op *op = ctx;
	uint8_t hash[SHA256_DIGEST_LENGTH], mac[STORE_MAC_SIZE];
	uint64_t changes = 0;
	int ret;

	/* A new token per attempt: db_tx may run this again. */
	if ((ret = token_make(op->token, err)) != 0)
		return ret;
	SHA256((const unsigned char *)op->token, STORE_TOKEN_LEN, hash);
	if ((ret = store_mac(op->s, principal_label,
			     (struct db_val[]){ DB_T(op->name), DB_B(hash, sizeof(hash)) }, 2, mac,
			     err)) != 0)
		goto out;
	if (op->create) {
		ret = db_exec(c,
			      "INSERT INTO principals (name, token_hash, created, mac) "
			      "VALUES (?, ?, ?, ?)",
			      (struct db_val[]){ DB_T(op->name), DB_B(hash, sizeof(hash)),
						 DB_I(op->now), DB_B(mac, sizeof(mac)) },
			      4, NULL, NULL, NULL, err);
		if (ret == DB_CONFLICT)
			ret = snp_errf(err, SNP_E_STATE, "principal %s exists already", op->name);
	} else {
		ret = db_exec(c, "UPDATE principals SET token_hash = ?, mac = ? WHERE name = ?",
			      (struct db_val[]){ DB_B(hash, sizeof(hash)), DB_B(mac, sizeof(mac)),
						 DB_T(op->name) },
			      3, NULL, NULL, &changes, err);
		if (ret == 0 && changes == 0)
			ret = STORE_NOT_FOUND;
	}
out:
	if (ret != 0)
		secret_wipe(op->token, STORE_TOKEN_LEN + 1);
	return ret;
}

static int principal_write(struct store *s, const char *name, int64_t now, bool create,
			   char token[STORE_TOKEN_LEN + 1], struct snp_err *err)
{
	struct principal_op op = { .s = s, .name = name, .now = now, .token = token,
				   .create = create };
	int ret;

	memset(token, 0, STORE_TOKEN_LEN + 1);
	if ((ret = store_name_check(name, "principal", err)) != 0)
		return ret;
	ret = db_tx(s->db, DB_WRITE, principal_write_tx, &op, err);
	if (ret != 0)
		secret_wipe(token, STORE_TOKEN_LEN + 1);
	return ret;
}

int store_principal_create(struct store *s, const char *name, int64_t now,
			   char token[STORE_TOKEN_LEN + 1], struct snp_err *err)
{
	return principal_write(s, name, now, true, token, err);
}

int store_principal_rotate(struct store *s, const char *name, int64_t now,
			   char token[STORE_TOKEN_LEN + 1], struct snp_err *err)
{
	return principal_write(s, name, now, false, token, err);
}

struct principal_row {
	const char *name;
	uint8_t hash[SHA256_DIGEST_LENGTH];
	uint8_t mac[STORE_MAC_SIZE];
	bool found;
};

static int principal_row(void *ctx, const struct db_val *cols, size_t ncols)
{
	struct principal_row *r = ctx;

	if (ncols == 2 && cols[0].type == DB_BLOB && cols[0].len == sizeof(r->hash) &&
	    cols[1].type == DB_BLOB && cols[1].len == sizeof(r->mac)) {
		memcpy(r->hash, cols[0].p, sizeof(r->hash));
		memcpy(r->mac, cols[1].p, sizeof(r->mac));
		r->found = true;
	}
	return 0;
}

static int principal_read_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct principal_row *r = ctx;

	return db_exec(c, "SELECT token_hash, mac FROM principals WHERE name = ?",
		       (struct db_val[]){ DB_T(r->name) }, 1, principal_row, r, NULL, err);
}

int store_principal_check(struct store *s, const char *name, const char *token,
			  struct snp_err *err)
{
	struct principal_row r = { .name = name };
	uint8_t hash[SHA256_DIGEST_LENGTH];
	bool ok;
	int ret;

	if (!store_name_valid(name) || !token)
		return snp_errf(err, SNP_E_REFUSED, "principal: bad name or token");
	if ((ret = db_tx(s->db, DB_READ, principal_read_tx, &r, err)) != 0)
		return ret;
	SHA256((const unsigned char *)token, strlen(token), hash);
	/* Compared even for an unknown name (against zeros), so timing does not tell. */
	ok = secret_equal(hash, r.hash, sizeof(hash)) && r.found;
	secret_wipe(hash, sizeof(hash));
	if (ok && (ret = store_mac_check(s, principal_label,
					 (struct db_val[]){ DB_T(name), DB_B(r.hash, sizeof(r.hash)) },
					 2, r.mac, sizeof(r.mac), "principal", err)) != 0)
		return ret == SNP_E_SIGNATURE ? snp_errf(err, SNP_E_REFUSED,
							 "principal %s: stored token digest was "
							 "changed outside attestd", name)
					      : ret;
	if (!ok)
		return snp_errf(err, SNP_E_REFUSED, "principal %s: token refused", name);
	return 0;
}
