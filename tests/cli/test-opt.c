/*
 * cli/opt.c: the option-table parser. Exact names only, unknown options and
 * missing values named, duplicates refused, both value spellings, ranges,
 * positionals, nested tables, and a --help built from the same rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/opt.h"

struct vals {
	const char *report, *trust, *file;
	bool json, lax, any_inner;
	uint64_t vmpl;
	uint32_t svn;
	unsigned vcpus;
	uint8_t id[4];
	int fmt;
	struct opt_list certs;
	const char *inner;
	bool has_vcpus;
	int calls;
};

static int count_call(void *v, const char *s, struct snp_err *err)
{
	struct vals *x = v;

	if (strcmp(s, "bad") == 0)
		return snp_errf(err, SNP_E_INVALID, "--call: bad");
	x->calls++;
	return 0;
}

/* Runs the table below on a NULL-terminated argument list; returns opt_parse's result. */
static int parse(struct vals *v, bool *help, struct snp_err *err, const char *const *args)
{
	static const char *inner_help = "inner options:";
	struct opt inner[] = {
		OPT_STRING("inner", &v->inner, "X", "an included option"),
		OPT_END,
	};
	struct opt opts[] = {
		OPT_STRING("report", &v->report, "FILE", "the report", .required = true),
		OPT_STRING("trust-sim-root", &v->trust, "FILE", "a root"),
		OPT_FLAG("json", &v->json, "print JSON"),
		OPT_FLAG("lax", &v->lax, "be lax\nsecond line of help"),
		OPT_U64("vmpl", &v->vmpl, 0, 3, "N", "VMPL"),
		OPT_U32("guest-svn", &v->svn, 0, UINT32_MAX, "N", "SVN"),
		OPT_UINT("vcpus", &v->vcpus, 1, 512, "N", "vCPUs", .given = &v->has_vcpus),
		OPT_HEX("id", v->id, sizeof(v->id), "HEX", "4 bytes"),
		OPT_CHOICE("format", &v->fmt, "hex|base64", "output format"),
		OPT_LIST("cert", &v->certs, "FILE", "repeatable"),
		OPT_CALL("call", count_call, v, "S", "a conversion"),
		OPT_INCLUDE(inner, inner_help, .given = &v->any_inner),
		OPT_ARG("FILE", &v->file, "a positional"),
		OPT_END,
	};
	const struct opt_cmd cmd = { .name = "sim status", .opts = opts };
	char *argv[48] = { (char *)"test" };
	int argc = 1;

	memset(v, 0, sizeof(*v));
	for (; *args; args++) {
		assert_true(argc < 47);
		argv[argc++] = (char *)*args;
	}
	argv[argc] = NULL;
	memset(err, 0, sizeof(*err));
	return opt_parse(&cmd, argc, argv, help, err);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Parsing must fail with SNP_E_INVALID and a message containing want. */
static void refused(const char *const *args, const char *want)
{
	struct vals v;
	struct snp_err err;
	bool help;
	int ret = parse(&v, &help, &err, args);

	if (ret != SNP_E_INVALID || !strstr(err.msg, want))
		fail_msg("ret %d, message '%s', want '%s'", ret, err.msg, want);
}

static void opt_parses_both_value_spellings(void **state)
{
	struct vals v;
	struct snp_err err;
	bool help;

	(void)state;
	assert_int_equal(parse(&v, &help, &err, ARGS("--report", "r.bin", "--vmpl=3", "--json",
						      "--guest-svn", "0xffffffff", "--vcpus=4",
						      "--id", "0A0b0c0d", "--format=base64",
						      "--cert", "a", "--cert=b", "--call", "x",
						      "--inner=i", "pos")),
			 0);
	assert_false(help);
	assert_string_equal(v.report, "r.bin");
	assert_int_equal(v.vmpl, 3);
	assert_true(v.json);
	assert_false(v.lax);
	assert_int_equal(v.svn, 0xffffffffu);
	assert_int_equal(v.vcpus, 4);
	assert_true(v.has_vcpus);
	assert_memory_equal(v.id, "\x0a\x0b\x0c\x0d", 4);
	assert_int_equal(v.fmt, 1);
	assert_int_equal(v.certs.n, 2);
	assert_string_equal(v.certs.v[0], "a");
	assert_string_equal(v.certs.v[1], "b");
	assert_int_equal(v.calls, 1);
	assert_string_equal(v.inner, "i");
	assert_true(v.any_inner);
	assert_string_equal(v.file, "pos");
	/* An empty value is a value; "--" ends the options. */
	assert_int_equal(parse(&v, &help, &err, ARGS("--report=", "--", "--json")), 0);
	assert_string_equal(v.report, "");
	assert_string_equal(v.file, "--json");
	assert_false(v.json);
	assert_false(v.has_vcpus);
	assert_false(v.any_inner);
}

/* getopt_long would take "--t" for --trust-sim-root: a trust flag must be spelled out. */
static void opt_refuses_abbreviations(void **state)
{
	(void)state;
	refused(ARGS("--report", "r", "--t", "root.pem"), "unknown option '--t' for 'sim status'");
	refused(ARGS("--report", "r", "--trust", "root.pem"), "unknown option '--trust'");
	refused(ARGS("--report", "r", "--trust-sim-roo=x"), "unknown option '--trust-sim-roo'");
	refused(ARGS("--rep", "r"), "unknown option '--rep'");
	refused(ARGS("--report", "r", "--js"), "unknown option '--js'");
}

static void opt_names_unknown_options_and_the_command(void **state)
{
	(void)state;
	refused(ARGS("--report", "r", "--listen", "1.2.3.4:5"),
		"unknown option '--listen' for 'sim status'");
	refused(ARGS("--report", "r", "-x"), "unknown option '-x' for 'sim status'");
	refused(ARGS("--report", "r", "a", "b"), "unexpected argument 'b'");
}

static void opt_reports_missing_values(void **state)
{
	(void)state;
	refused(ARGS("--report"), "option '--report' needs a value FILE");
	/* The next option is not taken as the value. */
	refused(ARGS("--report", "--json"), "option '--report' needs a value FILE");
	refused(ARGS("--report", "r", "--vmpl"), "option '--vmpl' needs a value N");
	refused(ARGS("--json"), "--report is required");
	refused(ARGS("--report", "r", "--json=yes"), "option '--json' takes no value");
}

static void opt_refuses_duplicates_except_lists(void **state)
{
	(void)state;
	refused(ARGS("--report", "r", "--report", "s"), "option '--report' given twice");
	refused(ARGS("--report", "r", "--json", "--json"), "option '--json' given twice");
	refused(ARGS("--report", "r", "--cert", "1", "--cert", "2", "--cert", "3", "--cert", "4",
		     "--cert", "5", "--cert", "6", "--cert", "7", "--cert", "8", "--cert", "9",
		     "--cert", "10", "--cert", "11", "--cert", "12", "--cert", "13", "--cert",
		     "14", "--cert", "15", "--cert", "16", "--cert", "17"),
		"--cert: at most 16 times");
}

static void opt_checks_values(void **state)
{
	(void)state;
	refused(ARGS("--report", "r", "--vmpl", "4"), "--vmpl: 4 is out of range (max 3)");
	refused(ARGS("--report", "r", "--vmpl", "-1"), "--vmpl: '-1' is not a number");
	refused(ARGS("--report", "r", "--vmpl=1x"), "--vmpl: '1x' is not a number");
	refused(ARGS("--report", "r", "--vcpus=0"), "--vcpus 0: below the minimum (want 1..512)");
	refused(ARGS("--report", "r", "--vcpus=513"), "--vcpus: 513 is out of range (max 512)");
	refused(ARGS("--report", "r", "--guest-svn=0x100000000"), "--guest-svn");
	refused(ARGS("--report", "r", "--id=0a0b0c"), "--id: expected 8 hex digits, got 6");
	refused(ARGS("--report", "r", "--format=raw"), "--format: 'raw' (want hex|base64)");
	refused(ARGS("--report", "r", "--format=he"), "--format: 'he'");
	refused(ARGS("--report", "r", "--call=bad"), "--call: bad");
}

static void opt_help_wins_and_nothing_is_judged(void **state)
{
	struct vals v;
	struct snp_err err;
	bool help;

	(void)state;
	assert_int_equal(parse(&v, &help, &err, ARGS("--bogus", "--help")), 0);
	assert_true(help);
	assert_int_equal(parse(&v, &help, &err, ARGS("-h")), 0);
	assert_true(help);
	/* After "--" it is an argument. */
	assert_int_equal(parse(&v, &help, &err, ARGS("--report", "r", "--", "-h")), 0);
	assert_false(help);
	assert_string_equal(v.file, "-h");
}

static void opt_usage_lists_every_row(void **state)
{
	static const char *const want[] = {
		"usage: snpvm t --dir DIR [FILE] [options]\n",
		"\nabout text\n",
		"  --dir DIR             the state directory\n",
		"  --json                print JSON\n",
		"  --lax                 be lax\n                        second line\n",
		"  --a-very-long-option-name VALUE\n                        long\n",
		"  --vmpl N              VMPL\n",
		"  FILE                  a positional\n",
		"  -h, --help",
		"\nepilog text\n",
	};
	const char *dir = NULL, *file = NULL, *lng = NULL;
	bool json = false, lax = false;
	uint64_t vmpl = 0;
	struct opt inner[] = {
		OPT_U64("vmpl", &vmpl, 0, 3, "N", "VMPL"),
		OPT_END,
	};
	struct opt opts[] = {
		OPT_STRING("dir", &dir, "DIR", "the state directory", .required = true),
		OPT_FLAG("json", &json, "print JSON"),
		OPT_FLAG("lax", &lax, "be lax\nsecond line"),
		OPT_STRING("a-very-long-option-name", &lng, "VALUE", "long"),
		OPT_INCLUDE(inner, "the included ones:"),
		OPT_ARG("FILE", &file, "a positional"),
		OPT_END,
	};
	const struct opt_cmd cmd = { .name = "t", .opts = opts, .about = "about text\n",
				     .epilog = "epilog text\n" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	opt_usage(&cmd, f);
	assert_int_equal(fclose(f), 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(buf, want[i]))
			fail_msg("usage lacks \"%s\":\n%s", want[i], buf);
	free(buf);
}

/* A table that names an option twice is a bug, refused as such. */
static void opt_refuses_a_bad_table(void **state)
{
	bool a = false, b = false, help;
	struct opt opts[] = {
		OPT_FLAG("x", &a, "one"),
		OPT_FLAG("x", &b, "two"),
		OPT_END,
	};
	const struct opt_cmd cmd = { .name = "t", .opts = opts };
	char *argv[] = { (char *)"t", (char *)"--x", NULL };
	struct snp_err err = { 0 };

	(void)state;
	assert_int_equal(opt_parse(&cmd, 2, argv, &help, &err), SNP_E_INTERNAL);
	assert_non_null(strstr(err.msg, "'x' is in the table twice"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(opt_parses_both_value_spellings),
		cmocka_unit_test(opt_refuses_abbreviations),
		cmocka_unit_test(opt_names_unknown_options_and_the_command),
		cmocka_unit_test(opt_reports_missing_values),
		cmocka_unit_test(opt_refuses_duplicates_except_lists),
		cmocka_unit_test(opt_checks_values),
		cmocka_unit_test(opt_help_wins_and_nothing_is_judged),
		cmocka_unit_test(opt_usage_lists_every_row),
		cmocka_unit_test(opt_refuses_a_bad_table),
	};

	return cmocka_run_group_tests_name("cli/opt", tests, NULL, NULL);
}
