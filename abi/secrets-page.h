/*
 * The SNP secrets page (SNP ABI spec 56860, "Secrets Page Format"; the
 * kernel's struct snp_secrets_page in arch/x86/include/asm/sev.h). The
 * firmware fills it at SNP_LAUNCH_UPDATE with page type SECRETS: version,
 * flags, FMS, GOSVW, the four VM platform communication keys (VMPCK0-3) the
 * guest uses for guest requests, an OS area the firmware leaves zero, and
 * SVSM fields.
 */
#ifndef SNPVM_ABI_SECRETS_PAGE_H
#define SNPVM_ABI_SECRETS_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define SNP_SECRETS_PAGE_SIZE 4096
#define SNP_VMPCK_SIZE 32
#define SNP_VMPCK_COUNT 4
#define SNP_SECRETS_VERSION 3 /* the version this code writes */
#define SNP_SECRETS_FLAG_IMIEN (1u << 0)

struct snp_secrets_page_layout {
	uint8_t version[4];            /* 0x000 */
	uint8_t flags[4];              /* 0x004: bit 0 IMIEN */
	uint8_t fms[4];                /* 0x008: CPUID Fn0000_0001_EAX family/model/stepping */
	uint8_t reserved0[4];          /* 0x00C */
	uint8_t gosvw[16];             /* 0x010: guest OS-visible workarounds (from LAUNCH_START) */
	uint8_t vmpck[4][32];          /* 0x020: VMPCK0..3 */
	uint8_t os_area[96];           /* 0x0A0: guest-owned, firmware writes zero */
	uint8_t vmsa_tweak_bitmap[64]; /* 0x100 */
	uint8_t svsm_base[8];          /* 0x140 */
	uint8_t svsm_size[8];          /* 0x148 */
	uint8_t svsm_caa[8];           /* 0x150 */
	uint8_t svsm_max_version[4];   /* 0x158 */
	uint8_t svsm_guest_vmpl;       /* 0x15C */
	uint8_t reserved1[3];          /* 0x15D */
	uint8_t tsc_factor[4];         /* 0x160 */
	uint8_t reserved2[3740];       /* 0x164 */
};

/* Decoded page. Holds the VMPCKs: wipe it (secret_wipe) when done. */
struct snp_secrets_page {
	uint32_t version;
	uint32_t flags;
	uint32_t fms;
	uint8_t gosvw[16];
	uint8_t vmpck[SNP_VMPCK_COUNT][SNP_VMPCK_SIZE];
	uint8_t os_area[96];
	uint8_t vmsa_tweak_bitmap[64];
	uint64_t svsm_base, svsm_size, svsm_caa;
	uint32_t svsm_max_version;
	uint8_t svsm_guest_vmpl;
	uint32_t tsc_factor;
};

/* Serialises sp as 4096 bytes; reserved bytes are zero. */
void secrets_page_write(const struct snp_secrets_page *sp, uint8_t out[SNP_SECRETS_PAGE_SIZE]);

/*
 * Parses exactly 4096 bytes; checks the reserved ranges are zero and the
 * version is 2 or 3. On failure *out is zeroed. The caller wipes *out.
 */
int secrets_page_parse(const uint8_t *buf, size_t len, struct snp_secrets_page *out,
		       struct snp_err *err) SNP_MUST_CHECK;

/* CPUID Fn0000_0001_EAX for a family/model/stepping (base and extended fields). */
uint32_t secrets_page_fms(uint8_t family, uint8_t model, uint8_t stepping);

#endif
