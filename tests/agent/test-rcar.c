/*
 * agent/rcar.c and agent/http.c's pure parts: the RCAR messages (exact bytes
 * written out by hand from the Trustee KBS protocol's field names), the
 * Set-Cookie parser (RFC 6265 §4.1.1 cookie-octets) and the RFC 7807 problem
 * reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "abi/report.h"
#include "agent/http.h"
#include "agent/rcar.h"
#include "attestd/b64url.h"
#include "util/hex.h"

/* 32 bytes in standard base64 with '+' and '/' */
#define NONCE "3II/yLznih72qKuR5tms3PRo4C03WVJ+QE8J5B+Qjg0="

static void rcar_request_exact_bytes(void **state)
{
	struct snp_err err = { 0 };
	char *body;

	(void)state;
	assert_int_equal(rcar_request_body(&body, &err), 0);
	assert_string_equal(body, "{\"version\":\"0.4.0\",\"tee\":\"snp\",\"extra-params\":{}}");
	free(body);
}

static void rcar_challenge_accepts_and_refuses(void **state)
{
	static const char *const bad[] = {
		"{\"extra-params\":{}}",                                     /* no nonce */
		"{\"nonce\":3}",                                             /* not a string */
		"{\"nonce\":\"AAECAwQFBgcICQoLDA0ODw==\"}",                 /* 16 bytes */
		"{\"nonce\":\"3II_yLznih72qKuR5tms3PRo4C03WVJ-QE8J5B-Qjg0\"}", /* base64url */
		"[\"" NONCE "\"]",                                          /* not an object */
		"{\"nonce\":\"" NONCE "\",\"nonce\":\"" NONCE "\"}",         /* duplicate */
		"not json",
	};
	const char *ok = "{\"nonce\":\"" NONCE "\",\"extra-params\":{}}";
	struct snp_err err = { 0 };
	char *nonce;

	(void)state;
	assert_int_equal(rcar_challenge_parse(ok, strlen(ok), &nonce, &err), 0);
	assert_string_equal(nonce, NONCE);
	free(nonce);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(rcar_challenge_parse(bad[i], strlen(bad[i]), &nonce, &err),
				 SNP_E_INVALID);
		assert_null(nonce);
		assert_non_null(strstr(err.msg, "challenge"));
	}
}

static void rcar_attestation_json_form_exact_bytes(void **state)
{
	struct tsm_evidence ev = { .provider = "sev_guest" };
	struct snp_err err = { 0 };
	json_t *pub = json_pack("{s:s}", "kty", "EC"), *rtd;
	char *body;

	(void)state;
	ev.outblob = (uint8_t *)"abc";
	ev.outblob_len = 3;
	rtd = rcar_runtime_data("n+/=", pub);
	assert_int_equal(rcar_attestation_body(rtd, &ev, false, &body, &err), 0);
	/* base64url("abc") = "YWJj" (RFC 4648 §10) */
	assert_string_equal(body, "{\"runtime-data\":{\"nonce\":\"n+/=\",\"tee-pubkey\":{\"kty\":\"EC\"}},"
				  "\"tee-evidence\":{\"report\":\"YWJj\"}}");
	free(body);
	ev.auxblob = (uint8_t *)"\xfb\xff";
	ev.auxblob_len = 2;
	assert_int_equal(rcar_attestation_body(rtd, &ev, false, &body, &err), 0);
	/* 0xfb 0xff -> "-_8": the URL-safe alphabet, unpadded */
	assert_non_null(strstr(body, "\"tee-evidence\":{\"report\":\"YWJj\",\"cert-table\":\"-_8\"}}"));
	free(body);
	json_decref(rtd);
	json_decref(pub);
}

static void rcar_attestation_cbor_form(void **state)
{
	struct tsm_evidence ev = { .provider = "sev_guest" };
	struct snp_err err = { 0 };
	json_t *pub = json_pack("{s:s}", "kty", "EC"), *rtd, *o;
	uint8_t report[SNP_REPORT_SIZE], want[64 + SNP_REPORT_SIZE], got[2 * SNP_REPORT_SIZE];
	size_t hlen, got_len;
	const char *s;
	char *body;

	(void)state;
	memset(report, 0x5c, sizeof(report));
	ev.outblob = report;
	ev.outblob_len = sizeof(report);
	rtd = rcar_runtime_data(NONCE, pub);
	assert_int_equal(rcar_attestation_body(rtd, &ev, true, &body, &err), 0);
	o = json_loads(body, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "tee-evidence"),
							      "media-type")),
			    "application/vnd.veraison.tsm-report+cbor");
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "runtime-data"),
							      "nonce")),
			    NONCE);
	s = json_string_value(json_object_get(json_object_get(o, "tee-evidence"), "tsm-report"));
	assert_non_null(s);
	assert_int_equal(b64url_decode(s, strlen(s), "tsm-report", got, sizeof(got), &got_len, &err),
			 0);
	/* {"provider": "sev_guest", "outblob": h'5c5c...'} by hand (RFC 8949 §3) */
	hlen = 31;
	assert_int_equal(hex_decode("a2" "6870726f7669646572" "697365765f6775657374"
				    "676f7574626c6f62" "5904a0", want, hlen, "cbor", &err), 0);
	memcpy(want + hlen, report, sizeof(report));
	assert_int_equal(got_len, hlen + sizeof(report));
	assert_memory_equal(got, want, got_len);
	json_decref(o);
	free(body);
	json_decref(rtd);
	json_decref(pub);
}

static void rcar_token_parse_cases(void **state)
{
	static const char *const bad[] = { "{}", "{\"token\":\"\"}", "{\"token\":1}", "[]" };
	struct snp_err err = { 0 };
	char *tok;

	(void)state;
	assert_int_equal(rcar_token_parse("{\"token\":\"a.b.c\"}", 17, &tok, &err), 0);
	assert_string_equal(tok, "a.b.c");
	free(tok);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(rcar_token_parse(bad[i], strlen(bad[i]), &tok, &err), SNP_E_INVALID);
		assert_null(tok);
	}
}

static void rcar_resource_paths(void **state)
{
	static const char *const good[] = { "repo/key/tag", "Tenant_1/disk-key/v1.2", "a/b/c" };
	static const char *const bad[] = { "", "a/b", "a/b/c/d", "a//c", "../b/c", "a/./c",
					   "a/b/c?x", "a b/c/d", "a/b/c/", "/a/b/c", "a/b/%2e" };
	struct snp_err err = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(rcar_resource_check(good[i], &err), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (rcar_resource_check(bad[i], &err) != SNP_E_INVALID)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_non_null(strstr(err.msg, "resource"));
	}
}

static void http_set_cookie_lines(void **state)
{
	struct snp_err err = { 0 };
	char out[AGENT_COOKIE_MAX + 1], longv[300];
	const char *l;

	(void)state;
	l = "Set-Cookie: kbs-session-id=9b2f3c1e-08a4-4bd2-9a51-2f0c6a3b7d10; Secure; HttpOnly; "
	    "Path=/kbs; Max-Age=300\r\n";
	assert_int_equal(agent_http_set_cookie(l, strlen(l), out, &err), 1);
	assert_string_equal(out, "9b2f3c1e-08a4-4bd2-9a51-2f0c6a3b7d10");
	l = "set-cookie:kbs-session-id=x";
	assert_int_equal(agent_http_set_cookie(l, strlen(l), out, &err), 1);
	assert_string_equal(out, "x");
	l = "Set-Cookie: other=1; kbs-session-id=y\r\n";
	assert_int_equal(agent_http_set_cookie(l, strlen(l), out, &err), 0);
	l = "Content-Type: application/json\r\n";
	assert_int_equal(agent_http_set_cookie(l, strlen(l), out, &err), 0);
	l = "Set-Cookie: kbs-session-id=; Path=/kbs\r\n";
	assert_int_equal(agent_http_set_cookie(l, strlen(l), out, &err), SNP_E_INVALID);
	l = "Set-Cookie: kbs-session-id=a b\r\n";
	assert_int_equal(agent_http_set_cookie(l, strlen(l), out, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "byte 0x20"));
	l = "Set-Cookie: kbs-session-id=\"q\"\r\n";
	assert_int_equal(agent_http_set_cookie(l, strlen(l), out, &err), SNP_E_INVALID);
	snprintf(longv, sizeof(longv), "Set-Cookie: kbs-session-id=%0129d", 0);
	assert_int_equal(agent_http_set_cookie(longv, strlen(longv), out, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "129 bytes"));
}

static void http_problem_messages(void **state)
{
	struct agent_http_resp r = { 0 };
	struct snp_err err = { 0 };
	char body[] = "{\"type\":\"https://snpvm.example/errors/AttestationFailed\","
		      "\"title\":\"attestation failed\",\"detail\":\"see\\nlog\"}";

	(void)state;
	r.status = 401;
	r.body = (uint8_t *)body;
	r.len = strlen(body);
	assert_int_equal(agent_http_problem("attest", &r, &err), SNP_E_REFUSED);
	assert_string_equal(err.msg,
			    "attest: HTTP 401: attestation failed: AttestationFailed: see?log");
	r.status = 403;
	assert_int_equal(agent_http_problem("resource", &r, &err), SNP_E_REFUSED);
	r.status = 404;
	assert_int_equal(agent_http_problem("resource", &r, &err), SNP_E_INVALID);
	r.status = 503;
	r.body = NULL;
	r.len = 0;
	assert_int_equal(agent_http_problem("auth", &r, &err), SNP_E_SYS);
	assert_string_equal(err.msg, "auth: HTTP 503: (no problem details)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rcar_request_exact_bytes),
		cmocka_unit_test(rcar_challenge_accepts_and_refuses),
		cmocka_unit_test(rcar_attestation_json_form_exact_bytes),
		cmocka_unit_test(rcar_attestation_cbor_form),
		cmocka_unit_test(rcar_token_parse_cases),
		cmocka_unit_test(rcar_resource_paths),
		cmocka_unit_test(http_set_cookie_lines),
		cmocka_unit_test(http_problem_messages),
	};

	return cmocka_run_group_tests_name("rcar", tests, NULL, NULL);
}
