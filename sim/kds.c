#include "sim/kds.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "sim/kds-routes.h"
#include "util/dl.h"

/* The libmicrohttpd calls used, resolved on start (util/dl.h says why). */
struct mhd_api {
	void *handle;
	struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port,
					   MHD_AcceptPolicyCallback apc, void *apc_cls,
					   MHD_AccessHandlerCallback dh, void *dh_cls, ...);
	void (*stop_daemon)(struct MHD_Daemon *d);
	const union MHD_DaemonInfo *(*get_daemon_info)(struct MHD_Daemon *d,
							enum MHD_DaemonInfoType type, ...);
	const char *(*lookup_connection_value)(struct MHD_Connection *c, enum MHD_ValueKind kind,
					       const char *key);
	struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buf,
							    enum MHD_ResponseMemoryMode mode);
	enum MHD_Result (*add_response_header)(struct MHD_Response *r, const char *header,
					       const char *content);
	enum MHD_Result (*queue_response)(struct MHD_Connection *c, unsigned int status,
					  struct MHD_Response *r);
	void (*destroy_response)(struct MHD_Response *r);
};

static const char *const api_names[] = {
	"MHD_start_daemon", "MHD_stop_daemon", "MHD_get_daemon_info",
	"MHD_lookup_connection_value", "MHD_create_response_from_buffer",
	"MHD_add_response_header", "MHD_queue_response", "MHD_destroy_response",
};

static int api_load(struct mhd_api *a, struct snp_err *err)
{
	void *fn[sizeof(api_names) / sizeof(api_names[0])];
	int ret;

	if ((ret = dl_open("libmicrohttpd.so.12", api_names, fn, sizeof(fn) / sizeof(fn[0]),
			   &a->handle, err)) != 0)
		return ret;
	a->start_daemon = (struct MHD_Daemon * (*)(unsigned int, uint16_t, MHD_AcceptPolicyCallback,
						   void *, MHD_AccessHandlerCallback, void *, ...))fn[0];
	a->stop_daemon = (void (*)(struct MHD_Daemon *))fn[1];
	a->get_daemon_info = (const union MHD_DaemonInfo *(*)(struct MHD_Daemon *,
							      enum MHD_DaemonInfoType, ...))fn[2];
	a->lookup_connection_value = (const char *(*)(struct MHD_Connection *, enum MHD_ValueKind,
						      const char *))fn[3];
	a->create_response_from_buffer = (struct MHD_Response * (*)(size_t, void *,
								    enum MHD_ResponseMemoryMode))fn[4];
	a->add_response_header = (enum MHD_Result(*)(struct MHD_Response *, const char *,
						     const char *))fn[5];
	a->queue_response = (enum MHD_Result(*)(struct MHD_Connection *, unsigned int,
						struct MHD_Response *))fn[6];
	a->destroy_response = (void (*)(struct MHD_Response *))fn[7];
	return 0;
}

struct sim_kds {
	struct MHD_Daemon *daemon;
	const struct sim_store *st;
	struct mhd_api api;
};

struct query {
	const struct mhd_api *api;
	struct MHD_Connection *conn;
};

static const char *query_arg(void *ctx, const char *key)
{
	const struct query *q = ctx;

	return q->api->lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, key);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	struct sim_kds *kds = cls;
	const struct mhd_api *a = &kds->api;
	struct query q = { .api = a, .conn = conn };
	struct sim_kds_response rsp;
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)version;
	(void)upload_data;
	/* First call: headers only. A KDS request has no body; drop any. */
	if (*req_cls == NULL) {
		*req_cls = kds;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	sim_kds_route(kds->st, method, url, query_arg, &q, &rsp);
	r = a->create_response_from_buffer(rsp.len, rsp.body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(rsp.body);
		return MHD_NO;
	}
	if (rsp.content_type)
		a->add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rsp.content_type);
	ret = a->queue_response(conn, rsp.status ? rsp.status : 500, r);
	a->destroy_response(r);
	return ret;
}

static int parse_listen(const char *listen, struct sockaddr_in *sa, struct snp_err *err)
{
	const char *colon = strrchr(listen, ':');
	char host[64];
	char *end = NULL;
	unsigned long port;

	memset(sa, 0, sizeof(*sa));
	if (colon == NULL || (size_t)(colon - listen) >= sizeof(host))
		goto bad;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port > 65535 ||
	    inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		goto bad;
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return 0;
bad:
	return snp_errf(err, SNP_E_INVALID, "listen address '%s': want IPv4:PORT, e.g. 127.0.0.1:8080",
			listen);
}

int sim_kds_start(const struct sim_store *st, const char *listen, struct sim_kds **out,
		  uint16_t *port, struct snp_err *err)
{
	struct sim_kds *kds = NULL;
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	int ret;

	*out = NULL;
	if ((ret = parse_listen(listen, &sa, err)) != 0)
		return ret;
	if ((kds = calloc(1, sizeof(*kds))) == NULL)
		return snp_errf(err, SNP_E_NOMEM, "out of memory");
	kds->st = st;
	if ((ret = api_load(&kds->api, err)) != 0) {
		free(kds);
		return ret;
	}
	kds->daemon = kds->api.start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL,
				       NULL, handle, kds, MHD_OPTION_SOCK_ADDR, &sa,
				       MHD_OPTION_CONNECTION_LIMIT, 64u,
				       MHD_OPTION_PER_IP_CONNECTION_LIMIT, 16u,
				       MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				       MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536,
				       MHD_OPTION_END);
	if (kds->daemon == NULL) {
		dl_close(kds->api.handle);
		free(kds);
		return snp_errf(err, SNP_E_SYS, "sim kds: cannot listen on %s", listen);
	}
	info = kds->api.get_daemon_info(kds->daemon, MHD_DAEMON_INFO_BIND_PORT);
	*port = info ? info->port : ntohs(sa.sin_port);
	*out = kds;
	return 0;
}

void sim_kds_stop(struct sim_kds *kds)
{
	if (kds == NULL)
		return;
	kds->api.stop_daemon(kds->daemon);
	dl_close(kds->api.handle);
	free(kds);
}
