/*
 * EAR signing keys: the private JWK sealed (AES-256-GCM, its kid as
 * associated data), the public JWK and the two windows (signs until,
 * published until) MAC'd, so a key cannot be swapped in or kept alive by
 * editing the table. Rotation adds a key and retires the others' signing;
 * their public halves stay in the JWKS until their own publish time, the
 * overlap in which tokens they signed still verify.
 */
#include "attestd/store-int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "attestd/ear.h"
#include "attestd/jcs.h"
#include "attestd/jwk.h"

static const char key_label[] = "signing_keys";
static const char key_mac_label[] = "signing_keys.windows";
/* Keys read at once (rotation keeps a handful). */
#define SIGNKEY_MAX 64

static int key_mac(const struct store *s, const char *kid, int64_t created, int64_t sign_until,
		   int64_t publish_until, const char *pub, uint8_t mac[STORE_MAC_SIZE],
		   struct snp_err *err)
{
	return store_mac(s, key_mac_label,
			 (struct db_val[]){ DB_T(kid), DB_I(created), DB_I(sign_until),
					    DB_I(publish_until), DB_T(pub) },
			 5, mac, err);
}

struct add_op {
	const struct store *s;
	const char *kid, *pub;
	const uint8_t *iv;
	const uint8_t *ct;
	size_t ctlen;
	int64_t now, sign_until, publish_until;
	bool retire;                   /* store_signing_key_rotate: retire the others first */
	int64_t retired_publish_until; /* ... and cap their publishing here */
};

static int retire_keys(struct db_conn *c, const struct store *s, int64_t now,
		       int64_t publish_cap, struct snp_err *err);

static int add_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct add_op *op = ctx;
	uint8_t mac[STORE_MAC_SIZE];
	int ret;

	if (op->retire &&
	    (ret = retire_keys(c, op->s, op->now, op->retired_publish_until, err)) != 0)
		return ret;
	if ((ret = key_mac(op->s, op->kid, op->now, op->sign_until, op->publish_until, op->pub,
			   mac, err)) != 0)
		return ret;
	ret = db_exec(c,
		      "INSERT INTO signing_keys (kid, created, sign_until, publish_until, pub, iv, "
		      "ct, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		      (struct db_val[]){ DB_T(op->kid), DB_I(op->now), DB_I(op->sign_until),
					 DB_I(op->publish_until), DB_T(op->pub),
					 DB_B(op->iv, STORE_IV_SIZE), DB_B(op->ct, op->ctlen),
					 DB_B(mac, sizeof(mac)) },
		      8, NULL, NULL, NULL, err);
	if (ret == DB_CONFLICT)
		ret = snp_errf(err, SNP_E_STATE, "signing key %s exists already", op->kid);
	return ret;
}

/* store_signing_key_add, and with op.retire store_signing_key_rotate (see store.h). */
static int key_insert(struct store *s, const json_t *jwk, struct add_op op, struct snp_err *err)
{
	json_t *pub = NULL;
	char *priv = NULL, *pubtext = NULL;
	size_t privlen = 0, publen = 0, ctlen = 0;
	uint8_t iv[STORE_IV_SIZE], *ct = NULL;
	const char *kid;
	int64_t now = op.now, sign_until = op.sign_until, publish_until = op.publish_until;
	int ret = SNP_E_INTERNAL;

	op.s = s;
	kid = json_string_value(json_object_get(jwk, "kid"));
	if (!kid || !*kid || strlen(kid) > JWK_KID_MAX)
		return snp_errf(err, SNP_E_INVALID, "signing key: no kid (or longer than %d)",
				JWK_KID_MAX);
	if (sign_until <= now || publish_until < sign_until)
		return snp_errf(err, SNP_E_INVALID,
				"signing key %s: want now < sign_until <= publish_until", kid);
	if ((ret = ear_key_public(jwk, &pub, err)) != 0 ||
	    (ret = jcs_serialize(pub, &pubtext, &publen, err)) != 0 ||
	    (ret = jcs_serialize(jwk, &priv, &privlen, err)) != 0) {
		snp_err_prefix(err, "signing key %s: ", kid);
		goto out;
	}
	if ((ret = store_seal(s, key_label, (struct db_val[]){ DB_T(kid) }, 1,
			      (const uint8_t *)priv, privlen, iv, &ct, &ctlen, err)) != 0)
		goto out;
	op.kid = kid;
	op.pub = pubtext;
	op.iv = iv;
	op.ct = ct;
	op.ctlen = ctlen;
	ret = db_tx(s->db, DB_WRITE, add_tx, &op, err);
out:
	if (priv)
		OPENSSL_clear_free(priv, privlen);
	free(pubtext);
	free(ct);
	json_decref(pub);
	return ret;
}

int store_signing_key_add(struct store *s, const json_t *jwk, int64_t now, int64_t sign_until,
			  int64_t publish_until, struct snp_err *err)
{
	return key_insert(s, jwk,
			  (struct add_op){ .now = now, .sign_until = sign_until,
					   .publish_until = publish_until },
			  err);
}

int store_signing_key_rotate(struct store *s, const json_t *jwk, int64_t now, int64_t sign_until,
			     int64_t publish_until, int64_t retired_publish_until,
			     struct snp_err *err)
{
	if (retired_publish_until < now)
		return snp_errf(err, SNP_E_INVALID,
				"signing key rotation: the overlap ends before now");
	return key_insert(s, jwk,
			  (struct add_op){ .now = now, .sign_until = sign_until,
					   .publish_until = publish_until, .retire = true,
					   .retired_publish_until = retired_publish_until },
			  err);
}

struct key_row {
	char *kid, *pub;
	int64_t created, sign_until, publish_until;
	uint8_t iv[STORE_IV_SIZE];
	uint8_t *ct;
	size_t ctlen;
	uint8_t mac[STORE_MAC_SIZE];
	bool bad;
};

struct keys_op {
	const struct store *s;
	int64_t now;
	struct key_row rows[SIGNKEY_MAX];
	size_t n;
	bool full;
};

static void keys_reset(struct keys_op *op)
{
	for (size_t i = 0; i < op->n; i++) {
		free(op->rows[i].kid);
		free(op->rows[i].pub);
		free(op->rows[i].ct);
	}
	memset(op->rows, 0, sizeof(op->rows));
	op->n = 0;
	op->full = false;
}

static int key_row(void *ctx, const struct db_val *cols, size_t ncols)
{
	struct keys_op *op = ctx;
	struct key_row *r;

	if (op->n == SIGNKEY_MAX) {
		op->full = true;
		return 0;
	}
	r = &op->rows[op->n++];
	if (ncols != 8 || cols[0].type != DB_TEXT || cols[1].type != DB_INT ||
	    cols[2].type != DB_INT || cols[3].type != DB_INT || cols[4].type != DB_TEXT ||
	    cols[5].type != DB_BLOB || cols[5].len != STORE_IV_SIZE || cols[6].type != DB_BLOB ||
	    cols[7].type != DB_BLOB || cols[7].len != STORE_MAC_SIZE) {
		r->bad = true;
		return 0;
	}
	r->created = cols[1].i;
	r->sign_until = cols[2].i;
	r->publish_until = cols[3].i;
	memcpy(r->iv, cols[5].p, STORE_IV_SIZE);
	memcpy(r->mac, cols[7].p, STORE_MAC_SIZE);
	r->kid = store_val_strdup(&cols[0]);
	r->pub = store_val_strdup(&cols[4]);
	r->ct = malloc(cols[6].len ? cols[6].len : 1);
	if (!r->kid || !r->pub || !r->ct)
		return SNP_E_NOMEM;
	memcpy(r->ct, cols[6].p, cols[6].len);
	r->ctlen = cols[6].len;
	return 0;
}

/* Every key still published at now, newest first, each row's MAC checked. */
static int keys_load(struct db_conn *c, struct keys_op *op, struct snp_err *err)
{
	int ret;

	keys_reset(op);
	ret = db_exec(c,
		      "SELECT kid, created, sign_until, publish_until, pub, iv, ct, mac "
		      "FROM signing_keys WHERE publish_until > ? ORDER BY created DESC, kid",
		      (struct db_val[]){ DB_I(op->now) }, 1, key_row, op, NULL, err);
	if (ret == SNP_E_NOMEM)
		return snp_errf(err, ret, "signing keys: out of memory");
	if (ret != 0)
		return ret;
	if (op->full)
		return snp_errf(err, SNP_E_STATE, "more than %d signing keys are published",
				SIGNKEY_MAX);
	for (size_t i = 0; i < op->n; i++) {
		struct key_row *r = &op->rows[i];

		if (r->bad)
			return snp_errf(err, SNP_E_SIGNATURE, "signing key: stored row malformed");
		if ((ret = store_mac_check(op->s, key_mac_label,
					   (struct db_val[]){ DB_T(r->kid), DB_I(r->created),
							      DB_I(r->sign_until),
							      DB_I(r->publish_until), DB_T(r->pub) },
					   5, r->mac, sizeof(r->mac), "signing key", err)) != 0) {
			snp_err_prefix(err, "%s: ", r->kid);
			return ret;
		}
	}
	return 0;
}

static int keys_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	return keys_load(c, ctx, err);
}

/* The private JWK of row r, decrypted and parsed into *jwk. */
static int key_open(const struct store *s, const struct key_row *r, json_t **jwk,
		    struct snp_err *err)
{
	struct secret pt = { 0 };
	json_error_t jerr;
	int ret;

	*jwk = NULL;
	if ((ret = store_open_sealed(s, key_label, (struct db_val[]){ DB_T(r->kid) }, 1, r->iv,
				     STORE_IV_SIZE, r->ct, r->ctlen, "signing key", &pt, err)) != 0) {
		snp_err_prefix(err, "%s: ", r->kid);
		return ret;
	}
	*jwk = json_loadb((const char *)pt.p, pt.len, JSON_REJECT_DUPLICATES, &jerr);
	secret_wipe(&jerr, sizeof(jerr));
	secret_free(&pt);
	if (!*jwk)
		return snp_errf(err, SNP_E_INVALID, "signing key %s: stored JWK is not JSON",
				r->kid);
	return 0;
}

int store_signing_keys(struct store *s, int64_t now, json_t **jwk, json_t **jwks,
		       struct snp_err *err)
{
	struct keys_op *op = calloc(1, sizeof(*op));
	json_t *keys = NULL, *set = NULL;
	json_error_t jerr;
	int ret = SNP_E_INTERNAL;

	*jwk = NULL;
	if (jwks)
		*jwks = NULL;
	if (!op)
		return snp_errf(err, SNP_E_NOMEM, "signing keys: out of memory");
	op->s = s;
	op->now = now;
	if ((ret = db_tx(s->db, DB_READ, keys_tx, op, err)) != 0)
		goto out;
	if (jwks) {
		if (!(keys = json_array()) || !(set = json_pack("{s:O}", "keys", keys))) {
			ret = snp_errf(err, SNP_E_NOMEM, "signing keys: out of memory");
			goto out;
		}
		for (size_t i = 0; i < op->n; i++) {
			json_t *pub = json_loads(op->rows[i].pub, JSON_REJECT_DUPLICATES, &jerr);

			if (!pub || json_array_append_new(keys, pub) != 0) {
				ret = snp_errf(err, SNP_E_INVALID, "signing key %s: bad public JWK",
					       op->rows[i].kid);
				goto out;
			}
		}
	}
	ret = STORE_NOT_FOUND;
	for (size_t i = 0; i < op->n; i++) {
		if (op->rows[i].sign_until > now) {
			ret = key_open(s, &op->rows[i], jwk, err);
			break;
		}
	}
	if (ret != 0)
		goto out;
	if (jwks) {
		*jwks = set;
		set = NULL;
	}
out:
	if (ret != 0 && ret != STORE_NOT_FOUND) {
		jwk_free_private(*jwk);
		*jwk = NULL;
	}
	if (ret == STORE_NOT_FOUND && jwks) {
		*jwks = set;
		set = NULL;
	}
	json_decref(keys);
	json_decref(set);
	keys_reset(op);
	free(op);
	return ret;
}

/*
 * In a transaction: every key that signs at now stops signing at now, and its
 * publishing ends at min(its own time, publish_cap).
 */
static int retire_keys(struct db_conn *c, const struct store *s, int64_t now,
		       int64_t publish_cap, struct snp_err *err)
{
	struct keys_op *op = calloc(1, sizeof(*op));
	int ret;

	if (!op)
		return snp_errf(err, SNP_E_NOMEM, "signing keys: out of memory");
	op->s = s;
	op->now = now;
	if ((ret = keys_load(c, op, err)) != 0)
		goto out;
	for (size_t i = 0; i < op->n; i++) {
		struct key_row *r = &op->rows[i];
		int64_t publish = r->publish_until < publish_cap ? r->publish_until : publish_cap;
		uint8_t mac[STORE_MAC_SIZE];

		if (r->sign_until <= now)
			continue;
		if ((ret = key_mac(s, r->kid, r->created, now, publish, r->pub, mac, err)) != 0)
			goto out;
		if ((ret = db_exec(c,
				   "UPDATE signing_keys SET sign_until = ?, publish_until = ?, "
				   "mac = ? WHERE kid = ?",
				   (struct db_val[]){ DB_I(now), DB_I(publish),
						      DB_B(mac, sizeof(mac)), DB_T(r->kid) },
				   4, NULL, NULL, NULL, err)) != 0)
			goto out;
	}
	ret = 0;
out:
	keys_reset(op);
	free(op);
	return ret;
}

struct retire_op {
	const struct store *s;
	int64_t now;
};

static int retire_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	const struct retire_op *op = ctx;

	return retire_keys(c, op->s, op->now, INT64_MAX, err);
}

int store_signing_key_retire_all(struct store *s, int64_t now, struct snp_err *err)
{
	struct retire_op op = { .s = s, .now = now };

	return db_tx(s->db, DB_WRITE, retire_tx, &op, err);
}
