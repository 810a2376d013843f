/* The output and exit-status helpers every command shares (cli/cmd.h). */
#include "cli/cmd.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

void cli_print_error_with(const char *cmd, const struct snp_err *err, bool json, json_t *extra)
{
	if (json) {
		struct snp_err ignore;
		json_t *o = json_pack("{s:{s:s,s:s}}", "error", "code", snp_code_name(err->code),
				      "message", err->msg);

		if (o && extra)
			json_object_update(o, extra);
		/* Best effort: the line on stderr below is the error that counts. */
		(void)!cli_print_json(o, &ignore);
	}
	json_decref(extra);
	fprintf(stderr, "snpvm %s: %s\n", cmd, err->msg[0] ? err->msg : snp_strerror(err->code));
}

void cli_print_error(const char *cmd, const struct snp_err *err, bool json)
{
	cli_print_error_with(cmd, err, json, NULL);
}

int cli_print_json(json_t *o, struct snp_err *err)
{
	int ret;

	if (!o)
		return snp_errf(err, SNP_E_NOMEM, "JSON output: out of memory");
	ret = json_dumpf(o, stdout, JSON_INDENT(2)) != 0 || fputc('\n', stdout) == EOF ||
			      fflush(stdout) != 0
		      ? snp_errf(err, SNP_E_SYS, "writing JSON to stdout")
		      : 0;
	json_decref(o);
	return ret;
}

int cli_exit_status(int code)
{
	switch (code) {
	case SNP_OK:
		return EXIT_DONE;
	case SNP_E_SIGNATURE:
	case SNP_E_CHAIN:
	case SNP_E_REFUSED:
		return EXIT_REFUSED;
	case SNP_E_TRUNCATED:
	case SNP_E_RESERVED:
	case SNP_E_TRAILING:
	case SNP_E_VERSION:
	case SNP_E_INVALID:
	case SNP_E_UNSUPPORTED:
		return EXIT_USAGE;
	default:
		return EXIT_FAILURE_;
	}
}

int cli_subcommand(const char *cmd, const struct cmd *subs, size_t n, const char *about, int argc,
		   char **argv)
{
	bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
	FILE *f = help ? stdout : stderr;

	if (argc >= 2 && !help) {
		for (size_t i = 0; i < n; i++)
			if (strcmp(argv[1], subs[i].name) == 0)
				return subs[i].fn(argc - 1, argv + 1);
		fprintf(stderr, "snpvm %s: unknown subcommand '%.64s'\n", cmd, argv[1]);
	}
	fprintf(f, "usage: snpvm %s <subcommand> [options]\n\n%s\nsubcommands:\n", cmd, about);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %-8s %s\n", subs[i].name, subs[i].summary);
	if (n > 0)
		fprintf(f, "\nEach has --help: 'snpvm %s %s --help'.\n", cmd, subs[0].name);
	return help ? EXIT_DONE : EXIT_USAGE;
}
