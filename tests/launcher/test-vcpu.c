/*
 * launcher/vcpu.c and launcher/accel-kvm.c's kvm_run decoding, without
 * /dev/kvm: hostile struct kvm_run contents are refused before use, and the
 * run loop's switch turns each bad exit into a named stop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <linux/kvm.h>

#include "launcher/accel-kvm.h"
#include "launcher/accel.h"
#include "launcher/vcpu.h"
#include "launcher/vm-state.h"
#include "tests/common/vmtest.h"
#include "tests/launcher/vm-guests.h"

#define RUN_SIZE 0x3000u /* what KVM_GET_VCPU_MMAP_SIZE typically says: 3 pages */

static struct kvm_run *new_run(uint32_t reason)
{
	struct kvm_run *run = aligned_alloc(4096, RUN_SIZE);

	assert_non_null(run);
	memset(run, 0, RUN_SIZE);
	run->exit_reason = reason;
	return run;
}

static void kvm_io_exit_bounds(void **state)
{
	struct kvm_run *run = new_run(KVM_EXIT_IO);
	struct vcpu_exit ex;

	(void)state;
	/* a well-formed `rep outsw` of 3 items at data_offset 0x1000 */
	run->io.direction = KVM_EXIT_IO_OUT;
	run->io.size = 2;
	run->io.port = 0x3f8;
	run->io.count = 3;
	run->io.data_offset = 0x1000;
	accel_kvm_decode_exit(run, RUN_SIZE, &ex);
	assert_int_equal(ex.kind, VCPU_EXIT_PIO);
	assert_int_equal(ex.u.pio.port, 0x3f8);
	assert_int_equal(ex.u.pio.size, 2);
	assert_int_equal(ex.u.pio.count, 3);
	assert_true(ex.u.pio.is_write);
	assert_ptr_equal(ex.u.pio.data, (uint8_t *)run + 0x1000);
	/* the last item ends exactly at the end of the mapping: fine */
	run->io.data_offset = RUN_SIZE - 6;
	accel_kvm_decode_exit(run, RUN_SIZE, &ex);
	assert_int_equal(ex.kind, VCPU_EXIT_PIO);
	/* one byte past it, an offset past it, a count that would wrap, size 3, count 0 */
	run->io.data_offset = RUN_SIZE - 5;
	accel_kvm_decode_exit(run, RUN_SIZE, &ex);
	assert_int_equal(ex.kind, VCPU_EXIT_INTERNAL);
	run->io.data_offset = RUN_SIZE + 0x1000;
	run->io.count = 1;
	accel_kvm_decode_exit(run, RUN_SIZE, &ex);
	assert_int_equal(ex.kind, VCPU_EXIT_INTERNAL);
	run->io.data_offset = 0x1000;
	run->io.count = 0xffffffffu;
	accel_kvm_decode_exit(run, RUN_SIZE, &ex);
	assert_int_equal(ex.kind, VCPU_EXIT_INTERNAL);
	assert_non_null(strstr(ex.u.other.what, "KVM_EXIT_IO"));
	run->io.count = 1;
	run->io.size = 3;
	accel_kvm_decode_exit(run, RUN_SIZE, &ex);
	assert_int_equal(ex.kind, VCPU_EXIT_INTERNAL);
	run->io.size = 4;
	run->io.count = 0;
	accel_kvm_decode_exit(run, RUN_SIZE, &ex);
	assert_int_equal(ex.kind, VCPU_EXIT_INTERNAL);
	free(run);
}

static void kvm_other_exits(void **state)
{
	static const struct {
		uint32_t reason;
		enum vcpu_exit_kind kind;
	} cases[] = {
		{ KVM_EXIT_MMIO, VCPU_EXIT_MMIO },
		{ KVM_EXIT_HLT, VCPU_EXIT_HLT },
		{ KVM_EXIT_SHUTDOWN, VCPU_EXIT_SHUTDOWN },
		{ KVM_EXIT_SYSTEM_EVENT, VCPU_EXIT_SYSTEM_EVENT },
		{ KVM_EXIT_INTR, VCPU_EXIT_NONE },
		{ KVM_EXIT_FAIL_ENTRY, VCPU_EXIT_INTERNAL },
		{ KVM_EXIT_INTERNAL_ERROR, VCPU_EXIT_INTERNAL },
		{ KVM_EXIT_HYPERCALL, VCPU_EXIT_UNKNOWN },
		{ 1000, VCPU_EXIT_UNKNOWN },
	};
	struct vcpu_exit ex;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kvm_run *run = new_run(cases[i].reason);

		run->mmio.phys_addr = 0xfeb00008;
		run->mmio.len = 4;
		run->mmio.is_write = 1;
		accel_kvm_decode_exit(run, RUN_SIZE, &ex);
		if (ex.kind != cases[i].kind)
			fail_msg("exit reason %u: kind %s, want %s", cases[i].reason,
				 vcpu_exit_name(ex.kind), vcpu_exit_name(cases[i].kind));
		if (cases[i].reason == KVM_EXIT_MMIO) {
			assert_int_equal(ex.u.mmio.gpa, 0xfeb00008);
			assert_int_equal(ex.u.mmio.len, 4);
			assert_true(ex.u.mmio.is_write);
			assert_ptr_equal(ex.u.mmio.data, run->mmio.data);
		}
		free(run);
	}
	/* unknown exits are named: the kernel's name, or that it is unknown */
	{
		struct kvm_run *run = new_run(KVM_EXIT_HYPERCALL);

		accel_kvm_decode_exit(run, RUN_SIZE, &ex);
		assert_string_equal(ex.u.other.what, "KVM_EXIT_HYPERCALL");
		assert_int_equal(ex.u.other.code, KVM_EXIT_HYPERCALL);
		free(run);
	}
}

/* Hands vCPU 0 of a fresh (never run) emu VM one synthetic exit; t->vm->result holds the outcome. */
static void handle_one(const struct vcpu_exit *ex, enum vcpu_action want_action,
		       struct vmtest *t)
{
	vmtest_create(t, "emu", 1, guest_spin, sizeof(guest_spin), NULL);
	assert_int_equal(vcpu_handle_exit(&t->vm->vcpu[0], ex), want_action);
}

static void bad_pio_and_mmio_exits_stop_the_vm_by_name(void **state)
{
	uint8_t data[16] = { 0 };
	struct vcpu_exit pio3 = { .kind = VCPU_EXIT_PIO,
				  .u.pio = { .port = 0x3f8, .size = 3, .count = 1, .data = data } };
	struct vcpu_exit mmio16 = { .kind = VCPU_EXIT_MMIO,
				    .u.mmio = { .gpa = PAYLOAD_MAILBOX_GPA, .len = 16, .data = data } };
	struct vcpu_exit unknown = { .kind = VCPU_EXIT_UNKNOWN,
				     .u.other = { .code = 1000, .what = "KVM_EXIT_SOMETHING" } };
	struct vmtest t;

	(void)state;
	handle_one(&pio3, VCPU_STOP, &t);
	assert_int_equal(t.vm->result.end, VM_END_ERROR);
	assert_non_null(strstr(t.vm->result.detail, "size 3"));
	vmtest_destroy(&t);
	handle_one(&mmio16, VCPU_STOP, &t);
	assert_int_equal(t.vm->result.end, VM_END_ERROR);
	assert_non_null(strstr(t.vm->result.detail, "bad length 16"));
	vmtest_destroy(&t);
	handle_one(&unknown, VCPU_STOP, &t);
	assert_int_equal(t.vm->result.end, VM_END_ERROR);
	assert_non_null(strstr(t.vm->result.detail, "KVM_EXIT_SOMETHING (1000)"));
	vmtest_destroy(&t);
}

static void string_pio_is_one_access_per_item(void **state)
{
	uint8_t data[] = { 'o', 'k', '\n' }, word[4];
	struct vcpu_exit outsb = { .kind = VCPU_EXIT_PIO,
				   .u.pio = { .port = 0x3f8, .size = 1, .count = 3, .is_write = true,
					      .data = data } };
	struct vcpu_exit mmio_nobody = { .kind = VCPU_EXIT_MMIO,
					 .u.mmio = { .gpa = 0xfec00000, .len = 4, .data = word } };
	struct vmtest t;

	(void)state;
	handle_one(&outsb, VCPU_CONTINUE, &t);
	assert_int_equal(t.vm->serial_bytes, 3);
	/* an MMIO exit nobody claims stops the VM, as emu's unmapped access does */
	assert_int_equal(vcpu_handle_exit(&t.vm->vcpu[0], &mmio_nobody), VCPU_STOP);
	assert_int_equal(t.vm->result.end, VM_END_ERROR);
	assert_non_null(strstr(t.vm->result.detail, "0xfec00000"));
	vmtest_destroy(&t);
}

static void the_first_outcome_wins(void **state)
{
	struct vmtest t;

	(void)state;
	vmtest_create(&t, "emu", 1, guest_spin, sizeof(guest_spin), NULL);
	vcpu_end(t.vm, NULL, VM_END_TIMEOUT, -1, 0, "first");
	vcpu_end(t.vm, NULL, VM_END_SIGNAL, -1, 0, "second");
	assert_int_equal(t.vm->result.end, VM_END_TIMEOUT);
	assert_string_equal(t.vm->result.detail, "first");
	vmtest_destroy(&t);
}

static void auto_says_which_and_why(void **state)
{
	struct snp_err kvm_err = { 0 }, err = { 0 };
	bool kvm_works = accel_select("kvm", NULL, &kvm_err) != NULL;
	struct vmtest t;

	(void)state;
	vmtest_create(&t, kvm_works ? "kvm" : "emu", 1, guest_spin, sizeof(guest_spin), NULL);
	vm_destroy(t.vm);
	/* the same VM again, on "auto" */
	{
		struct vm_config cfg = { .accel = "auto", .vcpus = 1, .console_fd = -1 };

		assert_int_equal(vm_create(&cfg, &t.mem, &t.vm, &err), 0);
	}
	assert_string_equal(vm_accel_name(t.vm), kvm_works ? "kvm" : "emu");
	if (kvm_works) {
		assert_string_equal(vm_accel_why_not_kvm(t.vm), "");
	} else {
		/* the probe's own reason, as "kvm" alone reports it */
		assert_non_null(strstr(vm_accel_why_not_kvm(t.vm), "kvm: "));
		assert_string_equal(vm_accel_why_not_kvm(t.vm), kvm_err.msg);
	}
	vmtest_destroy(&t);
	/* a name nobody knows */
	assert_null(accel_select("tcg", NULL, &err));
	assert_non_null(strstr(err.msg, "\"tcg\": want auto, kvm or emu"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kvm_io_exit_bounds),
		cmocka_unit_test(kvm_other_exits),
		cmocka_unit_test(bad_pio_and_mmio_exits_stop_the_vm_by_name),
		cmocka_unit_test(string_pio_is_one_access_per_item),
		cmocka_unit_test(the_first_outcome_wins),
		cmocka_unit_test(auto_says_which_and_why),
	};

	return cmocka_run_group_tests_name("launcher/vcpu", tests, NULL, NULL);
}
