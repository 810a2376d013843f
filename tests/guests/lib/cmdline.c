/* The command line the boot parameters carry: space-separated "key=value" words. */
#include "guest.h"

int cmdline_opt(const char *cmdline, const char *key, char *buf, size_t bufsz)
{
	size_t klen = strlen(key);
	const char *p = cmdline;

	while (*p) {
		const char *w;
		size_t n = 0;

		while (*p == ' ')
			p++;
		w = p;
		while (*p && *p != ' ')
			p++;
		if ((size_t)(p - w) > klen && memcmp(w, key, klen) == 0 && w[klen] == '=') {
			w += klen + 1;
			n = (size_t)(p - w);
			if (n >= bufsz)
				return -1;
			memcpy(buf, w, n);
			buf[n] = '\0';
			return 1;
		}
	}
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int dec_parse(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}
