/*
 * The bounded reader every parser uses. A reader never reads past its slice;
 * every failure names the structure, the field and its offset:
 *   "report: CHIP_ID at 0x1a0: needs 64 bytes, 16 left"
 * Offsets in messages are relative to the start of the outermost buffer, so
 * they match the tables in the AMD specification.
 */
#ifndef SNPVM_ABI_READER_H
#define SNPVM_ABI_READER_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct rd {
	const uint8_t *buf;
	size_t len;  /* bytes in this slice */
	size_t off;  /* read position within the slice */
	size_t base; /* offset of buf[0] in the outermost buffer, for messages */
	const char *what;
};

/* A reader over buf[0..len); what names the structure in error messages. */
struct rd rd_init(const void *buf, size_t len, const char *what);

/* Bytes not yet consumed. */
static inline size_t rd_left(const struct rd *r)
{
	return r->len - r->off;
}

/* Absolute offset of the read position (for messages). */
static inline size_t rd_pos(const struct rd *r)
{
	return r->base + r->off;
}

int rd_u8(struct rd *r, const char *field, uint8_t *out, struct snp_err *err) SNP_MUST_CHECK;
int rd_le16(struct rd *r, const char *field, uint16_t *out, struct snp_err *err) SNP_MUST_CHECK;
int rd_le32(struct rd *r, const char *field, uint32_t *out, struct snp_err *err) SNP_MUST_CHECK;
int rd_le64(struct rd *r, const char *field, uint64_t *out, struct snp_err *err) SNP_MUST_CHECK;

/* Copies n bytes into out (out may be NULL to skip). */
int rd_bytes(struct rd *r, const char *field, void *out, size_t n,
	     struct snp_err *err) SNP_MUST_CHECK;

/* Points *out at the next n bytes (no copy) and advances. */
int rd_ptr(struct rd *r, const char *field, const uint8_t **out, size_t n,
	   struct snp_err *err) SNP_MUST_CHECK;

/* Consumes n reserved bytes that must all be zero (SNP_E_RESERVED names the first non-zero). */
int rd_zero(struct rd *r, const char *field, size_t n, struct snp_err *err) SNP_MUST_CHECK;

/* Reads a u32 at slice offset off without moving the read position. */
int rd_peek_le32(const struct rd *r, size_t off, const char *field, uint32_t *out,
		 struct snp_err *err) SNP_MUST_CHECK;

/* Moves the read position to slice offset off (which may equal len). */
int rd_seek(struct rd *r, size_t off, const char *field, struct snp_err *err) SNP_MUST_CHECK;

/*
 * A sub-reader over outer's bytes [off, off+len), independent of outer's read
 * position. Fails if the range is not inside outer (overflow-safe).
 */
int rd_view(const struct rd *outer, const char *what, size_t off, size_t len,
	    struct rd *inner, struct snp_err *err) SNP_MUST_CHECK;

/*
 * For fixed-size structures: fails unless the slice is exactly want bytes
 * (SNP_E_TRUNCATED when shorter, SNP_E_TRAILING when longer), naming both.
 */
int rd_expect_len(const struct rd *r, size_t want, struct snp_err *err) SNP_MUST_CHECK;

/* Fails with SNP_E_TRAILING unless every byte was consumed. */
int rd_end(const struct rd *r, struct snp_err *err) SNP_MUST_CHECK;

#endif
