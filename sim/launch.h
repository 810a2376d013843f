/*
 * A launch on the sim as a VMM drives it: the launch plan of measure/plan.h
 * turned into SNP_LAUNCH_UPDATE calls, with the pages only a VMM supplies
 * (the CPUID page, the secrets page) filled in here. What `snpvm measure`
 * predicts for a set of options is what sim_launch_measured() launches.
 */
#ifndef SNPVM_SIM_LAUNCH_H
#define SNPVM_SIM_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/page-info.h"
#include "util/err.h"

struct launch_opts;
struct sim_guest;
struct sim_sp;

/*
 * One LAUNCH_UPDATE step as a VMM performs it: NORMAL and VMSA contents
 * (data) are copied into guest memory page by page; a CPUID page is the
 * simulated CPU's own leaves (sim_cpuid_fill), so the firmware accepts it;
 * ZERO, UNMEASURED and SECRETS need no data (the firmware fills the secrets
 * page, which stays inside the guest). data is ignored for those. Returns 0
 * or the sim_launch_update error; *fw_status (may be NULL) as there.
 */
int sim_launch_step(struct sim_guest *g, enum snp_page_type type, uint64_t gpa,
		    const uint8_t *data, size_t len, uint32_t *fw_status,
		    struct snp_err *err) SNP_MUST_CHECK;

/* Runs the launch plan for o into g (in LAUNCH state) with sim_launch_step. */
int sim_launch_plan(struct sim_guest *g, const struct launch_opts *o, uint32_t *fw_status,
		    struct snp_err *err) SNP_MUST_CHECK;

/*
 * LAUNCH_START(policy), the plan for o, LAUNCH_FINISH(id_block, id_auth,
 * author_key_en, host_data) as in sim/sp.h. o must be a full launch (not
 * snp:ovmf-hash: SNP_E_INVALID). On success *out is a
 * RUNNING guest whose MEASUREMENT is the digest measure_run predicts for o (free with
 * sim_guest_free); on failure *out is NULL, the guest is freed and
 * *fw_status (may be NULL) holds the failing command's firmware status
 * (SUCCESS when the failure was not the firmware's, e.g. unusable firmware).
 */
int sim_launch_measured(struct sim_sp *sp, const struct launch_opts *o, uint64_t policy,
			const uint8_t *id_block, const uint8_t *id_auth, bool author_key_en,
			const uint8_t host_data[32], struct sim_guest **out, uint32_t *fw_status,
			struct snp_err *err) SNP_MUST_CHECK;

#endif
