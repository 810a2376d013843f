/*
 * KBS sessions (AUTHED, then ATTESTED with the EAR token and the guest's
 * key), MAC'd so a session cannot be edited into ATTESTED or given another
 * key; consumed nonces, whose single use is the primary key's constraint
 * (the INSERT decides, on any replica); and the expiry of both.
 */
#include "attestd/store-int.h"

#include <stdlib.h>
#include <string.h>

static const char session_label[] = "sessions";

static struct db_val opt_text(const char *s)
{
	return s ? DB_T(s) : DB_NUL;
}

static int session_mac(const struct store *s, const char *id, const char *nonce, int64_t state,
		       int64_t expires, const char *token, const char *key,
		       uint8_t mac[STORE_MAC_SIZE], struct snp_err *err)
{
	return store_mac(s, session_label,
			 (struct db_val[]){ DB_T(id), DB_T(nonce), DB_I(state), DB_I(expires),
					    opt_text(token), opt_text(key) },
			 6, mac, err);
}

static bool printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	return true;
}

struct session_op {
	const struct store *s;
	const char *id, *nonce, *token, *key;
	int64_t expires, now;
	bool found;
	struct store_session *out;
	uint8_t mac[STORE_MAC_SIZE];
	size_t maclen;
};

static int create_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct session_op *op = ctx;
	uint8_t mac[STORE_MAC_SIZE];
	int ret;

	if ((ret = session_mac(op->s, op->id, op->nonce, STORE_SESSION_AUTHED, op->expires, NULL,
			       NULL, mac, err)) != 0)
		return ret;
	ret = db_exec(c,
		      "INSERT INTO sessions (id, nonce, state, expires, token, tee_pubkey, mac) "
		      "VALUES (?, ?, ?, ?, NULL, NULL, ?)",
		      (struct db_val[]){ DB_T(op->id), DB_T(op->nonce), DB_I(STORE_SESSION_AUTHED),
					 DB_I(op->expires), DB_B(mac, sizeof(mac)) },
		      5, NULL, NULL, NULL, err);
	if (ret == DB_CONFLICT)
		ret = snp_errf(err, SNP_E_STATE, "session %s exists already", op->id);
	return ret;
}

int store_session_create(struct store *s, const char *id, const char *nonce, int64_t expires,
			 struct snp_err *err)
{
	struct session_op op = { .s = s, .id = id, .nonce = nonce, .expires = expires };

	if (!id || strlen(id) != STORE_SESSION_ID_LEN || !printable(id, STORE_SESSION_ID_LEN))
		return snp_errf(err, SNP_E_INVALID, "session id: want %d printable characters",
				STORE_SESSION_ID_LEN);
	if (!nonce || strlen(nonce) != STORE_NONCE_LEN || !printable(nonce, STORE_NONCE_LEN))
		return snp_errf(err, SNP_E_INVALID, "nonce: want %d printable characters",
				STORE_NONCE_LEN);
	return db_tx(s->db, DB_WRITE, create_tx, &op, err);
}

void store_session_free(struct store_session *ss)
{
	if (!ss)
		return;
	free(ss->token);
	free(ss->tee_pubkey);
	memset(ss, 0, sizeof(*ss));
}

static int session_row(void *ctx, const struct db_val *cols, size_t ncols)
{
	struct session_op *op = ctx;
	struct store_session *ss = op->out;

	store_session_free(ss);
	op->found = true;
	op->maclen = 0;
	if (ncols != 6 || cols[0].type != DB_TEXT || cols[0].len != STORE_NONCE_LEN ||
	    cols[1].type != DB_INT || cols[2].type != DB_INT || cols[5].type != DB_BLOB ||
	    cols[5].len != STORE_MAC_SIZE)
		return 0; /* maclen 0: reported as a bad row */
	memcpy(ss->id, op->id, STORE_SESSION_ID_LEN + 1);
	memcpy(ss->nonce, cols[0].p, STORE_NONCE_LEN);
	ss->nonce[STORE_NONCE_LEN] = '\0';
	ss->state = (enum store_session_state)cols[1].i;
	ss->expires = cols[2].i;
	if ((cols[3].type != DB_NULL && !(ss->token = store_val_strdup(&cols[3]))) ||
	    (cols[4].type != DB_NULL && !(ss->tee_pubkey = store_val_strdup(&cols[4]))))
		return SNP_E_NOMEM;
	memcpy(op->mac, cols[5].p, STORE_MAC_SIZE);
	op->maclen = STORE_MAC_SIZE;
	return 0;
}

/* Loads the session row into op->out and checks its MAC: 0 (found or not) or a failure. */
static int session_load(struct db_conn *c, struct session_op *op, struct snp_err *err)
{
	struct store_session *ss = op->out;
	int ret;

	op->found = false;
	ret = db_exec(c,
		      "SELECT nonce, state, expires, token, tee_pubkey, mac FROM sessions "
		      "WHERE id = ? AND expires > ?",
		      (struct db_val[]){ DB_T(op->id), DB_I(op->now) }, 2, session_row, op, NULL,
		      err);
	if (ret == SNP_E_NOMEM)
		return snp_errf(err, ret, "session: out of memory");
	if (ret != 0 || !op->found)
		return ret;
	if (op->maclen != STORE_MAC_SIZE)
		return snp_errf(err, SNP_E_SIGNATURE, "session %s: stored row malformed", op->id);
	return store_mac_check(op->s, session_label,
			       (struct db_val[]){ DB_T(op->id), DB_T(ss->nonce), DB_I(ss->state),
						  DB_I(ss->expires), opt_text(ss->token),
						  opt_text(ss->tee_pubkey) },
			       6, op->mac, op->maclen, "session", err);
}

static int get_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	return session_load(c, ctx, err);
}

int store_session_get(struct store *s, const char *id, int64_t now, struct store_session *out,
		      struct snp_err *err)
{
	struct session_op op = { .s = s, .id = id, .now = now, .out = out };
	int ret;

	memset(out, 0, sizeof(*out));
	if (!id || strlen(id) != STORE_SESSION_ID_LEN)
		return STORE_NOT_FOUND;
	ret = db_tx(s->db, DB_READ, get_tx, &op, err);
	if (ret == 0 && !op.found)
		ret = STORE_NOT_FOUND;
	if (ret != 0)
		store_session_free(out);
	return ret;
}

static int attest_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct session_op *op = ctx;
	struct store_session *ss = op->out;
	uint8_t mac[STORE_MAC_SIZE];
	int ret;

	/* Any row, expired or not: the caller checked expiry when it loaded the session. */
	op->now = INT64_MIN;
	if ((ret = session_load(c, op, err)) != 0)
		return ret;
	if (!op->found)
		return STORE_NOT_FOUND;
	if ((ret = session_mac(op->s, op->id, ss->nonce, STORE_SESSION_ATTESTED, ss->expires,
			       op->token, op->key, mac, err)) != 0)
		return ret;
	return db_exec(c, "UPDATE sessions SET state = ?, token = ?, tee_pubkey = ?, mac = ? "
			  "WHERE id = ?",
		       (struct db_val[]){ DB_I(STORE_SESSION_ATTESTED), DB_T(op->token),
					  DB_T(op->key), DB_B(mac, sizeof(mac)), DB_T(op->id) },
		       5, NULL, NULL, NULL, err);
}

int store_session_attest(struct store *s, const char *id, const char *token,
			 const char *tee_pubkey, struct snp_err *err)
{
	struct store_session ss = { 0 };
	struct session_op op = { .s = s, .id = id, .token = token, .key = tee_pubkey, .out = &ss };
	int ret;

	if (!id || strlen(id) != STORE_SESSION_ID_LEN)
		return STORE_NOT_FOUND;
	if (!token || !tee_pubkey)
		return snp_errf(err, SNP_E_INVALID, "session %s: token and key required", id);
	ret = db_tx(s->db, DB_WRITE, attest_tx, &op, err);
	store_session_free(&ss);
	return ret;
}

struct nonce_op {
	const char *nonce;
	int64_t expires;
};

static int nonce_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct nonce_op *op = ctx;
	int ret = db_exec(c, "INSERT INTO nonces (nonce, expires) VALUES (?, ?)",
			  (struct db_val[]){ DB_T(op->nonce), DB_I(op->expires) }, 2, NULL, NULL,
			  NULL, err);

	/* Rolled back, and never retried: the constraint is the answer. */
	if (ret == DB_CONFLICT)
		return snp_errf(err, SNP_E_REFUSED, "nonce was used before");
	return ret;
}

int store_nonce_consume(struct store *s, const char *nonce, int64_t expires,
			struct snp_err *err)
{
	struct nonce_op op = { .nonce = nonce, .expires = expires };

	if (!nonce || !*nonce || strlen(nonce) > STORE_NONCE_LEN)
		return snp_errf(err, SNP_E_INVALID, "nonce: empty or longer than %d characters",
				STORE_NONCE_LEN);
	return db_tx(s->db, DB_WRITE, nonce_tx, &op, err);
}

static int expire_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct session_op *op = ctx;
	uint64_t a = 0, b = 0;
	int ret;

	if ((ret = db_exec(c, "DELETE FROM sessions WHERE expires <= ?",
			   (struct db_val[]){ DB_I(op->now) }, 1, NULL, NULL, &a, err)) != 0 ||
	    (ret = db_exec(c, "DELETE FROM nonces WHERE expires <= ?",
			   (struct db_val[]){ DB_I(op->now) }, 1, NULL, NULL, &b, err)) != 0)
		return ret;
	op->expires = (int64_t)(a + b);
	return 0;
}

int store_expire(struct store *s, int64_t now, uint64_t *removed, struct snp_err *err)
{
	struct session_op op = { .s = s, .now = now };
	int ret;

	if (removed)
		*removed = 0;
	if ((ret = db_tx(s->db, DB_WRITE, expire_tx, &op, err)) != 0)
		return ret;
	if (removed)
		*removed = (uint64_t)op.expires;
	return 0;
}
