/*
 * What the files of attestd's store (attestd/store*.c) share: the store
 * object, the keys derived from the master key, row integrity (AES-256-GCM
 * and HMAC-SHA-256 over length-prefixed fields), and small query helpers.
 * Not for code outside the store.
 */
#ifndef SNPVM_ATTESTD_STORE_INT_H
#define SNPVM_ATTESTD_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attestd/db.h"
#include "attestd/store.h"
#include "util/err.h"
#include "util/secret.h"

#define STORE_IV_SIZE 12
#define STORE_TAG_SIZE 16
#define STORE_MAC_SIZE 32
#define STORE_HASH_SIZE 32
/* "repo/type/tag" */
#define STORE_SCOPE_MAX (STORE_NAME_MAX * 3 + 2)

struct store {
	struct db *db;
	struct secret enc_key; /* AES-256-GCM key for resources and signing keys */
	struct secret mac_key; /* HMAC-SHA-256 key for the rows that are not secret */
};

/* --- store-schema.c --- */

/* Creates the tables that do not exist yet, in db's dialect. */
int store_schema_create(struct db *db, struct snp_err *err) SNP_MUST_CHECK;

/* --- store-key.c --- */

/* Reads the master key file (checked as store.h says) into key (32 bytes, secret_free it). */
int store_master_key_read(const char *path, struct secret *key,
			  struct snp_err *err) SNP_MUST_CHECK;

/* Derives s->enc_key and s->mac_key from the master key (HKDF-SHA-256, one label each). */
int store_keys_derive(struct store *s, const struct secret *master,
		      struct snp_err *err) SNP_MUST_CHECK;

/* --- store-crypt.c --- */

/*
 * Row fields bound into a MAC or an AEAD's associated data: each is fed as
 * its type, its length (8 bytes big-endian) and its bytes (an integer as 8
 * bytes big-endian), after a label naming the table, so no two different
 * field lists give the same input.
 */

/* Encrypts pt (len bytes) into *ct (len + STORE_TAG_SIZE bytes, malloc'd) with a fresh iv. */
int store_seal(const struct store *s, const char *label, const struct db_val *aad, size_t naad,
	       const uint8_t *pt, size_t len, uint8_t iv[STORE_IV_SIZE], uint8_t **ct,
	       size_t *ctlen, struct snp_err *err) SNP_MUST_CHECK;

/* Decrypts ct into out (secret_free it); SNP_E_SIGNATURE naming what if the tag or aad differ. */
int store_open_sealed(const struct store *s, const char *label, const struct db_val *aad,
		      size_t naad, const uint8_t *iv, size_t ivlen, const uint8_t *ct,
		      size_t ctlen, const char *what, struct secret *out,
		      struct snp_err *err) SNP_MUST_CHECK;

/* HMAC-SHA-256 of label and fields under the MAC key. */
int store_mac(const struct store *s, const char *label, const struct db_val *f, size_t n,
	      uint8_t mac[STORE_MAC_SIZE], struct snp_err *err) SNP_MUST_CHECK;

/* Recomputes the MAC and compares (constant time): SNP_E_SIGNATURE naming what if it differs. */
int store_mac_check(const struct store *s, const char *label, const struct db_val *f, size_t n,
		    const void *mac, size_t maclen, const char *what,
		    struct snp_err *err) SNP_MUST_CHECK;

/* --- store.c --- */

/* Checks a name (store_name_valid) and fails SNP_E_INVALID naming what otherwise. */
int store_name_check(const char *name, const char *what, struct snp_err *err) SNP_MUST_CHECK;

/* A single integer from a query: found says whether a row (with a non-NULL column 0) came. */
struct store_int {
	int64_t v;
	bool found;
};

/* A row callback for struct store_int: keeps column 0 of the last row; returns 0. */
int store_row_int(void *ctx, const struct db_val *cols, size_t ncols);

/* Copies a DB_TEXT value into a malloc'd NUL-terminated string (NULL on DB_NULL or no memory). */
char *store_val_strdup(const struct db_val *v);

/* --- store-repo.c --- */

/*
 * In a transaction: 0 when repo's owner row is intact and is tenant;
 * SNP_E_REFUSED when repo has another owner or none; SNP_E_SIGNATURE when
 * the row was edited.
 */
int store_repo_check_owner(const struct store *s, struct db_conn *c, const char *tenant,
			   const char *repo, struct snp_err *err) SNP_MUST_CHECK;

#endif
