/*
 * attestd/db.c (pool, retry loop) through a fake back end, and
 * attestd/db-sqlite.c on real database files: types, constraints,
 * rollback, file mode, WAL, a writer waiting for another's lock.
 */
#include <pthread.h>
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

#include "attestd/db-backend.h"
#include "attestd/db.h"
#include "tests/common/testutil.h"

#define MUST(x) must_ok((x), &err, #x)

static void must_ok(int ret, const struct snp_err *err, const char *what)
{
	if (ret != 0)
		fail_msg("%s: returned %d (%s): %s", what, ret, snp_code_name(ret), err->msg);
}

/* --- a fake back end: counts calls, fails with DB_E_RETRY on demand --- */

static struct {
	pthread_mutex_t mu;
	int connects, disconnects, begins, commits, rollbacks, execs;
	int exec_retries;   /* exec returns DB_E_RETRY this many more times */
	int commit_retries; /* commit likewise */
	int exec_result;    /* otherwise exec returns this */
} fake = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void fake_reset(void)
{
	pthread_mutex_lock(&fake.mu);
	fake.connects = fake.disconnects = fake.begins = fake.commits = fake.rollbacks = 0;
	fake.execs = fake.exec_retries = fake.commit_retries = fake.exec_result = 0;
	pthread_mutex_unlock(&fake.mu);
}

static int bump(int *counter, int *retries, struct snp_err *err)
{
	int ret = 0;

	pthread_mutex_lock(&fake.mu);
	(*counter)++;
	if (retries && *retries > 0) {
		(*retries)--;
		ret = snp_errf(err, SNP_E_SYS, "fake: busy") == SNP_E_SYS ? DB_E_RETRY : 0;
	}
	pthread_mutex_unlock(&fake.mu);
	return ret;
}

static bool fake_accepts(const char *uri)
{
	(void)uri;
	return true;
}

static int fake_connect(const char *uri, bool first, void **conn, struct snp_err *err)
{
	(void)uri;
	(void)first;
	*conn = &fake;
	return bump(&fake.connects, NULL, err);
}

static void fake_disconnect(void *conn)
{
	(void)conn;
	bump(&fake.disconnects, NULL, NULL);
}

static int fake_begin(void *conn, enum db_lock lock, struct snp_err *err)
{
	(void)conn;
	(void)lock;
	return bump(&fake.begins, NULL, err);
}

static int fake_commit(void *conn, struct snp_err *err)
{
	(void)conn;
	return bump(&fake.commits, &fake.commit_retries, err);
}

static void fake_rollback(void *conn)
{
	(void)conn;
	bump(&fake.rollbacks, NULL, NULL);
}

static int fake_exec(void *conn, const char *sql, const struct db_val *params, size_t n,
		     db_row_fn *row, void *ctx, uint64_t *changes, struct snp_err *err)
{
	int ret;

	(void)conn;
	(void)sql;
	(void)params;
	(void)n;
	(void)row;
	(void)ctx;
	(void)changes;
	ret = bump(&fake.execs, &fake.exec_retries, err);
	return ret ? ret : fake.exec_result;
}

static int fake_exec_script(void *conn, const char *sql, struct snp_err *err)
{
	return fake_exec(conn, sql, NULL, 0, NULL, NULL, NULL, err);
}

static const struct db_backend fake_backend = {
	.name = "fake",
	.dialect = DB_SQLITE,
	.accepts = fake_accepts,
	.connect = fake_connect,
	.disconnect = fake_disconnect,
	.begin = fake_begin,
	.commit = fake_commit,
	.rollback = fake_rollback,
	.exec = fake_exec,
	.exec_script = fake_exec_script,
};

struct runs {
	int n;
	int fail_with; /* fn's own return when its statement succeeded */
};

static int one_stmt_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct runs *r = ctx;
	int ret;

	r->n++;
	if ((ret = db_exec(c, "X", NULL, 0, NULL, NULL, NULL, err)) != 0)
		return ret;
	return r->fail_with ? snp_errf(err, r->fail_with, "fn failed") : 0;
}

static struct db *fake_open(void)
{
	struct snp_err err = { 0 };
	struct db *db = NULL;

	fake_reset();
	MUST(db_open_backend(&fake_backend, "fake", &db, &err));
	return db;
}

static void tx_retries_busy_statement(void **state)
{
	struct snp_err err = { 0 };
	struct db *db = fake_open();
	struct runs r = { 0 };

	(void)state;
	fake.exec_retries = 3;
	MUST(db_tx(db, DB_WRITE, one_stmt_tx, &r, &err));
	assert_int_equal(r.n, 4);
	assert_int_equal(fake.begins, 4);
	assert_int_equal(fake.rollbacks, 3);
	assert_int_equal(fake.commits, 1);
	assert_int_equal(fake.connects, 1); /* the connection goes back to the pool each time */
	db_close(db);
	assert_int_equal(fake.disconnects, 1);
}

static void tx_retries_busy_commit(void **state)
{
	struct snp_err err = { 0 };
	struct db *db = fake_open();
	struct runs r = { 0 };

	(void)state;
	fake.commit_retries = 1;
	MUST(db_tx(db, DB_SERIAL, one_stmt_tx, &r, &err));
	assert_int_equal(r.n, 2);
	assert_int_equal(fake.commits, 2);
	assert_int_equal(fake.rollbacks, 1);
	db_close(db);
}

static void tx_gives_up_after_16_runs(void **state)
{
	struct snp_err err = { 0 };
	struct db *db = fake_open();
	struct runs r = { 0 };

	(void)state;
	fake.exec_retries = 1000;
	assert_int_equal(db_tx(db, DB_WRITE, one_stmt_tx, &r, &err), SNP_E_SYS);
	assert_int_equal(r.n, 16);
	assert_int_equal(fake.rollbacks, 16);
	assert_int_equal(fake.commits, 0);
	assert_non_null(strstr(err.msg, "still busy after 16 attempts"));
	db_close(db);
}

static void tx_does_not_retry_other_failures(void **state)
{
	struct snp_err err = { 0 };
	struct db *db = fake_open();
	struct runs r = { .fail_with = SNP_E_INVALID };

	(void)state;
	assert_int_equal(db_tx(db, DB_WRITE, one_stmt_tx, &r, &err), SNP_E_INVALID);
	assert_int_equal(r.n, 1);
	assert_int_equal(fake.rollbacks, 1);
	assert_int_equal(fake.commits, 0);
	/* A constraint conflict is an answer, not a reason to run again. */
	r = (struct runs){ 0 };
	fake.exec_result = DB_CONFLICT;
	assert_int_equal(db_tx(db, DB_WRITE, one_stmt_tx, &r, &err), DB_CONFLICT);
	assert_int_equal(r.n, 1);
	db_close(db);
}

#define POOL_THREADS 16
#define POOL_MAX 8 /* db.c's pool size */

static struct {
	pthread_mutex_t mu;
	pthread_barrier_t in_pool;
	int inside, most;
} pool = { .mu = PTHREAD_MUTEX_INITIALIZER };

static int pool_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	(void)c;
	(void)ctx;
	(void)err;
	pthread_mutex_lock(&pool.mu);
	if (++pool.inside > pool.most)
		pool.most = pool.inside;
	pthread_mutex_unlock(&pool.mu);
	/* Eight transactions at once: the pool's size, reached and not exceeded. */
	pthread_barrier_wait(&pool.in_pool);
	pthread_mutex_lock(&pool.mu);
	pool.inside--;
	pthread_mutex_unlock(&pool.mu);
	return 0;
}

static void *pool_thread(void *arg)
{
	struct snp_err err = { 0 };

	return (void *)(intptr_t)db_tx(arg, DB_READ, pool_tx, NULL, &err);
}

static void pool_bounds_connections(void **state)
{
	struct db *db = fake_open();
	pthread_t th[POOL_THREADS];

	(void)state;
	assert_int_equal(pthread_barrier_init(&pool.in_pool, NULL, POOL_MAX), 0);
	for (int i = 0; i < POOL_THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, pool_thread, db), 0);
	for (int i = 0; i < POOL_THREADS; i++) {
		void *ret;

		pthread_join(th[i], &ret);
		assert_int_equal((intptr_t)ret, 0);
	}
	pthread_barrier_destroy(&pool.in_pool);
	assert_int_equal(pool.most, POOL_MAX);
	assert_int_equal(fake.connects, POOL_MAX);
	db_close(db);
	assert_int_equal(fake.disconnects, POOL_MAX);
}

static void uri_dispatch(void **state)
{
	(void)state;
	assert_false(db_sqlite_backend.accepts("postgresql://u@h/db"));
	assert_false(db_sqlite_backend.accepts("POSTGRES://h/db"));
	assert_true(db_sqlite_backend.accepts("/var/lib/attestd/attestd.db"));
	assert_true(db_sqlite_backend.accepts("postgresql.db"));
	assert_true(db_uri_is_postgresql("postgres://x"));
	assert_false(db_uri_is_postgresql("postgres:/x"));
}

/* --- SQLite ---------------------------------------------------------------- */

struct sq {
	char *dir;
	char path[512];
	struct db *db;
};

static int sq_setup(void **state)
{
	struct snp_err err = { 0 };
	struct sq *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->dir = tmpdir_make();
	snprintf(t->path, sizeof(t->path), "%s/t.db", t->dir);
	MUST(db_open(t->path, &t->db, &err));
	*state = t;
	return 0;
}

static int sq_teardown(void **state)
{
	struct sq *t = *state;

	db_close(t->db);
	rm_rf(t->dir);
	free(t->dir);
	free(t);
	return 0;
}

struct stmt {
	const char *sql;
	const struct db_val *p;
	size_t n;
	db_row_fn *row;
	void *ctx;
	uint64_t changes;
	int fail_after; /* fn returns this after a successful statement */
};

static int stmt_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	struct stmt *s = ctx;
	int ret = db_exec(c, s->sql, s->p, s->n, s->row, s->ctx, &s->changes, err);

	return ret ? ret : s->fail_after;
}

static int run(struct sq *t, struct stmt *s)
{
	struct snp_err err = { 0 };

	return db_tx(t->db, DB_WRITE, stmt_tx, s, &err);
}

static int script_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	return db_exec_script(c, ctx, err);
}

static void script(struct sq *t, const char *sql)
{
	struct snp_err err = { 0 };

	MUST(db_tx(t->db, DB_WRITE, script_tx, (void *)sql, &err));
}

struct got {
	int rows;
	struct db_val v[4];
	uint8_t buf[4][64];
};

static int got_row(void *ctx, const struct db_val *cols, size_t ncols)
{
	struct got *g = ctx;

	assert_int_equal(ncols, 4);
	for (size_t i = 0; i < 4; i++) {
		g->v[i] = cols[i];
		if (cols[i].type == DB_TEXT || cols[i].type == DB_BLOB) {
			assert_true(cols[i].len <= sizeof(g->buf[i]));
			memcpy(g->buf[i], cols[i].p, cols[i].len);
			g->v[i].p = g->buf[i];
		}
	}
	g->rows++;
	return 0;
}

static void sqlite_types_round_trip(void **state)
{
	struct sq *t = *state;
	static const uint8_t blob[] = { 0, 1, 0, 0xff, 0 };
	struct got g = { 0 };
	struct stmt ins = {
		.sql = "INSERT INTO t (i, s, b, n) VALUES (?, ?, ?, ?)",
		.p = (struct db_val[]){ DB_I(INT64_MIN), DB_T("h\xc3\xa9llo"),
					DB_B(blob, sizeof(blob)), DB_NUL },
		.n = 4,
	};
	struct stmt sel = { .sql = "SELECT i, s, b, n FROM t", .row = got_row, .ctx = &g };

	script(t, "CREATE TABLE t (i BIGINT, s TEXT, b BLOB, n TEXT)");
	assert_int_equal(run(t, &ins), 0);
	assert_int_equal(ins.changes, 1);
	assert_int_equal(run(t, &sel), 0);
	assert_int_equal(g.rows, 1);
	assert_int_equal(g.v[0].type, DB_INT);
	assert_true(g.v[0].i == INT64_MIN);
	assert_int_equal(g.v[1].type, DB_TEXT);
	assert_int_equal(g.v[1].len, 6);
	assert_memory_equal(g.v[1].p, "h\xc3\xa9llo", 6);
	assert_int_equal(g.v[2].type, DB_BLOB);
	assert_int_equal(g.v[2].len, sizeof(blob));
	assert_memory_equal(g.v[2].p, blob, sizeof(blob));
	assert_int_equal(g.v[3].type, DB_NULL);
	/* An empty blob is a blob of length 0, not NULL. */
	ins.p = (struct db_val[]){ DB_I(1), DB_T(""), DB_B(NULL, 0), DB_NUL };
	assert_int_equal(run(t, &ins), 0);
	g.rows = 0;
	sel.sql = "SELECT i, s, b, n FROM t WHERE i = 1";
	assert_int_equal(run(t, &sel), 0);
	assert_int_equal(g.rows, 1);
	assert_int_equal(g.v[2].type, DB_BLOB);
	assert_int_equal(g.v[2].len, 0);
	assert_int_equal(g.v[1].type, DB_TEXT);
	assert_int_equal(g.v[1].len, 0);
}

static void sqlite_conflict_and_rollback(void **state)
{
	struct sq *t = *state;
	struct got g = { 0 };
	struct stmt ins = { .sql = "INSERT INTO t (k, u, v) VALUES (?, ?, ?)", .n = 3 };
	struct stmt cnt = { .sql = "SELECT COUNT(*), 0, 0, 0 FROM t", .row = got_row, .ctx = &g };

	script(t, "CREATE TABLE t (k TEXT PRIMARY KEY, u TEXT UNIQUE, v BIGINT NOT NULL)");
	ins.p = (struct db_val[]){ DB_T("a"), DB_T("x"), DB_I(1) };
	assert_int_equal(run(t, &ins), 0);
	ins.p = (struct db_val[]){ DB_T("a"), DB_T("y"), DB_I(1) };
	assert_int_equal(run(t, &ins), DB_CONFLICT);
	ins.p = (struct db_val[]){ DB_T("b"), DB_T("x"), DB_I(1) };
	assert_int_equal(run(t, &ins), DB_CONFLICT);
	/* Other constraints are errors, not conflicts. */
	ins.p = (struct db_val[]){ DB_T("c"), DB_T("z"), DB_NUL };
	assert_int_equal(run(t, &ins), SNP_E_INVALID);
	/* A failing transaction body leaves nothing behind. */
	ins.p = (struct db_val[]){ DB_T("d"), DB_T("w"), DB_I(1) };
	ins.fail_after = SNP_E_STATE;
	assert_int_equal(run(t, &ins), SNP_E_STATE);
	assert_int_equal(run(t, &cnt), 0);
	assert_int_equal(g.v[0].i, 1);
	/* A parameter count that does not match the statement. */
	ins.n = 2;
	ins.fail_after = 0;
	assert_int_equal(run(t, &ins), SNP_E_INTERNAL);
}

static void sqlite_many_statements(void **state)
{
	struct sq *t = *state;
	char sql[100][64];
	struct got g = { 0 };

	/* More distinct statements than a connection keeps prepared, then the first ones again. */
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 100; i++) {
			struct stmt s = { .sql = sql[i], .row = got_row, .ctx = &g };

			snprintf(sql[i], sizeof(sql[i]), "SELECT %d, 'x', NULL, ?", i);
			s.p = (struct db_val[]){ DB_I(i * 2) };
			s.n = 1;
			assert_int_equal(run(t, &s), 0);
			assert_int_equal(g.v[0].i, i);
			assert_int_equal(g.v[3].i, i * 2);
		}
	}
}

static void sqlite_file_0600_wal_full(void **state)
{
	struct sq *t = *state;
	struct got g = { 0 };
	struct stmt s = { .sql = "SELECT 0, 0, 0, 0", .row = got_row, .ctx = &g };
	struct stat st;
	sqlite3 *h = NULL;
	sqlite3_stmt *q = NULL;

	assert_int_equal(db_dialect(t->db), DB_SQLITE);
	assert_int_equal(stat(t->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(run(t, &s), 0);
	/* The journal mode is the file's: read it on an independent connection. */
	assert_int_equal(sqlite3_open_v2(t->path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "wal");
	sqlite3_finalize(q);
	sqlite3_close(h);
	/* synchronous is per connection: db-sqlite.c's own. */
	s.sql = "SELECT synchronous, 0, 0, 0 FROM pragma_synchronous";
	assert_int_equal(run(t, &s), 0);
	assert_int_equal(g.v[0].i, 2); /* FULL */
}

static void sqlite_path_refusals(void **state)
{
	struct sq *t = *state;
	struct snp_err err = { 0 };
	struct db *db = NULL;
	char path[600];

	snprintf(path, sizeof(path), "%s/link.db", t->dir);
	assert_int_equal(symlink(t->path, path), 0);
	assert_int_equal(db_open(path, &db, &err), SNP_E_SYS);
	assert_non_null(strstr(err.msg, "link.db"));
	assert_null(db);
	snprintf(path, sizeof(path), "%s/no/such/dir.db", t->dir);
	assert_int_equal(db_open(path, &db, &err), SNP_E_SYS);
	assert_int_equal(db_open("", &db, &err), SNP_E_INVALID);
}

struct waiter {
	struct db *db;
	int ret;
};

static int insert_one_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	(void)ctx;
	return db_exec(c, "INSERT INTO t (v) VALUES (2)", NULL, 0, NULL, NULL, NULL, err);
}

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	struct snp_err err = { 0 };

	w->ret = db_tx(w->db, DB_WRITE, insert_one_tx, NULL, &err);
	return NULL;
}

static void sqlite_writer_waits_for_lock(void **state)
{
	struct sq *t = *state;
	struct got g = { 0 };
	struct stmt cnt = { .sql = "SELECT COUNT(*), SUM(v), 0, 0 FROM t", .row = got_row,
			    .ctx = &g };
	struct waiter w = { .db = t->db, .ret = -1 };
	sqlite3 *h = NULL;
	pthread_t th;

	script(t, "CREATE TABLE t (v BIGINT)");
	/* Another process's writer holds the lock while ours starts. */
	assert_int_equal(sqlite3_open_v2(t->path, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "BEGIN IMMEDIATE; INSERT INTO t (v) VALUES (1)", NULL,
				      NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(pthread_create(&th, NULL, waiter_main, &w), 0);
	usleep(50 * 1000);
	assert_int_equal(sqlite3_exec(h, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	pthread_join(th, NULL);
	sqlite3_close(h);
	assert_int_equal(w.ret, 0);
	assert_int_equal(run(t, &cnt), 0);
	assert_int_equal(g.v[0].i, 2);
	assert_int_equal(g.v[1].i, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tx_retries_busy_statement),
		cmocka_unit_test(tx_retries_busy_commit),
		cmocka_unit_test(tx_gives_up_after_16_runs),
		cmocka_unit_test(tx_does_not_retry_other_failures),
		cmocka_unit_test(pool_bounds_connections),
		cmocka_unit_test(uri_dispatch),
		cmocka_unit_test_setup_teardown(sqlite_types_round_trip, sq_setup, sq_teardown),
		cmocka_unit_test_setup_teardown(sqlite_conflict_and_rollback, sq_setup,
						sq_teardown),
		cmocka_unit_test_setup_teardown(sqlite_many_statements, sq_setup, sq_teardown),
		cmocka_unit_test_setup_teardown(sqlite_file_0600_wal_full, sq_setup, sq_teardown),
		cmocka_unit_test_setup_teardown(sqlite_path_refusals, sq_setup, sq_teardown),
		cmocka_unit_test_setup_teardown(sqlite_writer_waits_for_lock, sq_setup,
						sq_teardown),
	};

	return cmocka_run_group_tests_name("db", tests, NULL, NULL);
}
