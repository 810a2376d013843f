/*
 * Accelerators: what executes guest code. As QEMU splits accel/kvm from
 * accel/tcg, the VM core is written once against this table:
 *
 *   accel-kvm.c  /dev/kvm (Linux Documentation/virt/kvm/api.rst)
 *   accel-emu.c  an emulated x86-64 CPU (Unicorn 2, QEMU's TCG as a library)
 *
 * `kvm` runs one host thread per vCPU, each in KVM_RUN; `emu` runs every
 * vCPU round-robin in time slices on one thread (several Unicorn engines on
 * threads sharing memory would make `lock` instructions non-atomic). The
 * caller's thread watches either way (launcher/vm.c).
 */
#ifndef SNPVM_LAUNCHER_ACCEL_H
#define SNPVM_LAUNCHER_ACCEL_H

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>

#include "abi/vmsa.h"
#include "util/err.h"

/*
 * kvm: the signal that interrupts a vCPU thread in KVM_RUN. vCPU threads
 * block every other asynchronous signal, so SIGINT/SIGTERM reach the caller's
 * thread.
 */
#define VM_KICK_SIGNAL SIGUSR1

struct vm;
struct vcpu;
struct vcpu_exit;

struct accel_ops {
	const char *name;
	bool threaded; /* one host thread per vCPU (else round-robin on one guest thread) */
	/* 0 if this accelerator works on this host; otherwise an error saying why not. */
	int (*probe)(struct snp_err *err);
	/*
	 * Optional: starts in the background what probe would load (emu:
	 * libunicorn), so that work overlaps the caller's; probe then waits for it.
	 */
	void (*preload)(void);
	/* Sets up the VM on vm->mem; the I/O registry's MMIO ranges are final. */
	int (*vm_init)(struct vm *vm, struct snp_err *err);
	void (*vm_exit)(struct vm *vm);
	int (*vcpu_init)(struct vcpu *vcpu, struct snp_err *err);
	void (*vcpu_exit)(struct vcpu *vcpu);
	/* Loads the start state (long mode or real mode) from st. */
	int (*set_state)(struct vcpu *vcpu, const struct snp_vmsa *st, struct snp_err *err);
	/*
	 * Runs vcpu until its next exit (threaded) or for about slice_us
	 * microseconds (round-robin); fills *ex. Port I/O and MMIO may be
	 * delivered to vcpu_handle_exit() before this returns.
	 */
	int (*run)(struct vcpu *vcpu, uint64_t slice_us, struct vcpu_exit *ex, struct snp_err *err);
	/* The vCPU's RIP and up to 16 instruction bytes there (for fault reports). */
	void (*read_insn)(struct vcpu *vcpu, uint64_t *rip, uint8_t insn[16], size_t *len);
	/*
	 * Makes run() return soon (the vCPU's thread may be in the guest); from
	 * any thread, any number of times.
	 */
	void (*kick)(struct vcpu *vcpu);
	/*
	 * Optional: called by the watcher every period for each vCPU (emu: ends
	 * a time slice that has run its time).
	 */
	void (*tick)(struct vcpu *vcpu);
};

extern const struct accel_ops accel_kvm_ops;
extern const struct accel_ops accel_emu_ops;
/* kvm on the snp backend's VM (vm_config.snp); never chosen by accel_select. */
extern const struct accel_ops accel_kvm_snp_ops;

/*
 * The accelerator for name: "kvm", "emu", or "auto"/NULL (kvm when its probe
 * succeeds, else emu; why_not, if non-NULL, then says why kvm was passed
 * over, or is left empty). Returns NULL with err filled when the named one is
 * unusable here (the message says why: emu's probe loads libunicorn and names
 * the Debian package when it is missing), when auto finds neither usable, or
 * when the name is unknown.
 */
const struct accel_ops *accel_select(const char *name, struct snp_err *why_not,
				     struct snp_err *err);

/*
 * Best effort, never fails: starts loading what the accelerator accel_select
 * would pick for name needs before its first VM (emu: libunicorn, ~11 ms of
 * dynamic loading), on a background thread, so a launch's own work
 * (policy, images, the security backend, LAUNCH_*) runs meanwhile. A load
 * failure is reported by accel_select as without it.
 */
void accel_preload(const char *name);

#endif
