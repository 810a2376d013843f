/* cli/main.c: the command table, global flags and exit statuses, run as a user would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tests/common/testutil.h"

static void cli_version_prints_version(void **state)
{
	const char *argv[] = { "--version", NULL };
	struct run_result r;

	(void)state;
	run_snpvm(argv, NULL, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "snpvm "));
	assert_int_equal(r.out[strlen(r.out) - 1], '\n');
	run_result_free(&r);
}

static void cli_help_lists_commands_and_each_has_help(void **state)
{
	const char *argv[] = { "--help", NULL };
	struct run_result r;
	char *line, *save = NULL, *copy;
	int ncmds = 0;

	(void)state;
	run_snpvm(argv, NULL, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "commands:"));
	/* Every listed command answers --help with exit 0 and a usage line. */
	copy = strstr(r.out, "commands:\n") + strlen("commands:\n");
	for (line = strtok_r(copy, "\n", &save); line && line[0] == ' '; line = strtok_r(NULL, "\n", &save)) {
		char name[32] = { 0 };
		const char *hargv[] = { name, "--help", NULL };
		struct run_result h;

		assert_int_equal(sscanf(line, " %31s", name), 1);
		run_snpvm(hargv, NULL, &h);
		if (h.status != 0 || !strstr(h.out, "usage:"))
			fail_msg("'snpvm %s --help' exited %d: %s%s", name, h.status, h.out, h.err);
		run_result_free(&h);
		ncmds++;
	}
	assert_true(ncmds >= 1);
	run_result_free(&r);
}

static void cli_unknown_command_is_usage_error(void **state)
{
	const char *argv[] = { "frobnicate", NULL };
	const char *argv2[] = { "--bogus", NULL };
	const char *argv3[] = { NULL };
	struct run_result r;

	(void)state;
	run_snpvm(argv, NULL, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "unknown command 'frobnicate'"));
	run_result_free(&r);
	run_snpvm(argv2, NULL, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "unknown option '--bogus'"));
	run_result_free(&r);
	run_snpvm(argv3, NULL, &r);
	assert_int_equal(r.status, 2);
	run_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cli_version_prints_version),
		cmocka_unit_test(cli_help_lists_commands_and_each_has_help),
		cmocka_unit_test(cli_unknown_command_is_usage_error),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
