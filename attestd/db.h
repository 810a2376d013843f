/*
 * The SQL layer under attestd's store (attestd/store.h): one small executor
 * interface with two back ends, SQLite (attestd/db-sqlite.c, the default: one
 * file, WAL) and PostgreSQL through libpq (attestd/db-pg.c, loaded on first
 * use through util/dl.h, for several attestd replicas on one database). The
 * store's logic and its SQL are written once, in attestd/store*.c; a back end
 * only runs statements.
 *
 * SQL is written with '?' placeholders (the PostgreSQL back end numbers them
 * $1..$n) in the subset both dialects share (INSERT ... ON CONFLICT DO
 * NOTHING, BIGINT, TEXT); only the schema's column types differ, chosen by
 * db_dialect(). Blobs: BLOB on SQLite, BYTEA on PostgreSQL, bound and read as
 * DB_BLOB (binary, never escaped text).
 */
#ifndef SNPVM_ATTESTD_DB_H
#define SNPVM_ATTESTD_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/err.h"

enum db_type { DB_NULL, DB_INT, DB_TEXT, DB_BLOB };

/* A parameter or a result column. TEXT is NUL-terminated and len excludes the NUL. */
struct db_val {
	enum db_type type;
	int64_t i;     /* DB_INT */
	const void *p; /* DB_TEXT, DB_BLOB */
	size_t len;
};

#define DB_I(v) ((struct db_val){ .type = DB_INT, .i = (v) })
#define DB_T(s) ((struct db_val){ .type = DB_TEXT, .p = (s), .len = strlen(s) })
#define DB_B(b, n) ((struct db_val){ .type = DB_BLOB, .p = (b), .len = (n) })
#define DB_NUL ((struct db_val){ .type = DB_NULL })

/* Returned by db_exec (positive) when the statement broke a UNIQUE or PRIMARY KEY constraint. */
#define DB_CONFLICT 1

enum db_dialect { DB_SQLITE, DB_POSTGRESQL };

/*
 * How a transaction locks. DB_SERIAL transactions are serialised against each
 * other across every process sharing the database (SQLite: BEGIN IMMEDIATE;
 * PostgreSQL: pg_advisory_xact_lock on one constant key) - the audit chain's
 * appends use it, so the chain stays linear under concurrent writers.
 * DB_WRITE_SERIAL is both: DB_WRITE's isolation and DB_SERIAL's lock, for a
 * change and its audit row in one transaction (store_change_audited).
 */
enum db_lock { DB_READ, DB_WRITE, DB_SERIAL, DB_WRITE_SERIAL };

struct db;
struct db_conn;

/* One result row; return 0 to go on, anything else stops and is returned by db_exec. */
typedef int db_row_fn(void *ctx, const struct db_val *cols, size_t ncols);

/* The body of a transaction; 0 commits, anything else rolls back and is returned. */
typedef int db_tx_fn(struct db_conn *c, void *ctx, struct snp_err *err);

/*
 * Opens uri: "postgresql://..." or "postgres://..." (a libpq connection URI)
 * selects PostgreSQL, anything else is a SQLite file path (created mode 0600).
 * The handle is thread-safe: each transaction gets a connection of its own
 * (a small pool), so attestd's worker threads may call it at once.
 */
int db_open(const char *uri, struct db **out, struct snp_err *err) SNP_MUST_CHECK;

/* Closes every connection; NULL is allowed. */
void db_close(struct db *db);

/*
 * Opens connections until the pool holds n (0 or more than the pool's maximum:
 * the maximum) and fixes the pool at that size: later transactions wait for an
 * idle connection instead of opening one. attestd calls it before confining
 * itself (attestd/confine.h), when it can still open files and sockets. Call
 * it before any transaction runs.
 */
int db_reserve(struct db *db, size_t n, struct snp_err *err) SNP_MUST_CHECK;

enum db_dialect db_dialect(const struct db *db);

/*
 * Runs fn inside one transaction on one connection. A serialisation failure,
 * deadlock or busy database (never a DB_CONFLICT) re-runs fn from the start,
 * up to 16 times with a short randomised back-off, so fn must have no side
 * effects outside the database.
 *
 * Called from inside fn of a DB_WRITE_SERIAL db_tx on the same db and
 * thread, db_tx joins that transaction instead of starting one: fn runs on
 * the outer connection and its result decides nothing (the outer
 * transaction commits or rolls back, and retries, as a whole). Inside any
 * other lock a nested db_tx is a transaction of its own on another
 * connection, as from another thread.
 */
int db_tx(struct db *db, enum db_lock lock, db_tx_fn *fn, void *ctx, struct snp_err *err)
	SNP_MUST_CHECK;

/*
 * Runs one statement with n parameters; row (may be NULL) sees each result
 * row, valid only during the call. *changes (may be NULL) receives the number
 * of rows changed. Returns 0, DB_CONFLICT, row's non-zero value, or SNP_E_*.
 */
int db_exec(struct db_conn *c, const char *sql, const struct db_val *params, size_t n,
	    db_row_fn *row, void *ctx, uint64_t *changes, struct snp_err *err) SNP_MUST_CHECK;

/* Runs a script of ';'-separated statements without parameters (the schema). */
int db_exec_script(struct db_conn *c, const char *sql, struct snp_err *err) SNP_MUST_CHECK;

#endif
