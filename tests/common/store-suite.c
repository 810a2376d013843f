/*
 * attestd/store.h's behaviour, against whatever database a target names
 * (tests/common/store-suite.h). Tampering goes through attestd/db.h on the
 * same database, as someone with write access to it (but not to the master
 * key) would. Expected digests are computed here with OpenSSL, never taken
 * from the store.
 */
#include "tests/common/store-suite.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "attestd/db.h"
#include "attestd/ear.h"
#include "attestd/jwk.h"
#include "attestd/store.h"
#include "tests/common/testutil.h"

#define T0 1764930000 /* an arbitrary fixed "now" */

static const struct store_target *target;

struct fx {
	char *dir;
	char uri[1024];
	char key[1024];
	struct store *s;
};

#define MUST(x) must_ok((x), &err, #x)

static void must_ok(int ret, const struct snp_err *err, const char *what)
{
	if (ret != 0)
		fail_msg("%s: returned %d (%s): %s", what, ret, snp_code_name(ret), err->msg);
}

/* ret must be code and the message must contain needle (NULL: not checked). */
static void must_fail(int ret, int code, const struct snp_err *err, const char *needle)
{
	if (ret != code)
		fail_msg("returned %d (%s), want %d (%s): %s", ret, snp_code_name(ret), code,
			 snp_code_name(code), err->msg);
	if (needle && !strstr(err->msg, needle))
		fail_msg("message \"%s\" does not name \"%s\"", err->msg, needle);
}

static int fx_setup(void **state)
{
	struct snp_err err = { 0 };
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tmpdir_make();
	target->fresh(target->ctx, f->dir, f->uri, sizeof(f->uri));
	snprintf(f->key, sizeof(f->key), "%s/master.key", f->dir);
	MUST(store_master_key_create(f->key, &err));
	MUST(store_open(f->uri, f->key, &f->s, &err));
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->s);
	rm_rf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* --- direct access to the database, as an attacker with write access has --- */

struct raw {
	const char *sql;
	const struct db_val *params;
	size_t n;
	/* the first column of the last row, copied */
	uint8_t buf[4096];
	size_t len;
	int64_t i;
	bool found;
	uint64_t changes;
};

static int raw_row(void *ctx, const struct db_val *cols, size_t ncols)
{
	struct raw *r = ctx;

	if (ncols < 1)
		return 0;
	r->found = true;
	r->i = cols[0].i;
	r->len = 0;
	if (cols[0].type == DB_TEXT || cols[0].type == DB_BLOB) {
		assert_true(cols[0].len < sizeof(r->buf));
		memcpy(r->buf, cols[0].p, cols[0].len);
		r->len = cols[0].len;
		r->buf[r->len] = 0;
	}
	return 0;
}

static int raw_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct raw *r = ctx;

	return db_exec(c, r->sql, r->params, r->n, raw_row, r, &r->changes, err);
}

/* Runs sql on its own connection to the fixture's database; returns what db_tx returned. */
static int raw_run(const struct fx *f, struct raw *r)
{
	struct snp_err err = { 0 };
	struct db *db = NULL;
	int ret;

	MUST(db_open(f->uri, &db, &err));
	ret = db_tx(db, DB_WRITE, raw_tx, r, &err);
	db_close(db);
	return ret;
}

#define RAW(f, sql_, ...)                                                                 \
	do {                                                                               \
		const struct db_val p_[] = { DB_NUL, __VA_ARGS__ };                        \
		struct raw r_ = { .sql = (sql_), .params = p_ + 1,                         \
				  .n = sizeof(p_) / sizeof(p_[0]) - 1 };                   \
		assert_int_equal(raw_run((f), &r_), 0);                                    \
	} while (0)

static struct raw raw_get(const struct fx *f, const char *sql, const struct db_val *p, size_t n)
{
	struct raw r = { .sql = sql, .params = p, .n = n };

	assert_int_equal(raw_run(f, &r), 0);
	assert_true(r.found);
	return r;
}

static void sha256(const void *a, size_t alen, const void *b, size_t blen, uint8_t out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned n = 0;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, a, alen), 1);
	if (blen)
		assert_int_equal(EVP_DigestUpdate(ctx, b, blen), 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, out, &n), 1);
	assert_int_equal(n, 32);
	EVP_MD_CTX_free(ctx);
}

/* A tenant with a token and (repo non-NULL) one repository. */
static void tenant_make(struct fx *f, const char *name, const char *repo,
			char token[STORE_TOKEN_LEN + 1])
{
	struct snp_err err = { 0 };
	char tmp[STORE_TOKEN_LEN + 1];

	MUST(store_principal_create(f->s, name, T0, token ? token : tmp, &err));
	if (repo)
		MUST(store_repo_assign(f->s, name, repo, T0, &err));
}

/* --- master key ---------------------------------------------------------- */

static void master_key_created_0600_32_bytes(void **state)
{
	struct fx *f = *state;
	struct snp_err err = { 0 };
	struct stat st;

	assert_int_equal(stat(f->key, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, STORE_MASTER_KEY_SIZE);
	/* O_EXCL: an existing key is never overwritten. */
	must_fail(store_master_key_create(f->key, &err), SNP_E_SYS, &err, "master.key");
}

static void reopen_expect(struct fx *f, int code, const char *needle)
{
	struct snp_err err = { 0 };
	struct store *s = NULL;

	must_fail(store_open(f->uri, f->key, &s, &err), code, &err, needle);
	assert_null(s);
}

static void master_key_refused_0644(void **state)
{
	struct fx *f = *state;

	assert_int_equal(chmod(f->key, 0644), 0);
	reopen_expect(f, SNP_E_REFUSED, "0644");
	reopen_expect(f, SNP_E_REFUSED, f->key);
	assert_int_equal(chmod(f->key, 0640), 0);
	reopen_expect(f, SNP_E_REFUSED, "0640");
	/* Stricter than 0600 is fine. */
	assert_int_equal(chmod(f->key, 0400), 0);
	{
		struct snp_err err = { 0 };
		struct store *s = NULL;

		MUST(store_open(f->uri, f->key, &s, &err));
		store_close(s);
	}
}

static void master_key_refused_symlink(void **state)
{
	struct fx *f = *state;
	char link[1100];

	snprintf(link, sizeof(link), "%s/link.key", f->dir);
	assert_int_equal(symlink(f->key, link), 0);
	{
		struct snp_err err = { 0 };
		struct store *s = NULL;

		must_fail(store_open(f->uri, link, &s, &err), SNP_E_REFUSED, &err, "symbolic link");
		assert_non_null(strstr(err.msg, "link.key"));
	}
}

static void write_key(const char *path, size_t len)
{
	uint8_t buf[64] = { 1, 2, 3 };
	FILE *fp;

	unlink(path);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, 0600), 0);
}

static void master_key_refused_wrong_size(void **state)
{
	struct fx *f = *state;

	write_key(f->key, 31);
	reopen_expect(f, SNP_E_REFUSED, "31 bytes");
	write_key(f->key, 33);
	reopen_expect(f, SNP_E_REFUSED, "33 bytes");
	write_key(f->key, 0);
	reopen_expect(f, SNP_E_REFUSED, "0 bytes");
}

static void master_key_refused_not_regular(void **state)
{
	struct fx *f = *state;

	unlink(f->key);
	assert_int_equal(mkdir(f->key, 0700), 0);
	reopen_expect(f, SNP_E_REFUSED, "not a regular file");
	rmdir(f->key);
}

static void master_key_other_key_refused(void **state)
{
	struct fx *f = *state;

	/* A valid key file, but not the one this store was created with. */
	write_key(f->key, 32);
	reopen_expect(f, SNP_E_REFUSED, "not the key this store was created with");
}

static void store_reopens_with_its_key(void **state)
{
	struct fx *f = *state;
	struct snp_err err = { 0 };
	struct secret sec = { 0 };
	uint64_t v = 0;

	tenant_make(f, "acme", "acme-repo", NULL);
	MUST(store_resource_put(f->s, "acme", "acme-repo", "key", "disk", (const uint8_t *)"xyz",
				3, T0, &v, &err));
	store_close(f->s);
	f->s = NULL;
	MUST(store_open(f->uri, f->key, &f->s, &err));
	MUST(store_resource_get(f->s, "acme-repo", "key", "disk", &sec, &v, NULL, &err));
	assert_int_equal(v, 1);
	assert_memory_equal(sec.p, "xyz", 3);
	secret_free(&sec);
}

/* --- names and principals ----------------------------------------------- */

static void names_valid_and_invalid(void **state)
{
	static const char *const good[] = { "a", "A-z_0.9", "..a", "x.", NULL };
	static const char *const bad[] = { "", ".", "..", "a/b", "a b", "ä", "a\n", NULL };
	char longest[STORE_NAME_MAX + 2];

	(void)state;
	for (size_t i = 0; good[i]; i++)
		assert_true(store_name_valid(good[i]));
	for (size_t i = 0; bad[i]; i++)
		assert_false(store_name_valid(bad[i]));
	assert_false(store_name_valid(NULL));
	memset(longest, 'n', sizeof(longest));
	longest[STORE_NAME_MAX] = '\0';
	assert_true(store_name_valid(longest));
	longest[STORE_NAME_MAX] = 'n';
	longest[STORE_NAME_MAX + 1] = '\0';
	assert_false(store_name_valid(longest));
}

static void principal_token_checks(void **state)
{
	struct fx *f = *state;
	struct snp_err err = { 0 };
	char tok[STORE_TOKEN_LEN + 1], tok2[STORE_TOKEN_LEN + 1];
	uint8_t want[32];

	MUST(store_principal_create(f->s, "operator", T0, tok, &err));
	assert_int_equal(strlen(tok), STORE_TOKEN_LEN);
	for (size_t i = 0; i < STORE_TOKEN_LEN; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789-_", tok[i]));
	MUST(store_principal_check(f->s, "operator", tok, &err));
	/* Only the token's SHA-256 is stored. */
	{
		struct raw r = raw_get(f, "SELECT token_hash FROM principals WHERE name = ?",
				       (struct db_val[]){ DB_T("operator") }, 1);

		sha256(tok, STORE_TOKEN_LEN, NULL, 0, want);
		assert_int_equal(r.len, 32);
		assert_memory_equal(r.buf, want, 32);
	}
	memcpy(tok2, tok, sizeof(tok));
	tok2[5] = tok2[5] == 'A' ? 'B' : 'A';
	must_fail(store_principal_check(f->s, "operator", tok2, &err), SNP_E_REFUSED, &err, NULL);
	must_fail(store_principal_check(f->s, "nobody", tok, &err), SNP_E_REFUSED, &err, NULL);
	must_fail(store_principal_check(f->s, "operator", "", &err), SNP_E_REFUSED, &err, NULL);
	must_fail(store_principal_create(f->s, "operator", T0, tok2, &err), SNP_E_STATE, &err,
		  "exists");
	must_fail(store_principal_create(f->s, "bad/name", T0, tok2, &err), SNP_E_INVALID, &err,
		  "principal");
	MUST(store_principal_rotate(f->s, "operator", T0 + 1, tok2, &err));
	assert_string_not_equal(tok, tok2);
	must_fail(store_principal_check(f->s, "operator", tok, &err), SNP_E_REFUSED, &err, NULL);
	MUST(store_principal_check(f->s, "operator", tok2, &err));
	assert_int_equal(store_principal_rotate(f->s, "nobody", T0, tok, &err), STORE_NOT_FOUND);
}

static void principal_digest_moved_is_refused(void **state)
{
	struct fx *f = *state;
	struct snp_err err = { 0 };
	char op[STORE_TOKEN_LEN + 1], ten[STORE_TOKEN_LEN + 1];
	struct raw h, m;

	tenant_make(f, "operator", NULL, op);
	tenant_make(f, "acme", NULL, ten);
	/* The tenant's digest and MAC copied into the operator's row: the MAC binds the name. */
	h = raw_get(f, "SELECT token_hash FROM principals WHERE name = 'acme'", NULL, 0);
	m = raw_get(f, "SELECT mac FROM principals WHERE name = 'acme'", NULL, 0);
	RAW(f, "UPDATE principals SET token_hash = ?, mac = ? WHERE name = 'operator'",
	    DB_B(h.buf, h.len), DB_B(m.buf, m.len));
	must_fail(store_principal_check(f->s, "operator", ten, &err), SNP_E_REFUSED, &err,
		  "changed outside attestd");
	MUST(store_principal_check(f->s, "acme", ten, &err));
}

/* --- repositories ------------------------------------------------------- */

static void repo_owner_and_assign(void **state)
{
	struct fx *f = *state;
	struct snp_err err = { 0 };
	char owner[STORE_NAME_MAX + 1];

	tenant_make(f, "acme", "r1", NULL);
	tenant_make(f, "other", NULL, NULL);
	MUST(store_repo_owner(f->s, "r1", owner, &err));
	assert_string_equal(owner, "acme");
	assert_int_equal(store_repo_owner(f->s, "r2", owner, &err), STORE_NOT_FOUND);
	MUST(store_repo_assign(f->s, "acme", "r1", T0, &err)); /* again: a no-op */
	must_fail(store_repo_assign(f->s, "other", "r1", T0, &err), SNP_E_REFUSED, &err,
		  "another tenant");
	must_fail(store_repo_assign(f->s, "ghost", "r2", T0, &err), SNP_E_REFUSED, &err,
		  "ghost");
	must_fail(store_repo_assign(f->s, "acme", "..", T0, &err), SNP_E_INVALID, &err,
		  "repository");
	/* An edited owner is detected, not obeyed. */
	RAW(f, "UPDATE repositories SET tenant = 'other' WHERE name = 'r1'");
	must_fail(store_repo_owner(f->s, "r1", owner, &err), SNP_E_SIGNATURE, &err,
		  "repository owner");
	must_fail(store_resource_put(f->s, "other", "r1", "t", "x", (const uint8_t *)"s", 1, T0,
				     NULL, &err),
		  SNP_E_SIGNATURE, &err, NULL);
}

/* --- resources ---------------------------------------------------------- */

static void resource_round_trip_and_versions(void **state)
{
	struct fx *f = *state;
	struct snp_err err = { 0 };
	struct secret sec = { 0 };
	char owner[STORE_NAME_MAX + 1];
	uint64_t v = 99;
	static uint8_t big[STORE_SECRET_MAX + 1];

	tenant_make(f, "acme", "r1", NULL);
	assert_int_equal(store_resource_get(f->s, "r1", "key", "disk", &sec, &v, owner, &err),
			 STORE_NOT_FOUND);
	assert_null(sec.p);
	MUST(store_resource_put(f->s, "acme", "r1", "key", "disk", (const uint8_t *)"one\0x", 5,
				T0, &v, &err));
	assert_int_equal(v, 1);
	MUST(store_resource_put(f->s, "acme", "r1", "key", "disk", (const uint8_t *)"two", 3,
				T0 + 1, &v, &err));
	assert_int_equal(v, 2);
	MUST(store_resource_put(f->s, "acme", "r1", "key", "other", (const uint8_t *)"o", 1, T0,
				&v, &err));
	assert_int_equal(v, 1);
	MUST(store_resource_get(f->s, "r1", "key", "disk", &sec, &v, owner, &err));
	assert_int_equal(v, 2);
	assert_int_equal(sec.len, 3);
	assert_memory_equal(sec.p, "two", 3);
	assert_string_equal(owner, "acme");
	secret_free(&sec);
	/* Sizes: 1..STORE_SECRET_MAX. */
	memset(big, 0xa5, sizeof(big));
	MUST(store_resource_put(f->s, "acme", "r1", "key", "big", big, STORE_SECRET_MAX, T0, &v,
				&err));
	MUST(store_resource_get(f->s, "r1", "key", "big", &sec, NULL, NULL, &err));
	assert_int_equal(sec.len, STORE_SECRET_MAX);
	assert_memory_equal(sec.p, big, STORE_SECRET_MAX);
	secret_free(&sec);
	must_fail(store_resource_put(f->s, "acme", "r1", "key", "big", big, STORE_SECRET_MAX + 1,
				     T0, &v, &err),
		  SNP_E_INVALID, &err, "65537 bytes");
	must_fail(store_resource_put(f->s, "acme", "r1", "key", "e", big, 0, T0, &v, &err),
		  SNP_E_INVALID, &err, NULL);
	must_fail(store_resource_get(f->s, "r1", "key", "a/b", &sec, NULL, NULL, &err),
		  SNP_E_INVALID, &err, "tag");
	/* Delete: every version goes. */
	MUST(store_resource_delete(f->s, "acme", "r1", "key", "disk", T0, &err));
	assert_int_equal(store_resource_get(f->s, "r1", "key", "disk", &sec, &v, NULL, &err),
			 STORE_NOT_FOUND);
	assert_int_equal(store_resource_delete(f->s, "acme", "r1", "key", "disk", T0, &err),
			 STORE_NOT_FOUND);
	{
		struct raw r = raw_get(f, "SELECT COUNT(*) FROM resources WHERE tag = 'disk'",
				       NULL, 0);

		assert_int_equal(r.i, 0);
	}
}

static void resource_tenant_isolation(void **state)
{
	struct fx *f = *state;
	struct snp_err err = { 0 };
	struct secret sec = { 0 };

	tenant_make(f, "acme", "acme-repo", NULL);
	tenant_make(f, "evil", "evil-repo", NULL);
	MUST(store_resource_put(f->s, "acme", "acme-repo", "key", "disk", (const uint8_t *)"A", 1,
				T0, NULL, &err));
	must_fail(store_resource_put(f->s, "evil", "acme-repo", "key", "disk",
				     (const uint8_t *)"E", 1, T0, NULL, &err),
		  SNP_E_REFUSED, &err, "does not belong to evil");
	must_fail(store_resource_delete(f->s, "evil", "acme-repo", "key", "disk", T0, &err),
		  SNP_E_REFUSED, &err, "does not belong to evil");
	must_fail(store_resource_put(f->s, "acme", "unassigned", "key", "disk",
				     (const uint8_t *)"A", 1, T0, NULL, &err),
		  SNP_E_REFUSED, &err, "not assigned");
	MUST(store_resource_get(f->s, "acme-repo", "key", "disk", &sec, NULL, NULL, &err));
	assert_memory_equal(sec.p, "A", 1);
	secret_free(&sec);
}

static void resource_encrypted_at_rest(void **state)
{
	struct fx *f = *state;
	struct snp_err err = { 0 };
	static const char plain[] = "correct horse battery staple";
	struct raw ct, iv;

	tenant_make(f, "acme", "r1", NULL);
	MUST(store_resource_put(f->s, "acme", "r1", "key", "disk", (const uint8_t *)plain,
				sizeof(plain) - 1, T0, NULL, &err));
	ct = raw_get(f, "SELECT ct FROM resources", NULL, 0);
	iv = raw_get(f, "SELECT iv FROM resources", NULL, 0);
	assert_int_equal(iv.len, 12);
	assert_int_equal(ct.len, sizeof(plain) - 1 + 16);
	assert_null(memmem(ct.buf, ct.len, "horse", 5));
}

static void flip_first_byte(struct fx *f, const char *select, const char *update)
{
	struct raw r = raw_get(f, select, NULL, 0);

	r.buf[0] ^= 0x01;
	RAW(f, update, DB_B(r.buf, r.len));
}

static void resource_edited_row_detected(void **state)
{
	struct fx *f = *state;
	struct snp_err err = { 0 };
	struct secret sec = { 0 };

	tenant_make(f, "acme", "r1", NULL);
	MUST(store_resource_put(f->s, "acme", "r1", "key", "a", (const uint8_t *)"aaaa", 4, T0,
				NULL, &err));
	MUST(store_resource_put(f->s, "acme", "r1", "key", "b", (const uint8_t *)"bbbb", 4, T0,
				NULL, &err));
	flip_first_byte(f, "SELECT ct FROM resources WHERE tag = 'a'",
			"UPDATE resources SET ct = ? WHERE tag = 'a'");
	must_fail(store_resource_get(f->s, "r1", "key", "a", &sec, NULL, NULL, &err),
		  SNP_E_SIGNATURE, &err, "r1/key/a version 1");
	assert_null(sec.p);
	flip_first_byte(f, "SELECT iv FROM resources WHERE tag = 'b'",
			"UPDATE resources SET iv = ? WHERE tag = 'b'");
	must_fail(store_resource_get(f->s, "r1", "key", "b", &sec, NULL, NULL, &err),
		  SNP_E_SIGNATURE, &err, "does not decrypt");
	assert_int_equal(store_resource_get(f->s, "r1", "key", "b", &sec, NULL, NULL, NULL),
			 SNP_E_SIGNATURE);
}

static void resource_swapped_rows_detected(void **state)
{
	struct fx *f = *state;
	struct snp_err err = { 0 };
	struct secret sec = { 0 };
	struct raw a_ct, a_iv, b_ct, b_iv;

	tenant_make(f, "acme", "r1", NULL);
	tenant_make(f, "evil", "r2", NULL);
	MUST(store_resource_put(f->s, "acme", "r1", "key", "a", (const uint8_t *)"aaaa", 4, T0,
				NULL, &err));
	MUST(store_resource_put(f->s, "evil", "r2", "key", "b", (const uint8_t *)"bbbb", 4, T0,
				NULL, &err));
	a_ct = raw_get(f, "SELECT ct FROM resources WHERE tag = 'a'", NULL, 0);
	a_iv = raw_get(f, "SELECT iv FROM resources WHERE tag = 'a'", NULL, 0);
	b_ct = raw_get(f, "SELECT ct FROM resources WHERE tag = 'b'", NULL, 0);
	b_iv = raw_get(f, "SELECT iv FROM resources WHERE tag = 'b'", NULL, 0);
	RAW(f, "UPDATE resources SET iv = ?, ct = ? WHERE tag = 'a'", DB_B(b_iv.buf, b_iv.len),
	    DB_B(b_ct.buf, b_ct.len));
	RAW(f, "UPDATE resources SET iv = ?, ct = ? WHERE tag = 'b'", DB_B(a_iv.buf, a_iv.len),
	    DB_B(a_ct.buf, a_ct.len));
	must_fail(store_resource_get(f->s, "r1", "key", "a", &sec, NULL, NULL, &err),
		  SNP_E_SIGNATURE, &err, NULL);
	must_fail(store_resource_get(f->s, "r2", "key", "b", &sec, NULL, NULL, &err),
		  SNP_E_SIGNATURE, &err, NULL);
	/* Swapped back: both decrypt again. */
	RAW(f, "UPDATE resources SET iv = ?, ct = ? WHERE tag = 'a'", DB_B(a_iv.buf, a_iv.len),
	    DB_B(a_ct.buf, a_ct.len));
	MUST(store_resource_get(f->s, "r1", "key", "a", &sec, NULL, NULL, &err));
	secret_free(&sec);
	/* Moved to another version or owner: the AAD no longer matches. */
	RAW(f, "UPDATE resources SET version = 7 WHERE tag = 'a'");
	must_fail(store_resource_get(f->s, "r1", "key", "a", &sec, NULL, NULL, &err),
		  SNP_E_SIGNATURE, &err, NULL);
	RAW(f, "UPDATE resources SET version = 1, tenant = 'evil' WHERE tag = 'a'");
	must_fail(store_resource_get(f->s, "r1", "key", "a", &sec, NULL, NULL, &err),
		  SNP_E_SIGNATURE, &err, NULL);
}

/* --- policies ----------------------------------------------------------- */

static void policy_versions_and_scopes(void **state)
{
	struct fx *f = *state;
	struct snp_err err = { 0 };
	char scope[STORE_NAME_MAX * 3 + 3];
	json_t *p1 = json_pack("{s:[s],s:i}", "measurements", "aa", "vmpl", 0);
	json_t *p2 = json_pack("{s:i,s:[s]}", "vmpl", 1, "measurements", "bb");
	json_t *p3 = json_pack("{s:i}", "vmpl", 2);
	json_t *got = NULL;
	uint64_t v = 0;

	tenant_make(f, "acme", "r1", NULL);
	assert_int_equal(store_policy_for(f->s, "r1", "key", "disk", &got, scope, &v, &err),
			 STORE_NOT_FOUND);
	MUST(store_policy_set(f->s, "acme", "r1", p1, T0, &v, &err));
	assert_int_equal(v, 1);
	MUST(store_policy_set(f->s, "acme", "r1", p2, T0, &v, &err));
	assert_int_equal(v, 2);
	MUST(store_policy_for(f->s, "r1", "key", "disk", &got, scope, &v, &err));
	assert_string_equal(scope, "r1");
	assert_int_equal(v, 2);
	assert_true(json_equal(got, p2));
	json_decref(got);
	/* Stored as its JCS text: keys sorted, no spaces. */
	{
		struct raw r = raw_get(f, "SELECT policy FROM policies WHERE version = 2", NULL, 0);

		assert_string_equal((char *)r.buf, "{\"measurements\":[\"bb\"],\"vmpl\":1}");
	}
	/* A resource's own scope wins over its repository's. */
	MUST(store_policy_set(f->s, "acme", "r1/key/disk", p3, T0, &v, &err));
	assert_int_equal(v, 1);
	MUST(store_policy_for(f->s, "r1", "key", "disk", &got, scope, &v, &err));
	assert_string_equal(scope, "r1/key/disk");
	assert_int_equal(v, 1);
	assert_true(json_equal(got, p3));
	json_decref(got);
	MUST(store_policy_for(f->s, "r1", "key", "other", &got, scope, &v, &err));
	assert_string_equal(scope, "r1");
	json_decref(got);
	json_decref(p1);
	json_decref(p2);
	json_decref(p3);
}

static void policy_refusals(void **state)
{
	struct fx *f = *state;
	struct snp_err err = { 0 };
	static const char *const bad[] = { "r1/key", "r1//disk", "r1/a/b/c", "../key/disk",
					   "/r1", "r1/", "", NULL };
	json_t *p = json_pack("{s:i}", "vmpl", 0), *arr = json_array(), *got = NULL;
	char scope[STORE_NAME_MAX * 3 + 3];
	uint64_t v;

	tenant_make(f, "acme", "r1", NULL);
	tenant_make(f, "evil", "r2", NULL);
	for (size_t i = 0; bad[i]; i++)
		must_fail(store_policy_set(f->s, "acme", bad[i], p, T0, &v, &err), SNP_E_INVALID,
			  &err, "scope");
	must_fail(store_policy_set(f->s, "evil", "r1", p, T0, &v, &err), SNP_E_REFUSED, &err,
		  "does not belong to evil");
	must_fail(store_policy_set(f->s, "evil", "r1/key/disk", p, T0, &v, &err), SNP_E_REFUSED,
		  &err, NULL);
	must_fail(store_policy_set(f->s, "acme", "r1", arr, T0, &v, &err), SNP_E_INVALID, &err,
		  "not a JSON object");
	/* An edited policy is refused, not applied. */
	MUST(store_policy_set(f->s, "acme", "r1", p, T0, &v, &err));
	RAW(f, "UPDATE policies SET policy = '{\"vmpl\":3}' WHERE scope = 'r1'");
	must_fail(store_policy_for(f->s, "r1", "key", "disk", &got, scope, &v, &err),
		  SNP_E_SIGNATURE, &err, "r1 version 1");
	assert_null(got);
	json_decref(p);
	json_decref(arr);
}

/* --- sessions, nonces, expiry -------------------------------------------- */

static const char sid[] = "0f8fad5b-d9cb-469f-a165-70867728950e";
static const char nonce1[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
static const char nonce2[] = "HxwdHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";

static void session_life_cycle(void **state)
{
	struct fx *f = *state;
	struct snp_err err = { 0 };
	struct store_session ss;

	MUST(store_session_create(f->s, sid, nonce1, T0 + 300, &err));
	must_fail(store_session_create(f->s, sid, nonce2, T0 + 300, &err), SNP_E_STATE, &err,
		  "exists");
	MUST(store_session_get(f->s, sid, T0, &ss, &err));
	assert_string_equal(ss.id, sid);
	assert_string_equal(ss.nonce, nonce1);
	assert_int_equal(ss.state, STORE_SESSION_AUTHED);
	assert_int_equal(ss.expires, T0 + 300);
	assert_null(ss.token);
	assert_null(ss.tee_pubkey);
	store_session_free(&ss);
	MUST(store_session_attest(f->s, sid, "ey.token.sig", "{\"kty\":\"EC\"}", &err));
	MUST(store_session_get(f->s, sid, T0 + 299, &ss, &err));
	assert_int_equal(ss.state, STORE_SESSION_ATTESTED);
	assert_string_equal(ss.token, "ey.token.sig");
	assert_string_equal(ss.tee_pubkey, "{\"kty\":\"EC\"}");
	store_session_free(&ss);
	/* Expired at its expiry time. */
	assert_int_equal(store_session_get(f->s, sid, T0 + 300, &ss, &err), STORE_NOT_FOUND);
	assert_int_equal(store_session_get(f->s, "0f8fad5b-d9cb-469f-a165-000000000000", T0, &ss,
					   &err),
			 STORE_NOT_FOUND);
	assert_int_equal(store_session_attest(f->s, "0f8fad5b-d9cb-469f-a165-000000000000", "t",
					      "k", &err),
			 STORE_NOT_FOUND);
	must_fail(store_session_create(f->s, "short", nonce1, T0, &err), SNP_E_INVALID, &err,
		  "session id");
	must_fail(store_session_create(f->s, "0f8fad5b-d9cb-469f-a165-70867728950f", "short", T0,
				       &err),
		  SNP_E_INVALID, &err, "nonce");
}

static void session_edited_is_refused(void **state)
{
	struct fx *f = *state;
	struct snp_err err = { 0 };
	struct store_session ss;

	MUST(store_session_create(f->s, sid, nonce1, T0 + 300, &err));
	/* Someone with write access marks it attested with their own key. */
	RAW(f, "UPDATE sessions SET state = 2, token = 'x', tee_pubkey = '{}'");
	must_fail(store_session_get(f->s, sid, T0, &ss, &err), SNP_E_SIGNATURE, &err, "session");
	must_fail(store_session_attest(f->s, sid, "t", "k", &err), SNP_E_SIGNATURE, &err, NULL);
}

static void nonce_single_use(void **state)
{
	struct fx *f = *state;
	struct snp_err err = { 0 };

	MUST(store_nonce_consume(f->s, nonce1, T0 + 300, &err));
	must_fail(store_nonce_consume(f->s, nonce1, T0 + 300, &err), SNP_E_REFUSED, &err,
		  "used before");
	must_fail(store_nonce_consume(f->s, nonce1, T0 + 999, &err), SNP_E_REFUSED, &err, NULL);
	MUST(store_nonce_consume(f->s, nonce2, T0 + 300, &err));
	must_fail(store_nonce_consume(f->s, "", T0, &err), SNP_E_INVALID, &err, "nonce");
	/* err may be NULL: the same answers. */
	assert_int_equal(store_nonce_consume(f->s, nonce2, T0 + 300, NULL), SNP_E_REFUSED);
}

static void expire_removes_expired_only(void **state)
{
	struct fx *f = *state;
	struct snp_err err = { 0 };
	struct store_session ss;
	uint64_t removed = 99;

	MUST(store_session_create(f->s, sid, nonce1, T0 + 100, &err));
	MUST(store_session_create(f->s, "0f8fad5b-d9cb-469f-a165-70867728950f", nonce2, T0 + 200,
				  &err));
	MUST(store_nonce_consume(f->s, nonce1, T0 + 100, &err));
	MUST(store_nonce_consume(f->s, nonce2, T0 + 200, &err));
	MUST(store_expire(f->s, T0 + 99, &removed, &err));
	assert_int_equal(removed, 0);
	MUST(store_expire(f->s, T0 + 100, &removed, &err));
	assert_int_equal(removed, 2); /* one session, one nonce */
	{
		struct raw r = raw_get(f, "SELECT COUNT(*) FROM sessions WHERE id = ?",
				       (struct db_val[]){ DB_T(sid) }, 1);

		assert_int_equal(r.i, 0);
	}
	MUST(store_session_get(f->s, "0f8fad5b-d9cb-469f-a165-70867728950f", T0 + 150, &ss,
			       &err));
	store_session_free(&ss);
	/* nonce2 is still consumed; nonce1's row is gone with its expiry. */
	must_fail(store_nonce_consume(f->s, nonce2, T0 + 200, &err), SNP_E_REFUSED, &err, NULL);
	MUST(store_expire(f->s, T0 + 1000, &removed, &err));
	assert_int_equal(removed, 2);
}

/* --- audit ---------------------------------------------------------------- */

static void audit_append_n(struct fx *f, int n, int64_t t)
{
	struct snp_err err = { 0 };

	for (int i = 1; i <= n; i++) {
		json_t *rec = json_pack("{s:s,s:s,s:s,s:i}", "event", "release", "decision",
					i % 3 ? "allow" : "deny", "tenant",
					i % 2 ? "acme" : "other", "n", i);
		uint64_t seq = 0;

		MUST(store_audit_append(f->s, rec, t + i, &seq, &err));
		json_decref(rec);
	}
}

/* --- a change and its audit row in one transaction --- */

struct put_change {
	uint8_t secret[8];
	int fail_after; /* non-zero: the change returns this after its put */
	unsigned runs;
};

static int put_change(struct store *s, void *ctx, json_t **record, struct snp_err *err)
{
	struct put_change *pc = ctx;
	int ret;

	pc->runs++;
	if ((ret = store_resource_put(s, "acme", "r1", "key", "disk", pc->secret,
				      sizeof(pc->secret), T0, NULL, err)) != 0)
		return ret;
	if (pc->fail_after)
		return snp_errf(err, pc->fail_after, "the change failed after its put");
	*record = json_pack("{s:s,s:s}", "event", "admin.resource-put", "tenant", "acme");
	return 0;
}

static uint64_t audit_rows_n(struct fx *f)
{
	struct snp_err err = { 0 };
	uint64_t rows = 0;

	MUST(store_audit_verify(f->s, &rows, &err));
	return rows;
}

/*
 * Both or neither: a change whose audit append fails (the head's MAC
 * zeroed) is not visible afterwards, a change that fails leaves no audit
 * row, and one that succeeds commits both.
 */
static void audit_change_and_its_row_commit_together(void **state)
{
	struct fx *f = *state;
	struct snp_err err = { 0 };
	struct put_change pc = { .secret = "s3cr3t!" };
	struct secret got = { 0 };
	uint64_t v = 0, seq = 0;
	struct raw mac;
	uint8_t zero[32] = { 0 };

	tenant_make(f, "acme", "r1", NULL);
	audit_append_n(f, 3, T0);
	/* Broken head: the append fails, so the put is not made either. */
	mac = raw_get(f, "SELECT mac FROM audit_head", NULL, 0);
	RAW(f, "UPDATE audit_head SET mac = ?", DB_B(zero, sizeof(zero)));
	must_fail(store_change_audited(f->s, put_change, &pc, T0, &seq, &err), SNP_E_SIGNATURE,
		  &err, "audit head");
	assert_int_equal(pc.runs, 1);
	assert_int_equal(seq, 0);
	must_fail(store_resource_get(f->s, "r1", "key", "disk", &got, &v, NULL, &err),
		  STORE_NOT_FOUND, &err, NULL);
	RAW(f, "UPDATE audit_head SET mac = ?", DB_B(mac.buf, mac.len));
	assert_int_equal(audit_rows_n(f), 3);
	/* The change fails after its put: rolled back, no row. */
	pc.fail_after = SNP_E_REFUSED;
	must_fail(store_change_audited(f->s, put_change, &pc, T0, &seq, &err), SNP_E_REFUSED, &err,
		  "after its put");
	must_fail(store_resource_get(f->s, "r1", "key", "disk", &got, &v, NULL, &err),
		  STORE_NOT_FOUND, &err, NULL);
	assert_int_equal(audit_rows_n(f), 3);
	/* Success: both. */
	pc.fail_after = 0;
	MUST(store_change_audited(f->s, put_change, &pc, T0, &seq, &err));
	assert_int_equal(seq, 4);
	assert_int_equal(audit_rows_n(f), 4);
	MUST(store_resource_get(f->s, "r1", "key", "disk", &got, &v, NULL, &err));
	assert_int_equal(v, 1);
	assert_memory_equal(got.p, pc.secret, sizeof(pc.secret));
	secret_free(&got);
}

static void audit_chain_is_sha256_of_jcs(void **state)
{
	struct fx *f = *state;
	struct snp_err err = { 0 };
	json_t *rec = json_pack("{s:s,s:s,s:s}", "tenant", "acme", "event", "put",
				"correlation-id", "c1");
	uint8_t zero[32] = { 0 }, h1[32], h2[32];
	uint64_t seq = 0, rows = 0;
	struct raw r;
	static const char text1[] =
		"{\"correlation-id\":\"c1\",\"event\":\"put\",\"seq\":1,\"tenant\":\"acme\","
		"\"time\":1764930000}";
	static const char text2[] =
		"{\"correlation-id\":\"c1\",\"event\":\"put\",\"seq\":2,\"tenant\":\"acme\","
		"\"time\":1764930001}";

	MUST(store_audit_verify(f->s, &rows, &err));
	assert_int_equal(rows, 0);
	{
		char hex[65];

		MUST(store_audit_head(f->s, &seq, hex, &err));
		assert_int_equal(seq, 0);
		assert_string_equal(hex, "00000000000000000000000000000000"
					 "00000000000000000000000000000000");
	}
	MUST(store_audit_append(f->s, rec, T0, &seq, &err));
	assert_int_equal(seq, 1);
	MUST(store_audit_append(f->s, rec, T0 + 1, &seq, &err));
	assert_int_equal(seq, 2);
	r = raw_get(f, "SELECT record FROM audit WHERE seq = 1", NULL, 0);
	assert_string_equal((char *)r.buf, text1);
	sha256(zero, 32, text1, sizeof(text1) - 1, h1);
	r = raw_get(f, "SELECT hash FROM audit WHERE seq = 1", NULL, 0);
	assert_memory_equal(r.buf, h1, 32);
	sha256(h1, 32, text2, sizeof(text2) - 1, h2);
	r = raw_get(f, "SELECT hash FROM audit WHERE seq = 2", NULL, 0);
	assert_memory_equal(r.buf, h2, 32);
	MUST(store_audit_verify(f->s, &rows, &err));
	assert_int_equal(rows, 2);
	{
		char hex[65], want[65];
		uint64_t head = 0;

		for (size_t i = 0; i < 32; i++)
			snprintf(want + 2 * i, 3, "%02x", h2[i]);
		MUST(store_audit_head(f->s, &head, hex, &err));
		assert_int_equal(head, 2);
		assert_string_equal(hex, want);
	}
	json_decref(rec);
	{
		json_t *arr = json_array();

		must_fail(store_audit_append(f->s, arr, T0, &seq, &err), SNP_E_INVALID, &err,
			  "not a JSON object");
		json_decref(arr);
	}
}

static void audit_100_rows_verify_and_list(void **state)
{
	struct fx *f = *state;
	struct snp_err err = { 0 };
	json_t *list = NULL;
	uint64_t rows = 0;

	audit_append_n(f, 100, T0);
	MUST(store_audit_verify(f->s, &rows, &err));
	assert_int_equal(rows, 100);
	MUST(store_audit_list(f->s, NULL, 90, 5, &list, &err));
	assert_int_equal(json_array_size(list), 5);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(json_integer_value(json_object_get(json_array_get(list, i), "seq")),
				 91 + i);
	json_decref(list);
	/* A tenant sees its own rows only: the odd ones are acme's. */
	MUST(store_audit_list(f->s, "acme", 0, 1000, &list, &err));
	assert_int_equal(json_array_size(list), 50);
	for (size_t i = 0; i < 50; i++) {
		json_t *rec = json_array_get(list, i);

		assert_string_equal(json_string_value(json_object_get(rec, "tenant")), "acme");
		assert_int_equal(json_integer_value(json_object_get(rec, "seq")), 2 * i + 1);
	}
	json_decref(list);
	MUST(store_audit_list(f->s, "nobody", 0, 1000, &list, &err));
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
}

static void audit_expect_bad(struct fx *f, const char *needle)
{
	struct snp_err err = { 0 };
	uint64_t rows = 77;

	must_fail(store_audit_verify(f->s, &rows, &err), SNP_E_SIGNATURE, &err, needle);
	assert_int_equal(rows, 0);
}

static void audit_edited_row_named(void **state)
{
	struct fx *f = *state;
	struct raw r;
	char *p;

	audit_append_n(f, 100, T0);
	r = raw_get(f, "SELECT record FROM audit WHERE seq = 50", NULL, 0);
	p = strstr((char *)r.buf, "\"deny\"");
	assert_null(p); /* 50 % 3 != 0: allow */
	p = strstr((char *)r.buf, "\"allow\"");
	assert_non_null(p);
	memcpy(p, "\"allOw\"", 7);
	RAW(f, "UPDATE audit SET record = ? WHERE seq = 50", DB_T((char *)r.buf));
	audit_expect_bad(f, "seq 50:");
}

static void audit_edited_row_with_its_hash_named(void **state)
{
	struct fx *f = *state;
	struct raw prev, r;
	uint8_t h[32];
	char *p;

	audit_append_n(f, 100, T0);
	prev = raw_get(f, "SELECT hash FROM audit WHERE seq = 49", NULL, 0);
	r = raw_get(f, "SELECT record FROM audit WHERE seq = 50", NULL, 0);
	p = strstr((char *)r.buf, "\"allow\"");
	assert_non_null(p);
	memcpy(p, "\"allOw\"", 7);
	/* The edit and a matching hash: the chain from 49 holds, the row's MAC does not. */
	sha256(prev.buf, 32, r.buf, r.len, h);
	RAW(f, "UPDATE audit SET record = ?, hash = ? WHERE seq = 50", DB_T((char *)r.buf),
	    DB_B(h, 32));
	audit_expect_bad(f, "seq 50:");
}

static void audit_deleted_row_named(void **state)
{
	struct fx *f = *state;

	audit_append_n(f, 100, T0);
	RAW(f, "DELETE FROM audit WHERE seq = 50");
	audit_expect_bad(f, "seq 50: missing");
}

static void audit_truncated_tail_named(void **state)
{
	struct fx *f = *state;
	struct snp_err err = { 0 };
	uint64_t seq;
	json_t *rec = json_pack("{s:s}", "event", "x");

	audit_append_n(f, 100, T0);
	RAW(f, "DELETE FROM audit WHERE seq > 90");
	audit_expect_bad(f, "seq 91: missing");
	/* Appends go on after the head (seq 101), and the hole stays visible. */
	RAW(f, "DELETE FROM audit WHERE seq > 80");
	MUST(store_audit_append(f->s, rec, T0, &seq, &err));
	assert_int_equal(seq, 101);
	audit_expect_bad(f, "seq 81: missing");
	json_decref(rec);
}

static void audit_head_moved_back_detected(void **state)
{
	struct fx *f = *state;
	struct raw h90;

	audit_append_n(f, 100, T0);
	/* Truncation plus a head rewritten to match: the head's MAC is not the attacker's to make. */
	h90 = raw_get(f, "SELECT hash FROM audit WHERE seq = 90", NULL, 0);
	RAW(f, "DELETE FROM audit WHERE seq > 90");
	RAW(f, "UPDATE audit_head SET seq = 90, hash = ?", DB_B(h90.buf, h90.len));
	audit_expect_bad(f, "audit head");
	{
		struct snp_err err = { 0 };
		char hex[65];
		uint64_t seq;

		must_fail(store_audit_head(f->s, &seq, hex, &err), SNP_E_SIGNATURE, &err,
			  "audit head");
	}
}

static void audit_rollback_to_old_head_not_detected(void **state)
{
	struct fx *f = *state;
	struct snp_err err = { 0 };
	struct raw hseq, hhash, hmac;
	uint64_t rows = 0;

	/*
	 * The documented limit (docs/attestd.md, Store): a database rolled back
	 * as a whole - rows and head together - to an earlier state verifies.
	 */
	audit_append_n(f, 90, T0);
	hseq = raw_get(f, "SELECT seq FROM audit_head", NULL, 0);
	hhash = raw_get(f, "SELECT hash FROM audit_head", NULL, 0);
	hmac = raw_get(f, "SELECT mac FROM audit_head", NULL, 0);
	audit_append_n(f, 10, T0 + 1000);
	RAW(f, "DELETE FROM audit WHERE seq > 90");
	RAW(f, "UPDATE audit_head SET seq = ?, hash = ?, mac = ?", DB_I(hseq.i),
	    DB_B(hhash.buf, hhash.len), DB_B(hmac.buf, hmac.len));
	MUST(store_audit_verify(f->s, &rows, &err));
	assert_int_equal(rows, 90);
}

static void audit_swapped_rows_detected(void **state)
{
	struct fx *f = *state;
	struct raw a, b;

	audit_append_n(f, 10, T0);
	a = raw_get(f, "SELECT record FROM audit WHERE seq = 4", NULL, 0);
	b = raw_get(f, "SELECT record FROM audit WHERE seq = 5", NULL, 0);
	RAW(f, "UPDATE audit SET record = ? WHERE seq = 4", DB_T((char *)b.buf));
	RAW(f, "UPDATE audit SET record = ? WHERE seq = 5", DB_T((char *)a.buf));
	audit_expect_bad(f, "seq 4:");
}

struct appender {
	struct fx *f;
	struct store *own; /* NULL: share f->s */
	int id;
	int ret;
	char msg[256];
};

#define APPEND_THREADS 4
#define APPEND_EACH 25

static void *appender_main(void *arg)
{
	struct appender *a = arg;
	struct snp_err err = { 0 };
	struct store *s = a->own ? a->own : a->f->s;

	for (int i = 0; i < APPEND_EACH && a->ret == 0; i++) {
		json_t *rec = json_pack("{s:s,s:i,s:i}", "event", "race", "thread", a->id, "n", i);

		a->ret = store_audit_append(s, rec, T0 + i, NULL, &err);
		json_decref(rec);
	}
	if (a->ret)
		snprintf(a->msg, sizeof(a->msg), "%s", err.msg);
	return NULL;
}

static void audit_concurrent_appends_stay_linear(void **state)
{
	struct fx *f = *state;
	struct snp_err err = { 0 };
	struct appender a[APPEND_THREADS];
	pthread_t th[APPEND_THREADS];
	bool seen[APPEND_THREADS][APPEND_EACH] = { { false } };
	json_t *list = NULL;
	uint64_t rows = 0;

	/* Half the writers share one store (one pool), half have their own, as replicas do. */
	for (int i = 0; i < APPEND_THREADS; i++) {
		a[i] = (struct appender){ .f = f, .id = i };
		if (i % 2)
			MUST(store_open(f->uri, f->key, &a[i].own, &err));
	}
	for (int i = 0; i < APPEND_THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, appender_main, &a[i]), 0);
	for (int i = 0; i < APPEND_THREADS; i++) {
		pthread_join(th[i], NULL);
		store_close(a[i].own);
		if (a[i].ret)
			fail_msg("thread %d: %d %s", i, a[i].ret, a[i].msg);
	}
	MUST(store_audit_verify(f->s, &rows, &err));
	assert_int_equal(rows, APPEND_THREADS * APPEND_EACH);
	MUST(store_audit_list(f->s, NULL, 0, 1000, &list, &err));
	assert_int_equal(json_array_size(list), APPEND_THREADS * APPEND_EACH);
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *rec = json_array_get(list, i);
		json_int_t t = json_integer_value(json_object_get(rec, "thread"));
		json_int_t n = json_integer_value(json_object_get(rec, "n"));

		assert_int_equal(json_integer_value(json_object_get(rec, "seq")), i + 1);
		assert_true(t >= 0 && t < APPEND_THREADS && n >= 0 && n < APPEND_EACH);
		assert_false(seen[t][n]);
		seen[t][n] = true;
	}
	json_decref(list);
}

#define RACERS 6

struct racer {
	struct store *s;
	pthread_barrier_t *start;
	int ret;
};

static void *racer_main(void *arg)
{
	struct racer *r = arg;
	struct snp_err err = { 0 };

	pthread_barrier_wait(r->start);
	r->ret = store_nonce_consume(r->s, nonce1, T0 + 300, &err);
	return NULL;
}

static void nonce_raced_by_replicas_one_wins(void **state)
{
	struct fx *f = *state;
	struct snp_err err = { 0 };
	struct racer r[RACERS];
	pthread_t th[RACERS];
	pthread_barrier_t start;
	struct store_session ss;
	int wins = 0;

	/* Each racer is a replica: its own store handle on the one database. */
	assert_int_equal(pthread_barrier_init(&start, NULL, RACERS), 0);
	for (int i = 0; i < RACERS; i++) {
		r[i] = (struct racer){ .start = &start, .ret = 99 };
		MUST(store_open(f->uri, f->key, &r[i].s, &err));
	}
	/* A session made on one replica is seen on another. */
	MUST(store_session_create(r[0].s, sid, nonce1, T0 + 300, &err));
	MUST(store_session_get(r[1].s, sid, T0, &ss, &err));
	assert_string_equal(ss.nonce, nonce1);
	store_session_free(&ss);
	for (int i = 0; i < RACERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, racer_main, &r[i]), 0);
	for (int i = 0; i < RACERS; i++) {
		pthread_join(th[i], NULL);
		if (r[i].ret == 0)
			wins++;
		else
			assert_int_equal(r[i].ret, SNP_E_REFUSED);
		store_close(r[i].s);
	}
	pthread_barrier_destroy(&start);
	assert_int_equal(wins, 1);
}

/* --- crash ---------------------------------------------------------------- */

/* The child: put a resource version and append an audit row, report the version, repeat. */
static void crash_child(const struct fx *f, int wfd)
{
	struct snp_err err = { 0 };
	struct store *s = NULL;

	if (store_open(f->uri, f->key, &s, &err) != 0)
		_exit(3);
	for (int i = 1; i < 100000; i++) {
		char secret[32];
		uint64_t v = 0;
		json_t *rec;
		int n = snprintf(secret, sizeof(secret), "secret-%d", i);

		if (store_resource_put(s, "acme", "r1", "key", "crash", (const uint8_t *)secret,
				       (size_t)n, T0, &v, &err) != 0 || v != (uint64_t)i)
			_exit(4);
		/* Acknowledged only after the commit returned, as attestd answers a client. */
		if (write(wfd, &v, sizeof(v)) != (ssize_t)sizeof(v))
			_exit(5);
		rec = json_pack("{s:s,s:s,s:i}", "event", "put", "tenant", "acme", "version", i);
		if (!rec || store_audit_append(s, rec, T0 + i, NULL, &err) != 0)
			_exit(6);
		json_decref(rec);
	}
	_exit(0);
}

static void crash_kill9_loses_nothing_committed(void **state)
{
	struct fx *f = *state;
	struct snp_err err = { 0 };
	struct secret sec = { 0 };
	uint64_t last = 0, v = 0, rows = 0;
	int pfd[2], status = 0;
	pid_t pid;
	char want[32];

	tenant_make(f, "acme", "r1", NULL);
	/* The parent's connections stay unused until the child is gone. */
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		crash_child(f, pfd[1]);
	}
	close(pfd[1]);
	while (last < 40) {
		ssize_t n = read(pfd[0], &v, sizeof(v));

		if (n != (ssize_t)sizeof(v))
			break;
		last = v;
	}
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* Versions acknowledged before the kill that were still in the pipe count too. */
	while (read(pfd[0], &v, sizeof(v)) == (ssize_t)sizeof(v))
		last = v;
	close(pfd[0]);
	if (!WIFSIGNALED(status))
		fail_msg("the child ended before the kill (status %d)", status);
	assert_true(last >= 40);
	MUST(store_open(f->uri, f->key, &f->s, &err));
	MUST(store_audit_verify(f->s, &rows, &err));
	/* Each version's audit row comes after it: the kill lands between or after them. */
	assert_true(rows + 1 >= last);
	MUST(store_resource_get(f->s, "r1", "key", "crash", &sec, &v, NULL, &err));
	assert_true(v >= last);
	{
		/* Every acknowledged version is there, not only the newest. */
		struct raw r = raw_get(f, "SELECT COUNT(*) FROM resources WHERE tag = 'crash' "
					  "AND version <= ?",
				       (struct db_val[]){ DB_I((int64_t)last) }, 1);

		assert_int_equal(r.i, last);
	}
	snprintf(want, sizeof(want), "secret-%llu", (unsigned long long)v);
	assert_int_equal(sec.len, strlen(want));
	assert_memory_equal(sec.p, want, sec.len);
	secret_free(&sec);
	/* The store goes on after the crash. */
	audit_append_n(f, 1, T0);
	MUST(store_audit_verify(f->s, &rows, &err));
}

/* --- signing keys --------------------------------------------------------- */

static void signing_keys_rotate_with_overlap(void **state)
{
	struct fx *f = *state;
	struct snp_err err = { 0 };
	json_t *k1 = NULL, *k2 = NULL, *jwk = NULL, *jwks = NULL;

	MUST(ear_key_generate(&k1, &err));
	MUST(ear_key_generate(&k2, &err));
	assert_int_equal(store_signing_keys(f->s, T0, &jwk, &jwks, &err), STORE_NOT_FOUND);
	assert_null(jwk);
	assert_int_equal(json_array_size(json_object_get(jwks, "keys")), 0);
	json_decref(jwks);
	MUST(store_signing_key_add(f->s, k1, T0, T0 + 100, T0 + 200, &err));
	must_fail(store_signing_key_add(f->s, k1, T0, T0 + 100, T0 + 200, &err), SNP_E_STATE,
		  &err, "exists");
	must_fail(store_signing_key_add(f->s, k2, T0, T0 + 100, T0 + 50, &err), SNP_E_INVALID,
		  &err, NULL);
	MUST(store_signing_keys(f->s, T0 + 10, &jwk, &jwks, &err));
	/* The private key comes back whole. */
	assert_true(json_equal(jwk, k1));
	jwk_free_private(jwk);
	assert_int_equal(json_array_size(json_object_get(jwks, "keys")), 1);
	assert_null(json_object_get(json_array_get(json_object_get(jwks, "keys"), 0), "d"));
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(json_object_get(jwks, "keys"), 0),
						  "kid")),
		json_string_value(json_object_get(k1, "kid")));
	json_decref(jwks);
	/* Rotation: k1 stops signing at T0 + 20, k2 signs; both published. */
	MUST(store_signing_key_retire_all(f->s, T0 + 20, &err));
	assert_int_equal(store_signing_keys(f->s, T0 + 20, &jwk, NULL, &err), STORE_NOT_FOUND);
	MUST(store_signing_key_add(f->s, k2, T0 + 20, T0 + 1000, T0 + 2000, &err));
	MUST(store_signing_keys(f->s, T0 + 30, &jwk, &jwks, &err));
	assert_string_equal(json_string_value(json_object_get(jwk, "kid")),
			    json_string_value(json_object_get(k2, "kid")));
	jwk_free_private(jwk);
	assert_int_equal(json_array_size(json_object_get(jwks, "keys")), 2);
	json_decref(jwks);
	/* After k1's publish time only k2 is published. */
	MUST(store_signing_keys(f->s, T0 + 200, &jwk, &jwks, &err));
	jwk_free_private(jwk);
	assert_int_equal(json_array_size(json_object_get(jwks, "keys")), 1);
	json_decref(jwks);
	/* The private JWK is not in the database in the clear. */
	{
		struct raw r = raw_get(f, "SELECT ct FROM signing_keys WHERE kid = ?",
				       (struct db_val[]){ DB_T(json_string_value(
					       json_object_get(k2, "kid"))) },
				       1);
		const char *d = json_string_value(json_object_get(k2, "d"));

		assert_non_null(d);
		assert_null(memmem(r.buf, r.len, d, strlen(d)));
	}
	/* A retired key cannot be revived by editing its window. */
	RAW(f, "UPDATE signing_keys SET sign_until = ? WHERE kid = ?", DB_I(T0 + 5000),
	    DB_T(json_string_value(json_object_get(k1, "kid"))));
	must_fail(store_signing_keys(f->s, T0 + 30, &jwk, &jwks, &err), SNP_E_SIGNATURE, &err,
		  "signing key");
	assert_int_equal(store_signing_keys(f->s, T0 + 30, &jwk, &jwks, NULL), SNP_E_SIGNATURE);
	jwk_free_private(k1);
	jwk_free_private(k2);
}

/* --- list ----------------------------------------------------------------- */

static void list_shows_own_rows_and_no_secret(void **state)
{
	struct fx *f = *state;
	struct snp_err err = { 0 };
	json_t *pol = json_pack("{s:i}", "vmpl", 0), *out = NULL;
	char *text;

	tenant_make(f, "acme", "a1", NULL);
	tenant_make(f, "evil", "e1", NULL);
	MUST(store_repo_assign(f->s, "acme", "a2", T0, &err));
	MUST(store_resource_put(f->s, "acme", "a1", "key", "disk",
				(const uint8_t *)"TOPSECRET", 9, T0, NULL, &err));
	MUST(store_resource_put(f->s, "acme", "a1", "key", "disk",
				(const uint8_t *)"TOPSECRET2", 10, T0 + 5, NULL, &err));
	MUST(store_resource_put(f->s, "evil", "e1", "key", "x", (const uint8_t *)"E", 1, T0,
				NULL, &err));
	MUST(store_policy_set(f->s, "acme", "a1/key/disk", pol, T0, NULL, &err));
	MUST(store_policy_set(f->s, "evil", "e1", pol, T0, NULL, &err));
	MUST(store_list(f->s, "acme", &out, &err));
	text = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(text);
	assert_null(strstr(text, "TOPSECRET"));
	assert_null(strstr(text, "e1"));
	assert_null(strstr(text, "evil"));
	assert_string_equal(text,
			    "{\"policies\":[{\"created\":1764930000,\"scope\":\"a1/key/disk\","
			    "\"version\":1}],\"repositories\":[{\"created\":1764930000,\"name\":"
			    "\"a1\",\"tenant\":\"acme\"},{\"created\":1764930000,\"name\":\"a2\","
			    "\"tenant\":\"acme\"}],\"resources\":[{\"created\":1764930005,\"path\":"
			    "\"a1/key/disk\",\"version\":2}],\"tenant\":\"acme\"}");
	free(text);
	json_decref(out);
	/* The operator's view: everything. */
	MUST(store_list(f->s, NULL, &out, &err));
	assert_int_equal(json_array_size(json_object_get(out, "repositories")), 3);
	assert_int_equal(json_array_size(json_object_get(out, "resources")), 2);
	assert_int_equal(json_array_size(json_object_get(out, "policies")), 2);
	json_decref(out);
	json_decref(pol);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int store_suite_run(const struct store_target *t)
{
	static const struct CMUnitTest tests[] = {
		T(master_key_created_0600_32_bytes),
		T(master_key_refused_0644),
		T(master_key_refused_symlink),
		T(master_key_refused_wrong_size),
		T(master_key_refused_not_regular),
		T(master_key_other_key_refused),
		T(store_reopens_with_its_key),
		cmocka_unit_test(names_valid_and_invalid),
		T(principal_token_checks),
		T(principal_digest_moved_is_refused),
		T(repo_owner_and_assign),
		T(resource_round_trip_and_versions),
		T(resource_tenant_isolation),
		T(resource_encrypted_at_rest),
		T(resource_edited_row_detected),
		T(resource_swapped_rows_detected),
		T(policy_versions_and_scopes),
		T(policy_refusals),
		T(session_life_cycle),
		T(session_edited_is_refused),
		T(nonce_single_use),
		T(expire_removes_expired_only),
		T(nonce_raced_by_replicas_one_wins),
		T(audit_chain_is_sha256_of_jcs),
		T(audit_100_rows_verify_and_list),
		T(audit_edited_row_named),
		T(audit_edited_row_with_its_hash_named),
		T(audit_deleted_row_named),
		T(audit_truncated_tail_named),
		T(audit_head_moved_back_detected),
		T(audit_rollback_to_old_head_not_detected),
		T(audit_swapped_rows_detected),
		T(audit_concurrent_appends_stay_linear),
		T(audit_change_and_its_row_commit_together),
		T(crash_kill9_loses_nothing_committed),
		T(signing_keys_rotate_with_overlap),
		T(list_shows_own_rows_and_no_secret),
	};
	char group[64];

	target = t;
	snprintf(group, sizeof(group), "store-%s", t->name);
	return _cmocka_run_group_tests(group, tests, sizeof(tests) / sizeof(tests[0]), NULL,
				       NULL);
}
