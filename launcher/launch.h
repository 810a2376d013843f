/*
 * The launch sequence, written once against the security backend's ops
 * (launcher/backend.h): guest memory, LAUNCH_START, the launch plan
 * (measure/plan.h) copied into guest memory range by range and handed to
 * LAUNCH_UPDATE, the vCPU start states, LAUNCH_FINISH (ID block, HOST_DATA);
 * then, unless launch-only, the VM core (launcher/vm.h) runs the guest.
 *
 * launch_prepare() turns a policy file into the plan's inputs and the
 * predicted MEASUREMENT; `snpvm measure POLICY.json` stops there.
 */
#ifndef SNPVM_LAUNCHER_LAUNCH_H
#define SNPVM_LAUNCHER_LAUNCH_H

#include <stdbool.h>
#include <stdint.h>

#include "abi/cpuid-page.h"
#include "abi/idblock.h"
#include "abi/report.h"
#include "abi/sev-hashes.h"
#include "launcher/vm.h"
#include "measure/firmware-known.h"
#include "measure/payload.h"
#include "measure/plan.h"
#include "util/err.h"
#include "util/file.h"

struct guest_mem;
struct kvm_ops;
struct launch_policy;
struct sev_backend;

/*
 * One launch on an open backend, the sequence written once: LAUNCH_START
 * (policy), the plan of opts copied into mem range by range and handed to
 * LAUNCH_UPDATE (ranges outside mem are measured from a scratch copy, for a
 * launch-only firmware launch), each vCPU's start state, LAUNCH_FINISH.
 * snp:ovmf-hash is a digest notion (SNP_E_INVALID).
 */
struct launch_seq {
	const struct launch_opts *opts;
	uint64_t policy;
	const uint8_t *id_block, *id_auth; /* NULL: no ID block */
	bool author_key_en;
	const uint8_t *host_data;          /* 32 bytes, or NULL for zeros */
	struct snp_vmsa *vcpu;             /* receives the start states (nvcpus), or NULL */
	unsigned nvcpus;
	uint64_t npages;                   /* out: pages measured */
};

int launch_sequence(struct sev_backend *be, struct guest_mem *mem, struct launch_seq *seq,
		    struct snp_err *err) SNP_MUST_CHECK;

/* What a policy file launches, opened and built; the plan's inputs point in here. */
struct launch_prep {
	struct launch_opts opts;
	struct file_map in_image;         /* the payload ELF or the firmware */
	/* Firmware: its sha256 and manifest entry (NULL: an image nobody vouched for). */
	char firmware_sha256[FIRMWARE_SHA256_HEX];
	const struct firmware_known *firmware_known;
	uint64_t kernel_len, initrd_len;  /* hashed in chunks, never held in memory */
	struct sev_hashes hashes;
	struct payload_image payload;
	uint8_t measurement[SNP_MEASUREMENT_SIZE]; /* predicted (measure_run) */
	uint64_t npages;                  /* pages measured (chain steps) */
	bool has_id_block;
	uint8_t id_block[SNP_ID_BLOCK_SIZE];
	uint8_t id_auth[SNP_ID_AUTH_SIZE];
	bool author_key_en;
	uint8_t id_key_digest[SNP_ID_DIGEST_SIZE];
	uint8_t author_key_digest[SNP_ID_DIGEST_SIZE];
};

/*
 * Opens the policy's images, builds the payload image or the firmware
 * options, predicts the MEASUREMENT and makes (or reads) the ID block.
 * Release with launch_prep_free (also after a failure).
 */
int launch_prepare(const struct launch_policy *p, struct launch_prep *prep,
		   struct snp_err *err) SNP_MUST_CHECK;

void launch_prep_free(struct launch_prep *prep);

struct launch_run_opts {
	const char *accel;        /* overrides the policy's accel, or NULL */
	bool launch_only;         /* stop after LAUNCH_FINISH (and the HV report) */
	bool hv_report;           /* request a host report after the launch */
	uint8_t hv_report_data[64];
	int console_fd;           /* serial output; -1 discards */
	uint64_t timeout_ms;      /* 0: none */
	const char *channel_path; /* the report channel's socket, or NULL */
	/* Called with the VM once created and with NULL before it is destroyed (for vm_stop). */
	void (*on_vm)(struct vm *vm, void *ctx);
	void *on_vm_ctx;
	/*
	 * Called once the VM exists and everything privileged is open, before the
	 * first vCPU runs (launcher_confine, after writing what the caller must
	 * write first); a failure stops the launch. NULL: not confined (tests).
	 */
	int (*confine)(void *ctx, struct snp_err *err);
	void *confine_ctx;
	/*
	 * With confine: each thread of the run narrows itself further
	 * (launcher_confine_thread; vm_config.confine_thread). NULL: not.
	 */
	int (*confine_thread)(enum vm_thread_role role, struct snp_err *err);
	/* backend snp: */
	const struct kvm_ops *kvm;  /* the KVM system calls, or NULL for the real ones */
	bool accept_cpuid_fixup;    /* take the firmware's corrected CPUID page */
};

struct launch_result {
	bool has_measurement;     /* the backend learnt it (snp: only through an ID block) */
	uint8_t measurement[SNP_MEASUREMENT_SIZE]; /* from the backend's LAUNCH_FINISH */
	uint64_t npages;          /* pages measured */
	uint32_t fw_status;       /* the backend's last firmware status */
	bool firmware_refused;    /* a launch command failed with a firmware status */
	/* snp: every CPUID register the firmware corrected in a refused CPUID page (also on failure) */
	struct snp_cpuid_fixup cpuid_fixups[SNP_CPUID_MAX_FIXUPS];
	unsigned ncpuid_fixups;
	bool certs_served;        /* snp, certs_dir: KVM_SEV_SNP_ENABLE_REQ_CERTS done */
	char certs_note[160];     /* snp, certs_dir: why certificates are not served, or "" */
	bool has_hv_report;
	uint8_t hv_report[SNP_REPORT_SIZE];
	bool ran;                 /* the VM ran: vm holds the outcome */
	char accel[8];
	char accel_note[160];     /* why auto did not pick kvm, or "" */
	struct vm_result vm;
};

/*
 * Launches per the policy with the prepared inputs. Returns 0 with *res
 * filled (a guest outcome is a result), or an error: res->firmware_refused
 * tells a firmware refusal from other failures.
 */
int launch_run(const struct launch_policy *p, const struct launch_prep *prep,
	       const struct launch_run_opts *ro, struct launch_result *res,
	       struct snp_err *err) SNP_MUST_CHECK;

#endif
