/*
 * Optional shared libraries, loaded on first use. libcurl (verify --kds) and
 * libmicrohttpd (sim kds) pull in some thirty more libraries; linking them
 * made every command, `snpvm measure` included, pay 1-2 ms at start-up for
 * code only one command runs.
 */
#ifndef SNPVM_UTIL_DL_H
#define SNPVM_UTIL_DL_H

#include <stddef.h>

#include "util/err.h"

/*
 * Opens soname and resolves names[0..n) into fns[0..n) (each converted by the
 * caller to its real function type). Fails naming the library or symbol; on
 * failure nothing stays loaded. *handle is released with dl_close.
 */
int dl_open(const char *soname, const char *const *names, void **fns, size_t n, void **handle,
	    struct snp_err *err) SNP_MUST_CHECK;

/* Releases a handle from dl_open; NULL is allowed. */
void dl_close(void *handle);

#endif
