/*
 * `snpvm attestd init`: a new attestd state directory, ready for `snpvm
 * attestd serve --dir DIR`:
 *
 *   DIR/                  mode 0700
 *   DIR/master.key        32 random bytes, mode 0600 (store_master_key_create)
 *   DIR/attestd.db        the SQLite store (mode 0600), with the operator principal
 *   DIR/operator.token    the operator's bearer token and a newline, mode 0600
 *
 * and `serve` adds DIR/admin.sock, the admin listener.
 */
#ifndef SNPVM_ATTESTD_ADMIN_INIT_H
#define SNPVM_ATTESTD_ADMIN_INIT_H

#include <stdint.h>

#include "util/err.h"

/* The files of a state directory. */
#define ATTESTD_MASTER_KEY_FILE "master.key"
#define ATTESTD_DB_FILE "attestd.db"
#define ATTESTD_OPERATOR_TOKEN_FILE "operator.token"
#define ATTESTD_ADMIN_SOCKET_FILE "admin.sock"

/*
 * Creates dir as above (an existing directory must be empty and is made
 * 0700; a non-empty one is refused with SNP_E_INVALID before anything is
 * written), records the creation in the audit chain at now, and on failure
 * removes what it created.
 */
int admin_init(const char *dir, int64_t now, struct snp_err *err) SNP_MUST_CHECK;

#endif
