/*
 * What the upstream KVM SEV-SNP API (Linux 6.11+) adds to the uapi headers a
 * distribution may still ship without it (Debian 12's linux-libc-dev is 6.1):
 * VM types, KVM_SEV_INIT2, the KVM_SEV_SNP_LAUNCH_* commands and structs,
 * guest_memfd, KVM_SET_USER_MEMORY_REGION2, memory attributes and the
 * KVM_EXIT_MEMORY_FAULT exit. Layouts are those of Linux 6.12
 * include/uapi/linux/kvm.h and arch/x86/include/uapi/asm/kvm.h; semantics in
 * Documentation/virt/kvm/api.rst and Documentation/virt/kvm/x86/
 * amd-memory-encryption.rst.
 *
 * Every define is #ifndef-guarded; a struct is declared under its upstream
 * name only when the upstream header's marker macro for it is absent, so with
 * newer headers the upstream declarations are used and the static asserts
 * below check them. Ioctl numbers are derived with _IOW/_IOWR from the struct,
 * so a wrong struct size changes the number (and fails the asserts).
 */
#ifndef SNPVM_LAUNCHER_KVM_COMPAT_H
#define SNPVM_LAUNCHER_KVM_COMPAT_H

#include <stddef.h>

#include <linux/kvm.h>
#include <linux/kvm_para.h>

/* VM types for KVM_CREATE_VM (api.rst "KVM_CREATE_VM"; arch/x86/include/uapi/asm/kvm.h). */
#ifndef KVM_X86_DEFAULT_VM
#define KVM_X86_DEFAULT_VM 0
#endif
#ifndef KVM_X86_SW_PROTECTED_VM
#define KVM_X86_SW_PROTECTED_VM 1
#endif
#ifndef KVM_X86_SEV_VM
#define KVM_X86_SEV_VM 2
#endif
#ifndef KVM_X86_SEV_ES_VM
#define KVM_X86_SEV_ES_VM 3
#endif
#ifndef KVM_X86_SNP_VM
#define KVM_X86_SNP_VM 4
#endif

/* KVM_GET_DEVICE_ATTR on /dev/kvm: the SEV group (amd-memory-encryption.rst). */
#ifndef KVM_X86_GRP_SEV
#define KVM_X86_GRP_SEV 1
#endif
#ifndef KVM_X86_SEV_VMSA_FEATURES
#define KVM_X86_SEV_VMSA_FEATURES 0
#endif

/* Capabilities (api.rst, "Available capabilities"). */
#ifndef KVM_CAP_EXIT_HYPERCALL
#define KVM_CAP_EXIT_HYPERCALL 201
#endif
#ifndef KVM_CAP_USER_MEMORY2
#define KVM_CAP_USER_MEMORY2 231
#endif
#ifndef KVM_CAP_MEMORY_FAULT_INFO
#define KVM_CAP_MEMORY_FAULT_INFO 232
#endif
#ifndef KVM_CAP_MEMORY_ATTRIBUTES
#define KVM_CAP_MEMORY_ATTRIBUTES 233
#endif
#ifndef KVM_CAP_GUEST_MEMFD
#define KVM_CAP_GUEST_MEMFD 234
#endif
#ifndef KVM_CAP_VM_TYPES
#define KVM_CAP_VM_TYPES 235
#endif

/* Exits (api.rst, "The kvm_run structure"). */
#ifndef KVM_EXIT_MEMORY_FAULT
#define KVM_EXIT_MEMORY_FAULT 39
#endif
#ifndef KVM_MEMORY_EXIT_FLAG_PRIVATE
#define KVM_MEMORY_EXIT_FLAG_PRIVATE (1ULL << 3)
#endif
#ifndef KVM_SYSTEM_EVENT_SEV_TERM
#define KVM_SYSTEM_EVENT_SEV_TERM 6
#endif
/* Linux 7.0 (api.rst "KVM_EXIT_SNP_REQ_CERTS"; x86/amd-memory-encryption.rst). */
#ifndef KVM_EXIT_SNP_REQ_CERTS
#define KVM_EXIT_SNP_REQ_CERTS 42
#endif
#ifndef KVM_SEV_SNP_ENABLE_REQ_CERTS
#define KVM_SEV_SNP_ENABLE_REQ_CERTS 103
#endif
#ifndef KVM_X86_SEV_SNP_REQ_CERTS
#define KVM_X86_SEV_SNP_REQ_CERTS 1
#endif
#ifndef KVM_HC_MAP_GPA_RANGE
#define KVM_HC_MAP_GPA_RANGE 12
#endif
#ifndef KVM_MAP_GPA_RANGE_ENCRYPTED
#define KVM_MAP_GPA_RANGE_ENCRYPTED (1 << 4)
#endif

/* Memslot flag, memory attribute (api.rst: KVM_SET_USER_MEMORY_REGION2, ..._ATTRIBUTES). */
#ifndef KVM_MEM_GUEST_MEMFD
#define KVM_MEM_GUEST_MEMFD (1UL << 2)
#endif
#ifndef KVM_MEMORY_ATTRIBUTE_PRIVATE
#define KVM_MEMORY_ATTRIBUTE_PRIVATE (1ULL << 3)
#endif

/* api.rst, "KVM_SET_USER_MEMORY_REGION2". */
#ifndef KVM_SET_USER_MEMORY_REGION2
struct kvm_userspace_memory_region2 {
	__u32 slot;
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 memory_size;
	__u64 userspace_addr;
	__u64 guest_memfd_offset;
	__u32 guest_memfd;
	__u32 pad1;
	__u64 pad2[14];
};
#define KVM_SET_USER_MEMORY_REGION2 _IOW(KVMIO, 0x49, struct kvm_userspace_memory_region2)
#endif

/* api.rst, "KVM_SET_MEMORY_ATTRIBUTES". */
#ifndef KVM_SET_MEMORY_ATTRIBUTES
struct kvm_memory_attributes {
	__u64 address;
	__u64 size;
	__u64 attributes;
	__u64 flags;
};
#define KVM_SET_MEMORY_ATTRIBUTES _IOW(KVMIO, 0xd2, struct kvm_memory_attributes)
#endif

/* api.rst, "KVM_CREATE_GUEST_MEMFD". */
#ifndef KVM_CREATE_GUEST_MEMFD
struct kvm_create_guest_memfd {
	__u64 size;
	__u64 flags;
	__u64 reserved[6];
};
#define KVM_CREATE_GUEST_MEMFD _IOWR(KVMIO, 0xd4, struct kvm_create_guest_memfd)
#endif

/*
 * The SEV-SNP commands of KVM_MEMORY_ENCRYPT_OP (amd-memory-encryption.rst,
 * "KVM_SEV_INIT2", "SNP_LAUNCH_START/UPDATE/FINISH"). Upstream declares the
 * command numbers in enum sev_cmd_id and the page types as macros:
 * KVM_SEV_SNP_PAGE_TYPE_NORMAL marks headers that have all of them.
 */
#ifndef KVM_SEV_SNP_PAGE_TYPE_NORMAL
#define KVM_SEV_INIT2 22
#define KVM_SEV_SNP_LAUNCH_START 100
#define KVM_SEV_SNP_LAUNCH_UPDATE 101
#define KVM_SEV_SNP_LAUNCH_FINISH 102

#define KVM_SEV_SNP_PAGE_TYPE_NORMAL 0x1
#define KVM_SEV_SNP_PAGE_TYPE_ZERO 0x3
#define KVM_SEV_SNP_PAGE_TYPE_UNMEASURED 0x4
#define KVM_SEV_SNP_PAGE_TYPE_SECRETS 0x5
#define KVM_SEV_SNP_PAGE_TYPE_CPUID 0x6

#define KVM_SEV_SNP_ID_BLOCK_SIZE 96
#define KVM_SEV_SNP_ID_AUTH_SIZE 4096
#define KVM_SEV_SNP_FINISH_DATA_SIZE 32

struct kvm_sev_init {
	__u64 vmsa_features;
	__u32 flags;
	__u16 ghcb_version;
	__u16 pad1;
	__u32 pad2[8];
};

struct kvm_sev_snp_launch_start {
	__u64 policy;
	__u8 gosvw[16];
	__u16 flags;
	__u8 pad0[6];
	__u64 pad1[4];
};

struct kvm_sev_snp_launch_update {
	__u64 gfn_start;
	__u64 uaddr;
	__u64 len;
	__u8 type;
	__u8 pad0;
	__u16 flags;
	__u32 pad1;
	__u64 pad2[4];
};

struct kvm_sev_snp_launch_finish {
	__u64 id_block_uaddr;
	__u64 id_auth_uaddr;
	__u8 id_block_en;
	__u8 auth_key_en;
	__u8 vcek_disabled;
	__u8 host_data[KVM_SEV_SNP_FINISH_DATA_SIZE];
	__u8 pad0[3];
	__u16 flags;
	__u64 pad1[4];
};
#endif

/*
 * kvm_run exit payloads newer than the installed header: read through this
 * overlay of the exit union (offset 32 of struct kvm_run, which 6.1 already
 * pads to the same size). Project names, so they never clash with upstream's.
 */
#define SNPVM_KVM_RUN_EXIT_OFF 32
struct snpvm_kvm_memory_fault {
	__u64 flags; /* KVM_MEMORY_EXIT_FLAG_PRIVATE */
	__u64 gpa;
	__u64 size;
};

/*
 * KVM_EXIT_SNP_REQ_CERTS (Linux 7.0): the guest's certificate buffer at gpa,
 * npages 4 KiB pages of shared memory; the VMM sets ret to 0 (table written),
 * ENOSPC (npages set to the pages needed; the guest retries) or EAGAIN (busy).
 */
struct snpvm_kvm_snp_req_certs {
	__u64 gpa;
	__u64 npages;
	__u64 ret;
};

/* Sizes (Linux 6.12 uapi), so a struct that drifts fails the build. */
_Static_assert(sizeof(struct kvm_sev_cmd) == 24, "kvm_sev_cmd");
_Static_assert(offsetof(struct kvm_sev_cmd, data) == 8, "kvm_sev_cmd.data");
_Static_assert(offsetof(struct kvm_sev_cmd, error) == 16, "kvm_sev_cmd.error");
_Static_assert(offsetof(struct kvm_sev_cmd, sev_fd) == 20, "kvm_sev_cmd.sev_fd");
_Static_assert(sizeof(struct kvm_sev_init) == 48, "kvm_sev_init");
_Static_assert(offsetof(struct kvm_sev_init, ghcb_version) == 12, "kvm_sev_init.ghcb_version");
_Static_assert(sizeof(struct kvm_sev_snp_launch_start) == 64, "kvm_sev_snp_launch_start");
_Static_assert(offsetof(struct kvm_sev_snp_launch_start, gosvw) == 8, "launch_start.gosvw");
_Static_assert(offsetof(struct kvm_sev_snp_launch_start, flags) == 24, "launch_start.flags");
_Static_assert(sizeof(struct kvm_sev_snp_launch_update) == 64, "kvm_sev_snp_launch_update");
_Static_assert(offsetof(struct kvm_sev_snp_launch_update, len) == 16, "launch_update.len");
_Static_assert(offsetof(struct kvm_sev_snp_launch_update, type) == 24, "launch_update.type");
_Static_assert(offsetof(struct kvm_sev_snp_launch_update, flags) == 26, "launch_update.flags");
_Static_assert(sizeof(struct kvm_sev_snp_launch_finish) == 88, "kvm_sev_snp_launch_finish");
_Static_assert(offsetof(struct kvm_sev_snp_launch_finish, id_block_en) == 16, "finish.id_block_en");
_Static_assert(offsetof(struct kvm_sev_snp_launch_finish, auth_key_en) == 17, "finish.auth_key_en");
_Static_assert(offsetof(struct kvm_sev_snp_launch_finish, host_data) == 19, "finish.host_data");
_Static_assert(offsetof(struct kvm_sev_snp_launch_finish, flags) == 54, "finish.flags");
_Static_assert(offsetof(struct kvm_sev_snp_launch_finish, pad1) == 56, "finish.pad1");
_Static_assert(sizeof(struct kvm_userspace_memory_region2) == 160, "kvm_userspace_memory_region2");
_Static_assert(offsetof(struct kvm_userspace_memory_region2, guest_memfd_offset) == 32,
	       "region2.guest_memfd_offset");
_Static_assert(offsetof(struct kvm_userspace_memory_region2, guest_memfd) == 40,
	       "region2.guest_memfd");
_Static_assert(sizeof(struct kvm_memory_attributes) == 32, "kvm_memory_attributes");
_Static_assert(offsetof(struct kvm_memory_attributes, attributes) == 16, "attributes.attributes");
_Static_assert(sizeof(struct kvm_create_guest_memfd) == 64, "kvm_create_guest_memfd");
_Static_assert(offsetof(struct kvm_run, exit_reason) == 8, "kvm_run.exit_reason");
_Static_assert(offsetof(struct kvm_run, hypercall) == SNPVM_KVM_RUN_EXIT_OFF, "kvm_run exit union");
_Static_assert(sizeof(struct kvm_run) == 2352, "kvm_run");
_Static_assert(sizeof(struct snpvm_kvm_memory_fault) == 24, "memory_fault exit");
_Static_assert(sizeof(struct snpvm_kvm_snp_req_certs) == 24, "snp_req_certs exit");
_Static_assert(offsetof(struct snpvm_kvm_snp_req_certs, ret) == 16, "snp_req_certs.ret");

#endif
