#include "attestd/b64url.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "attestd/jose-dl.h"

static int is_b64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

int b64url_decode(const char *s, size_t len, const char *what, uint8_t *out, size_t max,
		  size_t *outlen, struct snp_err *err)
{
	char *again = NULL;
	size_t n;
	int ret = SNP_E_INTERNAL;

	*outlen = 0;
	for (size_t i = 0; i < len; i++) {
		if (!is_b64url(s[i]))
			return snp_errf(err, SNP_E_INVALID,
					"%s: not base64url: character 0x%02x at %zu", what,
					(unsigned char)s[i], i);
	}
	if (len % 4 == 1)
		return snp_errf(err, SNP_E_INVALID, "%s: not base64url: length %zu", what, len);
	n = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
	if (n > max)
		return snp_errf(err, SNP_E_INVALID, "%s: %zu bytes, at most %zu allowed", what, n,
				max);
	/* Alphabet and length are fine: libjose refuses only stray low bits here. */
	if (jose_b64_dec_buf(s, len, out, max) != n)
		return snp_errf(err, SNP_E_INVALID, "%s: not canonical base64url", what);
	/* Canonical: re-encoding gives the same text (no stray low bits). */
	again = malloc(len + 1);
	if (!again)
		return snp_errf(err, SNP_E_NOMEM, "%s: out of memory", what);
	if (jose_b64_enc_buf(out, n, again, len + 1) != len || memcmp(again, s, len) != 0) {
		ret = snp_errf(err, SNP_E_INVALID, "%s: not canonical base64url", what);
		goto out;
	}
	*outlen = n;
	ret = 0;
out:
	OPENSSL_clear_free(again, len + 1);
	return ret;
}
