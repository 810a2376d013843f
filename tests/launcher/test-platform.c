/*
 * The platform devices (fw_cfg, i440FX PCI host, PIIX4 PM timer, CMOS, the
 * reset ports) driven by the tests/guests platform-* guests through `snpvm
 * launch` on the sim backend, on emu (kvm where /dev/kvm works, skipped with
 * the reason otherwise). Expected values come from the spec and QEMU's
 * pc machine for a 64 MiB, 1-vCPU VM, never from snpvm's own output; the
 * probe guest's output is also compared line for line with QEMU `-M pc`
 * (skipped, saying so, without qemu-system-x86_64).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "abi/endian.h"
#include "launcher/dev-fw-cfg.h"
#include "tests/common/testutil.h"
#include "tests/common/vmtest.h"
#include "tests/sim/simtest.h"
#include "util/file.h"

/*
 * 64 MiB: CMOS 0x15/0x16 = 640 KiB; 0x17/0x18 and 0x30/0x31 = 64512 KiB above 1 MiB
 * (0xfc00); 0x34/0x35 = 768 64-KiB units above 16 MiB (0x300); nothing above 4 GiB.
 * e820: one RAM entry 0..64 MiB. fw_cfg ID 3 (traditional + DMA). 00:00.0 8086:1237.
 */
static const char probe_want[] =
	"fw_cfg signature QEMU\n"
	"fw_cfg id 0x3\n"
	"fw_cfg dma port reads QEMU CFG\n"
	"e820 ram 0x0 0x4000000\n"
	"fw_cfg dma matches io\n"
	"pci 00:00.0 id 0x12378086\n"
	"pci 00:00.0 class 0x60000\n"
	"pci 00:01.3 id 0x71138086\n"
	"pci 00:05.0 id 0xffffffff\n"
	"cmos 0x15 0x80\ncmos 0x16 0x2\ncmos 0x17 0x0\ncmos 0x18 0xfc\n"
	"cmos 0x30 0x0\ncmos 0x31 0xfc\ncmos 0x34 0x0\ncmos 0x35 0x3\n"
	"cmos 0x5b 0x0\ncmos 0x5c 0x0\ncmos 0x5d 0x0\n"
	"pm timer runs forward\n"
	"platform-probe: done\n";

static char *simdir;

static int setup(void **state)
{
	(void)state;
	simdir = simtest_dir(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rm_rf(simdir);
	free(simdir);
	return 0;
}

static void require_accel(const char *accel)
{
	int fd;

	if (strcmp(accel, "kvm") != 0)
		return;
	if ((fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0) {
		print_message("[  SKIP    ] no usable /dev/kvm on this machine: the kvm accelerator is not tested here\n");
		skip();
	}
	close(fd);
}

/* `snpvm launch` of guest with cmdline on accel; the result in r. */
static void launch(const char *accel, const char *guest, const char *cmdline, struct run_result *r)
{
	char text[4096], path[1200];
	const char *argv[] = { "launch", path, "--accel", accel, "--timeout", "60", NULL };
	struct snp_err err = { 0 };

	require_accel(accel);
	snprintf(text, sizeof(text),
		 "{\"backend\": \"sim\", \"payload\": \"%s\", \"vcpus\": 1, \"vcpu_type\": \"EPYC-v4\", "
		 "\"memory_mib\": 64, \"guest_policy\": {\"smt\": true}, \"sim_dir\": \"%s\", "
		 "\"console\": \"stdout\", \"cmdline\": \"%s\"}",
		 tguest_abs_path(guest), simdir, cmdline);
	snprintf(path, sizeof(path), "%s/platform.json", simdir);
	if (file_write_atomic(path, text, strlen(text), 0644, &err) != 0)
		fail_msg("%s", err.msg);
	run_snpvm(argv, NULL, r);
}

static void probe_reads_what_qemu_pc_gives(void **state)
{
	struct run_result r;

	launch(*state, "platform-probe", "", &r);
	if (r.status != 0)
		fail_msg("status %d: %s", r.status, r.err);
	assert_string_equal(r.out, probe_want);
	run_result_free(&r);
}

static void hostile_values_are_refused_and_guest_goes_on(void **state)
{
	struct run_result r;

	launch(*state, "platform-hostile", "end=0", &r);
	if (r.status != 0)
		fail_msg("status %d: %s%s", r.status, r.out, r.err);
	assert_string_equal(r.out,
			    "platform-hostile: every hostile value refused, guest still running\n");
	run_result_free(&r);
}

static void dma_descriptor_outside_ram_stops_the_vm(void **state)
{
	struct run_result r;

	launch(*state, "platform-hostile", "end=1", &r);
	assert_int_equal(r.status, 5);
	assert_non_null(strstr(r.err, "fw_cfg DMA descriptor at 0xc0000000 is not in guest RAM"));
	run_result_free(&r);
}

static void expect_reset(const char *accel, const char *how, const char *msg)
{
	char cmd[32];
	struct run_result r;

	snprintf(cmd, sizeof(cmd), "how=%s", how);
	launch(accel, "platform-reset", cmd, &r);
	assert_int_equal(r.status, 5); /* docs/launcher.md: the VMM stopped it */
	if (!strstr(r.err, msg))
		fail_msg("how=%s: want \"%s\" in: %s", how, msg, r.err);
	run_result_free(&r);
}

static void reset_ports_end_the_vm(void **state)
{
	expect_reset(*state, "cf9", "reset (0x06 to port 0xcf9)");
	expect_reset(*state, "kbd", "reset (0xfe to port 0x64)");
	expect_reset(*state, "s5", "power off (ACPI SLP_TYP 0)");
	expect_reset(*state, "s3", "suspend (S3)");
}


/*
 * The measured direct boot items, read by fw_cfg DMA as OVMF's
 * QemuKernelLoaderFsDxe does: a synthetic bzImage with setup_sects 3 at
 * 0x1f1 must come back as setup = its first (3 + 1) * 512 bytes and kernel =
 * the rest (Linux boot protocol, Documentation/arch/x86/boot.rst; QEMU
 * x86_load_linux under SEV), the cmdline with its NUL, the initrd as is.
 */
#define NITEMS 8
#define DESC_GPA 0x200000ull
#define BUF_GPA 0x210000ull
#define BUF_MAX 0x8000u

static void kernel_items_are_the_files_split_as_qemu_does(void **state)
{
	static const uint16_t keys[NITEMS] = {
		FW_CFG_SETUP_SIZE, FW_CFG_SETUP_DATA, FW_CFG_KERNEL_SIZE, FW_CFG_KERNEL_DATA,
		FW_CFG_CMDLINE_SIZE, FW_CFG_CMDLINE_DATA, FW_CFG_INITRD_SIZE, FW_CFG_INITRD_DATA,
	};
	static const char cmdline[] = "console=ttyS0 quiet";
	uint8_t kernel[8192], initrd[3000], code[NITEMS * 10 + 4], le[4];
	struct vm_config cfg = { 0 };
	const uint8_t *want[NITEMS];
	size_t want_len[NITEMS], n = 0;
	struct vmtest t;

	for (size_t i = 0; i < sizeof(kernel); i++)
		kernel[i] = (uint8_t)(i * 7 + 1);
	kernel[0x1f1] = 3;
	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i * 13 + 5);
	cfg.kernel = kernel;
	cfg.kernel_len = sizeof(kernel);
	cfg.initrd = initrd;
	cfg.initrd_len = sizeof(initrd);
	cfg.kernel_cmdline = cmdline;
	for (unsigned i = 0; i < NITEMS; i++) {
		uint32_t gpa = (uint32_t)(DESC_GPA + 16 * i);

		code[n++] = 0x66; code[n++] = 0xba; code[n++] = 0x18; code[n++] = 0x05; /* mov $0x518,%dx */
		code[n++] = 0xb8; /* mov $be32(gpa),%eax */
		code[n++] = (uint8_t)(gpa >> 24); code[n++] = (uint8_t)(gpa >> 16);
		code[n++] = (uint8_t)(gpa >> 8); code[n++] = (uint8_t)gpa;
		code[n++] = 0xef; /* out %eax,(%dx) */
	}
	code[n++] = 0x31; code[n++] = 0xc0; code[n++] = 0xe6; code[n++] = 0xf4; /* exit 0 */
	vmtest_require(*state);
	vmtest_create(&t, *state, 1, code, n, &cfg);
	for (unsigned i = 0; i < NITEMS; i++) {
		uint8_t *d = guest_mem_hva(&t.mem, DESC_GPA + 16 * i, 16);
		uint8_t *b = guest_mem_hva(&t.mem, BUF_GPA + (uint64_t)BUF_MAX * i, BUF_MAX);

		assert_non_null(d);
		assert_non_null(b);
		memset(b, 0xee, BUF_MAX);
		be32_put(d, (uint32_t)keys[i] << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ);
		be32_put(d + 4, BUF_MAX);
		be32_put(d + 8, 0);
		be32_put(d + 12, (uint32_t)(BUF_GPA + (uint64_t)BUF_MAX * i));
	}
	vmtest_run(&t);
	assert_int_equal(t.res.end, VM_END_EXIT);
	assert_int_equal(t.res.exit_value, 0);
	want[0] = NULL; want_len[0] = 2048;
	want[1] = kernel; want_len[1] = 2048;
	want[2] = NULL; want_len[2] = sizeof(kernel) - 2048;
	want[3] = kernel + 2048; want_len[3] = sizeof(kernel) - 2048;
	want[4] = NULL; want_len[4] = sizeof(cmdline); /* strlen + 1 */
	want[5] = (const uint8_t *)cmdline; want_len[5] = sizeof(cmdline);
	want[6] = NULL; want_len[6] = sizeof(initrd);
	want[7] = initrd; want_len[7] = sizeof(initrd);
	for (unsigned i = 0; i < NITEMS; i++) {
		const uint8_t *d = guest_mem_hva(&t.mem, DESC_GPA + 16 * i, 16);
		const uint8_t *b = guest_mem_hva(&t.mem, BUF_GPA + (uint64_t)BUF_MAX * i, BUF_MAX);

		if (be32_get(d) != 0)
			fail_msg("key 0x%x: DMA control 0x%x, want 0", keys[i], be32_get(d));
		if (!want[i]) {
			le32_put(le, (uint32_t)want_len[i]);
			if (memcmp(b, le, 4) != 0 || b[4] != 0)
				fail_msg("key 0x%x: size %u, want %zu", keys[i], le32_get(b), want_len[i]);
			continue;
		}
		if (memcmp(b, want[i], want_len[i]) != 0)
			fail_msg("key 0x%x: data differs from the file", keys[i]);
		if (b[want_len[i]] != 0) /* past the item's end: zeros */
			fail_msg("key 0x%x: byte past the end is 0x%x, want 0", keys[i], b[want_len[i]]);
	}
	vmtest_destroy(&t);
}

static int have_qemu(void)
{
	return system("command -v qemu-system-x86_64 >/dev/null 2>&1") == 0;
}

/* The same probe under QEMU -M pc (TCG, 64 MiB): the same lines, debug-exit 0 -> status 1. */
static void probe_matches_qemu_pc(void **state)
{
	char kernel[4096];
	const char *argv[] = {
		"timeout", "60", "qemu-system-x86_64", "-M", "pc", "-accel", "tcg", "-m", "64",
		"-nodefaults", "-display", "none", "-no-reboot", "-device",
		"isa-debug-exit,iobase=0xf4,iosize=1", "-serial", "stdio", "-kernel", kernel, NULL,
	};
	struct run_result q;

	(void)state;
	if (!have_qemu()) {
		print_message("[  SKIP    ] qemu-system-x86_64 is not installed: no QEMU differential\n");
		skip();
	}
	snprintf(kernel, sizeof(kernel), "%s", tguest_path("platform-probe"));
	run_cmd(argv, NULL, &q);
	assert_int_equal(q.status, 1);
	assert_string_equal(q.out, probe_want);
	run_result_free(&q);
}

int main(void)
{
	static const char emu[] = "emu", kvm[] = "kvm";
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate(probe_reads_what_qemu_pc_gives, (void *)emu),
		cmocka_unit_test_prestate(hostile_values_are_refused_and_guest_goes_on, (void *)emu),
		cmocka_unit_test_prestate(dma_descriptor_outside_ram_stops_the_vm, (void *)emu),
		cmocka_unit_test_prestate(reset_ports_end_the_vm, (void *)emu),
		cmocka_unit_test_prestate(probe_reads_what_qemu_pc_gives, (void *)kvm),
		cmocka_unit_test_prestate(hostile_values_are_refused_and_guest_goes_on, (void *)kvm),
		cmocka_unit_test_prestate(reset_ports_end_the_vm, (void *)kvm),
		cmocka_unit_test_prestate(kernel_items_are_the_files_split_as_qemu_does, (void *)emu),
		cmocka_unit_test_prestate(kernel_items_are_the_files_split_as_qemu_does, (void *)kvm),
		cmocka_unit_test(probe_matches_qemu_pc),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
