/*
 * The sim's certificates under AMD KDS's URL layout
 * (AMD VCEK certificate and KDS interface spec 57230), as request -> response
 * functions so that tests can call them without a socket:
 *   GET /vcek/v1/{P}/cert_chain   ASK then ARK, PEM      (vlek: ASVK then ARK)
 *   GET /vcek/v1/{P}/crl          the ARK-signed CRL, DER (vlek: the same path under /vlek)
 *   GET /vcek/v1/{P}/{hwid}?blSPL=&teeSPL=&snpSPL=&ucodeSPL=[&fmcSPL= on Turin]
 *                                 the VCEK, DER
 * 404 for an unknown path, product, hwid or TCB (and for what the sim does not
 * have: a VCEK of a VLEK sim, any VLEK by hwid, which KDS never serves); 400
 * for malformed parameters; 405 for a method other than GET.
 */
#ifndef SNPVM_SIM_KDS_ROUTES_H
#define SNPVM_SIM_KDS_ROUTES_H

#include <stddef.h>
#include <stdint.h>

#include "sim/store.h"

/* Looks up a query parameter; returns NULL when absent. */
typedef const char *sim_kds_arg_fn(void *ctx, const char *key);

struct sim_kds_response {
	unsigned status;          /* HTTP status */
	const char *content_type; /* static string */
	uint8_t *body;            /* malloc'd; the caller frees it */
	size_t len;
};

/*
 * Answers one request. Never fails: errors become a status with a short
 * text body (body may be NULL only if memory ran out, with status 500).
 */
void sim_kds_route(const struct sim_store *st, const char *method, const char *path,
		   sim_kds_arg_fn *arg, void *arg_ctx, struct sim_kds_response *rsp);

#endif
