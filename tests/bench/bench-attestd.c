/*
 * attestd under load on loopback: full KBS exchanges (POST /kbs/v0/auth ->
 * POST /kbs/v0/attest -> GET /kbs/v0/resource) from N client threads, each
 * exchange with a fresh P-384 guest key and a fresh sim-signed report bound
 * to its runtime-data, against a real attestd (attestd_start in a forked
 * child process, so its CPU time is its own) on SQLite and on PostgreSQL
 * (tests/common/pgserver.c; skipped with the reason when it cannot run).
 * Not part of the snpvm binary.
 *
 *   bench-attestd REPORT VEK UNIX_TIME SECONDS THREADS
 *
 * Prints, in the same run:
 *   - the crypto floor: one verify_report (chain cached; REPORT/VEK at
 *     UNIX_TIME) + one ES384 EAR sign (ear_sign_with, the key converted once
 *     as attestd keeps it) + one ECDH-ES+A256KW/A256GCM JWE wrap (jwe_wrap),
 *     on one thread, per CPU second;
 *   - per store: the latency of one exchange with nothing queued (one client
 *     at IDLE_RATE, open loop: the least an exchange waits here), exchanges/s
 *     at peak (closed loop), the server's CPU-ms per
 *     exchange (utime+stime of the attestd process, plus the PostgreSQL
 *     server's processes for that store, from /proc), p50/p99 latency at
 *     peak and at half the peak rate (open loop: exchange i is due at
 *     t0 + i/rate and its latency counts from then), and the ratio
 *     (exchanges per server CPU second) / (floor exchanges per CPU second).
 *
 * Latency is the time the client waits on the server: the three HTTP round
 * trips (plus, open loop, the wait past the due time), never the client's
 * own key generation and report signing between /auth and /attest.
 *
 * Each exchange is a guest's: it talks through `snpvm agent`'s HTTP client
 * (agent/http.h), one connection for its three requests as the agent keeps
 * it, and a new connection for the next exchange.
 */
#include <errno.h>
#include <dirent.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "abi/report.h"
#include "agent/http.h"
#include "attest/certs.h"
#include "attest/verify.h"
#include "attestd/ear.h"
#include "attestd/jwe.h"
#include "tests/attestd/attestd-test.h"
#include "tests/common/pgserver.h"
#include "util/file.h"

#define AUTH_BODY "{\"version\":\"0.4.0\",\"tee\":\"snp\",\"extra-params\":{}}"
#define MAX_SAMPLES (1u << 20)
#define IDLE_RATE 10.0 /* exchanges/s of the idle phase: far below any peak seen */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const struct snp_err *err)
{
	fprintf(stderr, "bench-attestd: %s: %s\n", what, err ? err->msg : strerror(errno));
	exit(1);
}

/* --- the crypto floor --------------------------------------------------- */

static double floor_rate(const char *report, const char *vek, time_t at, double secs)
{
	struct verify_opts vo = { .now = at };
	struct verify_result *res = calloc(1, sizeof(*res));
	struct snp_err err = { 0 };
	struct verifier *v = NULL;
	struct ear_signer *signer = NULL;
	struct certs certs;
	struct jwk_pub pub = { 0 };
	json_t *sk = NULL, *gk = NULL, *gpub = NULL, *appraised = json_object();
	uint8_t *raw = NULL;
	size_t len;
	double c0, c1;
	long n = 0;

	certs_init(&certs);
	if (!res || !appraised || file_read(report, 1u << 20, &raw, &len, &err) != 0 ||
	    certs_load_vek_file(&certs, vek, &err) != 0 || verifier_new(&v, &err) != 0 ||
	    verify_report(v, raw, len, &certs, &vo, res, &err) != 0 ||
	    ear_key_generate(&sk, &err) != 0 || ear_signer_new(sk, &signer, &err) != 0 ||
	    jwk_generate(JWK_EC_P384, &gk, &err) != 0 ||
	    jwk_public_of(gk, &gpub, &err) != 0 || jwk_pub_parse(gpub, "guest", &pub, &err) != 0)
		die("floor setup", &err);
	c0 = cpu_s();
	do {
		for (int i = 0; i < 20; i++, n++) {
			struct ear_claims c = { .status = "affirming", .appraised = appraised,
						.iat = at, .exp = at + 300, .policy_id = "repo",
						.policy_version = 1, .cnf_jwk = pub.jwk };
			char *tok = NULL, *jwe = NULL;

			if (verify_report(v, raw, len, &certs, &vo, res, &err) != 0 ||
			    !res->chain_cached || ear_sign_with(signer, &c, &tok, NULL, &err) != 0 ||
			    jwe_wrap(&pub, (const uint8_t *)AFX_SECRET, strlen(AFX_SECRET), &jwe,
				     &err) != 0)
				die("floor", &err);
			free(tok);
			free(jwe);
		}
		c1 = cpu_s();
	} while (c1 - c0 < secs);
	jwk_pub_free(&pub);
	json_decref(gpub);
	json_decref(appraised);
	jwk_free_private(gk);
	jwk_free_private(sk);
	ear_signer_free(signer);
	verifier_free(v);
	certs_free(&certs);
	free(raw);
	free(res);
	return (double)n / (c1 - c0);
}

/* --- server CPU time from /proc ---------------------------------------- */

/* utime+stime (+cutime+cstime when children) of pid in seconds; *ppid its parent. */
static double proc_cpu(pid_t pid, bool children, pid_t *ppid)
{
	char path[64], buf[1024], *p;
	unsigned long long f[4];
	FILE *fp;
	size_t n;
	int pp = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(fp = fopen(path, "r")))
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = 0;
	/* After "(comm)": state ppid ... field 14 utime, 15 stime, 16 cutime, 17 cstime. */
	if (!(p = strrchr(buf, ')')) ||
	    sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu", &pp,
		   &f[0], &f[1], &f[2], &f[3]) != 5)
		return 0;
	if (ppid)
		*ppid = pp;
	return (double)(f[0] + f[1] + (children ? f[2] + f[3] : 0)) /
	       (double)sysconf(_SC_CLK_TCK);
}

/* The postmaster (with its exited children) and its live children. */
static double pg_cpu(pid_t postmaster)
{
	DIR *d;
	struct dirent *e;
	double t;

	if (postmaster <= 0)
		return 0;
	t = proc_cpu(postmaster, true, NULL);
	if (!(d = opendir("/proc")))
		return t;
	while ((e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name), pp = 0;
		double c;

		if (pid <= 0)
			continue;
		c = proc_cpu(pid, false, &pp);
		if (pp == postmaster)
			t += c;
	}
	closedir(d);
	return t;
}

/* --- the load ------------------------------------------------------------ */

struct run {
	struct afx *f;
	uint16_t port;
	pthread_mutex_t simlock;
	double t0, t_end;
	double rate;            /* 0: closed loop */
	atomic_long next;       /* open loop: the next exchange's index */
	atomic_long done, failed;
	double *lat;            /* seconds, one per exchange */
	atomic_long nlat;
};

/* One HTTP request (json NULL: GET); returns the status (0 on a transport error). */
static long req(struct agent_http *h, const char *url, const char *json,
		struct agent_http_resp *rs, double *waited, struct snp_err *err)
{
	double t = now_s();
	int rc = agent_http_call(h, url, json, rs, err);

	*waited += now_s() - t;
	return rc == 0 ? rs->status : 0;
}

static int exchange(struct run *r, double *waitedp)
{
	struct afx *f = r->f;
	char url[128], *body = NULL;
	struct agent_http h;
	struct agent_http_resp rs = { 0 };
	struct afx_guest_req gr = { 0 };
	struct secret pt = { 0 };
	struct snp_err err = { 0 };
	uint8_t rd[SNP_REPORT_DATA_SIZE];
	json_t *j, *pub = NULL;
	double waited = 0;
	int ok = 0;

	agent_http_init(&h);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/kbs/v0/auth", r->port);
	if (req(&h, url, AUTH_BODY, &rs, &waited, &err) != 200 || !h.cookie[0])
		goto out;
	j = json_loadb((const char *)rs.body, rs.len, 0, NULL);
	agent_http_resp_free(&rs);
	/* The guest's work, not counted in latency: a fresh key, a report binding it. */
	if (jwk_generate(JWK_EC_P384, &gr.priv, &err) != 0 ||
	    jwk_public_of(gr.priv, &pub, &err) != 0 ||
	    !(gr.rd = json_pack("{s:O,s:o}", "nonce", json_object_get(j, "nonce"), "tee-pubkey",
				pub)) ||
	    binding_report_data(gr.rd, rd, &err) != 0) {
		json_decref(j);
		goto out;
	}
	json_decref(j);
	pthread_mutex_lock(&r->simlock);
	if (sim_guest_report(f->g, rd, 0, gr.report, &err) != 0) {
		pthread_mutex_unlock(&r->simlock);
		goto out;
	}
	pthread_mutex_unlock(&r->simlock);
	body = afx_attest_body(f, &gr);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/kbs/v0/attest", r->port);
	if (req(&h, url, body, &rs, &waited, &err) != 200)
		goto out;
	agent_http_resp_free(&rs);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/kbs/v0/resource/" AFX_REPO "/key/disk",
		 r->port);
	if (req(&h, url, NULL, &rs, &waited, &err) != 200 ||
	    jwe_open(gr.priv, (const char *)rs.body, rs.len, &pt, &err) != 0 ||
	    pt.len != strlen(AFX_SECRET) || memcmp(pt.p, AFX_SECRET, pt.len) != 0)
		goto out;
	ok = 1;
out:
	if (!ok && rs.status)
		fprintf(stderr, "bench-attestd: exchange failed: %ld %.200s %s\n", rs.status,
			rs.body ? (char *)rs.body : "", err.msg);
	secret_free(&pt);
	agent_http_resp_free(&rs);
	agent_http_free(&h);
	free(body);
	afx_guest_req_free(&gr);
	*waitedp = waited;
	return ok;
}

static void *client(void *arg)
{
	struct run *r = arg;

	for (;;) {
		double due = 0, late = 0, waited = 0, t = now_s();

		if (r->rate > 0) {
			long i = atomic_fetch_add(&r->next, 1);

			due = r->t0 + (double)i / r->rate;
			if (due >= r->t_end)
				break;
			if (due > t) {
				struct timespec ts = { .tv_sec = (time_t)(due - t),
						       .tv_nsec = (long)(((due - t) -
									  (double)(time_t)(due - t)) *
									 1e9) };

				nanosleep(&ts, NULL);
			} else {
				late = t - due; /* queued behind earlier exchanges */
			}
		} else if (t >= r->t_end) {
			break;
		}
		if (exchange(r, &waited)) {
			long k = atomic_fetch_add(&r->nlat, 1);

			if (k < (long)MAX_SAMPLES)
				r->lat[k] = waited + late;
			atomic_fetch_add(&r->done, 1);
		} else {
			atomic_fetch_add(&r->failed, 1);
		}
	}
	return NULL;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct phase {
	double rate, cpu_ms, p50, p99;
	long done, failed;
};

static struct phase run_phase(struct run *r, unsigned threads, double secs, double rate,
			      pid_t server, pid_t postmaster)
{
	pthread_t th[64];
	struct phase ph = { 0 };
	double c0, c1, wall;
	long n;

	atomic_store(&r->next, 0);
	atomic_store(&r->done, 0);
	atomic_store(&r->failed, 0);
	atomic_store(&r->nlat, 0);
	r->rate = rate;
	c0 = proc_cpu(server, true, NULL) + pg_cpu(postmaster);
	r->t0 = now_s();
	r->t_end = r->t0 + secs;
	for (unsigned i = 0; i < threads; i++)
		if (pthread_create(&th[i], NULL, client, r) != 0)
			die("pthread_create", NULL);
	for (unsigned i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	wall = now_s() - r->t0;
	c1 = proc_cpu(server, true, NULL) + pg_cpu(postmaster);
	ph.done = atomic_load(&r->done);
	ph.failed = atomic_load(&r->failed);
	ph.rate = (double)ph.done / wall;
	ph.cpu_ms = ph.done ? (c1 - c0) * 1e3 / (double)ph.done : 0;
	n = atomic_load(&r->nlat);
	if (n > (long)MAX_SAMPLES)
		n = MAX_SAMPLES;
	if (n > 0) {
		qsort(r->lat, (size_t)n, sizeof(double), cmp_d);
		ph.p50 = r->lat[n / 2] * 1e3;
		ph.p99 = r->lat[(size_t)((double)n * 0.99)] * 1e3;
	}
	return ph;
}

/* Forks attestd on f's state directory and uri; returns its pid, *port its port. */
static pid_t server_fork(struct afx *f, const char *uri, int *ctl, uint16_t *port)
{
	int up[2], down[2];
	pid_t pid;

	if (pipe(up) != 0 || pipe(down) != 0 || (pid = fork()) < 0)
		die("fork", NULL);
	if (pid == 0) {
		struct attestd_opts o = afx_opts(f, true);
		struct attestd *a = NULL;
		struct snp_err err = { 0 };
		char c;

		close(up[0]);
		close(down[1]);
		o.store_uri = uri;
		o.threads = 4;
		o.auth_rate_off = 1;
		o.log = NULL;
		o.clock = NULL;
		if (attestd_start(&o, &a, port, &err) != 0) {
			fprintf(stderr, "bench-attestd: attestd_start: %s\n", err.msg);
			_exit(1);
		}
		if (write(up[1], port, sizeof(*port)) != (ssize_t)sizeof(*port))
			_exit(1);
		while (read(down[0], &c, 1) < 0 && errno == EINTR)
			;
		attestd_stop(a);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	if (read(up[0], port, sizeof(*port)) != (ssize_t)sizeof(*port))
		die("attestd did not start", NULL);
	close(up[0]);
	*ctl = down[1];
	return pid;
}

static void bench_store(struct afx *f, const char *name, const char *uri, pid_t postmaster,
			double secs, unsigned threads, double floor)
{
	struct run r = { .f = f };
	struct snp_err err = { 0 };
	struct phase idle, peak, half;
	char key[1024], *pol = afx_policy(f, NULL);
	uint16_t port = 0;
	int ctl = -1, status;
	pid_t pid;

	snprintf(key, sizeof(key), "%s/master.key", f->dir);
	if (store_open(uri, key, &f->st, &err) != 0)
		die("store_open", &err);
	afx_provision(f, "disk", pol);
	store_close(f->st);
	f->st = NULL;
	free(pol);
	pid = server_fork(f, uri, &ctl, &port);
	pthread_mutex_init(&r.simlock, NULL);
	r.port = port;
	if (!(r.lat = calloc(MAX_SAMPLES, sizeof(double))))
		die("calloc", NULL);
	(void)run_phase(&r, threads, 1.0, 0, pid, postmaster); /* warm-up */
	/* one exchange at a time: what an exchange costs with nothing queued before it */
	idle = run_phase(&r, 1, 3.0, IDLE_RATE, pid, postmaster);
	peak = run_phase(&r, threads, secs, 0, pid, postmaster);
	half = run_phase(&r, threads, secs, peak.rate / 2, pid, postmaster);
	close(ctl);
	waitpid(pid, &status, 0);
	printf("%s: idle (1 client, %.0f exchanges/s, nothing queued): %.1f done/s, server %.2f "
	       "CPU-ms/exchange, p50 %.2f ms, p99 %.2f ms, failed %ld\n",
	       name, IDLE_RATE, idle.rate, idle.cpu_ms, idle.p50, idle.p99, idle.failed);
	printf("%s: peak %.1f exchanges/s (%u client threads), server %.2f CPU-ms/exchange, "
	       "p50 %.2f ms, p99 %.2f ms, failed %ld\n",
	       name, peak.rate, threads, peak.cpu_ms, peak.p50, peak.p99, peak.failed);
	printf("%s: half-peak %.1f exchanges/s offered, %.1f done, server %.2f CPU-ms/exchange, "
	       "p50 %.2f ms, p99 %.2f ms, failed %ld\n",
	       name, peak.rate / 2, half.rate, half.cpu_ms, half.p50, half.p99, half.failed);
	printf("%s: ratio (exchanges per server CPU-s / floor per CPU-s): %.2f (goal >= 0.70), "
	       "p99 at half peak %.2f ms (goal < 5)\n",
	       name, peak.cpu_ms > 0 ? 1e3 / peak.cpu_ms / floor : 0, half.p99);
	fflush(stdout);
	pthread_mutex_destroy(&r.simlock);
	free(r.lat);
}

static pid_t postmaster_pid(const char *datadir)
{
	char path[1024];
	FILE *fp;
	int pid = 0;

	snprintf(path, sizeof(path), "%s/postmaster.pid", datadir);
	if ((fp = fopen(path, "r"))) {
		if (fscanf(fp, "%d", &pid) != 1)
			pid = 0;
		fclose(fp);
	}
	return (pid_t)pid;
}

int main(int argc, char **argv)
{
	struct afx *f;
	struct snp_err err = { 0 };
	struct pgserver *pg;
	char why[256], *uri, db[1200];
	const uint8_t *p;
	double secs, floor;
	unsigned threads;

	if (argc != 6) {
		fprintf(stderr, "usage: bench-attestd REPORT VEK UNIX_TIME SECONDS THREADS\n");
		return 2;
	}
	secs = strtod(argv[4], NULL);
	threads = (unsigned)strtoul(argv[5], NULL, 10);
	if (secs <= 0 || threads == 0 || threads > 64) {
		fprintf(stderr, "bench-attestd: SECONDS > 0, 1 <= THREADS <= 64\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_ALL);
	floor = floor_rate(argv[1], argv[2], (time_t)strtoll(argv[3], NULL, 10), secs);
	printf("crypto floor (verify_report cached + ES384 sign + JWE wrap, 1 core): "
	       "%.1f exchanges per CPU-s (%.2f CPU-ms)\n", floor, 1e3 / floor);
	fflush(stdout);

	/* The fixture's sim, guest and tenant, without its own attestd. */
	if (!(f = calloc(1, sizeof(*f))))
		die("calloc", NULL);
	pthread_mutex_init(&f->loglock, NULL);
	f->now_ms = (int64_t)time(NULL) * 1000;
	f->dir = tmpdir_make();
	snprintf(db, sizeof(db), "%s/master.key", f->dir);
	if (store_master_key_create(db, &err) != 0)
		die("master key", &err);
	f->simdir = simtest_dir(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK);
	if (sim_sp_open(f->simdir, &f->sp, &err) != 0 ||
	    sim_store_cert_table(&f->sp->store, &f->table, &f->table_len, &err) != 0)
		die("sim", &err);
	p = f->sp->store.cert_der[SIM_STORE_ARK];
	if (!(f->ark = d2i_X509(NULL, &p, (long)f->sp->store.cert_len[SIM_STORE_ARK])))
		die("sim ARK", NULL);
	f->g = afx_guest(f, AFX_GUEST_POLICY);

	snprintf(db, sizeof(db), "%s/attestd.db", f->dir);
	bench_store(f, "sqlite", db, 0, secs, threads, floor);

	if (!(pg = pgserver_start(true, why, sizeof(why)))) {
		printf("postgresql: skipped: %s\n", why);
	} else {
		uri = pgserver_createdb(pg, "bench");
		bench_store(f, "postgresql", uri, postmaster_pid(pgserver_datadir(pg)), secs,
			    threads, floor);
		free(uri);
		pgserver_stop(pg);
	}
	sim_guest_free(f->g);
	sim_sp_close(f->sp);
	X509_free(f->ark);
	free(f->table);
	rm_rf(f->simdir);
	rm_rf(f->dir);
	free(f->simdir);
	free(f->dir);
	pthread_mutex_destroy(&f->loglock);
	free(f);
	curl_global_cleanup();
	return 0;
}
