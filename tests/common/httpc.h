/*
 * A small libcurl client for tests that talk HTTP to a server of ours
 * (httpd, attestd): one request in, status, body and raw headers out.
 */
#ifndef SNPVM_TESTS_COMMON_HTTPC_H
#define SNPVM_TESTS_COMMON_HTTPC_H

#include <stddef.h>
#include <stdint.h>

struct httpc_req {
	const char *method;        /* NULL: GET, or POST when body is set */
	const char *url;
	const char *unix_path;     /* connect to this Unix socket instead */
	const void *body;
	size_t body_len;
	const char *content_type;
	const char *const *headers; /* extra "Name: value" lines, NULL-terminated; may be NULL */
	const char *cookie;        /* "name=value" */
	const char *cainfo;        /* PEM CA file for https */
	long timeout_s;            /* 0: 20 s */
};

struct httpc_resp {
	long status;
	uint8_t *body; /* NUL-terminated (not counted in len) */
	size_t len;
	char *headers; /* the raw response header block */
	size_t hlen;
};

/* Performs r; returns the CURLcode (0 on success), *out always initialised. */
int httpc_do(const struct httpc_req *r, struct httpc_resp *out);

/* Copies the first value of response header name (case-insensitive) into buf; NULL if absent. */
const char *httpc_header(const struct httpc_resp *resp, const char *name, char *buf, size_t len);

void httpc_resp_free(struct httpc_resp *resp);

#endif
