/*
 * Every command's options as a user meets them: an option a (sub)command does
 * not take is refused by name, a missing value is reported as missing, long
 * options are never abbreviated, and --help lists what the table holds. Each
 * case here was accepted or misreported by the getopt_long parsers before.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/common/testutil.h"

/* Runs snpvm; wants exit 2, nothing on stdout and want on stderr. */
static void usage_error(const char *const argv[], const char *want)
{
	struct run_result r;

	run_snpvm(argv, NULL, &r);
	if (r.status != 2 || !strstr(r.err, want) || r.out[0])
		fail_msg("snpvm %s %s ...: exit %d, stdout '%s', stderr '%s'; want 2 and '%s'",
			 argv[0], argv[1] ? argv[1] : "", r.status, r.out, r.err, want);
	run_result_free(&r);
}

/* One option table shared by all sim subcommands let status take report's and kds's options. */
static void sim_subcommands_take_only_their_own_options(void **state)
{
	char *dir = tmpdir_make();

	(void)state;
	usage_error((const char *const[]){ "sim", "status", "--dir", dir, "--listen", "1.2.3.4:5",
					   "--vmpl", "9", "--author-key-en", NULL },
		    "unknown option '--listen' for 'sim status'");
	usage_error((const char *const[]){ "sim", "status", "--dir", dir, "--vmpl", "9", NULL },
		    "unknown option '--vmpl' for 'sim status'");
	usage_error((const char *const[]){ "sim", "status", "--dir", dir, "--author-key-en",
					   NULL },
		    "unknown option '--author-key-en' for 'sim status'");
	usage_error((const char *const[]){ "sim", "kds", "--dir", dir, "--listen", "127.0.0.1:0",
					   "--json", NULL },
		    "unknown option '--json' for 'sim kds'");
	/* getopt_long called this "unknown or incomplete option '4'". */
	usage_error((const char *const[]){ "sim", "init", "--dir", dir, "--product", "milan",
					   "--vcpus", "4", NULL },
		    "unknown option '--vcpus' for 'sim init'");
	usage_error((const char *const[]){ "sim", "init", "--dir", dir, "--product", NULL },
		    "option '--product' needs a value P");
	usage_error((const char *const[]){ "sim", "init", "--dir", dir, NULL },
		    "--product is required");
	rm_rf(dir);
	free(dir);
}

static void missing_values_are_reported_as_missing(void **state)
{
	(void)state;
	/* getopt_long said "unknown option '--report'". */
	usage_error((const char *const[]){ "verify", "--report", NULL },
		    "option '--report' needs a value FILE");
	usage_error((const char *const[]){ "verify", "--report", "--json", NULL },
		    "option '--report' needs a value FILE");
	usage_error((const char *const[]){ "measure", "--ovmf", NULL },
		    "option '--ovmf' needs a value FILE");
	usage_error((const char *const[]){ "id-block", "--id-key", NULL },
		    "option '--id-key' needs a value PEM");
	usage_error((const char *const[]){ "verify", "--json=yes", NULL },
		    "option '--json' takes no value");
}

/* getopt_long took "--t FILE" for "--trust-sim-root FILE": a trust flag must be spelled out. */
static void long_options_are_never_abbreviated(void **state)
{
	const char *rep = tdata_path("attest/mstav/turin_attestation_report.bin");
	char report[512];

	(void)state;
	snprintf(report, sizeof(report), "%s", rep);
	usage_error((const char *const[]){ "verify", "--report", report, "--t", report, NULL },
		    "unknown option '--t' for 'verify'");
	usage_error((const char *const[]){ "verify", "--report", report, "--trust", report, NULL },
		    "unknown option '--trust'");
	usage_error((const char *const[]){ "verify", "--rep", report, NULL },
		    "unknown option '--rep'");
	usage_error((const char *const[]){ "measure", "--vcpu=1", NULL },
		    "unknown option '--vcpu' for 'measure'");
	usage_error((const char *const[]){ "id-block", "--measure", "00", NULL },
		    "unknown option '--measure' for 'id-block'");
	usage_error((const char *const[]){ "sim", "report", "--dir", "d", "--report", "00", NULL },
		    "unknown option '--report' for 'sim report'");
}

static void options_given_twice_are_refused(void **state)
{
	(void)state;
	usage_error((const char *const[]){ "verify", "--report", "a", "--report", "b", NULL },
		    "option '--report' given twice");
	usage_error((const char *const[]){ "measure", "--vcpus=1", "--vcpus=2", NULL },
		    "option '--vcpus' given twice");
}

/* --help is built from the same rows the parser reads: every accepted option is listed. */
static void help_lists_every_option(void **state)
{
	static const struct {
		const char *cmd[3];
		const char *opts[20];
	} cases[] = {
		{ { "verify" },
		  { "--report FILE", "--hcl", "--certs DIR", "--vcek FILE", "--cert-table FILE",
		    "--ask FILE", "--product NAME", "--crl FILE", "--kds URL", "--kds-cache DIR",
		    "--kds-crl", "--policy FILE", "--at TIME", "--trust-sim-root FILE", "--lax",
		    "--json", "-h, --help" } },
		{ { "sim", "status" }, { "--dir DIR", "--json" } },
		{ { "sim", "init" },
		  { "--dir DIR", "--product P", "--tcb TCB", "--signer vcek|vlek", "--seed HEX",
		    "--json" } },
		{ { "sim", "kds" }, { "--dir DIR", "--listen IP:PORT" } },
		{ { "sim", "report" },
		  { "--report-data HEX", "--out FILE", "--vmpl N", "--host", "--policy N",
		    "--host-data HEX", "--id-block FILE", "--id-auth FILE",
		    "--author-key-en", "--cert-table FILE", "--ovmf FILE", "--vcpus N",
		    "--vcpu-family N" } },
		{ { "id-block" },
		  { "--measurement", "--id-key PEM", "--author-key PEM", "--family-id HEX",
		    "--image-id HEX", "--guest-svn N", "--policy N", "--id-block-out FILE",
		    "--id-auth-out FILE", "--json" } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[4] = { cases[i].cmd[0], cases[i].cmd[1], NULL, NULL };
		struct run_result r;

		argv[cases[i].cmd[1] ? 2 : 1] = "--help";
		run_snpvm(argv, NULL, &r);
		assert_int_equal(r.status, 0);
		for (size_t j = 0; j < 20 && cases[i].opts[j]; j++)
			if (!strstr(r.out, cases[i].opts[j]))
				fail_msg("'snpvm %s %s --help' lacks '%s':\n%s", argv[0],
					 cases[i].cmd[1] ? cases[i].cmd[1] : "", cases[i].opts[j],
					 r.out);
		run_result_free(&r);
	}
}

/* snpvm help takes one positional COMMAND through the same table mechanism. */
static void help_takes_one_command(void **state)
{
	struct run_result r;

	(void)state;
	run_snpvm((const char *const[]){ "help", "verify", NULL }, NULL, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "usage: snpvm verify --report FILE [options]"));
	run_result_free(&r);
	usage_error((const char *const[]){ "help", "sim", "init", NULL },
		    "unexpected argument 'init'");
	usage_error((const char *const[]){ "help", "--all", NULL },
		    "unknown option '--all' for 'help'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sim_subcommands_take_only_their_own_options),
		cmocka_unit_test(missing_values_are_reported_as_missing),
		cmocka_unit_test(long_options_are_never_abbreviated),
		cmocka_unit_test(options_given_twice_are_refused),
		cmocka_unit_test(help_lists_every_option),
		cmocka_unit_test(help_takes_one_command),
	};

	return cmocka_run_group_tests_name("cli/options", tests, NULL, NULL);
}
