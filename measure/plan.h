/*
 * The launch plan: which pages a VMM hands to SNP_LAUNCH_UPDATE, in which
 * order, with which page type and GPA (docs/measure.md, "How the digest is
 * computed"), written once. measure_run() feeds it to a digest sink; the sim
 * (sim/launch.h) and the launcher feed it to the firmware.
 *
 *   snp:       the OVMF image as one NORMAL update ending at 4 GiB; its SEV
 *              metadata sections in list order (SNP_SEC_MEM as the profile's
 *              type, SECRETS and CPUID as one page each, EC2's CPUID last,
 *              SNP_KERNEL_HASHES as the NORMAL hashes page for measured direct
 *              boot or ZERO otherwise, the rest ZERO); the BSP's VMSA, then
 *              one VMSA update per AP, all at SNP_VMSA_GPA.
 *   snp:svsm:  the OVMF image as one NORMAL update, the SVSM image below its
 *              VARS gap, the SVSM's sections, the VMSAs at the SVSM entry.
 *   snp:ovmf-hash: the first update only.
 *
 * The first update is always the whole first image (the OVMF), so a digest
 * sink can take the chain value after it as the snp:ovmf-hash seed.
 */
#ifndef SNPVM_MEASURE_PLAN_H
#define SNPVM_MEASURE_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "abi/page-info.h"
#include "util/err.h"

struct measure_opts;

struct launch_sink {
	/*
	 * One SNP_LAUNCH_UPDATE of len bytes (a non-zero multiple of 4 KiB) at
	 * gpa (4 KiB aligned). data holds the contents for NORMAL and VMSA; it is
	 * NULL for ZERO, UNMEASURED, SECRETS and CPUID, whose contents the sink
	 * supplies (a digest sink needs none; the sim or a VMM fills the CPUID
	 * and the secrets page). data is valid only during the call. Returns 0
	 * or a negative SNP_E_* that stops the plan.
	 */
	int (*update)(void *ctx, enum snp_page_type type, uint64_t gpa, const uint8_t *data,
		      size_t len, struct snp_err *err);
	void *ctx;
};

/*
 * Walks the plan for o (mode, VMM profile, vCPUs, firmware, kernel hashes)
 * and calls sink->update for each step. o->ovmf_hash is not read: resuming
 * from a seed is a digest notion (measure_run). Returns 0, the sink's error,
 * or SNP_E_INVALID / SNP_E_UNSUPPORTED naming the unusable option, section or
 * offset (checked before the first step where the check does not need it).
 */
int launch_plan_run(const struct measure_opts *o, const struct launch_sink *sink,
		    struct snp_err *err) SNP_MUST_CHECK;

#endif
