/* `snpvm sim kds`: sim_kds_route() served through the shared HTTP wrapper (httpd/httpd.h). */
#include "sim/kds.h"

#include <stdlib.h>
#include <string.h>

#include "httpd/httpd.h"
#include "sim/kds-routes.h"

struct sim_kds {
	struct httpd *httpd;
	const struct sim_store *st;
};

static const char *query_arg(void *ctx, const char *key)
{
	const struct httpd_req *req = ctx;

	return req->query(req, key);
}

static void handle(void *ctx, const struct httpd_req *req, struct httpd_resp *resp)
{
	struct sim_kds *kds = ctx;
	struct sim_kds_response rsp;

	/* A KDS request has no body; any is ignored. */
	sim_kds_route(kds->st, req->method, req->path, query_arg, (void *)req, &rsp);
	resp->status = rsp.status;
	resp->content_type = rsp.content_type;
	resp->body = rsp.body;
	resp->len = rsp.len;
}

int sim_kds_start(const struct sim_store *st, const char *listen, const char *tls_cert,
		  const char *tls_key, struct sim_kds **out, uint16_t *port, struct snp_err *err)
{
	struct httpd_opts o = {
		.listen = listen,
		.tls_cert = tls_cert,
		.tls_key = tls_key,
		.threads = 1,
		.max_body = 4096,
		.timeout_s = 10,
		.max_conns = 64,
	};
	struct sim_kds *kds;
	int ret;

	*out = NULL;
	/* The sim KDS speaks IPv4 only, as AMD's clients reach it by IP:PORT. */
	if (strncmp(listen, "unix:", 5) == 0 || listen[0] == '[')
		return snp_errf(err, SNP_E_INVALID,
				"listen address '%s': want IPv4:PORT, e.g. 127.0.0.1:8080", listen);
	if ((kds = calloc(1, sizeof(*kds))) == NULL)
		return snp_errf(err, SNP_E_NOMEM, "out of memory");
	kds->st = st;
	if ((ret = httpd_start(&o, handle, kds, &kds->httpd, port, err)) != 0) {
		free(kds);
		return ret;
	}
	*out = kds;
	return 0;
}

void sim_kds_stop(struct sim_kds *kds)
{
	if (kds == NULL)
		return;
	httpd_stop(kds->httpd);
	free(kds);
}
