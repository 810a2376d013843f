/*
 * VMM launch profiles as versioned data (sev-snp-measure sevsnpmeasure/vmsa.py
 * and vmm_types.py; docs/measure.md): the initial register state each VMM gives a vCPU, and how it
 * measures SNP_SEC_MEM and CPUID sections. These constants have changed over
 * time; each profile says which releases it matches.
 */
#ifndef SNPVM_MEASURE_VMM_PROFILE_H
#define SNPVM_MEASURE_VMM_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "abi/page-info.h"
#include "abi/vmsa.h"
#include "util/err.h"

enum vmm_type {
	VMM_QEMU,      /* QEMU/KVM with KVM_SEV_INIT2 (Linux >= 6.10) */
	VMM_EC2,       /* AWS EC2 */
	VMM_GCE,       /* Google Compute Engine */
	VMM_QEMU_SVSM, /* QEMU with a legacy (pre-IGVM) coconut-SVSM image */
};

struct vmm_profile {
	const char *name;       /* "qemu", "ec2", "gce", "qemu-svsm" */
	const char *provenance; /* which releases the constants match */
	/*
	 * true: 32-bit flat segments and RIP = start address (SVSM); false: real
	 * mode, CS.base = start & 0xFFFF0000 and RIP = start & 0xFFFF.
	 */
	bool flat_32bit;
	/* Segment templates; CS.base is derived from the start address in real mode. */
	struct snp_vmsa_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;
	uint16_t cs_attrib_bsp; /* the BSP's CS attrib (EC2: 0x9A) */
	uint64_t efer, cr4, cr0, dr7, dr6, rflags, g_pat, xcr0;
	uint32_t mxcsr;
	uint16_t x87_fcw;
	bool rdx_fixed;          /* RDX is rdx below, not the vCPU signature */
	uint64_t rdx;
	bool sev_features_fixed; /* SEV_FEATURES is sev_features below, not the option */
	uint64_t sev_features;
	enum snp_page_type sec_mem_type; /* SNP_SEC_MEM pages: ZERO or UNMEASURED */
	bool cpuid_last;                 /* the CPUID page after all other sections (EC2) */
};

/* The profile of a VMM type; never NULL for a valid enum value. */
const struct vmm_profile *vmm_profile_get(enum vmm_type type);

/*
 * The VMM type for a --vmm-type name: "qemu", "ec2" or "gce", any case.
 * SNP_E_UNSUPPORTED names the value otherwise.
 */
int vmm_profile_find(const char *name, enum vmm_type *type, struct snp_err *err) SNP_MUST_CHECK;

#endif
