/*
 * The `kvm` accelerator on /dev/kvm (Linux Documentation/virt/kvm/api.rst).
 * One VM fd, one memslot (slot 0: guest RAM at GPA 0), one vCPU fd and one
 * mmap'ed struct kvm_run per vCPU, each vCPU in KVM_RUN on its own thread.
 *
 * No in-kernel irqchip is created: with one, HLT is handled in the kernel and
 * never reaches the VMM (guests end through the debug-exit port instead), and
 * on nested setups it can hang. Without it KVM_EXIT_HLT reaches userspace.
 *
 * Stopping a vCPU that is in the guest: set kvm_run.immediate_exit and send
 * the thread VM_KICK_SIGNAL (a no-op handler installed here, without
 * SA_RESTART), so KVM_RUN returns -EINTR (api.rst, "immediate_exit").
 */
#include "launcher/accel-kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "launcher/accel.h"
#include "launcher/guest-mem.h"
#include "launcher/kvm-regs.h"
#include "launcher/vcpu.h"
#include "launcher/vm-state.h"

#define KVM_DEV "/dev/kvm"
/* three pages the VMX real-mode TSS needs, far from RAM and the mailbox (QEMU uses the same) */
#define KVM_TSS_GPA 0xfffbd000ul
#define MAX_CPUID_ENTRIES 1024

struct kvm_vm_state {
	int kvm_fd;
	int vm_fd;
	size_t run_size;
	struct kvm_cpuid2 *cpuid;
};

struct kvm_vcpu_state {
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	atomic_bool has_thread;
};

static int open_kvm(int *fd_out, struct snp_err *err)
{
	static const struct {
		long cap;
		const char *name;
	} caps[] = {
		{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
		{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
		{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	};
	int fd, v;

	fd = open(KVM_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return snp_err_sys(err, "kvm: %s", KVM_DEV);
	v = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION) {
		close(fd);
		return snp_errf(err, SNP_E_UNSUPPORTED, "kvm: KVM_GET_API_VERSION is %d, want %d", v,
				KVM_API_VERSION);
	}
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if (ioctl(fd, KVM_CHECK_EXTENSION, caps[i].cap) <= 0) {
			close(fd);
			return snp_errf(err, SNP_E_UNSUPPORTED, "kvm: %s is missing", caps[i].name);
		}
	}
	*fd_out = fd;
	return 0;
}

static int kvm_probe(struct snp_err *err)
{
	int fd, vm_fd, ret;

	if ((ret = open_kvm(&fd, err)) != 0)
		return ret;
	/* a VM that can be created can be used: nested setups sometimes expose a dead /dev/kvm */
	vm_fd = ioctl(fd, KVM_CREATE_VM, 0);
	if (vm_fd < 0) {
		ret = snp_err_sys(err, "kvm: KVM_CREATE_VM");
		close(fd);
		return ret;
	}
	close(vm_fd);
	close(fd);
	return 0;
}

static void kick_handler(int sig)
{
	(void)sig; /* only interrupts KVM_RUN */
}

int accel_kvm_install_kick_handler(struct snp_err *err)
{
	struct sigaction old, sa;

	if (sigaction(VM_KICK_SIGNAL, NULL, &old) != 0)
		return snp_err_sys(err, "kvm: sigaction");
	if (old.sa_handler == kick_handler)
		return 0;
	if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN)
		return snp_errf(err, SNP_E_STATE,
				"kvm: signal %d (used to stop vCPUs) already has a handler",
				VM_KICK_SIGNAL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler; /* no SA_RESTART: KVM_RUN must return EINTR */
	sigemptyset(&sa.sa_mask);
	if (sigaction(VM_KICK_SIGNAL, &sa, NULL) != 0)
		return snp_err_sys(err, "kvm: sigaction");
	return 0;
}

static int get_supported_cpuid(struct kvm_vm_state *k, struct snp_err *err)
{
	/* E2BIG means the table is too small: grow it (api.rst, KVM_GET_SUPPORTED_CPUID) */
	for (uint32_t nent = 128; nent <= MAX_CPUID_ENTRIES; nent *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));

		if (!c)
			return snp_errf(err, SNP_E_NOMEM, "kvm: CPUID table");
		c->nent = nent;
		if (ioctl(k->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			k->cpuid = c;
			return 0;
		}
		free(c);
		if (errno != E2BIG)
			return snp_err_sys(err, "kvm: KVM_GET_SUPPORTED_CPUID");
	}
	return snp_errf(err, SNP_E_UNSUPPORTED, "kvm: KVM_GET_SUPPORTED_CPUID: more than %d entries",
			MAX_CPUID_ENTRIES);
}

static void kvm_vm_exit(struct vm *vm)
{
	struct kvm_vm_state *k = vm->accel_vm;

	if (!k)
		return;
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	if (k->kvm_fd >= 0)
		close(k->kvm_fd);
	free(k->cpuid);
	free(k);
	vm->accel_vm = NULL;
}

static int kvm_vm_init(struct vm *vm, struct snp_err *err)
{
	struct kvm_userspace_memory_region slot = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = vm->mem->size,
		.userspace_addr = (uint64_t)(uintptr_t)vm->mem->hva,
	};
	struct kvm_vm_state *k;
	int n, ret;

	k = calloc(1, sizeof(*k));
	if (!k)
		return snp_errf(err, SNP_E_NOMEM, "kvm: VM state");
	k->kvm_fd = k->vm_fd = -1;
	vm->accel_vm = k;
	if ((ret = open_kvm(&k->kvm_fd, err)) != 0)
		goto out_fail;
	k->vm_fd = ioctl(k->kvm_fd, KVM_CREATE_VM, 0);
	if (k->vm_fd < 0) {
		ret = snp_err_sys(err, "kvm: KVM_CREATE_VM");
		goto out_fail;
	}
	if (ioctl(k->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0 &&
	    ioctl(k->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_GPA) < 0) {
		ret = snp_err_sys(err, "kvm: KVM_SET_TSS_ADDR");
		goto out_fail;
	}
	if (ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
		ret = snp_err_sys(err, "kvm: KVM_SET_USER_MEMORY_REGION (%llu MiB)",
				  (unsigned long long)(vm->mem->size >> 20));
		goto out_fail;
	}
	n = ioctl(k->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (n < (int)sizeof(struct kvm_run)) {
		ret = n < 0 ? snp_err_sys(err, "kvm: KVM_GET_VCPU_MMAP_SIZE")
			    : snp_errf(err, SNP_E_UNSUPPORTED, "kvm: vCPU mmap size %d too small", n);
		goto out_fail;
	}
	k->run_size = (size_t)n;
	if ((ret = get_supported_cpuid(k, err)) != 0 || (ret = accel_kvm_install_kick_handler(err)) != 0)
		goto out_fail;
	return 0;

out_fail:
	kvm_vm_exit(vm);
	return ret;
}

/* The host's supported CPUID with this vCPU's APIC ID (leaf 1 EBX[31:24], leaf 0xB EDX). */
static int set_cpuid(struct kvm_vcpu_state *c, const struct kvm_cpuid2 *supported, unsigned idx,
		     struct snp_err *err)
{
	size_t sz = sizeof(*supported) + supported->nent * sizeof(supported->entries[0]);
	struct kvm_cpuid2 *mine = malloc(sz);
	int ret = 0;

	if (!mine)
		return snp_errf(err, SNP_E_NOMEM, "kvm: CPUID table");
	memcpy(mine, supported, sz);
	for (uint32_t i = 0; i < mine->nent; i++) {
		struct kvm_cpuid_entry2 *e = &mine->entries[i];

		if (e->function == 1)
			e->ebx = (e->ebx & 0x00ffffffu) | (idx << 24);
		else if (e->function == 0xb)
			e->edx = idx;
	}
	if (ioctl(c->fd, KVM_SET_CPUID2, mine) < 0)
		ret = snp_err_sys(err, "kvm: vCPU %u: KVM_SET_CPUID2", idx);
	free(mine);
	return ret;
}

static void kvm_vcpu_exit(struct vcpu *vcpu)
{
	struct kvm_vcpu_state *c = vcpu->accel;

	if (!c)
		return;
	if (c->run)
		munmap(c->run, c->run_size);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	vcpu->accel = NULL;
}

static int kvm_vcpu_init(struct vcpu *vcpu, struct snp_err *err)
{
	struct kvm_vm_state *k = vcpu->vm->accel_vm;
	struct kvm_vcpu_state *c;
	void *p;

	c = calloc(1, sizeof(*c));
	if (!c)
		return snp_errf(err, SNP_E_NOMEM, "kvm: vCPU state");
	vcpu->accel = c;
	c->run_size = k->run_size;
	c->fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, (unsigned long)vcpu->idx);
	if (c->fd < 0)
		return snp_err_sys(err, "kvm: KVM_CREATE_VCPU %u", vcpu->idx);
	p = mmap(NULL, c->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	if (p == MAP_FAILED)
		return snp_err_sys(err, "kvm: vCPU %u: mmap kvm_run", vcpu->idx);
	c->run = p;
	return set_cpuid(c, k->cpuid, vcpu->idx, err);
}

static int kvm_set_state(struct vcpu *vcpu, const struct snp_vmsa *st, struct snp_err *err)
{
	struct kvm_vcpu_state *c = vcpu->accel;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_fpu fpu;

	if (ioctl(c->fd, KVM_GET_SREGS, &sregs) < 0)
		return snp_err_sys(err, "kvm: vCPU %u: KVM_GET_SREGS", vcpu->idx);
	kvm_regs_from_vmsa(st, &sregs, &regs);
	if (ioctl(c->fd, KVM_SET_SREGS, &sregs) < 0)
		return snp_err_sys(err, "kvm: vCPU %u: KVM_SET_SREGS", vcpu->idx);
	if (ioctl(c->fd, KVM_SET_REGS, &regs) < 0)
		return snp_err_sys(err, "kvm: vCPU %u: KVM_SET_REGS", vcpu->idx);
	if (st->x87_fcw || st->mxcsr) {
		kvm_fpu_from_vmsa(st, &fpu);
		if (ioctl(c->fd, KVM_SET_FPU, &fpu) < 0)
			return snp_err_sys(err, "kvm: vCPU %u: KVM_SET_FPU", vcpu->idx);
	}
	return 0;
}

static const char *exit_reason_name(uint32_t reason)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "KVM_EXIT_UNKNOWN",
		[KVM_EXIT_EXCEPTION] = "KVM_EXIT_EXCEPTION",
		[KVM_EXIT_IO] = "KVM_EXIT_IO",
		[KVM_EXIT_HYPERCALL] = "KVM_EXIT_HYPERCALL",
		[KVM_EXIT_DEBUG] = "KVM_EXIT_DEBUG",
		[KVM_EXIT_HLT] = "KVM_EXIT_HLT",
		[KVM_EXIT_MMIO] = "KVM_EXIT_MMIO",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "KVM_EXIT_IRQ_WINDOW_OPEN",
		[KVM_EXIT_SHUTDOWN] = "KVM_EXIT_SHUTDOWN",
		[KVM_EXIT_FAIL_ENTRY] = "KVM_EXIT_FAIL_ENTRY",
		[KVM_EXIT_INTR] = "KVM_EXIT_INTR",
		[KVM_EXIT_SET_TPR] = "KVM_EXIT_SET_TPR",
		[KVM_EXIT_TPR_ACCESS] = "KVM_EXIT_TPR_ACCESS",
		[KVM_EXIT_NMI] = "KVM_EXIT_NMI",
		[KVM_EXIT_INTERNAL_ERROR] = "KVM_EXIT_INTERNAL_ERROR",
		[KVM_EXIT_SYSTEM_EVENT] = "KVM_EXIT_SYSTEM_EVENT",
		[KVM_EXIT_IOAPIC_EOI] = "KVM_EXIT_IOAPIC_EOI",
		[KVM_EXIT_HYPERV] = "KVM_EXIT_HYPERV",
		[KVM_EXIT_X86_RDMSR] = "KVM_EXIT_X86_RDMSR",
		[KVM_EXIT_X86_WRMSR] = "KVM_EXIT_X86_WRMSR",
		[KVM_EXIT_DIRTY_RING_FULL] = "KVM_EXIT_DIRTY_RING_FULL",
		[KVM_EXIT_AP_RESET_HOLD] = "KVM_EXIT_AP_RESET_HOLD",
		[KVM_EXIT_X86_BUS_LOCK] = "KVM_EXIT_X86_BUS_LOCK",
		[KVM_EXIT_XEN] = "KVM_EXIT_XEN",
		[KVM_EXIT_NOTIFY] = "KVM_EXIT_NOTIFY",
	};

	if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
		return names[reason];
	return "an exit this VMM does not know";
}

static const char *system_event_name(uint32_t type)
{
	switch (type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN: return "power off (KVM_SYSTEM_EVENT_SHUTDOWN)";
	case KVM_SYSTEM_EVENT_RESET: return "reset (KVM_SYSTEM_EVENT_RESET)";
	case KVM_SYSTEM_EVENT_CRASH: return "crash (KVM_SYSTEM_EVENT_CRASH)";
	case KVM_SYSTEM_EVENT_SEV_TERM: return "termination (KVM_SYSTEM_EVENT_SEV_TERM)";
	}
	return "a system event";
}

void accel_kvm_decode_exit(struct kvm_run *run, size_t run_size, struct vcpu_exit *ex)
{
	uint32_t reason = run->exit_reason;

	*ex = (struct vcpu_exit){ .kind = VCPU_EXIT_UNKNOWN,
				  .u.other = { .code = reason, .what = exit_reason_name(reason) } };
	switch (reason) {
	case KVM_EXIT_IO: {
		uint64_t size = run->io.size, count = run->io.count, off = run->io.data_offset;

		/* data_offset + size * count must stay inside the mapped run area */
		if ((size != 1 && size != 2 && size != 4) || count == 0 || off > run_size ||
		    count > (run_size - off) / size) {
			*ex = (struct vcpu_exit){ .kind = VCPU_EXIT_INTERNAL,
						  .u.other = { .code = reason,
							       .what = "KVM_EXIT_IO outside kvm_run" } };
			return;
		}
		ex->kind = VCPU_EXIT_PIO;
		ex->u.pio.port = run->io.port;
		ex->u.pio.size = (uint8_t)size;
		ex->u.pio.count = (uint32_t)count;
		ex->u.pio.is_write = run->io.direction == KVM_EXIT_IO_OUT;
		ex->u.pio.data = (uint8_t *)run + off;
		return;
	}
	case KVM_EXIT_MMIO:
		ex->kind = VCPU_EXIT_MMIO;
		ex->u.mmio.gpa = run->mmio.phys_addr;
		ex->u.mmio.len = run->mmio.len; /* checked 1..8 by handle_mmio */
		ex->u.mmio.is_write = run->mmio.is_write;
		ex->u.mmio.data = run->mmio.data;
		return;
	case KVM_EXIT_HLT:
		ex->kind = VCPU_EXIT_HLT;
		return;
	case KVM_EXIT_SHUTDOWN:
		ex->kind = VCPU_EXIT_SHUTDOWN;
		return;
	case KVM_EXIT_SYSTEM_EVENT:
		ex->kind = VCPU_EXIT_SYSTEM_EVENT;
		ex->u.other.code = run->system_event.type;
		ex->u.other.what = system_event_name(run->system_event.type);
		return;
	case KVM_EXIT_INTR:
		ex->kind = VCPU_EXIT_NONE;
		return;
	case KVM_EXIT_FAIL_ENTRY:
		ex->kind = VCPU_EXIT_INTERNAL;
		ex->u.other.code = (uint32_t)run->fail_entry.hardware_entry_failure_reason;
		ex->u.other.what = "KVM_EXIT_FAIL_ENTRY (hardware entry failure reason)";
		return;
	case KVM_EXIT_INTERNAL_ERROR:
		ex->kind = VCPU_EXIT_INTERNAL;
		ex->u.other.code = run->internal.suberror;
		ex->u.other.what = "KVM_EXIT_INTERNAL_ERROR (suberror)";
		return;
	}
}

static int kvm_run_vcpu(struct vcpu *vcpu, uint64_t slice_us, struct vcpu_exit *ex,
			struct snp_err *err)
{
	struct kvm_vcpu_state *c = vcpu->accel;

	(void)slice_us; /* KVM_RUN returns on the guest's exits; vm.c's thread kicks it */
	if (!atomic_load(&c->has_thread)) {
		c->thread = pthread_self();
		atomic_store(&c->has_thread, true);
	}
	*ex = (struct vcpu_exit){ .kind = VCPU_EXIT_NONE };
	if (atomic_load(&vcpu->vm->ended))
		return 0;
	if (ioctl(c->fd, KVM_RUN, 0) < 0) {
		if (errno == EINTR || errno == EAGAIN) {
			c->run->immediate_exit = 0;
			return 0;
		}
		return snp_err_sys(err, "kvm: vCPU %u: KVM_RUN", vcpu->idx);
	}
	accel_kvm_decode_exit(c->run, c->run_size, ex);
	return 0;
}

static void kvm_read_insn(struct vcpu *vcpu, uint64_t *rip, uint8_t insn[16], size_t *len)
{
	struct kvm_vcpu_state *c = vcpu->accel;
	struct kvm_regs regs;
	size_t n = 0;

	*rip = 0;
	*len = 0;
	if (!c || ioctl(c->fd, KVM_GET_REGS, &regs) < 0)
		return;
	*rip = regs.rip;
	/* through the guest's page tables, one page at a time */
	while (n < 16) {
		struct kvm_translation t = { .linear_address = regs.rip + n };
		uint64_t chunk;
		const uint8_t *p;

		if (ioctl(c->fd, KVM_TRANSLATE, &t) < 0 || !t.valid)
			break;
		chunk = 0x1000 - (t.physical_address & 0xfff);
		if (chunk > 16 - n)
			chunk = 16 - n;
		p = guest_mem_hva(vcpu->vm->mem, t.physical_address, chunk);
		if (!p)
			break;
		memcpy(insn + n, p, chunk);
		n += chunk;
	}
	*len = n;
}

static void kvm_kick(struct vcpu *vcpu)
{
	struct kvm_vcpu_state *c = vcpu->accel;

	if (c)
		accel_kvm_kick_thread(c->run, &c->has_thread, c->thread);
}

void accel_kvm_kick_thread(struct kvm_run *run, atomic_bool *has_thread, pthread_t thread)
{
	if (!run)
		return;
	run->immediate_exit = 1;
	if (atomic_load(has_thread) && !pthread_equal(thread, pthread_self()))
		pthread_kill(thread, VM_KICK_SIGNAL);
}

const struct accel_ops accel_kvm_ops = {
	.name = "kvm",
	.threaded = true,
	.probe = kvm_probe,
	.vm_init = kvm_vm_init,
	.vm_exit = kvm_vm_exit,
	.vcpu_init = kvm_vcpu_init,
	.vcpu_exit = kvm_vcpu_exit,
	.set_state = kvm_set_state,
	.run = kvm_run_vcpu,
	.read_insn = kvm_read_insn,
	.kick = kvm_kick,
};
