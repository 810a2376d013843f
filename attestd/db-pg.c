/*
 * The PostgreSQL back end of attestd/db.h (attestd/db-backend.h), through
 * libpq loaded on first use (util/dl.h). Each statement is prepared once per
 * connection (PQprepare, then PQexecPrepared); parameters and results are in
 * binary format (INT8 big-endian, TEXT and BYTEA as raw bytes), so no value is
 * ever quoted into SQL text. The wire formats are PostgreSQL's typsend/typrecv
 * ones (PostgreSQL documentation, "Frontend/Backend Protocol", and
 * src/backend/utils/adt/int8.c, varlena.c).
 *
 * Isolation, chosen so that the SQL the store writes once behaves as it does
 * on SQLite (where writers are serialised outright):
 *   DB_READ   REPEATABLE READ: one snapshot for the whole transaction.
 *   DB_WRITE  SERIALIZABLE: concurrent writers that would not be serialisable
 *             fail with SQLSTATE 40001 and db_tx re-runs them.
 *   DB_SERIAL READ COMMITTED + pg_advisory_xact_lock(one constant key): the
 *             lock makes these transactions run one at a time across every
 *             replica; READ COMMITTED takes a fresh snapshot per statement,
 *             so the statements after the lock see what the previous holder
 *             committed (under REPEATABLE READ the snapshot would date from
 *             before the wait, and the audit chain would fork).
 *   DB_WRITE_SERIAL  SERIALIZABLE, after taking the same key's session-level
 *             lock (pg_advisory_lock, released after COMMIT or ROLLBACK):
 *             taken before BEGIN, so the transaction's snapshot dates from
 *             after the wait, as DB_SERIAL's statements do.
 */
#include "attestd/db-backend.h"

#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "util/dl.h"

/* Built-in type OIDs (PostgreSQL src/include/catalog/pg_type.dat; stable across versions). */
#define PG_BOOLOID 16
#define PG_BYTEAOID 17
#define PG_NAMEOID 19
#define PG_INT8OID 20
#define PG_INT2OID 21
#define PG_INT4OID 23
#define PG_TEXTOID 25
#define PG_BPCHAROID 1042
#define PG_VARCHAROID 1043
#define PG_VOIDOID 2278

/* pg_advisory_xact_lock's key for DB_SERIAL: "snpvmaud" as a big-endian int64. */
#define PG_SERIAL_KEY "8317709215743440228"

/* Prepared statements a connection keeps (the store uses a few dozen). */
#define PG_STMT_CACHE 64

/* The libpq calls used, resolved on open (util/dl.h says why). */
struct pq_api {
	void *handle;
	PGconn *(*connectdb)(const char *conninfo);
	ConnStatusType (*status)(const PGconn *conn);
	char *(*error_message)(const PGconn *conn);
	void (*finish)(PGconn *conn);
	PGresult *(*exec)(PGconn *conn, const char *query);
	PGresult *(*exec_params)(PGconn *conn, const char *command, int n, const Oid *types,
				 const char *const *values, const int *lengths, const int *formats,
				 int result_format);
	ExecStatusType (*result_status)(const PGresult *res);
	char *(*result_error_field)(const PGresult *res, int fieldcode);
	void (*clear)(PGresult *res);
	int (*ntuples)(const PGresult *res);
	int (*nfields)(const PGresult *res);
	Oid (*ftype)(const PGresult *res, int col);
	char *(*getvalue)(const PGresult *res, int row, int col);
	int (*getlength)(const PGresult *res, int row, int col);
	int (*getisnull)(const PGresult *res, int row, int col);
	char *(*cmd_tuples)(PGresult *res);
	PQnoticeProcessor (*set_notice_processor)(PGconn *conn, PQnoticeProcessor fn, void *arg);
	const char *(*parameter_status)(const PGconn *conn, const char *name);
	void (*reset)(PGconn *conn);
	PGresult *(*prepare)(PGconn *conn, const char *name, const char *query, int n,
			     const Oid *types);
	PGresult *(*exec_prepared)(PGconn *conn, const char *name, int n, const char *const *values,
				   const int *lengths, const int *formats, int result_format);
};

static const char *const api_names[] = {
	"PQconnectdb", "PQstatus", "PQerrorMessage", "PQfinish", "PQexec", "PQexecParams",
	"PQresultStatus", "PQresultErrorField", "PQclear", "PQntuples", "PQnfields", "PQftype",
	"PQgetvalue", "PQgetlength", "PQgetisnull", "PQcmdTuples", "PQsetNoticeProcessor",
	"PQparameterStatus", "PQreset", "PQprepare", "PQexecPrepared",
};

static int api_load(struct pq_api *a, struct snp_err *err)
{
	void *fn[sizeof(api_names) / sizeof(api_names[0])];
	int ret;

	if ((ret = dl_open("libpq.so.5", api_names, fn, sizeof(fn) / sizeof(fn[0]), &a->handle,
			   err)) != 0)
		return snp_err_prefix(err, "the PostgreSQL store needs libpq (Debian package "
				      "libpq5): ");
	a->connectdb = (PGconn * (*)(const char *)) fn[0];
	a->status = (ConnStatusType(*)(const PGconn *))fn[1];
	a->error_message = (char *(*)(const PGconn *))fn[2];
	a->finish = (void (*)(PGconn *))fn[3];
	a->exec = (PGresult * (*)(PGconn *, const char *)) fn[4];
	a->exec_params = (PGresult * (*)(PGconn *, const char *, int, const Oid *,
					 const char *const *, const int *, const int *, int))fn[5];
	a->result_status = (ExecStatusType(*)(const PGresult *))fn[6];
	a->result_error_field = (char *(*)(const PGresult *, int))fn[7];
	a->clear = (void (*)(PGresult *))fn[8];
	a->ntuples = (int (*)(const PGresult *))fn[9];
	a->nfields = (int (*)(const PGresult *))fn[10];
	a->ftype = (Oid(*)(const PGresult *, int))fn[11];
	a->getvalue = (char *(*)(const PGresult *, int, int))fn[12];
	a->getlength = (int (*)(const PGresult *, int, int))fn[13];
	a->getisnull = (int (*)(const PGresult *, int, int))fn[14];
	a->cmd_tuples = (char *(*)(PGresult *))fn[15];
	a->set_notice_processor = (PQnoticeProcessor(*)(PGconn *, PQnoticeProcessor, void *))fn[16];
	a->parameter_status = (const char *(*)(const PGconn *, const char *))fn[17];
	a->reset = (void (*)(PGconn *))fn[18];
	a->prepare = (PGresult * (*)(PGconn *, const char *, const char *, int,
				     const Oid *)) fn[19];
	a->exec_prepared = (PGresult * (*)(PGconn *, const char *, int, const char *const *,
					   const int *, const int *, int))fn[20];
	return 0;
}

/*
 * A statement prepared on one connection, by its text and its parameter
 * types (a NULL parameter leaves its type to the server, so the same text
 * with other types is another statement).
 */
struct pg_stmt {
	char *sql;  /* as the store wrote it, with '?' */
	char *sig;  /* one letter per parameter: n(ull) i(nt) t(ext) b(lob) */
	char name[24];
};

/* One connection; libpq is loaded per connection (dlopen counts references). */
struct pgconn {
	struct pq_api api;
	PGconn *pq;
	struct pg_stmt cache[PG_STMT_CACHE];
	size_t ncache, next_evict;
	uint64_t next_name;
	bool session_locked; /* holds PG_SERIAL_KEY's session-level lock (DB_WRITE_SERIAL) */
};

/* Copies src (n bytes) to out, replacing it by "***" if redact; returns the new length. */
static size_t put(char *out, size_t len, size_t at, const char *src, size_t n, bool redact)
{
	if (redact) {
		src = "***";
		n = 3;
	}
	for (size_t i = 0; i < n && at + 1 < len; i++)
		out[at++] = src[i];
	out[at < len ? at : len - 1] = '\0';
	return at;
}

/*
 * uri with the password left out (libpq URI: the part of the userinfo after
 * ':', and any password= query parameter), for error messages.
 */
static void uri_redact(const char *uri, char *out, size_t len)
{
	const char *p = strstr(uri, "://"), *auth, *auth_end, *at, *colon;
	size_t o = 0;

	out[0] = '\0';
	if (p == NULL) {
		put(out, len, 0, uri, strlen(uri), false);
		return;
	}
	auth = p + 3;
	auth_end = auth + strcspn(auth, "/?");
	o = put(out, len, o, uri, (size_t)(auth - uri), false);
	at = NULL;
	for (const char *q = auth; q < auth_end; q++)
		if (*q == '@')
			at = q;
	if (at && (colon = memchr(auth, ':', (size_t)(at - auth))) != NULL) {
		o = put(out, len, o, auth, (size_t)(colon + 1 - auth), false);
		o = put(out, len, o, NULL, 0, true);
		o = put(out, len, o, at, (size_t)(auth_end - at), false);
	} else {
		o = put(out, len, o, auth, (size_t)(auth_end - auth), false);
	}
	/* The path and query, parameter by parameter. */
	for (p = auth_end; *p;) {
		size_t n = strcspn(p + 1, "&") + 1;

		if ((p[0] == '?' || p[0] == '&') && strncmp(p + 1, "password=", 9) == 0) {
			o = put(out, len, o, p, 10, false);
			o = put(out, len, o, NULL, 0, true);
		} else {
			o = put(out, len, o, p, n, false);
		}
		p += n;
	}
}

/* libpq's default notice processor prints to stderr; a library never prints. */
static void notice_ignore(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Drops libpq's trailing newline from a message. */
static const char *trim(char *msg)
{
	size_t n = msg ? strlen(msg) : 0;

	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	return msg ? msg : "";
}

static bool pg_accepts(const char *uri)
{
	return db_uri_is_postgresql(uri);
}

/* Forgets the prepared statements (the server forgets them with the session). */
static void cache_clear(struct pgconn *c)
{
	for (size_t i = 0; i < c->ncache; i++) {
		free(c->cache[i].sql);
		free(c->cache[i].sig);
	}
	c->ncache = 0;
	c->next_evict = 0;
}

static void pg_disconnect(void *conn)
{
	struct pgconn *c = conn;

	if (c == NULL)
		return;
	cache_clear(c);
	if (c->pq)
		c->api.finish(c->pq);
	dl_close(c->api.handle);
	free(c);
}

/* After a (re)connect: the settings every connection needs, or an error. */
static int conn_check(struct pgconn *c, const char *uri, struct snp_err *err)
{
	const struct pq_api *a = &c->api;
	char shown[256];
	const char *scs;

	if (a->status(c->pq) != CONNECTION_OK) {
		uri_redact(uri, shown, sizeof(shown));
		return snp_errf(err, SNP_E_SYS, "postgresql: cannot connect to %s: %s", shown,
				trim(a->error_message(c->pq)));
	}
	a->set_notice_processor(c->pq, notice_ignore, NULL);
	/* sql_number() reads '...' literals the standard way (no backslash escapes). */
	scs = a->parameter_status(c->pq, "standard_conforming_strings");
	if (scs == NULL || strcmp(scs, "on") != 0) {
		uri_redact(uri, shown, sizeof(shown));
		return snp_errf(err, SNP_E_UNSUPPORTED,
				"postgresql: %s: standard_conforming_strings is off", shown);
	}
	return 0;
}

static int pg_connect(const char *uri, bool first, void **conn, struct snp_err *err)
{
	struct pgconn *c;
	int ret;

	(void)first; /* the database and its schema are the operator's and the store's */
	*conn = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return snp_errf(err, SNP_E_NOMEM, "out of memory");
	if ((ret = api_load(&c->api, err)) != 0) {
		free(c);
		return ret;
	}
	if ((c->pq = c->api.connectdb(uri)) == NULL) {
		pg_disconnect(c);
		return snp_errf(err, SNP_E_NOMEM, "postgresql: out of memory connecting");
	}
	if ((ret = conn_check(c, uri, err)) != 0) {
		pg_disconnect(c);
		return ret;
	}
	*conn = c;
	return 0;
}

/* Fills err from a failed result; returns DB_CONFLICT, DB_E_RETRY or SNP_E_SYS. */
static int result_error(struct pgconn *c, PGresult *res, const char *what, struct snp_err *err)
{
	const struct pq_api *a = &c->api;
	const char *state = res ? a->result_error_field(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? a->result_error_field(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (msg == NULL)
		msg = trim(a->error_message(c->pq));
	if (state && strcmp(state, "23505") == 0) {
		snp_errf(err, SNP_E_REFUSED, "postgresql: %s: %s (SQLSTATE 23505)", what, msg);
		return DB_CONFLICT;
	}
	snp_errf(err, SNP_E_SYS, "postgresql: %s: %s (SQLSTATE %s)", what, msg,
		 state ? state : "none");
	/* serialization_failure, deadlock_detected (PostgreSQL Appendix A): db.c runs it again. */
	if (state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0))
		return DB_E_RETRY;
	return SNP_E_SYS;
}

/* Runs statements without parameters (BEGIN, COMMIT, the lock, a script); rows are ignored. */
static int run_simple(struct pgconn *c, const char *sql, const char *what, struct snp_err *err)
{
	const struct pq_api *a = &c->api;
	PGresult *res = a->exec(c->pq, sql);
	ExecStatusType st = res ? a->result_status(res) : PGRES_FATAL_ERROR;
	int ret = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		ret = result_error(c, res, what ? what : sql, err);
	a->clear(res);
	return ret;
}

static const char *const begin_sql[] = {
	[DB_READ] = "BEGIN ISOLATION LEVEL REPEATABLE READ",
	[DB_WRITE] = "BEGIN ISOLATION LEVEL SERIALIZABLE",
	[DB_SERIAL] = "BEGIN ISOLATION LEVEL READ COMMITTED",
	[DB_WRITE_SERIAL] = "BEGIN ISOLATION LEVEL SERIALIZABLE",
};

/* Releases the session-level lock of a DB_WRITE_SERIAL transaction that has ended. */
static void session_unlock(struct pgconn *c)
{
	if (!c->session_locked)
		return;
	c->session_locked = false;
	(void)run_simple(c, "SELECT pg_advisory_unlock(" PG_SERIAL_KEY ")", NULL, NULL);
}

static int pg_begin(void *conn, enum db_lock lock, struct snp_err *err)
{
	struct pgconn *c = conn;
	int ret;

	if ((unsigned)lock > DB_WRITE_SERIAL)
		return snp_errf(err, SNP_E_INVALID, "db_tx: unknown lock mode %d", (int)lock);
	if (lock == DB_WRITE_SERIAL) {
		if ((ret = run_simple(c, "SELECT pg_advisory_lock(" PG_SERIAL_KEY ")", NULL, err)) != 0)
			return ret;
		c->session_locked = true;
	}
	ret = run_simple(c, begin_sql[lock], NULL, err);
	if (ret != 0 && c->api.status(c->pq) == CONNECTION_BAD) {
		/* The server dropped this idle connection (restart, timeout): reconnect once. */
		c->api.reset(c->pq);
		cache_clear(c);
		if (c->api.status(c->pq) != CONNECTION_OK)
			return ret;
		c->api.set_notice_processor(c->pq, notice_ignore, NULL);
		ret = run_simple(c, begin_sql[lock], NULL, err);
	}
	if (ret == 0 && lock == DB_SERIAL)
		ret = run_simple(c, "SELECT pg_advisory_xact_lock(" PG_SERIAL_KEY ")", NULL, err);
	/* A failed begin is followed by pg_rollback (db.c), which releases the session lock. */
	return ret;
}

static int pg_commit(void *conn, struct snp_err *err)
{
	int ret = run_simple(conn, "COMMIT", NULL, err);

	if (ret == 0)
		session_unlock(conn);
	return ret;
}

static void pg_rollback(void *conn)
{
	(void)run_simple(conn, "ROLLBACK", NULL, NULL);
	session_unlock(conn);
}

static bool ident_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_';
}

/*
 * sql with its '?' placeholders numbered $1..$n, malloc'd in *out. A '?'
 * inside a '...' literal, a "..." identifier or a comment is text, not a
 * placeholder; E'...' and $$...$$ strings (whose quoting rules differ) are
 * refused. The number of placeholders must be n.
 */
static int sql_number(const char *sql, size_t n, char **out, struct snp_err *err)
{
	size_t len = strlen(sql), o = 0, k = 0;
	char *q;

	*out = NULL;
	/* Each '?' becomes "$" and at most 5 digits (n <= 65535, checked by the caller). */
	if (len > (SIZE_MAX - 1) / 6 || (q = malloc(len * 6 + 1)) == NULL)
		return snp_errf(err, SNP_E_NOMEM, "out of memory");
	for (size_t i = 0; i < len;) {
		char ch = sql[i];
		const char *end = NULL;

		if (ch == '\'' || ch == '"') {
			if (ch == '\'' && i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
			    (i == 1 || !ident_char(sql[i - 2]))) {
				free(q);
				return snp_errf(err, SNP_E_UNSUPPORTED,
						"sql: E'...' string at offset %zu", i - 1);
			}
			/* A doubled quote inside is one quote character. */
			for (end = sql + i + 1; *end; end++)
				if (*end == ch && end[1] != ch)
					break;
				else if (*end == ch)
					end++;
			if (*end == '\0') {
				free(q);
				return snp_errf(err, SNP_E_INVALID,
						"sql: unterminated %c at offset %zu", ch, i);
			}
			end++;
		} else if (ch == '-' && sql[i + 1] == '-') {
			end = sql + i + strcspn(sql + i, "\n");
		} else if (ch == '/' && sql[i + 1] == '*') {
			end = strstr(sql + i + 2, "*/");
			end = end ? end + 2 : sql + len;
		} else if (ch == '$') {
			free(q);
			return snp_errf(err, SNP_E_UNSUPPORTED,
					"sql: '$' at offset %zu (write '?')", i);
		} else if (ch == '?') {
			if (k == n) {
				free(q);
				return snp_errf(err, SNP_E_INVALID,
						"sql: more placeholders than %zu parameters", n);
			}
			o += (size_t)sprintf(q + o, "$%zu", ++k);
			i++;
			continue;
		}
		if (end == NULL)
			end = sql + i + 1;
		memcpy(q + o, sql + i, (size_t)(end - (sql + i)));
		o += (size_t)(end - (sql + i));
		i = (size_t)(end - sql);
	}
	q[o] = '\0';
	if (k != n) {
		free(q);
		return snp_errf(err, SNP_E_INVALID, "sql: %zu placeholders for %zu parameters", k,
				n);
	}
	*out = q;
	return 0;
}

static uint64_t be_load(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* One binary result value as a db_val. */
static int col_decode(Oid type, const uint8_t *p, int len, struct db_val *v, struct snp_err *err)
{
	size_t n = (size_t)len;
	size_t want = 0;

	switch (type) {
	case PG_BOOLOID:
		want = 1;
		break;
	case PG_INT2OID:
		want = 2;
		break;
	case PG_INT4OID:
		want = 4;
		break;
	case PG_INT8OID:
		want = 8;
		break;
	case PG_TEXTOID:
	case PG_VARCHAROID:
	case PG_BPCHAROID:
	case PG_NAMEOID:
		*v = (struct db_val){ .type = DB_TEXT, .p = p, .len = n }; /* libpq adds a NUL */
		return 0;
	case PG_BYTEAOID:
		*v = (struct db_val){ .type = DB_BLOB, .p = p, .len = n };
		return 0;
	case PG_VOIDOID:
		*v = (struct db_val){ .type = DB_NULL };
		return 0;
	default:
		return snp_errf(err, SNP_E_UNSUPPORTED, "postgresql: result column of type OID %u",
				(unsigned)type);
	}
	if (n != want)
		return snp_errf(err, SNP_E_INVALID, "postgresql: integer of %zu bytes, want %zu", n,
				want);
	{
		/* Sign-extend the big-endian two's complement value. */
		uint64_t u = be_load(p, n), sign = (uint64_t)1 << (8 * n - 1);

		*v = (struct db_val){ .type = DB_INT, .i = (int64_t)((u ^ sign) - sign) };
		if (type == PG_BOOLOID)
			v->i = u != 0;
	}
	return 0;
}

/* The parameters of one statement in libpq's arrays, binary format. */
struct pg_params {
	Oid *types;
	const char **values;
	int *lens, *formats;
	uint8_t (*i8)[8]; /* DB_INT values, big-endian */
	char *sig;        /* as struct pg_stmt's */
};

static void params_free(struct pg_params *p)
{
	free(p->types);
	free(p->values);
	free(p->lens);
	free(p->formats);
	free(p->i8);
	free(p->sig);
}

static int params_bind(struct pg_params *p, const struct db_val *params, size_t n,
		       struct snp_err *err)
{
	memset(p, 0, sizeof(*p));
	p->types = calloc(n + 1, sizeof(*p->types));
	p->values = calloc(n + 1, sizeof(*p->values));
	p->lens = calloc(n + 1, sizeof(*p->lens));
	p->formats = calloc(n + 1, sizeof(*p->formats));
	p->i8 = calloc(n + 1, sizeof(*p->i8));
	p->sig = calloc(n + 1, 1);
	if (!p->types || !p->values || !p->lens || !p->formats || !p->i8 || !p->sig)
		return snp_errf(err, SNP_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct db_val *v = &params[i];

		p->formats[i] = 1;
		switch (v->type) {
		case DB_NULL:
			p->sig[i] = 'n'; /* type 0: the server infers it; value NULL */
			break;
		case DB_INT:
			for (int j = 0; j < 8; j++)
				p->i8[i][j] = (uint8_t)((uint64_t)v->i >> (56 - 8 * j));
			p->sig[i] = 'i';
			p->types[i] = PG_INT8OID;
			p->values[i] = (const char *)p->i8[i];
			p->lens[i] = 8;
			break;
		case DB_TEXT:
		case DB_BLOB:
			if (v->len > INT32_MAX)
				return snp_errf(err, SNP_E_INVALID,
						"sql: parameter %zu of %zu bytes", i + 1, v->len);
			p->sig[i] = v->type == DB_TEXT ? 't' : 'b';
			p->types[i] = v->type == DB_TEXT ? PG_TEXTOID : PG_BYTEAOID;
			p->values[i] = v->len ? v->p : "";
			p->lens[i] = (int)v->len;
			break;
		default:
			return snp_errf(err, SNP_E_INVALID, "sql: parameter %zu of type %d", i + 1,
					(int)v->type);
		}
	}
	return 0;
}

/*
 * The name of sql prepared on c for these parameter types, preparing it on
 * first use (one more round trip, then only Bind/Execute). The oldest entry
 * makes room when the cache is full.
 */
static int stmt_prepare(struct pgconn *c, const char *sql, const struct pg_params *p, size_t n,
			const char **name, struct snp_err *err)
{
	const struct pq_api *a = &c->api;
	struct pg_stmt *st;
	PGresult *res;
	char *q = NULL;
	int ret;

	*name = NULL;
	for (size_t i = 0; i < c->ncache; i++) {
		st = &c->cache[i];
		if (strcmp(st->sql, sql) == 0 && strcmp(st->sig, p->sig) == 0) {
			*name = st->name;
			return 0;
		}
	}
	if ((ret = sql_number(sql, n, &q, err)) != 0)
		return ret;
	if (c->ncache < PG_STMT_CACHE) {
		st = &c->cache[c->ncache++];
	} else {
		char dealloc[48];

		st = &c->cache[c->next_evict];
		c->next_evict = (c->next_evict + 1) % PG_STMT_CACHE;
		snprintf(dealloc, sizeof(dealloc), "DEALLOCATE %s", st->name);
		(void)run_simple(c, dealloc, NULL, NULL);
		free(st->sql);
		free(st->sig);
	}
	snprintf(st->name, sizeof(st->name), "snpvm_%" PRIu64, c->next_name++);
	st->sql = strdup(sql);
	st->sig = strdup(p->sig);
	res = (st->sql && st->sig) ? a->prepare(c->pq, st->name, q, (int)n, p->types) : NULL;
	free(q);
	if (res == NULL || a->result_status(res) != PGRES_COMMAND_OK) {
		ret = (st->sql && st->sig) ? result_error(c, res, "prepare", err)
					   : snp_errf(err, SNP_E_NOMEM, "out of memory");
		a->clear(res);
		/* Drop the entry: it is the last one, or the slot being reused. */
		free(st->sql);
		free(st->sig);
		*st = c->cache[--c->ncache];
		memset(&c->cache[c->ncache], 0, sizeof(c->cache[0]));
		return ret;
	}
	a->clear(res);
	*name = st->name;
	return 0;
}

static int pg_exec(void *conn, const char *sql, const struct db_val *params, size_t n,
		   db_row_fn *row, void *ctx, uint64_t *changes, struct snp_err *err)
{
	struct pgconn *c = conn;
	const struct pq_api *a = &c->api;
	struct pg_params p = { 0 };
	struct db_val *cols = NULL;
	PGresult *res = NULL;
	const char *name;
	int ret = SNP_E_INTERNAL, nrows, ncols;

	if (changes)
		*changes = 0;
	if (n > 65535) /* the protocol's limit on parameters */
		return snp_errf(err, SNP_E_INVALID, "sql: %zu parameters", n);
	if ((ret = params_bind(&p, params, n, err)) != 0 ||
	    (ret = stmt_prepare(c, sql, &p, n, &name, err)) != 0)
		goto out;
	res = a->exec_prepared(c->pq, name, (int)n, p.values, p.lens, p.formats, 1);
	switch (res ? a->result_status(res) : PGRES_FATAL_ERROR) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
		break;
	default:
		ret = result_error(c, res, "statement", err);
		goto out;
	}
	nrows = a->ntuples(res);
	ncols = a->nfields(res);
	if (row && nrows > 0) {
		if ((cols = calloc((size_t)ncols + 1, sizeof(*cols))) == NULL) {
			ret = snp_errf(err, SNP_E_NOMEM, "out of memory");
			goto out;
		}
		for (int r = 0; r < nrows; r++) {
			for (int k = 0; k < ncols; k++) {
				if (a->getisnull(res, r, k)) {
					cols[k] = (struct db_val){ .type = DB_NULL };
					continue;
				}
				if ((ret = col_decode(a->ftype(res, k),
						      (const uint8_t *)a->getvalue(res, r, k),
						      a->getlength(res, r, k), &cols[k], err)) != 0)
					goto out;
			}
			if ((ret = row(ctx, cols, (size_t)ncols)) != 0)
				goto out;
		}
	}
	if (changes) {
		const char *t = a->cmd_tuples(res);

		*changes = (t && *t) ? strtoull(t, NULL, 10) : 0; /* digits only, from libpq */
	}
	ret = 0;
out:
	a->clear(res);
	free(cols);
	params_free(&p);
	return ret;
}

static int pg_exec_script(void *conn, const char *sql, struct snp_err *err)
{
	return run_simple(conn, sql, "script", err);
}

const struct db_backend db_pg_backend = {
	.name = "PostgreSQL",
	.dialect = DB_POSTGRESQL,
	.accepts = pg_accepts,
	.connect = pg_connect,
	.disconnect = pg_disconnect,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.exec = pg_exec,
	.exec_script = pg_exec_script,
};
