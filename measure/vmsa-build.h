/*
 * Builds the launch VMSA of one vCPU from a VMM profile
 * (docs/measure.md, "Launch profiles"): the BSP starts at the reset vector,
 * APs at the SEV-ES reset block's address; under SVSM every vCPU starts at the
 * SVSM entry point.
 */
#ifndef SNPVM_MEASURE_VMSA_BUILD_H
#define SNPVM_MEASURE_VMSA_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "abi/vmsa.h"
#include "measure/vmm-profile.h"

#define VMSA_RESET_VECTOR 0xFFFFFFF0u

/*
 * Fills *v with the start state of a vCPU under profile p. eip is the start
 * address; vcpu_sig goes to RDX and guest_features to SEV_FEATURES unless the
 * profile fixes them. Cannot fail.
 */
void vmsa_build(const struct vmm_profile *p, bool is_bsp, uint32_t eip, uint32_t vcpu_sig,
		uint64_t guest_features, struct snp_vmsa *v);

/* vmsa_build, then vmsa_write into a 4 KiB page. */
void vmsa_build_page(const struct vmm_profile *p, bool is_bsp, uint32_t eip, uint32_t vcpu_sig,
		     uint64_t guest_features, uint8_t page[SNP_VMSA_SIZE]);

#endif
