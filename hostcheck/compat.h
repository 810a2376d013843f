/*
 * The few KVM and SEV constants host-check needs that Debian 12's 6.1 uapi
 * headers lack, each under its upstream name and #ifndef-guarded so newer
 * headers win. launcher/kvm-compat.h (being written for the snp backend) is
 * to become the one place for these; fold this file into it when both exist.
 * Values: include/uapi/linux/kvm.h and include/uapi/linux/psp-sev.h (Linux
 * 6.11), Documentation/virt/kvm/api.rst.
 */
#ifndef SNPVM_HOSTCHECK_COMPAT_H
#define SNPVM_HOSTCHECK_COMPAT_H

#include <linux/kvm.h>
#include <linux/kvm_para.h>
#include <linux/psp-sev.h>

/* api.rst, KVM_GET_API_VERSION: the stable API is version 12. */
#ifndef KVM_API_VERSION
#define KVM_API_VERSION 12
#endif
#ifndef KVM_CAP_EXIT_HYPERCALL
#define KVM_CAP_EXIT_HYPERCALL 201 /* api.rst, KVM_CAP_EXIT_HYPERCALL (5.14) */
#endif
#ifndef KVM_HC_MAP_GPA_RANGE
#define KVM_HC_MAP_GPA_RANGE 12 /* Documentation/virt/kvm/x86/hypercalls.rst */
#endif
#ifndef KVM_CAP_MEMORY_ATTRIBUTES
#define KVM_CAP_MEMORY_ATTRIBUTES 233 /* api.rst, KVM_CAP_MEMORY_ATTRIBUTES (6.8) */
#endif
#ifndef KVM_CAP_GUEST_MEMFD
#define KVM_CAP_GUEST_MEMFD 234 /* api.rst, KVM_CAP_GUEST_MEMFD (6.8) */
#endif
#ifndef KVM_CAP_VM_TYPES
#define KVM_CAP_VM_TYPES 235 /* api.rst, KVM_CAP_VM_TYPES: bit n = type n */
#endif
#ifndef KVM_X86_SNP_VM
#define KVM_X86_SNP_VM 4 /* api.rst, KVM_CREATE_VM (6.11) */
#endif
#ifndef KVM_MEMORY_ATTRIBUTE_PRIVATE
#define KVM_MEMORY_ATTRIBUTE_PRIVATE (1ULL << 3) /* api.rst, KVM_SET_MEMORY_ATTRIBUTES */
#endif

/*
 * SNP_PLATFORM_STATUS is a member of psp-sev.h's enum sev_cmd (6.9+), which
 * no #ifndef can see: so a name of our own for the value 9. Its output is the
 * 32-byte structure of the SNP ABI spec 56860's SNP_PLATFORM_STATUS command
 * (psp-sev.h: struct sev_user_data_snp_status), read with abi/reader.h.
 */
#define HOSTCHECK_SEV_SNP_PLATFORM_STATUS 9
#define HOSTCHECK_SNP_STATUS_SIZE 32

#endif
