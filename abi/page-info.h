/*
 * PAGE_INFO (SNP ABI spec 56860 §8.17, "Table 67" in rev 1.51;
 * its per-page-type rules in §8.17.2): the 112-byte record whose SHA-384 is
 * the next launch digest, and the page types SNP_LAUNCH_UPDATE accepts.
 */
#ifndef SNPVM_ABI_PAGE_INFO_H
#define SNPVM_ABI_PAGE_INFO_H

#include <stddef.h>
#include <stdint.h>

#define SNP_PAGE_SIZE 4096
#define SNP_LD_SIZE 48 /* launch digest: SHA-384 */

enum snp_page_type {
	SNP_PAGE_TYPE_NORMAL = 0x01,
	SNP_PAGE_TYPE_VMSA = 0x02,
	SNP_PAGE_TYPE_ZERO = 0x03,
	SNP_PAGE_TYPE_UNMEASURED = 0x04,
	SNP_PAGE_TYPE_SECRETS = 0x05,
	SNP_PAGE_TYPE_CPUID = 0x06,
};

struct snp_page_info_layout {
	uint8_t digest_cur[48]; /* 0x00 */
	uint8_t contents[48];   /* 0x30 */
	uint8_t length[2];      /* 0x60: 0x0070 */
	uint8_t page_type;      /* 0x62 */
	uint8_t imi_page;       /* 0x63: bit 0 IMI_PAGE */
	uint8_t vmpl_perms[4];  /* 0x64: VMPL3, VMPL2, VMPL1 permissions, reserved */
	uint8_t gpa[8];         /* 0x68 */
};

#define SNP_PAGE_INFO_SIZE 0x70

struct snp_page_info {
	uint8_t digest_cur[SNP_LD_SIZE];
	uint8_t contents[SNP_LD_SIZE];
	uint8_t page_type;
	uint8_t imi_page;
	uint8_t vmpl_perms[4];
	uint64_t gpa;
};

/* "NORMAL", "VMSA", ... or "unknown". */
const char *snp_page_type_name(unsigned type);

/* Serialises pi as the 112-byte PAGE_INFO (LENGTH is always 0x70). */
void page_info_write(const struct snp_page_info *pi, uint8_t out[SNP_PAGE_INFO_SIZE]);

#endif
