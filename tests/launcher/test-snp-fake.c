/*
 * The fake KVM's own checks (tests/launcher/fake-kvm.h), driven through its
 * ops table with hand-built structs: a struct of the wrong size (the ioctl
 * number encodes it) and a non-zero reserved field are refused with EINVAL,
 * and so is each broken precondition (LAUNCH_START before INIT2, an update
 * before LAUNCH_START, a shared page, a GFN updated twice, a memslot without
 * a guest_memfd, registers written after LAUNCH_FINISH). The snp backend on
 * a KVM without SNP VM types says so.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "launcher/backend.h"
#include "launcher/guest-mem.h"
#include "launcher/kvm-compat.h"
#include "tests/launcher/fake-kvm.h"
#include "tests/sim/simtest.h"

#define NPAGES 16

struct env {
	char *dir;
	struct sim_sp *sp;
	struct fake_kvm fk;
	int kvm, sev, vm, gmem;
	uint8_t *mem;
};

static int io(struct env *e, int fd, unsigned long req, const void *arg)
{
	return e->fk.ops.ioctl(e->fk.ops.ctx, fd, req, (unsigned long)(uintptr_t)arg);
}

static int sev(struct env *e, uint32_t id, void *data, uint32_t *fw)
{
	struct kvm_sev_cmd c = { .id = id, .data = (uint64_t)(uintptr_t)data,
				 .sev_fd = (uint32_t)e->sev };
	int r = io(e, e->vm, KVM_MEMORY_ENCRYPT_OP, &c);

	if (fw)
		*fw = c.error;
	return r;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	e->sp = fake_kvm_sim_open(&e->dir);
	fake_kvm_init(&e->fk, e->sp);
	e->mem = mmap(NULL, NPAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		      0);
	assert_true(e->mem != MAP_FAILED);
	e->kvm = e->fk.ops.open(e->fk.ops.ctx, "/dev/kvm", 0);
	e->sev = e->fk.ops.open(e->fk.ops.ctx, "/dev/sev", 0);
	assert_true(e->kvm >= 0 && e->sev >= 0);
	e->vm = io(e, e->kvm, KVM_CREATE_VM, (void *)(uintptr_t)KVM_X86_SNP_VM);
	assert_true(e->vm >= 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	fake_kvm_fini(&e->fk);
	munmap(e->mem, NPAGES * 4096);
	fake_kvm_sim_close(e->sp, e->dir);
	free(e);
	return 0;
}

static void init2(struct env *e)
{
	struct kvm_sev_init in = { .ghcb_version = 2 };

	assert_int_equal(sev(e, KVM_SEV_INIT2, &in, NULL), 0);
}

/* NPAGES of guest_memfd at GPA 0, the first half private. */
static void memslot(struct env *e)
{
	struct kvm_create_guest_memfd g = { .size = NPAGES * 4096 };
	struct kvm_userspace_memory_region2 m = {
		.flags = KVM_MEM_GUEST_MEMFD, .memory_size = NPAGES * 4096,
		.userspace_addr = (uint64_t)(uintptr_t)e->mem,
	};
	struct kvm_memory_attributes a = { .size = NPAGES / 2 * 4096,
					   .attributes = KVM_MEMORY_ATTRIBUTE_PRIVATE };

	e->gmem = io(e, e->vm, KVM_CREATE_GUEST_MEMFD, &g);
	assert_true(e->gmem >= 0);
	m.guest_memfd = (uint32_t)e->gmem;
	assert_int_equal(io(e, e->vm, KVM_SET_USER_MEMORY_REGION2, &m), 0);
	assert_int_equal(io(e, e->vm, KVM_SET_MEMORY_ATTRIBUTES, &a), 0);
}

static void start(struct env *e)
{
	struct kvm_sev_snp_launch_start st = { .policy = 0x30000 };
	uint32_t fw = 0xff;

	assert_int_equal(sev(e, KVM_SEV_SNP_LAUNCH_START, &st, &fw), 0);
	assert_int_equal(fw, 0);
}

static int update(struct env *e, uint64_t gfn, uint64_t npages)
{
	struct kvm_sev_snp_launch_update u = { .gfn_start = gfn,
					       .uaddr = (uint64_t)(uintptr_t)(e->mem + gfn * 4096),
					       .len = npages * 4096,
					       .type = KVM_SEV_SNP_PAGE_TYPE_NORMAL };
	int r;

	do
		r = sev(e, KVM_SEV_SNP_LAUNCH_UPDATE, &u, NULL);
	while (r == 0 && u.len);
	return r;
}

#define REFUSED(call, what)                                         \
	do {                                                        \
		assert_int_equal((call), -EINVAL);                  \
		assert_non_null(strstr(e->fk.why, (what)));         \
	} while (0)

static void wrong_struct_size_refused(void **state)
{
	struct env *e = *state;
	struct { struct kvm_userspace_memory_region2 m; uint8_t extra[8]; } big = { 0 };
	struct kvm_create_guest_memfd g = { .size = 4096 };

	init2(e);
	/* an older 152-byte idea of the struct: the number differs, KVM would not know it */
	REFUSED(io(e, e->vm, _IOW(KVMIO, 0x49, uint8_t[152]), &big), "152 bytes");
	REFUSED(io(e, e->vm, _IOW(KVMIO, 0x49, uint8_t[168]), &big), "KVM takes 160");
	REFUSED(io(e, e->vm, _IOWR(KVMIO, 0xd4, uint8_t[56]), &g), "56 bytes");
	REFUSED(io(e, e->vm, _IOW(KVMIO, 0xd2, uint8_t[24]), &g), "24 bytes");
}

static void reserved_fields_refused(void **state)
{
	struct env *e = *state;
	struct kvm_sev_init in = { .ghcb_version = 2 };
	struct kvm_create_guest_memfd g = { .size = 4096 };
	struct kvm_userspace_memory_region2 m = { .flags = KVM_MEM_GUEST_MEMFD,
						  .memory_size = 4096 };
	struct kvm_sev_snp_launch_start st = { .policy = 0x30000 };
	struct kvm_sev_snp_launch_update u = { .len = 4096, .type = 1,
					       .uaddr = (uint64_t)(uintptr_t)e->mem };
	struct kvm_sev_snp_launch_finish f = { 0 };

	in.pad2[7] = 1;
	REFUSED(sev(e, KVM_SEV_INIT2, &in, NULL), "padding");
	in.pad2[7] = 0;
	in.flags = 1;
	REFUSED(sev(e, KVM_SEV_INIT2, &in, NULL), "flags");
	init2(e);
	g.reserved[5] = 1;
	REFUSED(io(e, e->vm, KVM_CREATE_GUEST_MEMFD, &g), "reserved");
	memslot(e);
	m.pad2[13] = 1;
	m.slot = 1;
	m.guest_phys_addr = NPAGES * 4096;
	m.guest_memfd = (uint32_t)e->gmem;
	REFUSED(io(e, e->vm, KVM_SET_USER_MEMORY_REGION2, &m), "padding");
	st.pad1[3] = 1;
	REFUSED(sev(e, KVM_SEV_SNP_LAUNCH_START, &st, NULL), "padding");
	st.pad1[3] = 0;
	st.flags = 1;
	REFUSED(sev(e, KVM_SEV_SNP_LAUNCH_START, &st, NULL), "flags");
	start(e);
	u.pad1 = 1;
	REFUSED(sev(e, KVM_SEV_SNP_LAUNCH_UPDATE, &u, NULL), "padding");
	u.pad1 = 0;
	u.flags = 2;
	REFUSED(sev(e, KVM_SEV_SNP_LAUNCH_UPDATE, &u, NULL), "padding");
	u.flags = 0;
	u.type = 2; /* VMSA: firmware-internal, never from userspace */
	REFUSED(sev(e, KVM_SEV_SNP_LAUNCH_UPDATE, &u, NULL), "type 2");
	f.pad0[2] = 1;
	REFUSED(sev(e, KVM_SEV_SNP_LAUNCH_FINISH, &f, NULL), "padding");
	f.pad0[2] = 0;
	f.vcek_disabled = 1;
	REFUSED(sev(e, KVM_SEV_SNP_LAUNCH_FINISH, &f, NULL), "padding");
}

static void preconditions_refused(void **state)
{
	struct env *e = *state;
	struct kvm_sev_snp_launch_start st = { .policy = 0x30000 };
	struct kvm_userspace_memory_region2 m = {
		.slot = 2, .flags = KVM_MEM_GUEST_MEMFD, .guest_phys_addr = 1ull << 30,
		.memory_size = 4096, .userspace_addr = (uint64_t)(uintptr_t)e->mem,
		.guest_memfd = (uint32_t)e->sev,
	};
	struct kvm_sev_snp_launch_finish f = { 0 };
	struct kvm_regs regs = { .rflags = 2 };
	struct kvm_sregs sregs = { 0 };
	int vcpu;

	REFUSED(sev(e, KVM_SEV_SNP_LAUNCH_START, &st, NULL), "before INIT2");
	init2(e);
	memslot(e);
	REFUSED(update(e, 0, 1), "outside the launch");
	/* a memslot whose guest_memfd is another kind of fd */
	REFUSED(io(e, e->vm, KVM_SET_USER_MEMORY_REGION2, &m), "is not a guest_memfd");
	/* a policy without SMT (bit 16) or with SINGLE_SOCKET (bit 20): KVM refuses */
	st.policy = 0x20000;
	REFUSED(sev(e, KVM_SEV_SNP_LAUNCH_START, &st, NULL), "policy");
	st.policy = 0x130000;
	REFUSED(sev(e, KVM_SEV_SNP_LAUNCH_START, &st, NULL), "policy");
	start(e);
	REFUSED(update(e, NPAGES / 2, 1), "not private");
	REFUSED(update(e, NPAGES / 2 - 1, 2), "not private");
	assert_int_equal(update(e, 0, 4), 0);
	REFUSED(update(e, 3, 1), "updated twice");
	REFUSED(update(e, NPAGES, 1), "not in one guest_memfd slot");
	vcpu = io(e, e->vm, KVM_CREATE_VCPU, (void *)0);
	assert_true(vcpu >= 0);
	/* FINISH needs every vCPU's registers (the VMSA is built from them) */
	REFUSED(sev(e, KVM_SEV_SNP_LAUNCH_FINISH, &f, NULL), "registers never set");
	sregs.efer = 0x1000;
	REFUSED(io(e, vcpu, KVM_SET_SREGS, &sregs), "SVME");
	sregs.efer = 0;
	assert_int_equal(io(e, vcpu, KVM_SET_SREGS, &sregs), 0);
	assert_int_equal(io(e, vcpu, KVM_SET_REGS, &regs), 0);
	assert_int_equal(sev(e, KVM_SEV_SNP_LAUNCH_FINISH, &f, NULL), 0);
	assert_non_null(fake_kvm_measurement(&e->fk));
	REFUSED(io(e, vcpu, KVM_SET_REGS, &regs), "after LAUNCH_FINISH");
	REFUSED(update(e, 5, 1), "outside the launch");
	e->fk.ops.close(e->fk.ops.ctx, vcpu);
}

/* The snp backend on a KVM without the SNP VM type (as a host without SNP): said so. */
static void no_snp_vm_type(void **state)
{
	struct env *e = *state;
	struct fake_kvm fk;
	struct guest_mem mem = { 0 };
	struct sev_backend be;
	struct snp_err err = { 0 };
	struct snp_backend_opts o = { .kvm = &fk.ops, .mem = &mem, .vcpus = 1,
				      .guest_features = 1 };

	fake_kvm_init(&fk, e->sp);
	fk.vm_types = 1; /* KVM_X86_DEFAULT_VM only */
	assert_int_equal(guest_mem_alloc(&mem, 2ull << 20, &err), 0);
	assert_int_equal(backend_snp_open(&o, &be, &err), SNP_E_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "KVM_CAP_VM_TYPES 0x1 lacks KVM_X86_SNP_VM"));
	assert_null(be.ops);
	assert_int_equal(fk.nopen, 0);
	/* a VMSA feature KVM does not offer */
	fake_kvm_init(&fk, e->sp);
	fk.vmsa_features = 0;
	o.guest_features = 0x5;
	assert_int_equal(backend_snp_open(&o, &be, &err), SNP_E_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "SEV_FEATURES 0x5"));
	assert_int_equal(fk.nopen, 0);
	fake_kvm_fini(&fk);
	guest_mem_free(&mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(wrong_struct_size_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(reserved_fields_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(preconditions_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(no_snp_vm_type, setup, teardown),
	};

	return cmocka_run_group_tests_name("launcher/snp-fake", tests, NULL, NULL);
}
