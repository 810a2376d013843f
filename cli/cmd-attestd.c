/*
 * snpvm attestd serve: runs the secret-release service (attestd/service.h)
 * until SIGINT or SIGTERM, then stops accepting and lets requests in flight
 * finish. It opens the store, its connections and the keys, binds, writes
 * the port file, then confines itself (attestd/confine.h): --user USER
 * (required when started as root), every capability dropped, the seccomp
 * allow-list (with the VCEK fetch's and cache's additions under --kds-url or
 * --kds-cache), unless --no-seccomp or SNPVM_NO_SECCOMP=1; only then does it
 * start answering (attestd_serve).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attest/kds-curl.h"
#include "attestd/confine.h"
#include "attestd/service.h"
#include "cli/args.h"
#include "cli/cmd.h"
#include "cli/commands.h"
#include "cli/opt.h"
#include "util/file.h"
#include "util/log.h"

struct serve_args {
	const char *dir, *listen, *admin, *store, *sim_root, *certs, *kds_cache, *kds_url;
	const char *kds_ca_file;
	const char *tls_cert, *tls_key, *user, *port_file, *json_log;
	unsigned threads, session_ttl, token_ttl, auth_rate, auth_burst;
	bool no_rate_limit, no_seccomp;
};

/* The JSON log: one line per exchange, whole lines even from several threads. */
struct json_log {
	FILE *f;
	bool owned;
};

static void log_line(void *ctx, const char *line)
{
	struct json_log *l = ctx;

	flockfile(l->f);
	fputs(line, l->f);
	fputc('\n', l->f);
	fflush(l->f);
	funlockfile(l->f);
}

static int open_json_log(const char *path, struct json_log *l, struct snp_err *err)
{
	int fd;

	l->f = stderr;
	l->owned = false;
	if (path == NULL || strcmp(path, "-") == 0)
		return 0;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0)
		return snp_err_sys(err, "--json-log %s", path);
	if ((l->f = fdopen(fd, "a")) == NULL) {
		close(fd);
		l->f = stderr;
		return snp_err_sys(err, "--json-log %s", path);
	}
	l->owned = true;
	return 0;
}

/* The admin socket's path, for handing it to --user. */
static const char *admin_socket_path(const struct serve_args *a, char *buf, size_t len)
{
	if (a->admin && strncmp(a->admin, "unix:", 5) == 0)
		return a->admin + 5;
	if (!a->admin && a->dir) {
		snprintf(buf, len, "%s/admin.sock", a->dir);
		return buf;
	}
	return NULL;
}

static int write_port_file(const char *path, uint16_t port, struct snp_err *err)
{
	char text[16];
	int n = snprintf(text, sizeof(text), "%u\n", port);

	return file_write_atomic(path, text, (size_t)n, 0644, err);
}

static bool parse_args(int argc, char **argv, struct serve_args *a, int *status)
{
	const struct opt opts[] = {
		OPT_STRING("dir", &a->dir, "DIR",
			   "state directory (snpvm attestd init): master.key,\n"
			   "attestd.db, admin.sock", .required = true),
		OPT_STRING("listen", &a->listen, "ADDR",
			   "guest-facing address: IP:PORT, [IPv6]:PORT or\n"
			   "unix:PATH (default " ATTESTD_DEFAULT_LISTEN "; port 0: any)"),
		OPT_STRING("admin", &a->admin, "ADDR",
			   "admin listener (default unix:DIR/admin.sock, mode 0600)"),
		OPT_STRING("store", &a->store, "URI",
			   "SQLite file or postgresql://... (default DIR/attestd.db)"),
		OPT_STRING("trust-sim-root", &a->sim_root, "FILE",
			   "also trust this simulated ARK (snpvm sim); never AMD's"),
		OPT_STRING("certs", &a->certs, "DIR", "offline ARK/ASK/ASVK certificates"),
		OPT_STRING("kds-cache", &a->kds_cache, "DIR",
			   "VCEK cache: looked up first, filled from --kds-url"),
		OPT_STRING("kds-url", &a->kds_url, "URL",
			   "fetch missing VCEKs from this AMD KDS (never a default)"),
		OPT_STRING("kds-ca-file", &a->kds_ca_file, "FILE",
			   "trust these PEM CA certificates for an https\n"
			   "--kds-url (default: the system's)"),
		OPT_STRING("tls-cert", &a->tls_cert, "FILE", "serve HTTPS with this PEM certificate"),
		OPT_STRING("tls-key", &a->tls_key, "FILE", "and this PEM key"),
		OPT_UINT("threads", &a->threads, 1, 256, "N", "worker threads (default 4)"),
		OPT_UINT("session-ttl", &a->session_ttl, 1, 86400, "S",
			 "KBS session lifetime in seconds (default 300)"),
		OPT_UINT("token-ttl", &a->token_ttl, 1, 86400, "S",
			 "EAR token lifetime in seconds (default 300)"),
		OPT_UINT("auth-rate", &a->auth_rate, 1, 1000000, "N",
			 "POST /kbs/v0/auth per second per source (default 10)"),
		OPT_UINT("auth-burst", &a->auth_burst, 1, 1000000, "N",
			 "burst allowance for --auth-rate (default 20)"),
		OPT_FLAG("no-rate-limit", &a->no_rate_limit, "no rate limit on /auth (benchmarks)"),
		OPT_STRING("user", &a->user, "USER",
			   "drop to USER after binding and opening (required as root)"),
		OPT_FLAG("no-seccomp", &a->no_seccomp,
			 "no seccomp filter, capabilities kept (debugging;\n"
			 "also: SNPVM_NO_SECCOMP=1)"),
		OPT_STRING("port-file", &a->port_file, "FILE", "write the bound guest port here"),
		OPT_STRING("json-log", &a->json_log, "FILE",
			   "one JSON line per exchange, appended (default stderr)"),
		OPT_END,
	};
	const struct opt_cmd cmd = {
		.name = "attestd serve",
		.opts = opts,
		.about = "Serves the KBS v0 RCAR protocol to guests (POST /kbs/v0/auth,\n"
			 "POST /kbs/v0/attest, GET /kbs/v0/resource/REPO/TYPE/TAG), the EAR keys\n"
			 "(GET /kbs/v0/jwks), /healthz and /metrics, and the admin API on the\n"
			 "admin listener only, until SIGINT or SIGTERM (docs/attestd.md).\n"
			 "The bound address is printed on stdout.\n",
	};

	return cli_opt_parse(&cmd, argc, argv, status);
}

static bool seccomp_disabled_by_env(void)
{
	const char *v = getenv("SNPVM_NO_SECCOMP");

	return v && strcmp(v, "1") == 0;
}

/*
 * Refuses to serve as root without --user: uid 0 with no capability left
 * still owns every root-owned file (DAC as owner needs no capability), so
 * dropping capabilities alone is not enough (PostgreSQL refuses root too).
 */
static int check_confinement(const struct serve_args *a, struct snp_err *err)
{
	if (geteuid() == 0 && a->user == NULL)
		return snp_errf(err, SNP_E_INVALID, "running as root needs --user USER (attestd "
				"does not serve as root; e.g. --user nobody)");
	return 0;
}

/*
 * Between attestd_bind and attestd_serve. The VCEK fetch (--kds-url) and
 * cache (--kds-cache) open files and sockets while serving: their additions
 * to the filter come with them, and libcurl is loaded and initialised now.
 */
static int confine(const struct serve_args *a, struct kds_curl *curl, const char *admin_sock,
		   struct snp_err *err)
{
	const bool kds = a->kds_url || a->kds_cache;
	int ret;

	if (a->kds_url && (ret = kds_curl_preload(curl, err)) != 0)
		return ret;
	if (a->user && (ret = attestd_drop_user(a->user, admin_sock, err)) != 0)
		return ret;
	if (a->no_seccomp) {
		log_warn("--no-seccomp: serving without the seccomp filter, capabilities kept");
		return 0;
	}
	return attestd_confine(kds, a->store, err);
}

static int serve_fail(struct snp_err *err)
{
	cli_print_error("attestd serve", err, false);
	return cli_exit_status(err->code);
}

int cmd_attestd_serve(int argc, char **argv)
{
	struct serve_args a = { 0 };
	struct snp_err err = { 0 };
	struct cli_sim_roots roots = { 0 };
	struct kds_curl curl;
	struct json_log jl = { 0 };
	struct attestd *d = NULL;
	struct attestd_opts o;
	char sockbuf[4096];
	sigset_t set;
	uint16_t port = 0;
	int sig = 0, status;

	if (!parse_args(argc, argv, &a, &status))
		return status;
	if (seccomp_disabled_by_env())
		a.no_seccomp = true;
	kds_curl_init(&curl);
	curl.ca_file = a.kds_ca_file;
	if ((a.sim_root && cli_load_sim_roots(a.sim_root, &roots, &err) != 0) ||
	    open_json_log(a.json_log, &jl, &err) != 0) {
		status = serve_fail(&err);
		goto out;
	}
	o = (struct attestd_opts){
		.dir = a.dir, .store_uri = a.store, .listen = a.listen, .admin_listen = a.admin,
		.tls_cert = a.tls_cert, .tls_key = a.tls_key, .threads = a.threads,
		.session_ttl_s = a.session_ttl, .token_ttl_s = a.token_ttl,
		.auth_rate = a.auth_rate, .auth_burst = a.auth_burst,
		.auth_rate_off = a.no_rate_limit,
		.sim_roots = roots.v, .nsim_roots = roots.n, .certs_dir = a.certs,
		.kds = { .base_url = a.kds_url, .cache_dir = a.kds_cache },
		.log = log_line, .log_ctx = &jl,
	};
	if (a.kds_url)
		o.kds.fetch = kds_curl_fetcher(&curl);
	/* Block the stop signals before any server thread starts, then wait for one. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/*
	 * Bound, port file written (a client may connect: it waits in the
	 * backlog), confined, and only then answering.
	 */
	if (attestd_open(&o, &d, &err) != 0 || attestd_bind(d, &port, &err) != 0 ||
	    check_confinement(&a, &err) != 0 ||
	    (a.port_file && write_port_file(a.port_file, port, &err) != 0) ||
	    confine(&a, &curl, admin_socket_path(&a, sockbuf, sizeof(sockbuf)), &err) != 0 ||
	    attestd_serve(d, &err) != 0) {
		status = serve_fail(&err);
		goto out;
	}
	printf("listening on %s://%s (port %u)%s\n", a.tls_cert ? "https" : "http",
	       a.listen ? a.listen : ATTESTD_DEFAULT_LISTEN, port,
	       roots.n ? " [SIMULATED ROOT TRUSTED]" : "");
	fflush(stdout);
	log_info("serving %s", a.dir);
	sigwait(&set, &sig);
	log_info("signal %d: stopping (requests in flight finish)", sig);
	status = EXIT_DONE;
out:
	attestd_stop(d);
	if (jl.owned)
		fclose(jl.f);
	cli_sim_roots_free(&roots);
	kds_curl_free(&curl);
	return status;
}
