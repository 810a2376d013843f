/*
 * The store's life cycle (open: master key, schema, key check; close) and
 * the small helpers every store file uses.
 */
#include "attestd/store.h"

#include <stdlib.h>
#include <string.h>

#include "attestd/db.h"
#include "attestd/store-int.h"

/* Sealed into meta at creation: a store opened with another master key is refused at once. */
static const char key_check_label[] = "meta.key-check";
static const char key_check_text[] = "snpvm attestd store key check v1";

bool store_name_valid(const char *name)
{
	size_t len;

	if (!name)
		return false;
	len = strnlen(name, STORE_NAME_MAX + 1);
	if (len == 0 || len > STORE_NAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

int store_name_check(const char *name, const char *what, struct snp_err *err)
{
	if (store_name_valid(name))
		return 0;
	return snp_errf(err, SNP_E_INVALID,
			"%s: not a valid name ([A-Za-z0-9._-]{1,%d}, not \".\" or \"..\")", what,
			STORE_NAME_MAX);
}

int store_row_int(void *ctx, const struct db_val *cols, size_t ncols)
{
	struct store_int *r = ctx;

	if (ncols >= 1 && cols[0].type == DB_INT) {
		r->v = cols[0].i;
		r->found = true;
	}
	return 0;
}

char *store_val_strdup(const struct db_val *v)
{
	char *p;

	if (v->type != DB_TEXT && v->type != DB_BLOB)
		return NULL;
	if (!(p = malloc(v->len + 1)))
		return NULL;
	memcpy(p, v->p, v->len);
	p[v->len] = '\0';
	return p;
}

struct key_check {
	struct store *s;
	bool found;
	int ret; /* of opening the sealed row */
	struct snp_err *err;
};

static int key_check_row(void *ctx, const struct db_val *cols, size_t ncols)
{
	struct key_check *k = ctx;
	struct secret pt = { 0 };

	if (ncols != 2 || cols[0].type != DB_BLOB || cols[1].type != DB_BLOB)
		return snp_errf(k->err, SNP_E_SIGNATURE, "store: meta key-check row malformed");
	k->found = true;
	k->ret = store_open_sealed(k->s, key_check_label, NULL, 0, cols[0].p, cols[0].len,
				   cols[1].p, cols[1].len, "store key check", &pt, k->err);
	if (k->ret == 0 && (pt.len != sizeof(key_check_text) - 1 ||
			    memcmp(pt.p, key_check_text, pt.len) != 0))
		k->ret = snp_errf(k->err, SNP_E_SIGNATURE, "store key check: wrong contents");
	secret_free(&pt);
	return k->ret;
}

static int key_check_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct key_check *k = ctx;
	uint8_t iv[STORE_IV_SIZE], *ct = NULL;
	size_t ctlen = 0;
	int ret;

	k->found = false;
	k->ret = 0;
	ret = db_exec(c, "SELECT iv, ct FROM meta WHERE name = 'key-check'", NULL, 0,
		      key_check_row, k, NULL, err);
	if (ret != 0 || k->found)
		return ret;
	if ((ret = store_seal(k->s, key_check_label, NULL, 0, (const uint8_t *)key_check_text,
			      sizeof(key_check_text) - 1, iv, &ct, &ctlen, err)) != 0)
		return ret;
	ret = db_exec(c, "INSERT INTO meta (name, iv, ct) VALUES ('key-check', ?, ?)",
		      (struct db_val[]){ DB_B(iv, sizeof(iv)), DB_B(ct, ctlen) }, 2, NULL, NULL,
		      NULL, err);
	free(ct);
	if (ret == DB_CONFLICT)
		ret = snp_errf(err, SNP_E_SYS, "store: key check written concurrently");
	return ret;
}

int store_open(const char *uri, const char *master_key_path, struct store **out,
	       struct snp_err *err)
{
	struct secret master = { 0 };
	struct key_check k = { 0 };
	struct store *s = NULL;
	int ret = SNP_E_INTERNAL;

	*out = NULL;
	if (!(s = calloc(1, sizeof(*s))))
		return snp_errf(err, SNP_E_NOMEM, "store: out of memory");
	if ((ret = store_master_key_read(master_key_path, &master, err)) != 0 ||
	    (ret = store_keys_derive(s, &master, err)) != 0)
		goto out;
	if ((ret = db_open(uri, &s->db, err)) != 0 || (ret = store_schema_create(s->db, err)) != 0)
		goto out;
	k.s = s;
	k.err = err;
	if ((ret = db_tx(s->db, DB_SERIAL, key_check_tx, &k, err)) != 0) {
		if (ret == SNP_E_SIGNATURE)
			ret = snp_errf(err, SNP_E_REFUSED,
				       "store %s: master key %s is not the key this store was "
				       "created with", uri, master_key_path);
		goto out;
	}
	*out = s;
	s = NULL;
	ret = 0;
out:
	secret_free(&master);
	store_close(s);
	return ret;
}

int store_reserve(struct store *s, size_t nconns, struct snp_err *err)
{
	return db_reserve(s->db, nconns, err);
}

void store_close(struct store *s)
{
	if (!s)
		return;
	db_close(s->db);
	secret_free(&s->enc_key);
	secret_free(&s->mac_key);
	free(s);
}
