#include "attestd/jcs.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2^53: the largest magnitude below which every integer is an exact double. */
#define JCS_SAFE_INT 9007199254740992LL

struct jcs_buf {
	char *p;
	size_t len, cap;
};

struct jcs_member {
	const char *key;
	size_t key_len;
	uint16_t *units;        /* the name in UTF-16 code units */
	size_t nunits;
	json_t *value;
};

static int buf_put(struct jcs_buf *b, const void *s, size_t n, struct snp_err *err)
{
	if (n > JCS_MAX_SIZE - b->len)
		return snp_errf(err, SNP_E_INVALID, "JCS: output exceeds %d bytes", JCS_MAX_SIZE);
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return snp_errf(err, SNP_E_NOMEM, "JCS: out of memory");
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int buf_putc(struct jcs_buf *b, char c, struct snp_err *err)
{
	return buf_put(b, &c, 1, err);
}

/*
 * Decodes one UTF-8 sequence at s[*i] (strict: no overlong forms, no
 * surrogates, nothing above U+10FFFF) and advances *i. Returns the code point
 * or -1.
 */
static long utf8_next(const unsigned char *s, size_t len, size_t *i)
{
	unsigned char c = s[*i];
	size_t n;
	long cp, min;

	if (c < 0x80) {
		(*i)++;
		return c;
	} else if ((c & 0xe0) == 0xc0) {
		n = 1, cp = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2, cp = c & 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3, cp = c & 0x07, min = 0x10000;
	} else {
		return -1;
	}
	if (n > len - *i - 1)
		return -1;
	for (size_t k = 1; k <= n; k++) {
		if ((s[*i + k] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[*i + k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += n + 1;
	return cp;
}

static int utf8_check(const char *s, size_t len, const char *what, struct snp_err *err)
{
	for (size_t i = 0; i < len;) {
		if (utf8_next((const unsigned char *)s, len, &i) < 0)
			return snp_errf(err, SNP_E_INVALID, "JCS: %s: invalid UTF-8 at byte %zu",
					what, i);
	}
	return 0;
}

/* The UTF-16 code units of a UTF-8 member name (RFC 8785 §3.2.3 sorts by these). */
static int utf16_units(struct jcs_member *m, struct snp_err *err)
{
	size_t n = 0;

	m->units = malloc((m->key_len ? m->key_len : 1) * 2 * sizeof(*m->units));
	if (!m->units)
		return snp_errf(err, SNP_E_NOMEM, "JCS: out of memory");
	for (size_t i = 0; i < m->key_len;) {
		long cp = utf8_next((const unsigned char *)m->key, m->key_len, &i);

		if (cp < 0)
			return snp_errf(err, SNP_E_INVALID,
					"JCS: member name: invalid UTF-8 at byte %zu", i);
		if (cp >= 0x10000) {
			cp -= 0x10000;
			m->units[n++] = (uint16_t)(0xd800 + (cp >> 10));
			m->units[n++] = (uint16_t)(0xdc00 + (cp & 0x3ff));
		} else {
			m->units[n++] = (uint16_t)cp;
		}
	}
	m->nunits = n;
	return 0;
}

static int member_cmp(const void *a, const void *b)
{
	const struct jcs_member *x = a, *y = b;
	size_t n = x->nunits < y->nunits ? x->nunits : y->nunits;

	for (size_t i = 0; i < n; i++) {
		if (x->units[i] != y->units[i])
			return x->units[i] < y->units[i] ? -1 : 1;
	}
	return x->nunits < y->nunits ? -1 : x->nunits > y->nunits;
}

/* RFC 8785 §3.2.2.2: the string as ECMAScript's JSON.stringify writes it. */
static int put_string(struct jcs_buf *b, const char *s, size_t len, const char *what,
		      struct snp_err *err)
{
	int ret;

	if ((ret = utf8_check(s, len, what, err)) != 0 || (ret = buf_putc(b, '"', err)) != 0)
		return ret;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		size_t n = 2;

		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\t': esc[1] = 't'; break;
		case '\n': esc[1] = 'n'; break;
		case '\f': esc[1] = 'f'; break;
		case '\r': esc[1] = 'r'; break;
		default:
			if (c < 0x20)
				n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", c);
			else
				esc[0] = (char)c, n = 1;
		}
		if ((ret = buf_put(b, esc, n, err)) != 0)
			return ret;
	}
	return buf_putc(b, '"', err);
}

static int put_integer(struct jcs_buf *b, long long v, const char *what, struct snp_err *err)
{
	char num[24];
	int n;

	if (v > JCS_SAFE_INT || v < -JCS_SAFE_INT)
		return snp_errf(err, SNP_E_UNSUPPORTED,
				"JCS: %s: integer %lld is outside +-2^53 (not exact in a double)",
				what, v);
	n = snprintf(num, sizeof(num), "%lld", v);
	return buf_put(b, num, (size_t)n, err);
}

static int put_real(struct jcs_buf *b, double d, const char *what, struct snp_err *err)
{
	/* Range first, so the conversion to long long is defined; then integrality. */
	if (!isfinite(d) || d > (double)JCS_SAFE_INT || d < -(double)JCS_SAFE_INT ||
	    (double)(long long)d != d)
		return snp_errf(err, SNP_E_UNSUPPORTED,
				"JCS: %s: number %.17g is not an integer within +-2^53 "
				"(only those are supported)", what, d);
	return put_integer(b, (long long)d, what, err);
}

static int put_value(struct jcs_buf *b, const json_t *v, int depth, const char *what,
		     struct snp_err *err);

static void members_free(struct jcs_member *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(m[i].units);
	free(m);
}

static int put_object(struct jcs_buf *b, const json_t *obj, int depth, struct snp_err *err)
{
	size_t n = json_object_size(obj), i = 0;
	struct jcs_member *m = calloc(n ? n : 1, sizeof(*m));
	const char *key;
	size_t key_len;
	json_t *val;
	int ret = SNP_E_INTERNAL;

	if (!m)
		return snp_errf(err, SNP_E_NOMEM, "JCS: out of memory");
	json_object_keylen_foreach((json_t *)obj, key, key_len, val) {
		m[i].key = key;
		m[i].key_len = key_len;
		m[i].value = val;
		if ((ret = utf16_units(&m[i++], err)) != 0)
			goto out;
	}
	qsort(m, n, sizeof(*m), member_cmp);
	if ((ret = buf_putc(b, '{', err)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((i && (ret = buf_putc(b, ',', err)) != 0) ||
		    (ret = put_string(b, m[i].key, m[i].key_len, "member name", err)) != 0 ||
		    (ret = buf_putc(b, ':', err)) != 0 ||
		    (ret = put_value(b, m[i].value, depth + 1, m[i].key, err)) != 0)
			goto out;
	}
	ret = buf_putc(b, '}', err);
out:
	members_free(m, n);
	return ret;
}

static int put_value(struct jcs_buf *b, const json_t *v, int depth, const char *what,
		     struct snp_err *err)
{
	int ret;

	if ((json_is_object(v) || json_is_array(v)) && depth > JCS_MAX_DEPTH)
		return snp_errf(err, SNP_E_INVALID, "JCS: %s: nesting deeper than %d", what,
				JCS_MAX_DEPTH);
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return put_object(b, v, depth, err);
	case JSON_ARRAY:
		if ((ret = buf_putc(b, '[', err)) != 0)
			return ret;
		for (size_t i = 0; i < json_array_size(v); i++) {
			if ((i && (ret = buf_putc(b, ',', err)) != 0) ||
			    (ret = put_value(b, json_array_get(v, i), depth + 1, what, err)) != 0)
				return ret;
		}
		return buf_putc(b, ']', err);
	case JSON_STRING:
		return put_string(b, json_string_value(v), json_string_length(v), what, err);
	case JSON_INTEGER:
		return put_integer(b, (long long)json_integer_value(v), what, err);
	case JSON_REAL:
		return put_real(b, json_real_value(v), what, err);
	case JSON_TRUE:
		return buf_put(b, "true", 4, err);
	case JSON_FALSE:
		return buf_put(b, "false", 5, err);
	case JSON_NULL:
		return buf_put(b, "null", 4, err);
	}
	return snp_errf(err, SNP_E_INTERNAL, "JCS: %s: unknown jansson type", what);
}

int jcs_serialize(const json_t *v, char **out, size_t *len, struct snp_err *err)
{
	struct jcs_buf b = { 0 };
	int ret;

	*out = NULL;
	*len = 0;
	if (!v)
		return snp_errf(err, SNP_E_INVALID, "JCS: no value");
	if ((ret = put_value(&b, v, 1, "value", err)) != 0 ||
	    (ret = buf_put(&b, "", 0, err)) != 0) {
		free(b.p);
		return ret;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}
