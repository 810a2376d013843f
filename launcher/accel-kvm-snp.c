/*
 * The `kvm` accelerator on an SNP guest: the VM and its vCPUs belong to the
 * snp security backend (launcher/backend-snp.c), which created them with
 * KVM_X86_SNP_VM and launched them; this file only runs them. After
 * KVM_SEV_SNP_LAUNCH_FINISH the register ioctls stop working (the state is
 * the measured VMSA: Documentation/virt/kvm/x86/amd-memory-encryption.rst),
 * so set_state checks nothing is asked of it and read_insn has nothing to
 * read (guest memory is encrypted).
 *
 * Each KVM_RUN result goes to the SNP exit handlers first
 * (launcher/snp-exits.h: page-state changes, implicit conversions,
 * certificate requests, the termination request); what they leave is decoded
 * as on plain kvm (accel_kvm_decode_exit: port I/O, MMIO, system events) and
 * handed to the run loop's one switch (launcher/vcpu.c).
 *
 * Every system call goes through the backend's KVM ops table, so the fake
 * KVM of the tests (tests/launcher/fake-kvm.h) can script the exits.
 */
#include "launcher/accel.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "launcher/accel-kvm.h"
#include "launcher/backend.h"
#include "launcher/kvm-compat.h"
#include "launcher/snp-exits.h"
#include "launcher/vcpu.h"
#include "launcher/vm-state.h"

struct snp_vcpu_state {
	int fd;                 /* the backend's */
	struct kvm_run *run;
	size_t run_size;
	struct snp_exit_state exits;
	pthread_t thread;
	atomic_bool has_thread;
};

static int snp_probe(struct snp_err *err)
{
	return snp_errf(err, SNP_E_INVALID, "kvm-snp: chosen through vm_config.snp only");
}

static int snp_vm_init(struct vm *vm, struct snp_err *err)
{
	if (!vm->cfg.snp)
		return snp_errf(err, SNP_E_INVALID, "kvm-snp: no snp backend");
	return accel_kvm_install_kick_handler(err);
}

static void snp_vm_exit(struct vm *vm)
{
	(void)vm; /* the backend owns the VM */
}

static void snp_vcpu_exit(struct vcpu *vcpu)
{
	struct snp_vcpu_state *c = vcpu->accel;

	if (!c)
		return;
	backend_snp_vcpu_unmap(vcpu->vm->cfg.snp, c->run, c->run_size);
	free(c);
	vcpu->accel = NULL;
}

static int snp_vcpu_init(struct vcpu *vcpu, struct snp_err *err)
{
	struct snp_vcpu_state *c = calloc(1, sizeof(*c));

	if (!c)
		return snp_errf(err, SNP_E_NOMEM, "kvm-snp: vCPU state");
	vcpu->accel = c;
	return backend_snp_vcpu_map(vcpu->vm->cfg.snp, vcpu->idx, &c->fd, &c->run, &c->run_size,
				    err);
}

static int snp_set_state(struct vcpu *vcpu, const struct snp_vmsa *st, struct snp_err *err)
{
	(void)vcpu, (void)st, (void)err;
	return 0; /* the backend set it before LAUNCH_FINISH, which measured it into the VMSA */
}

/* KVM_RUN failed with rc (-errno): named with its errno as the backend names its calls. */
static int run_failed(struct vcpu *vcpu, int rc, struct snp_err *err)
{
	backend_snp_fail(vcpu->vm->cfg.snp, rc, "KVM_RUN", err);
	return snp_err_prefix(err, "vCPU %u: ", vcpu->idx);
}

static int snp_run_vcpu(struct vcpu *vcpu, uint64_t slice_us, struct vcpu_exit *ex,
			struct snp_err *err)
{
	struct snp_vcpu_state *c = vcpu->accel;
	struct vm *vm = vcpu->vm;
	enum snp_exit_action act;
	int r, ret;

	(void)slice_us;
	if (!atomic_load(&c->has_thread)) {
		c->thread = pthread_self();
		atomic_store(&c->has_thread, true);
	}
	*ex = (struct vcpu_exit){ .kind = VCPU_EXIT_NONE };
	if (atomic_load(&vm->ended))
		return 0;
	r = backend_snp_run(vm->cfg.snp, c->fd);
	if (r == -EINTR || r == -EAGAIN) {
		c->run->immediate_exit = 0;
		return 0;
	}
	if (r < 0 && r != -EFAULT)
		return run_failed(vcpu, r, err);
	if ((ret = snp_exit_handle(vm->cfg.snp, vm->mem, &c->exits, c->run, c->run_size,
				   r < 0 ? -r : 0, &act, err)) != 0)
		return snp_err_prefix(err, "vCPU %u: ", vcpu->idx);
	switch (act) {
	case SNP_EXIT_HANDLED:
		return 0;
	case SNP_EXIT_TERMINATED:
		ex->kind = VCPU_EXIT_SEV_TERM;
		ex->u.sev_term.set = c->exits.term_set;
		ex->u.sev_term.code = c->exits.term_code;
		return 0;
	case SNP_EXIT_NOT_MINE:
		break;
	}
	if (r < 0)
		return run_failed(vcpu, r, err);
	accel_kvm_decode_exit(c->run, c->run_size, ex);
	return 0;
}

static void snp_read_insn(struct vcpu *vcpu, uint64_t *rip, uint8_t insn[16], size_t *len)
{
	(void)vcpu, (void)insn;
	*rip = 0; /* encrypted VMSA and memory: nothing to read */
	*len = 0;
}

static void snp_kick(struct vcpu *vcpu)
{
	struct snp_vcpu_state *c = vcpu->accel;

	if (c)
		accel_kvm_kick_thread(c->run, &c->has_thread, c->thread);
}

const struct accel_ops accel_kvm_snp_ops = {
	.name = "kvm",
	.threaded = true,
	.probe = snp_probe,
	.vm_init = snp_vm_init,
	.vm_exit = snp_vm_exit,
	.vcpu_init = snp_vcpu_init,
	.vcpu_exit = snp_vcpu_exit,
	.set_state = snp_set_state,
	.run = snp_run_vcpu,
	.read_insn = snp_read_insn,
	.kick = snp_kick,
};
