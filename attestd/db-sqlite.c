/*
 * The SQLite back end of attestd/db.h (attestd/db-backend.h): one database
 * file, created mode 0600, in WAL mode with synchronous=FULL (a committed
 * transaction is on disk before COMMIT returns, so a crash loses nothing that
 * was acknowledged). Writers take the lock at BEGIN (BEGIN IMMEDIATE) so two
 * writers never deadlock upgrading a read lock; a writer that finds the lock
 * held waits up to SQLITE_BUSY_MS, then db.c retries the whole transaction.
 * Statements are prepared once per connection and kept.
 */
#include "attestd/db-backend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

/* How long a statement waits for another connection's lock before DB_E_RETRY. */
#define SQLITE_BUSY_MS 5000
/* Prepared statements a connection keeps (attestd's store uses a few dozen). */
#define SQLITE_STMT_CACHE 64

struct sq_stmt {
	char *sql;
	sqlite3_stmt *st;
};

struct sq_conn {
	sqlite3 *h;
	struct sq_stmt cache[SQLITE_STMT_CACHE];
	size_t ncache;
	size_t next_evict;
};

static bool sq_accepts(const char *uri)
{
	return !db_uri_is_postgresql(uri);
}

/* Maps a failed SQLite call to the db codes (DB_E_RETRY, DB_CONFLICT, SNP_E_*). */
static int sq_fail(struct sq_conn *c, int rc, const char *what, struct snp_err *err)
{
	int ext = c->h ? sqlite3_extended_errcode(c->h) : rc;
	const char *msg = c->h ? sqlite3_errmsg(c->h) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		snp_errf(err, SNP_E_SYS, "SQLite %s: %s", what, msg);
		return DB_E_RETRY;
	case SQLITE_CONSTRAINT:
		if (ext == SQLITE_CONSTRAINT_PRIMARYKEY || ext == SQLITE_CONSTRAINT_UNIQUE)
			return DB_CONFLICT;
		return snp_errf(err, SNP_E_INVALID, "SQLite %s: %s", what, msg);
	case SQLITE_NOMEM:
		return snp_errf(err, SNP_E_NOMEM, "SQLite %s: out of memory", what);
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return snp_errf(err, SNP_E_SIGNATURE, "SQLite %s: %s", what, msg);
	default:
		return snp_errf(err, SNP_E_SYS, "SQLite %s: %s", what, msg);
	}
}

static void sq_disconnect(void *conn)
{
	struct sq_conn *c = conn;

	if (!c)
		return;
	for (size_t i = 0; i < c->ncache; i++) {
		sqlite3_finalize(c->cache[i].st);
		free(c->cache[i].sql);
	}
	sqlite3_close(c->h);
	free(c);
}

/*
 * Creates path with mode 0600 if it does not exist (SQLite would use 0644
 * less the umask); its -wal and -shm files take the same mode. An existing
 * file must be a regular file: a symlink or device is refused.
 */
static int sq_create_file(const char *path, struct snp_err *err)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return snp_err_sys(err, "%s", path);
	if (fstat(fd, &st) != 0) {
		int ret = snp_err_sys(err, "%s", path);

		close(fd);
		return ret;
	}
	close(fd);
	if (!S_ISREG(st.st_mode))
		return snp_errf(err, SNP_E_INVALID, "%s: not a regular file", path);
	return 0;
}

static int sq_pragmas(struct sq_conn *c, bool first, struct snp_err *err)
{
	static const char *const every[] = {
		"PRAGMA synchronous=FULL",
		"PRAGMA foreign_keys=OFF",
		"PRAGMA secure_delete=ON",
		/* Sorts and temporary indices in memory: a temporary file would be
		 * opened while serving, which the confinement forbids. */
		"PRAGMA temp_store=MEMORY",
	};
	char *msg = NULL;
	int rc;

	if (first) {
		/* WAL is a property of the file: set once, kept by every later connection. */
		sqlite3_stmt *st = NULL;
		const unsigned char *mode;

		rc = sqlite3_prepare_v2(c->h, "PRAGMA journal_mode=WAL", -1, &st, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(st);
		if (rc != SQLITE_ROW) {
			sqlite3_finalize(st);
			return sq_fail(c, rc, "journal_mode=WAL", err);
		}
		mode = sqlite3_column_text(st, 0);
		if (!mode || strcmp((const char *)mode, "wal") != 0) {
			snp_errf(err, SNP_E_SYS, "SQLite: journal_mode stays %s, not wal",
				 mode ? (const char *)mode : "unknown");
			sqlite3_finalize(st);
			return SNP_E_SYS;
		}
		sqlite3_finalize(st);
	}
	for (size_t i = 0; i < sizeof(every) / sizeof(every[0]); i++) {
		rc = sqlite3_exec(c->h, every[i], NULL, NULL, &msg);
		if (rc != SQLITE_OK) {
			snp_errf(err, SNP_E_SYS, "SQLite %s: %s", every[i], msg ? msg : "failed");
			sqlite3_free(msg);
			return SNP_E_SYS;
		}
	}
	return 0;
}

/*
 * What SQLite would otherwise open lazily, done while attestd may still open
 * files (it confines itself after the store is open: attestd/confine.h, whose
 * filter kills it on openat):
 * - its PRNG seed, read from /dev/urandom the first time the process needs
 *   random bytes (the WAL header salts of the first write);
 * - the directory sync: a connection fsyncs the database's directory at its
 *   first sync of the -wal file (SQLite marks a WAL opened with
 *   SQLITE_OPEN_CREATE "DIRSYNC"). A read opens the WAL, and syncing it now
 *   through its own xSync does that directory sync and clears the mark, so a
 *   commit under the filter touches only descriptors already open.
 */
static int sq_prime(struct sq_conn *c, struct snp_err *err)
{
	sqlite3_file *wal = NULL;
	unsigned char seed;
	int rc;

	sqlite3_randomness(1, &seed);
	if ((rc = sqlite3_exec(c->h, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL)) !=
	    SQLITE_OK)
		return sq_fail(c, rc, "opening the WAL", err);
	if (sqlite3_file_control(c->h, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) == SQLITE_OK &&
	    wal && wal->pMethods && (rc = wal->pMethods->xSync(wal, SQLITE_SYNC_FULL)) != SQLITE_OK)
		return sq_fail(c, rc, "syncing the WAL", err);
	return 0;
}

static int sq_connect(const char *uri, bool first, void **conn, struct snp_err *err)
{
	struct sq_conn *c = NULL;
	int ret = SNP_E_INTERNAL, rc;

	*conn = NULL;
	if (first && (ret = sq_create_file(uri, err)) != 0)
		return ret;
	if (!(c = calloc(1, sizeof(*c))))
		return snp_errf(err, SNP_E_NOMEM, "SQLite: out of memory");
	rc = sqlite3_open_v2(uri, &c->h,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
			     NULL);
	if (rc != SQLITE_OK) {
		ret = snp_errf(err, SNP_E_SYS, "SQLite open %s: %s", uri,
			       c->h ? sqlite3_errmsg(c->h) : sqlite3_errstr(rc));
		goto out;
	}
	sqlite3_extended_result_codes(c->h, 1);
	sqlite3_busy_timeout(c->h, SQLITE_BUSY_MS);
	if ((ret = sq_pragmas(c, first, err)) != 0 || (ret = sq_prime(c, err)) != 0) {
		if (ret == DB_E_RETRY)
			ret = SNP_E_SYS;
		snp_err_prefix(err, "%s: ", uri);
		goto out;
	}
	*conn = c;
	c = NULL;
	ret = 0;
out:
	sq_disconnect(c);
	return ret;
}

static int sq_run(struct sq_conn *c, const char *sql, struct snp_err *err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(c->h, sql, NULL, NULL, &msg);

	sqlite3_free(msg);
	return rc == SQLITE_OK ? 0 : sq_fail(c, rc, sql, err);
}

static int sq_begin(void *conn, enum db_lock lock, struct snp_err *err)
{
	/*
	 * Writers (DB_WRITE, DB_SERIAL, DB_WRITE_SERIAL alike) lock at BEGIN: a
	 * deferred writer's read-to-write upgrade can fail without waiting.
	 */
	return sq_run(conn, lock == DB_READ ? "BEGIN DEFERRED" : "BEGIN IMMEDIATE", err);
}

static int sq_commit(void *conn, struct snp_err *err)
{
	return sq_run(conn, "COMMIT", err);
}

static void sq_rollback(void *conn)
{
	struct sq_conn *c = conn;

	if (!sqlite3_get_autocommit(c->h))
		sqlite3_exec(c->h, "ROLLBACK", NULL, NULL, NULL);
}

/* The connection's prepared form of sql (kept; the least recently added is dropped when full). */
static int sq_prepare(struct sq_conn *c, const char *sql, sqlite3_stmt **out,
		      struct snp_err *err)
{
	struct sq_stmt *slot;
	sqlite3_stmt *st = NULL;
	char *copy;
	int rc;

	*out = NULL;
	for (size_t i = 0; i < c->ncache; i++) {
		if (strcmp(c->cache[i].sql, sql) == 0) {
			*out = c->cache[i].st;
			return 0;
		}
	}
	rc = sqlite3_prepare_v3(c->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(c, rc, "prepare", err);
	if (!(copy = strdup(sql))) {
		sqlite3_finalize(st);
		return snp_errf(err, SNP_E_NOMEM, "SQLite: out of memory");
	}
	if (c->ncache < SQLITE_STMT_CACHE) {
		slot = &c->cache[c->ncache++];
	} else {
		slot = &c->cache[c->next_evict];
		c->next_evict = (c->next_evict + 1) % SQLITE_STMT_CACHE;
		sqlite3_finalize(slot->st);
		free(slot->sql);
	}
	slot->sql = copy;
	slot->st = st;
	*out = st;
	return 0;
}

static int sq_bind(struct sq_conn *c, sqlite3_stmt *st, const struct db_val *params, size_t n,
		   struct snp_err *err)
{
	if (n != (size_t)sqlite3_bind_parameter_count(st))
		return snp_errf(err, SNP_E_INTERNAL, "SQLite: statement has %d parameters, %zu given",
				sqlite3_bind_parameter_count(st), n);
	for (size_t i = 0; i < n; i++) {
		int idx = (int)i + 1, rc;
		const struct db_val *v = &params[i];

		if ((v->type == DB_TEXT || v->type == DB_BLOB) && v->len > INT32_MAX)
			return snp_errf(err, SNP_E_INVALID, "SQLite: parameter %d too large", idx);
		switch (v->type) {
		case DB_NULL:
			rc = sqlite3_bind_null(st, idx);
			break;
		case DB_INT:
			rc = sqlite3_bind_int64(st, idx, v->i);
			break;
		case DB_TEXT:
			rc = sqlite3_bind_text(st, idx, v->p, (int)v->len, SQLITE_STATIC);
			break;
		case DB_BLOB:
			rc = sqlite3_bind_blob(st, idx, v->p ? v->p : "", (int)v->len,
					       SQLITE_STATIC);
			break;
		default:
			return snp_errf(err, SNP_E_INTERNAL, "SQLite: parameter %d: bad type", idx);
		}
		if (rc != SQLITE_OK)
			return sq_fail(c, rc, "bind", err);
	}
	return 0;
}

/* The row's columns as db_vals (pointing into SQLite's buffers, valid until the next step). */
static int sq_columns(sqlite3_stmt *st, struct db_val *cols, int ncols, struct snp_err *err)
{
	for (int i = 0; i < ncols; i++) {
		struct db_val *v = &cols[i];

		memset(v, 0, sizeof(*v));
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_NULL:
			v->type = DB_NULL;
			break;
		case SQLITE_INTEGER:
			v->type = DB_INT;
			v->i = sqlite3_column_int64(st, i);
			break;
		case SQLITE_TEXT:
			v->type = DB_TEXT;
			v->p = sqlite3_column_text(st, i);
			v->len = (size_t)sqlite3_column_bytes(st, i);
			if (!v->p)
				return snp_errf(err, SNP_E_NOMEM, "SQLite: out of memory");
			break;
		case SQLITE_BLOB:
			v->type = DB_BLOB;
			v->p = sqlite3_column_blob(st, i);
			v->len = (size_t)sqlite3_column_bytes(st, i);
			if (!v->p)
				v->p = ""; /* an empty blob */
			break;
		default:
			return snp_errf(err, SNP_E_INVALID,
					"SQLite: column %d holds a floating-point value", i);
		}
	}
	return 0;
}

/* Result columns per row at most (the store's widest SELECT has a dozen). */
#define SQLITE_MAX_COLS 32

static int sq_exec(void *conn, const char *sql, const struct db_val *params, size_t n,
		   db_row_fn *row, void *ctx, uint64_t *changes, struct snp_err *err)
{
	struct sq_conn *c = conn;
	struct db_val cols[SQLITE_MAX_COLS];
	sqlite3_stmt *st = NULL;
	int ret, rc, ncols;

	if ((ret = sq_prepare(c, sql, &st, err)) != 0)
		return ret;
	if ((ret = sq_bind(c, st, params, n, err)) != 0)
		goto out;
	ncols = sqlite3_column_count(st);
	if (ncols > SQLITE_MAX_COLS) {
		ret = snp_errf(err, SNP_E_INTERNAL, "SQLite: %d result columns", ncols);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!row)
			continue;
		if ((ret = sq_columns(st, cols, ncols, err)) != 0)
			goto out;
		if ((ret = row(ctx, cols, (size_t)ncols)) != 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		ret = sq_fail(c, rc, "step", err);
		goto out;
	}
	if (changes)
		*changes = (uint64_t)sqlite3_changes64(c->h);
	ret = 0;
out:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

static int sq_exec_script(void *conn, const char *sql, struct snp_err *err)
{
	return sq_run(conn, sql, err);
}

const struct db_backend db_sqlite_backend = {
	.name = "SQLite",
	.dialect = DB_SQLITE,
	.accepts = sq_accepts,
	.connect = sq_connect,
	.disconnect = sq_disconnect,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.exec = sq_exec,
	.exec_script = sq_exec_script,
};
