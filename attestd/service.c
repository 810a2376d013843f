/*
 * The service object (attestd/service.h): opening the store, the verifier
 * and the signing keys; the guest and admin listeners; tearing down in
 * reverse order.
 */
#include "attestd/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest/verify.h"
#include "attestd/ctx.h"
#include "attestd/ear-cache.h"
#include "attestd/jose-dl.h"
#include "attestd/metrics.h"
#include "attestd/ratelimit.h"
#include "attestd/store.h"

static char *path_in(const char *dir, const char *name)
{
	char *p = NULL;

	if (dir == NULL || asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

int64_t attestd_now_ms(const struct attestd *a)
{
	struct timespec ts;

	if (a->o.clock)
		return a->o.clock(a->o.clock_ctx);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t attestd_now(const struct attestd *a)
{
	int64_t ms = attestd_now_ms(a);

	return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

struct store *attestd_store(struct attestd *a)
{
	return a->store;
}

/* Fills the defaults the options leave open; the strings made here are a's. */
static int fill_defaults(struct attestd *a, struct snp_err *err)
{
	struct attestd_opts *o = &a->o;

	if (!o->store_uri) {
		if (!o->dir)
			return snp_errf(err, SNP_E_INVALID, "attestd: needs a state directory or a store");
		if ((a->store_uri = path_in(o->dir, "attestd.db")) == NULL)
			return snp_errf(err, SNP_E_NOMEM, "out of memory");
		o->store_uri = a->store_uri;
	}
	if (!o->master_key) {
		if (!o->dir)
			return snp_errf(err, SNP_E_INVALID, "attestd: needs a state directory or a "
					"master key file");
		if ((a->master_key = path_in(o->dir, "master.key")) == NULL)
			return snp_errf(err, SNP_E_NOMEM, "out of memory");
		o->master_key = a->master_key;
	}
	if (!o->admin_listen && o->dir) {
		if (asprintf(&a->admin_listen, "unix:%s/admin.sock", o->dir) < 0) {
			a->admin_listen = NULL;
			return snp_errf(err, SNP_E_NOMEM, "out of memory");
		}
		o->admin_listen = a->admin_listen;
	}
	if (!o->listen)
		o->listen = ATTESTD_DEFAULT_LISTEN;
	if (!o->threads)
		o->threads = 4;
	if (!o->session_ttl_s)
		o->session_ttl_s = ATTESTD_DEFAULT_SESSION_TTL;
	if (!o->token_ttl_s)
		o->token_ttl_s = ATTESTD_DEFAULT_TOKEN_TTL;
	if (!o->auth_rate)
		o->auth_rate = ATTESTD_DEFAULT_AUTH_RATE;
	if (!o->auth_burst)
		o->auth_burst = ATTESTD_DEFAULT_AUTH_BURST;
	return 0;
}

int attestd_open(const struct attestd_opts *o, struct attestd **out, struct snp_err *err)
{
	struct attestd *a;
	int ret = SNP_E_INTERNAL;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return snp_errf(err, SNP_E_NOMEM, "out of memory");
	a->o = *o;
	certs_init(&a->base_certs);
	attestd_verify_only_policy(&a->verify_only);
	/* libjose now, not at the first request: by then the process may be confined */
	if ((ret = jose_dl_load(err)) != 0 || (ret = fill_defaults(a, err)) != 0 ||
	    (ret = store_open(a->o.store_uri, a->o.master_key, &a->store, err)) != 0 ||
	    (ret = verifier_new(&a->verifier, err)) != 0 ||
	    (a->o.certs_dir && (ret = certs_load_dir(&a->base_certs, a->o.certs_dir, err)) != 0) ||
	    (ret = metrics_new(&a->metrics, err)) != 0 ||
	    (ret = ear_cache_new(&a->ear_cache, err)) != 0 ||
	    (ret = cert_cache_new(&a->cert_cache, err)) != 0 ||
	    (!a->o.auth_rate_off &&
	     (ret = ratelimit_new(a->o.auth_rate, a->o.auth_burst, &a->auth_rl, err)) != 0))
		goto out;
	/*
	 * Every database connection the listeners' threads can use at once (one
	 * per guest worker, one for the admin listener), opened now: once attestd
	 * is confined (attestd/confine.h) it can open neither files nor sockets.
	 */
	if ((ret = store_reserve(a->store, (size_t)a->o.threads + 1, err)) != 0)
		goto out;
	if ((ret = keys_init(&a->keys, a->store, attestd_now(a), a->o.token_ttl_s, err)) != 0) {
		snp_err_prefix(err, "attestd: signing key: ");
		goto out;
	}
	a->keys_ready = true;
	*out = a;
	a = NULL;
	ret = 0;
out:
	attestd_close(a);
	return ret;
}

static int64_t admin_now(void *ctx)
{
	return attestd_now(ctx);
}

/* The admin listener's requests in the same JSON log as the guest exchanges. */
static void admin_log(void *ctx, const struct admin_event *ev)
{
	struct attestd *a = ctx;
	json_t *l;
	char *line;

	if (a->o.log == NULL)
		return;
	l = json_pack("{s:I,s:s,s:s,s:s,s:s,s:i}", "time", (json_int_t)attestd_now(a), "listener",
		      "admin", "cid", ev->correlation ? ev->correlation : "", "method", ev->method,
		      "path", ev->path, "status", (int)ev->status);
	if (l == NULL)
		return;
	if (ev->principal)
		json_object_set_new(l, "principal", json_string(ev->principal));
	if (ev->reason)
		json_object_set_new(l, "reason", json_string(ev->reason));
	if (ev->detail)
		json_object_set_new(l, "detail", json_string(ev->detail));
	line = json_dumps(l, JSON_COMPACT);
	json_decref(l);
	if (line)
		a->o.log(a->o.log_ctx, line);
	free(line);
}

int attestd_bind(struct attestd *a, uint16_t *port, struct snp_err *err)
{
	struct httpd_opts g = {
		.listen = a->o.listen,
		.threads = a->o.threads,
		.max_body = ATTESTD_MAX_BODY,
		.timeout_s = a->o.timeout_s,
		.max_conns = a->o.max_conns,
		.tls_cert = a->o.tls_cert,
		.tls_key = a->o.tls_key,
	};
	int ret;

	if ((ret = httpd_bind(&g, attestd_handle, a, &a->guest, port, err)) != 0)
		return snp_err_prefix(err, "attestd: guest listener: ");
	if (a->o.admin_listen && a->o.admin_listen[0]) {
		struct httpd_opts ad = {
			.listen = a->o.admin_listen,
			.threads = 1,
			.max_body = ATTESTD_MAX_BODY,
			.timeout_s = a->o.timeout_s,
			.max_conns = 16,
		};

		a->admin_ctx = (struct admin_ctx){
			.store = a->store,
			.now = admin_now,
			.now_ctx = a,
			.log = admin_log,
			.log_ctx = a,
		};
		if ((ret = httpd_bind(&ad, admin_route, &a->admin_ctx, &a->admin, NULL, err)) != 0) {
			snp_err_prefix(err, "attestd: admin listener: ");
			httpd_stop(a->guest);
			a->guest = NULL;
			return ret;
		}
	}
	return 0;
}

int attestd_serve(struct attestd *a, struct snp_err *err)
{
	int ret;

	if ((ret = httpd_serve(a->guest, err)) != 0)
		return snp_err_prefix(err, "attestd: guest listener: ");
	if (a->admin && (ret = httpd_serve(a->admin, err)) != 0)
		return snp_err_prefix(err, "attestd: admin listener: ");
	return 0;
}

int attestd_listen(struct attestd *a, uint16_t *port, struct snp_err *err)
{
	int ret;

	if ((ret = attestd_bind(a, port, err)) != 0)
		return ret;
	if ((ret = attestd_serve(a, err)) != 0) {
		/* Nothing half-started is left: attestd_close stops what serves. */
		httpd_stop(a->admin);
		httpd_stop(a->guest);
		a->admin = a->guest = NULL;
	}
	return ret;
}

void attestd_close(struct attestd *a)
{
	if (a == NULL)
		return;
	/* Listeners first: requests in flight finish against a whole service. */
	httpd_stop(a->admin);
	httpd_stop(a->guest);
	if (a->keys_ready)
		keys_free(&a->keys);
	ratelimit_free(a->auth_rl);
	ear_cache_free(a->ear_cache);
	cert_cache_free(a->cert_cache);
	metrics_free(a->metrics);
	certs_free(&a->base_certs);
	verifier_free(a->verifier);
	store_close(a->store);
	free(a->admin_listen);
	free(a->master_key);
	free(a->store_uri);
	free(a);
}

int attestd_start(const struct attestd_opts *o, struct attestd **out, uint16_t *port,
		  struct snp_err *err)
{
	int ret;

	if ((ret = attestd_open(o, out, err)) != 0)
		return ret;
	if ((ret = attestd_listen(*out, port, err)) != 0) {
		attestd_close(*out);
		*out = NULL;
	}
	return ret;
}

void attestd_stop(struct attestd *a)
{
	attestd_close(a);
}
