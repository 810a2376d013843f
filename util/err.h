/*
 * One error type for the whole project: a negative code plus a message that
 * names the field, offset and both values. Libraries return errors; only cli/
 * prints them.
 */
#ifndef SNPVM_UTIL_ERR_H
#define SNPVM_UTIL_ERR_H

#include <stddef.h>

#if defined(__GNUC__) || defined(__clang__)
#define SNP_MUST_CHECK __attribute__((warn_unused_result))
#define SNP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SNP_MUST_CHECK
#define SNP_PRINTF(a, b)
#endif

enum snp_errcode {
	SNP_OK = 0,
	SNP_E_TRUNCATED = -1,   /* input ended before a field */
	SNP_E_RESERVED = -2,    /* a must-be-zero field is not zero */
	SNP_E_TRAILING = -3,    /* bytes left after a structure */
	SNP_E_VERSION = -4,     /* unknown or refused version */
	SNP_E_SIGNATURE = -5,   /* a signature does not verify */
	SNP_E_CHAIN = -6,       /* certificate chain or binding failure */
	SNP_E_REFUSED = -7,     /* well-formed, but policy says no */
	SNP_E_CRYPTO = -8,      /* OpenSSL failed for a reason other than "no" */
	SNP_E_SYS = -9,         /* a system call failed */
	SNP_E_NOMEM = -10,
	SNP_E_INTERNAL = -11,   /* a bug: an invariant did not hold */
	SNP_E_UNSUPPORTED = -12,
	SNP_E_INVALID = -13,    /* malformed input or argument */
	SNP_E_STATE = -14,      /* a command arrived in the wrong state */
};

struct snp_err {
	int code;
	char msg[256];
};

/* Returns the upper-case name of a code ("TRUNCATED"), never NULL. */
const char *snp_code_name(int code);

/* Returns a short English description of a code, never NULL. */
const char *snp_strerror(int code);

/* Fills err (if non-NULL) and returns code. */
int snp_errf(struct snp_err *err, int code, const char *fmt, ...) SNP_PRINTF(3, 4);

/* Prepends context to err->msg ("cert table entry 3: ..."). Returns err->code. */
int snp_err_prefix(struct snp_err *err, const char *fmt, ...) SNP_PRINTF(2, 3);

/*
 * Fills err with SNP_E_CRYPTO, the message and the drained OpenSSL error
 * queue. Returns SNP_E_CRYPTO.
 */
int snp_err_openssl(struct snp_err *err, const char *fmt, ...) SNP_PRINTF(2, 3);

/* Fills err with SNP_E_SYS and the text of errno (read on entry). */
int snp_err_sys(struct snp_err *err, const char *fmt, ...) SNP_PRINTF(2, 3);

/* Resets err to SNP_OK with an empty message. */
void snp_err_clear(struct snp_err *err);

#endif
