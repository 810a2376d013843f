/*
 * launcher/vm.c and friends: tiny guests (tests/launcher/vm-guests.h) run on
 * each accelerator. The same test functions run as an "emu" group and a "kvm"
 * group; the kvm group skips with the reason where /dev/kvm is unusable.
 */
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "abi/cpuid-page.h"
#include "abi/endian.h"
#include "abi/report.h"
#include "launcher/dev-mailbox.h"
#include "measure/payload.h"
#include "tests/common/testutil.h"
#include "tests/common/vmtest.h"
#include "tests/launcher/vm-guests.h"

static const char *accel_of(void **state)
{
	const char *accel = *state;

	vmtest_require(accel);
	return accel;
}

static void assert_end(const struct vm_result *r, enum vm_end want)
{
	if (r->end != want)
		fail_msg("VM ended with %s (%s), want %s", vm_end_name(r->end), r->detail,
			 vm_end_name(want));
}

static void serial_output_reaches_console(void **state)
{
	struct vmtest t;

	vmtest_create(&t, accel_of(state), 1, guest_hello, sizeof(guest_hello), NULL);
	vmtest_run(&t);
	assert_end(&t.res, VM_END_EXIT);
	assert_int_equal(t.res.exit_value, 0);
	assert_string_equal(t.out, "hi\n");
	assert_int_equal(t.res.serial_bytes, 3);
	vmtest_destroy(&t);
}

static void string_port_output_is_one_byte_per_item(void **state)
{
	struct vmtest t;

	vmtest_create(&t, accel_of(state), 1, guest_outs, sizeof(guest_outs), NULL);
	vmtest_run(&t);
	assert_end(&t.res, VM_END_EXIT);
	assert_int_equal(t.res.exit_value, 0);
	assert_string_equal(t.out, "ok\n"); /* rep outsb */
	vmtest_destroy(&t);
}

static void debug_exit_value_is_reported(void **state)
{
	struct vmtest t;

	vmtest_create(&t, accel_of(state), 1, guest_exit42, sizeof(guest_exit42), NULL);
	vmtest_run(&t);
	assert_end(&t.res, VM_END_EXIT);
	assert_int_equal(t.res.exit_value, 0x2a);
	assert_int_equal(t.res.vcpu, 0);
	vmtest_destroy(&t);
}

static void unclaimed_ports_read_all_ones_and_guest_goes_on(void **state)
{
	struct vmtest t;

	vmtest_create(&t, accel_of(state), 1, guest_unclaimed, sizeof(guest_unclaimed), NULL);
	vmtest_run(&t);
	assert_end(&t.res, VM_END_EXIT);
	assert_int_equal(t.res.exit_value, 0); /* 1: a read did not see all-ones */
	/* out 0x80, in 0x6010, in 0x80: three accesses, two addresses, noted once each */
	assert_int_equal(t.res.unclaimed_total, 3);
	assert_int_equal(t.res.nunclaimed, 2);
	assert_int_equal(t.res.unclaimed[0].addr, 0x80);
	assert_true(t.res.unclaimed[0].is_write);
	assert_int_equal(t.res.unclaimed[0].count, 2);
	assert_int_equal(t.res.unclaimed[1].addr, 0x6010);
	assert_false(t.res.unclaimed[1].is_mmio);
	vmtest_destroy(&t);
}

static void ud2_faults_with_vector_rip_and_bytes(void **state)
{
	const char *accel = accel_of(state);
	struct vmtest t;

	vmtest_create(&t, accel, 1, guest_ud2, sizeof(guest_ud2), NULL);
	vmtest_run(&t);
	assert_end(&t.res, VM_END_FAULT);
	assert_int_equal(t.res.rip, VMTEST_CODE_GPA + 1); /* after the nop */
	assert_true(t.res.insn_len >= 2);
	assert_int_equal(t.res.insn[0], 0x0f);
	assert_int_equal(t.res.insn[1], 0x0b);
	if (strcmp(accel, "emu") == 0) /* kvm sees a triple fault: the IDT is empty */
		assert_int_equal(t.res.vector, 6);
	vmtest_destroy(&t);
}

static void bad_selector_is_gp(void **state)
{
	const char *accel = accel_of(state);
	struct vmtest t;

	vmtest_create(&t, accel, 1, guest_gp, sizeof(guest_gp), NULL);
	vmtest_run(&t);
	assert_end(&t.res, VM_END_FAULT);
	assert_int_equal(t.res.rip, VMTEST_CODE_GPA + 4); /* mov %ax,%ds */
	if (strcmp(accel, "emu") == 0)
		assert_int_equal(t.res.vector, 13);
	vmtest_destroy(&t);
}

static void non_canonical_access_is_gp(void **state)
{
	const char *accel = accel_of(state);
	struct vmtest t;

	vmtest_create(&t, accel, 1, guest_noncanonical, sizeof(guest_noncanonical), NULL);
	vmtest_run(&t);
	assert_end(&t.res, VM_END_FAULT);
	assert_int_equal(t.res.rip, VMTEST_CODE_GPA + 10); /* mov (%rax),%rax */
	if (strcmp(accel, "emu") == 0)
		assert_int_equal(t.res.vector, 13);
	vmtest_destroy(&t);
}

static void runaway_loop_ends_by_timeout(void **state)
{
	struct vm_config cfg = { .timeout_ms = 200 };
	struct timespec a, b;
	struct vmtest t;
	long ms;

	vmtest_create(&t, accel_of(state), 1, guest_spin, sizeof(guest_spin), &cfg);
	clock_gettime(CLOCK_MONOTONIC, &a);
	vmtest_run(&t);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_end(&t.res, VM_END_TIMEOUT);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	assert_true(ms >= 200);
	assert_true(ms < 5000);
	vmtest_destroy(&t);
}

struct stopper {
	struct vm *vm;
	pthread_t target; /* signal this thread instead of calling vm_stop, if set */
	bool by_signal;
};

static struct vm *signal_vm; /* the SIGUSR2 handler's VM (test-only) */

static void on_sigusr2(int sig)
{
	(void)sig;
	vm_stop(signal_vm);
}

static void *stop_later(void *arg)
{
	struct stopper *s = arg;
	const struct timespec d = { .tv_nsec = 100 * 1000000 };

	nanosleep(&d, NULL);
	if (s->by_signal)
		pthread_kill(s->target, SIGUSR2);
	else
		vm_stop(s->vm);
	return NULL;
}

static void run_and_stop(void **state, bool by_signal)
{
	struct vm_config cfg = { .timeout_ms = 10000 };
	struct sigaction sa = { .sa_handler = on_sigusr2 }, old;
	struct stopper s = { .by_signal = by_signal, .target = pthread_self() };
	struct vmtest t;
	pthread_t th;

	vmtest_create(&t, accel_of(state), 1, guest_spin, sizeof(guest_spin), &cfg);
	s.vm = signal_vm = t.vm;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR2, &sa, &old), 0);
	assert_int_equal(pthread_create(&th, NULL, stop_later, &s), 0);
	vmtest_run(&t);
	pthread_join(th, NULL);
	sigaction(SIGUSR2, &old, NULL);
	assert_end(&t.res, VM_END_SIGNAL);
	vmtest_destroy(&t);
}

static void vm_stop_from_another_thread(void **state)
{
	run_and_stop(state, false);
}

static void vm_stop_from_a_signal_handler(void **state)
{
	run_and_stop(state, true);
}

static void unmapped_gpa_stops_with_the_address(void **state)
{
	struct vmtest t;

	vmtest_create(&t, accel_of(state), 1, guest_unmapped, sizeof(guest_unmapped), NULL);
	vmtest_run(&t);
	assert_end(&t.res, VM_END_ERROR);
	assert_non_null(strstr(t.res.detail, "0xd0000000"));
	assert_int_equal(t.res.rip, VMTEST_CODE_GPA + 5);
	vmtest_destroy(&t);
}

static void all_vcpus_halted_ends_the_vm(void **state)
{
	struct vmtest t;

	vmtest_create(&t, accel_of(state), 1, guest_halt, sizeof(guest_halt), NULL);
	vmtest_run(&t);
	assert_end(&t.res, VM_END_HALT);
	vmtest_destroy(&t);
}

/*
 * HLT after a spin of a few to a few tens of milliseconds: on emu the HLT
 * lands anywhere in a slice, also past its nominal end (the watcher ends
 * slices every 2 ms), and must still be HLT, not the end of a slice with the
 * guest going on to the ud2 after it.
 */
static void halt_after_a_spin_ends_the_vm(void **state)
{
	/* 21 spins of ~10-40 ms each on emu: one of them all but surely halts in an overrun */
	for (uint32_t spin = 1000000; spin <= 4000000; spin += 150000) {
		uint8_t code[] = {
			0xb9, 0, 0, 0, 0, /* 0: mov $spin,%ecx */
			0xff, 0xc9,       /* 5: dec %ecx */
			0x75, 0xfc,       /* 7: jnz 5 */
			0xf4,             /* 9: hlt */
			0x0f, 0x0b,       /* a: ud2 */
		};
		struct vmtest t;

		le32_put(code + 1, spin);
		vmtest_create(&t, accel_of(state), 1, code, sizeof(code), NULL);
		vmtest_run(&t);
		if (t.res.end != VM_END_HALT)
			fail_msg("%u spins: ended with %s (%s), want halt", spin,
				 vm_end_name(t.res.end), t.res.detail);
		vmtest_destroy(&t);
	}
}

static void two_vcpus_both_run(void **state)
{
	struct vm_config cfg = { .timeout_ms = 10000 };
	struct vmtest t;

	vmtest_create(&t, accel_of(state), 2, guest_smp, sizeof(guest_smp), &cfg);
	vmtest_run(&t);
	assert_end(&t.res, VM_END_EXIT);
	assert_int_equal(t.res.exit_value, 0);
	/* each wrote index + 1 at 0x300100 + 8 * index and its digit to the console */
	assert_int_equal(le64_get(t.mem.hva + 0x300100), 1);
	assert_int_equal(le64_get(t.mem.hva + 0x300108), 2);
	assert_int_equal(le32_get(t.mem.hva + 0x300000), 2);
	assert_int_equal(strlen(t.out), 2);
	assert_non_null(strchr(t.out, '0'));
	assert_non_null(strchr(t.out, '1'));
	vmtest_destroy(&t);
}

/* What vm_config.confine_thread saw: each call's role, thread and the guest's progress. */
static struct {
	pthread_mutex_t mu;
	size_t n;
	enum vm_thread_role role[8];
	pid_t tid[8];
	uint32_t guest_count[8]; /* the smp guest's counter at 0x300000 then: 0 = not run yet */
	const uint8_t *hva;
	int refuse; /* a role to refuse, or -1 */
} seen = { .mu = PTHREAD_MUTEX_INITIALIZER, .refuse = -1 };

static int record_role(enum vm_thread_role role, struct snp_err *err)
{
	/* a slow watcher: the guest threads, confined long before, must still wait for it */
	if (role == VM_THREAD_WATCHER)
		nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000 * 1000 }, NULL);
	pthread_mutex_lock(&seen.mu);
	if (seen.n < 8) {
		seen.role[seen.n] = role;
		seen.tid[seen.n] = (pid_t)syscall(SYS_gettid);
		seen.guest_count[seen.n] = le32_get(seen.hva + 0x300000);
		seen.n++;
	}
	pthread_mutex_unlock(&seen.mu);
	if ((int)role == seen.refuse)
		return snp_errf(err, SNP_E_SYS, "test: the %s role refused",
				role == VM_THREAD_WATCHER ? "watcher" : "vCPU");
	return 0;
}

/*
 * Every thread of the run confines itself in its role before the guest's
 * first instruction: the caller's thread once as the watcher, each guest
 * thread (kvm: one per vCPU; emu: one for both) as a vCPU thread.
 */
static void each_thread_confines_itself_before_the_guest_runs(void **state)
{
	const char *accel = accel_of(state);
	struct vm_config cfg = { .timeout_ms = 10000, .confine_thread = record_role };
	const pid_t self = (pid_t)syscall(SYS_gettid);
	size_t watchers = 0, vcpus = 0;
	struct vmtest t;

	vmtest_create(&t, accel, 2, guest_smp, sizeof(guest_smp), &cfg);
	seen.n = 0;
	seen.refuse = -1;
	seen.hva = t.mem.hva;
	vmtest_run(&t);
	assert_end(&t.res, VM_END_EXIT);
	assert_int_equal(le32_get(t.mem.hva + 0x300000), 2); /* then both ran */
	for (size_t i = 0; i < seen.n; i++) {
		assert_int_equal(seen.guest_count[i], 0);
		if (seen.role[i] == VM_THREAD_WATCHER) {
			assert_int_equal(seen.tid[i], self);
			watchers++;
		} else {
			assert_int_equal(seen.role[i], VM_THREAD_VCPU);
			assert_int_not_equal(seen.tid[i], self);
			for (size_t k = 0; k < i; k++)
				assert_int_not_equal(seen.tid[k], seen.tid[i]);
			vcpus++;
		}
	}
	assert_int_equal(watchers, 1);
	assert_int_equal(vcpus, strcmp(accel, "emu") == 0 ? 1 : 2);
	vmtest_destroy(&t);
}

/* A thread that cannot confine itself ends the run as the VMM's error; the guest never runs. */
static void unconfined_thread_ends_the_run(void **state)
{
	const enum vm_thread_role roles[] = { VM_THREAD_WATCHER, VM_THREAD_VCPU };

	for (size_t r = 0; r < 2; r++) {
		struct vm_config cfg = { .timeout_ms = 10000, .confine_thread = record_role };
		struct snp_err err = { 0 };
		struct vm_result res;
		struct vmtest t;

		vmtest_create(&t, accel_of(state), 2, guest_smp, sizeof(guest_smp), &cfg);
		seen.n = 0;
		seen.refuse = (int)roles[r];
		seen.hva = t.mem.hva;
		assert_int_equal(vm_run(t.vm, &res, &err), SNP_E_INTERNAL);
		if (!strstr(err.msg, "test: the") || !strstr(res.detail, "refused"))
			fail_msg("err '%s', detail '%s'", err.msg, res.detail);
		assert_int_equal(res.end, VM_END_ERROR);
		assert_int_equal(le32_get(t.mem.hva + 0x300000), 0);
		seen.refuse = -1;
		vmtest_destroy(&t);
	}
}

struct vm_thread_arg {
	const char *accel;
	const uint8_t *code;
	size_t len;
	struct vmtest t;
};

static void *run_one_vm(void *arg)
{
	struct vm_thread_arg *a = arg;

	vmtest_run(&a->t);
	return NULL;
}

static void two_vms_in_one_process(void **state)
{
	const char *accel = accel_of(state);
	struct vm_thread_arg a = { .code = guest_hello, .len = sizeof(guest_hello) };
	struct vm_thread_arg b = { .code = guest_exit42, .len = sizeof(guest_exit42) };
	pthread_t ta, tb;

	vmtest_create(&a.t, accel, 1, a.code, a.len, NULL);
	vmtest_create(&b.t, accel, 1, b.code, b.len, NULL);
	assert_int_equal(pthread_create(&ta, NULL, run_one_vm, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, run_one_vm, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	assert_end(&a.t.res, VM_END_EXIT);
	assert_end(&b.t.res, VM_END_EXIT);
	assert_int_equal(a.t.res.exit_value, 0);
	assert_int_equal(b.t.res.exit_value, 0x2a);
	assert_string_equal(a.t.out, "hi\n");
	assert_string_equal(b.t.out, "");
	assert_int_equal(b.t.res.serial_bytes, 0);
	vmtest_destroy(&a.t);
	vmtest_destroy(&b.t);
}

/* ---- CPUID (emu): the launch's CPUID page ---- */

#define CPUID_OUT 0x200000u

/* guest_cpuid's stores: 0x80000008 EAX..EDX, 1 EBX, 7.1 EBX, 0 EBX ECX EDX */
static void cpuid_run(const struct snp_cpuid_page *page, uint32_t out[9])
{
	struct vm_config cfg = { .cpuid = page };
	struct vmtest t;

	vmtest_create(&t, "emu", 1, guest_cpuid, sizeof(guest_cpuid), &cfg);
	vmtest_run(&t);
	assert_end(&t.res, VM_END_EXIT);
	for (int i = 0; i < 9; i++)
		out[i] = le32_get(t.mem.hva + CPUID_OUT + 4 * i);
	vmtest_destroy(&t);
}

static void emu_cpuid_returns_the_launch_page(void **state)
{
	struct snp_cpuid_page page = {
		.count = 3,
		.entries = {
			{ .eax_in = 0x80000008, .eax = 0x00003030, .ebx = 0x1234f000,
			  .ecx = 0x0000abcd, .edx = 0x00000042 },
			{ .eax_in = 1, .eax = 0x00a00f11, .ebx = 0xff000800, .ecx = 0xfef83203,
			  .edx = 0x178bfbff },
			{ .eax_in = 7, .ecx_in = 0, .ebx = 0xdeadbeef },
		},
	};
	uint32_t own[9], got[9];

	(void)state;
	vmtest_require("emu");
	cpuid_run(NULL, own); /* Unicorn's own CPU model */
	cpuid_run(&page, got);
	/* the page's leaf, its ECX ignored (not an indexed leaf) */
	assert_int_equal(got[0], 0x00003030);
	assert_int_equal(got[1], 0x1234f000);
	assert_int_equal(got[2], 0x0000abcd);
	assert_int_equal(got[3], 0x00000042);
	assert_int_not_equal(own[1], 0x1234f000);
	/* leaf 1: EBX[31:24] is the vCPU's APIC ID (0), the rest the page's */
	assert_int_equal(got[4], 0x00000800);
	/* leaf 7 sub-leaf 1 and leaf 0 are not in the page: Unicorn's values */
	assert_int_equal(got[5], own[5]);
	assert_int_not_equal(got[5], 0xdeadbeef);
	assert_int_equal(got[6], own[6]);
	assert_int_equal(got[7], own[7]);
	assert_int_equal(got[8], own[8]);
}

/* ---- the guest-request mailbox ---- */

#define REQ_PAGE 0x200000ull

struct fake_backend {
	int calls;
	uint8_t report_data[64];
	uint32_t vmpl;
	int fail; /* return this */
};

static int fake_report(void *ctx, const uint8_t report_data[64], uint32_t vmpl,
		       uint8_t report[SNP_REPORT_SIZE], struct snp_err *err)
{
	struct fake_backend *f = ctx;

	f->calls++;
	memcpy(f->report_data, report_data, 64);
	f->vmpl = vmpl;
	if (f->fail)
		return snp_errf(err, f->fail, "fake backend refuses");
	for (size_t i = 0; i < SNP_REPORT_SIZE; i++)
		report[i] = (uint8_t)(i * 7 + 1);
	return 0;
}

/* Runs guest_mailbox against REQ_GPA gpa with the request (version, vmpl); returns the status. */
static uint8_t mailbox_run(const char *accel, struct fake_backend *f, uint64_t gpa,
			   uint32_t version, uint32_t vmpl, struct vmtest *t)
{
	struct vm_config cfg = { .report = f ? fake_report : NULL, .report_ctx = f };

	vmtest_create(t, accel, 1, guest_mailbox, sizeof(guest_mailbox), &cfg);
	le64_put(t->mem.hva + 0x300000, gpa);
	le32_put(t->mem.hva + REQ_PAGE + MAILBOX_REQ_VERSION, version);
	le32_put(t->mem.hva + REQ_PAGE + MAILBOX_REQ_VMPL, vmpl);
	for (int i = 0; i < 64; i++)
		t->mem.hva[REQ_PAGE + MAILBOX_REQ_REPORT_DATA + i] = (uint8_t)(0xa0 + i);
	vmtest_run(t);
	assert_end(&t->res, VM_END_EXIT);
	return t->res.exit_value;
}

static void mailbox_passes_report_data_and_vmpl(void **state)
{
	const char *accel = accel_of(state);
	struct fake_backend f = { 0 };
	struct vmtest t;
	uint8_t want[64];

	assert_int_equal(mailbox_run(accel, &f, REQ_PAGE, 1, 2, &t), MAILBOX_ST_OK);
	assert_int_equal(f.calls, 1);
	assert_int_equal(f.vmpl, 2);
	for (int i = 0; i < 64; i++)
		want[i] = (uint8_t)(0xa0 + i);
	assert_memory_equal(f.report_data, want, 64);
	assert_int_equal(le32_get(t.mem.hva + REQ_PAGE + MAILBOX_RSP_REPORT_LEN), 0x4A0);
	assert_int_equal(t.mem.hva[REQ_PAGE + MAILBOX_RSP_REPORT], 1);
	assert_int_equal(t.mem.hva[REQ_PAGE + MAILBOX_RSP_REPORT + 0x49F], (uint8_t)(0x49F * 7 + 1));
	vmtest_destroy(&t);
}

static void mailbox_req_gpa_in_two_halves(void **state)
{
	const char *accel = accel_of(state);
	struct vm_config cfg = { .report = fake_report };
	struct fake_backend f = { 0 };
	struct vmtest t;

	cfg.report_ctx = &f;
	vmtest_create(&t, accel, 1, guest_mailbox_halves, sizeof(guest_mailbox_halves), &cfg);
	le32_put(t.mem.hva + REQ_PAGE + MAILBOX_REQ_VERSION, 1);
	vmtest_run(&t);
	assert_end(&t.res, VM_END_EXIT);
	assert_int_equal(t.res.exit_value, MAILBOX_ST_OK);
	assert_int_equal(f.calls, 1);
	assert_int_equal(le32_get(t.mem.hva + REQ_PAGE + MAILBOX_RSP_REPORT_LEN), 0x4A0);
	vmtest_destroy(&t);
}

static void mailbox_statuses(void **state)
{
	const char *accel = accel_of(state);
	struct fake_backend f = { 0 };
	struct vmtest t;

	/* a page past the end of RAM, one that straddles it, a wrapping GPA */
	assert_int_equal(mailbox_run(accel, &f, VMTEST_MEM_SIZE, 1, 0, &t), MAILBOX_ST_BAD_REQUEST);
	vmtest_destroy(&t);
	assert_int_equal(mailbox_run(accel, &f, VMTEST_MEM_SIZE - 0x800, 1, 0, &t),
			 MAILBOX_ST_BAD_REQUEST);
	vmtest_destroy(&t);
	assert_int_equal(mailbox_run(accel, &f, UINT64_MAX - 0x10, 1, 0, &t),
			 MAILBOX_ST_BAD_REQUEST);
	vmtest_destroy(&t);
	assert_int_equal(mailbox_run(accel, &f, REQ_PAGE, 1, 4, &t), MAILBOX_ST_BAD_REQUEST);
	vmtest_destroy(&t);
	assert_int_equal(mailbox_run(accel, &f, REQ_PAGE, 2, 0, &t), MAILBOX_ST_BAD_REQUEST);
	vmtest_destroy(&t);
	assert_int_equal(f.calls, 0); /* none of those reached the backend */
	f.fail = SNP_E_REFUSED;
	assert_int_equal(mailbox_run(accel, &f, REQ_PAGE, 1, 0, &t), MAILBOX_ST_BACKEND_FAILED);
	assert_int_equal(le32_get(t.mem.hva + REQ_PAGE + MAILBOX_RSP_REPORT_LEN), 0);
	vmtest_destroy(&t);
	assert_int_equal(mailbox_run(accel, NULL, REQ_PAGE, 1, 0, &t), MAILBOX_ST_NO_BACKEND);
	vmtest_destroy(&t);
}

/* ---- the report channel ---- */

struct chan_client {
	char path[100]; /* fits sockaddr_un.sun_path */
	uint8_t req[64];
	uint8_t got[8192];
	size_t n;
};

/* Connects, sends 64 bytes of REPORT_DATA and reads the answer until the VMM closes. */
static void *chan_client_fn(void *arg)
{
	struct chan_client *c = arg;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t r;

	memcpy(sa.sun_path, c->path, sizeof(c->path));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    send(fd, c->req, sizeof(c->req), MSG_NOSIGNAL) != (ssize_t)sizeof(c->req)) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while (c->n < sizeof(c->got) && (r = recv(fd, c->got + c->n, sizeof(c->got) - c->n, 0)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		c->n += (size_t)r;
	}
	close(fd);
	return NULL;
}

/* Runs guest code with the channel at a fresh socket and one client; returns the temp dir. */
static char *channel_run(const char *accel, const uint8_t *code, size_t len, struct fake_backend *f,
			 struct chan_client *c, struct vmtest *t)
{
	struct vm_config cfg = { .report = fake_report, .report_ctx = f, .timeout_ms = 20000 };
	char *dir = tmpdir_make();
	struct stat st;
	pthread_t th;

	snprintf(c->path, sizeof(c->path), "%s/report.sock", dir);
	for (int i = 0; i < 64; i++)
		c->req[i] = (uint8_t)(0x40 + i);
	cfg.channel_path = c->path;
	vmtest_create(t, accel, 1, code, len, &cfg);
	assert_int_equal(stat(c->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(pthread_create(&th, NULL, chan_client_fn, c), 0);
	vmtest_run(t);
	pthread_join(th, NULL);
	return dir;
}

static void report_channel_relays_the_guests_own_report(void **state)
{
	struct fake_backend f = { 0 };
	struct chan_client c = { 0 };
	struct vmtest t;
	uint8_t want[SNP_REPORT_SIZE];
	struct stat st;
	char *dir;

	dir = channel_run(accel_of(state), guest_channel, sizeof(guest_channel), &f, &c, &t);
	assert_end(&t.res, VM_END_EXIT);
	assert_int_equal(t.res.exit_value, 0);
	assert_int_equal(t.res.channel_requests, 1);
	/* the guest asked the backend with the client's REPORT_DATA at VMPL 0 */
	assert_int_equal(f.calls, 1);
	assert_memory_equal(f.report_data, c.req, 64);
	assert_int_equal(f.vmpl, 0);
	for (size_t i = 0; i < SNP_REPORT_SIZE; i++)
		want[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(c.n, SNP_REPORT_SIZE);
	assert_memory_equal(c.got, want, SNP_REPORT_SIZE);
	vmtest_destroy(&t);
	assert_int_not_equal(stat(c.path, &st), 0); /* removed with the VM */
	rm_rf(dir);
	free(dir);
}

static void report_channel_never_makes_up_a_report(void **state)
{
	struct fake_backend f = { 0 };
	struct chan_client c = { 0 };
	struct vmtest t;
	char *dir;

	/* this guest answers without asking the mailbox and without a length */
	dir = channel_run(accel_of(state), guest_channel_liar, sizeof(guest_channel_liar), &f, &c, &t);
	assert_end(&t.res, VM_END_EXIT);
	assert_int_equal(t.res.exit_value, 0);
	assert_int_equal(f.calls, 0);
	assert_int_equal(c.n, 0);
	vmtest_destroy(&t);
	rm_rf(dir);
	free(dir);
}

static void report_channel_refuses_an_existing_path(void **state)
{
	const char *accel = accel_of(state);
	struct snp_err err = { 0 };
	struct guest_mem mem;
	struct vm *vm = NULL;
	char *dir = tmpdir_make(), path[256];
	struct vm_config cfg = { .accel = accel, .vcpus = 1, .console_fd = -1, .channel_path = path };
	FILE *fp;

	snprintf(path, sizeof(path), "%s/taken", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(guest_mem_alloc(&mem, VMTEST_MEM_SIZE, &err), 0);
	assert_int_equal(vm_create(&cfg, &mem, &vm, &err), SNP_E_SYS);
	assert_null(vm);
	assert_non_null(strstr(err.msg, "report-channel"));
	assert_non_null(strstr(err.msg, path));
	guest_mem_free(&mem);
	rm_rf(dir);
	free(dir);
}

#define ACCEL_TESTS(accel)                                                              \
	cmocka_unit_test_prestate(serial_output_reaches_console, accel),                \
	cmocka_unit_test_prestate(string_port_output_is_one_byte_per_item, accel),      \
	cmocka_unit_test_prestate(debug_exit_value_is_reported, accel),                 \
	cmocka_unit_test_prestate(unclaimed_ports_read_all_ones_and_guest_goes_on, accel), \
	cmocka_unit_test_prestate(ud2_faults_with_vector_rip_and_bytes, accel),         \
	cmocka_unit_test_prestate(bad_selector_is_gp, accel),                           \
	cmocka_unit_test_prestate(non_canonical_access_is_gp, accel),                   \
	cmocka_unit_test_prestate(runaway_loop_ends_by_timeout, accel),                 \
	cmocka_unit_test_prestate(vm_stop_from_another_thread, accel),                  \
	cmocka_unit_test_prestate(vm_stop_from_a_signal_handler, accel),                \
	cmocka_unit_test_prestate(unmapped_gpa_stops_with_the_address, accel),          \
	cmocka_unit_test_prestate(all_vcpus_halted_ends_the_vm, accel),                 \
	cmocka_unit_test_prestate(two_vcpus_both_run, accel),                           \
	cmocka_unit_test_prestate(halt_after_a_spin_ends_the_vm, accel),                \
	cmocka_unit_test_prestate(each_thread_confines_itself_before_the_guest_runs, accel), \
	cmocka_unit_test_prestate(unconfined_thread_ends_the_run, accel),               \
	cmocka_unit_test_prestate(two_vms_in_one_process, accel),                       \
	cmocka_unit_test_prestate(mailbox_passes_report_data_and_vmpl, accel),          \
	cmocka_unit_test_prestate(mailbox_req_gpa_in_two_halves, accel),               \
	cmocka_unit_test_prestate(mailbox_statuses, accel),                            \
	cmocka_unit_test_prestate(report_channel_relays_the_guests_own_report, accel),  \
	cmocka_unit_test_prestate(report_channel_never_makes_up_a_report, accel),       \
	cmocka_unit_test_prestate(report_channel_refuses_an_existing_path, accel)

int main(void)
{
	static char emu[] = "emu", kvm[] = "kvm";
	const struct CMUnitTest emu_tests[] = { ACCEL_TESTS(emu),
						cmocka_unit_test(emu_cpuid_returns_the_launch_page) };
	const struct CMUnitTest kvm_tests[] = { ACCEL_TESTS(kvm) };
	int failed = 0;

	failed += cmocka_run_group_tests_name("launcher/vm on emu", emu_tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("launcher/vm on kvm", kvm_tests, NULL, NULL);
	return failed;
}
