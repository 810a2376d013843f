/*
 * launcher/snp-exits.c through the fake KVM: a KVM_HC_MAP_GPA_RANGE
 * hypercall flips the range's memory attribute (both ways) and answers 0, a
 * malformed or non-RAM private request answers an error to the guest and
 * changes nothing; KVM_EXIT_MEMORY_FAULT converts to the faulting kind and
 * a fault that keeps repeating is an error; KVM_SYSTEM_EVENT_SEV_TERM yields
 * the GHCB reason set and code; other exits are left to the run loop. These
 * exits cannot run here (no SNP hardware): the kvm_run contents are built by
 * hand as api.rst describes them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "launcher/backend.h"
#include "launcher/guest-mem.h"
#include "launcher/kvm-compat.h"
#include "launcher/snp-exits.h"
#include "tests/launcher/fake-kvm.h"
#include "tests/sim/simtest.h"

struct env {
	char *dir;
	struct sim_sp *sp;
	struct fake_kvm fk;
	struct guest_mem mem;
	struct sev_backend be;
	struct kvm_run *run;
	struct snp_exit_state st;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct snp_err err = { 0 };
	struct snp_backend_opts o = { .kvm = &e->fk.ops, .mem = &e->mem, .vcpus = 1,
				      .guest_features = 1 };

	e->sp = fake_kvm_sim_open(&e->dir);
	fake_kvm_init(&e->fk, e->sp);
	assert_int_equal(guest_mem_alloc(&e->mem, 4ull << 20, &err), 0);
	if (backend_snp_open(&o, &e->be, &err) != 0)
		fail_msg("%s (fake: %s)", err.msg, e->fk.why);
	e->run = calloc(1, sizeof(*e->run));
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	e->be.ops->close(&e->be);
	assert_int_equal(e->fk.nopen, 0);
	fake_kvm_fini(&e->fk);
	guest_mem_free(&e->mem);
	fake_kvm_sim_close(e->sp, e->dir);
	free(e->run);
	free(e);
	return 0;
}

/* The fake's private attribute of the page at gpa in guest RAM (slot 0). */
static int is_private(const struct env *e, uint64_t gpa)
{
	return e->fk.slot[0].priv[gpa / 4096];
}

static enum snp_exit_action handle(struct env *e, int run_errno, int want_ret)
{
	enum snp_exit_action act = SNP_EXIT_NOT_MINE;
	struct snp_err err = { 0 };

	if (snp_exit_handle(&e->be, &e->mem, &e->st, e->run, sizeof(*e->run), run_errno, &act,
			    &err) != want_ret)
		fail_msg("snp_exit_handle: %s", err.msg);
	return act;
}

static void hypercall(struct env *e, uint64_t gpa, uint64_t npages, uint64_t attrs)
{
	memset(e->run, 0, sizeof(*e->run));
	e->run->exit_reason = KVM_EXIT_HYPERCALL;
	e->run->hypercall.nr = KVM_HC_MAP_GPA_RANGE;
	e->run->hypercall.args[0] = gpa;
	e->run->hypercall.args[1] = npages;
	e->run->hypercall.args[2] = attrs;
	e->run->hypercall.ret = 0xdead;
}

static void map_gpa_range_converts(void **state)
{
	struct env *e = *state;

	assert_true(is_private(e, 0x100000)); /* all RAM starts private */
	hypercall(e, 0x100000, 4, KVM_MAP_GPA_RANGE_PAGE_SZ_4K); /* to shared */
	assert_int_equal(handle(e, 0, 0), SNP_EXIT_HANDLED);
	assert_int_equal(e->run->hypercall.ret, 0);
	for (uint64_t g = 0x100000; g < 0x104000; g += 4096)
		assert_false(is_private(e, g));
	assert_true(is_private(e, 0x104000));
	assert_true(is_private(e, 0xff000));
	hypercall(e, 0x100000, 2, KVM_MAP_GPA_RANGE_ENCRYPTED); /* back to private, in part */
	assert_int_equal(handle(e, 0, 0), SNP_EXIT_HANDLED);
	assert_int_equal(e->run->hypercall.ret, 0);
	assert_true(is_private(e, 0x101000));
	assert_false(is_private(e, 0x102000));
}

static void map_gpa_range_refusals_reach_the_guest(void **state)
{
	struct env *e = *state;
	const struct {
		uint64_t gpa, npages, attrs;
	} bad[] = {
		{ 0x100800, 1, 0 },                            /* not page-aligned */
		{ 0x100000, 0, 0 },                            /* no pages */
		{ 0xfffffffffffff000ull, 2, 0 },               /* wraps */
		{ 0x100000, 1, 3 },                            /* page-size hint 3 */
		{ 0x100000, 1, 0x100 },                        /* unknown attribute bit */
		{ 0x3ff000, 2, KVM_MAP_GPA_RANGE_ENCRYPTED },  /* private beyond RAM */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hypercall(e, bad[i].gpa, bad[i].npages, bad[i].attrs);
		assert_int_equal(handle(e, 0, 0), SNP_EXIT_HANDLED);
		assert_int_equal(e->run->hypercall.ret, (uint64_t)-EINVAL);
	}
	assert_true(is_private(e, 0x100000));
	assert_true(is_private(e, 0x3ff000));
	/* MMIO to shared: accepted, nothing to do (as QEMU) */
	hypercall(e, 0xfeb00000, 1, 0);
	assert_int_equal(handle(e, 0, 0), SNP_EXIT_HANDLED);
	assert_int_equal(e->run->hypercall.ret, 0);
	/* KVM refusing the attribute change is the VMM's failure, named */
	e->fk.fail[0] = (struct fake_kvm_fail){ KVM_SET_MEMORY_ATTRIBUTES, 0, 2, 0, ENOMEM, 0 };
	hypercall(e, 0x100000, 1, 0);
	assert_int_equal(handle(e, 0, SNP_E_NOMEM), SNP_EXIT_NOT_MINE);
}

static void memory_fault_converts_once(void **state)
{
	struct env *e = *state;
	struct snpvm_kvm_memory_fault f = { .flags = 0, .gpa = 0x200010, .size = 8 };

	memset(e->run, 0, sizeof(*e->run));
	e->run->exit_reason = KVM_EXIT_MEMORY_FAULT;
	memcpy((uint8_t *)e->run + SNPVM_KVM_RUN_EXIT_OFF, &f, sizeof(f));
	assert_int_equal(handle(e, EFAULT, 0), SNP_EXIT_HANDLED);
	assert_false(is_private(e, 0x200000));
	assert_true(is_private(e, 0x201000));
	f.flags = KVM_MEMORY_EXIT_FLAG_PRIVATE;
	memcpy((uint8_t *)e->run + SNPVM_KVM_RUN_EXIT_OFF, &f, sizeof(f));
	assert_int_equal(handle(e, EFAULT, 0), SNP_EXIT_HANDLED);
	assert_true(is_private(e, 0x200000));
	/* the same fault again and again: the conversion does not help, stop */
	for (int i = 1; i < SNP_EXIT_MAX_REPEATS; i++)
		assert_int_equal(handle(e, EFAULT, 0), SNP_EXIT_HANDLED);
	assert_int_equal(handle(e, EFAULT, SNP_E_STATE), SNP_EXIT_NOT_MINE);
	/* without EFAULT from KVM_RUN it is not a memory fault exit */
	e->st = (struct snp_exit_state){ 0 };
	assert_int_equal(handle(e, 0, 0), SNP_EXIT_NOT_MINE);
}

static void sev_term_reports_the_reason(void **state)
{
	struct env *e = *state;

	memset(e->run, 0, sizeof(*e->run));
	e->run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	e->run->system_event.type = KVM_SYSTEM_EVENT_SEV_TERM;
	e->run->system_event.ndata = 1;
	/* GHCB MSR termination request: reason set 1, code 3, request code 0x100 */
	e->run->system_event.data[0] = (3ull << 16) | (1ull << 12) | 0x100;
	assert_int_equal(handle(e, 0, 0), SNP_EXIT_TERMINATED);
	assert_int_equal(e->st.term_set, 1);
	assert_int_equal(e->st.term_code, 3);
	/* other exits are the ordinary run loop's */
	e->run->system_event.type = KVM_SYSTEM_EVENT_SHUTDOWN;
	assert_int_equal(handle(e, 0, 0), SNP_EXIT_NOT_MINE);
	e->run->exit_reason = KVM_EXIT_HYPERCALL;
	e->run->hypercall.nr = 11;
	assert_int_equal(handle(e, 0, 0), SNP_EXIT_NOT_MINE);
	e->run->exit_reason = KVM_EXIT_IO;
	assert_int_equal(handle(e, 0, 0), SNP_EXIT_NOT_MINE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(map_gpa_range_converts, setup, teardown),
		cmocka_unit_test_setup_teardown(map_gpa_range_refusals_reach_the_guest, setup,
						teardown),
		cmocka_unit_test_setup_teardown(memory_fault_converts_once, setup, teardown),
		cmocka_unit_test_setup_teardown(sev_term_reports_the_reason, setup, teardown),
	};

	return cmocka_run_group_tests_name("launcher/snp-exits", tests, NULL, NULL);
}
