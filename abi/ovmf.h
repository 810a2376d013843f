/*
 * OVMF firmware structures that the SNP launch digest reads
 * (docs/measure.md, "How the digest is computed"): the GUIDed footer table at the end
 * of the image (edk2 OvmfPkg/ResetVector/Ia16/ResetVectorVtf0.asm, parsed by
 * QEMU hw/i386/pc_sysfw_ovmf.c), the data of the entries SNP uses (SEV-ES
 * reset block, SEV metadata offset, SEV hash table, SVSM info), and the SEV
 * metadata header with its section descriptors
 * (OvmfPkg/ResetVector/X64/OvmfSevMetadata.asm). Layout only: which sections
 * a launch measures and how is measure/'s business.
 */
#ifndef SNPVM_ABI_OVMF_H
#define SNPVM_ABI_OVMF_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define OVMF_GUID_SIZE 16
#define OVMF_GUID_STR_LEN 36     /* "96b582de-1fb2-45f7-baea-a366c55a082d" */
#define OVMF_RESET_VECTOR_SIZE 32 /* the last 32 bytes of the image; not part of the table */
#define OVMF_TABLE_ENTRY_TAIL 18  /* u16 entry length + GUID after each entry's data */
#define OVMF_TABLE_MAX_ENTRIES 32
#define OVMF_SEV_METADATA_SIGNATURE 0x56455341u /* "ASEV" read as a little-endian u32 */
#define OVMF_SEV_METADATA_VERSION 1
#define OVMF_SEV_METADATA_HEADER_SIZE 16
#define OVMF_SEV_SECTION_SIZE 12
#define OVMF_SEV_MAX_SECTIONS 64

/* GUIDs in file byte order (EFI mixed endian), as ResetVectorVtf0.asm lays them out. */
extern const uint8_t OVMF_GUID_TABLE_FOOTER[OVMF_GUID_SIZE];   /* 96b582de-... */
extern const uint8_t OVMF_GUID_SEV_ES_RESET[OVMF_GUID_SIZE];   /* 00f771de-... */
extern const uint8_t OVMF_GUID_SEV_METADATA[OVMF_GUID_SIZE];   /* dc886566-... */
extern const uint8_t OVMF_GUID_SEV_HASH_TABLE[OVMF_GUID_SIZE]; /* 7255371f-... */
extern const uint8_t OVMF_GUID_SEV_SECRET[OVMF_GUID_SIZE];     /* 4c2eb361-... */
extern const uint8_t OVMF_GUID_TDX_METADATA[OVMF_GUID_SIZE];   /* e47a6535-... */
extern const uint8_t OVMF_GUID_SVSM_INFO[OVMF_GUID_SIZE];      /* a789a612-... */

/*
 * Wire layouts as byte arrays (no padding), for sizeof/offsetof and static
 * asserts only; untrusted bytes are never cast to them.
 */
/* ResetVectorVtf0.asm: what follows each entry's data; the footer entry is one of these. */
struct ovmf_table_entry_tail_layout {
	uint8_t length[2]; /* 0x00: data + 18 (footer: the whole table) */
	uint8_t guid[16];  /* 0x02 */
};

/* Entry data (ResetVectorVtf0.asm; QEMU hw/i386/pc_sysfw_ovmf.c, target/i386/sev.c). */
struct ovmf_sev_es_reset_layout {
	uint8_t ap_reset_addr[4]; /* 0x00 */
};
struct ovmf_sev_metadata_offset_layout {
	uint8_t offset_from_end[4]; /* 0x00 */
};
struct ovmf_sev_hash_table_layout {
	uint8_t base[4]; /* 0x00: GPA; 0 = no measured direct boot */
	uint8_t size[4]; /* 0x04 */
};
struct ovmf_svsm_info_layout {
	uint8_t entry_offset[4]; /* 0x00: inside the SVSM image */
};

/* OvmfSevMetadata.asm: the "ASEV" header and its descriptors. */
struct ovmf_sev_metadata_header_layout {
	uint8_t signature[4];    /* 0x00: "ASEV" */
	uint8_t size[4];         /* 0x04: 16 + 12 * count */
	uint8_t version[4];      /* 0x08: 1 */
	uint8_t num_sections[4]; /* 0x0C */
};
struct ovmf_sev_section_layout {
	uint8_t gpa[4];  /* 0x00 */
	uint8_t size[4]; /* 0x04 */
	uint8_t type[4]; /* 0x08 */
};

/* OvmfSevMetadata.asm section types (QEMU include/hw/i386/pc.h ovmf_sev_metadata_desc_type). */
enum ovmf_sev_section_type {
	OVMF_SECTION_SNP_SEC_MEM = 1,
	OVMF_SECTION_SNP_SECRETS = 2,
	OVMF_SECTION_CPUID = 3,
	OVMF_SECTION_SVSM_CAA = 4,
	OVMF_SECTION_SNP_KERNEL_HASHES = 0x10,
};

struct ovmf_table_entry {
	uint8_t guid[OVMF_GUID_SIZE];
	size_t data_off; /* file offset of the entry's data */
	size_t data_len; /* entry length - 18 */
};

/* The footer table, entries in file order (lowest offset first). */
struct ovmf_table {
	size_t start; /* file offset of the table's first byte */
	size_t len;   /* total length, footer entry included */
	size_t n;
	struct ovmf_table_entry e[OVMF_TABLE_MAX_ENTRIES];
};

struct ovmf_sev_section {
	uint32_t gpa;
	uint32_t size;
	uint32_t type;
	size_t desc_off; /* file offset of the descriptor, for messages */
};

struct ovmf_sev_metadata {
	size_t off; /* file offset of the header */
	uint32_t version;
	size_t n;
	struct ovmf_sev_section s[OVMF_SEV_MAX_SECTIONS];
};

/*
 * Parses the GUIDed footer table of the firmware image fw[0..len). Fails with
 * SNP_E_INVALID if there is no footer GUID, an entry is shorter than 18 bytes,
 * crosses the table start or leaves stray bytes, or a GUID appears twice;
 * SNP_E_TRUNCATED if the image is too small; SNP_E_UNSUPPORTED beyond
 * OVMF_TABLE_MAX_ENTRIES. Messages name the file offset.
 */
int ovmf_table_parse(const uint8_t *fw, size_t len, struct ovmf_table *t,
		     struct snp_err *err) SNP_MUST_CHECK;

/* The entry with this GUID, or NULL. */
const struct ovmf_table_entry *ovmf_table_find(const struct ovmf_table *t,
					       const uint8_t guid[OVMF_GUID_SIZE]);

/* SEV-ES reset block data: the AP reset address. The data must be exactly 4 bytes. */
int ovmf_sev_es_reset_parse(const uint8_t *fw, size_t len, const struct ovmf_table_entry *e,
			    uint32_t *ap_reset_addr, struct snp_err *err) SNP_MUST_CHECK;

/* SEV metadata offset entry: the metadata header is at len - *offset_from_end. */
int ovmf_sev_metadata_offset_parse(const uint8_t *fw, size_t len,
				   const struct ovmf_table_entry *e, uint32_t *offset_from_end,
				   struct snp_err *err) SNP_MUST_CHECK;

/* SEV hash table entry: base GPA and size (base 0: not supported). */
int ovmf_sev_hash_table_parse(const uint8_t *fw, size_t len, const struct ovmf_table_entry *e,
			      uint32_t *base, uint32_t *size, struct snp_err *err) SNP_MUST_CHECK;

/* SVSM info entry: the SVSM entry point's offset inside the SVSM image. */
int ovmf_svsm_info_parse(const uint8_t *fw, size_t len, const struct ovmf_table_entry *e,
			 uint32_t *entry_offset, struct snp_err *err) SNP_MUST_CHECK;

/*
 * Parses the SEV metadata at len - offset_from_end: signature "ASEV", version
 * 1, 1..OVMF_SEV_MAX_SECTIONS descriptors, size = 16 + 12 * count, all inside
 * the image. Section types are not judged here. Messages name the offset.
 */
int ovmf_sev_metadata_parse(const uint8_t *fw, size_t len, uint32_t offset_from_end,
			    struct ovmf_sev_metadata *md, struct snp_err *err) SNP_MUST_CHECK;

/* "SNP_SEC_MEM", "SNP_SECRETS", "CPUID", "SVSM_CAA", "SNP_KERNEL_HASHES" or "unknown". */
const char *ovmf_section_type_name(uint32_t type);

/* Writes the text form of a file-order GUID and a NUL (out: 37 bytes). */
void ovmf_guid_format(const uint8_t guid[OVMF_GUID_SIZE], char out[OVMF_GUID_STR_LEN + 1]);

#endif
