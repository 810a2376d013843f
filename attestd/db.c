/*
 * attestd/db.h over the back ends of attestd/db-backend.h: the choice of back
 * end by URI, a small connection pool, and the one transaction loop (retry on
 * busy or serialisation failure with randomised back-off) both back ends share.
 */
#include "attestd/db.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/rand.h>

#include "attestd/db-backend.h"

/* Connections a db keeps open at most (each transaction holds one). */
#define DB_POOL_MAX 8
/* Runs of one transaction before a busy database is reported. */
#define DB_TX_TRIES 16

/* In the order they are asked: the first that accepts a URI opens it. */
static const struct db_backend *const backends[] = {
	&db_sqlite_backend,
	&db_pg_backend,
};

struct db_conn {
	struct db *db;
	void *be;        /* the back end's connection */
	bool must_retry; /* a statement of this transaction returned DB_E_RETRY */
};

/* The DB_WRITE_SERIAL transaction this thread is inside (db_tx joins it), or NULL. */
static _Thread_local struct db_conn *tx_current;

struct db {
	const struct db_backend *be;
	char *uri;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct db_conn *idle[DB_POOL_MAX];
	size_t nidle;
	size_t nopen; /* connections that exist, idle or in use */
	size_t cap;   /* the pool's size: DB_POOL_MAX, or fixed by db_reserve */
};

bool db_uri_is_postgresql(const char *uri)
{
	return strncasecmp(uri, "postgresql://", 13) == 0 || strncasecmp(uri, "postgres://", 11) == 0;
}

/* SQLite accepts every URI, so a PostgreSQL URI with no PostgreSQL back end is caught here. */
static const struct db_backend *backend_for(const char *uri, struct snp_err *err)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		if (db_uri_is_postgresql(uri) && backends[i]->dialect != DB_POSTGRESQL)
			continue;
		if (backends[i]->accepts(uri))
			return backends[i];
	}
	if (db_uri_is_postgresql(uri))
		snp_errf(err, SNP_E_UNSUPPORTED, "database URI: this build has no PostgreSQL back end");
	else
		snp_errf(err, SNP_E_UNSUPPORTED, "database %s: no back end accepts it", uri);
	return NULL;
}

static void conn_free(struct db_conn *c)
{
	if (!c)
		return;
	if (c->be)
		c->db->be->disconnect(c->be);
	free(c);
}

static int conn_new(struct db *db, bool first, struct db_conn **out, struct snp_err *err)
{
	struct db_conn *c = calloc(1, sizeof(*c));
	int ret;

	*out = NULL;
	if (!c)
		return snp_errf(err, SNP_E_NOMEM, "database: out of memory");
	c->db = db;
	if ((ret = db->be->connect(db->uri, first, &c->be, err)) != 0) {
		free(c);
		return ret == DB_E_RETRY ? SNP_E_SYS : ret;
	}
	*out = c;
	return 0;
}

int db_open(const char *uri, struct db **out, struct snp_err *err)
{
	const struct db_backend *be;

	*out = NULL;
	if (!uri || !*uri)
		return snp_errf(err, SNP_E_INVALID, "database: empty URI or path");
	if (!(be = backend_for(uri, err)))
		return SNP_E_UNSUPPORTED;
	return db_open_backend(be, uri, out, err);
}

int db_open_backend(const struct db_backend *be, const char *uri, struct db **out,
		    struct snp_err *err)
{
	struct db *db = NULL;
	struct db_conn *c = NULL;
	int ret = SNP_E_INTERNAL;

	*out = NULL;
	db = calloc(1, sizeof(*db));
	if (!db || !(db->uri = strdup(uri))) {
		ret = snp_errf(err, SNP_E_NOMEM, "database: out of memory");
		goto out;
	}
	db->be = be;
	if (pthread_mutex_init(&db->mu, NULL) != 0) {
		ret = snp_errf(err, SNP_E_SYS, "database: pthread_mutex_init failed");
		goto out;
	}
	if (pthread_cond_init(&db->cv, NULL) != 0) {
		pthread_mutex_destroy(&db->mu);
		ret = snp_errf(err, SNP_E_SYS, "database: pthread_cond_init failed");
		goto out;
	}
	/* The first connection now: a bad path or URI fails db_open, not the first request. */
	if ((ret = conn_new(db, true, &c, err)) != 0) {
		pthread_cond_destroy(&db->cv);
		pthread_mutex_destroy(&db->mu);
		goto out;
	}
	db->idle[db->nidle++] = c;
	db->nopen = 1;
	db->cap = DB_POOL_MAX;
	*out = db;
	db = NULL;
	ret = 0;
out:
	if (db) {
		free(db->uri);
		free(db);
	}
	return ret;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	/* Every transaction has ended: db_tx returns its connection before it returns. */
	for (size_t i = 0; i < db->nidle; i++)
		conn_free(db->idle[i]);
	pthread_cond_destroy(&db->cv);
	pthread_mutex_destroy(&db->mu);
	free(db->uri);
	free(db);
}

enum db_dialect db_dialect(const struct db *db)
{
	return db->be->dialect;
}

static int pool_get(struct db *db, struct db_conn **out, struct snp_err *err)
{
	bool make = false;

	*out = NULL;
	pthread_mutex_lock(&db->mu);
	while (db->nidle == 0 && db->nopen >= db->cap)
		pthread_cond_wait(&db->cv, &db->mu);
	if (db->nidle > 0) {
		*out = db->idle[--db->nidle];
	} else {
		db->nopen++;
		make = true;
	}
	pthread_mutex_unlock(&db->mu);
	if (make) {
		int ret = conn_new(db, false, out, err);

		if (ret != 0) {
			pthread_mutex_lock(&db->mu);
			db->nopen--;
			pthread_cond_signal(&db->cv);
			pthread_mutex_unlock(&db->mu);
			return ret;
		}
	}
	return 0;
}

int db_reserve(struct db *db, size_t n, struct snp_err *err)
{
	int ret;

	if (n == 0 || n > DB_POOL_MAX)
		n = DB_POOL_MAX;
	pthread_mutex_lock(&db->mu);
	while (db->nopen < n) {
		struct db_conn *c = NULL;

		/* Single-threaded by contract: no transaction runs while the pool fills. */
		if ((ret = conn_new(db, false, &c, err)) != 0) {
			pthread_mutex_unlock(&db->mu);
			return ret;
		}
		db->idle[db->nidle++] = c;
		db->nopen++;
	}
	db->cap = db->nopen;
	pthread_mutex_unlock(&db->mu);
	return 0;
}

static void pool_put(struct db *db, struct db_conn *c)
{
	pthread_mutex_lock(&db->mu);
	c->must_retry = false;
	db->idle[db->nidle++] = c;
	pthread_cond_signal(&db->cv);
	pthread_mutex_unlock(&db->mu);
}

/* A random pause of up to 1 << (try + 10) microseconds, capped at about 65 ms. */
static void backoff(unsigned try)
{
	unsigned shift = try < 6 ? try + 10 : 16;
	uint32_t r = 0;
	struct timespec ts;

	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint32_t)try * 7919u;
	r &= (1u << shift) - 1;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)r * 1000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int db_tx(struct db *db, enum db_lock lock, db_tx_fn *fn, void *ctx, struct snp_err *err)
{
	int ret = SNP_E_INTERNAL;

	if (tx_current != NULL && tx_current->db == db)
		return fn(tx_current, ctx, err);
	for (unsigned try = 0; try < DB_TX_TRIES; try++) {
		struct db_conn *c = NULL;

		if (try > 0)
			backoff(try);
		snp_err_clear(err);
		if ((ret = pool_get(db, &c, err)) != 0)
			return ret;
		ret = db->be->begin(c->be, lock, err);
		if (ret == 0) {
			struct db_conn *outer = tx_current;

			if (lock == DB_WRITE_SERIAL)
				tx_current = c;
			ret = fn(c, ctx, err);
			tx_current = outer;
			if (ret == 0) {
				ret = db->be->commit(c->be, err);
				if (ret == DB_E_RETRY)
					c->must_retry = true;
			}
		} else if (ret == DB_E_RETRY) {
			c->must_retry = true;
		}
		if (ret != 0)
			db->be->rollback(c->be);
		bool again = ret != 0 && c->must_retry;

		pool_put(db, c);
		if (!again)
			return ret;
	}
	if (err)
		snp_err_prefix(err, "database still busy after %d attempts: ", DB_TX_TRIES);
	return SNP_E_SYS;
}

int db_exec(struct db_conn *c, const char *sql, const struct db_val *params, size_t n,
	    db_row_fn *row, void *ctx, uint64_t *changes, struct snp_err *err)
{
	int ret;

	if (changes)
		*changes = 0;
	ret = c->db->be->exec(c->be, sql, params, n, row, ctx, changes, err);
	if (ret == DB_E_RETRY) {
		c->must_retry = true;
		return SNP_E_SYS;
	}
	return ret;
}

int db_exec_script(struct db_conn *c, const char *sql, struct snp_err *err)
{
	int ret = c->db->be->exec_script(c->be, sql, err);

	if (ret == DB_E_RETRY) {
		c->must_retry = true;
		return SNP_E_SYS;
	}
	return ret;
}
