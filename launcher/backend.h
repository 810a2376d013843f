/*
 * The security backend: the secure processor a launch talks to, as an ops
 * table: `sim`, the simulated AMD-SP of sim/ (backend-sim.c), and `snp`, the
 * upstream KVM SEV-SNP API (backend-snp.c). The launch sequence
 * (launcher/launch.c) is written once against these ops.
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
	/* SNP_LAUNCH_FINISH; fills be->measurement when the backend learns it. */
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
	bool has_measurement;            /* finish learnt the MEASUREMENT (KVM does not say it) */
	uint8_t measurement[SNP_MEASUREMENT_SIZE]; /* after finish, if has_measurement */
};

/* Opens the sim backend on its state directory (sim/sp.h). Close with be->ops->close. */
int backend_sim_open(const char *dir, struct sev_backend *be,
		     struct snp_err *err) SNP_MUST_CHECK;

struct sim_sp;
struct guest_mem;
struct kvm_ops;

/* The sim backend's secure processor (its certificate store), for `snpvm sim report`. */
struct sim_sp *backend_sim_sp(const struct sev_backend *be);

struct snp_backend_opts {
	const struct kvm_ops *kvm;   /* NULL: the system calls (launcher/kvm-ops.h) */
	const char *kvm_path;        /* NULL: /dev/kvm */
	const char *sev_path;        /* NULL: /dev/sev */
	struct guest_mem *mem;       /* guest RAM at GPA 0 (borrowed): the shared view of slot 0 */
	unsigned vcpus;              /* vCPUs created before LAUNCH_FINISH */
	uint64_t guest_features;     /* SEV_FEATURES (INIT2 gets them without SNP_ACTIVE) */
	uint8_t gosvw[16];           /* LAUNCH_START's guest OS visible workarounds */
	bool accept_cpuid_fixup;     /* take the firmware's corrected CPUID page (once) */
	/*
	 * The host's certificate table (abi/cert-table.h, borrowed) served on
	 * KVM_EXIT_SNP_REQ_CERTS, or NULL: then certificate requests are not
	 * enabled and KVM gives guests an empty table.
	 */
	const uint8_t *certs;
	size_t certs_len;
};

/*
 * Opens the snp backend (launcher/backend-snp.c): an SNP VM on KVM with
 * INIT2 done and guest RAM bound to guest_memfd, private. Close with
 * be->ops->close. On failure be->ops is NULL and be->fw_status holds the
 * firmware status of the failing command, if any.
 */
int backend_snp_open(const struct snp_backend_opts *o, struct sev_backend *be,
		     struct snp_err *err) SNP_MUST_CHECK;

/*
 * Converts [gpa, gpa + size) (whole pages) to private or shared
 * (KVM_SET_MEMORY_ATTRIBUTES), for the SNP exits (launcher/snp-exits.h).
 * SNP_E_INVALID for a range that is not guest memory and to_private (to
 * shared it is a no-op); the memory on the other side is released (below).
 */
int backend_snp_convert(struct sev_backend *be, uint64_t gpa, uint64_t size, bool to_private,
			struct snp_err *err) SNP_MUST_CHECK;

/*
 * After a conversion the side no longer used is released (QEMU does the
 * same, target/i386/kvm and system/physmem.c ram_block_discard_range): to
 * shared, fallocate(PUNCH_HOLE | KEEP_SIZE) on the guest_memfd range; to
 * private, madvise(MADV_DONTNEED) on the shared view (anonymous memory reads
 * back as zeroes). backend_snp_is_shared says whether every page of
 * [gpa, gpa + len) is guest RAM and currently shared.
 */
bool backend_snp_is_shared(const struct sev_backend *be, uint64_t gpa, uint64_t len);

/* The host's certificate table given at open (NULL if none). */
const uint8_t *backend_snp_certs(const struct sev_backend *be, size_t *len);

/*
 * Whether KVM_SEV_SNP_ENABLE_REQ_CERTS was done (Linux 7.0+); note, if
 * non-NULL, gets why not (for the user) when certificates were asked for.
 */
bool backend_snp_req_certs(const struct sev_backend *be, const char **note);

/*
 * The run side of the snp backend for the kvm accelerator
 * (launcher/accel-kvm-snp.c): vCPU idx's fd (created before LAUNCH_FINISH)
 * and its kvm_run mapping (*run, *run_size; unmap with backend_snp_vcpu_unmap).
 */
struct kvm_run;
int backend_snp_vcpu_map(struct sev_backend *be, unsigned idx, int *fd, struct kvm_run **run,
			 size_t *run_size, struct snp_err *err) SNP_MUST_CHECK;
void backend_snp_vcpu_unmap(struct sev_backend *be, struct kvm_run *run, size_t run_size);

/* KVM_RUN on vcpu_fd: 0 or -errno (EINTR, EFAULT with KVM_EXIT_MEMORY_FAULT, ...). */
int backend_snp_run(struct sev_backend *be, int vcpu_fd);

/*
 * The CPUID registers the firmware corrected in a refused CPUID page (*n of
 * them, 0 if none or not snp), for the user.
 */
struct snp_cpuid_fixup;
const struct snp_cpuid_fixup *backend_snp_cpuid_fixups(const struct sev_backend *be, unsigned *n);

/*
 * A failed system call rc (-errno) of the snp backend's VM as the backend
 * reports its own: "snp: <what>: EIO (Input/output error)"; SNP_E_NOMEM for
 * ENOMEM, else SNP_E_SYS. Returns that code.
 */
int backend_snp_fail(struct sev_backend *be, int rc, const char *what, struct snp_err *err);

#endif
