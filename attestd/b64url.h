/*
 * Strict base64url (RFC 4648 §5, unpadded as RFC 7515 §2 requires for JOSE)
 * decoding on top of libjose's codec: only the URL-safe alphabet, no '=',
 * no whitespace, and the canonical encoding only (the unused low bits of the
 * last character are zero), so one byte string has exactly one accepted
 * spelling.
 */
#ifndef SNPVM_ATTESTD_B64URL_H
#define SNPVM_ATTESTD_B64URL_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/*
 * Decodes len characters of s into out (at most max bytes); *outlen gets the
 * decoded length. Fails with SNP_E_INVALID naming `what` on a bad character
 * (and its offset), a bad length, a non-canonical last character, or a
 * decoded length above max. out may be wiped by the caller on failure.
 */
int b64url_decode(const char *s, size_t len, const char *what, uint8_t *out, size_t max,
		  size_t *outlen, struct snp_err *err) SNP_MUST_CHECK;

#endif
