/*
 * A libjose configuration whose error callback records the message instead
 * of printing it (libjose's default writes to stderr, and the library never
 * prints). One per operation, on the stack; nothing process-wide.
 */
#ifndef SNPVM_ATTESTD_JOSE_CFG_H
#define SNPVM_ATTESTD_JOSE_CFG_H


#include "attestd/jose-dl.h"
#include "util/err.h"

struct josecfg {
	jose_cfg_t *cfg;
	char msg[160];          /* libjose's last error, or "" */
};

/* Creates c->cfg with the capturing callback. Returns 0 or SNP_E_NOMEM. */
int josecfg_open(struct josecfg *c, struct snp_err *err) SNP_MUST_CHECK;

/* Releases c->cfg; safe on a zeroed or already-closed struct. */
void josecfg_close(struct josecfg *c);

/*
 * Fills err with code and the formatted message, followed by libjose's
 * recorded message and the drained OpenSSL error queue when there are any.
 * Returns code.
 */
int josecfg_fail(struct josecfg *c, struct snp_err *err, int code, const char *fmt, ...)
	SNP_PRINTF(4, 5);

#endif
