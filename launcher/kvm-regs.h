/*
 * A vCPU start state (struct snp_vmsa) as KVM's register ioctls take it
 * (Linux Documentation/virt/kvm/api.rst, KVM_SET_SREGS / KVM_SET_REGS /
 * KVM_SET_FPU), for the kvm accelerator and the snp backend (whose KVM builds
 * the VMSA from these registers at SNP_LAUNCH_FINISH).
 */
#ifndef SNPVM_LAUNCHER_KVM_REGS_H
#define SNPVM_LAUNCHER_KVM_REGS_H

#include <linux/kvm.h>

#include "abi/vmsa.h"

/*
 * Sets the segments, descriptor tables, CR0/CR3/CR4 and EFER of sregs (read
 * from the vCPU first: the other fields are kept) and fills regs (RIP, RSP,
 * RSI, RDI, RDX, RFLAGS; the rest zero) from st.
 */
void kvm_regs_from_vmsa(const struct snp_vmsa *st, struct kvm_sregs *sregs,
			struct kvm_regs *regs);

/* The x87/SSE control state of st (FCW, FSW, FTW, MXCSR; the rest zero). */
void kvm_fpu_from_vmsa(const struct snp_vmsa *st, struct kvm_fpu *fpu);

#endif
