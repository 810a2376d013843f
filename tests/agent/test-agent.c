/*
 * agent/agent.c, the whole RCAR exchange, against a small fake KBS on
 * loopback (a thread speaking just enough HTTP/1.1: one request per
 * connection, Connection: close). The fake checks what a server must: the
 * Request body, the session cookie on /attest and /resource, that REPORT_DATA
 * in the report is SHA-384(JCS(runtime-data)) || 0^16 (attestd/binding.h),
 * and it wraps the secret to the tee-pubkey with attestd/jwe.h. The report
 * comes from a fake provider: a real Turin report (tests/data/attest/mstav,
 * see tests/data/attest/README.md) with REPORT_DATA replaced; nothing here
 * verifies signatures (that is attestd's job, tested there). Also
 * `snpvm agent` itself with the sim provider against a fake report channel.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "abi/report.h"
#include "agent/agent.h"
#include "attestd/b64url.h"
#include "attestd/binding.h"
#include "attestd/jwe.h"
#include "attestd/jwk.h"
#include "attestd/tsm-cbor.h"
#include "tests/common/testutil.h"
#include "util/file.h"

#define NONCE "3II/yLznih72qKuR5tms3PRo4C03WVJ+QE8J5B+Qjg0="
#define COOKIE "5f0c1c1e-0b7d-4c59-9d0e-3a0d2c9f7e11"
#define SECRET "the tenant's disk key \x01\x02\x03"
#define FIXTURE "attest/mstav/turin_attestation_report.bin"
#define RESOURCE "tenant-a/disk/root"

struct fake_kbs {
	int lfd, port;
	volatile bool stop;
	pthread_t th;
	/* behaviour */
	int attest_status;   /* 0: answer a token; else this status with a problem body */
	int resource_status; /* 0: answer the JWE; else this status */
	bool no_cookie;
	bool keep_alive;     /* serve further requests on a connection (else close it) */
	/* what it saw */
	int conns;           /* connections accepted */
	int auth_ok, attest_ok, resource_ok;
	char form[8]; /* "json" or "cbor" */
	size_t cert_table_len;
	uint8_t report_data[SNP_REPORT_DATA_SIZE];
	struct jwk_pub pub; /* from /attest, for /resource */
};

static bool server_keeps_alive;

static void reply(int fd, int status, const char *extra_hdr, const char *body)
{
	char head[512];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
			 "%s%s\r\n",
			 status, strlen(body), server_keeps_alive ? "" : "Connection: close\r\n",
			 extra_hdr ? extra_hdr : "");

	(void)!send(fd, head, (size_t)n, MSG_NOSIGNAL);
	(void)!send(fd, body, strlen(body), MSG_NOSIGNAL);
}

static void problem(int fd, int status, const char *type, const char *detail)
{
	char body[512];

	snprintf(body, sizeof(body),
		 "{\"type\":\"https://snpvm.example/errors/%s\",\"title\":\"refused\","
		 "\"detail\":\"%s\"}", type, detail);
	reply(fd, status, NULL, body);
}

/* Reads one request: method, path, the kbs-session-id cookie (or ""), the body. */
static bool read_request(int fd, char *method, char *path, char *cookie, char **body)
{
	static char buf[256 * 1024];
	size_t len = 0, clen = 0, hlen;
	char *end = NULL, *p;
	ssize_t n;

	while (!end) {
		if (len == sizeof(buf) - 1 || (n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0)) <= 0)
			return false;
		len += (size_t)n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	hlen = (size_t)(end - buf) + 4;
	if (sscanf(buf, "%7s %255s", method, path) != 2)
		return false;
	cookie[0] = '\0';
	for (p = buf; p && p < end; p = strstr(p, "\r\n") ? strstr(p, "\r\n") + 2 : NULL) {
		if (strncasecmp(p, "Content-Length:", 15) == 0)
			clen = strtoul(p + 15, NULL, 10);
		if (strncasecmp(p, "Cookie: kbs-session-id=", 23) == 0)
			sscanf(p + 23, "%127[^\r;]", cookie);
	}
	while (len < hlen + clen) {
		if ((n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0)) <= 0)
			return false;
		len += (size_t)n;
	}
	buf[hlen + clen] = '\0';
	*body = buf + hlen;
	return true;
}

static void on_auth(struct fake_kbs *k, int fd, const char *body)
{
	if (strcmp(body, "{\"version\":\"0.4.0\",\"tee\":\"snp\",\"extra-params\":{}}") != 0) {
		problem(fd, 400, "InvalidRequest", "bad request body");
		return;
	}
	k->auth_ok++;
	reply(fd, 200,
	      k->no_cookie ? NULL
			   : "Set-Cookie: kbs-session-id=" COOKIE "; Secure; HttpOnly; Path=/kbs; "
			     "Max-Age=300\r\n",
	      "{\"nonce\":\"" NONCE "\",\"extra-params\":{}}");
}

static void on_attest(struct fake_kbs *k, int fd, const char *body)
{
	static uint8_t raw[TSM_CBOR_MAX];
	struct snp_err err = { 0 };
	json_t *o = json_loads(body, 0, NULL);
	json_t *rtd = json_object_get(o, "runtime-data"), *ev = json_object_get(o, "tee-evidence");
	const char *rep64 = json_string_value(json_object_get(ev, "report"));
	const char *tsm64 = json_string_value(json_object_get(ev, "tsm-report"));
	const char *tab64 = json_string_value(json_object_get(ev, "cert-table"));
	const char *nonce = json_string_value(json_object_get(rtd, "nonce"));
	struct tsm_evidence tsm = { .provider = "" };
	const uint8_t *report = NULL;
	size_t raw_len = 0;

	jwk_pub_free(&k->pub);
	if (!rtd || !nonce || strcmp(nonce, NONCE) != 0 ||
	    binding_report_data(rtd, k->report_data, &err) != 0 ||
	    jwk_pub_parse(json_object_get(rtd, "tee-pubkey"), "tee-pubkey", &k->pub, &err) != 0) {
		problem(fd, 400, "BadRuntimeData", "runtime-data");
		goto out;
	}
	if (rep64 && b64url_decode(rep64, strlen(rep64), "report", raw, sizeof(raw), &raw_len,
				   &err) == 0 && raw_len == SNP_REPORT_SIZE) {
		report = raw;
		strcpy(k->form, "json");
		if (tab64 && b64url_decode(tab64, strlen(tab64), "table", raw + SNP_REPORT_SIZE,
					   sizeof(raw) - SNP_REPORT_SIZE, &k->cert_table_len,
					   &err) != 0)
			report = NULL;
	} else if (tsm64 && !strcmp(json_string_value(json_object_get(ev, "media-type")),
				    TSM_CBOR_MEDIA_TYPE) &&
		   b64url_decode(tsm64, strlen(tsm64), "tsm", raw, sizeof(raw), &raw_len, &err) == 0 &&
		   tsm_cbor_decode(raw, raw_len, &tsm, &err) == 0) {
		report = tsm.outblob;
		strcpy(k->form, "cbor");
		k->cert_table_len = tsm.auxblob_len;
	}
	if (!report || memcmp(report + 0x50, k->report_data, SNP_REPORT_DATA_SIZE) != 0) {
		problem(fd, 401, "AttestationFailed", "evidence not bound");
		goto out;
	}
	if (k->attest_status) {
		problem(fd, k->attest_status, "PolicyDeny", "measurement not allowed");
		goto out;
	}
	k->attest_ok++;
	reply(fd, 200, NULL, "{\"token\":\"eyJ.eyJ.sig\"}");
out:
	tsm_evidence_free(&tsm);
	json_decref(o);
}

static void on_resource(struct fake_kbs *k, int fd)
{
	struct snp_err err = { 0 };
	char *jwe = NULL;

	if (k->resource_status) {
		problem(fd, k->resource_status, "ResourceNotFound", "no such resource");
		return;
	}
	if (!k->pub.jwk ||
	    jwe_wrap(&k->pub, (const uint8_t *)SECRET, strlen(SECRET), &jwe, &err) != 0) {
		problem(fd, 500, "Internal", "wrap");
		return;
	}
	k->resource_ok++;
	reply(fd, 200, NULL, jwe);
	free(jwe);
}

static void *kbs_fn(void *arg)
{
	struct fake_kbs *k = arg;

	while (!k->stop) {
		struct pollfd p = { .fd = k->lfd, .events = POLLIN };
		char method[8], path[256], cookie[128], *body;
		int fd;

		if (poll(&p, 1, 20) <= 0)
			continue;
		if ((fd = accept(k->lfd, NULL, NULL)) < 0)
			continue;
		k->conns++;
		/* one request, or (keep_alive) every request until the client closes */
		do {
			if (!read_request(fd, method, path, cookie, &body))
				break;
			if (!strcmp(method, "POST") && !strcmp(path, "/kbs/v0/auth"))
				on_auth(k, fd, body);
			else if (strcmp(cookie, COOKIE) != 0)
				problem(fd, 401, "Unauthenticated", "no session");
			else if (!strcmp(method, "POST") && !strcmp(path, "/kbs/v0/attest"))
				on_attest(k, fd, body);
			else if (!strcmp(method, "GET") &&
				 !strcmp(path, "/kbs/v0/resource/" RESOURCE))
				on_resource(k, fd);
			else
				problem(fd, 404, "NotFound", path);
		} while (k->keep_alive);
		close(fd);
	}
	return NULL;
}

static void kbs_start(struct fake_kbs *k)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);

	k->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(k->lfd >= 0);
	assert_int_equal(bind(k->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(k->lfd, 8), 0);
	assert_int_equal(getsockname(k->lfd, (struct sockaddr *)&sa, &sl), 0);
	k->port = ntohs(sa.sin_port);
	server_keeps_alive = k->keep_alive;
	assert_int_equal(pthread_create(&k->th, NULL, kbs_fn, k), 0);
}

static void kbs_stop(struct fake_kbs *k)
{
	k->stop = true;
	pthread_join(k->th, NULL);
	close(k->lfd);
	jwk_pub_free(&k->pub);
}

/* The fake provider: the fixture report carrying the REPORT_DATA asked for. */
static bool fake_wrong_rd;
static size_t fake_table_len;

static int fake_get(const struct agent_provider_cfg *cfg,
		    const uint8_t report_data[SNP_REPORT_DATA_SIZE], struct tsm_evidence *out,
		    struct snp_err *err)
{
	static const uint8_t table[40] = { 0 };
	size_t len;
	uint8_t *rep = tdata_read(FIXTURE, &len);
	int ret;

	(void)cfg;
	assert_int_equal(len, SNP_REPORT_SIZE);
	memcpy(rep + 0x50, report_data, SNP_REPORT_DATA_SIZE);
	if (fake_wrong_rd)
		rep[0x50] ^= 1;
	ret = agent_evidence_set(rep, len, table, fake_table_len, out, err);
	free(rep);
	return ret;
}

static const struct agent_provider fake_provider = { .name = "fake", .get = fake_get };

static void opts_init(struct agent_opts *o, const struct fake_kbs *k, char *url, size_t n)
{
	snprintf(url, n, "http://127.0.0.1:%d/", k->port);
	memset(o, 0, sizeof(*o));
	o->url = url;
	o->resource = RESOURCE;
	o->provider = &fake_provider;
	o->timeout_ms = 20000;
	fake_wrong_rd = false;
	fake_table_len = 0;
}

static void agent_exchange_json_form_ec_p256(void **state)
{
	struct fake_kbs k = { 0 };
	struct agent_opts o;
	struct agent_result r;
	struct snp_err err = { 0 };
	uint8_t *fix;
	size_t len;
	char url[64];

	(void)state;
	kbs_start(&k);
	opts_init(&o, &k, url, sizeof(url));
	fake_table_len = 40;
	if (agent_fetch_secret(&o, &r, &err) != 0)
		fail_msg("%s", err.msg);
	kbs_stop(&k);
	assert_int_equal(r.secret.len, strlen(SECRET));
	assert_memory_equal(r.secret.p, SECRET, strlen(SECRET));
	assert_int_equal(k.auth_ok, 1);
	assert_int_equal(k.attest_ok, 1);
	assert_int_equal(k.resource_ok, 1);
	assert_string_equal(k.form, "json");
	assert_int_equal(k.cert_table_len, 40);
	assert_int_equal(r.cert_table_len, 40);
	assert_int_equal(k.pub.kind, JWK_NONE); /* freed by kbs_stop */
	assert_int_equal(r.key, JWK_EC_P256);
	assert_false(r.cbor);
	/* the REPORT_DATA the server computed is the one the agent asked for */
	assert_memory_equal(r.report_data, k.report_data, SNP_REPORT_DATA_SIZE);
	fix = tdata_read(FIXTURE, &len);
	assert_memory_equal(r.measurement, fix + 0x90, SNP_MEASUREMENT_SIZE);
	free(fix);
	agent_result_free(&r);
	assert_null(r.secret.p);
}

/* auth, attest and resource over one connection when the server keeps it; three when not. */
static void agent_keeps_one_connection(void **state)
{
	for (int keep = 1; keep >= 0; keep--) {
		struct fake_kbs k = { .keep_alive = keep };
		struct agent_opts o;
		struct agent_result r;
		struct snp_err err = { 0 };
		char url[64];

		(void)state;
		kbs_start(&k);
		opts_init(&o, &k, url, sizeof(url));
		if (agent_fetch_secret(&o, &r, &err) != 0)
			fail_msg("keep-alive %d: %s", keep, err.msg);
		kbs_stop(&k);
		assert_int_equal(k.auth_ok + k.attest_ok + k.resource_ok, 3);
		assert_int_equal(k.conns, keep ? 1 : 3);
		assert_memory_equal(r.secret.p, SECRET, strlen(SECRET));
		agent_result_free(&r);
	}
}

static void agent_exchange_cbor_form_other_keys(void **state)
{
	static const enum jwk_kind kinds[] = { JWK_EC_P384, JWK_EC_P521, JWK_RSA };
	struct agent_opts o;
	struct agent_result r;
	struct snp_err err = { 0 };
	char url[64];

	(void)state;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct fake_kbs k = { 0 };

		kbs_start(&k);
		opts_init(&o, &k, url, sizeof(url));
		o.key = kinds[i];
		o.form = AGENT_EVIDENCE_CBOR;
		if (agent_fetch_secret(&o, &r, &err) != 0)
			fail_msg("%s: %s", jwk_kind_name(kinds[i]), err.msg);
		assert_int_equal(k.pub.kind, kinds[i]);
		kbs_stop(&k);
		assert_string_equal(k.form, "cbor");
		assert_true(r.cbor);
		assert_memory_equal(r.secret.p, SECRET, strlen(SECRET));
		agent_result_free(&r);
	}
}

static void agent_refusals_name_the_step(void **state)
{
	struct fake_kbs k = { 0 };
	struct agent_opts o;
	struct agent_result r;
	struct snp_err err = { 0 };
	char url[64];
	int attested;

	(void)state;
	kbs_start(&k);
	opts_init(&o, &k, url, sizeof(url));
	k.attest_status = 401;
	assert_int_equal(agent_fetch_secret(&o, &r, &err), SNP_E_REFUSED);
	assert_string_equal(err.msg, "attest: HTTP 401: refused: PolicyDeny: measurement not allowed");
	assert_null(r.secret.p);
	k.attest_status = 0;
	k.resource_status = 404;
	assert_int_equal(agent_fetch_secret(&o, &r, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "resource: HTTP 404: refused: ResourceNotFound"));
	k.resource_status = 0;
	k.no_cookie = true;
	assert_int_equal(agent_fetch_secret(&o, &r, &err), SNP_E_INVALID);
	assert_string_equal(err.msg, "auth: no kbs-session-id cookie in the answer");
	k.no_cookie = false;
	/* a provider that answers for other REPORT_DATA: never sent */
	fake_wrong_rd = true;
	attested = k.attest_ok;
	assert_int_equal(agent_fetch_secret(&o, &r, &err), SNP_E_CHAIN);
	assert_non_null(strstr(err.msg, "REPORT_DATA is not the one asked for"));
	assert_int_equal(k.attest_ok, attested);
	fake_wrong_rd = false;
	o.resource = "tenant-a/../x";
	assert_int_equal(agent_fetch_secret(&o, &r, &err), SNP_E_INVALID);
	kbs_stop(&k);
	/* nobody listening any more */
	o.resource = RESOURCE;
	assert_int_equal(agent_fetch_secret(&o, &r, &err), SNP_E_SYS);
	assert_non_null(strstr(err.msg, "auth: "));
	o.url = "ftp://127.0.0.1/";
	assert_int_equal(agent_fetch_secret(&o, &r, &err), SNP_E_INVALID);
}

/* A report channel peer answering the fixture with the REPORT_DATA it is sent. */
struct chan {
	char *dir;
	char path[600];
	int lfd;
	int served;
	volatile bool stop;
	pthread_t th;
};

static void *chan_fn(void *arg)
{
	struct chan *c = arg;

	while (!c->stop) {
		struct pollfd p = { .fd = c->lfd, .events = POLLIN };
		uint8_t rd[64], *rep;
		size_t got = 0, len;
		ssize_t n;
		int fd;

		if (poll(&p, 1, 20) <= 0 || (fd = accept(c->lfd, NULL, NULL)) < 0)
			continue;
		while (got < 64 && (n = recv(fd, rd + got, 64 - got, 0)) > 0)
			got += (size_t)n;
		rep = tdata_read(FIXTURE, &len);
		memcpy(rep + 0x50, rd, 64);
		(void)!send(fd, rep, len, MSG_NOSIGNAL);
		free(rep);
		close(fd);
		c->served++;
	}
	return NULL;
}

static void chan_start(struct chan *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(c, 0, sizeof(*c));
	c->dir = tmpdir_make();
	snprintf(c->path, sizeof(c->path), "%s/r.sock", c->dir);
	strcpy(sa.sun_path, c->path);
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(c->lfd, 4), 0);
	assert_int_equal(pthread_create(&c->th, NULL, chan_fn, c), 0);
}

static void chan_stop(struct chan *c)
{
	c->stop = true;
	pthread_join(c->th, NULL);
	close(c->lfd);
}

static void cli_agent_sim_writes_0600_and_never_prints_the_secret(void **state)
{
	struct fake_kbs k = { 0 };
	struct snp_err err = { 0 };
	struct run_result res;
	struct chan c;
	struct stat st;
	char url[64], out[700];
	uint8_t *got;
	size_t len;
	json_t *j;

	(void)state;
	kbs_start(&k);
	chan_start(&c);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", k.port);
	snprintf(out, sizeof(out), "%s/secret.bin", c.dir);
	{
		const char *argv[] = { "agent", "--url", url, "--resource", RESOURCE, "--out", out,
				       "--provider", "sim", "--sim-socket", c.path, "--json", NULL };

		run_snpvm(argv, NULL, &res);
	}
	if (res.status != 0)
		fail_msg("status %d: %s", res.status, res.err);
	assert_int_equal(stat(out, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(file_read(out, 4096, &got, &len, &err), 0);
	assert_int_equal(len, strlen(SECRET));
	assert_memory_equal(got, SECRET, len);
	free(got);
	assert_null(strstr(res.out, "disk key"));
	assert_non_null(strstr(res.err, "INSECURE"));
	j = json_loads(res.out, 0, NULL);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "insecure")));
	assert_string_equal(json_string_value(json_object_get(j, "provider")), "sim");
	assert_string_equal(json_string_value(json_object_get(j, "evidence")), "json");
	assert_int_equal(json_integer_value(json_object_get(j, "bytes")), strlen(SECRET));
	json_decref(j);
	run_result_free(&res);
	{
		const char *argv[] = { "agent", "--url", url, "--resource", RESOURCE, "--stdout",
				       "--provider", "sim", "--sim-socket", c.path, NULL };

		run_snpvm(argv, NULL, &res);
		assert_int_equal(res.status, 0);
		assert_string_equal(res.out, SECRET);
		run_result_free(&res);
	}
	k.attest_status = 403;
	{
		const char *argv[] = { "agent", "--url", url, "--resource", RESOURCE, "--out", out,
				       "--provider", "sim", "--sim-socket", c.path, NULL };

		run_snpvm(argv, NULL, &res);
		assert_int_equal(res.status, 1);
		assert_non_null(strstr(res.err, "attest: HTTP 403"));
		run_result_free(&res);
	}
	{
		const char *both[] = { "agent", "--url", url, "--resource", RESOURCE, "--out", out,
				       "--stdout", NULL };
		const char *sock[] = { "agent", "--url", url, "--resource", RESOURCE, "--out", out,
				       "--sim-socket", c.path, NULL };

		run_snpvm(both, NULL, &res);
		assert_int_equal(res.status, 2);
		assert_non_null(strstr(res.err, "exactly one of --out FILE and --stdout"));
		run_result_free(&res);
		run_snpvm(sock, NULL, &res);
		assert_int_equal(res.status, 2);
		run_result_free(&res);
	}
	assert_int_equal(c.served, 3);
	chan_stop(&c);
	kbs_stop(&k);
	rm_rf(c.dir);
	free(c.dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(agent_keeps_one_connection),
		cmocka_unit_test(agent_exchange_json_form_ec_p256),
		cmocka_unit_test(agent_exchange_cbor_form_other_keys),
		cmocka_unit_test(agent_refusals_name_the_step),
		cmocka_unit_test(cli_agent_sim_writes_0600_and_never_prints_the_secret),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("agent", tests, NULL, NULL);
}
