/*
 * cli/cmd-host-check.c through the binary: on this machine (not an SNP host)
 * it exits 1 and names why; --json; --root over a fake tree; usage errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>

#include "tests/common/fakehost.h"
#include "tests/common/testutil.h"

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* The line of check name in the text output, or fail. */
static const char *line_of(const char *out, const char *name)
{
	char want[64];
	const char *p;

	snprintf(want, sizeof(want), "  %-22s ", name);
	p = strstr(out, want);
	if (!p || p - out < 4)
		fail_msg("no line for %s in:\n%s", name, out);
	return p - 4; /* the status word */
}

static void expect_line(const char *out, const char *name, const char *status,
			 const char *detail_part)
{
	const char *l = line_of(out, name), *nl = strchr(l, '\n');
	char line[1024];

	assert_non_null(nl);
	snprintf(line, sizeof(line), "%.*s", (int)(nl - l), l);
	if (strncmp(line, status, 4) != 0 || !strstr(line, detail_part))
		fail_msg("want %s with '%s', got: %s", status, detail_part, line);
}

/*
 * This machine, whatever it is short of an SNP host: exit 1, a summary that
 * says it cannot launch SNP guests, every failure followed by its fix, and
 * the reason that applies here named by its check.
 */
static void this_machine_is_not_ready_and_says_why(void **state)
{
	const char *argv[] = { "host-check", NULL };
	struct run_result r;
	const char *p;
	int fails = 0;

	(void)state;
	run_snpvm(argv, NULL, &r);
	if (r.status == 0)
		skip(); /* a real SNP host: nothing to explain */
	if (r.status != 1)
		fail_msg("status %d, stdout:\n%s\nstderr:\n%s", r.status, r.out, r.err);
	assert_non_null(strstr(r.out, "\nnot ready: this host cannot launch SEV-SNP guests ("));
	for (p = r.out; (p = strstr(p, "\nfail  ")); p++) {
		const char *nl = strchr(p + 1, '\n');

		assert_non_null(nl);
		assert_memory_equal(nl, "\n      fix: ", 12);
		fails++;
	}
	assert_true(fails > 0);
	if (!exists("/dev/kvm")) {
		expect_line(r.out, "dev-kvm", "fail", "no /dev/kvm: KVM is not available");
		assert_non_null(strstr(r.out, "\n  dev-kvm: no /dev/kvm: KVM is not available\n"));
		expect_line(r.out, "kvm-vm-type-snp", "skip", "needs /dev/kvm (dev-kvm)");
	} else if (!exists("/sys/module/kvm_amd")) {
		/* /dev/kvm from another module (kvm_intel, a nested KVM): not SNP's. */
		expect_line(r.out, "kvm-amd-loaded", "fail", "kvm_amd is not loaded");
	}
	if (!exists("/dev/sev"))
		expect_line(r.out, "dev-sev", "fail", "no /dev/sev");
	run_result_free(&r);
}

static void json_on_this_machine(void **state)
{
	const char *argv[] = { "host-check", "--json", NULL };
	struct run_result r;
	json_error_t jerr;
	json_t *o, *checks, *e;
	size_t i;
	bool dev_kvm_seen = false;

	(void)state;
	run_snpvm(argv, NULL, &r);
	if (r.status == 0)
		skip();
	assert_int_equal(r.status, 1);
	o = json_loads(r.out, JSON_REJECT_DUPLICATES, &jerr);
	if (!o)
		fail_msg("not JSON (%s): %s", jerr.text, r.out);
	assert_true(json_is_false(json_object_get(o, "ready")));
	checks = json_object_get(o, "checks");
	assert_int_equal(json_array_size(checks), 20);
	json_array_foreach(checks, i, e) {
		const char *status = json_string_value(json_object_get(e, "status"));
		const char *name = json_string_value(json_object_get(e, "name"));

		assert_non_null(status);
		assert_non_null(name);
		assert_non_null(json_string_value(json_object_get(e, "detail")));
		if (strcmp(status, "fail") == 0)
			assert_non_null(json_string_value(json_object_get(e, "fix")));
		else
			assert_true(json_is_null(json_object_get(e, "fix")));
		if (strcmp(name, "dev-kvm") == 0) {
			dev_kvm_seen = true;
			if (!exists("/dev/kvm"))
				assert_string_equal(status, "fail");
		}
	}
	assert_true(dev_kvm_seen);
	json_decref(o);
	run_result_free(&r);
}

/*
 * --root reads the fake tree; CPUID and the ioctls still reach this machine,
 * where the tree's /dev/kvm is a plain file: KVM_GET_API_VERSION on it fails.
 */
static void root_reads_the_tree(void **state)
{
	struct fakehost f;
	struct run_result r;

	(void)state;
	fakehost_ready(&f);
	fakehost_write(&f, "proc/sys/kernel/osrelease", "6.1.0-28-amd64\n");
	fakehost_write(&f, "sys/module/kvm_amd/parameters/sev_snp", "N\n");
	const char *argv[] = { "host-check", "--root", f.root, NULL };
	run_snpvm(argv, NULL, &r);
	assert_int_equal(r.status, 1);
	expect_line(r.out, "cpu-vendor", "pass", "AuthenticAMD");
	expect_line(r.out, "cpu-model", "pass", "family 0x19 model 0x1: Milan");
	expect_line(r.out, "cpu-flag-sev-snp", "pass", "sev_snp");
	expect_line(r.out, "kernel-version", "fail", "kernel 6.1.0-28-amd64 is older than 6.11");
	expect_line(r.out, "kvm-amd-sev", "pass", "kvm_amd sev=Y");
	expect_line(r.out, "kvm-amd-sev-snp", "fail", "kvm_amd sev_snp=N, not Y");
	expect_line(r.out, "dev-kvm", "pass", "/dev/kvm opens read-write");
	expect_line(r.out, "kvm-api-version", "fail", "KVM_GET_API_VERSION: Inappropriate ioctl");
	assert_null(strstr(r.out, f.root));
	run_result_free(&r);
	fakehost_free(&f);
}

/* Runs snpvm with argv: want exit status, and part in stdout (out) or stderr. */
static void expect_run(const char *const argv[], int status, bool out, const char *part)
{
	struct run_result r;
	const char *text;

	run_snpvm(argv, NULL, &r);
	text = out ? r.out : r.err;
	if (r.status != status || !strstr(text, part))
		fail_msg("%s: status %d, want %d with '%s' in:\n%s", argv[0], r.status, status, part,
			 text);
	run_result_free(&r);
}

static void usage_errors_exit_2(void **state)
{
	const char *bad[] = { "host-check", "--bogus", NULL };
	const char *extra[] = { "host-check", "now", NULL };
	const char *noroot[] = { "host-check", "--root", "/nonexistent/snpvm-root", NULL };
	const char *help[] = { "host-check", "--help", NULL };
	const char *list[] = { "help", NULL };

	(void)state;
	expect_run(bad, 2, false, "unknown option '--bogus' for 'host-check'");
	expect_run(extra, 2, false, "unexpected argument 'now'");
	expect_run(noroot, 2, false,
		   "snpvm host-check: --root: /nonexistent/snpvm-root: No such file or directory");
	expect_run(help, 0, true, "usage: snpvm host-check");
	expect_run(help, 0, true, "--root DIR");
	expect_run(list, 0, true, "  host-check ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(this_machine_is_not_ready_and_says_why),
		cmocka_unit_test(json_on_this_machine),
		cmocka_unit_test(root_reads_the_tree),
		cmocka_unit_test(usage_errors_exit_2),
	};

	return cmocka_run_group_tests_name("cli/host-check", tests, NULL, NULL);
}
