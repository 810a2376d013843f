/*
 * The one HTTP/1.1 server wrapper (libmicrohttpd, loaded on first use through
 * util/dl.h) under every snpvm service: `snpvm sim kds` and `snpvm attestd`
 * (guest-facing and admin listeners). Services are written as plain handler
 * functions from a request struct to a response struct, so route code is
 * tested without a socket; only httpd/httpd.c knows libmicrohttpd.
 *
 * Listens on exactly the address it is given: "IPv4:PORT", "[IPv6]:PORT"
 * (port 0 picks a free one) or "unix:/path" (a Unix socket created mode 0600,
 * refused if the path exists and is not a socket).
 */
#ifndef SNPVM_HTTPD_HTTPD_H
#define SNPVM_HTTPD_HTTPD_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Response headers a handler may add besides Content-Type and Content-Length. */
#define HTTPD_MAX_RESP_HEADERS 6

struct httpd_req;

/* Looks up a request header (case-insensitive), cookie or query argument; NULL when absent. */
typedef const char *httpd_lookup_fn(const struct httpd_req *req, const char *name);

struct httpd_req {
	const char *method;       /* "GET", "POST", ... */
	const char *path;         /* the URL path, without the query string */
	const char *content_type; /* NULL when absent */
	const uint8_t *body;      /* the whole body (bounded by httpd_opts.max_body); never NULL */
	size_t body_len;
	const char *peer;         /* client address as text ("127.0.0.1", "::1", "unix") */
	httpd_lookup_fn *header;
	httpd_lookup_fn *cookie;
	httpd_lookup_fn *query;
	void *impl;               /* the wrapper's; tests may point it at their own tables */
};

struct httpd_resp_header {
	const char *name; /* static string */
	char *value;      /* malloc'd */
};

struct httpd_resp {
	unsigned status;          /* HTTP status; 0 is answered as 500 */
	const char *content_type; /* static string, or NULL for no body */
	uint8_t *body;            /* malloc'd, or NULL */
	size_t len;
	unsigned nheaders;
	struct httpd_resp_header headers[HTTPD_MAX_RESP_HEADERS];
};

/*
 * Answers one request; runs on one of the server's threads, so it must be
 * thread-safe. It never fails: errors become a status and a body.
 */
typedef void httpd_handler_fn(void *ctx, const struct httpd_req *req, struct httpd_resp *resp);

struct httpd_opts {
	const char *listen;    /* see the top of this file */
	unsigned threads;      /* worker threads; 0 = 1 */
	size_t max_body;       /* larger bodies are refused with 413 before the handler runs; 0 = 64 KiB */
	unsigned timeout_s;    /* idle/slow-client connection timeout; 0 = 10 s */
	unsigned max_conns;    /* concurrent connections; 0 = 256 */
	const char *tls_cert;  /* PEM files: both set = HTTPS, both NULL = HTTP */
	const char *tls_key;
};

struct httpd;

/*
 * The first half of httpd_start: reads the TLS material, loads
 * libmicrohttpd and binds the listening socket (listen(2) included, so
 * clients can already connect: they wait in the backlog), but starts no
 * thread and answers nothing. *port receives the bound TCP port (0 for a
 * Unix socket); port may be NULL. A service that confines itself
 * (attestd/confine.h) does so between httpd_bind and httpd_serve, so no
 * request is ever answered before it is confined. httpd_stop frees a server
 * that never served.
 */
int httpd_bind(const struct httpd_opts *o, httpd_handler_fn *fn, void *ctx, struct httpd **out,
	       uint16_t *port, struct snp_err *err) SNP_MUST_CHECK;

/* The second half: starts the threads that accept and answer. 0 when already serving. */
int httpd_serve(struct httpd *h, struct snp_err *err) SNP_MUST_CHECK;

/* httpd_bind then httpd_serve; on failure nothing is left open. */
int httpd_start(const struct httpd_opts *o, httpd_handler_fn *fn, void *ctx, struct httpd **out,
		uint16_t *port, struct snp_err *err) SNP_MUST_CHECK;

/*
 * Stops accepting, lets requests in flight finish, frees the server (and
 * unlinks its Unix socket). NULL is allowed.
 */
void httpd_stop(struct httpd *h);

/* Adds a response header (value formatted); returns 0, or SNP_E_NOMEM / SNP_E_INVALID when full. */
int httpd_resp_header(struct httpd_resp *resp, const char *name, const char *fmt, ...)
	SNP_PRINTF(3, 4) SNP_MUST_CHECK;

/* Sets status and a copy of body (content_type static). Returns 0 or SNP_E_NOMEM (then status 500). */
int httpd_resp_set(struct httpd_resp *resp, unsigned status, const char *content_type,
		   const void *body, size_t len);

/* Frees what a handler put into resp and zeroes it. */
void httpd_resp_free(struct httpd_resp *resp);

#endif
