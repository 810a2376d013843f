/*
 * The virtual machine as the launcher runs it: guest RAM (launcher/guest-mem.h,
 * owned by the caller), vCPUs, one I/O registry, the devices of
 * launcher/machine.c, and an accelerator (launcher/accel.h: `kvm` on
 * /dev/kvm, `emu` on Unicorn) that executes guest code. The launch itself
 * (which pages are measured, by which security backend) happens before
 * vm_run and is not this module's business: the launcher fills guest RAM and
 * hands each vCPU its start state as a struct snp_vmsa.
 *
 *   vm_create(cfg, mem)            accelerator chosen/probed, vCPUs created, devices up
 *   vm_set_vcpu_state(vm, i, st)   registers of vCPU i (long mode or real mode)
 *   vm_run(vm, &result)            runs until the guest ends, faults, times out or is stopped
 *   vm_destroy(vm)                 devices down in reverse order, accelerator released
 */
#ifndef SNPVM_LAUNCHER_VM_H
#define SNPVM_LAUNCHER_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/report.h"
#include "abi/vmsa.h"
#include "util/err.h"

struct guest_mem;
struct sev_backend;
struct snp_cpuid_page;
struct vm;

/*
 * The security backend's answer to a guest report request made through the
 * guest-request mailbox (docs/guest-request-mailbox.md): fills report
 * (SNP_REPORT_SIZE bytes) for report_data at vmpl. Returns 0 or an error
 * (the mailbox then reports failure to the guest; the VM keeps running).
 */
typedef int guest_report_fn(void *ctx, const uint8_t report_data[64], uint32_t vmpl,
			    uint8_t report[SNP_REPORT_SIZE], struct snp_err *err);

/* The threads of a running VM, each confined to its own job (launcher/confine.h). */
enum vm_thread_role {
	VM_THREAD_VCPU,    /* runs the guest and handles its exits (emu: every vCPU, in turn) */
	VM_THREAD_WATCHER, /* the caller's: stop, timeout, the console and the report channel */
};

struct vm_config {
	const char *accel;       /* "auto" (kvm if usable, else emu), "kvm" or "emu" */
	unsigned vcpus;          /* 1..PAYLOAD_MAX_VCPUS */
	int console_fd;          /* serial output goes here; -1 discards it */
	uint64_t timeout_ms;     /* 0: none */
	guest_report_fn *report; /* NULL: the mailbox answers "no backend" */
	void *report_ctx;
	const char *channel_path; /* Unix socket for the report channel, or NULL (none) */
	/*
	 * The launch's CPUID page (borrowed: must outlive the VM), or NULL. On
	 * emu the CPUID instruction returns its entries (APIC ID per vCPU; a leaf
	 * it lacks keeps Unicorn's own value); kvm gives the host's supported
	 * CPUID either way.
	 */
	const struct snp_cpuid_page *cpuid;
	/*
	 * The snp security backend after LAUNCH_FINISH (borrowed), or NULL. Set:
	 * the VM runs on that backend's KVM SNP VM and vCPUs (accel must be
	 * "kvm" or "auto"; launcher/accel-kvm-snp.c), the SNP exits handled.
	 */
	struct sev_backend *snp;
	/*
	 * Measured direct boot (policy kernel/initrd/cmdline; borrowed, must
	 * outlive the VM): fw_cfg offers them as QEMU's x86 loader does for an
	 * SEV guest (launcher/dev-fw-cfg.c). kernel NULL: no kernel items.
	 * cmdline NULL with a kernel: the empty command line.
	 */
	const uint8_t *kernel;
	size_t kernel_len;
	const uint8_t *initrd; /* NULL: no initrd items */
	size_t initrd_len;
	const char *kernel_cmdline;
	/*
	 * NULL, or called by each thread of vm_run() for itself before its work
	 * starts: a vCPU thread before the guest's first instruction, the watcher
	 * once the vCPU threads are started (they do not inherit its filter). A
	 * failure ends the run with VM_END_ERROR.
	 */
	int (*confine_thread)(enum vm_thread_role role, struct snp_err *err);
};

enum vm_end {
	VM_END_EXIT = 1,  /* the guest wrote a byte to the debug-exit port: exit_value */
	VM_END_FAULT,     /* unhandled exception / triple fault / bad instruction: vector, rip, insn */
	VM_END_SHUTDOWN,  /* the guest asked to power off or reset */
	VM_END_HALT,      /* every vCPU halted with nothing to wake it */
	VM_END_TIMEOUT,   /* cfg->timeout_ms elapsed */
	VM_END_SIGNAL,    /* vm_stop() (SIGINT/SIGTERM) */
	VM_END_ERROR,     /* the VMM stopped the guest: detail says why (bad MMIO, internal error) */
	VM_END_TERMINATED, /* SNP: the guest's GHCB termination request (term_set, term_code) */
};

/* An address the guest touched that no device claims (docs/launcher-internals.md). */
#define VM_UNCLAIMED_LOG 16
struct vm_unclaimed {
	bool is_mmio;
	bool is_write;   /* of the first access */
	uint64_t addr;
	uint64_t count;  /* accesses to addr */
};

struct vm_result {
	enum vm_end end;
	uint8_t exit_value;  /* VM_END_EXIT */
	unsigned vcpu;       /* the vCPU that ended the run */
	uint64_t rip;        /* its RIP (FAULT, ERROR) */
	int vector;          /* FAULT: the exception vector, -1 if none */
	uint8_t insn[16];    /* FAULT: the instruction bytes at rip, as far as readable */
	size_t insn_len;
	char detail[256];    /* one line for the user */
	uint64_t serial_bytes; /* bytes the guest wrote to the console */
	/* Port reads nobody claims see all-ones and writes are dropped; the guest goes on. */
	uint64_t unclaimed_total;                     /* such accesses */
	struct vm_unclaimed unclaimed[VM_UNCLAIMED_LOG]; /* the first distinct addresses */
	size_t nunclaimed;
	uint64_t channel_requests;                    /* report-channel requests answered by the guest */
	unsigned term_set, term_code; /* TERMINATED: GHCB reason set (0: general) and code */
};

/* Creates the VM on mem (borrowed; must outlive the VM). *out freed with vm_destroy. */
int vm_create(const struct vm_config *cfg, struct guest_mem *mem, struct vm **out,
	      struct snp_err *err) SNP_MUST_CHECK;

/* "kvm" or "emu": what cfg->accel "auto" chose. */
const char *vm_accel_name(const struct vm *vm);

/*
 * When "auto" chose emu: why kvm was not usable ("kvm: /dev/kvm: No such
 * file or directory"), for the launcher to say; "" otherwise. Owned by vm.
 */
const char *vm_accel_why_not_kvm(const struct vm *vm);

/* Sets vCPU idx's registers from st (segments, control registers, RIP/RSP/RSI/RDI/RDX/RFLAGS). */
int vm_set_vcpu_state(struct vm *vm, unsigned idx, const struct snp_vmsa *st,
		      struct snp_err *err) SNP_MUST_CHECK;

/*
 * Runs every vCPU until the guest ends. Returns 0 with *res filled for any
 * guest outcome (a faulting guest is a result, not an error), or an error when
 * the VMM itself failed.
 */
int vm_run(struct vm *vm, struct vm_result *res, struct snp_err *err) SNP_MUST_CHECK;

/* Async-signal-safe: asks vm_run to stop (VM_END_SIGNAL). */
void vm_stop(struct vm *vm);

void vm_destroy(struct vm *vm);

/* "exit", "fault", ... for messages and JSON. */
const char *vm_end_name(enum vm_end end);

#endif
