/*
 * A vCPU and the run loop's one switch. Both accelerators describe what the
 * guest did as a struct vcpu_exit and hand it to vcpu_handle_exit(): `kvm`
 * after each KVM_RUN, `emu` from inside its Unicorn hooks (port I/O, MMIO,
 * exceptions) and after each time slice. Each exit kind has one handler in
 * launcher/vcpu.c, and the devices behind them are the same for both.
 */
#ifndef SNPVM_LAUNCHER_VCPU_H
#define SNPVM_LAUNCHER_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "launcher/vm.h"
#include "util/err.h"

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned idx;
	void *accel;  /* the accelerator's per-vCPU state */
	bool halted;  /* executed HLT; nothing wakes it (no interrupts are delivered) */
};

enum vcpu_exit_kind {
	VCPU_EXIT_NONE,     /* nothing to do (time slice over, or a signal/kick) */
	VCPU_EXIT_PIO,
	VCPU_EXIT_MMIO,
	VCPU_EXIT_HLT,
	VCPU_EXIT_SHUTDOWN, /* triple fault (KVM_EXIT_SHUTDOWN) */
	VCPU_EXIT_SYSTEM_EVENT,
	VCPU_EXIT_EXCEPTION,
	VCPU_EXIT_UNMAPPED, /* access to a GPA that is neither RAM nor a claimed MMIO range */
	VCPU_EXIT_INTERNAL, /* the accelerator could not go on (emulation failure, ...) */
	VCPU_EXIT_UNKNOWN,  /* an exit the VMM does not know */
	VCPU_EXIT_SEV_TERM, /* SNP: the guest's GHCB termination request */
};

struct vcpu_exit {
	enum vcpu_exit_kind kind;
	union {
		struct {
			uint16_t port;
			uint8_t size;   /* 1, 2 or 4 */
			bool is_write;
			uint32_t count; /* string I/O: size-byte items at data */
			uint8_t *data;  /* size * count bytes */
		} pio;
		struct {
			uint64_t gpa;
			uint32_t len;   /* 1..8 */
			bool is_write;
			uint8_t *data;
		} mmio;
		struct {
			int vector;
		} exception;
		struct {
			uint64_t gpa;
			bool is_write;
			bool is_fetch;
		} unmapped;
		struct {
			unsigned set, code; /* GHCB reason set and code */
		} sev_term;
		struct {
			uint32_t code;   /* the accelerator's exit or error number */
			const char *what; /* its name ("KVM_EXIT_FAIL_ENTRY", "UC_ERR_...") */
		} other;
	} u;
};

enum vcpu_action {
	VCPU_CONTINUE,
	VCPU_STOP, /* the VM has ended (vm->ended is set) */
};

/* The run loop's switch: one handler per exit kind. */
enum vcpu_action vcpu_handle_exit(struct vcpu *vcpu, const struct vcpu_exit *ex);

/*
 * Ends the VM with this outcome unless it has ended already (the first
 * outcome wins), fills the result (RIP and instruction bytes of vcpu when
 * vcpu is non-NULL) and asks every vCPU to stop. Thread-safe.
 */
void vcpu_end(struct vm *vm, struct vcpu *vcpu, enum vm_end end, int vector, uint8_t exit_value,
	      const char *fmt, ...) SNP_PRINTF(6, 7);

/* "KVM_EXIT_IO"-style name of an exit kind, for messages. */
const char *vcpu_exit_name(enum vcpu_exit_kind kind);

#endif
