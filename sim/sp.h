/*
 * The simulated AMD secure processor: the SNP firmware's guest commands and
 * state machine (SNP ABI spec 56860 §8), driven in the same order as the real
 * KVM path (Linux Documentation/virt/kvm/x86/amd-memory-encryption.rst):
 *
 *   sim_sp_open(dir)                          the platform (SNP_PLATFORM_STATUS)
 *   sim_launch_start(sp, policy)              SNP_LAUNCH_START     -> guest in LAUNCH
 *   sim_launch_update(guest, gpa, data, len, type)  SNP_LAUNCH_UPDATE, per 4 KiB page
 *   sim_launch_finish(guest, id_block, id_auth, author_key_en, host_data)
 *                                             SNP_LAUNCH_FINISH    -> guest RUNNING
 *   sim_guest_request(guest, msg)             SNP_GUEST_REQUEST (MSG_REPORT_REQ)
 *   sim_hv_report(guest, report_data)         SNP_HV_REPORT_REQ
 *   sim_guest_free(guest)                     SNP_DECOMMISSION
 *
 * Every command returns 0 or a negative SNP_E_* code with err filled, and
 * stores the firmware status (enum snp_fw_status, abi/sev-status.h) in
 * *fw_status when fw_status is not NULL: SUCCESS, or INVALID_GUEST_STATE for
 * a command out of order, POLICY_FAILURE, INVALID_PARAM, INVALID_ADDRESS,
 * INVALID_LEN, INVALID_PAGE_STATE, BAD_MEASUREMENT, BAD_SIGNATURE ... — what
 * KVM would put in kvm_sev_cmd.error. All state lives in struct sim_sp and
 * struct sim_guest; two sims can run in one process.
 */
#ifndef SNPVM_SIM_SP_H
#define SNPVM_SIM_SP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/page-info.h"
#include "abi/report.h"
#include "abi/secrets-page.h"
#include "measure/gctx.h"
#include "sim/store.h"
#include "util/err.h"

#define SIM_HV_REPORT_VMPL 0xFFFFFFFFu /* VMPL of a host-requested report */

struct sim_sp {
	struct sim_store store; /* platform, signing key, certificates, CRL */
	bool debug_allowed;     /* platform knob: refuse POLICY.DEBUG when false */
	unsigned nguests;       /* guests not yet freed */
};

enum sim_guest_state {
	SIM_GUEST_LAUNCH = 1, /* after LAUNCH_START: LAUNCH_UPDATE and LAUNCH_FINISH allowed */
	SIM_GUEST_RUNNING,    /* after LAUNCH_FINISH: guest requests allowed */
};

struct sim_guest {
	struct sim_sp *sp;
	enum sim_guest_state state;
	uint64_t policy;
	uint8_t gosvw[16];
	struct gctx gctx;
	uint64_t *gpas; /* updated GPAs, sorted: each may be updated once */
	size_t ngpas, cap;
	struct snp_secrets_page secrets; /* VMPCK0..3 live here; wiped on free */
	uint64_t fw_seqno[SNP_VMPCK_COUNT]; /* firmware: last response sequence number per VMPCK */
	uint64_t drv_seqno[SNP_VMPCK_COUNT]; /* guest driver side, for sim_guest_report */
	struct snp_tcb launch_tcb;
	/* Filled by LAUNCH_FINISH. */
	uint8_t measurement[SNP_MEASUREMENT_SIZE];
	uint8_t host_data[SNP_HOST_DATA_SIZE];
	uint8_t report_id[32];
	uint8_t family_id[16], image_id[16];
	uint32_t guest_svn;
	bool author_key_en;
	uint8_t id_key_digest[SNP_KEY_DIGEST_SIZE];
	uint8_t author_key_digest[SNP_KEY_DIGEST_SIZE];
};

/* Opens the sim in dir (see sim/store.h). *out is freed with sim_sp_close. */
int sim_sp_open(const char *dir, struct sim_sp **out, struct snp_err *err) SNP_MUST_CHECK;

/* Frees sp; every guest must have been freed before (an internal error otherwise). */
void sim_sp_close(struct sim_sp *sp);

/* The platform as SNP_PLATFORM_STATUS reports it (owned by sp). */
const struct sim_platform *sim_sp_platform(const struct sim_sp *sp);

/*
 * SNP_LAUNCH_START. Checks policy: bit 17 set and bits 63:26 clear
 * (INVALID_PARAM); ABI_MAJOR.MINOR <= the firmware's; SMT allowed if the
 * platform has SMT on; SINGLE_SOCKET only on one socket; AES-256-XTS (not on
 * Milan), RAPL_DIS and ciphertext hiding only if the platform has them; DEBUG
 * only if the platform allows it (POLICY_FAILURE). gosvw may be NULL. On
 * success *out is a guest in LAUNCH state (free with sim_guest_free).
 */
int sim_launch_start(struct sim_sp *sp, uint64_t policy, const uint8_t gosvw[16],
		     struct sim_guest **out, uint32_t *fw_status, struct snp_err *err) SNP_MUST_CHECK;

/*
 * SNP_LAUNCH_UPDATE for len bytes (a non-zero multiple of 4 KiB) at gpa
 * (4 KiB aligned), one firmware step per page, lowest GPA first. data is the
 * guest memory of the range (KVM's uaddr): read for NORMAL, VMSA and CPUID;
 * zeroed for ZERO; filled with the secrets page for SECRETS; for a refused
 * CPUID page overwritten with the corrected page (status INVALID_PARAM, page
 * not consumed). data may be NULL for ZERO, UNMEASURED and SECRETS. Each GPA
 * may be updated once (INVALID_PAGE_STATE); VMSA pages are exempt, as KVM
 * measures them all at SNP_VMSA_GPA (abi/vmsa.h). On failure the pages before the failing
 * one stay measured, as with KVM's partial progress.
 */
int sim_launch_update(struct sim_guest *g, uint64_t gpa, uint8_t *data, size_t len,
		      enum snp_page_type type, uint32_t *fw_status,
		      struct snp_err *err) SNP_MUST_CHECK;

/*
 * SNP_LAUNCH_FINISH. With id_block (0x60 bytes) and id_auth (0x1000 bytes):
 * the ID block's digest must equal the launch digest (BAD_MEASUREMENT), its
 * policy the launch policy (POLICY_FAILURE), the signatures must verify
 * (BAD_SIGNATURE). author_key_en needs an ID block. host_data (32 bytes, may
 * be NULL for zeros) appears in every report.
 */
int sim_launch_finish(struct sim_guest *g, const uint8_t *id_block, const uint8_t *id_auth,
		      bool author_key_en, const uint8_t host_data[32], uint32_t *fw_status,
		      struct snp_err *err) SNP_MUST_CHECK;

/* SNP_DECOMMISSION: wipes the guest's keys and frees it. NULL is allowed. */
void sim_guest_free(struct sim_guest *g);

/*
 * SNP_GUEST_REQUEST: req is an encrypted guest message (abi/guest-msg.h) with
 * MSG_REPORT_REQ; rsp (cap >= 0x60 + 0x4C0) receives the encrypted
 * MSG_REPORT_RSP. The sequence number must be the next one for the VMPCK
 * used. A report request for a VMPL below the VMPCK's, or a KEY_SEL naming a
 * key the platform lacks, gets a response whose STATUS says so.
 */
int sim_guest_request(struct sim_guest *g, const uint8_t *req, size_t req_len, uint8_t *rsp,
		      size_t rsp_cap, size_t *rsp_len, uint32_t *fw_status,
		      struct snp_err *err) SNP_MUST_CHECK;

/*
 * The guest side of a report request, as the guest driver does it: builds a
 * MSG_REPORT_REQ for vmpl, encrypts it with VMPCK[vmpl], calls
 * sim_guest_request, decrypts and parses the response into out.
 */
int sim_guest_report(struct sim_guest *g, const uint8_t report_data[64], uint32_t vmpl,
		     uint8_t out[SNP_REPORT_SIZE], struct snp_err *err) SNP_MUST_CHECK;

/* SNP_HV_REPORT_REQ: a report requested by the host (VMPL 0xFFFFFFFF). */
int sim_hv_report(struct sim_guest *g, const uint8_t report_data[64],
		  uint8_t out[SNP_REPORT_SIZE], uint32_t *fw_status,
		  struct snp_err *err) SNP_MUST_CHECK;

#endif
