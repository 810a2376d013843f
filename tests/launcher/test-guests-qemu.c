/*
 * The test guests on a reference VMM: QEMU's microvm machine with TCG boots
 * each ELF through its PVH note (tests/guests/lib/pvh.S) with QEMU's own
 * isa-debug-exit at 0xf4, so a guest that writes v exits QEMU with (v << 1) | 1
 * (QEMU hw/misc/debugexit.c). What the guests print and how they end here is
 * the baseline snpvm launch is compared against. Skips, saying so, where
 * qemu-system-x86_64 is not installed.
 *
 * smp runs on two vCPUs: PVH enters the bootstrap processor alone, which then
 * starts the other with INIT-SIPI-SIPI (tests/guests/lib/pvh.c); the count
 * comes from -append "vcpus=2", as snpvm's boot parameters give it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/common/testutil.h"

#define QEMU "qemu-system-x86_64"

static int have_qemu(void)
{
	const char *path = getenv("PATH");
	char buf[4096];

	while (path && *path) {
		const char *end = strchr(path, ':');
		int n = end ? (int)(end - path) : (int)strlen(path);

		snprintf(buf, sizeof(buf), "%.*s/" QEMU, n, path);
		if (access(buf, X_OK) == 0)
			return 1;
		path = end ? end + 1 : NULL;
	}
	return 0;
}

/*
 * Boots guest under QEMU microvm/TCG on vcpus vCPUs (told to the guest with
 * -append "vcpus=N") with serial on stdout; a hung guest is killed after 60 s.
 */
static void qemu_guest(const char *guest, unsigned vcpus, struct run_result *res)
{
	char kernel[4096], smp[16], append[32];
	const char *argv[] = {
		"timeout", "60", QEMU, "-M", "microvm", "-accel", "tcg", "-smp", smp, "-nodefaults",
		"-display", "none", "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=1",
		"-serial", "stdio", "-append", append, "-kernel", kernel, NULL,
	};

	if (!have_qemu()) {
		print_message("[  SKIP    ] " QEMU " is not installed: the QEMU baseline of the test guests is not run\n");
		skip();
	}
	snprintf(kernel, sizeof(kernel), "%s", tguest_path(guest));
	snprintf(smp, sizeof(smp), "%u", vcpus);
	snprintf(append, sizeof(append), "vcpus=%u", vcpus);
	if (access(kernel, R_OK) != 0)
		fail_msg("%s missing: `make test` builds the guests", kernel);
	run_cmd(argv, NULL, res);
}

/* (value << 1) | 1: QEMU's exit status for a debug-exit write of value. */
#define QEMU_DEBUG_EXIT(v) (((v) << 1) | 1)

/* Runs guest on one vCPU: exactly this output, this debug-exit value. */
static void expect_qemu(const char *guest, const char *out, int exit_value)
{
	struct run_result r;

	qemu_guest(guest, 1, &r);
	assert_string_equal(r.out, out);
	assert_int_equal(r.status, QEMU_DEBUG_EXIT(exit_value));
	run_result_free(&r);
}

static void qemu_hello_prints_and_exits_0(void **state)
{
	(void)state;
	expect_qemu("hello", "hello from snpvm guest\n", 0);
}

static void qemu_bad_port_reads_all_ones_and_continues(void **state)
{
	(void)state;
	expect_qemu("bad-port", "bad-port: unclaimed port reads all-ones, guest still running\n", 0);
}

/* Both vCPUs report in, in either order; the last one says all are in. */
static void qemu_smp_two_vcpus_report_in(void **state)
{
	struct run_result r;

	(void)state;
	qemu_guest("smp", 2, &r);
	print_message("smp under QEMU printed:\n%s", r.out);
	assert_non_null(strstr(r.out, "vcpu 0 in\n"));
	assert_non_null(strstr(r.out, "vcpu 1 in\n"));
	assert_true(strstr(r.out, "all 2 vcpus in, last vcpu 0\n") ||
		    strstr(r.out, "all 2 vcpus in, last vcpu 1\n"));
	assert_int_equal(strlen(r.out), strlen("vcpu 0 in\nvcpu 1 in\nall 2 vcpus in, last vcpu 0\n"));
	assert_int_equal(r.status, QEMU_DEBUG_EXIT(0));
	run_result_free(&r);
}

/*
 * ud2 with no IDT: #UD, then #DF, then a triple fault; with -no-reboot QEMU
 * exits 0 without a debug-exit write. The guest never prints past the ud2.
 */
static void qemu_ud_faults_before_continuing(void **state)
{
	struct run_result r;

	(void)state;
	qemu_guest("ud", 1, &r);
	assert_string_equal(r.out, "ud: executing ud2\n");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(qemu_hello_prints_and_exits_0),
		cmocka_unit_test(qemu_bad_port_reads_all_ones_and_continues),
		cmocka_unit_test(qemu_smp_two_vcpus_report_in),
		cmocka_unit_test(qemu_ud_faults_before_continuing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
