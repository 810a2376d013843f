/*
 * The launch-digest driver: runs the launch plan (measure/plan.h) into a gctx
 * chain for the sev-snp-measure profiles (docs/measure.md).
 * The options also drive the plan a launcher runs against SNP_LAUNCH_UPDATE.
 */
#ifndef SNPVM_MEASURE_MEASURE_H
#define SNPVM_MEASURE_MEASURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/page-info.h"
#include "abi/sev-hashes.h"
#include "measure/vmm-profile.h"
#include "util/err.h"

#define MEASURE_MAX_VCPUS 4096

enum measure_mode {
	MEASURE_MODE_SNP,       /* full launch digest */
	MEASURE_MODE_OVMF_HASH, /* the chain after the firmware pages only */
	MEASURE_MODE_SVSM,      /* legacy coconut-SVSM layout (docs/measure.md), QEMU only */
};

/*
 * Inputs. A zeroed struct plus mode, vcpus and the firmware bytes is a strict
 * QEMU measurement with guest features 0 (callers normally set 0x1).
 */
struct measure_opts {
	enum measure_mode mode;
	enum vmm_type vmm;       /* VMM_QEMU, VMM_EC2 or VMM_GCE (SVSM mode: QEMU) */
	unsigned vcpus;          /* 1..MEASURE_MAX_VCPUS (not used for OVMF_HASH) */
	uint32_t vcpu_sig;       /* CPUID Fn0000_0001_EAX of the guest CPU model */
	uint64_t guest_features; /* SEV_FEATURES */
	const uint8_t *ovmf;     /* the firmware image, mapped at 4 GiB - ovmf_len */
	size_t ovmf_len;
	const uint8_t *svsm;     /* SVSM mode: the SVSM image */
	size_t svsm_len;
	uint64_t vars_size;      /* SVSM mode: the OVMF_VARS gap below OVMF */
	const struct sev_hashes *kernel_hashes; /* measured direct boot, or NULL */
	const uint8_t *ovmf_hash; /* resume after the firmware pages (48 bytes), or NULL */
	/*
	 * Relaxation: measure firmware without SEV metadata as sev-snp-measure
	 * does (pages and VMSAs only). Such firmware cannot boot SNP.
	 */
	bool allow_no_sev_metadata;
};

struct measure_result {
	uint8_t ld[SNP_LD_SIZE];        /* the MEASUREMENT */
	uint8_t ovmf_hash[SNP_LD_SIZE]; /* the chain after the firmware pages */
	uint64_t npages;                /* chain steps taken by this run */
};

/*
 * Measures per o. Returns 0 and fills *res, or a negative SNP_E_* with a
 * message naming the offending option, section or offset (SNP_E_INVALID /
 * SNP_E_UNSUPPORTED for unusable input). *res is zeroed on failure.
 */
int measure_run(const struct measure_opts *o, struct measure_result *res,
		struct snp_err *err) SNP_MUST_CHECK;

/* "snp", "snp:ovmf-hash", "snp:svsm". */
const char *measure_mode_name(enum measure_mode mode);

#endif
