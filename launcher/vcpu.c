#include "launcher/vcpu.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "launcher/accel.h"
#include "launcher/io.h"
#include "launcher/vm-state.h"

const char *vcpu_exit_name(enum vcpu_exit_kind kind)
{
	switch (kind) {
	case VCPU_EXIT_NONE: return "none";
	case VCPU_EXIT_PIO: return "port I/O";
	case VCPU_EXIT_MMIO: return "MMIO";
	case VCPU_EXIT_HLT: return "HLT";
	case VCPU_EXIT_SHUTDOWN: return "shutdown";
	case VCPU_EXIT_SYSTEM_EVENT: return "system event";
	case VCPU_EXIT_EXCEPTION: return "exception";
	case VCPU_EXIT_UNMAPPED: return "unmapped access";
	case VCPU_EXIT_INTERNAL: return "internal error";
	case VCPU_EXIT_UNKNOWN: return "unknown";
	case VCPU_EXIT_SEV_TERM: return "SEV termination request";
	}
	return "unknown";
}

/* AMD APM vol. 2, §8.2 (exception vectors). */
static const char *vector_name(int vector)
{
	static const char *const names[] = {
		"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "vector 9",
		"#TS", "#NP", "#SS", "#GP", "#PF", "vector 15", "#MF", "#AC", "#MC", "#XF",
		"vector 20", "#CP",
	};

	if (vector >= 0 && vector < (int)(sizeof(names) / sizeof(names[0])))
		return names[vector];
	return "interrupt";
}

void vcpu_end(struct vm *vm, struct vcpu *vcpu, enum vm_end end, int vector, uint8_t exit_value,
	      const char *fmt, ...)
{
	struct vm_result *r = &vm->result;
	va_list ap;

	pthread_mutex_lock(&vm->end_lock);
	if (atomic_load(&vm->ended)) {
		pthread_mutex_unlock(&vm->end_lock);
		return;
	}
	r->end = end;
	r->vector = vector;
	r->exit_value = exit_value;
	r->vcpu = vcpu ? vcpu->idx : 0;
	if (vcpu && (end == VM_END_FAULT || end == VM_END_ERROR))
		vm->accel->read_insn(vcpu, &r->rip, r->insn, &r->insn_len);
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
	atomic_store(&vm->ended, true);
	pthread_mutex_unlock(&vm->end_lock);
	for (unsigned i = 0; i < vm->nvcpus_up; i++)
		vm->accel->kick(&vm->vcpu[i]);
}

static enum vcpu_action stop_if_ended(struct vcpu *vcpu)
{
	return atomic_load(&vcpu->vm->ended) ? VCPU_STOP : VCPU_CONTINUE;
}

static enum vcpu_action handle_none(struct vcpu *vcpu)
{
	return stop_if_ended(vcpu);
}

static enum vcpu_action handle_pio(struct vcpu *vcpu, const struct vcpu_exit *ex)
{
	struct vm *vm = vcpu->vm;
	uint8_t size = ex->u.pio.size;
	enum io_result res = IO_CONTINUE;

	if ((size != 1 && size != 2 && size != 4) || ex->u.pio.count == 0 || !ex->u.pio.data) {
		vcpu_end(vm, vcpu, VM_END_ERROR, -1, 0, "port 0x%x: bad access (size %u, count %u)",
			 ex->u.pio.port, size, ex->u.pio.count);
		return VCPU_STOP;
	}
	pthread_mutex_lock(&vm->io_lock);
	/* string I/O: count items of size bytes, one access each, in order */
	for (uint32_t i = 0; i < ex->u.pio.count && res != IO_STOP; i++)
		res = io_dispatch(&vm->io, vcpu, IO_PIO, ex->u.pio.port,
				  ex->u.pio.data + (size_t)i * size, size, ex->u.pio.is_write);
	pthread_mutex_unlock(&vm->io_lock);
	/* an unclaimed port is an empty bus: the guest goes on */
	return res == IO_STOP ? VCPU_STOP : stop_if_ended(vcpu);
}

static enum vcpu_action handle_mmio(struct vcpu *vcpu, const struct vcpu_exit *ex)
{
	struct vm *vm = vcpu->vm;
	enum io_result res;

	if (ex->u.mmio.len == 0 || ex->u.mmio.len > 8 || !ex->u.mmio.data) {
		vcpu_end(vm, vcpu, VM_END_ERROR, -1, 0, "MMIO at GPA 0x%llx: bad length %u",
			 (unsigned long long)ex->u.mmio.gpa, ex->u.mmio.len);
		return VCPU_STOP;
	}
	pthread_mutex_lock(&vm->io_lock);
	res = io_dispatch(&vm->io, vcpu, IO_MMIO, ex->u.mmio.gpa, ex->u.mmio.data, ex->u.mmio.len,
			  ex->u.mmio.is_write);
	pthread_mutex_unlock(&vm->io_lock);
	if (res == IO_UNCLAIMED) {
		/* the same outcome as emu's unmapped access: no device, no RAM */
		vcpu_end(vm, vcpu, VM_END_ERROR, -1, 0,
			 "%u-byte MMIO %s at GPA 0x%llx: no RAM and no device there",
			 ex->u.mmio.len, ex->u.mmio.is_write ? "write" : "read",
			 (unsigned long long)ex->u.mmio.gpa);
		return VCPU_STOP;
	}
	return res == IO_STOP ? VCPU_STOP : stop_if_ended(vcpu);
}

static enum vcpu_action handle_hlt(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	/* no interrupt controller: nothing can wake a halted vCPU */
	vcpu->halted = true;
	if (atomic_fetch_add(&vm->nhalted, 1) + 1 == vm->nvcpus)
		vcpu_end(vm, vcpu, VM_END_HALT, -1, 0, "every vCPU halted (HLT with nothing to wake it)");
	return VCPU_STOP;
}

static enum vcpu_action handle_shutdown(struct vcpu *vcpu)
{
	vcpu_end(vcpu->vm, vcpu, VM_END_FAULT, -1, 0,
		 "vCPU %u: triple fault (an exception with no usable IDT)", vcpu->idx);
	return VCPU_STOP;
}

static enum vcpu_action handle_system_event(struct vcpu *vcpu, const struct vcpu_exit *ex)
{
	vcpu_end(vcpu->vm, vcpu, VM_END_SHUTDOWN, -1, 0, "vCPU %u: the guest asked for %s",
		 vcpu->idx, ex->u.other.what);
	return VCPU_STOP;
}

static enum vcpu_action handle_exception(struct vcpu *vcpu, const struct vcpu_exit *ex)
{
	int v = ex->u.exception.vector;

	vcpu_end(vcpu->vm, vcpu, VM_END_FAULT, v, 0, "vCPU %u: exception %s (vector %d)",
		 vcpu->idx, vector_name(v), v);
	return VCPU_STOP;
}

static enum vcpu_action handle_unmapped(struct vcpu *vcpu, const struct vcpu_exit *ex)
{
	vcpu_end(vcpu->vm, vcpu, VM_END_ERROR, -1, 0,
		 "vCPU %u: %s at GPA 0x%llx: no RAM and no device there", vcpu->idx,
		 ex->u.unmapped.is_fetch ? "instruction fetch" :
		 ex->u.unmapped.is_write ? "write" : "read",
		 (unsigned long long)ex->u.unmapped.gpa);
	return VCPU_STOP;
}

static enum vcpu_action handle_internal(struct vcpu *vcpu, const struct vcpu_exit *ex)
{
	vcpu_end(vcpu->vm, vcpu, VM_END_ERROR, -1, 0, "vCPU %u: %s internal error: %s (%u)",
		 vcpu->idx, vcpu->vm->accel->name, ex->u.other.what ? ex->u.other.what : "?",
		 ex->u.other.code);
	return VCPU_STOP;
}

static enum vcpu_action handle_unknown(struct vcpu *vcpu, const struct vcpu_exit *ex)
{
	vcpu_end(vcpu->vm, vcpu, VM_END_ERROR, -1, 0, "vCPU %u: unknown %s exit %s (%u)",
		 vcpu->idx, vcpu->vm->accel->name, ex->u.other.what ? ex->u.other.what : "?",
		 ex->u.other.code);
	return VCPU_STOP;
}

static enum vcpu_action handle_sev_term(struct vcpu *vcpu, const struct vcpu_exit *ex)
{
	struct vm *vm = vcpu->vm;

	pthread_mutex_lock(&vm->end_lock);
	if (!atomic_load(&vm->ended)) {
		vm->result.term_set = ex->u.sev_term.set;
		vm->result.term_code = ex->u.sev_term.code;
	}
	pthread_mutex_unlock(&vm->end_lock);
	vcpu_end(vm, vcpu, VM_END_TERMINATED, -1, 0,
		 "vCPU %u: the guest terminated (GHCB termination request, reason set %u, code "
		 "0x%02x)", vcpu->idx, ex->u.sev_term.set, ex->u.sev_term.code);
	return VCPU_STOP;
}

enum vcpu_action vcpu_handle_exit(struct vcpu *vcpu, const struct vcpu_exit *ex)
{
	switch (ex->kind) {
	case VCPU_EXIT_NONE:
		return handle_none(vcpu);
	case VCPU_EXIT_PIO:
		return handle_pio(vcpu, ex);
	case VCPU_EXIT_MMIO:
		return handle_mmio(vcpu, ex);
	case VCPU_EXIT_HLT:
		return handle_hlt(vcpu);
	case VCPU_EXIT_SHUTDOWN:
		return handle_shutdown(vcpu);
	case VCPU_EXIT_SYSTEM_EVENT:
		return handle_system_event(vcpu, ex);
	case VCPU_EXIT_EXCEPTION:
		return handle_exception(vcpu, ex);
	case VCPU_EXIT_UNMAPPED:
		return handle_unmapped(vcpu, ex);
	case VCPU_EXIT_INTERNAL:
		return handle_internal(vcpu, ex);
	case VCPU_EXIT_SEV_TERM:
		return handle_sev_term(vcpu, ex);
	case VCPU_EXIT_UNKNOWN:
		break;
	}
	return handle_unknown(vcpu, ex);
}
