/*
 * The interface between attestd/db.c (URI dispatch, the connection pool, the
 * db_tx retry loop) and one SQL back end (attestd/db-sqlite.c,
 * attestd/db-pg.c). A back end only connects, runs statements and ends
 * transactions; everything shared lives in db.c, written once.
 *
 * Adding a back end: define a `const struct db_backend` in its own file,
 * declare it here and list it in db.c's `backends[]` table.
 */
#ifndef SNPVM_ATTESTD_DB_BACKEND_H
#define SNPVM_ATTESTD_DB_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attestd/db.h"
#include "util/err.h"

/*
 * Returned (with err filled, code SNP_E_SYS) by begin, exec, exec_script and
 * commit when the database was busy, or a serialisation failure or deadlock
 * broke the transaction: db.c rolls back and runs the whole transaction
 * again (up to 16 times). Never for a constraint violation (DB_CONFLICT).
 * Outside the SNP_E_* range; db_exec hands SNP_E_SYS to its caller instead.
 */
#define DB_E_RETRY (-1000)

struct db_backend {
	const char *name; /* "SQLite", "PostgreSQL": for messages */
	enum db_dialect dialect;
	/* True when uri names this back end's kind of database (asked in backends[] order). */
	bool (*accepts)(const char *uri);
	/*
	 * Opens one connection to uri into *conn. first is true for the first
	 * connection of a db_open, which may create the database (SQLite: the
	 * file, mode 0600) and set it up (SQLite: WAL). Called from any thread.
	 */
	int (*connect)(const char *uri, bool first, void **conn, struct snp_err *err);
	void (*disconnect)(void *conn);
	/* Starts a transaction that locks as lock says (attestd/db.h, enum db_lock). */
	int (*begin)(void *conn, enum db_lock lock, struct snp_err *err);
	int (*commit)(void *conn, struct snp_err *err);
	/* Ends the transaction without its changes (also after a failed commit); never fails. */
	void (*rollback)(void *conn);
	/* As db_exec (attestd/db.h), plus DB_E_RETRY. *changes is 0 on entry. */
	int (*exec)(void *conn, const char *sql, const struct db_val *params, size_t n,
		    db_row_fn *row, void *ctx, uint64_t *changes, struct snp_err *err);
	/* As db_exec_script, plus DB_E_RETRY. */
	int (*exec_script)(void *conn, const char *sql, struct snp_err *err);
};

extern const struct db_backend db_sqlite_backend;
/* attestd/db-pg.c; listed in db.c's backends[] once that file exists. */
extern const struct db_backend db_pg_backend;

/*
 * db_open with back end be, whatever the URI: tests drive db.c's pool and
 * retry loop through a fake back end with it.
 */
int db_open_backend(const struct db_backend *be, const char *uri, struct db **out,
		    struct snp_err *err) SNP_MUST_CHECK;

/* True for "postgresql://" and "postgres://" URIs (case-insensitive scheme). */
bool db_uri_is_postgresql(const char *uri);

#endif
