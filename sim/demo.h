/*
 * A tiny, deterministic launch for `snpvm sim report` and CI: the same
 * command sequence a launcher drives (LAUNCH_START, LAUNCH_UPDATE per range,
 * LAUNCH_FINISH), with either a firmware image as NORMAL pages ending at
 * 4 GiB or one demo page, then a SECRETS page, a CPUID page the simulated CPU
 * accepts, and one VMSA page.
 */
#ifndef SNPVM_SIM_DEMO_H
#define SNPVM_SIM_DEMO_H

#include <stddef.h>
#include <stdint.h>

#include "sim/sp.h"

#define SIM_DEMO_SECRETS_GPA 0x800000ull
#define SIM_DEMO_CPUID_GPA 0x801000ull

struct sim_demo_opts {
	uint64_t policy;
	const uint8_t *firmware; /* NULL: one demo page at 0xFFFFF000 */
	size_t firmware_len;     /* a multiple of 4 KiB */
	uint8_t host_data[32];
};

/* Launches a guest on sp; on success *out is RUNNING (free with sim_guest_free). */
int sim_demo_launch(struct sim_sp *sp, const struct sim_demo_opts *o, struct sim_guest **out,
		    struct snp_err *err) SNP_MUST_CHECK;

#endif
