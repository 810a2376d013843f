/*
 * The VM core: creation (accelerator, devices, vCPUs), the guest threads that
 * drive vcpu_handle_exit() (launcher/vcpu.c), and the watcher's host-side
 * checks: vm_stop(), the timeout and device polls.
 *
 *   emu  round-robin: every vCPU runs a time slice in turn on one guest thread
 *   kvm  one guest thread per vCPU in KVM_RUN
 *
 * Either way the caller's thread is the watcher: it polls the devices (the
 * console, the report channel), ends the run at stop or timeout and kicks
 * the guest threads. Guest and watcher threads can so be confined apart
 * (vm_config.confine_thread).
 */
#include "launcher/vm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "launcher/accel.h"
#include "launcher/guest-mem.h"
#include "launcher/machine.h"
#include "launcher/vm-state.h"

#define EMU_SLICE_US 10000u     /* one vCPU: how often its engine returns to the loop */
#define EMU_MIN_SLICE_US 2000u  /* several vCPUs share the period, down to this */
#define WATCH_PERIOD_NS 2000000 /* the watcher's period */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

const struct accel_ops *accel_select(const char *name, struct snp_err *why_not,
				     struct snp_err *err)
{
	struct snp_err why = { 0 };

	if (!name || strcmp(name, "auto") == 0) {
		if (accel_kvm_ops.probe(&why) == 0)
			return &accel_kvm_ops;
		if (why_not)
			*why_not = why;
		if (accel_emu_ops.probe(err) == 0)
			return &accel_emu_ops;
		snp_err_prefix(err, "no accelerator: kvm: %s; ", why.msg);
		return NULL;
	}
	if (strcmp(name, "kvm") == 0) {
		if (accel_kvm_ops.probe(err) != 0)
			return NULL;
		return &accel_kvm_ops;
	}
	if (strcmp(name, "emu") == 0) {
		if (accel_emu_ops.probe(err) != 0)
			return NULL;
		return &accel_emu_ops;
	}
	snp_errf(err, SNP_E_INVALID, "accelerator \"%s\": want auto, kvm or emu", name);
	return NULL;
}

void accel_preload(const char *name)
{
	const struct accel_ops *a = NULL;

	/* auto: a host without /dev/kvm gets emu (kvm's full probe creates a VM: left to select) */
	if (!name || strcmp(name, "auto") == 0)
		a = access("/dev/kvm", R_OK | W_OK) == 0 ? &accel_kvm_ops : &accel_emu_ops;
	else if (strcmp(name, "kvm") == 0)
		a = &accel_kvm_ops;
	else if (strcmp(name, "emu") == 0)
		a = &accel_emu_ops;
	if (a && a->preload)
		a->preload();
}

const char *vm_end_name(enum vm_end end)
{
	switch (end) {
	case VM_END_EXIT: return "exit";
	case VM_END_FAULT: return "fault";
	case VM_END_SHUTDOWN: return "shutdown";
	case VM_END_HALT: return "halt";
	case VM_END_TIMEOUT: return "timeout";
	case VM_END_SIGNAL: return "signal";
	case VM_END_ERROR: return "error";
	case VM_END_TERMINATED: return "terminated";
	}
	return "unknown";
}

const char *vm_accel_name(const struct vm *vm)
{
	return vm->accel->name;
}

const char *vm_accel_why_not_kvm(const struct vm *vm)
{
	return vm->accel_why_not.msg;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	while (vm->nvcpus_up > 0)
		vm->accel->vcpu_exit(&vm->vcpu[--vm->nvcpus_up]);
	for (unsigned i = 0; i < vm->nvcpus; i++)
		vm->accel->vcpu_exit(&vm->vcpu[i]); /* a vcpu_init that failed half-way */
	if (vm->accel)
		vm->accel->vm_exit(vm);
	machine_exit(vm);
	pthread_mutex_destroy(&vm->io_lock);
	pthread_mutex_destroy(&vm->end_lock);
	free(vm);
}

int vm_create(const struct vm_config *cfg, struct guest_mem *mem, struct vm **out,
	      struct snp_err *err)
{
	struct vm *vm;
	int ret;

	*out = NULL;
	if (!cfg || !mem || !mem->hva)
		return snp_errf(err, SNP_E_INVALID, "vm: no configuration or no guest memory");
	if (cfg->vcpus < 1 || cfg->vcpus > PAYLOAD_MAX_VCPUS)
		return snp_errf(err, SNP_E_INVALID, "vm: %u vCPUs: want 1 to %d", cfg->vcpus,
				PAYLOAD_MAX_VCPUS);
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return snp_errf(err, SNP_E_NOMEM, "vm: state");
	vm->cfg = *cfg;
	vm->mem = mem;
	vm->nvcpus = cfg->vcpus;
	pthread_mutex_init(&vm->io_lock, NULL);
	pthread_mutex_init(&vm->end_lock, NULL);
	io_registry_init(&vm->io);
	atomic_init(&vm->ended, false);
	atomic_init(&vm->nhalted, 0);
	for (unsigned i = 0; i < vm->nvcpus; i++)
		vm->vcpu[i] = (struct vcpu){ .vm = vm, .idx = i };
	if (cfg->snp && cfg->accel && strcmp(cfg->accel, "auto") != 0 &&
	    strcmp(cfg->accel, "kvm") != 0) {
		free(vm);
		return snp_errf(err, SNP_E_INVALID,
				"accelerator \"%s\": an SNP guest runs on kvm only", cfg->accel);
	}
	/* snp: the backend holds the VM and its vCPUs already (no probe) */
	vm->accel = cfg->snp ? &accel_kvm_snp_ops
			     : accel_select(cfg->accel, &vm->accel_why_not, err);
	if (!vm->accel) {
		ret = err ? err->code : SNP_E_INVALID;
		free(vm);
		return ret;
	}
	/* devices first: the accelerator maps the MMIO ranges they claimed */
	if ((ret = machine_init(vm, err)) != 0 || (ret = vm->accel->vm_init(vm, err)) != 0)
		goto out_destroy;
	for (; vm->nvcpus_up < vm->nvcpus; vm->nvcpus_up++) {
		if ((ret = vm->accel->vcpu_init(&vm->vcpu[vm->nvcpus_up], err)) != 0) {
			snp_err_prefix(err, "vCPU %u: ", vm->nvcpus_up);
			goto out_destroy;
		}
	}
	*out = vm;
	return 0;

out_destroy:
	vm_destroy(vm);
	return ret;
}

int vm_set_vcpu_state(struct vm *vm, unsigned idx, const struct snp_vmsa *st, struct snp_err *err)
{
	struct snp_vmsa guest = *st;

	if (idx >= vm->nvcpus)
		return snp_errf(err, SNP_E_INVALID, "vm: vCPU %u: the VM has %u", idx, vm->nvcpus);
	/*
	 * EFER.SVME is the bit KVM keeps set in the VMCB (and so in a measured
	 * VMSA, arch/x86/kvm/svm/svm.c svm_set_efer); the guest's own EFER has it
	 * clear, and KVM_SET_SREGS refuses it without nested SVM.
	 */
	guest.efer &= ~VMSA_EFER_SVME;
	return vm->accel->set_state(&vm->vcpu[idx], &guest, err);
}

void vm_stop(struct vm *vm)
{
	vm->stop_requested = 1; /* read between slices / by the watcher: async-signal-safe */
}

/* The host's side between slices: stop request, timeout, devices. */
static void check_host(struct vm *vm, uint64_t deadline_ms)
{
	machine_poll(vm);
	if (vm->stop_requested)
		vcpu_end(vm, NULL, VM_END_SIGNAL, -1, 0, "stopped by the VMM (signal)");
	else if (deadline_ms && now_ms() >= deadline_ms)
		vcpu_end(vm, NULL, VM_END_TIMEOUT, -1, 0, "timeout: %llu ms elapsed",
			 (unsigned long long)vm->cfg.timeout_ms);
}

/*
 * Opened by the watcher once it has confined itself: the guest runs only when
 * every thread of the run has its own filter (vm_config.confine_thread).
 */
struct start_gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool open;
};

static void gate_wait(struct start_gate *g)
{
	pthread_mutex_lock(&g->mu);
	while (!g->open)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

static void gate_open(struct start_gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->open = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

/*
 * A guest thread: one per vCPU (kvm), or one for them all (emu). done is set
 * as it returns, for the watcher's kicks until then.
 */
struct guest_thread {
	struct vm *vm;
	struct start_gate *gate;
	struct vcpu *vcpu; /* NULL: every vCPU round-robin */
	pthread_t tid;
	bool started;
	atomic_bool done;
	int ret;
	struct snp_err err;
};

/* A guest thread's confinement, before the guest's first instruction on it. */
static bool confine_guest_thread(struct guest_thread *t)
{
	struct vm *vm = t->vm;

	if (!vm->cfg.confine_thread || vm->cfg.confine_thread(VM_THREAD_VCPU, &t->err) == 0)
		return true;
	/* the VMM's own failure, whatever the filter library called it */
	t->ret = t->err.code = SNP_E_INTERNAL;
	vcpu_end(vm, NULL, VM_END_ERROR, -1, 0, "%s", t->err.msg);
	return false;
}

static void run_one_vcpu(struct guest_thread *t)
{
	struct vcpu *v = t->vcpu;
	struct vcpu_exit ex;

	while (!atomic_load(&v->vm->ended)) {
		if ((t->ret = v->vm->accel->run(v, 0, &ex, &t->err)) != 0) {
			vcpu_end(v->vm, v, VM_END_ERROR, -1, 0, "vCPU %u: %s", v->idx, t->err.msg);
			break;
		}
		if (vcpu_handle_exit(v, &ex) == VCPU_STOP)
			break;
	}
}

/* emu: every vCPU a time slice in turn (one Unicorn engine at a time). */
static void run_round_robin(struct guest_thread *t)
{
	struct vm *vm = t->vm;
	uint64_t slice = EMU_SLICE_US / vm->nvcpus;
	struct vcpu_exit ex;

	if (slice < EMU_MIN_SLICE_US)
		slice = EMU_MIN_SLICE_US;
	while (!atomic_load(&vm->ended)) {
		for (unsigned i = 0; i < vm->nvcpus && !atomic_load(&vm->ended); i++) {
			struct vcpu *v = &vm->vcpu[i];

			if (v->halted)
				continue;
			if ((t->ret = vm->accel->run(v, slice, &ex, &t->err)) != 0) {
				vcpu_end(vm, v, VM_END_ERROR, -1, 0, "vCPU %u: %s", v->idx,
					 t->err.msg);
				return;
			}
			vcpu_handle_exit(v, &ex);
		}
	}
}

static void *guest_thread_fn(void *arg)
{
	struct guest_thread *t = arg;
	const bool confined = confine_guest_thread(t);

	gate_wait(t->gate);
	if (confined && !atomic_load(&t->vm->ended)) {
		if (t->vcpu)
			run_one_vcpu(t);
		else
			run_round_robin(t);
	}
	atomic_store(&t->done, true);
	return NULL;
}

/* Starts the guest threads with only the kick signal (and faults) unblocked. */
static int start_guest_threads(struct vm *vm, struct guest_thread *t, unsigned n,
			       struct start_gate *gate, struct snp_err *err)
{
	sigset_t mask, old;
	int ret = 0, e;

	/* SIGINT/SIGTERM stay with the caller's thread */
	sigfillset(&mask);
	sigdelset(&mask, VM_KICK_SIGNAL);
	sigdelset(&mask, SIGSEGV);
	sigdelset(&mask, SIGBUS);
	sigdelset(&mask, SIGFPE);
	sigdelset(&mask, SIGILL);
	pthread_sigmask(SIG_SETMASK, &mask, &old);
	for (unsigned i = 0; i < n; i++) {
		t[i].vm = vm;
		t[i].gate = gate;
		t[i].vcpu = vm->accel->threaded ? &vm->vcpu[i] : NULL;
		atomic_init(&t[i].done, false);
		e = pthread_create(&t[i].tid, NULL, guest_thread_fn, &t[i]);
		if (e != 0) {
			errno = e;
			ret = snp_err_sys(err, "vm: starting guest thread %u", i);
			vcpu_end(vm, NULL, VM_END_ERROR, -1, 0, "could not start guest thread %u", i);
			break;
		}
		t[i].started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}

static bool any_running(const struct guest_thread *t, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (t[i].started && !atomic_load(&t[i].done))
			return true;
	return false;
}

/*
 * The caller's thread watches: it confines itself and opens the gate, then
 * polls stop, timeout and devices. Once the guest has ended it kicks every
 * guest thread until each has returned: a kick can be lost (one that lands
 * between two runs: emu clears its stop request as a slice starts, and a kvm
 * signal can come before KVM_RUN), and the next one then comes a period
 * later. Returns the watcher's confinement error, or 0.
 */
static int watch(struct vm *vm, struct guest_thread *t, unsigned n, struct start_gate *gate,
		 uint64_t deadline_ms, struct snp_err *err)
{
	const struct timespec period = { .tv_nsec = WATCH_PERIOD_NS };
	int ret = 0;

	if (vm->cfg.confine_thread && vm->cfg.confine_thread(VM_THREAD_WATCHER, err) != 0) {
		ret = err->code = SNP_E_INTERNAL; /* the VMM's own failure */
		vcpu_end(vm, NULL, VM_END_ERROR, -1, 0, "%s", err->msg);
	}
	gate_open(gate);
	while (!atomic_load(&vm->ended)) {
		nanosleep(&period, NULL);
		check_host(vm, deadline_ms);
		for (unsigned i = 0; vm->accel->tick && i < vm->nvcpus_up; i++)
			vm->accel->tick(&vm->vcpu[i]);
	}
	while (any_running(t, n)) {
		for (unsigned i = 0; i < vm->nvcpus_up; i++)
			vm->accel->kick(&vm->vcpu[i]);
		nanosleep(&period, NULL);
	}
	return ret;
}

static int run_guest(struct vm *vm, uint64_t deadline_ms, struct snp_err *err)
{
	const unsigned n = vm->accel->threaded ? vm->nvcpus : 1;
	struct guest_thread *t = calloc(n, sizeof(*t));
	struct start_gate gate = { .open = false };
	struct snp_err werr = { 0 };
	int ret, wret;

	if (!t)
		return snp_errf(err, SNP_E_NOMEM, "vm: guest threads");
	pthread_mutex_init(&gate.mu, NULL);
	pthread_cond_init(&gate.cv, NULL);
	ret = start_guest_threads(vm, t, n, &gate, err);
	wret = watch(vm, t, n, &gate, deadline_ms, &werr);
	if (ret == 0 && wret != 0) {
		ret = wret;
		if (err)
			*err = werr;
	}
	for (unsigned i = 0; i < n; i++) {
		if (!t[i].started)
			continue;
		pthread_join(t[i].tid, NULL);
		if (t[i].ret != 0 && ret == 0) {
			ret = t[i].ret;
			if (err)
				*err = t[i].err;
		}
	}
	free(t);
	pthread_cond_destroy(&gate.cv);
	pthread_mutex_destroy(&gate.mu);
	return ret;
}

int vm_run(struct vm *vm, struct vm_result *res, struct snp_err *err)
{
	uint64_t deadline_ms = 0;
	int ret;

	memset(res, 0, sizeof(*res));
	if (vm->has_run)
		return snp_errf(err, SNP_E_STATE, "vm: already run");
	vm->has_run = true;
	vm->result.vector = -1;
	/*
	 * +1: now_ms() truncates, so a deadline of now + timeout could fire up to
	 * 1 ms early; the guest gets at least the time it was given.
	 */
	if (vm->cfg.timeout_ms)
		deadline_ms = now_ms() + vm->cfg.timeout_ms + 1;
	ret = run_guest(vm, deadline_ms, err);
	machine_poll(vm); /* the last console bytes, a last channel answer */
	pthread_mutex_lock(&vm->end_lock);
	*res = vm->result;
	pthread_mutex_unlock(&vm->end_lock);
	res->serial_bytes = vm->serial_bytes;
	res->channel_requests = vm->channel_requests;
	res->unclaimed_total = vm->io.unclaimed_total;
	res->nunclaimed = vm->io.nlog;
	memcpy(res->unclaimed, vm->io.log, sizeof(res->unclaimed));
	return ret;
}
