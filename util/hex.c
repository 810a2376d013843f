#include "util/hex.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

void hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode(const char *str, uint8_t *out, size_t len, const char *what, struct snp_err *err)
{
	size_t n = strlen(str);

	if (n != 2 * len)
		return snp_errf(err, SNP_E_INVALID, "%s: expected %zu hex digits, got %zu", what,
				2 * len, n);
	for (size_t i = 0; i < len; i++) {
		int hi = nibble(str[2 * i]), lo = nibble(str[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return snp_errf(err, SNP_E_INVALID, "%s: non-hex character at position %zu",
					what, hi < 0 ? 2 * i : 2 * i + 1);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

char *b64_encode(const uint8_t *in, size_t len)
{
	size_t outlen = 4 * ((len + 2) / 3) + 1;
	char *out;

	if (len > (size_t)0x3fffffff)
		return NULL;
	out = malloc(outlen);
	if (!out)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	return out;
}

int b64_decode(const char *str, uint8_t *out, size_t len, const char *what, struct snp_err *err)
{
	size_t n = strlen(str), pad = 0;
	unsigned char *tmp;
	int got, ret;

	if (n == 0 || n % 4 != 0 || n > 4 * ((len + 2) / 3))
		return snp_errf(err, SNP_E_INVALID, "%s: base64 of %zu bytes needs %zu characters, got %zu",
				what, len, 4 * ((len + 2) / 3), n);
	tmp = malloc(n / 4 * 3);
	if (!tmp)
		return snp_errf(err, SNP_E_NOMEM, "%s: out of memory", what);
	got = EVP_DecodeBlock(tmp, (const unsigned char *)str, (int)n);
	if (str[n - 1] == '=')
		pad++;
	if (n > 1 && str[n - 2] == '=')
		pad++;
	if (got < 0 || (size_t)got - pad != len) {
		ret = snp_errf(err, SNP_E_INVALID, "%s: not valid base64 of %zu bytes", what, len);
	} else {
		memcpy(out, tmp, len);
		ret = 0;
	}
	OPENSSL_clear_free(tmp, n / 4 * 3);
	return ret;
}

int hex_or_b64_decode(const char *str, uint8_t *out, size_t len, const char *what,
		      struct snp_err *err)
{
	if (strlen(str) == 2 * len)
		return hex_decode(str, out, len, what, err);
	if (b64_decode(str, out, len, what, NULL) == 0)
		return 0;
	return snp_errf(err, SNP_E_INVALID, "%s: expected %zu bytes as %zu hex digits or base64",
			what, len, 2 * len);
}
