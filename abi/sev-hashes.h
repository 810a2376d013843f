/*
 * The SEV hashes table for measured direct boot (byte-exact with QEMU
 * target/i386/sev.c SevHashTable/PaddedSevHashTable; read by edk2
 * OvmfPkg/AmdSev/BlobVerifierLibSevHashes):
 * SHA-256 of the command line, initrd and kernel under GUIDs, padded to a
 * multiple of 16 bytes. OVMF compares what the VMM hands it against this table.
 */
#ifndef SNPVM_ABI_SEV_HASHES_H
#define SNPVM_ABI_SEV_HASHES_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define SEV_HASH_SIZE 32          /* SHA-256 */
#define SEV_HASHES_TABLE_LEN 168  /* the table's own length field: 18 + 3 * 50 */
#define SEV_HASHES_TABLE_SIZE 176 /* bytes written: padded to a multiple of 16 */
#define SEV_HASHES_ENTRY_LEN 50   /* GUID + u16 length + SHA-256 */

extern const uint8_t SEV_HASHES_GUID_TABLE[16];   /* 9438d606-4f22-4cc9-b479-a793d411fd21 */
extern const uint8_t SEV_HASHES_GUID_CMDLINE[16]; /* 97d02dd8-bd20-4c94-aa78-e7714d36ab2a */
extern const uint8_t SEV_HASHES_GUID_INITRD[16];  /* 44baf731-3a2f-4bd7-9af1-41e29169781d */
extern const uint8_t SEV_HASHES_GUID_KERNEL[16];  /* 4de79437-abd2-427f-b835-d5b172d2045b */

/* Wire layout as byte arrays (no padding), for sizeof/offsetof only. */
struct sev_hashes_entry_layout {
	uint8_t guid[16]; /* 0x00 */
	uint8_t len[2];   /* 0x10: 50 */
	uint8_t hash[32]; /* 0x12 */
};

struct sev_hashes_table_layout {
	uint8_t guid[16];                       /* 0x00 */
	uint8_t len[2];                         /* 0x10: 168 */
	struct sev_hashes_entry_layout cmdline; /* 0x12 */
	struct sev_hashes_entry_layout initrd;  /* 0x44 */
	struct sev_hashes_entry_layout kernel;  /* 0x76 */
	uint8_t padding[8];                     /* 0xA8: zero */
};

struct sev_hashes {
	uint8_t cmdline[SEV_HASH_SIZE];
	uint8_t initrd[SEV_HASH_SIZE];
	uint8_t kernel[SEV_HASH_SIZE];
};

/* Writes the padded 176-byte table. */
void sev_hashes_write(const struct sev_hashes *h, uint8_t out[SEV_HASHES_TABLE_SIZE]);

/*
 * Parses a padded table (len must be 176): GUIDs, length fields and zero
 * padding are checked; the message names the field and offset.
 */
int sev_hashes_parse(const uint8_t *buf, size_t len, struct sev_hashes *h,
		     struct snp_err *err) SNP_MUST_CHECK;

#endif
