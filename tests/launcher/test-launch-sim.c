/*
 * `snpvm launch` end to end on the sim backend: the report test guest asks
 * the guest-request mailbox for a report; that report verifies with
 * `snpvm verify --trust-sim-root` against the verifier policy `snpvm measure
 * --verifier-policy` derives from the same policy file, and its MEASUREMENT
 * is `snpvm measure POLICY.json`. On emu always; on kvm where /dev/kvm works
 * (skipped with the reason otherwise). Misbehaving guests end with the
 * documented exit status (docs/launcher.md). A firmware launch (launch-only)
 * gives the digest `snpvm measure --mode snp` computes from sev-snp-measure's
 * flags: the same plan, an independent way in.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/provider.h"
#include "tests/common/testutil.h"
#include "tests/common/vmtest.h"
#include "tests/sim/simtest.h"
#include "util/file.h"
#include "util/hex.h"

#define REPORT_SIZE 0x4A0
#define MEASUREMENT_OFF 0x90
#define HOST_DATA_OFF 0xC0

struct env {
	char *dir; /* a sim state directory; policies, reports and the guest copy live beside it */
	char path[1200];
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	e->dir = simtest_dir(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	rm_rf(e->dir);
	free(e->dir);
	free(e);
	return 0;
}

/* Writes <dir>/<name>.json with the guest's absolute path and extra keys; returns its path. */
static const char *policy(struct env *e, const char *name, const char *image_key,
			  const char *image, const char *extra)
{
	char text[4096];
	struct snp_err err = { 0 };

	snprintf(text, sizeof(text),
		 "{\"backend\": \"sim\", \"%s\": \"%s\", \"vcpus\": 1, \"vcpu_type\": \"EPYC-v4\", "
		 "\"memory_mib\": 64, \"guest_policy\": {\"debug\": false, \"smt\": true}, "
		 "\"host_data\": \"policy-digest\", \"sim_dir\": \"%s\", \"console\": \"stdout\"%s}",
		 image_key, image, e->dir, extra ? extra : "");
	snprintf(e->path, sizeof(e->path), "%s/%s.json", e->dir, name);
	if (file_write_atomic(e->path, text, strlen(text), 0644, &err) != 0)
		fail_msg("%s", err.msg);
	return e->path;
}

static bool kvm_usable(const char **why)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		*why = "no usable /dev/kvm on this machine: the kvm accelerator is not tested here";
		return false;
	}
	close(fd);
	return true;
}

/* Runs `snpvm launch` (argv) of the report guest; the REPORT line's bytes go to report and rep. */
static void run_report_guest(const char *const *argv, const char *accel, const char *rep,
			     uint8_t report[REPORT_SIZE])
{
	static char hex[2 * REPORT_SIZE + 1];
	struct snp_err err = { 0 };
	struct run_result r;
	const char *line;

	run_snpvm(argv, NULL, &r);
	if (r.status != 0)
		fail_msg("launch: status %d: %s", r.status, r.err);
	line = strstr(r.out, "REPORT:");
	assert_non_null(line);
	assert_true(strlen(line + 7) >= 2 * REPORT_SIZE + 1);
	assert_int_equal(line[7 + 2 * REPORT_SIZE], '\n');
	memcpy(hex, line + 7, 2 * REPORT_SIZE);
	hex[2 * REPORT_SIZE] = '\0';
	assert_int_equal(hex_decode(hex, report, REPORT_SIZE, "REPORT", &err), 0);
	assert_non_null(strstr(r.err, accel[0] == 'e' ? "accelerator emu" : "accelerator kvm"));
	run_result_free(&r);
	assert_int_equal(file_write_atomic(rep, report, REPORT_SIZE, 0644, &err), 0);
}

static void launch_report_verifies(struct env *e, const char *accel)
{
	char p[1200], vp[1300], rep[1300], meas_hex[100], want_meas[200];
	const char *argv_l[] = { "launch", p, "--accel", accel, "--timeout", "60", NULL };
	const char *argv_m[] = { "measure", p, NULL };
	const char *argv_vp[] = { "measure", "--verifier-policy", p, NULL };
	struct run_result r;
	struct snp_err err = { 0 };
	uint8_t report[REPORT_SIZE];

	snprintf(p, sizeof(p), "%s",
		 policy(e, "report", "payload", tguest_abs_path("report"), NULL));
	snprintf(vp, sizeof(vp), "%s/vp.json", e->dir);
	snprintf(rep, sizeof(rep), "%s/report.bin", e->dir);

	run_report_guest(argv_l, accel, rep, report);

	/* snpvm measure POLICY.json is the report's MEASUREMENT. */
	run_snpvm(argv_m, NULL, &r);
	assert_int_equal(r.status, 0);
	hex_encode(report + MEASUREMENT_OFF, 48, meas_hex);
	snprintf(want_meas, sizeof(want_meas), "%s\n", meas_hex);
	assert_string_equal(r.out, want_meas);
	run_result_free(&r);

	/* The verifier policy from the same file accepts the report under the sim's root. */
	run_snpvm(argv_vp, NULL, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, meas_hex));
	assert_int_equal(file_write_atomic(vp, r.out, strlen(r.out), 0644, &err), 0);
	run_result_free(&r);
	{
		char certs[1300], ark[1300];
		const char *argv_v[] = { "verify", "--report", rep, "--certs", certs,
					 "--trust-sim-root", ark, "--policy", vp, NULL };

		snprintf(certs, sizeof(certs), "%s/certs", e->dir);
		snprintf(ark, sizeof(ark), "%s/certs/ark.pem", e->dir);
		run_snpvm(argv_v, NULL, &r);
		if (r.status != 0)
			fail_msg("verify: %d %s %s", r.status, r.out, r.err);
		assert_non_null(strstr(r.out, "verified and appraised"));
		run_result_free(&r);
		/*
		 * A minimum TCB above the sim's: this guest's own verifier policy carries
		 * it and refuses its report for the TCB alone.
		 */
		snprintf(p, sizeof(p), "%s",
			 policy(e, "report", "payload", tguest_abs_path("report"),
				", \"min_tcb\": {\"bootloader\": 0, \"tee\": 0, \"snp\": 250, "
				"\"microcode\": 0}"));
		run_report_guest(argv_l, accel, rep, report);
		run_snpvm(argv_vp, NULL, &r);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, "\"min_reported_tcb\""));
		assert_int_equal(file_write_atomic(vp, r.out, strlen(r.out), 0644, &err), 0);
		run_result_free(&r);
		run_snpvm(argv_v, NULL, &r);
		assert_int_equal(r.status, 1);
		assert_non_null(strstr(r.err, "appraise: REPORTED_TCB.SNP"));
		assert_null(strstr(r.err, "HOST_DATA"));
		run_result_free(&r);
		/* Another guest's policy (a different cmdline, so another MEASUREMENT) refuses it. */
		snprintf(p, sizeof(p), "%s",
			 policy(e, "other", "payload", tguest_abs_path("report"),
				", \"cmdline\": \"vmpl=0\""));
		run_snpvm(argv_vp, NULL, &r);
		assert_int_equal(r.status, 0);
		assert_int_equal(file_write_atomic(vp, r.out, strlen(r.out), 0644, &err), 0);
		run_result_free(&r);
		run_snpvm(argv_v, NULL, &r);
		assert_int_equal(r.status, 1);
		assert_true(strstr(r.out, "MEASUREMENT") || strstr(r.err, "MEASUREMENT"));
		run_result_free(&r);
	}
}

static void report_guest_verifies_on_emu(void **state)
{
	launch_report_verifies(*state, "emu");
}

static void report_guest_verifies_on_kvm(void **state)
{
	const char *why;

	if (!kvm_usable(&why)) {
		print_message("skipped: %s\n", why);
		skip();
	}
	launch_report_verifies(*state, "kvm");
}

/* Runs `snpvm launch` on guest name with extra flags; returns the status; the output stays in r. */
static int launch_guest(struct env *e, const char *name, const char *extra_key,
			const char *const *flags, struct run_result *r)
{
	const char *argv[16] = { "launch", NULL, "--accel", "emu" };
	size_t n = 4;

	argv[1] = policy(e, name, "payload", tguest_abs_path(name), extra_key);
	for (; flags && *flags && n < 14; flags++)
		argv[n++] = *flags;
	argv[n] = NULL;
	run_snpvm(argv, NULL, r);
	return r->status;
}

/*
 * The pattern guest writes 16384 identical lines, nearly every instruction
 * port I/O, for long enough to cross many of emu's time slices: the console
 * holds exactly what it wrote. (Slices ended by Unicorn's own timer replayed
 * the start of the interrupted translated block: several doubled bytes a run.)
 */
static void emu_slices_neither_lose_nor_repeat_guest_work(void **state)
{
	static const char *const t60[] = { "--timeout", "60", NULL };
	static const char line[] = "0123456789abcdef\n";
	struct env *e = *state;
	struct run_result r;

	for (int run = 0; run < 2; run++) {
		const char *p;
		size_t n = 0;

		assert_int_equal(launch_guest(e, "pattern", NULL, t60, &r), 0);
		for (p = r.out; strncmp(p, line, sizeof(line) - 1) == 0; p += sizeof(line) - 1)
			n++;
		if (n != 16384 || *p != '\0')
			fail_msg("run %d: line %zu is not the pattern: '%.40s'", run, n + 1, p);
		run_result_free(&r);
	}
}

static void misbehaving_guests_end_with_their_status(void **state)
{
	static const char *const t1[] = { "--timeout", "1", NULL };
	static const char *const t30[] = { "--timeout", "30", NULL };
	struct env *e = *state;
	struct run_result r;

	/* hello: exit 0, its line on the console */
	assert_int_equal(launch_guest(e, "hello", NULL, t30, &r), 0);
	assert_non_null(strstr(r.out, "hello from snpvm guest"));
	run_result_free(&r);
	/* unclaimed ports: all-ones, the guest goes on and exits 0 */
	assert_int_equal(launch_guest(e, "bad-port", NULL, t30, &r), 0);
	run_result_free(&r);
	/* a non-zero exit value: 4, printed */
	assert_int_equal(launch_guest(e, "report", ", \"cmdline\": \"report_data=zz\"", t30, &r),
			 4);
	assert_non_null(strstr(r.err, "0x01"));
	run_result_free(&r);
	/* #UD and #GP: 5, naming the fault */
	assert_int_equal(launch_guest(e, "ud", NULL, t30, &r), 5);
	assert_non_null(strstr(r.err, "fault"));
	run_result_free(&r);
	assert_int_equal(launch_guest(e, "gp", NULL, t30, &r), 5);
	run_result_free(&r);
	/* MMIO nobody claims: the VMM stops the guest, 5 */
	assert_int_equal(launch_guest(e, "bad-mmio", NULL, t30, &r), 5);
	run_result_free(&r);
	/* a runaway loop against --timeout: 6 */
	assert_int_equal(launch_guest(e, "runaway", NULL, t1, &r), 6);
	run_result_free(&r);
}

/*
 * On emu the guest's CPUID answers with the CPUID page the sim filled at
 * launch (tests/guests/cpuid.c compares every entry; the APIC ID fields
 * excepted).
 */
static void emu_guest_sees_the_launch_cpuid(void **state)
{
	static const char *const t30[] = { "--timeout", "30", NULL };
	struct env *e = *state;
	struct run_result r;

	if (launch_guest(e, "cpuid", NULL, t30, &r) != 0)
		fail_msg("cpuid guest: status %d: %s%s", r.status, r.out, r.err);
	assert_non_null(strstr(r.out, " leaves as the CPUID page says\n"));
	run_result_free(&r);
}

static void launch_only_hv_report_and_refusals(void **state)
{
	struct env *e = *state;
	char p[1200], rep[1300], meas[100];
	const char *argv_m[] = { "measure", p, NULL };
	struct run_result r;
	uint8_t *buf = NULL;
	size_t len = 0;
	struct snp_err err = { 0 };

	snprintf(p, sizeof(p), "%s", policy(e, "lo", "payload", tguest_abs_path("runaway"), NULL));
	snprintf(rep, sizeof(rep), "%s/hv.bin", e->dir);
	run_snpvm(argv_m, NULL, &r);
	assert_int_equal(r.status, 0);
	snprintf(meas, sizeof(meas), "%.96s", r.out);
	run_result_free(&r);
	{
		const char *argv[] = { "launch", p, "--launch-only", "--hv-report", rep, "--json",
				       NULL };

		/* the runaway guest never runs: launch-only returns at once */
		run_snpvm(argv, NULL, &r);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, meas));
		assert_non_null(strstr(r.out, "\"ran\": false"));
		run_result_free(&r);
		assert_int_equal(file_read(rep, 8192, &buf, &len, &err), 0);
		assert_int_equal(len, REPORT_SIZE);
		hex_encode(buf + MEASUREMENT_OFF, 48, meas + 0);
		assert_non_null(meas);
		free(buf);
	}
	{
		/* an SNP guest cannot run on the emulator: said as usage, before any KVM call */
		const char *argv[] = { "launch", p, "--backend", "snp", "--accel", "emu", NULL };

		run_snpvm(argv, NULL, &r);
		assert_int_equal(r.status, 2);
		assert_non_null(strstr(r.err, "kvm only"));
		run_result_free(&r);
	}
	if (access("/dev/kvm", F_OK) != 0) {
		/* without /dev/kvm the snp backend says which device is missing: VMM failure */
		const char *argv[] = { "launch", p, "--backend", "snp", "--launch-only", NULL };

		run_snpvm(argv, NULL, &r);
		assert_int_equal(r.status, 3);
		assert_non_null(strstr(r.err, "open /dev/kvm: ENOENT"));
		run_result_free(&r);
	}
	{
		const char *argv[] = { "launch", p, "--accel", "tcg", NULL };

		run_snpvm(argv, NULL, &r);
		assert_int_equal(r.status, 2);
		run_result_free(&r);
	}
	/* a bad policy file: 2, naming the key */
	snprintf(p, sizeof(p), "%s",
		 policy(e, "bad", "payload", tguest_abs_path("hello"), ", \"vcpu\": 2"));
	{
		const char *argv[] = { "launch", p, NULL };

		run_snpvm(argv, NULL, &r);
		assert_int_equal(r.status, 2);
		assert_non_null(strstr(r.err, "vcpu: unknown key"));
		run_result_free(&r);
	}
	/* an ELF the launcher refuses: 2, naming the field */
	snprintf(p, sizeof(p), "%s", policy(e, "notelf", "payload", e->path, NULL));
	{
		const char *argv[] = { "launch", p, NULL };

		run_snpvm(argv, NULL, &r);
		assert_int_equal(r.status, 2);
		assert_non_null(strstr(r.err, "payload ELF"));
		run_result_free(&r);
	}
}

/*
 * --report-socket: the serving guest answers two host requests on the report
 * channel with reports it asked its mailbox for, each carrying the REPORT_DATA
 * sent; the socket is mode 0600 and gone once the guest has ended.
 */
static void report_socket_relays_to_the_serving_guest(void **state)
{
	struct env *e = *state;
	char sock[1300], log[1300];
	const char *argv[] = { "launch", NULL, "--accel", "emu", "--report-socket", sock,
			       "--timeout", "60", NULL };
	struct agent_provider_cfg cfg = { .sim_socket = sock };
	struct tsm_evidence ev;
	struct snp_err err = { 0 };
	uint8_t rd[64];
	struct stat st;
	pid_t pid;

	argv[1] = policy(e, "serve", "payload", tguest_abs_path("serve"),
			 ", \"cmdline\": \"requests=2\"");
	snprintf(sock, sizeof(sock), "%s/report.sock", e->dir);
	snprintf(log, sizeof(log), "%s/serve.log", e->dir);
	pid = spawn_snpvm(argv, log);
	if (wait_for_path(sock, pid, 30000) != 0)
		fail_msg("the report socket %s never appeared", sock);
	assert_int_equal(stat(sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* the client: snpvm agent's sim provider (agent/provider-sim.c) */
	for (int i = 0; i < 2; i++) {
		memset(rd, 0xa0 + i, sizeof(rd));
		if (agent_provider_sim.get(&cfg, rd, &ev, &err) != 0)
			fail_msg("report channel: %s", err.msg);
		assert_int_equal(ev.outblob_len, REPORT_SIZE);
		assert_memory_equal(ev.outblob + 0x50, rd, 64); /* REPORT_DATA, spec 56860 table 22 */
		tsm_evidence_free(&ev);
	}
	/* requests=2: the guest exits 0 after the second answer */
	assert_int_equal(spawn_wait(pid, 0, 30000), 0);
	assert_int_not_equal(stat(sock, &st), 0);
	/* no temporary socket name left behind (it is bound under one, then linked) */
	{
		DIR *d = opendir(e->dir);
		struct dirent *de;

		assert_non_null(d);
		while ((de = readdir(d)) != NULL)
			if (strstr(de->d_name, "report.sock"))
				fail_msg("left behind: %s", de->d_name);
		closedir(d);
	}
}

/* --report-socket naming a file that exists: refused, the file left as it was. */
static void report_socket_never_replaces_a_file(void **state)
{
	struct env *e = *state;
	char sock[1300];
	const char *argv[] = { "launch", NULL, "--accel", "emu", "--report-socket", sock,
			       "--timeout", "30", NULL };
	struct snp_err err = { 0 };
	struct run_result r;
	uint8_t *back = NULL;
	size_t len = 0;

	argv[1] = policy(e, "serve", "payload", tguest_abs_path("serve"),
			 ", \"cmdline\": \"requests=1\"");
	snprintf(sock, sizeof(sock), "%s/taken.sock", e->dir);
	assert_int_equal(file_write_atomic(sock, "mine", 4, 0644, &err), 0);
	run_snpvm(argv, NULL, &r);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.err, "taken.sock"));
	assert_non_null(strstr(r.err, "File exists"));
	run_result_free(&r);
	assert_int_equal(file_read(sock, 64, &back, &len, &err), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(back, "mine", 4);
	free(back);
}

/* The firmware refuses the launch -> 1; unusable precomputed ID blocks are bad input -> 2. */
static void firmware_refusal_is_status_1(void **state)
{
	struct env *e = *state;
	struct run_result r;
	char p[1200], text[2000];
	const char *argv[] = { "launch", p, "--launch-only", NULL };
	struct snp_err err = { 0 };

	/* a policy ABI above the sim firmware's 1.55: LAUNCH_START says POLICY_FAILURE */
	snprintf(text, sizeof(text),
		 "{\"payload\": \"%s\", \"sim_dir\": \"%s\", \"guest_policy\": "
		 "{\"abi_major\": 200}}",
		 tguest_abs_path("hello"), e->dir);
	snprintf(p, sizeof(p), "%s/abi.json", e->dir);
	assert_int_equal(file_write_atomic(p, text, strlen(text), 0644, &err), 0);
	run_snpvm(argv, NULL, &r);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "POLICY_FAILURE"));
	run_result_free(&r);
	snprintf(p, sizeof(p), "%s",
		 policy(e, "idb", "payload", tguest_abs_path("hello"),
			", \"id_block\": {\"id_block_file\": \"/dev/null\", \"id_auth_file\": "
			"\"/dev/null\"}"));
	run_snpvm(argv, NULL, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "id_block_file"));
	run_result_free(&r);
}

/* OVMF through the same plan, launch-only: the digest of sev-snp-measure's flags. */
static void firmware_launch_only_matches_measure_flags(void **state)
{
	struct env *e = *state;
	char p[1200], fw[1200], m1[200];
	struct run_result r;
	const char *argv_l[] = { "launch", p, "--launch-only", "--json", NULL };
	const char *argv_m[] = { "measure", "--mode", "snp", "--vcpus", "1", "--vcpu-type",
				 "EPYC-v4", "--ovmf", fw, NULL };
	const char *argv_run[] = { "launch", p, NULL };

	{
		/* tests run from the repository root; the policy lives elsewhere: an absolute path */
		char cwd[512];

		assert_non_null(getcwd(cwd, sizeof(cwd)));
		snprintf(fw, sizeof(fw), "%s/%s", cwd,
			 tdata_path("debian-ovmf/usr/share/ovmf/OVMF.fd"));
	}
	snprintf(p, sizeof(p), "%s", policy(e, "ovmf", "firmware", fw, NULL));
	run_snpvm(argv_m, NULL, &r);
	assert_int_equal(r.status, 0);
	snprintf(m1, sizeof(m1), "%.96s", r.out);
	run_result_free(&r);
	run_snpvm(argv_l, NULL, &r);
	if (r.status != 0)
		fail_msg("launch: %d %s", r.status, r.err);
	assert_non_null(strstr(r.out, m1));
	run_result_free(&r);
	/* running firmware is a later issue: refused, not faked */
	run_snpvm(argv_run, NULL, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--launch-only"));
	run_result_free(&r);
}

/* Firmware safety at launch (the check snpvm measure makes, measure/plan.c), naming the file. */
static void firmware_unfit_for_snp_is_refused(void **state)
{
	struct env *e = *state;
	char p[1200], fw[1200], kern[1200], extra[1400], cwd[512];
	struct run_result r;
	const char *argv[] = { "launch", p, "--launch-only", NULL };

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(fw, sizeof(fw), "%s/%s", cwd,
		 tdata_path("debian-ovmf/usr/share/OVMF/OVMF_CODE_4M.fd"));
	snprintf(p, sizeof(p), "%s", policy(e, "code4m", "firmware", fw, NULL));
	run_snpvm(argv, NULL, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, fw));
	assert_non_null(strstr(r.err, "no SEV metadata"));
	assert_null(strstr(r.err, "not a known build")); /* Debian's file is in the manifest */
	run_result_free(&r);
	snprintf(fw, sizeof(fw), "%s/%s", cwd, tdata_path("debian-ovmf/usr/share/ovmf/OVMF.fd"));
	snprintf(kern, sizeof(kern), "%s/%s", cwd, tdata_path("measure/inputs/kernel.bin"));
	snprintf(extra, sizeof(extra), ", \"kernel\": \"%s\"", kern);
	snprintf(p, sizeof(p), "%s", policy(e, "debfd", "firmware", fw, extra));
	run_snpvm(argv, NULL, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, fw));
	assert_non_null(strstr(r.err, "no SNP_KERNEL_HASHES section"));
	run_result_free(&r);
	/* the pinned AmdSev takes the kernel, silently */
	snprintf(fw, sizeof(fw), "%s/%s", cwd, tdata_path("firmware/OVMF.amdsev.fd"));
	snprintf(p, sizeof(p), "%s", policy(e, "amdsev", "firmware", fw, extra));
	run_snpvm(argv, NULL, &r);
	if (r.status != 0)
		fail_msg("launch: %d %s", r.status, r.err);
	assert_null(strstr(r.err, "warning"));
	run_result_free(&r);
}

/* An image not in the manifest is launched, with a warning naming it and its sha256. */
static void unknown_firmware_is_warned_about(void **state)
{
	struct env *e = *state;
	char p[1200], fw[1200];
	struct run_result r;
	const char *argv[] = { "launch", p, "--launch-only", NULL };
	size_t len;
	uint8_t *img = tdata_read("debian-ovmf/usr/share/ovmf/OVMF.fd", &len);
	struct snp_err err = { 0 };

	img[0] ^= 1; /* outside every section: still launches */
	snprintf(fw, sizeof(fw), "%s/changed.fd", e->dir);
	assert_int_equal(file_write_atomic(fw, img, len, 0644, &err), 0);
	free(img);
	snprintf(p, sizeof(p), "%s", policy(e, "changed", "firmware", fw, NULL));
	run_snpvm(argv, NULL, &r);
	if (r.status != 0)
		fail_msg("launch: %d %s", r.status, r.err);
	assert_non_null(strstr(r.err, "warning: firmware"));
	assert_non_null(strstr(r.err, fw));
	assert_non_null(strstr(r.err, "not a known build"));
	run_result_free(&r);
}

/* SIGTERM stops the running guest cleanly: exit 7. */
static void sigterm_stops_the_guest(void **state)
{
	struct env *e = *state;
	char p[1200], log[1300];
	const char *argv[] = { "launch", p, "--accel", "emu", "--timeout", "60", NULL };
	pid_t pid;

	snprintf(p, sizeof(p), "%s", policy(e, "sig", "payload", tguest_abs_path("runaway"), NULL));
	snprintf(log, sizeof(log), "%s/sig.log", e->dir);
	pid = spawn_snpvm(argv, log);
	usleep(700 * 1000); /* the guest is looping by now; a signal before the run stops it too */
	/* exit status 7, not killed by the signal (that would be 128 + 15) */
	assert_int_equal(spawn_wait(pid, SIGTERM, 60000), 7);
}

/*
 * `snpvm sim report` without launch flags is a launch-only run of the
 * launcher: the payload boot of a one-page ELF whose code is
 * `xor eax, eax; out 0xf4, al; jmp $`, 1 vCPU, 64 MiB. Built here
 * independently, that ELF's policy file gives the same MEASUREMENT under
 * `snpvm measure`, and `snpvm launch` runs it to exit status 0.
 */
static void sim_report_launches_a_payload(void **state)
{
	static const uint8_t code[] = { 0x31, 0xc0, 0xe6, 0xf4, 0xeb, 0xfe };
	struct env *e = *state;
	struct snp_err err = { 0 };
	struct run_result r;
	char elf_path[1300], p[1200], out[1300], want[200];
	const char *argv_m[] = { "measure", p, NULL };
	const char *argv_l[] = { "launch", p, "--accel", "emu", "--timeout", "60", NULL };
	const char *argv_s[] = { "sim", "report", "--dir", e->dir, "--report-data", "00",
				 "--out", out, NULL };
	size_t len;
	uint8_t *elf = vmtest_elf(code, sizeof(code), &len);

	(void)state;
	snprintf(elf_path, sizeof(elf_path), "%s/exit0.elf", e->dir);
	snprintf(out, sizeof(out), "%s/default.bin", e->dir);
	assert_int_equal(file_write_atomic(elf_path, elf, len, 0644, &err), 0);
	free(elf);
	snprintf(p, sizeof(p), "%s", policy(e, "exit0", "payload", elf_path, NULL));
	run_snpvm(argv_m, NULL, &r);
	assert_int_equal(r.status, 0);
	snprintf(want, sizeof(want), "measurement %s", r.out); /* "<hex>\n" */
	run_result_free(&r);
	run_snpvm(argv_s, NULL, &r);
	if (r.status != 0)
		fail_msg("sim report: %d: %s", r.status, r.err);
	assert_non_null(strstr(r.out, want));
	run_result_free(&r);
	run_snpvm(argv_l, NULL, &r);
	if (r.status != 0)
		fail_msg("launch: %d: %s", r.status, r.err);
	run_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(report_guest_verifies_on_emu),
		cmocka_unit_test(sim_report_launches_a_payload),
		cmocka_unit_test(report_guest_verifies_on_kvm),
		cmocka_unit_test(report_socket_relays_to_the_serving_guest),
		cmocka_unit_test(report_socket_never_replaces_a_file),
		cmocka_unit_test(misbehaving_guests_end_with_their_status),
		cmocka_unit_test(emu_slices_neither_lose_nor_repeat_guest_work),
		cmocka_unit_test(emu_guest_sees_the_launch_cpuid),
		cmocka_unit_test(launch_only_hv_report_and_refusals),
		cmocka_unit_test(firmware_refusal_is_status_1),
		cmocka_unit_test(firmware_launch_only_matches_measure_flags),
		cmocka_unit_test(firmware_unfit_for_snp_is_refused),
		cmocka_unit_test(unknown_firmware_is_warned_about),
		cmocka_unit_test(sigterm_stops_the_guest),
	};

	return cmocka_run_group_tests_name("launcher/launch-sim", tests, setup, teardown);
}
