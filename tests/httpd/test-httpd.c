/*
 * httpd/httpd.c over loopback with libcurl: methods, bodies, the body limit,
 * headers, cookies and query arguments reaching the handler, response
 * headers, Unix sockets (mode 0600), TLS, a stop that lets a request in
 * flight finish, and a server bound (httpd_bind) that answers nothing until
 * httpd_serve.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "httpd/httpd.h"
#include "tests/common/httpc.h"
#include "tests/common/testutil.h"

struct echo {
	sem_t entered;   /* posted when /slow has started */
	unsigned slow_ms;
};

static void put(json_t *o, const char *k, const char *v)
{
	json_object_set_new(o, k, v ? json_string(v) : json_null());
}

/* Echoes what the handler saw as JSON; /slow sleeps first. */
static void echo_handler(void *ctx, const struct httpd_req *req, struct httpd_resp *resp)
{
	struct echo *e = ctx;
	json_t *o = json_object();
	char *text;

	if (strcmp(req->path, "/slow") == 0) {
		sem_post(&e->entered);
		usleep(e->slow_ms * 1000);
	}
	put(o, "method", req->method);
	put(o, "path", req->path);
	put(o, "content_type", req->content_type);
	put(o, "peer", req->peer);
	put(o, "header", req->header(req, "x-test"));
	put(o, "cookie", req->cookie(req, "sid"));
	put(o, "query", req->query(req, "a"));
	json_object_set_new(o, "body", json_stringn((const char *)req->body, req->body_len));
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	assert_int_equal(httpd_resp_set(resp, 201, "application/json", text, strlen(text)), 0);
	free(text);
	assert_int_equal(httpd_resp_header(resp, "X-Reply", "v=%d", 7), 0);
}

struct fx {
	struct echo e;
	struct httpd *h;
	uint16_t port;
	char url[128];
	char *dir;
};

static struct fx *start(const char *listen, size_t max_body)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct httpd_opts o = { .listen = listen, .threads = 2, .max_body = max_body };
	struct snp_err err = { 0 };

	assert_non_null(f);
	sem_init(&f->e.entered, 0, 0);
	f->e.slow_ms = 400;
	if (httpd_start(&o, echo_handler, &f->e, &f->h, &f->port, &err) != 0)
		fail_msg("httpd_start %s: %s", listen, err.msg);
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%u", f->port);
	return f;
}

static void finish(struct fx *f)
{
	httpd_stop(f->h);
	sem_destroy(&f->e.entered);
	if (f->dir)
		rm_rf(f->dir);
	free(f->dir);
	free(f);
}

static json_t *body_json(const struct httpc_resp *r)
{
	json_error_t je;
	json_t *j = json_loadb((const char *)r->body, r->len, 0, &je);

	if (j == NULL)
		fail_msg("not JSON: %.*s", (int)r->len, (const char *)r->body);
	return j;
}

static void assert_member(const json_t *o, const char *k, const char *want)
{
	const char *got = json_string_value(json_object_get(o, k));

	if (want == NULL) {
		assert_true(json_is_null(json_object_get(o, k)));
		return;
	}
	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("%s: got '%s', want '%s'", k, got ? got : "(null)", want);
}

static void get_sees_path_query_header_cookie(void **state)
{
	struct fx *f = start("127.0.0.1:0", 0);
	const char *hdrs[] = { "X-Test: hello", NULL };
	struct httpc_req r = { .headers = hdrs, .cookie = "sid=abc; other=1" };
	struct httpc_resp resp;
	char url[256], h[64];
	json_t *j;

	(void)state;
	assert_int_not_equal(f->port, 0);
	snprintf(url, sizeof(url), "%s/x/y?a=1%%2B2&b=3", f->url);
	r.url = url;
	assert_int_equal(httpc_do(&r, &resp), 0);
	assert_int_equal(resp.status, 201);
	assert_non_null(httpc_header(&resp, "content-type", h, sizeof(h)));
	assert_string_equal(h, "application/json");
	assert_non_null(httpc_header(&resp, "X-Reply", h, sizeof(h)));
	assert_string_equal(h, "v=7");
	j = body_json(&resp);
	assert_member(j, "method", "GET");
	assert_member(j, "path", "/x/y");
	assert_member(j, "query", "1+2");
	assert_member(j, "header", "hello");
	assert_member(j, "cookie", "abc");
	assert_member(j, "peer", "127.0.0.1");
	assert_member(j, "content_type", NULL);
	assert_member(j, "body", "");
	json_decref(j);
	httpc_resp_free(&resp);
	finish(f);
}

/* A 16 KiB header (an EAR Bearer token is a few KiB) fits the per-connection memory. */
static void large_header_served(void **state)
{
	struct fx *f = start("127.0.0.1:0", 0);
	size_t n = 16 * 1024;
	char *hdr = malloc(n + 16), url[256];
	const char *hdrs[] = { hdr, NULL };
	struct httpc_req r = { .headers = hdrs, .url = url };
	struct httpc_resp resp;
	json_t *j;

	(void)state;
	assert_non_null(hdr);
	memcpy(hdr, "X-Test: ", 8);
	memset(hdr + 8, 'a', n);
	hdr[8 + n] = '\0';
	snprintf(url, sizeof(url), "%s/big", f->url);
	assert_int_equal(httpc_do(&r, &resp), 0);
	assert_int_equal(resp.status, 201);
	j = body_json(&resp);
	assert_int_equal(strlen(json_string_value(json_object_get(j, "header"))), n);
	json_decref(j);
	httpc_resp_free(&resp);
	free(hdr);
	finish(f);
}

/* A body of exactly max_body reaches the handler whole; one byte more is 413, and the server goes on. */
static void post_body_and_its_limit(void **state)
{
	struct fx *f = start("127.0.0.1:0", 1024);
	char body[1025], url[256], h[64];
	struct httpc_req r = { .url = url, .body = body, .body_len = 1024,
			       .content_type = "text/plain" };
	struct httpc_resp resp;
	json_t *j;

	(void)state;
	memset(body, 'q', sizeof(body));
	snprintf(url, sizeof(url), "%s/post", f->url);
	assert_int_equal(httpc_do(&r, &resp), 0);
	assert_int_equal(resp.status, 201);
	j = body_json(&resp);
	assert_member(j, "method", "POST");
	assert_member(j, "content_type", "text/plain");
	assert_int_equal(json_string_length(json_object_get(j, "body")), 1024);
	assert_memory_equal(json_string_value(json_object_get(j, "body")), body, 1024);
	json_decref(j);
	httpc_resp_free(&resp);

	r.body_len = 1025;
	assert_int_equal(httpc_do(&r, &resp), 0);
	assert_int_equal(resp.status, 413);
	assert_non_null(httpc_header(&resp, "content-type", h, sizeof(h)));
	assert_string_equal(h, "application/problem+json");
	j = body_json(&resp);
	assert_int_equal(json_integer_value(json_object_get(j, "status")), 413);
	json_decref(j);
	httpc_resp_free(&resp);

	r.body_len = 10;
	assert_int_equal(httpc_do(&r, &resp), 0);
	assert_int_equal(resp.status, 201);
	httpc_resp_free(&resp);
	finish(f);
}

static void unix_socket_is_0600_and_serves(void **state)
{
	char *dir = tmpdir_make(), sock[512], listen[600], junk[512];
	struct httpc_req r = { .url = "http://localhost/u", .unix_path = sock };
	struct httpc_resp resp;
	struct httpd_opts o = { .listen = listen };
	struct httpd *h = NULL;
	struct snp_err err = { 0 };
	struct stat st;
	struct fx *f;
	json_t *j;
	FILE *fp;

	(void)state;
	snprintf(sock, sizeof(sock), "%s/admin.sock", dir);
	snprintf(listen, sizeof(listen), "unix:%s", sock);
	f = start(listen, 0);
	assert_int_equal(f->port, 0);
	assert_int_equal(lstat(sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(httpc_do(&r, &resp), 0);
	assert_int_equal(resp.status, 201);
	j = body_json(&resp);
	assert_member(j, "peer", "unix");
	json_decref(j);
	httpc_resp_free(&resp);
	finish(f);
	assert_int_not_equal(lstat(sock, &st), 0); /* unlinked on stop */

	/* A path that exists and is not a socket is refused, and left alone. */
	snprintf(junk, sizeof(junk), "%s/file", dir);
	fp = fopen(junk, "w");
	assert_non_null(fp);
	fclose(fp);
	snprintf(listen, sizeof(listen), "unix:%s", junk);
	assert_int_equal(httpd_start(&o, echo_handler, NULL, &h, NULL, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "not a socket"));
	assert_int_equal(lstat(junk, &st), 0);
	assert_null(h);
	rm_rf(dir);
	free(dir);
}

static void bad_addresses_refused(void **state)
{
	static const char *const bad[] = {
		"localhost:0", "127.0.0.1", "127.0.0.1:70000", "127.0.0.1:", ":80", "[::1:0",
		"unix:", "1.2.3.4:x",
	};
	struct snp_err err = { 0 };
	struct httpd *h = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct httpd_opts o = { .listen = bad[i] };

		if (httpd_start(&o, echo_handler, NULL, &h, NULL, &err) != SNP_E_INVALID)
			fail_msg("'%s' was not refused as invalid (%s)", bad[i], err.msg);
		assert_null(h);
	}
}

static void ipv6_loopback_serves(void **state)
{
	struct fx *f = start("[::1]:0", 0);
	char url[128];
	struct httpc_req r = { .url = url };
	struct httpc_resp resp;
	json_t *j;

	(void)state;
	snprintf(url, sizeof(url), "http://[::1]:%u/six", f->port);
	if (httpc_do(&r, &resp) != 0) {
		httpc_resp_free(&resp);
		finish(f);
		skip(); /* no IPv6 loopback in this environment */
	}
	j = body_json(&resp);
	assert_member(j, "peer", "::1");
	json_decref(j);
	httpc_resp_free(&resp);
	finish(f);
}

struct inflight {
	const char *url;
	struct httpc_resp resp;
	int rc;
};

static void *slow_client(void *arg)
{
	struct inflight *in = arg;
	struct httpc_req r = { .url = in->url };

	in->rc = httpc_do(&r, &in->resp);
	return NULL;
}

static void stop_lets_request_in_flight_finish(void **state)
{
	struct fx *f = start("127.0.0.1:0", 0);
	char url[256];
	struct inflight in = { .url = url };
	struct httpc_req r = { .url = url, .timeout_s = 2 };
	struct httpc_resp resp;
	pthread_t t;
	json_t *j;

	(void)state;
	snprintf(url, sizeof(url), "%s/slow", f->url);
	assert_int_equal(pthread_create(&t, NULL, slow_client, &in), 0);
	sem_wait(&f->e.entered);
	/* The handler is running: stop now. */
	httpd_stop(f->h);
	f->h = NULL;
	pthread_join(t, NULL);
	assert_int_equal(in.rc, 0);
	assert_int_equal(in.resp.status, 201);
	j = body_json(&in.resp);
	assert_member(j, "path", "/slow");
	json_decref(j);
	httpc_resp_free(&in.resp);
	/* Nothing listens any more. */
	assert_int_not_equal(httpc_do(&r, &resp), 0);
	httpc_resp_free(&resp);
	finish(f);
}

struct waiting {
	const char *url;
	struct httpc_resp resp;
	int rc;
	sem_t done;
};

static void *waiting_client(void *arg)
{
	struct waiting *w = arg;
	struct httpc_req r = { .url = w->url, .timeout_s = 20 };

	w->rc = httpc_do(&r, &w->resp);
	sem_post(&w->done);
	return NULL;
}

/*
 * Bound, not serving: a client connects (the socket listens) but gets no
 * answer until httpd_serve, which is where a service confines itself
 * (attestd/confine.h). A server that never served is freed by httpd_stop and
 * leaves nothing listening.
 */
static void bound_answers_only_once_serving(void **state)
{
	struct httpd_opts o = { .listen = "127.0.0.1:0", .threads = 2 };
	struct echo e = { .slow_ms = 0 };
	struct snp_err err = { 0 };
	struct httpd *h = NULL;
	struct waiting w = { 0 };
	struct httpc_req r;
	struct httpc_resp resp;
	struct timespec until;
	char url[128];
	uint16_t port = 0;
	pthread_t t;
	json_t *j;

	(void)state;
	sem_init(&e.entered, 0, 0);
	sem_init(&w.done, 0, 0);
	if (httpd_bind(&o, echo_handler, &e, &h, &port, &err) != 0)
		fail_msg("httpd_bind: %s", err.msg);
	assert_int_not_equal(port, 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/early", port);
	w.url = url;
	assert_int_equal(pthread_create(&t, NULL, waiting_client, &w), 0);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 300 * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	/* no answer while only bound */
	assert_int_equal(sem_timedwait(&w.done, &until), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_int_equal(httpd_serve(h, &err), 0);
	assert_int_equal(httpd_serve(h, &err), 0); /* already serving: nothing more */
	sem_wait(&w.done);
	pthread_join(t, NULL);
	assert_int_equal(w.rc, 0);
	assert_int_equal(w.resp.status, 201);
	j = body_json(&w.resp);
	assert_member(j, "path", "/early");
	json_decref(j);
	httpc_resp_free(&w.resp);
	httpd_stop(h);

	/* bound and stopped without ever serving */
	if (httpd_bind(&o, echo_handler, &e, &h, &port, &err) != 0)
		fail_msg("httpd_bind: %s", err.msg);
	httpd_stop(h);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", port);
	r = (struct httpc_req){ .url = url, .timeout_s = 2 };
	assert_int_not_equal(httpc_do(&r, &resp), 0);
	httpc_resp_free(&resp);
	sem_destroy(&w.done);
	sem_destroy(&e.entered);
}

static void tls_serves_with_given_certificate(void **state)
{
	char *dir = tmpdir_make(), cert[512], key[512], url[128];
	struct httpd_opts o = { .listen = "127.0.0.1:0", .tls_cert = cert, .tls_key = key };
	struct httpc_req r = { .url = url, .cainfo = cert };
	struct httpc_resp resp;
	struct snp_err err = { 0 };
	struct httpd *h = NULL;
	struct echo e = { .slow_ms = 0 };
	uint16_t port = 0;

	(void)state;
	tls_selfsigned(dir, "IP:127.0.0.1", cert, key, sizeof(cert));
	if (httpd_start(&o, echo_handler, &e, &h, &port, &err) != 0)
		fail_msg("httpd_start TLS: %s", err.msg);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/tls", port);
	assert_int_equal(httpc_do(&r, &resp), 0);
	assert_int_equal(resp.status, 201);
	httpc_resp_free(&resp);
	/* Plain HTTP to the TLS port gets no answer. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/tls", port);
	r.timeout_s = 3;
	httpc_do(&r, &resp);
	assert_int_not_equal(resp.status, 201);
	httpc_resp_free(&resp);
	httpd_stop(h);
	/* Only one of the pair is refused. */
	o.tls_key = NULL;
	assert_int_equal(httpd_start(&o, echo_handler, &e, &h, &port, &err), SNP_E_INVALID);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(get_sees_path_query_header_cookie),
		cmocka_unit_test(large_header_served),
		cmocka_unit_test(post_body_and_its_limit),
		cmocka_unit_test(unix_socket_is_0600_and_serves),
		cmocka_unit_test(bad_addresses_refused),
		cmocka_unit_test(ipv6_loopback_serves),
		cmocka_unit_test(stop_lets_request_in_flight_finish),
		cmocka_unit_test(bound_answers_only_once_serving),
		cmocka_unit_test(tls_serves_with_given_certificate),
	};

	return cmocka_run_group_tests_name("httpd", tests, NULL, NULL);
}
