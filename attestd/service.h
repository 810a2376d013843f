/*
 * attestd, the secret-release service (docs/attestd.md): the guest-facing
 * KBS v0 "RCAR" routes of confidential-containers/trustee
 * (kbs/docs/kbs_attestation_protocol.md) on one listener, the admin API on
 * another (a Unix socket by default, never the guest port), state in
 * attestd/store.h, verification through attest/evidence.h.
 *
 *   a = attestd_open(opts)       store, verifier, signing key: no socket yet
 *   attestd_bind(a, &port)       binds the guest and admin listeners, serves nothing
 *   attestd_serve(a)             starts answering on them
 *   attestd_close(a)             stops listening (requests in flight finish), frees
 *
 * attestd_listen is bind then serve, attestd_start/attestd_stop open and
 * listen / close. `snpvm attestd serve` confines itself between bind and
 * serve (attestd/confine.h), so no request is answered unconfined. attestd_handle is the guest
 * listener's handler, callable without a socket (tests).
 *
 * The library never prints: each exchange (guest or admin) produces one JSON
 * log line handed to opts.log.
 */
#ifndef SNPVM_ATTESTD_SERVICE_H
#define SNPVM_ATTESTD_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "attest/kds.h"
#include "httpd/httpd.h"
#include "util/err.h"

struct x509_st;

/* One structured log line (compact JSON, no newline); called from worker threads. */
typedef void attestd_log_fn(void *ctx, const char *line);

/* Milliseconds since the epoch (tests inject time). */
typedef int64_t attestd_clock_fn(void *ctx);

struct attestd;

#define ATTESTD_DEFAULT_LISTEN "127.0.0.1:8080"
#define ATTESTD_DEFAULT_SESSION_TTL 300
#define ATTESTD_DEFAULT_TOKEN_TTL 300
#define ATTESTD_DEFAULT_AUTH_RATE 10  /* /auth requests per second per source */
#define ATTESTD_DEFAULT_AUTH_BURST 20
#define ATTESTD_MAX_BODY (128 * 1024) /* a report, a certificate table and a JWK, base64url */

struct attestd_opts {
	const char *dir;         /* state directory: master.key, attestd.db, admin.sock */
	const char *store_uri;   /* NULL: DIR/attestd.db; or postgresql://... */
	const char *master_key;  /* NULL: DIR/master.key */

	const char *listen;       /* guest-facing; NULL: ATTESTD_DEFAULT_LISTEN */
	const char *admin_listen; /* NULL: unix:DIR/admin.sock; "" = no admin listener.
				   * It serves attestd/admin-routes.h only. */
	const char *tls_cert, *tls_key; /* guest listener TLS (PEM files), both or neither */
	unsigned threads;         /* worker threads per listener; 0 = 4 */
	unsigned timeout_s;       /* slow-client timeout; 0 = 10 */
	unsigned max_conns;       /* 0 = 256 */

	unsigned session_ttl_s;   /* KBS session lifetime; 0 = ATTESTD_DEFAULT_SESSION_TTL */
	unsigned token_ttl_s;     /* EAR lifetime; 0 = ATTESTD_DEFAULT_TOKEN_TTL */
	unsigned auth_rate;       /* token bucket on /auth per source; 0 = default */
	unsigned auth_burst;      /* 0 = default */
	int auth_rate_off;        /* non-zero: no rate limit (benchmarks) */

	/* Verification. */
	struct x509_st *const *sim_roots; /* extra trusted simulated ARKs (--trust-sim-root) */
	size_t nsim_roots;
	const char *certs_dir;   /* offline ARK/ASK/ASVK (and CRL-free) certificates, or NULL */
	struct kds_opts kds;     /* VCEK cache and/or KDS (base_url + fetch); zeroed: none */

	attestd_log_fn *log;     /* NULL: no log */
	void *log_ctx;
	attestd_clock_fn *clock; /* NULL: the real clock */
	void *clock_ctx;
};

/* Opens the store and the verifier, and makes a signing key if there is none. */
int attestd_open(const struct attestd_opts *o, struct attestd **out,
		 struct snp_err *err) SNP_MUST_CHECK;

/*
 * Binds the guest listener (and the admin listener) without answering yet:
 * connections wait in the backlog until attestd_serve. *port (may be NULL)
 * receives the guest listener's bound TCP port (0 for a Unix socket).
 */
int attestd_bind(struct attestd *a, uint16_t *port, struct snp_err *err) SNP_MUST_CHECK;

/* Starts answering on the bound listeners (their threads start here). */
int attestd_serve(struct attestd *a, struct snp_err *err) SNP_MUST_CHECK;

/* attestd_bind then attestd_serve. */
int attestd_listen(struct attestd *a, uint16_t *port, struct snp_err *err) SNP_MUST_CHECK;

/* Stops both listeners (requests in flight finish) and frees everything. NULL is allowed. */
void attestd_close(struct attestd *a);

/* attestd_open then attestd_listen; on failure nothing is left open. */
int attestd_start(const struct attestd_opts *o, struct attestd **out, uint16_t *port,
		  struct snp_err *err) SNP_MUST_CHECK;

/* attestd_close. */
void attestd_stop(struct attestd *a);

/* The guest listener's handler (ctx is the struct attestd). */
void attestd_handle(void *ctx, const struct httpd_req *req, struct httpd_resp *resp);

/* The open store (owned by a), for the admin routes. */
struct store *attestd_store(struct attestd *a);

/* The current time in seconds, through the injected clock. */
int64_t attestd_now(const struct attestd *a);

#endif
