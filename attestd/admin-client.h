/*
 * The client of attestd's admin API (attestd/admin-routes.h): one HTTP
 * request per operation over the admin Unix socket, with libcurl loaded on
 * first use (util/curl-dl.h). Every operation returns the server's JSON
 * answer; an RFC 7807 problem becomes an error carrying its detail.
 */
#ifndef SNPVM_ATTESTD_ADMIN_CLIENT_H
#define SNPVM_ATTESTD_ADMIN_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/curl-dl.h"
#include "util/err.h"

/* Whole-request timeout. */
#define ADMIN_CLIENT_TIMEOUT_MS 30000L
/* Largest answer read (an audit page). */
#define ADMIN_CLIENT_MAX_ANSWER (16 * 1024 * 1024)
/* Largest token file read. */
#define ADMIN_TOKEN_FILE_MAX 1024

struct admin_client {
	const char *socket;    /* the admin Unix socket */
	const char *principal; /* "operator" or a tenant */
	char *token;           /* its bearer token (malloc'd; admin_client_free wipes it) */
	long timeout_ms;       /* 0 = ADMIN_CLIENT_TIMEOUT_MS */
	struct curl_dl api;    /* loaded on the first request */
};

/*
 * Sets c up for socket and principal with the token read from token_file
 * (trailing whitespace dropped; at most ADMIN_TOKEN_FILE_MAX bytes). socket
 * and principal must outlive c.
 */
int admin_client_init(struct admin_client *c, const char *socket, const char *principal,
		      const char *token_file, struct snp_err *err) SNP_MUST_CHECK;

/* Wipes the token. libcurl, once loaded, stays loaded until the process exits. */
void admin_client_free(struct admin_client *c);

/*
 * The operations. Each stores the server's JSON answer in *answer (caller
 * json_decrefs) and returns 0; on failure *answer is NULL and err holds the
 * problem's detail: SNP_E_REFUSED for 401/403, SNP_E_INVALID for the other
 * 4xx, SNP_E_SYS when the socket cannot be reached or the server failed.
 * Resource paths are "repo/type/tag", policy scopes "repo" or
 * "repo/type/tag"; their parts are checked with store_name_valid first.
 */
int admin_tenant_create(struct admin_client *c, const char *name, json_t **answer,
			struct snp_err *err) SNP_MUST_CHECK;
int admin_repo_assign(struct admin_client *c, const char *tenant, const char *repo,
		      json_t **answer, struct snp_err *err) SNP_MUST_CHECK;
int admin_resource_put(struct admin_client *c, const char *path, const uint8_t *secret,
		       size_t len, json_t **answer, struct snp_err *err) SNP_MUST_CHECK;
int admin_resource_delete(struct admin_client *c, const char *path, json_t **answer,
			  struct snp_err *err) SNP_MUST_CHECK;
int admin_policy_set(struct admin_client *c, const char *scope, const char *policy, size_t len,
		     json_t **answer, struct snp_err *err) SNP_MUST_CHECK;
int admin_list(struct admin_client *c, json_t **answer, struct snp_err *err) SNP_MUST_CHECK;
int admin_audit(struct admin_client *c, uint64_t after, json_t **answer,
		struct snp_err *err) SNP_MUST_CHECK;
/* As above; a chain that does not verify fails SNP_E_SIGNATURE naming the first bad row. */
int admin_audit_verify(struct admin_client *c, json_t **answer,
		       struct snp_err *err) SNP_MUST_CHECK;
/* overlap < 0: the server's default. */
int admin_key_rotate(struct admin_client *c, int64_t overlap, json_t **answer,
		     struct snp_err *err) SNP_MUST_CHECK;

#endif
