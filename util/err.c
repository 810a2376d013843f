#include "util/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

static const struct {
	int code;
	const char *name;
	const char *text;
} codes[] = {
	{ SNP_OK, "OK", "success" },
	{ SNP_E_TRUNCATED, "TRUNCATED", "input truncated" },
	{ SNP_E_RESERVED, "RESERVED", "reserved field not zero" },
	{ SNP_E_TRAILING, "TRAILING", "trailing bytes" },
	{ SNP_E_VERSION, "VERSION", "unsupported version" },
	{ SNP_E_SIGNATURE, "SIGNATURE", "signature does not verify" },
	{ SNP_E_CHAIN, "CHAIN", "certificate chain check failed" },
	{ SNP_E_REFUSED, "REFUSED", "refused by policy" },
	{ SNP_E_CRYPTO, "CRYPTO", "cryptographic library error" },
	{ SNP_E_SYS, "SYS", "system error" },
	{ SNP_E_NOMEM, "NOMEM", "out of memory" },
	{ SNP_E_INTERNAL, "INTERNAL", "internal error" },
	{ SNP_E_UNSUPPORTED, "UNSUPPORTED", "unsupported" },
	{ SNP_E_INVALID, "INVALID", "invalid input" },
	{ SNP_E_STATE, "STATE", "invalid state" },
};

const char *snp_code_name(int code)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].code == code)
			return codes[i].name;
	return "UNKNOWN";
}

const char *snp_strerror(int code)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].code == code)
			return codes[i].text;
	return "unknown error";
}

void snp_err_clear(struct snp_err *err)
{
	if (!err)
		return;
	err->code = SNP_OK;
	err->msg[0] = '\0';
}

SNP_PRINTF(3, 0)
static void vfill(struct snp_err *err, int code, const char *fmt, va_list ap)
{
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int snp_errf(struct snp_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	va_start(ap, fmt);
	vfill(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int snp_err_prefix(struct snp_err *err, const char *fmt, ...)
{
	char old[sizeof(err->msg)];
	size_t n, rest;
	va_list ap;

	if (!err)
		return SNP_E_INTERNAL;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	rest = strnlen(old, sizeof(old) - 1);
	if (rest > sizeof(err->msg) - 1 - n)
		rest = sizeof(err->msg) - 1 - n;
	memcpy(err->msg + n, old, rest);
	err->msg[n + rest] = '\0';
	return err->code;
}

int snp_err_openssl(struct snp_err *err, const char *fmt, ...)
{
	unsigned long e;
	size_t n;
	va_list ap;

	if (!err) {
		ERR_clear_error();
		return SNP_E_CRYPTO;
	}
	va_start(ap, fmt);
	vfill(err, SNP_E_CRYPTO, fmt, ap);
	va_end(ap);
	while ((e = ERR_get_error()) != 0) {
		n = strlen(err->msg);
		if (n + 3 >= sizeof(err->msg))
			continue; /* keep draining so the queue is empty */
		err->msg[n++] = ':';
		err->msg[n++] = ' ';
		ERR_error_string_n(e, err->msg + n, sizeof(err->msg) - n);
	}
	return SNP_E_CRYPTO;
}

int snp_err_sys(struct snp_err *err, const char *fmt, ...)
{
	int saved = errno;
	size_t n;
	va_list ap;

	if (!err)
		return SNP_E_SYS;
	va_start(ap, fmt);
	vfill(err, SNP_E_SYS, fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(saved));
	return SNP_E_SYS;
}
