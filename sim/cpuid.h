/*
 * The simulated CPU's answer to a CPUID page (SNP_LAUNCH_UPDATE, page type
 * CPUID). The firmware checks each entry against what the processor really
 * reports: identity registers (vendor, family/model/stepping) must match
 * exactly, feature registers may only claim bits the processor has. Leaves
 * the table does not list are passed through unchecked. On refusal the
 * corrected page holds the values the firmware would accept.
 */
#ifndef SNPVM_SIM_CPUID_H
#define SNPVM_SIM_CPUID_H

#include <stdbool.h>

#include "abi/cpuid-page.h"
#include "sim/platform.h"

/*
 * Checks page against the simulated CPU of plat. Returns true if every entry
 * is acceptable. *corrected is page with every refused register replaced.
 */
bool sim_cpuid_check(const struct sim_platform *plat, const struct snp_cpuid_page *page,
		     struct snp_cpuid_page *corrected);

/* Fills page with the simulated CPU's own leaves (a page the firmware accepts). */
void sim_cpuid_fill(const struct sim_platform *plat, struct snp_cpuid_page *page);

#endif
