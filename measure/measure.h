/*
 * The launch-digest driver: runs the launch plan (measure/plan.h) into a gctx
 * chain (docs/measure.md): the sev-snp-measure profiles and the direct payload
 * boot. The launch options are the plan's; only ovmf_hash is the digest's.
 */
#ifndef SNPVM_MEASURE_MEASURE_H
#define SNPVM_MEASURE_MEASURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/page-info.h"
#include "abi/sev-hashes.h"
#include "measure/plan.h"
#include "util/err.h"

/*
 * The digest's inputs: what is launched, plus the digest-only resume point.
 * A zeroed struct plus launch.mode, launch.vcpus and the firmware bytes is a
 * strict QEMU measurement with guest features 0 (callers normally set 0x1).
 */
struct measure_opts {
	struct launch_opts launch;
	const uint8_t *ovmf_hash; /* resume after the firmware pages (48 bytes), or NULL */
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

#endif
