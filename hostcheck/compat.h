/*
 * The KVM and SEV constants host-check needs that Debian 12's 6.1 uapi
 * headers lack. The KVM ones (VM types, capabilities, memory attributes,
 * MAP_GPA_RANGE) come from launcher/kvm-compat.h, the one place for them;
 * only the SEV command below is host-check's own.
 * Values: include/uapi/linux/kvm.h and include/uapi/linux/psp-sev.h (Linux
 * 6.11), Documentation/virt/kvm/api.rst.
 */
#ifndef SNPVM_HOSTCHECK_COMPAT_H
#define SNPVM_HOSTCHECK_COMPAT_H

#include <linux/kvm.h>
#include <linux/kvm_para.h>
#include <linux/psp-sev.h>

#include "launcher/kvm-compat.h"

/* api.rst, KVM_GET_API_VERSION: the stable API is version 12. */
#ifndef KVM_API_VERSION
#define KVM_API_VERSION 12
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
