/*
 * `snpvm attestd serve` as an operator runs it: on a state directory made
 * by `snpvm attestd init`, port 0 written to --port-file, guests served,
 * the admin socket answering `snpvm attestd admin`, one JSON log line per
 * exchange, SIGTERM ending it with status 0, --user dropping privileges
 * (and required as root), the seccomp filter on unless --no-seccomp,
 * and usage errors refused.
 */
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "attestd/jwe.h"
#include "sim/kds.h"
#include "tests/attestd/attestd-test.h"
#include "tests/common/httpc.h"
#include "tests/common/pgserver.h"
#include "util/file.h"
#include "util/secret.h"

struct server {
	pid_t pid;
	uint16_t port;
	char dir[1024], state[1100], portfile[1100], log[1100], out[1100];
};

/* Starts serve with extra arguments (NULL-terminated); waits for the port file. */
static void serve_start(struct server *s, const char *const *extra)
{
	const char *argv[32] = { "attestd", "serve", "--dir", s->state, "--listen", "127.0.0.1:0",
				 "--port-file", s->portfile, "--json-log", s->log };
	size_t n = 10;
	uint8_t *buf = NULL;
	size_t len = 0;
	struct snp_err err = { 0 };

	bool user = false;

	for (size_t i = 0; extra && extra[i]; i++) {
		user |= strcmp(extra[i], "--user") == 0;
		argv[n++] = extra[i];
	}
	/* attestd refuses to serve as root without --user */
	if (!user && geteuid() == 0) {
		argv[n++] = "--user";
		argv[n++] = "nobody";
	}
	argv[n] = NULL;
	unlink(s->portfile);
	s->pid = spawn_snpvm(argv, s->out);
	/* Up to 20 s for the store, the key and the listeners. */
	if (wait_for_path(s->portfile, s->pid, 20000) != 0)
		fail_msg("serve exited early or wrote no port; see %s", s->out);
	assert_int_equal(file_read(s->portfile, 64, &buf, &len, &err), 0);
	s->port = (uint16_t)strtoul((const char *)buf, NULL, 10);
	free(buf);
	assert_int_not_equal(s->port, 0);
}

/* SIGTERM; returns the exit status (SIGKILL and 128 + 9 after 60 s). */
static int serve_stop(struct server *s)
{
	return spawn_wait(s->pid, SIGTERM, 60000);
}

static void server_init(struct server *s)
{
	const char *argv[] = { "attestd", "init", "--dir", s->state, NULL };
	struct run_result r;
	char *tmp = tmpdir_make();

	snprintf(s->dir, sizeof(s->dir), "%s", tmp);
	free(tmp);
	snprintf(s->state, sizeof(s->state), "%s/state", s->dir);
	snprintf(s->portfile, sizeof(s->portfile), "%s/port", s->dir);
	snprintf(s->log, sizeof(s->log), "%s/log.jsonl", s->dir);
	snprintf(s->out, sizeof(s->out), "%s/out.txt", s->dir);
	run_snpvm(argv, NULL, &r);
	if (r.status != 0)
		fail_msg("attestd init: %s", r.err);
	run_result_free(&r);
}

static long get(const struct server *s, const char *path, const char *body)
{
	char url[256];
	struct httpc_req rq = { .url = url, .body = body, .body_len = body ? strlen(body) : 0,
				.content_type = body ? "application/json" : NULL };
	struct httpc_resp rs;
	long st;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", s->port, path);
	assert_int_equal(httpc_do(&rq, &rs), 0);
	st = rs.status;
	httpc_resp_free(&rs);
	return st;
}

/* POST /kbs/v0/auth from a thread: the status, or -1 (no cmocka assertion off the main thread). */
static void *auth_thread(void *arg)
{
	const struct server *s = arg;
	static const char body[] = "{\"version\":\"0.4.0\",\"tee\":\"snp\"}";
	char url[256];
	struct httpc_req rq = { .url = url, .body = body, .body_len = sizeof(body) - 1,
				.content_type = "application/json" };
	struct httpc_resp rs;
	intptr_t st;
	int rc;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/kbs/v0/auth", s->port);
	rc = httpc_do(&rq, &rs);
	st = rc == 0 ? rs.status : -rc; /* a transport failure: minus libcurl's code */
	httpc_resp_free(&rs);
	return (void *)st;
}

/* 16 /auth at once: every one answered (200, or 429 past the per-source rate), the server alive. */
static void auth_burst(const struct server *s)
{
	pthread_t t[16];
	unsigned ok = 0;
	void *st;

	for (size_t i = 0; i < 16; i++)
		assert_int_equal(pthread_create(&t[i], NULL, auth_thread, (void *)s), 0);
	for (size_t i = 0; i < 16; i++) {
		assert_int_equal(pthread_join(t[i], &st), 0);
		if ((intptr_t)st != 200 && (intptr_t)st != 429)
			fail_msg("concurrent /auth %zu: %ld", i, (long)(intptr_t)st);
		ok += (intptr_t)st == 200;
	}
	assert_true(ok >= 2);
	assert_int_equal(get(s, "/healthz", NULL), 200);
}

/* SNPVM_NO_SECCOMP=1 (make valgrind): no filter to check. */
static bool filter_expected(void)
{
	const char *nosc = getenv("SNPVM_NO_SECCOMP");

	return !(nosc && strcmp(nosc, "1") == 0);
}

static void serve_runs_and_stops_on_sigterm(void **state)
{
	struct server s = { 0 };
	const char *list[] = { "attestd", "admin", "--dir", s.state, "list", NULL };
	struct run_result r;
	uint8_t *log = NULL, *out = NULL;
	size_t loglen = 0, outlen = 0;
	struct snp_err err = { 0 };

	(void)state;
	server_init(&s);
	serve_start(&s, NULL);
	assert_int_equal(get(&s, "/healthz", NULL), 200);
	assert_int_equal(get(&s, "/kbs/v0/auth", "{\"version\":\"0.4.0\",\"tee\":\"snp\"}"), 200);
	assert_int_equal(get(&s, "/kbs/v0/jwks", NULL), 200);
	/* The admin socket of the same process. */
	run_snpvm(list, NULL, &r);
	if (r.status != 0)
		fail_msg("attestd admin list: %d %s", r.status, r.err);
	run_result_free(&r);
	assert_int_equal(serve_stop(&s), 0);
	assert_int_equal(file_read(s.log, 1 << 20, &log, &loglen, &err), 0);
	assert_non_null(strstr((char *)log, "\"route\":\"healthz\""));
	assert_non_null(strstr((char *)log, "\"route\":\"auth\""));
	assert_non_null(strstr((char *)log, "\"listener\":\"admin\""));
	assert_int_equal(file_read(s.out, 1 << 20, &out, &outlen, &err), 0);
	assert_non_null(strstr((char *)out, "listening on http://127.0.0.1:0 (port"));
	free(log);
	free(out);
	rm_rf(s.dir);
}

/* Runs `snpvm attestd admin --dir STATE` with args; returns the status (output freed). */
static int admin(const struct server *s, const char *const *args, char **out)
{
	const char *argv[16] = { "attestd", "admin", "--dir", s->state };
	struct run_result r;
	size_t n = 4;
	int st;

	for (size_t i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	run_snpvm(argv, NULL, &r);
	st = r.status;
	if (out)
		*out = r.out, r.out = NULL;
	run_result_free(&r);
	return st;
}

/*
 * kill -9 during a load run (resource versions put through the admin socket,
 * KBS sessions opened on the guest port): after a restart on the same state
 * directory the audit chain verifies and every acknowledged version is there;
 * then an audit row edited in the database file, and the chain's tail cut
 * off, are each detected.
 */
static void serve_survives_kill_9(void **state)
{
	struct server s = { 0 };
	char secret[1200], db[1200], tok[1200], *out = NULL;
	const char *tenant[] = { "tenant-create", "acme", "--token-out", tok, NULL };
	const char *assign[] = { "repo-assign", "acme", "acme", NULL };
	const char *verify[] = { "audit-verify", NULL };
	const char *list[] = { "list", NULL };
	unsigned acked = 0;
	struct snp_err err = { 0 };
	sqlite3 *h;

	(void)state;
	server_init(&s);
	snprintf(secret, sizeof(secret), "%s/secret", s.dir);
	snprintf(db, sizeof(db), "%s/attestd.db", s.state);
	snprintf(tok, sizeof(tok), "%s/acme.token", s.dir);
	assert_int_equal(file_write_atomic(secret, "a disk key", 10, 0600, &err), 0);
	serve_start(&s, (const char *const[]){ "--no-rate-limit", NULL });
	assert_int_equal(admin(&s, tenant, NULL), 0);
	assert_int_equal(admin(&s, assign, NULL), 0);
	{
		const char *put_as[] = { "--principal", "acme", "--token-file", tok, "put-resource",
					 "acme/key/disk", "--file", secret, NULL };

		/* load: versions acknowledged one by one, sessions opened between them */
		for (int i = 0; i < 12; i++) {
			assert_int_equal(admin(&s, put_as, NULL), 0);
			acked++;
			assert_int_equal(get(&s, "/kbs/v0/auth",
					     "{\"version\":\"0.4.0\",\"tee\":\"snp\"}"), 200);
		}
		/* one more put racing the kill: acknowledged or not, never half-there */
		{
			pid_t c = fork();

			assert_true(c >= 0);
			if (c == 0)
				_exit(admin(&s, put_as, NULL));
			usleep(20 * 1000);
			assert_int_equal(kill(s.pid, SIGKILL), 0);
			assert_int_equal(waitpid(s.pid, NULL, 0), s.pid);
			{
				int st;

				assert_int_equal(waitpid(c, &st, 0), c);
				if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
					acked++;
			}
		}
	}
	/* restart on the same directory */
	serve_start(&s, NULL);
	assert_int_equal(admin(&s, verify, NULL), 0);
	assert_int_equal(admin(&s, list, &out), 0);
	{
		/* the newest version: every acknowledged one, plus at most the racing put */
		json_t *j = json_loads(out, 0, NULL), *res;
		json_int_t v;

		assert_non_null(j);
		res = json_object_get(j, "resources");
		assert_int_equal(json_array_size(res), 1);
		v = json_integer_value(json_object_get(json_array_get(res, 0), "version"));
		if (v != (json_int_t)acked && v != (json_int_t)acked + 1)
			fail_msg("after kill -9: version %lld, %u acknowledged", (long long)v, acked);
		json_decref(j);
	}
	free(out);
	assert_int_equal(serve_stop(&s), 0);
	/* an edited audit row: detected */
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "UPDATE audit SET record = replace(record, 'acme', 'acmf') "
					 "WHERE seq = 3", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	serve_start(&s, NULL);
	assert_int_equal(admin(&s, verify, NULL), 1);
	assert_int_equal(serve_stop(&s), 0);
	/* a truncated chain (the last rows deleted): detected */
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "UPDATE audit SET record = replace(record, 'acmf', 'acme') "
					 "WHERE seq = 3; DELETE FROM audit WHERE seq > 10",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	serve_start(&s, NULL);
	assert_int_equal(admin(&s, verify, NULL), 1);
	assert_int_equal(serve_stop(&s), 0);
	rm_rf(s.dir);
}

/*
 * As root with --user nobody: every uid and gid is nobody's, no capability is
 * left, no_new_privs is set, the seccomp filter is on, and the store (SQLite,
 * every pooled connection opened before the drop) still answers.
 */
static void serve_drops_to_user(void **state)
{
	struct server s = { 0 };
	struct passwd *pw = getpwnam("nobody");
	const char *extra[] = { "--user", "nobody", NULL };
	char want[64], v[128];
	/* make valgrind runs everything with SNPVM_NO_SECCOMP=1: no filter under valgrind */
	const bool filtered = filter_expected();

	(void)state;
	if (geteuid() != 0 || pw == NULL)
		skip(); /* needs root and the user nobody */
	server_init(&s);
	serve_start(&s, extra);
	/* the port file is written before the drop, the first answer after it */
	assert_int_equal(get(&s, "/healthz", NULL), 200);
	if (filtered) {
		proc_status_field(s.pid, "Seccomp:", v, sizeof(v));
		assert_string_equal(v, "2"); /* SECCOMP_MODE_FILTER */
		proc_status_field(s.pid, "NoNewPrivs:", v, sizeof(v));
		assert_string_equal(v, "1");
	}
	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", (unsigned)pw->pw_uid,
		 (unsigned)pw->pw_uid, (unsigned)pw->pw_uid, (unsigned)pw->pw_uid);
	proc_status_field(s.pid, "Uid:", v, sizeof(v));
	assert_string_equal(v, want);
	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", (unsigned)pw->pw_gid,
		 (unsigned)pw->pw_gid, (unsigned)pw->pw_gid, (unsigned)pw->pw_gid);
	proc_status_field(s.pid, "Gid:", v, sizeof(v));
	assert_string_equal(v, want);
	proc_status_field(s.pid, "Groups:", v, sizeof(v));
	snprintf(want, sizeof(want), "%u", (unsigned)pw->pw_gid);
	assert_string_equal(v, want);
	proc_status_field(s.pid, "CapEff:", v, sizeof(v));
	assert_string_equal(v, "0000000000000000");
	proc_status_field(s.pid, "CapPrm:", v, sizeof(v));
	assert_string_equal(v, "0000000000000000");
	assert_int_equal(get(&s, "/healthz", NULL), 200);
	/* The store still answers after the drop: sessions are written, concurrently too. */
	for (int i = 0; i < 8; i++)
		assert_int_equal(get(&s, "/kbs/v0/auth", "{\"version\":\"0.4.0\",\"tee\":\"snp\"}"),
				 200);
	/*
	 * Concurrent writers: each worker's pooled connection makes its first commit
	 * under the filter (SQLite once opened the directory there: SIGSYS).
	 */
	auth_burst(&s);
	assert_int_equal(get(&s, "/metrics", NULL), 200);
	assert_int_equal(get(&s, "/kbs/v0/jwks", NULL), 200);
	/* still alive, and it stops cleanly under the filter */
	assert_int_equal(serve_stop(&s), 0);
	rm_rf(s.dir);
}

/* A request to s's guest port: POST when body is set; the response is the caller's. */
static void guest_req(const struct server *s, const char *path, const char *body,
		      const char *cookie, struct httpc_resp *rs)
{
	char url[256];
	struct httpc_req rq = { .url = url, .body = body, .body_len = body ? strlen(body) : 0,
				.content_type = body ? "application/json" : NULL, .cookie = cookie };

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", s->port, path);
	assert_int_equal(httpc_do(&rq, rs), 0);
}

/*
 * One guest's exchange against the serving process: /auth (the nonce and the
 * session cookie), /attest with g's report bound to the nonce and a fresh
 * key (with the sim's certificate table, or without one: the VCEK then comes
 * from the KDS), then the resource. Returns the resource's HTTP status; on
 * 200 the JWE opened with the guest's key must hold AFX_SECRET.
 */
static long guest_exchange(struct afx *f, const struct server *s, struct sim_guest *g,
			   bool with_table)
{
	const char *auth = "{\"version\":\"0.4.0\",\"tee\":\"snp\",\"extra-params\":{}}";
	struct afx_guest_req gr = { 0 };
	struct httpc_resp rs;
	char setc[256], cookie[128], *body;
	json_t *j;
	long st;

	guest_req(s, "/kbs/v0/auth", auth, NULL, &rs);
	assert_int_equal(rs.status, 200);
	assert_non_null(httpc_header(&rs, "Set-Cookie", setc, sizeof(setc)));
	snprintf(cookie, sizeof(cookie), "%.51s", setc); /* kbs-session-id=<36> */
	j = json_loadb((const char *)rs.body, rs.len, 0, NULL);
	assert_non_null(j);
	afx_guest_req(f, g, json_string_value(json_object_get(j, "nonce")), &gr);
	json_decref(j);
	httpc_resp_free(&rs);

	body = afx_attest_body_table(f, &gr, with_table);
	guest_req(s, "/kbs/v0/attest", body, cookie, &rs);
	free(body);
	if (rs.status != 200)
		fail_msg("attest: %ld %s", rs.status, (char *)rs.body);
	httpc_resp_free(&rs);

	guest_req(s, "/kbs/v0/resource/" AFX_REPO "/key/disk", NULL, cookie, &rs);
	st = rs.status;
	if (st == 200) {
		afx_assert_secret(gr.priv, rs.body, rs.len);
	}
	httpc_resp_free(&rs);
	afx_guest_req_free(&gr);
	return st;
}

/*
 * The whole exchange against `snpvm attestd serve --user nobody` started as
 * root, under the filter: the store is prepared by the fixture (tenant,
 * resource, a policy pinning the sim guest's measurement) and closed, then
 * served. A guest gets its secret; a DEBUG guest is refused (403) by the
 * policy; the process is still alive, filtered, and stops with status 0.
 * With kds, the certificate table is left out of the evidence and attestd
 * fetches the VCEK from a sim KDS into its --kds-cache, under the filter too.
 * With https too, that KDS is served over TLS as "localhost" (the resolver's
 * /etc/hosts and OpenSSL's reading of --kds-ca-file, under the filter).
 * With pg, the store is a real PostgreSQL database (tests/common/pgserver.h),
 * every pooled connection opened before the filter; the server then restarts
 * and attestd reconnects under the filter and serves on.
 */
static void confined_exchange(bool kds, bool https, bool pg)
{
	struct afx *f;
	struct server s = { 0 };
	struct passwd *pw = getpwnam("nobody");
	struct sim_guest *dbg;
	struct sim_kds *k = NULL;
	struct snp_err err = { 0 };
	char ark[1200], cache[1200], kds_url[64], v[64], cert[1200], key[1200];
	const char *extra[16] = { "--user", "nobody", "--trust-sim-root", ark, NULL };
	char *pol, *tmp, *uri = NULL, why[256];
	struct pgserver *pgs = NULL;
	uint16_t kport = 0;
	size_t n = 4;

	if (geteuid() != 0 || pw == NULL)
		skip(); /* needs root and the user nobody */
	if (pg) {
		if ((pgs = pgserver_start(false, why, sizeof(why))) == NULL) {
			print_message("[  SKIP    ] %s\n", why);
			skip();
		}
		uri = pgserver_createdb(pgs, "confined");
		assert_non_null(uri);
	}
	f = afx_new(true);
	pol = afx_policy(f, NULL);
	if (pg) {
		/* provisioned through an attestd on the PostgreSQL database, then closed */
		struct attestd_opts o = afx_opts(f, true);
		struct attestd *own = f->a, *on_pg = NULL;

		o.store_uri = uri;
		if (attestd_open(&o, &on_pg, &err) != 0)
			fail_msg("attestd_open on PostgreSQL: %s", err.msg);
		f->st = attestd_store(on_pg);
		afx_provision(f, "disk", pol);
		attestd_close(on_pg);
		f->a = own;
		extra[n++] = "--store";
		extra[n++] = uri;
		extra[n] = NULL;
	} else {
		afx_provision(f, "disk", pol);
	}
	free(pol);
	/* The fixture's service closes: the served process is the store's only user. */
	attestd_close(f->a);
	f->a = NULL;
	f->st = NULL;
	dbg = afx_guest(f, AFX_GUEST_POLICY | SNP_POLICY_DEBUG);
	tmp = tmpdir_make();
	snprintf(s.dir, sizeof(s.dir), "%s", tmp);
	free(tmp);
	snprintf(s.state, sizeof(s.state), "%s", f->dir);
	snprintf(s.portfile, sizeof(s.portfile), "%s/port", s.dir);
	snprintf(s.log, sizeof(s.log), "%s/log.jsonl", s.dir);
	snprintf(s.out, sizeof(s.out), "%s/out.txt", s.dir);
	snprintf(ark, sizeof(ark), "%s/certs/ark.pem", f->simdir);
	if (kds) {
		/* The cache is written after the drop: it is nobody's (as in scripts/demo.sh). */
		snprintf(cache, sizeof(cache), "%s/kds-cache", s.dir);
		assert_int_equal(mkdir(cache, 0700), 0);
		assert_int_equal(chown(cache, pw->pw_uid, pw->pw_gid), 0);
		assert_int_equal(chmod(s.dir, 0711), 0);
		if (https)
			tls_selfsigned(s.dir, "DNS:localhost", cert, key, sizeof(cert));
		if (sim_kds_start(&f->sp->store, "127.0.0.1:0", https ? cert : NULL,
				  https ? key : NULL, &k, &kport, &err) != 0)
			fail_msg("sim_kds_start: %s", err.msg);
		snprintf(kds_url, sizeof(kds_url), https ? "https://localhost:%u" : "http://127.0.0.1:%u",
			 kport);
		if (https) {
			extra[n++] = "--kds-ca-file";
			extra[n++] = cert;
		}
		extra[n++] = "--kds-url";
		extra[n++] = kds_url;
		extra[n++] = "--kds-cache";
		extra[n++] = cache;
		extra[n] = NULL;
	}
	serve_start(&s, extra);
	/*
	 * The port file is written once bound, before the confinement; nothing is
	 * answered before the confinement: the first answer comes from a filtered
	 * process (no waiting for the filter here).
	 */
	assert_int_equal(get(&s, "/healthz", NULL), 200);
	if (filter_expected()) {
		proc_status_field(s.pid, "Seccomp:", v, sizeof(v));
		assert_string_equal(v, "2");
	}
	assert_int_equal(guest_exchange(f, &s, NULL, !kds), 200);
	/* The same guest again: with kds the VCEK now comes from the cache. */
	assert_int_equal(guest_exchange(f, &s, NULL, !kds), 200);
	/* The DEBUG guest attests (its report verifies) but the policy refuses the release. */
	assert_int_equal(guest_exchange(f, &s, dbg, !kds), 403);
	if (pg) {
		/*
		 * The server restarts: every pooled connection is cut, and libpq reconnects
		 * each at its next use (PQreset) under the filter; attestd serves on.
		 */
		pgserver_restart(pgs);
		for (int i = 0; i < 3; i++)
			assert_int_equal(guest_exchange(f, &s, NULL, !kds), 200);
	}
	assert_int_equal(kill(s.pid, 0), 0);
	if (filter_expected()) {
		proc_status_field(s.pid, "Seccomp:", v, sizeof(v));
		assert_string_equal(v, "2");
	}
	assert_int_equal(serve_stop(&s), 0);
	if (kds) {
		/* the VCEK landed in the cache, nobody's */
		struct run_result r;
		const char *argv[] = { "find", cache, "-name", "*.der", "-user", "nobody", NULL };

		run_cmd(argv, NULL, &r);
		if (r.status != 0 || strstr(r.out, ".der") == NULL)
			fail_msg("no VCEK in %s: %s", cache, r.out);
		run_result_free(&r);
		sim_kds_stop(k);
	}
	sim_guest_free(dbg);
	rm_rf(s.dir);
	afx_free(f);
	free(uri);
	pgserver_stop(pgs);
}

static void serve_exchange_confined(void **state)
{
	(void)state;
	confined_exchange(false, false, false);
}

static void serve_exchange_confined_kds(void **state)
{
	(void)state;
	confined_exchange(true, false, false);
}

static void serve_exchange_confined_kds_https(void **state)
{
	(void)state;
	confined_exchange(true, true, false);
}

static void serve_exchange_confined_postgresql(void **state)
{
	(void)state;
	confined_exchange(false, false, true);
}

/* Root without --user is refused (uid 0 keeps root's files even with no capability). */
static void serve_refuses_root_without_user(void **state)
{
	struct server s = { 0 };
	const char *argv[] = { "attestd", "serve", "--dir", s.state, "--listen", "127.0.0.1:0",
			       NULL };
	struct run_result r;

	(void)state;
	if (geteuid() != 0)
		skip(); /* needs root */
	server_init(&s);
	run_snpvm(argv, NULL, &r);
	assert_int_not_equal(r.status, 0);
	if (!strstr(r.err, "running as root needs --user"))
		fail_msg("stderr: %s", r.err);
	run_result_free(&r);
	rm_rf(s.dir);
}

/* --no-seccomp: no filter, a warning; SNPVM_NO_SECCOMP=1 is the same. */
static void serve_no_seccomp(void **state)
{
	struct server s = { 0 };
	const char *extra[] = { "--no-seccomp", NULL };
	char v[64];

	(void)state;
	server_init(&s);
	serve_start(&s, extra);
	assert_int_equal(get(&s, "/healthz", NULL), 200);
	proc_status_field(s.pid, "Seccomp:", v, sizeof(v));
	assert_string_equal(v, "0");
	assert_int_equal(serve_stop(&s), 0);
	rm_rf(s.dir);
}

static void serve_usage_errors(void **state)
{
	struct server s = { 0 };
	const char *nodir[] = { "attestd", "serve", NULL };
	const char *badlisten[] = { "attestd", "serve", "--dir", s.state, "--listen", "localhost:1",
				    NULL };
	const char *abbrev[] = { "attestd", "serve", "--dir", s.state, "--trust", "x", NULL };
	struct run_result r;

	(void)state;
	server_init(&s);
	run_snpvm(nodir, NULL, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--dir is required"));
	run_result_free(&r);
	run_snpvm(badlisten, NULL, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "localhost:1"));
	run_result_free(&r);
	run_snpvm(abbrev, NULL, &r);
	assert_int_equal(r.status, 2);
	run_result_free(&r);
	rm_rf(s.dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(serve_runs_and_stops_on_sigterm),
		cmocka_unit_test(serve_survives_kill_9),
		cmocka_unit_test(serve_drops_to_user),
		cmocka_unit_test(serve_exchange_confined),
		cmocka_unit_test(serve_exchange_confined_kds),
		cmocka_unit_test(serve_exchange_confined_kds_https),
		cmocka_unit_test(serve_exchange_confined_postgresql),
		cmocka_unit_test(serve_refuses_root_without_user),
		cmocka_unit_test(serve_no_seccomp),
		cmocka_unit_test(serve_usage_errors),
	};

	return cmocka_run_group_tests_name("attestd serve", tests, NULL, NULL);
}
