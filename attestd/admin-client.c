#include "attestd/admin-client.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "attestd/admin-routes.h"
#include "attestd/store.h"
#include "util/file.h"

/* "repo/type/tag" */
#define PATH_LEN_MAX (STORE_NAME_MAX * 3 + 2)

int admin_client_init(struct admin_client *c, const char *socket, const char *principal,
		      const char *token_file, struct snp_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret;

	memset(c, 0, sizeof(*c));
	c->socket = socket;
	c->principal = principal;
	if ((ret = file_read(token_file, ADMIN_TOKEN_FILE_MAX, &buf, &len, err)) != 0)
		return snp_err_prefix(err, "token file: ");
	while (len > 0 && isspace(buf[len - 1]))
		len--;
	if (len == 0 || memchr(buf, '\0', len) != NULL || memchr(buf, '\n', len) != NULL) {
		OPENSSL_clear_free(buf, len);
		return snp_errf(err, SNP_E_INVALID, "token file %s: expected one line with a token",
				token_file);
	}
	if ((c->token = malloc(len + 1)) == NULL) {
		OPENSSL_clear_free(buf, len);
		return snp_errf(err, SNP_E_NOMEM, "token: out of memory");
	}
	memcpy(c->token, buf, len);
	c->token[len] = '\0';
	OPENSSL_clear_free(buf, len);
	return 0;
}

void admin_client_free(struct admin_client *c)
{
	if (c->token)
		OPENSSL_clear_free(c->token, strlen(c->token));
	c->token = NULL;
	/*
	 * libcurl stays loaded until the process exits (one admin call per
	 * process): unloading it here made LeakSanitizer's exit-time scan fault
	 * in its tracer (tests/attestd/test-admin-cli.c under `make check`).
	 */
}

/* The failure that an HTTP status stands for (see admin-client.h). */
static int status_code(long status)
{
	if (status == 401 || status == 403)
		return SNP_E_REFUSED;
	if (status >= 400 && status < 500)
		return SNP_E_INVALID;
	return SNP_E_SYS;
}

/* Turns an answer body into *answer (2xx) or an error from its RFC 7807 detail. */
static int read_answer(long status, const uint8_t *body, size_t len, json_t **answer,
		       struct snp_err *err)
{
	json_t *o = len ? json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	const char *detail, *reason;

	if (status >= 200 && status < 300) {
		if (!json_is_object(o)) {
			json_decref(o);
			return snp_errf(err, SNP_E_SYS, "HTTP %ld: the answer is not a JSON object",
					status);
		}
		*answer = o;
		return 0;
	}
	detail = json_string_value(json_object_get(o, "detail"));
	reason = json_string_value(json_object_get(o, "reason"));
	snp_errf(err, status_code(status), "HTTP %ld%s%s: %s", status, reason ? " " : "",
		 reason ? reason : "", detail ? detail : "no problem detail in the answer");
	json_decref(o);
	return err->code;
}

/* One request: method path on the admin socket, with an optional body. */
static int call(struct admin_client *c, const char *method, const char *path,
		const char *content_type, const void *body, size_t len, json_t **answer,
		struct snp_err *err)
{
	const struct curl_dl *a = &c->api;
	struct curl_dl_body b = { .max = ADMIN_CLIENT_MAX_ANSWER };
	char errbuf[CURL_ERROR_SIZE] = "", url[320], *auth = NULL, *who = NULL, ctype[96];
	struct curl_slist *hdrs = NULL, *l;
	long status = 0;
	size_t auth_len = 0;
	CURL *h = NULL;
	CURLcode rc;
	int ret = SNP_E_INTERNAL;

	*answer = NULL;
	if ((ret = curl_dl_load(&c->api, err)) != 0)
		return ret;
	/* A POST or PUT without a body still sends Content-Length: 0. */
	if (body == NULL && strcmp(method, "GET") != 0 && strcmp(method, "DELETE") != 0)
		body = "";
	snprintf(url, sizeof(url), "http://localhost%s", path);
	snprintf(ctype, sizeof(ctype), "Content-Type: %s", content_type ? content_type : "");
	auth_len = strlen("Authorization: Bearer ") + strlen(c->token) + 1;
	if ((auth = malloc(auth_len)) == NULL ||
	    asprintf(&who, "X-Snpvm-Principal: %s", c->principal) < 0) {
		who = NULL;
		ret = snp_errf(err, SNP_E_NOMEM, "admin request: out of memory");
		goto out;
	}
	snprintf(auth, auth_len, "Authorization: Bearer %s", c->token);
	/* "Expect:" turns off curl's 100-continue round trip for bodies. */
	const char *lines[] = { auth, who, "Expect:", content_type ? ctype : NULL };
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		if (lines[i] == NULL)
			continue;
		if ((l = a->slist_append(hdrs, lines[i])) == NULL) {
			ret = snp_errf(err, SNP_E_NOMEM, "admin request: out of memory");
			goto out;
		}
		hdrs = l;
	}
	if ((h = a->easy_init()) == NULL) {
		ret = snp_errf(err, SNP_E_NOMEM, "curl_easy_init failed");
		goto out;
	}
	if (a->easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->socket) != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_CUSTOMREQUEST, method) != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_NOPROXY, "*") != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_TIMEOUT_MS,
			     c->timeout_ms ? c->timeout_ms : ADMIN_CLIENT_TIMEOUT_MS) != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_USERAGENT, "snpvm/" SNPVM_VERSION) != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_WRITEFUNCTION, curl_dl_collect) != CURLE_OK ||
	    a->easy_setopt(h, CURLOPT_WRITEDATA, &b) != CURLE_OK ||
	    (body && (a->easy_setopt(h, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
		      a->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len) !=
			      CURLE_OK))) {
		ret = snp_errf(err, SNP_E_INTERNAL, "curl_easy_setopt failed");
		goto out;
	}
	rc = a->easy_perform(h);
	if (b.too_big) {
		ret = snp_errf(err, SNP_E_SYS, "answer larger than %zu bytes", b.max);
		goto out;
	}
	if (rc == CURLE_COULDNT_CONNECT) {
		ret = snp_errf(err, SNP_E_SYS,
			       "admin socket %s: nothing listens there (is attestd serve running?)",
			       c->socket);
		goto out;
	}
	if (rc != CURLE_OK) {
		ret = snp_errf(err, SNP_E_SYS, "admin socket %s: %s", c->socket,
			       errbuf[0] ? errbuf : a->easy_strerror(rc));
		goto out;
	}
	if (a->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) {
		ret = snp_errf(err, SNP_E_SYS, "no HTTP status");
		goto out;
	}
	ret = read_answer(status, b.p, b.len, answer, err);
out:
	free(b.p);
	if (h)
		a->easy_cleanup(h);
	if (hdrs)
		a->slist_free_all(hdrs);
	if (auth)
		OPENSSL_clear_free(auth, auth_len);
	free(who);
	return ret;
}

/* POSTs obj (consumed; NULL is out of memory) as JSON. */
static int call_json(struct admin_client *c, const char *method, const char *path, json_t *obj,
		     json_t **answer, struct snp_err *err)
{
	char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	int ret;

	*answer = NULL;
	json_decref(obj);
	if (text == NULL)
		return snp_errf(err, SNP_E_NOMEM, "admin request: out of memory");
	ret = call(c, method, path, "application/json", text, strlen(text), answer, err);
	free(text);
	return ret;
}

/*
 * Checks path ("repo/type/tag", or "repo" when one_ok) part by part and
 * writes ADMIN_PATH_PREFIX + kind + path into url.
 */
static int admin_path(const char *kind, const char *path, bool one_ok, char *url, size_t size,
		      struct snp_err *err)
{
	static const char *const what[3] = { "repository", "type", "tag" };
	char buf[PATH_LEN_MAX + 1], *p = buf, *slash;
	size_t n = 0;

	if (strlen(path) > PATH_LEN_MAX)
		return snp_errf(err, SNP_E_INVALID, "'%.64s...': longer than %d characters", path,
				PATH_LEN_MAX);
	memcpy(buf, path, strlen(path) + 1);
	for (;;) {
		slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		if (n == 3 || !store_name_valid(p))
			return snp_errf(err, SNP_E_INVALID,
					"'%s': %s must be 1-%d of [A-Za-z0-9._-] (not '.' or '..')",
					path, n < 3 ? what[n] : "the path", STORE_NAME_MAX);
		n++;
		if (!slash)
			break;
		p = slash + 1;
	}
	if (!(n == 3 || (n == 1 && one_ok)))
		return snp_errf(err, SNP_E_INVALID, "'%s': expected %sREPO/TYPE/TAG", path,
				one_ok ? "REPO or " : "");
	snprintf(url, size, "%s%s%s", ADMIN_PATH_PREFIX, kind, path);
	return 0;
}

int admin_tenant_create(struct admin_client *c, const char *name, json_t **answer,
			struct snp_err *err)
{
	return call_json(c, "POST", ADMIN_PATH_PREFIX "tenants", json_pack("{s:s}", "name", name),
			 answer, err);
}

int admin_repo_assign(struct admin_client *c, const char *tenant, const char *repo,
		      json_t **answer, struct snp_err *err)
{
	return call_json(c, "POST", ADMIN_PATH_PREFIX "repos",
			 json_pack("{s:s,s:s}", "tenant", tenant, "repo", repo), answer, err);
}

int admin_resource_put(struct admin_client *c, const char *path, const uint8_t *secret,
		       size_t len, json_t **answer, struct snp_err *err)
{
	char url[320];
	int ret;

	*answer = NULL;
	if ((ret = admin_path("resource/", path, false, url, sizeof(url), err)) != 0)
		return ret;
	return call(c, "PUT", url, "application/octet-stream", secret, len, answer, err);
}

int admin_resource_delete(struct admin_client *c, const char *path, json_t **answer,
			  struct snp_err *err)
{
	char url[320];
	int ret;

	*answer = NULL;
	if ((ret = admin_path("resource/", path, false, url, sizeof(url), err)) != 0)
		return ret;
	return call(c, "DELETE", url, NULL, NULL, 0, answer, err);
}

int admin_policy_set(struct admin_client *c, const char *scope, const char *policy, size_t len,
		     json_t **answer, struct snp_err *err)
{
	char url[320];
	int ret;

	*answer = NULL;
	if ((ret = admin_path("policy/", scope, true, url, sizeof(url), err)) != 0)
		return ret;
	return call(c, "PUT", url, "application/json", policy, len, answer, err);
}

int admin_list(struct admin_client *c, json_t **answer, struct snp_err *err)
{
	return call(c, "GET", ADMIN_PATH_PREFIX "list", NULL, NULL, 0, answer, err);
}

int admin_audit(struct admin_client *c, uint64_t after, json_t **answer, struct snp_err *err)
{
	char url[96];

	snprintf(url, sizeof(url), ADMIN_PATH_PREFIX "audit?after=%llu", (unsigned long long)after);
	return call(c, "GET", url, NULL, NULL, 0, answer, err);
}

int admin_audit_verify(struct admin_client *c, json_t **answer, struct snp_err *err)
{
	int ret = call(c, "POST", ADMIN_PATH_PREFIX "audit/verify", NULL, NULL, 0, answer, err);

	if (ret == 0 && !json_is_true(json_object_get(*answer, "intact"))) {
		const char *detail = json_string_value(json_object_get(*answer, "detail"));

		ret = snp_errf(err, SNP_E_SIGNATURE, "audit chain broken: %s",
			       detail ? detail : "(no detail)");
		json_decref(*answer);
		*answer = NULL;
	}
	return ret;
}

int admin_key_rotate(struct admin_client *c, int64_t overlap, json_t **answer,
		     struct snp_err *err)
{
	return call_json(c, "POST", ADMIN_PATH_PREFIX "keys/rotate",
			 overlap < 0 ? json_object()
				     : json_pack("{s:I}", "overlap", (json_int_t)overlap),
			 answer, err);
}
