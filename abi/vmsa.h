/*
 * The VMSA: a vCPU's save area in the SEV-ES layout (AMD64 APM vol. 2,
 * appendix B, table B-4; Linux struct sev_es_save_area in
 * arch/x86/include/asm/svm.h). Every field a launch digest touches
 * sits at its architectural offset; all other bytes of a launch VMSA are zero.
 */
#ifndef SNPVM_ABI_VMSA_H
#define SNPVM_ABI_VMSA_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define SNP_VMSA_SIZE 4096
/* The GPA field of a VMSA page's PAGE_INFO: "-1" page-aligned, truncated to 52 bits (KVM sev.c). */
#define SNP_VMSA_GPA 0x0000FFFFFFFFF000ull

/* EFER.SVME (APM vol. 2): set in every VMSA KVM builds, never in the guest's own EFER. */
#define VMSA_EFER_SVME 0x1000ull

/* Segment register record (table B-4): attrib is the VMCB packed form. */
struct snp_vmsa_seg_layout {
	uint8_t selector[2]; /* 0x0 */
	uint8_t attrib[2];   /* 0x2 */
	uint8_t limit[4];    /* 0x4 */
	uint8_t base[8];     /* 0x8 */
};

/*
 * Table B-4 as byte arrays (no padding), for sizeof/offsetof and static
 * asserts; rsvd_* ranges hold fields a launch VMSA leaves zero.
 */
struct snp_vmsa_layout {
	struct snp_vmsa_seg_layout es;   /* 0x000 */
	struct snp_vmsa_seg_layout cs;   /* 0x010 */
	struct snp_vmsa_seg_layout ss;   /* 0x020 */
	struct snp_vmsa_seg_layout ds;   /* 0x030 */
	struct snp_vmsa_seg_layout fs;   /* 0x040 */
	struct snp_vmsa_seg_layout gs;   /* 0x050 */
	struct snp_vmsa_seg_layout gdtr; /* 0x060 */
	struct snp_vmsa_seg_layout ldtr; /* 0x070 */
	struct snp_vmsa_seg_layout idtr; /* 0x080 */
	struct snp_vmsa_seg_layout tr;   /* 0x090 */
	uint8_t rsvd_0a0[0x30];          /* 0x0A0: PL0..3_SSP, U_CET, VMPL, CPL */
	uint8_t efer[8];                 /* 0x0D0 */
	uint8_t rsvd_0d8[0x70];          /* 0x0D8: ..., XSS at 0x140 */
	uint8_t cr4[8];                  /* 0x148 */
	uint8_t cr3[8];                  /* 0x150 */
	uint8_t cr0[8];                  /* 0x158 */
	uint8_t dr7[8];                  /* 0x160 */
	uint8_t dr6[8];                  /* 0x168 */
	uint8_t rflags[8];               /* 0x170 */
	uint8_t rip[8];                  /* 0x178 */
	uint8_t rsvd_180[0x58];          /* 0x180: DR0-3 and their address masks */
	uint8_t rsp[8];                  /* 0x1D8 */
	uint8_t rsvd_1e0[0x88];          /* 0x1E0: S_CET, SSP, RAX 0x1F8, STAR..CR2 */
	uint8_t g_pat[8];                /* 0x268 */
	uint8_t rsvd_270[0xA0];          /* 0x270: DBGCTL, LBR MSRs, PKRU, RCX 0x308 */
	uint8_t rdx[8];                  /* 0x310 */
	uint8_t rsvd_318[0x18];          /* 0x318: RBX, reserved, RBP */
	uint8_t rsi[8];                  /* 0x330 */
	uint8_t rdi[8];                  /* 0x338 */
	uint8_t rsvd_340[0x70];          /* 0x340: R8..R15, GUEST_EXIT_*, NRIP */
	uint8_t sev_features[8];         /* 0x3B0 */
	uint8_t rsvd_3b8[0x30];          /* 0x3B8: VINTR_CTRL .. EVENT_INJ */
	uint8_t xcr0[8];                 /* 0x3E8 */
	uint8_t rsvd_3f0[0x18];          /* 0x3F0: reserved, X87_DP 0x400 */
	uint8_t mxcsr[4];                /* 0x408 */
	uint8_t x87_ftw[2];              /* 0x40C */
	uint8_t x87_fsw[2];              /* 0x40E */
	uint8_t x87_fcw[2];              /* 0x410 */
	uint8_t rsvd_412[SNP_VMSA_SIZE - 0x412]; /* 0x412: FOP, DS, CS, RIP, FPU/AVX regs, ... */
};

#define SNP_VMSA_OFF(field) offsetof(struct snp_vmsa_layout, field)

struct snp_vmsa_seg {
	uint16_t selector;
	uint16_t attrib;
	uint32_t limit;
	uint64_t base;
};

/* The fields a launch VMSA may set; everything else in the page is zero. */
struct snp_vmsa {
	struct snp_vmsa_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;
	uint64_t efer;
	uint64_t cr4;
	uint64_t cr3; /* zero for OVMF; the payload boot's page tables (PAYLOAD_PT_GPA) */
	uint64_t cr0;
	uint64_t dr7;
	uint64_t dr6;
	uint64_t rflags;
	uint64_t rip;
	uint64_t rsp; /* zero for OVMF; the direct payload boot's stack (docs/launch-layout.md) */
	uint64_t g_pat;
	uint64_t rdx;
	uint64_t rsi; /* zero for OVMF; the payload boot's boot-parameters GPA */
	uint64_t rdi; /* zero for OVMF; the payload boot's vCPU index */
	uint64_t sev_features;
	uint64_t xcr0;
	uint32_t mxcsr;
	uint16_t x87_ftw;
	uint16_t x87_fsw;
	uint16_t x87_fcw;
};

/* Writes v as a 4 KiB VMSA page; every byte not in struct snp_vmsa is zero. */
void vmsa_write(const struct snp_vmsa *v, uint8_t page[SNP_VMSA_SIZE]);

/*
 * Parses a launch VMSA page (len must be SNP_VMSA_SIZE): the fields of struct
 * snp_vmsa, and every other byte must be zero (SNP_E_RESERVED names the
 * offset). The inverse of vmsa_write.
 */
int vmsa_parse(const uint8_t *buf, size_t len, struct snp_vmsa *v,
	       struct snp_err *err) SNP_MUST_CHECK;

#endif
