/* Hex and base64 conversion for fixed-size binary fields. */
#ifndef SNPVM_UTIL_HEX_H
#define SNPVM_UTIL_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Writes 2*len lowercase hex digits and a NUL to out (size >= 2*len+1). */
void hex_encode(const uint8_t *in, size_t len, char *out);

/*
 * Decodes exactly 2*len hex digits (either case) from str into out.
 * Fails naming `what` if str has another length or a non-hex character.
 */
int hex_decode(const char *str, uint8_t *out, size_t len, const char *what,
	       struct snp_err *err) SNP_MUST_CHECK;

/* Base64 (RFC 4648, padded) of in; returns a malloc'd NUL-terminated string or NULL. */
char *b64_encode(const uint8_t *in, size_t len);

/*
 * Decodes padded base64 str into exactly len bytes in out; fails naming
 * `what` on bad characters or another decoded length.
 */
int b64_decode(const char *str, uint8_t *out, size_t len, const char *what,
	       struct snp_err *err) SNP_MUST_CHECK;

/* Decodes str as hex (2*len digits) or, failing that, base64 of len bytes. */
int hex_or_b64_decode(const char *str, uint8_t *out, size_t len, const char *what,
		      struct snp_err *err) SNP_MUST_CHECK;

#endif
