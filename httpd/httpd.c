/*
 * httpd/httpd.h over libmicrohttpd, resolved at bind time through util/dl.h:
 * a thread pool (started by httpd_serve) on one listening socket that
 * httpd/listen.c binds (httpd_bind), the body
 * gathered into one capped buffer per request (413 beyond httpd_opts.max_body),
 * the handler called once with the whole request, and a stop that lets the
 * requests in flight finish (MHD_quiesce_daemon, wait, MHD_stop_daemon).
 */
#include "httpd/httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/crypto.h>

#include "httpd/listen.h"
#include "util/dl.h"
#include "util/file.h"

#define HTTPD_DEFAULT_MAX_BODY (64 * 1024)
#define HTTPD_DEFAULT_TIMEOUT_S 10
#define HTTPD_DEFAULT_MAX_CONNS 256
#define HTTPD_TLS_FILE_MAX (256 * 1024)

/* The libmicrohttpd calls used (util/dl.h says why they are not linked). */
struct mhd_api {
	void *handle;
	struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port,
					   MHD_AcceptPolicyCallback apc, void *apc_cls,
					   MHD_AccessHandlerCallback dh, void *dh_cls, ...);
	void (*stop_daemon)(struct MHD_Daemon *d);
	MHD_socket (*quiesce_daemon)(struct MHD_Daemon *d);
	const char *(*lookup_connection_value)(struct MHD_Connection *c, enum MHD_ValueKind kind,
					       const char *key);
	const union MHD_ConnectionInfo *(*get_connection_info)(struct MHD_Connection *c,
								enum MHD_ConnectionInfoType t,
								...);
	struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buf,
							    enum MHD_ResponseMemoryMode mode);
	enum MHD_Result (*add_response_header)(struct MHD_Response *r, const char *header,
					       const char *content);
	enum MHD_Result (*queue_response)(struct MHD_Connection *c, unsigned int status,
					  struct MHD_Response *r);
	void (*destroy_response)(struct MHD_Response *r);
};

static const char *const api_names[] = {
	"MHD_start_daemon", "MHD_stop_daemon", "MHD_quiesce_daemon",
	"MHD_lookup_connection_value", "MHD_get_connection_info",
	"MHD_create_response_from_buffer", "MHD_add_response_header", "MHD_queue_response",
	"MHD_destroy_response",
};

static int api_load(struct mhd_api *a, struct snp_err *err)
{
	void *fn[sizeof(api_names) / sizeof(api_names[0])];
	int ret;

	if ((ret = dl_open("libmicrohttpd.so.12", api_names, fn, sizeof(fn) / sizeof(fn[0]),
			   &a->handle, err)) != 0)
		return ret;
	a->start_daemon = (struct MHD_Daemon * (*)(unsigned int, uint16_t, MHD_AcceptPolicyCallback,
						   void *, MHD_AccessHandlerCallback, void *, ...))fn[0];
	a->stop_daemon = (void (*)(struct MHD_Daemon *))fn[1];
	a->quiesce_daemon = (MHD_socket(*)(struct MHD_Daemon *))fn[2];
	a->lookup_connection_value = (const char *(*)(struct MHD_Connection *, enum MHD_ValueKind,
						      const char *))fn[3];
	a->get_connection_info = (const union MHD_ConnectionInfo *(*)(
		struct MHD_Connection *, enum MHD_ConnectionInfoType, ...))fn[4];
	a->create_response_from_buffer = (struct MHD_Response * (*)(size_t, void *,
								    enum MHD_ResponseMemoryMode))fn[5];
	a->add_response_header = (enum MHD_Result(*)(struct MHD_Response *, const char *,
						     const char *))fn[6];
	a->queue_response = (enum MHD_Result(*)(struct MHD_Connection *, unsigned int,
						struct MHD_Response *))fn[7];
	a->destroy_response = (void (*)(struct MHD_Response *))fn[8];
	return 0;
}

struct httpd {
	struct mhd_api api;
	struct MHD_Daemon *daemon;
	struct httpd_listener listener;
	httpd_handler_fn *fn;
	void *ctx;
	char listen[256];          /* the address, for httpd_serve's error */
	unsigned threads, max_conns;
	size_t max_body;
	unsigned timeout_s;
	uint8_t *tls_cert, *tls_key; /* NUL-terminated PEM text */
	size_t tls_cert_len, tls_key_len;
	/* Requests between their first callback and their completion. */
	pthread_mutex_t lock;
	pthread_cond_t idle;
	unsigned active;
};

/* One request's state, from the first callback to the completion callback. */
struct reqctx {
	struct httpd *h;
	struct MHD_Connection *conn;
	uint8_t *body;
	size_t len, cap;
	bool too_large;
};

static const char *lookup(const struct httpd_req *req, enum MHD_ValueKind kind, const char *name)
{
	const struct reqctx *rc = req->impl;

	return rc->h->api.lookup_connection_value(rc->conn, kind, name);
}

static const char *lookup_header(const struct httpd_req *req, const char *name)
{
	return lookup(req, MHD_HEADER_KIND, name);
}

static const char *lookup_cookie(const struct httpd_req *req, const char *name)
{
	return lookup(req, MHD_COOKIE_KIND, name);
}

static const char *lookup_query(const struct httpd_req *req, const char *name)
{
	return lookup(req, MHD_GET_ARGUMENT_KIND, name);
}

static void peer_text(struct httpd *h, struct MHD_Connection *conn, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		h->api.get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(buf, len, "unknown");
	if (h->listener.is_unix)
		snprintf(buf, len, "unix");
	else if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)len);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
			  (socklen_t)len);
}

/* Hands resp to libmicrohttpd (which frees the body) and frees the rest. */
static enum MHD_Result send_resp(struct httpd *h, struct MHD_Connection *conn,
				 struct httpd_resp *resp)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = h->api.create_response_from_buffer(resp->len, resp->body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		httpd_resp_free(resp);
		return MHD_NO;
	}
	resp->body = NULL;
	resp->len = 0;
	if (resp->content_type)
		h->api.add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	for (unsigned i = 0; i < resp->nheaders && i < HTTPD_MAX_RESP_HEADERS; i++)
		if (resp->headers[i].value)
			h->api.add_response_header(r, resp->headers[i].name, resp->headers[i].value);
	ret = h->api.queue_response(conn, resp->status ? resp->status : 500, r);
	h->api.destroy_response(r);
	httpd_resp_free(resp);
	return ret;
}

static enum MHD_Result send_too_large(struct httpd *h, struct MHD_Connection *conn)
{
	struct httpd_resp resp = { 0 };
	char body[200];
	int n = snprintf(body, sizeof(body),
			 "{\"type\":\"about:blank\",\"title\":\"Payload Too Large\",\"status\":413,"
			 "\"detail\":\"request body larger than %zu bytes\"}", h->max_body);

	if (httpd_resp_set(&resp, 413, "application/problem+json", body, (size_t)n) != 0 ||
	    httpd_resp_header(&resp, "Connection", "close") != 0)
		httpd_resp_free(&resp);
	return send_resp(h, conn, &resp);
}

/* Appends upload bytes, or marks the request too large (and drops them). */
static void body_append(struct reqctx *rc, const char *data, size_t n)
{
	if (rc->too_large || n > rc->h->max_body - rc->len) {
		rc->too_large = true;
		return;
	}
	if (rc->len + n > rc->cap) {
		size_t cap = rc->cap ? rc->cap : 1024;
		uint8_t *nb;

		while (cap < rc->len + n)
			cap *= 2;
		if (cap > rc->h->max_body)
			cap = rc->h->max_body;
		if ((nb = realloc(rc->body, cap)) == NULL) {
			rc->too_large = true;
			return;
		}
		rc->body = nb;
		rc->cap = cap;
	}
	memcpy(rc->body + rc->len, data, n);
	rc->len += n;
}

/* A declared Content-Length above the limit (or unparseable): refused before any body is read. */
static bool declared_too_large(struct httpd *h, struct MHD_Connection *conn)
{
	const char *cl = h->api.lookup_connection_value(conn, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long v;
	char *end = NULL;

	if (cl == NULL)
		return false;
	errno = 0;
	v = strtoull(cl, &end, 10);
	return errno != 0 || end == cl || v > h->max_body;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	struct httpd *h = cls;
	struct reqctx *rc = *req_cls;
	struct httpd_resp resp = { 0 };
	struct httpd_req req;
	char peer[INET6_ADDRSTRLEN + 1];
	static const uint8_t empty[1];

	(void)version;
	if (rc == NULL) {
		/* First call: headers only. */
		if ((rc = calloc(1, sizeof(*rc))) == NULL)
			return MHD_NO;
		rc->h = h;
		rc->conn = conn;
		*req_cls = rc;
		pthread_mutex_lock(&h->lock);
		h->active++;
		pthread_mutex_unlock(&h->lock);
		if (declared_too_large(h, conn)) {
			rc->too_large = true;
			return send_too_large(h, conn);
		}
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		body_append(rc, upload_data, *upload_data_size);
		*upload_data_size = 0;
		/* A chunked body past the limit: nothing more is worth reading. */
		return rc->too_large ? MHD_NO : MHD_YES;
	}
	if (rc->too_large)
		return MHD_NO;
	peer_text(h, conn, peer, sizeof(peer));
	req = (struct httpd_req){
		.method = method,
		.path = url,
		.content_type = h->api.lookup_connection_value(conn, MHD_HEADER_KIND,
							      MHD_HTTP_HEADER_CONTENT_TYPE),
		.body = rc->body ? rc->body : empty,
		.body_len = rc->len,
		.peer = peer,
		.header = lookup_header,
		.cookie = lookup_cookie,
		.query = lookup_query,
		.impl = rc,
	};
	h->fn(h->ctx, &req, &resp);
	return send_resp(h, conn, &resp);
}

/* The single place a request's context is wiped and freed. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct httpd *h = cls;
	struct reqctx *rc = *req_cls;

	(void)conn;
	(void)toe;
	if (rc == NULL)
		return;
	if (rc->body) {
		OPENSSL_cleanse(rc->body, rc->cap);
		free(rc->body);
	}
	free(rc);
	*req_cls = NULL;
	pthread_mutex_lock(&h->lock);
	if (h->active > 0 && --h->active == 0)
		pthread_cond_broadcast(&h->idle);
	pthread_mutex_unlock(&h->lock);
}

static int load_tls(struct httpd *h, const struct httpd_opts *o, struct snp_err *err)
{
	int ret;

	if (!o->tls_cert && !o->tls_key)
		return 0;
	if (!o->tls_cert || !o->tls_key)
		return snp_errf(err, SNP_E_INVALID, "TLS needs both a certificate and a key");
	if ((ret = file_read(o->tls_cert, HTTPD_TLS_FILE_MAX, &h->tls_cert, &h->tls_cert_len,
			     err)) != 0 ||
	    (ret = file_read(o->tls_key, HTTPD_TLS_FILE_MAX, &h->tls_key, &h->tls_key_len,
			     err)) != 0)
		return ret;
	/* libmicrohttpd takes C strings. */
	if (memchr(h->tls_cert, 0, h->tls_cert_len) || memchr(h->tls_key, 0, h->tls_key_len))
		return snp_errf(err, SNP_E_INVALID, "TLS certificate and key must be PEM text");
	return 0;
}

static void free_tls(struct httpd *h)
{
	free(h->tls_cert);
	if (h->tls_key) {
		OPENSSL_cleanse(h->tls_key, h->tls_key_len);
		free(h->tls_key);
	}
	h->tls_cert = h->tls_key = NULL;
}

/* file_read's buffers are NUL-terminated only if we make them so. */
static int tls_strings(struct httpd *h, struct snp_err *err)
{
	uint8_t *c, *k;

	if (!h->tls_cert)
		return 0;
	if ((c = realloc(h->tls_cert, h->tls_cert_len + 1)) == NULL)
		return snp_errf(err, SNP_E_NOMEM, "out of memory");
	h->tls_cert = c;
	c[h->tls_cert_len] = 0;
	if ((k = malloc(h->tls_key_len + 1)) == NULL)
		return snp_errf(err, SNP_E_NOMEM, "out of memory");
	memcpy(k, h->tls_key, h->tls_key_len);
	k[h->tls_key_len] = 0;
	OPENSSL_cleanse(h->tls_key, h->tls_key_len);
	free(h->tls_key);
	h->tls_key = k;
	h->tls_key_len++;
	return 0;
}

/*
 * Per-connection memory for the request line, headers and buffers. At most
 * 32 KiB libmicrohttpd takes it from malloc; above that it mmaps a fresh
 * pool per connection, and the munmap at its close flushes the TLB on every
 * core (about 9% of attestd's CPU under load, one connection per request).
 * An EAR Bearer token is well under half of it (tests/httpd: 16 KiB headers).
 */
#define HTTPD_CONN_MEMORY (32u * 1024)

/*
 * poll(), not epoll: httpd_stop quiesces the daemon, and libmicrohttpd 0.9.75
 * (Debian 12) with epoll and internal threads races there: MHD_quiesce_daemon
 * and a worker's MHD_epoll both remove the listening socket from the epoll
 * set, without a lock, and the loser's EPOLL_CTL_DEL fails with ENOENT and
 * MHD_PANIC aborts the process ("Failed to remove listen FD from epoll set",
 * daemon.c). It aborted test-attestd-http once in CI. With poll() quiescing
 * only signals the workers through the ITC pipe. The pool's connection limit
 * (HTTPD_DEFAULT_MAX_CONNS) keeps each worker's poll set small.
 */
static struct MHD_Daemon *start_daemon(struct httpd *h, unsigned threads, unsigned max_conns)
{
	unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ITC;
	unsigned per_ip = h->listener.is_unix ? 0 : (max_conns + 1) / 2;
	/* libmicrohttpd reads its options as a va_list: the TLS pair only when set. */
	struct MHD_OptionItem tls[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, h->tls_cert },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, h->tls_key },
		{ MHD_OPTION_END, 0, NULL },
	};

	if (h->tls_cert)
		flags |= MHD_USE_TLS;
	else
		tls[0].option = MHD_OPTION_END;
	return h->api.start_daemon(flags, 0, NULL, NULL, on_request, h,
				   MHD_OPTION_LISTEN_SOCKET, h->listener.fd,
				   MHD_OPTION_THREAD_POOL_SIZE, threads,
				   MHD_OPTION_CONNECTION_LIMIT, max_conns,
				   MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
				   MHD_OPTION_CONNECTION_TIMEOUT, h->timeout_s,
				   MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTPD_CONN_MEMORY,
				   MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				   MHD_OPTION_ARRAY, tls,
				   MHD_OPTION_END);
}

/* Releases what httpd_bind made (the daemon is already stopped or never started). */
static void httpd_free(struct httpd *h)
{
	httpd_listen_close(&h->listener);
	dl_close(h->api.handle);
	free_tls(h);
	pthread_cond_destroy(&h->idle);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

int httpd_bind(const struct httpd_opts *o, httpd_handler_fn *fn, void *ctx, struct httpd **out,
	       uint16_t *port, struct snp_err *err)
{
	struct httpd *h = NULL;
	unsigned max_conns = o->max_conns ? o->max_conns : HTTPD_DEFAULT_MAX_CONNS;
	int ret = SNP_E_INTERNAL;

	*out = NULL;
	if (port)
		*port = 0;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return snp_errf(err, SNP_E_NOMEM, "out of memory");
	h->listener.fd = -1;
	h->fn = fn;
	h->ctx = ctx;
	h->threads = o->threads ? o->threads : 1;
	h->max_conns = max_conns;
	h->max_body = o->max_body ? o->max_body : HTTPD_DEFAULT_MAX_BODY;
	h->timeout_s = o->timeout_s ? o->timeout_s : HTTPD_DEFAULT_TIMEOUT_S;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->idle, NULL);
	if ((ret = load_tls(h, o, err)) != 0 || (ret = tls_strings(h, err)) != 0 ||
	    (ret = api_load(&h->api, err)) != 0 ||
	    (ret = httpd_listen_open(o->listen, (int)max_conns, &h->listener, err)) != 0)
		goto out;
	snprintf(h->listen, sizeof(h->listen), "%s", o->listen); /* for messages only */
	if (port)
		*port = h->listener.port;
	*out = h;
	h = NULL;
	ret = 0;
out:
	if (h)
		httpd_free(h);
	return ret;
}

int httpd_serve(struct httpd *h, struct snp_err *err)
{
	if (h->daemon)
		return 0;
	if ((h->daemon = start_daemon(h, h->threads, h->max_conns)) == NULL)
		return snp_errf(err, SNP_E_SYS, "httpd: libmicrohttpd refused to serve on %s%s",
				h->listen, h->tls_cert ? " (check the TLS certificate and key)" : "");
	return 0;
}

int httpd_start(const struct httpd_opts *o, httpd_handler_fn *fn, void *ctx, struct httpd **out,
		uint16_t *port, struct snp_err *err)
{
	int ret;

	if ((ret = httpd_bind(o, fn, ctx, out, port, err)) != 0)
		return ret;
	if ((ret = httpd_serve(*out, err)) != 0) {
		httpd_stop(*out);
		*out = NULL;
		if (port)
			*port = 0;
	}
	return ret;
}

void httpd_stop(struct httpd *h)
{
	MHD_socket fd;
	struct timespec until;

	if (h == NULL)
		return;
	if (h->daemon == NULL) { /* bound, never served */
		httpd_free(h);
		return;
	}
	/* Stop accepting; the listening socket comes back to us. */
	fd = h->api.quiesce_daemon(h->daemon);
	if (fd != MHD_INVALID_SOCKET && fd == h->listener.fd)
		close(fd);
	h->listener.fd = -1;
	/* Requests in flight finish (bounded by the slow-client timeout). */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)h->timeout_s + 1;
	pthread_mutex_lock(&h->lock);
	while (h->active > 0)
		if (pthread_cond_timedwait(&h->idle, &h->lock, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&h->lock);
	h->api.stop_daemon(h->daemon);
	httpd_free(h);
}
