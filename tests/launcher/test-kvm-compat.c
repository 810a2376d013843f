/*
 * launcher/kvm-compat.h against the upstream uapi: every size, offset, ioctl
 * number and constant below is written out from Linux 6.12
 * include/uapi/linux/kvm.h and arch/x86/include/uapi/asm/kvm.h (the ioctl
 * numbers as _IOW/_IOWR of those structs expand on x86-64), not computed
 * from the header under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "launcher/kvm-compat.h"

static void struct_sizes_and_offsets(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct kvm_sev_cmd), 24);
	assert_int_equal(offsetof(struct kvm_sev_cmd, error), 16);
	assert_int_equal(offsetof(struct kvm_sev_cmd, sev_fd), 20);
	assert_int_equal(sizeof(struct kvm_sev_init), 48);
	assert_int_equal(offsetof(struct kvm_sev_init, flags), 8);
	assert_int_equal(offsetof(struct kvm_sev_init, ghcb_version), 12);
	assert_int_equal(offsetof(struct kvm_sev_init, pad2), 16);
	assert_int_equal(sizeof(struct kvm_sev_snp_launch_start), 64);
	assert_int_equal(offsetof(struct kvm_sev_snp_launch_start, gosvw), 8);
	assert_int_equal(offsetof(struct kvm_sev_snp_launch_start, flags), 24);
	assert_int_equal(offsetof(struct kvm_sev_snp_launch_start, pad0), 26);
	assert_int_equal(offsetof(struct kvm_sev_snp_launch_start, pad1), 32);
	assert_int_equal(sizeof(struct kvm_sev_snp_launch_update), 64);
	assert_int_equal(offsetof(struct kvm_sev_snp_launch_update, uaddr), 8);
	assert_int_equal(offsetof(struct kvm_sev_snp_launch_update, len), 16);
	assert_int_equal(offsetof(struct kvm_sev_snp_launch_update, type), 24);
	assert_int_equal(offsetof(struct kvm_sev_snp_launch_update, pad0), 25);
	assert_int_equal(offsetof(struct kvm_sev_snp_launch_update, flags), 26);
	assert_int_equal(offsetof(struct kvm_sev_snp_launch_update, pad1), 28);
	assert_int_equal(offsetof(struct kvm_sev_snp_launch_update, pad2), 32);
	assert_int_equal(sizeof(struct kvm_sev_snp_launch_finish), 88);
	assert_int_equal(offsetof(struct kvm_sev_snp_launch_finish, id_auth_uaddr), 8);
	assert_int_equal(offsetof(struct kvm_sev_snp_launch_finish, id_block_en), 16);
	assert_int_equal(offsetof(struct kvm_sev_snp_launch_finish, auth_key_en), 17);
	assert_int_equal(offsetof(struct kvm_sev_snp_launch_finish, vcek_disabled), 18);
	assert_int_equal(offsetof(struct kvm_sev_snp_launch_finish, host_data), 19);
	assert_int_equal(offsetof(struct kvm_sev_snp_launch_finish, pad0), 51);
	assert_int_equal(offsetof(struct kvm_sev_snp_launch_finish, flags), 54);
	assert_int_equal(offsetof(struct kvm_sev_snp_launch_finish, pad1), 56);
	assert_int_equal(sizeof(struct kvm_userspace_memory_region2), 160);
	assert_int_equal(offsetof(struct kvm_userspace_memory_region2, userspace_addr), 24);
	assert_int_equal(offsetof(struct kvm_userspace_memory_region2, guest_memfd_offset), 32);
	assert_int_equal(offsetof(struct kvm_userspace_memory_region2, guest_memfd), 40);
	assert_int_equal(offsetof(struct kvm_userspace_memory_region2, pad2), 48);
	assert_int_equal(sizeof(struct kvm_memory_attributes), 32);
	assert_int_equal(offsetof(struct kvm_memory_attributes, flags), 24);
	assert_int_equal(sizeof(struct kvm_create_guest_memfd), 64);
	assert_int_equal(offsetof(struct kvm_create_guest_memfd, reserved), 16);
}

static void ioctl_numbers(void **state)
{
	(void)state;
	assert_int_equal(KVM_SET_USER_MEMORY_REGION2, 0x40A0AE49u);
	assert_int_equal(KVM_SET_MEMORY_ATTRIBUTES, 0x4020AED2u);
	assert_int_equal(KVM_CREATE_GUEST_MEMFD, 0xC040AED4u);
	assert_int_equal(KVM_MEMORY_ENCRYPT_OP, 0xC008AEBAu);
	assert_int_equal(KVM_CREATE_VM, 0xAE01u);
	assert_int_equal(KVM_ENABLE_CAP, 0x4068AEA3u);
	assert_int_equal(KVM_GET_DEVICE_ATTR, 0x4018AEE2u);
}

static void constants(void **state)
{
	(void)state;
	assert_int_equal(KVM_X86_DEFAULT_VM, 0);
	assert_int_equal(KVM_X86_SNP_VM, 4);
	assert_int_equal(KVM_SEV_INIT2, 22);
	assert_int_equal(KVM_SEV_SNP_LAUNCH_START, 100);
	assert_int_equal(KVM_SEV_SNP_LAUNCH_UPDATE, 101);
	assert_int_equal(KVM_SEV_SNP_LAUNCH_FINISH, 102);
	assert_int_equal(KVM_SEV_SNP_PAGE_TYPE_NORMAL, 1);
	assert_int_equal(KVM_SEV_SNP_PAGE_TYPE_ZERO, 3);
	assert_int_equal(KVM_SEV_SNP_PAGE_TYPE_UNMEASURED, 4);
	assert_int_equal(KVM_SEV_SNP_PAGE_TYPE_SECRETS, 5);
	assert_int_equal(KVM_SEV_SNP_PAGE_TYPE_CPUID, 6);
	assert_int_equal(KVM_SEV_SNP_ID_BLOCK_SIZE, 96);
	assert_int_equal(KVM_SEV_SNP_ID_AUTH_SIZE, 4096);
	assert_int_equal(KVM_X86_GRP_SEV, 1);
	assert_int_equal(KVM_X86_SEV_VMSA_FEATURES, 0);
	assert_int_equal(KVM_CAP_EXIT_HYPERCALL, 201);
	assert_int_equal(KVM_CAP_USER_MEMORY2, 231);
	assert_int_equal(KVM_CAP_MEMORY_FAULT_INFO, 232);
	assert_int_equal(KVM_CAP_MEMORY_ATTRIBUTES, 233);
	assert_int_equal(KVM_CAP_GUEST_MEMFD, 234);
	assert_int_equal(KVM_CAP_VM_TYPES, 235);
	assert_int_equal(KVM_EXIT_MEMORY_FAULT, 39);
	assert_int_equal(KVM_MEMORY_EXIT_FLAG_PRIVATE, 8);
	assert_int_equal(KVM_MEM_GUEST_MEMFD, 4);
	assert_int_equal(KVM_MEMORY_ATTRIBUTE_PRIVATE, 8);
	assert_int_equal(KVM_SYSTEM_EVENT_SEV_TERM, 6);
	assert_int_equal(KVM_HC_MAP_GPA_RANGE, 12);
	assert_int_equal(KVM_MAP_GPA_RANGE_ENCRYPTED, 0x10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(struct_sizes_and_offsets),
		cmocka_unit_test(ioctl_numbers),
		cmocka_unit_test(constants),
	};

	return cmocka_run_group_tests_name("launcher/kvm-compat", tests, NULL, NULL);
}
