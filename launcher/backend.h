/*
 * The security backend: the secure processor a launch talks to, as an ops
 * table (`sim` now: the simulated AMD-SP of sim/; `snp` on the upstream KVM
 * SNP API is the next issue). The launch sequence (launcher/launch.c) is
 * written once against these ops.
 */
#ifndef SNPVM_LAUNCHER_BACKEND_H
#define SNPVM_LAUNCHER_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/page-info.h"
#include "abi/report.h"
#include "abi/vmsa.h"
#include "util/err.h"

struct sev_backend;

struct sev_ops {
	const char *name;
	/* SNP_LAUNCH_START with the guest policy. */
	int (*start)(struct sev_backend *be, uint64_t policy, struct snp_err *err);
	/*
	 * SNP_LAUNCH_UPDATE of [gpa, gpa + len) whose contents are already in
	 * guest memory at hva (NORMAL); the backend fills CPUID and SECRETS
	 * pages there itself.
	 */
	int (*update)(struct sev_backend *be, enum snp_page_type type, uint64_t gpa, uint8_t *hva,
		      size_t len, struct snp_err *err);
	/* vCPU idx's start state (the sim encodes it as a VMSA page; KVM sets registers). */
	int (*set_vcpu)(struct sev_backend *be, unsigned idx, const struct snp_vmsa *st,
			struct snp_err *err);
	/* SNP_LAUNCH_FINISH; fills be->measurement. */
	int (*finish)(struct sev_backend *be, const uint8_t *id_block, const uint8_t *id_auth,
		      bool author_key_en, const uint8_t host_data[32], struct snp_err *err);
	/* A report for the running guest at vmpl (the guest-request mailbox). */
	int (*guest_request)(struct sev_backend *be, const uint8_t report_data[64], uint32_t vmpl,
			     uint8_t report[SNP_REPORT_SIZE], struct snp_err *err);
	/* A host-requested report (SNP_HV_REPORT_REQ). */
	int (*hv_report)(struct sev_backend *be, const uint8_t report_data[64],
			 uint8_t report[SNP_REPORT_SIZE], struct snp_err *err);
	void (*close)(struct sev_backend *be);
};

struct sev_backend {
	const struct sev_ops *ops;
	void *priv;
	uint32_t fw_status;              /* the last firmware status (SNP_FW_*) */
	uint8_t measurement[SNP_MEASUREMENT_SIZE]; /* after finish */
};

/* Opens the sim backend on its state directory (sim/sp.h). Close with be->ops->close. */
int backend_sim_open(const char *dir, struct sev_backend *be,
		     struct snp_err *err) SNP_MUST_CHECK;

#endif
