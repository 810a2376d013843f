/*
 * The store's test suite (attestd/store.h), written once and run against
 * any database: tests/attestd/test-store.c runs it on SQLite files, and the
 * PostgreSQL tests run it on a private server. A target only says how to
 * make a fresh, empty database for one test.
 */
#ifndef SNPVM_TESTS_COMMON_STORE_SUITE_H
#define SNPVM_TESTS_COMMON_STORE_SUITE_H

#include <stddef.h>

struct store_target {
	const char *name; /* "sqlite", "postgresql": prefixes the cmocka group */
	/*
	 * Writes into uri (len bytes) the URI of a fresh empty database for one
	 * test; dir is that test's private temporary directory (removed after
	 * the test). Fails the test (cmocka) if it cannot.
	 */
	void (*fresh)(void *ctx, const char *dir, char *uri, size_t len);
	void *ctx;
};

/* Runs every store test against t as the cmocka group "store-<t->name>"; returns failures. */
int store_suite_run(const struct store_target *t);

#endif
