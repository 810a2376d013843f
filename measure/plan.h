/*
 * The launch plan: which pages a VMM hands to SNP_LAUNCH_UPDATE, in which
 * order, with which page type and GPA, and each vCPU's start state, written
 * once (AMD SEV-SNP ABI spec 56860 §8.17 SNP_LAUNCH_UPDATE; docs/measure.md,
 * docs/launch-layout.md). measure_run() feeds it to a digest sink; the
 * launcher feeds it to a security backend (launcher/backend.h).
 *
 *   snp:       the OVMF image as one NORMAL update ending at 4 GiB; its SEV
 *              metadata sections in list order (SNP_SEC_MEM as the profile's
 *              type, SECRETS and CPUID as one page each, EC2's CPUID last,
 *              SNP_KERNEL_HASHES as the NORMAL hashes page for measured direct
 *              boot or ZERO otherwise, the rest ZERO); the BSP's VMSA, then
 *              one VMSA per AP.
 *   snp:svsm:  the OVMF image as one NORMAL update, the SVSM image below its
 *              VARS gap, the SVSM's sections, the VMSAs at the SVSM entry.
 *   snp:ovmf-hash: the first update only.
 *   payload:   the direct 64-bit payload boot (measure/payload.h): the
 *              payload image's ranges in ascending GPA order, then one VMSA
 *              per vCPU from the image's start states.
 *
 * The VMSA step hands the sink the vCPU's register state (struct snp_vmsa):
 * a digest or sim sink encodes the page with vmsa_write(); a VMM that builds
 * the VMSA from registers (KVM) sets them. Every VMSA is at SNP_VMSA_GPA.
 *
 * In the firmware modes the first update is always the whole first image
 * (the OVMF), so a digest sink can take the chain value after it as the
 * snp:ovmf-hash seed.
 */
#ifndef SNPVM_MEASURE_PLAN_H
#define SNPVM_MEASURE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/page-info.h"
#include "abi/vmsa.h"
#include "measure/vmm-profile.h"
#include "util/err.h"

#define MEASURE_MAX_VCPUS 4096

struct payload_image;
struct sev_hashes;

enum measure_mode {
	MEASURE_MODE_SNP,       /* full launch digest */
	MEASURE_MODE_OVMF_HASH, /* the chain after the firmware pages only */
	MEASURE_MODE_SVSM,      /* legacy coconut-SVSM layout, QEMU only */
	MEASURE_MODE_PAYLOAD,   /* direct 64-bit payload boot (docs/launch-layout.md) */
};

/*
 * What is launched. A zeroed struct plus mode, vcpus and the firmware bytes
 * is a strict QEMU launch with guest features 0 (callers normally set 0x1).
 * Payload mode reads only mode and payload (vCPUs, features and start states
 * are the image's).
 */
struct launch_opts {
	enum measure_mode mode;
	enum vmm_type vmm;       /* VMM_QEMU, VMM_EC2 or VMM_GCE (SVSM mode: QEMU) */
	unsigned vcpus;          /* 1..MEASURE_MAX_VCPUS (not used for OVMF_HASH) */
	uint32_t vcpu_sig;       /* CPUID Fn0000_0001_EAX of the guest CPU model */
	uint64_t guest_features; /* SEV_FEATURES */
	const uint8_t *ovmf;     /* the firmware image, mapped at 4 GiB - ovmf_len */
	const char *ovmf_name;   /* its file, for messages (NULL: "OVMF") */
	size_t ovmf_len;
	const uint8_t *svsm;     /* SVSM mode: the SVSM image */
	size_t svsm_len;
	uint64_t vars_size;      /* SVSM mode: the OVMF_VARS gap below OVMF */
	const struct sev_hashes *kernel_hashes; /* measured direct boot, or NULL */
	const struct payload_image *payload;    /* payload mode: from payload_build() */
	/*
	 * Relaxation: measure firmware without SEV metadata as sev-snp-measure
	 * does (pages and VMSAs only). Such firmware cannot boot SNP.
	 */
	bool allow_no_sev_metadata;
};

struct launch_sink {
	/*
	 * One SNP_LAUNCH_UPDATE of len bytes (a non-zero multiple of 4 KiB) at
	 * gpa (4 KiB aligned). data holds the contents for NORMAL; it is NULL for
	 * ZERO, UNMEASURED, SECRETS and CPUID, whose contents the sink supplies (a
	 * digest sink needs none; the sim or a VMM fills the CPUID and the
	 * secrets page). data is valid only during the call. Returns 0 or a
	 * negative SNP_E_* that stops the plan.
	 */
	int (*update)(void *ctx, enum snp_page_type type, uint64_t gpa, const uint8_t *data,
		      size_t len, struct snp_err *err);
	/*
	 * vCPU idx's start state, in order from the BSP (idx 0); its VMSA page is
	 * at SNP_VMSA_GPA. st is valid only during the call.
	 */
	int (*vmsa)(void *ctx, unsigned idx, const struct snp_vmsa *st, struct snp_err *err);
	void *ctx;
};

/*
 * Walks the plan for o (mode, VMM profile, vCPUs, firmware, kernel hashes or
 * payload) and calls the sink for each step. Returns 0, the sink's error, or
 * SNP_E_INVALID / SNP_E_UNSUPPORTED naming the unusable option, section or
 * offset (checked before the first step where the check does not need it).
 */
int launch_plan_run(const struct launch_opts *o, const struct launch_sink *sink,
		    struct snp_err *err) SNP_MUST_CHECK;

/* "snp", "snp:ovmf-hash", "snp:svsm", "payload". */
const char *measure_mode_name(enum measure_mode mode);

#endif
