/*
 * attestd's store on SQLite: the shared suite (tests/common/store-suite.c)
 * on a fresh database file per test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "tests/common/store-suite.h"

static void sqlite_fresh(void *ctx, const char *dir, char *uri, size_t len)
{
	(void)ctx;
	snprintf(uri, len, "%s/attestd.db", dir);
}

int main(void)
{
	static const struct store_target sqlite = { .name = "sqlite", .fresh = sqlite_fresh };

	return store_suite_run(&sqlite);
}
