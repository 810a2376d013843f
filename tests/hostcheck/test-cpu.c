/*
 * hostcheck/cpu.c on hostile /proc/cpuinfo contents: huge, binary garbage,
 * no final newline, control characters, absurd numbers, not a file. Nothing
 * crashes (ASan in `make check`), only the first entry counts, and what is
 * shown is printable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hostcheck/hostcheck.h"
#include "tests/common/fakehost.h"

static const struct hostcheck_result *run_with_cpuinfo(struct fakehost *f, const void *p,
							 size_t len, struct hostcheck_report *rep)
{
	fakehost_write_bytes(f, "proc/cpuinfo", p, len);
	fakehost_run(f, rep);
	return hostcheck_find(rep, "cpu-vendor");
}

static void expect(const struct hostcheck_report *rep, const char *name,
		   enum hostcheck_status want, const char *detail_part)
{
	const struct hostcheck_result *r = hostcheck_find(rep, name);

	assert_non_null(r);
	if (r->status != want || !strstr(r->detail, detail_part))
		fail_msg("%s: %s '%s', want %s with '%s'", name, hostcheck_status_name(r->status),
			 r->detail, hostcheck_status_name(want), detail_part);
}

/* Every detail is printable ASCII. */
static void expect_printable(const struct hostcheck_report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
		for (const char *s = rep->checks[i].detail; *s; s++)
			if (*s < 0x20 || *s > 0x7e)
				fail_msg("%s: byte 0x%02x in detail", rep->checks[i].name,
					 (unsigned char)*s);
}

/* 256 processors' worth and more: only the first entry is read, the rest never is. */
static void huge_cpuinfo_reads_only_the_first_entry(void **state)
{
	size_t one = strlen(fakehost_cpuinfo), len = 8u << 20;
	char *big = malloc(len);
	struct hostcheck_report rep;
	struct fakehost f;

	(void)state;
	assert_non_null(big);
	for (size_t off = 0; off < len; off += one)
		memcpy(big + off, fakehost_cpuinfo, len - off < one ? len - off : one);
	fakehost_ready(&f);
	run_with_cpuinfo(&f, big, len, &rep);
	assert_true(hostcheck_ready(&rep));

	/* One 8 MiB line: no entry at all, no crash. */
	memset(big, 'a', len);
	run_with_cpuinfo(&f, big, len, &rep);
	expect(&rep, "cpu-vendor", HOSTCHECK_FAIL, "no vendor_id in /proc/cpuinfo");
	expect(&rep, "cpu-flag-sev-snp", HOSTCHECK_FAIL, "no sev_snp");
	free(big);
	fakehost_free(&f);
}

static void binary_garbage_fails_cleanly(void **state)
{
	struct hostcheck_report rep;
	struct fakehost f;
	uint8_t junk[70000];
	uint32_t x = 0x12345678;

	(void)state;
	fakehost_ready(&f);
	for (size_t i = 0; i < sizeof(junk); i++) {
		x = x * 1103515245u + 12345u; /* fixed-seed LCG: the same bytes every run */
		junk[i] = (uint8_t)(x >> 16);
	}
	run_with_cpuinfo(&f, junk, sizeof(junk), &rep);
	expect(&rep, "cpu-vendor", HOSTCHECK_FAIL, "");
	expect_printable(&rep);
	/* NUL bytes inside a key or value are data, not terminators. */
	static const char nul[] = "vendor_id\t: Authentic\0AMD\nvendor_id\0\t: AuthenticAMD\n"
				  "flags\t: sev_snp\0\n\n";
	run_with_cpuinfo(&f, nul, sizeof(nul) - 1, &rep);
	expect(&rep, "cpu-vendor", HOSTCHECK_FAIL, "vendor Authentic?AMD, not AuthenticAMD");
	expect(&rep, "cpu-flag-sev-snp", HOSTCHECK_FAIL, "no sev_snp");
	/* Control characters never reach a terminal. */
	static const char esc[] = "vendor_id\t: \x1b[2J\x07" "Evil\n";
	run_with_cpuinfo(&f, esc, sizeof(esc) - 1, &rep);
	expect(&rep, "cpu-vendor", HOSTCHECK_FAIL, "vendor ?[2J?Evil, not AuthenticAMD");
	expect_printable(&rep);
	fakehost_free(&f);
}

static void missing_final_newline_still_counts(void **state)
{
	static const char text[] = "processor : 0\nvendor_id : AuthenticAMD\ncpu family : 25\n"
				   "model : 17\nflags : fpu sev sev_es sev_snp";
	struct hostcheck_report rep;
	struct fakehost f;

	(void)state;
	fakehost_ready(&f);
	run_with_cpuinfo(&f, text, strlen(text), &rep);
	assert_true(hostcheck_ready(&rep));
	expect(&rep, "cpu-model", HOSTCHECK_PASS, "family 0x19 model 0x11: Genoa");
	fakehost_free(&f);
}

/* The second entry's fields never fill in for the first's. */
static void only_the_first_entry_counts(void **state)
{
	static const char text[] = "processor : 0\nvendor_id : AuthenticAMD\ncpu family : 25\n"
				   "model : 1\nflags : fpu\n\nprocessor : 1\nflags : sev_snp\n\n";
	struct hostcheck_report rep;
	struct fakehost f;

	(void)state;
	fakehost_ready(&f);
	run_with_cpuinfo(&f, text, strlen(text), &rep);
	expect(&rep, "cpu-flag-sev-snp", HOSTCHECK_FAIL, "no sev_snp");
	fakehost_free(&f);
}

static void absurd_numbers_and_empty_files_fail(void **state)
{
	static const char big[] = "vendor_id : AuthenticAMD\ncpu family : 99999999999999\n"
				  "model : 1\n";
	static const char neg[] = "vendor_id : AuthenticAMD\ncpu family : -25\nmodel : 0x1\n";
	static const char huge_family[] = "vendor_id : AuthenticAMD\ncpu family : 4096\n"
					  "model : 1\nflags : sev_snp\n";
	struct hostcheck_report rep;
	struct fakehost f;

	(void)state;
	fakehost_ready(&f);
	run_with_cpuinfo(&f, big, strlen(big), &rep);
	expect(&rep, "cpu-model", HOSTCHECK_FAIL, "no cpu family or model");
	run_with_cpuinfo(&f, neg, strlen(neg), &rep);
	expect(&rep, "cpu-model", HOSTCHECK_FAIL, "no cpu family or model");
	run_with_cpuinfo(&f, huge_family, strlen(huge_family), &rep);
	expect(&rep, "cpu-model", HOSTCHECK_PASS, "family 0x1000 model 0x1 (not an EPYC model");
	run_with_cpuinfo(&f, "", 0, &rep);
	expect(&rep, "cpu-vendor", HOSTCHECK_FAIL, "no vendor_id");
	expect(&rep, "cpu-model", HOSTCHECK_SKIP, "cpu-vendor");
	/* Not a file: the readers refuse it without opening it. */
	fakehost_remove(&f, "proc/cpuinfo");
	fakehost_write(&f, "proc/cpuinfo/x", "");
	fakehost_run(&f, &rep);
	expect(&rep, "cpu-vendor", HOSTCHECK_FAIL, "/proc/cpuinfo: not a regular file (directory)");
	expect(&rep, "cpu-flag-sev-snp", HOSTCHECK_SKIP, "needs /proc/cpuinfo");
	fakehost_remove(&f, "proc/cpuinfo");
	fakehost_run(&f, &rep);
	expect(&rep, "cpu-vendor", HOSTCHECK_FAIL, "/proc/cpuinfo: No such file or directory");
	fakehost_free(&f);
}

/* The other pseudo files: module parameters and the kernel release. */
static void hostile_sysfs_and_osrelease_fail_cleanly(void **state)
{
	static const char param[] = "\xff\x00Y\n";
	struct hostcheck_report rep;
	struct fakehost f;
	char *big = malloc(1u << 20);

	(void)state;
	assert_non_null(big);
	fakehost_ready(&f);
	fakehost_write_bytes(&f, "sys/module/kvm_amd/parameters/sev_es", param, 4);
	memset(big, '9', 1u << 20);
	fakehost_write_bytes(&f, "proc/sys/kernel/osrelease", big, 1u << 20);
	fakehost_run(&f, &rep);
	expect(&rep, "kvm-amd-sev-es", HOSTCHECK_FAIL, "kvm_amd sev_es=??Y, not Y");
	expect(&rep, "kernel-version", HOSTCHECK_FAIL, "cannot read a version from kernel release");
	expect_printable(&rep);
	fakehost_write_bytes(&f, "sys/module/kvm_amd/parameters/sev_es", big, 1u << 20);
	fakehost_write(&f, "proc/sys/kernel/osrelease", "\x1b[31m6.12\n");
	fakehost_run(&f, &rep);
	expect(&rep, "kvm-amd-sev-es", HOSTCHECK_FAIL, "not Y");
	expect(&rep, "kernel-version", HOSTCHECK_FAIL, "kernel release '?[31m6.12'");
	expect_printable(&rep);
	free(big);
	fakehost_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(huge_cpuinfo_reads_only_the_first_entry),
		cmocka_unit_test(binary_garbage_fails_cleanly),
		cmocka_unit_test(missing_final_newline_still_counts),
		cmocka_unit_test(only_the_first_entry_counts),
		cmocka_unit_test(absurd_numbers_and_empty_files_fail),
		cmocka_unit_test(hostile_sysfs_and_osrelease_fail_cleanly),
	};

	return cmocka_run_group_tests_name("hostcheck/cpu", tests, NULL, NULL);
}
