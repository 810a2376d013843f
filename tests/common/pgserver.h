/*
 * A private PostgreSQL server for a test: initdb into a fresh directory under
 * /tmp, then `postgres` listening only on a Unix socket in that directory
 * (listen_addresses empty: no TCP port, nothing shared with other tests or a
 * system cluster). PostgreSQL refuses to run as root, so a test running as
 * root starts it as the `postgres` system user that Debian's postgresql
 * package creates. Server binaries are looked up under
 * /usr/lib/postgresql/<version>/bin (the newest version there).
 */
#ifndef SNPVM_TESTS_COMMON_PGSERVER_H
#define SNPVM_TESTS_COMMON_PGSERVER_H

#include <stdbool.h>
#include <stddef.h>

struct pgserver;

/*
 * Starts a server and waits (bounded) until it accepts connections. Returns
 * it, or NULL with why[] filled when the server cannot run here (binaries
 * absent, or root with no postgres user): the caller skips with that reason.
 * durable false turns fsync off (faster; a crash may then lose committed
 * data, so crash tests pass true). Fails the test (cmocka) on any other error.
 */
struct pgserver *pgserver_start(bool durable, char *why, size_t whylen);

/*
 * Creates the database name (fresh) and returns its libpq URI
 * ("postgresql:///name?host=<socket dir>&user=postgres"), malloc'd.
 */
char *pgserver_createdb(struct pgserver *s, const char *name);

/* The data directory (for tests that inspect or damage it). */
const char *pgserver_datadir(const struct pgserver *s);

/*
 * A server restart: fast shutdown (every session is ended, as a clients sees
 * it when its server restarts), then the same server started again on the
 * same data and socket directory, waited for until it accepts connections.
 */
void pgserver_restart(struct pgserver *s);

/* Fast shutdown (SIGINT), bounded wait, then removes every file; NULL is allowed. */
void pgserver_stop(struct pgserver *s);

#endif
