/*
 * The store's tables, once per dialect: SQLite and PostgreSQL differ only in
 * the type of binary columns (BLOB, BYTEA). Integers are BIGINT on both
 * (SQLite stores every INTEGER as 64 bits).
 */
#include "attestd/store-int.h"

/* BIN is the binary column type. */
#define SCHEMA(BIN) \
	/* A known value sealed under the key, so a wrong master key is refused at open. */ \
	"CREATE TABLE IF NOT EXISTS meta (" \
	" name TEXT PRIMARY KEY, iv " BIN " NOT NULL, ct " BIN " NOT NULL);" \
	"CREATE TABLE IF NOT EXISTS principals (" \
	" name TEXT PRIMARY KEY, token_hash " BIN " NOT NULL, created BIGINT NOT NULL," \
	" mac " BIN " NOT NULL);" \
	"CREATE TABLE IF NOT EXISTS repositories (" \
	" name TEXT PRIMARY KEY, tenant TEXT NOT NULL, created BIGINT NOT NULL," \
	" mac " BIN " NOT NULL);" \
	"CREATE TABLE IF NOT EXISTS resources (" \
	" repo TEXT NOT NULL, type TEXT NOT NULL, tag TEXT NOT NULL, version BIGINT NOT NULL," \
	" tenant TEXT NOT NULL, created BIGINT NOT NULL, iv " BIN " NOT NULL, ct " BIN " NOT NULL," \
	" PRIMARY KEY (repo, type, tag, version));" \
	"CREATE TABLE IF NOT EXISTS policies (" \
	" scope TEXT NOT NULL, version BIGINT NOT NULL, repo TEXT NOT NULL," \
	" tenant TEXT NOT NULL, policy TEXT NOT NULL, created BIGINT NOT NULL," \
	" mac " BIN " NOT NULL, PRIMARY KEY (scope, version));" \
	"CREATE TABLE IF NOT EXISTS sessions (" \
	" id TEXT PRIMARY KEY, nonce TEXT NOT NULL, state BIGINT NOT NULL," \
	" expires BIGINT NOT NULL, token TEXT, tee_pubkey TEXT, mac " BIN " NOT NULL);" \
	"CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires);" \
	"CREATE TABLE IF NOT EXISTS nonces (" \
	" nonce TEXT PRIMARY KEY, expires BIGINT NOT NULL);" \
	"CREATE INDEX IF NOT EXISTS nonces_expires ON nonces (expires);" \
	"CREATE TABLE IF NOT EXISTS audit (" \
	" seq BIGINT PRIMARY KEY, time BIGINT NOT NULL, tenant TEXT, record TEXT NOT NULL," \
	" hash " BIN " NOT NULL, mac " BIN " NOT NULL);" \
	"CREATE INDEX IF NOT EXISTS audit_tenant ON audit (tenant, seq);" \
	/* One row (id 1): the last link, MAC'd, so a truncated tail is seen. */ \
	"CREATE TABLE IF NOT EXISTS audit_head (" \
	" id BIGINT PRIMARY KEY, seq BIGINT NOT NULL, hash " BIN " NOT NULL, mac " BIN " NOT NULL);" \
	"CREATE TABLE IF NOT EXISTS signing_keys (" \
	" kid TEXT PRIMARY KEY, created BIGINT NOT NULL, sign_until BIGINT NOT NULL," \
	" publish_until BIGINT NOT NULL, pub TEXT NOT NULL, iv " BIN " NOT NULL," \
	" ct " BIN " NOT NULL, mac " BIN " NOT NULL)"

static const char schema_sqlite[] = SCHEMA("BLOB");
static const char schema_pg[] = SCHEMA("BYTEA");

static int schema_tx(struct db_conn *c, void *ctx, struct snp_err *err)
{
	return db_exec_script(c, ctx, err);
}

int store_schema_create(struct db *db, struct snp_err *err)
{
	const char *sql = db_dialect(db) == DB_POSTGRESQL ? schema_pg : schema_sqlite;

	/* Serialised: two replicas starting at once on one PostgreSQL database do not race. */
	return db_tx(db, DB_SERIAL, schema_tx, (void *)sql, err);
}
