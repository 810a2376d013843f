/*
 * The guest agent's HTTP client for the KBS "RCAR" exchange: libcurl loaded
 * at run time (attest/kds-curl.h's API and request set-up), one request per
 * call over one connection kept for the whole exchange (HTTP/1.1 keep-alive:
 * one TCP connection, and with https one TLS handshake, for auth, attest and
 * resource; a server that closes it gets a new one), JSON bodies, the session cookie handled explicitly (the kbs-session-id
 * value from Set-Cookie is kept and sent back in a Cookie header; libcurl's
 * cookie engine stays off), response bodies capped, TLS verification on.
 */
#ifndef SNPVM_AGENT_HTTP_H
#define SNPVM_AGENT_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "attest/kds-curl.h"
#include "util/err.h"

#define AGENT_COOKIE_NAME "kbs-session-id"
/* Longest cookie value kept (a UUID is 36). */
#define AGENT_COOKIE_MAX 128
/* Largest response body read (a JWE of the largest secret is ~88 KiB). */
#define AGENT_HTTP_MAX_BODY (256 * 1024)

struct agent_http {
	struct kds_curl curl; /* timeouts, CA file; libcurl loaded on first use */
	char cookie[AGENT_COOKIE_MAX + 1]; /* "" until the server sets one */
	CURL *conn;                       /* the handle, and so the connection, of every call */
};

struct agent_http_resp {
	long status;
	uint8_t *body; /* malloc'd, NUL-terminated (not counted in len) */
	size_t len;
};

/* Defaults: kds_curl_init's timeouts, AGENT_HTTP_MAX_BODY, no cookie. */
void agent_http_init(struct agent_http *h);

/* Closes the connection, unloads libcurl and forgets the cookie. */
void agent_http_free(struct agent_http *h);

/*
 * POSTs json (NUL-terminated, Content-Type application/json) to url, or GETs
 * url when json is NULL, with the session cookie when one is set. Any status
 * is returned in r (the caller judges it); a Set-Cookie for
 * AGENT_COOKIE_NAME replaces the kept cookie. Fails on transport errors
 * (SNP_E_SYS), a body over the cap or a malformed cookie (SNP_E_INVALID).
 * Release r with agent_http_resp_free.
 */
int agent_http_call(struct agent_http *h, const char *url, const char *json,
		    struct agent_http_resp *r, struct snp_err *err) SNP_MUST_CHECK;

void agent_http_resp_free(struct agent_http_resp *r);

/*
 * Parses one response header line ("Set-Cookie: kbs-session-id=V; Path=/kbs",
 * without or with CRLF). Returns 1 with V copied to out (AGENT_COOKIE_MAX + 1
 * bytes) for a Set-Cookie of AGENT_COOKIE_NAME, 0 for any other header, or
 * SNP_E_INVALID when the value is empty, too long or not RFC 6265
 * cookie-octets.
 */
int agent_http_set_cookie(const char *line, size_t len, char *out,
			  struct snp_err *err) SNP_MUST_CHECK;

/*
 * The error for a response with status >= 400: "<step>: HTTP <status>:
 * <reason>", the reason taken from an RFC 7807 problem body ("title",
 * "detail", the last segment of "type"), printable ASCII only and
 * shortened. Code: SNP_E_REFUSED for 401 and 403 (attestation or policy
 * said no), SNP_E_INVALID for 400 and 404, SNP_E_SYS otherwise.
 */
int agent_http_problem(const char *step, const struct agent_http_resp *r, struct snp_err *err);

#endif
