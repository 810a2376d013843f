/*
 * attestd/db.h on PostgreSQL (attestd/db-pg.c) against a real server that
 * the test starts on a private socket directory (tests/common/pgserver.h).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "attestd/db.h"
#include "tests/common/pgserver.h"

static struct pgserver *srv;
static char why[256];
static char *uri;

static int group_setup(void **state)
{
	(void)state;
	srv = pgserver_start(false, why, sizeof(why));
	if (srv)
		uri = pgserver_createdb(srv, "dbtest");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	free(uri);
	pgserver_stop(srv);
	return 0;
}

/* Opens the test database, or skips the test when no server could run. */
static struct db *open_or_skip(void)
{
	struct snp_err err = { 0 };
	struct db *db = NULL;

	if (srv == NULL) {
		print_message("skipped: %s\n", why);
		skip();
	}
	if (db_open(uri, &db, &err) != 0)
		fail_msg("db_open: %s", err.msg);
	assert_int_equal(db_dialect(db), DB_POSTGRESQL);
	return db;
}

/* A transaction body that runs one script or statement given as ctx. */
static int tx_script(struct db_conn *c, void *ctx, struct snp_err *err)
{
	return db_exec_script(c, ctx, err);
}

static void script(struct db *db, const char *sql)
{
	struct snp_err err = { 0 };

	if (db_tx(db, DB_WRITE, tx_script, (void *)sql, &err) != 0)
		fail_msg("%s: %s", sql, err.msg);
}

/* Rows collected by a SELECT: values copied out of the row callback. */
#define MAXROWS 8
#define MAXCOLS 6
struct rows {
	size_t n;
	struct db_val v[MAXROWS][MAXCOLS];
	uint8_t buf[MAXROWS][MAXCOLS][64];
	size_t ncols;
};

static int collect(void *ctx, const struct db_val *cols, size_t ncols)
{
	struct rows *r = ctx;

	assert_true(r->n < MAXROWS && ncols <= MAXCOLS);
	r->ncols = ncols;
	for (size_t k = 0; k < ncols; k++) {
		r->v[r->n][k] = cols[k];
		if (cols[k].type == DB_TEXT || cols[k].type == DB_BLOB) {
			assert_true(cols[k].len < sizeof(r->buf[0][0]));
			memcpy(r->buf[r->n][k], cols[k].p, cols[k].len);
			if (cols[k].type == DB_TEXT) /* the contract: NUL-terminated */
				assert_int_equal(((const char *)cols[k].p)[cols[k].len], '\0');
			r->v[r->n][k].p = r->buf[r->n][k];
		}
	}
	r->n++;
	return 0;
}

/* One statement with parameters, in its own transaction. */
struct stmt {
	const char *sql;
	const struct db_val *params;
	size_t n;
	struct rows *rows;
	uint64_t changes;
};

static int tx_stmt(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct stmt *s = ctx;

	return db_exec(c, s->sql, s->params, s->n, s->rows ? collect : NULL, s->rows, &s->changes,
		       err);
}

static int run(struct db *db, enum db_lock lock, struct stmt *s, struct snp_err *err)
{
	if (s->rows)
		memset(s->rows, 0, sizeof(*s->rows));
	return db_tx(db, lock, tx_stmt, s, err);
}

static void run_ok(struct db *db, struct stmt *s)
{
	struct snp_err err = { 0 };
	int ret = run(db, DB_WRITE, s, &err);

	if (ret != 0)
		fail_msg("%s: %d %s", s->sql, ret, err.msg);
}

static void assert_val(const struct db_val *got, const struct db_val *want)
{
	assert_int_equal(got->type, want->type);
	switch (want->type) {
	case DB_INT:
		assert_int_equal((uint64_t)got->i, (uint64_t)want->i);
		break;
	case DB_TEXT:
	case DB_BLOB:
		assert_int_equal(got->len, want->len);
		assert_memory_equal(got->p, want->p, want->len);
		break;
	case DB_NULL:
		break;
	}
}

static void pg_exec_round_trips_every_type(void **state)
{
	static const uint8_t blob[] = { 0x00, 0xff, 0x5c, 0x27, 0x3f, 0x00, 0x80 };
	/* In k order, as the SELECT returns them. */
	const struct db_val in[][4] = {
		{ DB_I(INT64_MIN), DB_T("it's a '?' \xc3\xa9"), DB_B(blob, sizeof(blob)), DB_NUL },
		{ DB_I(-1), DB_T("$1 ?"), DB_B(blob, 1), DB_T("x") },
		{ DB_I(INT64_MAX), DB_T(""), DB_B("", 0), DB_NUL },
	};
	struct db *db = open_or_skip();
	struct rows rows;

	(void)state;
	script(db, "CREATE TABLE rt (k BIGINT PRIMARY KEY, s TEXT, b BYTEA, n TEXT)");
	for (size_t r = 0; r < 3; r++) {
		struct stmt s = { .sql = "INSERT INTO rt (k, s, b, n) VALUES (?, ?, ?, ?)",
				  .params = in[r], .n = 4 };

		run_ok(db, &s);
		assert_int_equal(s.changes, 1);
	}
	{
		struct stmt s = { .sql = "SELECT k, s, b, n FROM rt ORDER BY k", .rows = &rows };

		run_ok(db, &s);
		assert_int_equal(rows.n, 3);
		assert_int_equal(rows.ncols, 4);
		for (size_t r = 0; r < 3; r++) {
			for (size_t k = 0; k < 4; k++)
				assert_val(&rows.v[r][k], &in[r][k]);
		}
	}
	{
		/* '?' in literals, identifiers and comments is text; other integer types. */
		const struct db_val p[] = { DB_I(-5), DB_T("t") };
		struct stmt s = { .sql = "SELECT '?''?', ? /* ? */ AS \"a?\", -- ?\n"
					 "CAST(? AS TEXT), CAST(-2 AS SMALLINT), "
					 "CAST(-3 AS INTEGER), true",
				  .params = p, .n = 2, .rows = &rows };
		const struct db_val want[] = { DB_T("?'?"), DB_I(-5), DB_T("t"), DB_I(-2), DB_I(-3),
					       DB_I(1) };

		run_ok(db, &s);
		assert_int_equal(rows.n, 1);
		assert_int_equal(rows.ncols, 6);
		for (size_t k = 0; k < 6; k++)
			assert_val(&rows.v[0][k], &want[k]);
	}
	{
		struct stmt s = { .sql = "UPDATE rt SET n = 'y'" };

		run_ok(db, &s);
		assert_int_equal(s.changes, 3);
	}
	db_close(db);
}

static void pg_placeholders_must_match_parameters(void **state)
{
	const struct db_val p[] = { DB_I(1), DB_I(2) };
	struct db *db = open_or_skip();
	struct snp_err err = { 0 };
	struct stmt few = { .sql = "SELECT ?", .params = p, .n = 2 };
	struct stmt many = { .sql = "SELECT ?, ?, ?", .params = p, .n = 2 };
	struct stmt estr = { .sql = "SELECT E'\\'?', ?", .params = p, .n = 1 };
	struct stmt dollar = { .sql = "SELECT $1", .params = p, .n = 1 };

	(void)state;
	assert_int_equal(run(db, DB_READ, &few, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "1 placeholders for 2 parameters"));
	assert_int_equal(run(db, DB_READ, &many, &err), SNP_E_INVALID);
	assert_int_equal(run(db, DB_READ, &estr, &err), SNP_E_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "E'...'"));
	assert_int_equal(run(db, DB_READ, &dollar, &err), SNP_E_UNSUPPORTED);
	db_close(db);
}

static void pg_unique_violation_is_db_conflict(void **state)
{
	const struct db_val p[] = { DB_T("nonce-1") };
	struct db *db = open_or_skip();
	struct snp_err err = { 0 };
	struct stmt s = { .sql = "INSERT INTO uq (v) VALUES (?)", .params = p, .n = 1 };

	(void)state;
	script(db, "CREATE TABLE uq (v TEXT PRIMARY KEY)");
	run_ok(db, &s);
	assert_int_equal(run(db, DB_WRITE, &s, &err), DB_CONFLICT);
	assert_non_null(strstr(err.msg, "23505"));
	/* ON CONFLICT DO NOTHING is not a conflict: no row changed. */
	s.sql = "INSERT INTO uq (v) VALUES (?) ON CONFLICT DO NOTHING";
	run_ok(db, &s);
	assert_int_equal(s.changes, 0);
	db_close(db);
}

static int tx_insert_then_fail(struct db_conn *c, void *ctx, struct snp_err *err)
{
	const struct db_val p[] = { DB_I(7) };
	int ret;

	(void)ctx;
	if ((ret = db_exec(c, "INSERT INTO rb (v) VALUES (?)", p, 1, NULL, NULL, NULL, err)) != 0)
		return ret;
	return snp_errf(err, SNP_E_REFUSED, "the body refuses");
}

static int stop_at_first(void *ctx, const struct db_val *cols, size_t ncols)
{
	(void)ncols;
	*(int64_t *)ctx = cols[0].i;
	return 42;
}

static void pg_failed_body_rolls_back(void **state)
{
	struct db *db = open_or_skip();
	struct snp_err err = { 0 };
	struct rows rows;
	struct stmt count = { .sql = "SELECT count(*) FROM rb", .rows = &rows };

	(void)state;
	script(db, "CREATE TABLE rb (v BIGINT)");
	assert_int_equal(db_tx(db, DB_WRITE, tx_insert_then_fail, NULL, &err), SNP_E_REFUSED);
	assert_string_equal(err.msg, "the body refuses");
	run_ok(db, &count);
	assert_int_equal(rows.n, 1);
	assert_int_equal(rows.v[0][0].type, DB_INT);
	assert_true(rows.v[0][0].i == 0);
	{
		/* The statement the rolled-back body prepared is still usable. */
		const struct db_val p[] = { DB_I(8) };
		struct stmt s = { .sql = "INSERT INTO rb (v) VALUES (?)", .params = p, .n = 1 };

		run_ok(db, &s);
		run_ok(db, &count);
		assert_true(rows.v[0][0].i == 1);
	}
	db_close(db);
}

/* More distinct statements than a connection keeps prepared: each still runs right. */
static int tx_many(struct db_conn *c, void *ctx, struct snp_err *err)
{
	char sql[64];
	int ret;

	(void)ctx;
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 100; i++) {
			struct rows rows = { 0 };
			const struct db_val p[] = { DB_I(i) };

			/* Distinct texts; the same text with INT and NULL is two statements. */
			snprintf(sql, sizeof(sql), "SELECT CAST(? AS BIGINT) + %d", i);
			if ((ret = db_exec(c, sql, p, 1, collect, &rows, NULL, err)) != 0)
				return ret;
			assert_int_equal(rows.n, 1);
			assert_int_equal(rows.v[0][0].i, 2 * i);
			if (i % 10 == 0) {
				memset(&rows, 0, sizeof(rows));
				if ((ret = db_exec(c, sql, &DB_NUL, 1, collect, &rows, NULL,
						   err)) != 0)
					return ret;
				assert_int_equal(rows.v[0][0].type, DB_NULL);
			}
		}
	}
	return 0;
}

static void pg_prepared_statement_cache_evicts(void **state)
{
	struct db *db = open_or_skip();
	struct snp_err err = { 0 };

	(void)state;
	if (db_tx(db, DB_READ, tx_many, NULL, &err) != 0)
		fail_msg("%s", err.msg);
	db_close(db);
}

/* A row callback's non-zero answer stops the rows and is returned by db_exec. */
static int tx_stop(struct db_conn *c, void *ctx, struct snp_err *err)
{
	return db_exec(c, "SELECT v FROM rb ORDER BY v", NULL, 0, stop_at_first, ctx, NULL, err);
}

static void pg_row_callback_stops_rows(void **state)
{
	struct db *db = open_or_skip();
	struct snp_err err = { 0 };
	int64_t first = 0;

	(void)state;
	script(db, "CREATE TABLE IF NOT EXISTS rb (v BIGINT); DELETE FROM rb; "
		   "INSERT INTO rb (v) VALUES (3), (1), (2)");
	assert_int_equal(db_tx(db, DB_READ, tx_stop, &first, &err), 42);
	assert_true(first == 1);
	db_close(db);
}

/*
 * Appends to a chain: reads the last link and adds the next one. Links are
 * UNIQUE, so two appends that read the same last link cannot both commit.
 */
static int tx_append(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct rows rows = { 0 };
	struct db_val p[1];
	int ret;

	(void)ctx;
	if ((ret = db_exec(c, "SELECT coalesce(max(seq), 0) FROM chain", NULL, 0, collect, &rows,
			   NULL, err)) != 0)
		return ret;
	/* Widen the window between the read and the write. */
	if ((ret = db_exec(c, "SELECT pg_sleep(0.002)", NULL, 0, NULL, NULL, NULL, err)) != 0)
		return ret;
	p[0] = DB_I(rows.v[0][0].i + 1);
	return db_exec(c, "INSERT INTO chain (seq) VALUES (?)", p, 1, NULL, NULL, NULL, err);
}

#define APPENDS 40
struct appender {
	struct db *db;
	int failures;
	struct snp_err err;
};

static void *append_thread(void *arg)
{
	struct appender *a = arg;

	for (int i = 0; i < APPENDS; i++)
		if (db_tx(a->db, DB_SERIAL, tx_append, NULL, &a->err) != 0)
			a->failures++;
	return NULL;
}

static void pg_serial_serialises_two_threads(void **state)
{
	struct db *db = open_or_skip();
	struct appender a[2] = { { .db = db }, { .db = db } };
	pthread_t t[2];
	struct rows rows;
	struct stmt s = { .sql = "SELECT count(*), max(seq) FROM chain", .rows = &rows };

	(void)state;
	script(db, "CREATE TABLE chain (seq BIGINT PRIMARY KEY)");
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, append_thread, &a[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	for (int i = 0; i < 2; i++)
		if (a[i].failures)
			fail_msg("thread %d: %d failed appends, last: %s", i, a[i].failures,
				 a[i].err.msg);
	run_ok(db, &s);
	assert_true(rows.v[0][0].i == 2 * APPENDS);
	assert_true(rows.v[0][1].i == 2 * APPENDS);
	db_close(db);
}

/*
 * The first run of the body lets another transaction update the counter
 * between its read and its write: SERIALIZABLE refuses the write (40001) and
 * db_tx runs the body again, which then sees the other update.
 */
struct bump {
	struct db *db;
	int runs;
};

static int tx_other_bump(struct db_conn *c, void *ctx, struct snp_err *err)
{
	(void)ctx;
	return db_exec(c, "UPDATE counter SET v = v + 1", NULL, 0, NULL, NULL, NULL, err);
}

static int tx_bump(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct bump *b = ctx;
	struct rows rows = { 0 };
	struct db_val p[1];
	int ret;

	b->runs++;
	if ((ret = db_exec(c, "SELECT v FROM counter", NULL, 0, collect, &rows, NULL, err)) != 0)
		return ret;
	if (b->runs == 1 && (ret = db_tx(b->db, DB_WRITE, tx_other_bump, NULL, err)) != 0)
		return ret;
	p[0] = DB_I(rows.v[0][0].i + 10);
	return db_exec(c, "UPDATE counter SET v = ?", p, 1, NULL, NULL, NULL, err);
}

static void pg_serialization_failure_is_retried(void **state)
{
	struct db *db = open_or_skip();
	struct bump b = { .db = db };
	struct snp_err err = { 0 };
	struct rows rows;
	struct stmt s = { .sql = "SELECT v FROM counter", .rows = &rows };

	(void)state;
	script(db, "CREATE TABLE counter (v BIGINT); INSERT INTO counter VALUES (0)");
	if (db_tx(db, DB_WRITE, tx_bump, &b, &err) != 0)
		fail_msg("db_tx: %s", err.msg);
	assert_int_equal(b.runs, 2);
	run_ok(db, &s);
	assert_true(rows.v[0][0].i == 11); /* the other +1, then this +10 on top of it */
	db_close(db);
}

static int tx_kill_others(struct db_conn *c, void *ctx, struct snp_err *err)
{
	uint64_t *killed = ctx;
	struct rows rows = { 0 };
	int ret = db_exec(c, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
			     "WHERE datname = current_database() AND pid <> pg_backend_pid()",
			  NULL, 0, collect, &rows, NULL, err);

	*killed = rows.n;
	return ret;
}

/* A pooled connection the server dropped is reconnected by the next transaction. */
static void pg_dropped_connection_reconnects(void **state)
{
	struct db *db = open_or_skip(), *other = open_or_skip();
	struct snp_err err = { 0 };
	struct rows rows;
	struct stmt s = { .sql = "SELECT 1", .rows = &rows };
	uint64_t killed = 0;

	(void)state;
	run_ok(db, &s);
	assert_int_equal(db_tx(other, DB_WRITE, tx_kill_others, &killed, &err), 0);
	assert_true(killed >= 1);
	if (run(db, DB_READ, &s, &err) != 0)
		fail_msg("after the server dropped the connection: %s", err.msg);
	assert_int_equal(rows.n, 1);
	db_close(other);
	db_close(db);
}

static void pg_open_error_hides_the_password(void **state)
{
	struct snp_err err = { 0 };
	struct db *db = NULL;

	(void)state;
	if (srv == NULL) { /* needs only libpq, but libpq comes with the server here */
		print_message("skipped: %s\n", why);
		skip();
	}
	assert_int_equal(db_open("postgresql://alice:s3cret@/nodb?host=/nonexistent-snpvm"
				 "&password=hunter2&connect_timeout=2",
				 &db, &err),
			 SNP_E_SYS);
	assert_null(db);
	assert_null(strstr(err.msg, "s3cret"));
	assert_null(strstr(err.msg, "hunter2"));
	assert_non_null(strstr(err.msg, "postgresql://alice:***@/nodb?host=/nonexistent-snpvm"
					"&password=***&connect_timeout=2"));
	assert_non_null(strstr(err.msg, "cannot connect"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pg_exec_round_trips_every_type),
		cmocka_unit_test(pg_placeholders_must_match_parameters),
		cmocka_unit_test(pg_unique_violation_is_db_conflict),
		cmocka_unit_test(pg_failed_body_rolls_back),
		cmocka_unit_test(pg_row_callback_stops_rows),
		cmocka_unit_test(pg_prepared_statement_cache_evicts),
		cmocka_unit_test(pg_serial_serialises_two_threads),
		cmocka_unit_test(pg_serialization_failure_is_retried),
		cmocka_unit_test(pg_dropped_connection_reconnects),
		cmocka_unit_test(pg_open_error_hides_the_password),
	};

	return cmocka_run_group_tests_name("db-pg", tests, group_setup, group_teardown);
}
