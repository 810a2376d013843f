/*
 * attestd over real HTTP on loopback: attestd_start on port 0, the whole
 * auth -> attest -> resource exchange with libcurl (cookie, then Bearer),
 * the JWKS and metrics, and a stop that leaves nothing listening.
 */
#include <sys/stat.h>

#include "attestd/jwe.h"
#include "tests/attestd/attestd-test.h"
#include "tests/common/httpc.h"
#include "util/secret.h"

static void exchange_over_loopback(void **state)
{
	struct afx *f = afx_new(true);
	char *pol = afx_policy(f, NULL);
	struct attestd_opts o = afx_opts(f, true);
	struct attestd *a = NULL;
	struct snp_err err = { 0 };
	uint16_t port = 0;
	char url[256], cookie[128], setc[256], bearer[8192], *body;
	const char *auth_body = "{\"version\":\"0.4.0\",\"tee\":\"snp\",\"extra-params\":{}}";
	struct httpc_req rq = { 0 };
	struct httpc_resp rs;
	struct afx_guest_req gr = { 0 };
	const char *hdrs[2] = { bearer, NULL };
	json_t *j;
	char *token;

	(void)state;
	afx_provision(f, "disk", pol);
	/* The fixture's own service closes first: one store user per test is enough. */
	o.clock = NULL; /* real time over real HTTP */
	if (attestd_start(&o, &a, &port, &err) != 0)
		fail_msg("attestd_start: %s", err.msg);
	assert_int_not_equal(port, 0);

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/kbs/v0/auth", port);
	rq = (struct httpc_req){ .url = url, .body = auth_body, .body_len = strlen(auth_body),
				 .content_type = "application/json" };
	assert_int_equal(httpc_do(&rq, &rs), 0);
	assert_int_equal(rs.status, 200);
	assert_non_null(httpc_header(&rs, "Set-Cookie", setc, sizeof(setc)));
	assert_non_null(strstr(setc, "; Secure; HttpOnly; Path=/kbs; Max-Age=300"));
	snprintf(cookie, sizeof(cookie), "%.51s", setc); /* kbs-session-id=<36> */
	j = json_loadb((const char *)rs.body, rs.len, 0, NULL);
	afx_guest_req(f, NULL, json_string_value(json_object_get(j, "nonce")), &gr);
	json_decref(j);
	httpc_resp_free(&rs);

	body = afx_attest_body(f, &gr);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/kbs/v0/attest", port);
	rq = (struct httpc_req){ .url = url, .body = body, .body_len = strlen(body),
				 .content_type = "application/json", .cookie = cookie };
	assert_int_equal(httpc_do(&rq, &rs), 0);
	if (rs.status != 200)
		fail_msg("attest: %ld %s", rs.status, (char *)rs.body);
	j = json_loadb((const char *)rs.body, rs.len, 0, NULL);
	token = strdup(json_string_value(json_object_get(j, "token")));
	json_decref(j);
	httpc_resp_free(&rs);
	free(body);

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/kbs/v0/resource/" AFX_REPO "/key/disk",
		 port);
	rq = (struct httpc_req){ .url = url, .cookie = cookie };
	assert_int_equal(httpc_do(&rq, &rs), 0);
	assert_int_equal(rs.status, 200);
	afx_assert_secret(gr.priv, rs.body, rs.len);
	httpc_resp_free(&rs);

	snprintf(bearer, sizeof(bearer), "Authorization: Bearer %s", token);
	rq = (struct httpc_req){ .url = url, .headers = hdrs };
	assert_int_equal(httpc_do(&rq, &rs), 0);
	assert_int_equal(rs.status, 200);
	httpc_resp_free(&rs);

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/metrics", port);
	rq = (struct httpc_req){ .url = url };
	assert_int_equal(httpc_do(&rq, &rs), 0);
	assert_non_null(strstr((char *)rs.body, "snpvm_attestd_decisions_total{event=\"release\","
						"decision=\"accept\",reason=\"released\"} 2"));
	httpc_resp_free(&rs);

	attestd_stop(a);
	rq = (struct httpc_req){ .url = url, .timeout_s = 2 };
	assert_int_not_equal(httpc_do(&rq, &rs), 0);
	httpc_resp_free(&rs);
	free(token);
	free(pol);
	afx_guest_req_free(&gr);
	afx_free(f);
}

/* The admin API answers on the admin socket (0600) only, never on the guest port. */
static void admin_listener_is_separate(void **state)
{
	struct afx *f = afx_new(true);
	struct attestd_opts o = afx_opts(f, true);
	struct attestd *a = NULL;
	struct snp_err err = { 0 };
	char sock[1024], listen[1100], token[STORE_TOKEN_LEN + 1], auth[128], url[128];
	const char *hdrs[] = { auth, "X-Snpvm-Principal: operator", NULL };
	struct httpc_req rq;
	struct httpc_resp rs;
	struct stat st;
	uint16_t port = 0;

	(void)state;
	assert_int_equal(store_principal_create(f->st, "operator", f->now_ms / 1000, token, &err), 0);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	snprintf(sock, sizeof(sock), "%s/admin.sock", f->dir);
	snprintf(listen, sizeof(listen), "unix:%s", sock);
	o.admin_listen = listen;
	if (attestd_start(&o, &a, &port, &err) != 0)
		fail_msg("attestd_start: %s", err.msg);
	assert_int_equal(lstat(sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	rq = (struct httpc_req){ .url = "http://localhost/admin/v0/list", .unix_path = sock,
				 .headers = hdrs };
	assert_int_equal(httpc_do(&rq, &rs), 0);
	assert_int_equal(rs.status, 200);
	httpc_resp_free(&rs);
	/* The guest port does not know the admin API, credentials or not. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/admin/v0/list", port);
	rq = (struct httpc_req){ .url = url, .headers = hdrs };
	assert_int_equal(httpc_do(&rq, &rs), 0);
	assert_int_equal(rs.status, 404);
	httpc_resp_free(&rs);
	attestd_stop(a);
	assert_int_not_equal(lstat(sock, &st), 0);
	afx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exchange_over_loopback),
		cmocka_unit_test(admin_listener_is_separate),
	};

	return cmocka_run_group_tests_name("attestd http", tests, NULL, NULL);
}
