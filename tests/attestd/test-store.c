/*
 * attestd's store on SQLite: the shared suite (tests/common/store-suite.c)
 * on a fresh database file per test, and what only a file allows: a byte
 * of a resource's ciphertext flipped in the database file itself.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "attestd/store.h"
#include "tests/common/store-suite.h"
#include "tests/common/testutil.h"
#include "util/file.h"

#define T0 1764930000

static void sqlite_fresh(void *ctx, const char *dir, char *uri, size_t len)
{
	(void)ctx;
	snprintf(uri, len, "%s/attestd.db", dir);
}

/* The ciphertext of the only resource row, read with the sqlite3 library directly. */
static size_t read_ct(const char *path, uint8_t *out, size_t max)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *q = NULL;
	size_t len;

	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT ct FROM resources", -1, &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	len = (size_t)sqlite3_column_bytes(q, 0);
	assert_true(len <= max);
	memcpy(out, sqlite3_column_blob(q, 0), len);
	sqlite3_finalize(q);
	assert_int_equal(sqlite3_close(h), SQLITE_OK);
	return len;
}

static void file_byte_flipped_in_ciphertext_detected(void **state)
{
	struct snp_err err = { 0 };
	struct store *s = NULL;
	struct secret sec = { 0 };
	char *dir = tmpdir_make(), db[512], key[512];
	uint8_t ct[256], *file = NULL, *at;
	size_t ctlen, flen = 0;
	int fd;

	(void)state;
	snprintf(db, sizeof(db), "%s/attestd.db", dir);
	snprintf(key, sizeof(key), "%s/master.key", dir);
	assert_int_equal(store_master_key_create(key, &err), 0);
	assert_int_equal(store_open(db, key, &s, &err), 0);
	assert_int_equal(store_principal_create(s, "acme", T0, (char[STORE_TOKEN_LEN + 1]){ 0 },
						&err),
			 0);
	assert_int_equal(store_repo_assign(s, "acme", "r1", T0, &err), 0);
	assert_int_equal(store_resource_put(s, "acme", "r1", "key", "disk",
					    (const uint8_t *)"0123456789abcdef0123456789abcdef",
					    32, T0, NULL, &err),
			 0);
	/* Closing the last connection checkpoints the WAL into the database file. */
	store_close(s);
	ctlen = read_ct(db, ct, sizeof(ct));
	assert_int_equal(ctlen, 32 + 16);
	assert_int_equal(file_read(db, 64u << 20, &file, &flen, &err), 0);
	at = memmem(file, flen, ct, ctlen);
	assert_non_null(at);
	/* One bit in the middle of the ciphertext, written into the file in place. */
	fd = open(db, O_WRONLY);
	assert_true(fd >= 0);
	at[ctlen / 2] ^= 0x10;
	assert_int_equal(pwrite(fd, at + ctlen / 2, 1, (off_t)(at - file) + (off_t)ctlen / 2), 1);
	assert_int_equal(close(fd), 0);
	assert_int_equal(store_open(db, key, &s, &err), 0);
	assert_int_equal(store_resource_get(s, "r1", "key", "disk", &sec, NULL, NULL, &err),
			 SNP_E_SIGNATURE);
	assert_non_null(strstr(err.msg, "r1/key/disk"));
	assert_null(sec.p);
	store_close(s);
	free(file);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	static const struct store_target sqlite = { .name = "sqlite", .fresh = sqlite_fresh };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(file_byte_flipped_in_ciphertext_detected),
	};
	int failed = cmocka_run_group_tests_name("store-sqlite-file", tests, NULL, NULL);

	return failed + store_suite_run(&sqlite);
}
