/*
 * The extended-request certificate table (SNP_GET_EXT_REPORT, GHCB extended
 * guest request, configfs-tsm auxblob; AMD GHCB spec 56421, SNP Extended Guest Request):
 * an array of 24-byte entries { GUID (16 bytes, RFC 4122 byte order), u32
 * offset, u32 length } ending with an all-zero entry, followed by the blobs.
 * Offsets count from the start of the table.
 */
#ifndef SNPVM_ABI_CERT_TABLE_H
#define SNPVM_ABI_CERT_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define SNP_CERT_ENTRY_SIZE 24
#define SNP_CERT_GUID_SIZE 16
/* Upper bound on entries read from untrusted input (the known GUIDs number 6). */
#define SNP_CERT_TABLE_MAX 32

/* One wire entry, decoded. */
struct snp_cert_entry {
	uint8_t guid[SNP_CERT_GUID_SIZE];
	uint32_t offset, len;
};

/* The GUIDs (GHCB spec 56421; CRL: virtee/sev; extra platform info: go-sev-guest abi/abi.go),
 * in wire (RFC 4122) byte order. */
extern const uint8_t SNP_CERT_GUID_VCEK[SNP_CERT_GUID_SIZE]; /* 63da758d-e664-4564-adc5-f4b93be8accd */
extern const uint8_t SNP_CERT_GUID_VLEK[SNP_CERT_GUID_SIZE]; /* a8074bc2-a25a-483e-aae6-39c045a0b8a1 */
extern const uint8_t SNP_CERT_GUID_ASK[SNP_CERT_GUID_SIZE];  /* 4ab7b379-...; also the ASVK */
extern const uint8_t SNP_CERT_GUID_ARK[SNP_CERT_GUID_SIZE];  /* c0b406a4-...; never trusted */
extern const uint8_t SNP_CERT_GUID_CRL[SNP_CERT_GUID_SIZE];  /* 92f81bc3-... (virtee) */
extern const uint8_t SNP_CERT_GUID_EXTRA_PLATFORM_INFO[SNP_CERT_GUID_SIZE]; /* ecae0c0f-... */

/*
 * A parsed table. Entries point into the caller's buffer (no copies), so the
 * table is valid only while that buffer lives.
 */
struct snp_cert_table {
	size_t n;
	struct snp_cert_entry entry[SNP_CERT_TABLE_MAX];
	const uint8_t *data[SNP_CERT_TABLE_MAX]; /* buf + entry[i].offset */
};

/* One blob to write: a GUID and the bytes (copied by cert_table_write). */
struct snp_cert_blob {
	uint8_t guid[SNP_CERT_GUID_SIZE];
	const uint8_t *data;
	size_t len;
};

/*
 * Parses buf[0..len). Checks: entries are read until the all-zero terminator
 * (at most SNP_CERT_TABLE_MAX), every offset >= the end of the entry array
 * including the terminator, offset + len inside buf (overflow-safe), no
 * duplicate GUIDs, no zero GUID with a non-zero offset/length. Bytes after the
 * last blob are allowed (hosts pad to a page). On failure *out is zeroed.
 */
int cert_table_parse(const uint8_t *buf, size_t len, struct snp_cert_table *out,
		     struct snp_err *err) SNP_MUST_CHECK;

/*
 * Returns the blob for guid in t (pointer into the parsed buffer) or NULL when
 * absent; *len receives its length.
 */
const uint8_t *cert_table_find(const struct snp_cert_table *t,
			       const uint8_t guid[SNP_CERT_GUID_SIZE], size_t *len);

/*
 * Writes a table of n blobs: the entries, the all-zero terminator, then the
 * blobs in order. *out is malloc'd (the caller frees it); on failure *out is
 * NULL. Fails on duplicate or all-zero GUIDs and on sizes beyond u32.
 */
int cert_table_write(const struct snp_cert_blob *blobs, size_t n, uint8_t **out,
		     size_t *out_len, struct snp_err *err) SNP_MUST_CHECK;

/* "VCEK", "VLEK", "ASK", "ARK", "CRL", "extra platform info" or NULL for an unknown GUID. */
const char *cert_table_guid_name(const uint8_t guid[SNP_CERT_GUID_SIZE]);

#endif
