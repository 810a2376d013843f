/*
 * The exits an SNP guest adds to the KVM run loop (Linux
 * Documentation/virt/kvm/api.rst "KVM_EXIT_HYPERCALL", "KVM_EXIT_MEMORY_FAULT",
 * "KVM_EXIT_SYSTEM_EVENT"; Documentation/virt/kvm/x86/amd-memory-encryption.rst):
 *
 *   KVM_EXIT_HYPERCALL, nr KVM_HC_MAP_GPA_RANGE  a page-state change the guest
 *       asked for: args[0] GPA, args[1] 4 KiB pages, args[2] KVM_MAP_GPA_RANGE_ENCRYPTED
 *       (private) or not (shared) plus a page-size hint; the range's memory
 *       attribute is flipped and hypercall.ret says 0 or an error to the guest
 *   KVM_EXIT_MEMORY_FAULT (KVM_RUN failed with EFAULT)  an access whose kind
 *       disagrees with the attribute: the range is converted to the faulting
 *       kind (implicit conversion); the same fault repeating is an error
 *   KVM_EXIT_SYSTEM_EVENT, KVM_SYSTEM_EVENT_SEV_TERM  the guest's GHCB
 *       termination request: its reason set and code (data[0] is the GHCB MSR
 *       value, AMD GHCB specification 56421, "Termination Request")
 *   KVM_EXIT_SNP_REQ_CERTS (Linux 7.0+)  the guest's extended guest request
 *       wants the host's certificate table (AMD SEV-SNP ABI spec 56860,
 *       MSG_REPORT_REQ; GHCB spec 56421 "SNP Extended Guest Request"): written
 *       into its shared buffer, or ENOSPC with the pages needed
 *
 * Called by the kvm accelerator for the snp backend (launcher/accel-kvm-snp.c)
 * before the ordinary decoding. Never run on SNP hardware here: tested through
 * the fake KVM (tests/launcher/fake-kvm.h), which replays scripted exits.
 */
#ifndef SNPVM_LAUNCHER_SNP_EXITS_H
#define SNPVM_LAUNCHER_SNP_EXITS_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct guest_mem;
struct kvm_run;
struct sev_backend;

#define SNP_EXIT_MAX_REPEATS 8 /* the same memory fault in a row before it is an error */

enum snp_exit_action {
	SNP_EXIT_NOT_MINE,   /* not an SNP exit: the ordinary run loop handles it */
	SNP_EXIT_HANDLED,    /* re-enter the guest */
	SNP_EXIT_TERMINATED, /* the guest asked to terminate: term holds why */
};

struct snp_exit_state {
	uint64_t last_fault_gpa;
	unsigned repeats;
	unsigned term_set, term_code; /* SNP_EXIT_TERMINATED: GHCB reason set and code */
};

/*
 * Handles run (run_size bytes mapped) after KVM_RUN returned run_errno (0 on
 * success) on a vCPU of be's VM. Returns 0 with *act set, or an error (a
 * conversion KVM refused, a fault that keeps repeating, a malformed exit).
 */
int snp_exit_handle(struct sev_backend *be, struct guest_mem *mem, struct snp_exit_state *st,
		    struct kvm_run *run, size_t run_size, int run_errno, enum snp_exit_action *act,
		    struct snp_err *err) SNP_MUST_CHECK;

#endif
