/*
 * The audit log: an append-only hash chain. Record n is stored as its JCS
 * text (attestd/jcs.h, with "seq" and "time" added) and
 *
 *   hash(n) = SHA-256(hash(n-1) || JCS(record n)),  hash(0) = 32 zero bytes.
 *
 * Each row also carries HMAC(seq, hash) under the store's MAC key, so a row
 * edited together with its hash is named exactly, and one head row
 * (audit_head: the last seq and hash, MAC'd) is updated in the same
 * transaction, so deleting the newest rows (a truncated tail) is seen too.
 * Appends run in DB_SERIAL transactions: one chain, however many writers.
 */
#include "attestd/store-int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "attestd/jcs.h"
#include "util/hex.h"

static const char row_label[] = "audit";
static const char head_label[] = "audit_head";

struct head {
	bool found;
	bool bad;
	int64_t seq;
	uint8_t hash[STORE_HASH_SIZE];
	uint8_t mac[STORE_MAC_SIZE];
};

static int head_row(void *ctx, const struct db_val *cols, size_t ncols)
{
	struct head *h = ctx;

	h->found = true;
	if (ncols != 3 || cols[0].type != DB_INT || cols[0].i < 0 || cols[1].type != DB_BLOB ||
	    cols[1].len != STORE_HASH_SIZE || cols[2].type != DB_BLOB ||
	    cols[2].len != STORE_MAC_SIZE) {
		h->bad = true;
		return 0;
	}
	h->seq = cols[0].i;
	memcpy(h->hash, cols[1].p, STORE_HASH_SIZE);
	memcpy(h->mac, cols[2].p, STORE_MAC_SIZE);
	return 0;
}

/* The head (seq 0 and zero hash before the first append), its MAC checked. */
static int head_load(const struct store *s, struct db_conn *c, struct head *h,
		     struct snp_err *err)
{
	int ret;

	memset(h, 0, sizeof(*h));
	if ((ret = db_exec(c, "SELECT seq, hash, mac FROM audit_head WHERE id = 1", NULL, 0,
			   head_row, h, NULL, err)) != 0)
		return ret;
	if (!h->found)
		return 0;
	if (h->bad)
		return snp_errf(err, SNP_E_SIGNATURE, "audit head: row malformed");
	return store_mac_check(s, head_label,
			       (struct db_val[]){ DB_I(h->seq), DB_B(h->hash, STORE_HASH_SIZE) }, 2,
			       h->mac, STORE_MAC_SIZE, "audit head", err);
}

/* hash(n) = SHA-256(hash(n-1) || text); 0 or SNP_E_CRYPTO. */
static int chain_hash(const uint8_t prev[STORE_HASH_SIZE], const void *text, size_t len,
		      uint8_t out[STORE_HASH_SIZE], struct snp_err *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned outl = 0;
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
		 EVP_DigestUpdate(ctx, prev, STORE_HASH_SIZE) == 1 &&
		 EVP_DigestUpdate(ctx, text, len) == 1 && EVP_DigestFinal_ex(ctx, out, &outl) == 1 &&
		 outl == STORE_HASH_SIZE;

	EVP_MD_CTX_free(ctx);
	return ok ? 0 : snp_err_openssl(err, "audit: SHA-256");
}

struct append_op {
	const struct store *s;
	const json_t *record;
	int64_t now;
	uint64_t seq;
};

static int append_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct append_op *op = ctx;
	struct head h;
	json_t *rec = NULL, *tenant;
	char *text = NULL;
	size_t len = 0;
	uint8_t hash[STORE_HASH_SIZE], mac[STORE_MAC_SIZE], hmac[STORE_MAC_SIZE];
	int64_t seq;
	int ret;

	if ((ret = head_load(op->s, c, &h, err)) != 0) {
		snp_err_prefix(err, "audit append refused: ");
		return ret;
	}
	seq = h.seq + 1;
	if (!(rec = json_deep_copy(op->record)) || json_object_set_new(rec, "seq", json_integer(seq)) ||
	    json_object_set_new(rec, "time", json_integer(op->now))) {
		ret = snp_errf(err, SNP_E_NOMEM, "audit: out of memory");
		goto out;
	}
	if ((ret = jcs_serialize(rec, &text, &len, err)) != 0) {
		snp_err_prefix(err, "audit record: ");
		goto out;
	}
	if ((ret = chain_hash(h.hash, text, len, hash, err)) != 0 ||
	    (ret = store_mac(op->s, row_label,
			     (struct db_val[]){ DB_I(seq), DB_B(hash, sizeof(hash)) }, 2, mac,
			     err)) != 0 ||
	    (ret = store_mac(op->s, head_label,
			     (struct db_val[]){ DB_I(seq), DB_B(hash, sizeof(hash)) }, 2, hmac,
			     err)) != 0)
		goto out;
	tenant = json_object_get(rec, "tenant");
	ret = db_exec(c, "INSERT INTO audit (seq, time, tenant, record, hash, mac) "
			 "VALUES (?, ?, ?, ?, ?, ?)",
		      (struct db_val[]){ DB_I(seq), DB_I(op->now),
					 json_is_string(tenant) ? DB_T(json_string_value(tenant))
								: DB_NUL,
					 DB_T(text), DB_B(hash, sizeof(hash)), DB_B(mac, sizeof(mac)) },
		      6, NULL, NULL, NULL, err);
	if (ret == DB_CONFLICT) {
		/* Only if the head lost rows: DB_SERIAL lets no other writer in. */
		ret = snp_errf(err, SNP_E_SIGNATURE,
			       "audit append refused: seq %lld exists beyond the head", (long long)seq);
		goto out;
	}
	if (ret != 0)
		goto out;
	if (h.found)
		ret = db_exec(c, "UPDATE audit_head SET seq = ?, hash = ?, mac = ? WHERE id = 1",
			      (struct db_val[]){ DB_I(seq), DB_B(hash, sizeof(hash)),
						 DB_B(hmac, sizeof(hmac)) },
			      3, NULL, NULL, NULL, err);
	else
		ret = db_exec(c, "INSERT INTO audit_head (id, seq, hash, mac) VALUES (1, ?, ?, ?)",
			      (struct db_val[]){ DB_I(seq), DB_B(hash, sizeof(hash)),
						 DB_B(hmac, sizeof(hmac)) },
			      3, NULL, NULL, NULL, err);
	if (ret == DB_CONFLICT)
		ret = snp_errf(err, SNP_E_SYS, "audit head written concurrently");
	if (ret == 0)
		op->seq = (uint64_t)seq;
out:
	free(text);
	json_decref(rec);
	return ret;
}

int store_audit_append(struct store *s, const json_t *record, int64_t now, uint64_t *seq,
		       struct snp_err *err)
{
	struct append_op op = { .s = s, .record = record, .now = now };
	int ret;

	if (seq)
		*seq = 0;
	if (!json_is_object(record))
		return snp_errf(err, SNP_E_INVALID, "audit record: not a JSON object");
	if ((ret = db_tx(s->db, DB_SERIAL, append_tx, &op, err)) != 0)
		return ret;
	if (seq)
		*seq = op.seq;
	return 0;
}

struct audited_op {
	struct store *s;
	store_change_fn *change;
	void *ctx;
	int64_t now;
	uint64_t seq;
};

static int audited_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct audited_op *op = ctx;
	json_t *record = NULL;
	int ret = op->change(op->s, op->ctx, &record, err);

	if (ret == 0 && !json_is_object(record))
		ret = snp_errf(err, SNP_E_INVALID, "audit record: not a JSON object");
	if (ret == 0) {
		struct append_op a = { .s = op->s, .record = record, .now = op->now };

		if ((ret = append_tx(c, &a, err)) == 0)
			op->seq = a.seq;
	}
	json_decref(record);
	return ret;
}

int store_change_audited(struct store *s, store_change_fn *change, void *ctx, int64_t now,
			 uint64_t *seq, struct snp_err *err)
{
	struct audited_op op = { .s = s, .change = change, .ctx = ctx, .now = now };
	int ret;

	if (seq)
		*seq = 0;
	/* The change's own transactions join this one (attestd/db.h). */
	if ((ret = db_tx(s->db, DB_WRITE_SERIAL, audited_tx, &op, err)) != 0)
		return ret;
	if (seq)
		*seq = op.seq;
	return 0;
}

/* --- verify --- */

struct verify_op {
	const struct store *s;
	struct snp_err *err;
	int64_t last;                  /* seq of the last row checked */
	uint8_t prev[STORE_HASH_SIZE]; /* its recomputed hash */
	int ret;
};

/* The checks of one row, in seq order; the first failure stops the walk. */
static int verify_row(void *ctx, const struct db_val *cols, size_t ncols)
{
	struct verify_op *v = ctx;
	int64_t want = v->last + 1;
	uint8_t hash[STORE_HASH_SIZE];
	json_error_t jerr;
	json_t *rec = NULL, *jseq, *jtime;
	bool ok;

	if (ncols != 5 || cols[0].type != DB_INT || cols[1].type != DB_INT ||
	    cols[2].type != DB_TEXT || cols[3].type != DB_BLOB || cols[4].type != DB_BLOB)
		return v->ret = snp_errf(v->err, SNP_E_SIGNATURE, "audit seq %lld: row malformed",
					 (long long)want);
	if (cols[0].i != want)
		return v->ret = snp_errf(v->err, SNP_E_SIGNATURE,
					 "audit seq %lld: missing (the next row is seq %lld)",
					 (long long)want, (long long)cols[0].i);
	if (store_mac_check(v->s, row_label,
			    (struct db_val[]){ DB_I(want), DB_B(cols[3].p, cols[3].len) }, 2,
			    cols[4].p, cols[4].len, "audit", v->err) != 0)
		return v->ret = snp_errf(v->err, SNP_E_SIGNATURE,
					 "audit seq %lld: row MAC does not match (edited)",
					 (long long)want);
	if (chain_hash(v->prev, cols[2].p, cols[2].len, hash, v->err) != 0)
		return v->ret = SNP_E_CRYPTO;
	if (cols[3].len != STORE_HASH_SIZE || !secret_equal(hash, cols[3].p, STORE_HASH_SIZE))
		return v->ret = snp_errf(v->err, SNP_E_SIGNATURE,
					 "audit seq %lld: hash does not chain (record edited)",
					 (long long)want);
	rec = json_loadb(cols[2].p, cols[2].len, JSON_REJECT_DUPLICATES, &jerr);
	jseq = json_object_get(rec, "seq");
	jtime = json_object_get(rec, "time");
	ok = json_is_integer(jseq) && json_integer_value(jseq) == want &&
	     json_is_integer(jtime) && json_integer_value(jtime) == cols[1].i;
	json_decref(rec);
	if (!ok)
		return v->ret = snp_errf(v->err, SNP_E_SIGNATURE,
					 "audit seq %lld: record's seq or time differs from its row",
					 (long long)want);
	memcpy(v->prev, hash, sizeof(hash));
	v->last = want;
	return 0;
}

static int verify_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct verify_op *v = ctx;
	struct head h;
	int ret;

	v->last = 0;
	v->ret = 0;
	memset(v->prev, 0, sizeof(v->prev));
	if ((ret = head_load(v->s, c, &h, err)) != 0)
		return ret;
	ret = db_exec(c, "SELECT seq, time, record, hash, mac FROM audit ORDER BY seq", NULL, 0,
		      verify_row, v, NULL, err);
	if (ret != 0)
		return v->ret ? v->ret : ret;
	if (h.seq > v->last)
		return snp_errf(err, SNP_E_SIGNATURE,
				"audit seq %lld: missing (the chain ends at %lld, its head says %lld: "
				"truncated)",
				(long long)(v->last + 1), (long long)v->last, (long long)h.seq);
	if (h.seq < v->last)
		return snp_errf(err, SNP_E_SIGNATURE,
				"audit seq %lld: after the head (seq %lld): added outside attestd",
				(long long)(h.seq + 1), (long long)h.seq);
	if (!secret_equal(h.hash, v->prev, STORE_HASH_SIZE))
		return snp_errf(err, SNP_E_SIGNATURE,
				"audit seq %lld: the head's hash differs from the chain's",
				(long long)v->last);
	return 0;
}

int store_audit_verify(struct store *s, uint64_t *rows, struct snp_err *err)
{
	struct verify_op v = { .s = s, .err = err };
	int ret;

	if (rows)
		*rows = 0;
	if ((ret = db_tx(s->db, DB_READ, verify_tx, &v, err)) != 0)
		return ret;
	if (rows)
		*rows = (uint64_t)v.last;
	return 0;
}

struct head_op {
	const struct store *s;
	struct head h;
};

static int head_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct head_op *op = ctx;

	return head_load(op->s, c, &op->h, err);
}

int store_audit_head(struct store *s, uint64_t *seq, char hash_hex[65], struct snp_err *err)
{
	struct head_op op = { .s = s };
	int ret;

	*seq = 0;
	hash_hex[0] = '\0';
	if ((ret = db_tx(s->db, DB_READ, head_tx, &op, err)) != 0)
		return ret;
	*seq = (uint64_t)op.h.seq;
	hex_encode(op.h.hash, STORE_HASH_SIZE, hash_hex);
	return 0;
}

/* --- list --- */

struct list_op {
	const char *tenant;
	int64_t after;
	unsigned limit;
	json_t *out;
};

static int list_row(void *ctx, const struct db_val *cols, size_t ncols)
{
	struct list_op *op = ctx;
	json_error_t jerr;
	json_t *rec;

	if (ncols != 1 || cols[0].type != DB_TEXT)
		return SNP_E_SIGNATURE;
	rec = json_loadb(cols[0].p, cols[0].len, JSON_REJECT_DUPLICATES, &jerr);
	if (!rec)
		return SNP_E_SIGNATURE;
	return json_array_append_new(op->out, rec) == 0 ? 0 : SNP_E_NOMEM;
}

static int list_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct list_op *op = ctx;
	int ret;

	json_array_clear(op->out);
	if (op->tenant)
		ret = db_exec(c, "SELECT record FROM audit WHERE tenant = ? AND seq > ? "
				 "ORDER BY seq LIMIT ?",
			      (struct db_val[]){ DB_T(op->tenant), DB_I(op->after),
						 DB_I(op->limit) },
			      3, list_row, op, NULL, err);
	else
		ret = db_exec(c, "SELECT record FROM audit WHERE seq > ? ORDER BY seq LIMIT ?",
			      (struct db_val[]){ DB_I(op->after), DB_I(op->limit) }, 2, list_row,
			      op, NULL, err);
	if (ret == SNP_E_SIGNATURE)
		return snp_errf(err, ret, "audit: a stored record is not JSON");
	if (ret == SNP_E_NOMEM)
		return snp_errf(err, ret, "audit: out of memory");
	return ret;
}

int store_audit_list(struct store *s, const char *tenant, uint64_t after, unsigned limit,
		     json_t **out, struct snp_err *err)
{
	struct list_op op = { .tenant = tenant, .limit = limit };
	int ret;

	*out = NULL;
	if (after > INT64_MAX)
		return snp_errf(err, SNP_E_INVALID, "audit: after %llu out of range",
				(unsigned long long)after);
	op.after = (int64_t)after;
	if (!(op.out = json_array()))
		return snp_errf(err, SNP_E_NOMEM, "audit: out of memory");
	if ((ret = db_tx(s->db, DB_READ, list_tx, &op, err)) != 0) {
		json_decref(op.out);
		return ret;
	}
	*out = op.out;
	return 0;
}
