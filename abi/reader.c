#include "abi/reader.h"

#include <string.h>

#include "abi/endian.h"

struct rd rd_init(const void *buf, size_t len, const char *what)
{
	struct rd r = { .buf = buf, .len = len, .off = 0, .base = 0, .what = what };

	return r;
}

/* The one bounds test: written so that it cannot overflow. */
static int need(const struct rd *r, const char *field, size_t n, struct snp_err *err)
{
	if (n > r->len - r->off)
		return snp_errf(err, SNP_E_TRUNCATED, "%s: %s at 0x%zx: needs %zu bytes, %zu left",
				r->what, field, rd_pos(r), n, r->len - r->off);
	return 0;
}

int rd_u8(struct rd *r, const char *field, uint8_t *out, struct snp_err *err)
{
	int ret = need(r, field, 1, err);

	if (ret)
		return ret;
	*out = r->buf[r->off];
	r->off += 1;
	return 0;
}

int rd_le16(struct rd *r, const char *field, uint16_t *out, struct snp_err *err)
{
	int ret = need(r, field, 2, err);

	if (ret)
		return ret;
	*out = le16_get(r->buf + r->off);
	r->off += 2;
	return 0;
}

int rd_le32(struct rd *r, const char *field, uint32_t *out, struct snp_err *err)
{
	int ret = need(r, field, 4, err);

	if (ret)
		return ret;
	*out = le32_get(r->buf + r->off);
	r->off += 4;
	return 0;
}

int rd_le64(struct rd *r, const char *field, uint64_t *out, struct snp_err *err)
{
	int ret = need(r, field, 8, err);

	if (ret)
		return ret;
	*out = le64_get(r->buf + r->off);
	r->off += 8;
	return 0;
}

int rd_bytes(struct rd *r, const char *field, void *out, size_t n, struct snp_err *err)
{
	int ret = need(r, field, n, err);

	if (ret)
		return ret;
	if (out && n)
		memcpy(out, r->buf + r->off, n);
	r->off += n;
	return 0;
}

int rd_ptr(struct rd *r, const char *field, const uint8_t **out, size_t n, struct snp_err *err)
{
	int ret = need(r, field, n, err);

	if (ret)
		return ret;
	*out = r->buf + r->off;
	r->off += n;
	return 0;
}

int rd_zero(struct rd *r, const char *field, size_t n, struct snp_err *err)
{
	int ret = need(r, field, n, err);

	if (ret)
		return ret;
	for (size_t i = 0; i < n; i++)
		if (r->buf[r->off + i] != 0)
			return snp_errf(err, SNP_E_RESERVED,
					"%s: %s at 0x%zx: reserved byte 0x%zx is 0x%02x, must be zero",
					r->what, field, rd_pos(r), rd_pos(r) + i,
					r->buf[r->off + i]);
	r->off += n;
	return 0;
}

int rd_peek_le32(const struct rd *r, size_t off, const char *field, uint32_t *out,
		 struct snp_err *err)
{
	if (off > r->len || 4 > r->len - off)
		return snp_errf(err, SNP_E_TRUNCATED, "%s: %s at 0x%zx: needs 4 bytes, %zu left",
				r->what, field, r->base + off, off > r->len ? 0 : r->len - off);
	*out = le32_get(r->buf + off);
	return 0;
}

int rd_seek(struct rd *r, size_t off, const char *field, struct snp_err *err)
{
	if (off > r->len)
		return snp_errf(err, SNP_E_TRUNCATED, "%s: %s at 0x%zx: beyond the end (0x%zx)",
				r->what, field, r->base + off, r->base + r->len);
	r->off = off;
	return 0;
}

int rd_view(const struct rd *outer, const char *what, size_t off, size_t len, struct rd *inner,
	    struct snp_err *err)
{
	if (off > outer->len || len > outer->len - off)
		return snp_errf(err, SNP_E_TRUNCATED,
				"%s: %s at 0x%zx: %zu bytes do not fit in %zu", outer->what, what,
				outer->base + off, len, off > outer->len ? 0 : outer->len - off);
	inner->buf = outer->buf + off;
	inner->len = len;
	inner->off = 0;
	inner->base = outer->base + off;
	inner->what = what;
	return 0;
}

int rd_expect_len(const struct rd *r, size_t want, struct snp_err *err)
{
	if (r->len != want)
		return snp_errf(err, r->len < want ? SNP_E_TRUNCATED : SNP_E_TRAILING,
				"%s: length %zu, want exactly %zu (0x%zx)", r->what, r->len, want,
				want);
	return 0;
}

int rd_end(const struct rd *r, struct snp_err *err)
{
	if (r->off != r->len)
		return snp_errf(err, SNP_E_TRAILING, "%s: %zu trailing bytes after 0x%zx", r->what,
				r->len - r->off, rd_pos(r));
	return 0;
}
