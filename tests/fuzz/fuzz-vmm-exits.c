/*
 * libFuzzer target for the VMM's exit handlers: a VM with the real device set
 * (machine_init, launcher/machine.c: whatever devices it lists) on a fake
 * accelerator that runs no guest code, fed a sequence of exits decoded from
 * the input:
 *
 *   port and MMIO reads/writes of 1/2/4/8 bytes (and invalid sizes), biased
 *   toward the ranges the devices claimed in the I/O registry, string port I/O,
 *   guest-memory writes (mailbox pages, DMA descriptors), the other exit kinds
 *   of launcher/vcpu.h, device polls, and the SNP exits of
 *   launcher/snp-exits.h (KVM_HC_MAP_GPA_RANGE, KVM_EXIT_MEMORY_FAULT,
 *   KVM_SYSTEM_EVENT_SEV_TERM, KVM_EXIT_SNP_REQ_CERTS) on the fake KVM's snp
 *   backend, and a switch that makes device DMA (fw_cfg) check pages as under
 *   SNP (vm->cfg.snp set to that backend: shared pages only),
 *
 * until a handler ends the VM. After every step: the VM has ended exactly when
 * the handler said stop, with a known outcome and a terminated message. Guest
 * RAM sits between PROT_NONE guard pages, so a device writing outside it
 * faults. The snp backend is opened once per process (its page attributes
 * carry over from one input to the next).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "launcher/accel.h"
#include "launcher/backend.h"
#include "launcher/guest-mem.h"
#include "launcher/host-certs.h"
#include "launcher/kvm-compat.h"
#include "launcher/machine.h"
#include "launcher/snp-exits.h"
#include "launcher/vcpu.h"
#include "launcher/vm-state.h"
#include "tests/launcher/fake-kvm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char fuzz_target_name[] = "vmm-exits";

#define MEM_SIZE GUEST_MEM_MIN_SIZE
#define GUARD 4096u
#define NVCPUS 2u
#define MAX_STEPS 256u

/* The input, read front to back; past its end every byte is zero. */
struct in {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct in *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++) {
		uint8_t b = 0;

		if (in->n) {
			b = *in->p++;
			in->n--;
		}
		v |= (uint64_t)b << (8 * i);
	}
	return v;
}

/* The fake accelerator: nothing runs; only what vcpu_end needs. */
static void fake_read_insn(struct vcpu *vcpu, uint64_t *rip, uint8_t insn[16], size_t *len)
{
	(void)vcpu;
	(void)insn;
	*rip = 0;
	*len = 0;
}

static void fake_kick(struct vcpu *vcpu)
{
	(void)vcpu;
}

static const struct accel_ops fake_accel = {
	.name = "fuzz",
	.read_insn = fake_read_insn,
	.kick = fake_kick,
};

static int fake_report(void *ctx, const uint8_t report_data[64], uint32_t vmpl,
		       uint8_t report[SNP_REPORT_SIZE], struct snp_err *err)
{
	(void)ctx;
	if (vmpl == 3)
		return snp_errf(err, SNP_E_STATE, "fuzz: backend failure");
	memset(report, (int)vmpl, SNP_REPORT_SIZE);
	memcpy(report + 0x50, report_data, 64);
	return 0;
}

/* Process-wide: guest RAM between guard pages, and the fake KVM's snp backend on it. */
static struct {
	bool ready;
	uint8_t *map;
	struct guest_mem mem;
	char *dir;
	struct sim_sp *sp;
	struct fake_kvm fk;
	struct sev_backend be;
	uint8_t *certs;
	bool have_be;
} env;

static void env_init(void)
{
	struct snp_err err = { 0 };
	struct snp_backend_opts o = { .kvm = &env.fk.ops, .mem = &env.mem, .vcpus = 1,
				      .guest_features = 1 };
	char certs_dir[1200];

	env.map = mmap(NULL, MEM_SIZE + 2 * GUARD, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (env.map == MAP_FAILED ||
	    mprotect(env.map + GUARD, MEM_SIZE, PROT_READ | PROT_WRITE) != 0)
		abort();
	env.mem = (struct guest_mem){ .hva = env.map + GUARD, .size = MEM_SIZE };
	env.sp = fake_kvm_sim_open(&env.dir);
	fake_kvm_init(&env.fk, env.sp);
	env.fk.req_certs_attr = true;
	/* the sim's VCEK/ASK/ARK as the host's certificate table: REQ_CERTS can answer ENOSPC */
	snprintf(certs_dir, sizeof(certs_dir), "%s/certs", env.dir);
	if (host_certs_table(certs_dir, &env.certs, &o.certs_len, &err) != 0)
		abort();
	o.certs = env.certs;
	env.have_be = backend_snp_open(&o, &env.be, &err) == 0;
	env.ready = true;
}

/* A claimed range of space, or a raw address, chosen by the input. */
static uint64_t pick_addr(const struct vm *vm, struct in *in, enum io_space space)
{
	uint8_t sel = (uint8_t)take(in, 1);
	const struct io_range *match[IO_MAX_RANGES];
	size_t n = 0;

	for (size_t i = 0; i < vm->io.nranges; i++)
		if (vm->io.ranges[i].space == space)
			match[n++] = &vm->io.ranges[i];
	if (sel < 0xe0 && n > 0) {
		const struct io_range *r = match[sel % n];
		uint64_t off = take(in, 2);

		return r->base + (r->len > 0xffff ? off : off % r->len);
	}
	return space == IO_PIO ? take(in, 2) : take(in, 8);
}

static uint32_t pick_len(struct in *in)
{
	static const uint32_t lens[] = { 1, 2, 4, 8, 1, 2, 4, 0, 3, 9 };
	uint8_t b = (uint8_t)take(in, 1);

	return lens[b % (sizeof(lens) / sizeof(lens[0]))];
}

/* The invariant after each exit: stopped exactly when ended, with a known outcome. */
static void check_vm(const struct vm *vm, bool stopped)
{
	if (stopped != atomic_load(&vm->ended))
		abort();
	if (stopped) {
		if (vm->result.end < VM_END_EXIT || vm->result.end > VM_END_ERROR)
			abort();
		if (!memchr(vm->result.detail, '\0', sizeof(vm->result.detail)))
			abort();
	}
	if (vm->io.nlog > VM_UNCLAIMED_LOG)
		abort();
}

static bool step_exit(struct vm *vm, struct vcpu *vcpu, struct in *in, uint8_t op)
{
	uint8_t buf[8 * 16];
	struct vcpu_exit ex = { 0 };
	enum vcpu_action a;

	memset(buf, 0, sizeof(buf));
	switch (op) {
	case 0: /* port I/O, string I/O when count > 1 */
	case 1: {
		uint8_t flags = (uint8_t)take(in, 1);
		static const uint8_t sizes[] = { 1, 2, 4, 1, 2, 4, 0, 8 };

		ex.kind = VCPU_EXIT_PIO;
		ex.u.pio.port = (uint16_t)pick_addr(vm, in, IO_PIO);
		ex.u.pio.size = sizes[flags & 7];
		ex.u.pio.is_write = flags & 8;
		ex.u.pio.count = op == 1 ? (flags >> 4) : 1;
		for (size_t i = 0; i < (size_t)ex.u.pio.size * ex.u.pio.count; i++)
			buf[i] = (uint8_t)take(in, 1);
		ex.u.pio.data = buf; /* at most 8 * 15 bytes */
		break;
	}
	case 2: {
		uint8_t flags = (uint8_t)take(in, 1);

		ex.kind = VCPU_EXIT_MMIO;
		ex.u.mmio.gpa = pick_addr(vm, in, IO_MMIO);
		ex.u.mmio.len = pick_len(in);
		ex.u.mmio.is_write = flags & 1;
		for (uint32_t i = 0; i < 8; i++)
			buf[i] = (uint8_t)take(in, 1);
		ex.u.mmio.data = buf;
		break;
	}
	case 3:
		ex.kind = (enum vcpu_exit_kind)(take(in, 1) % (VCPU_EXIT_UNKNOWN + 1));
		if (ex.kind == VCPU_EXIT_PIO || ex.kind == VCPU_EXIT_MMIO)
			ex.kind = VCPU_EXIT_HLT;
		ex.u.exception.vector = (int)(int8_t)take(in, 1);
		if (ex.kind == VCPU_EXIT_UNMAPPED) {
			ex.u.unmapped.gpa = take(in, 8);
			ex.u.unmapped.is_write = ex.u.unmapped.gpa & 1;
		} else if (ex.kind != VCPU_EXIT_EXCEPTION) {
			ex.u.other.code = (uint32_t)take(in, 4);
			ex.u.other.what = "KVM_EXIT_FUZZ";
		}
		break;
	default:
		abort();
	}
	a = vcpu_handle_exit(vcpu, &ex);
	/* a vCPU that halted stops while the others go on */
	if (a == VCPU_STOP && !atomic_load(&vm->ended) && !vcpu->halted)
		abort();
	check_vm(vm, atomic_load(&vm->ended));
	if (a == VCPU_CONTINUE && atomic_load(&vm->ended))
		abort();
	return atomic_load(&vm->ended);
}

/* The SNP exits through launcher/snp-exits.h; an error or a termination ends the VM as the run loop would. */
static bool step_snp(struct vm *vm, struct vcpu *vcpu, struct snp_exit_state *st, struct in *in,
		     uint8_t op)
{
	struct kvm_run run;
	struct snp_err err = { 0 };
	enum snp_exit_action act;
	int run_errno = 0;

	memset(&run, 0, sizeof(run));
	if (op == 0) {
		uint8_t sel = (uint8_t)take(in, 1);

		run.exit_reason = KVM_EXIT_HYPERCALL;
		run.hypercall.nr = sel < 0xf0 ? KVM_HC_MAP_GPA_RANGE : take(in, 8);
		/* mostly page-aligned GPAs in or near RAM, sometimes anything */
		run.hypercall.args[0] = sel & 1 ? take(in, 8) : (take(in, 2) << 12) % (MEM_SIZE + 0x10000);
		run.hypercall.args[1] = sel & 2 ? take(in, 8) : take(in, 1);
		run.hypercall.args[2] = sel & 4 ? take(in, 8) :
			(take(in, 1) & 1 ? KVM_MAP_GPA_RANGE_ENCRYPTED : 0);
		run.hypercall.ret = 0xdead;
	} else if (op == 1) {
		struct snpvm_kvm_memory_fault f;
		uint8_t sel = (uint8_t)take(in, 1);

		run.exit_reason = KVM_EXIT_MEMORY_FAULT;
		run_errno = sel & 1 ? EFAULT : (int)(sel >> 1);
		f.flags = sel & 2 ? take(in, 8) : (take(in, 1) & 1 ? KVM_MEMORY_EXIT_FLAG_PRIVATE : 0);
		f.gpa = sel & 4 ? take(in, 8) : take(in, 3) % (MEM_SIZE + 0x10000);
		f.size = sel & 8 ? take(in, 8) : take(in, 2);
		memcpy((uint8_t *)&run + SNPVM_KVM_RUN_EXIT_OFF, &f, sizeof(f));
	} else if (op == 3) {
		struct snpvm_kvm_snp_req_certs rq;
		uint8_t sel = (uint8_t)take(in, 1);

		/* the guest's certificate buffer: mostly page-aligned in or near RAM, sometimes anything */
		run.exit_reason = KVM_EXIT_SNP_REQ_CERTS;
		rq.gpa = sel & 1 ? take(in, 8) : (take(in, 2) << 12) % (MEM_SIZE + 0x10000);
		rq.npages = sel & 2 ? take(in, 8) : take(in, 1);
		rq.ret = 0xdead;
		memcpy((uint8_t *)&run + SNPVM_KVM_RUN_EXIT_OFF, &rq, sizeof(rq));
	} else {
		run.exit_reason = KVM_EXIT_SYSTEM_EVENT;
		run.system_event.type = take(in, 1) & 1 ? KVM_SYSTEM_EVENT_SEV_TERM : take(in, 4);
		run.system_event.ndata = (uint32_t)take(in, 1) % 3;
		run.system_event.data[0] = take(in, 8);
	}
	if (snp_exit_handle(&env.be, &env.mem, st, &run, sizeof(run), run_errno, &act, &err) != 0) {
		if (err.code >= 0 || !memchr(err.msg, '\0', sizeof(err.msg)))
			abort();
		vcpu_end(vm, vcpu, VM_END_ERROR, -1, 0, "%s", err.msg);
		return true;
	}
	if (act == SNP_EXIT_TERMINATED) {
		vcpu_end(vm, vcpu, VM_END_SHUTDOWN, -1, 0, "GHCB termination %u/%u", st->term_set,
			 st->term_code);
		return true;
	}
	if (act != SNP_EXIT_HANDLED && act != SNP_EXIT_NOT_MINE)
		abort();
	if (run.exit_reason == KVM_EXIT_HYPERCALL && run.hypercall.nr == KVM_HC_MAP_GPA_RANGE &&
	    !run_errno && (act != SNP_EXIT_HANDLED || run.hypercall.ret == 0xdead))
		abort();
	if (run.exit_reason == KVM_EXIT_SNP_REQ_CERTS) {
		struct snpvm_kvm_snp_req_certs rq;

		memcpy(&rq, (const uint8_t *)&run + SNPVM_KVM_RUN_EXIT_OFF, sizeof(rq));
		if (act != SNP_EXIT_HANDLED || (rq.ret != 0 && rq.ret != ENOSPC && rq.ret != EIO))
			abort();
	}
	return false;
}

static void run_input(struct vm *vm, struct in *in)
{
	struct snp_exit_state st = { 0 };

	for (unsigned n = 0; n < MAX_STEPS && in->n > 0; n++) {
		uint8_t op = (uint8_t)take(in, 1);
		struct vcpu *vcpu = &vm->vcpu[(op >> 7) % NVCPUS];
		bool stop = false;

		/* the run loop runs no halted vCPU: only a wake-up (below) concerns it */
		if (vcpu->halted && (op & 0xf) < 14)
			continue;
		switch (op & 0xf) {
		case 0: case 1: case 2: case 3: /* MMIO: the mailbox and any MMIO device */
			stop = step_exit(vm, vcpu, in, 2);
			break;
		case 4: case 5: case 6: /* port I/O */
			stop = step_exit(vm, vcpu, in, 0);
			break;
		case 7: /* string port I/O */
			stop = step_exit(vm, vcpu, in, 1);
			break;
		case 8: { /* guest-memory write: mailbox request pages, descriptors */
			uint64_t gpa = take(in, 3) % MEM_SIZE;
			uint32_t len = (uint32_t)take(in, 1) % 65;
			uint8_t *p = guest_mem_hva(vm->mem, gpa, len);

			if (!p)
				break;
			for (uint32_t i = 0; i < len; i++)
				p[i] = (uint8_t)take(in, 1);
			break;
		}
		case 9:
			stop = step_exit(vm, vcpu, in, 3);
			break;
		case 10:
			machine_poll(vm);
			check_vm(vm, atomic_load(&vm->ended));
			stop = atomic_load(&vm->ended);
			break;
		case 11: case 12: case 13: case 14:
			if (env.have_be)
				stop = step_snp(vm, vcpu, &st, in, (uint8_t)((op & 0xf) - 11));
			break;
		default: /* a vCPU wakes up (the run loop's view of halted) */
			/* with bit 6: device DMA from now on as under SNP (shared pages only), or back */
			if ((op & 0x70) == 0x40 && env.have_be)
				vm->cfg.snp = vm->cfg.snp ? NULL : &env.be;
			if (vcpu->halted) {
				vcpu->halted = false;
				atomic_fetch_sub(&vm->nhalted, 1);
			}
			break;
		}
		if (stop) {
			check_vm(vm, true);
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snp_err err = { 0 };
	struct in in = { data, size };
	struct vm *vm;

	if (!env.ready)
		env_init();
	memset(env.mem.hva, 0, env.mem.size);
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		abort();
	vm->cfg = (struct vm_config){ .accel = "fuzz", .vcpus = NVCPUS, .console_fd = -1,
				      .report = fake_report };
	vm->mem = &env.mem;
	vm->accel = &fake_accel;
	vm->nvcpus = vm->nvcpus_up = NVCPUS;
	pthread_mutex_init(&vm->io_lock, NULL);
	pthread_mutex_init(&vm->end_lock, NULL);
	io_registry_init(&vm->io);
	atomic_init(&vm->ended, false);
	atomic_init(&vm->nhalted, 0);
	for (unsigned i = 0; i < NVCPUS; i++)
		vm->vcpu[i] = (struct vcpu){ .vm = vm, .idx = i };
	if (machine_init(vm, &err) != 0)
		abort();
	run_input(vm, &in);
	machine_exit(vm);
	pthread_mutex_destroy(&vm->io_lock);
	pthread_mutex_destroy(&vm->end_lock);
	free(vm);
	return 0;
}
