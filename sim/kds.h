/*
 * `snpvm sim kds`: an HTTP server (the shared wrapper, httpd/httpd.h)
 * answering with sim_kds_route() on exactly the address it is given.
 */
#ifndef SNPVM_SIM_KDS_H
#define SNPVM_SIM_KDS_H

#include <stdint.h>

#include "sim/store.h"
#include "util/err.h"

struct sim_kds;

/*
 * Starts serving st (which must outlive the server) on listen, "IPv4:PORT"
 * (e.g. "127.0.0.1:8080"; port 0 picks a free one) in a background thread,
 * over HTTPS when tls_cert and tls_key (PEM files) are both given, as AMD's
 * KDS is served, else plain HTTP. *port receives the bound port.
 */
int sim_kds_start(const struct sim_store *st, const char *listen, const char *tls_cert,
		  const char *tls_key, struct sim_kds **out, uint16_t *port,
		  struct snp_err *err) SNP_MUST_CHECK;

/* Stops the server and frees it. NULL is allowed. */
void sim_kds_stop(struct sim_kds *kds);

#endif
