/* The output and exit-status helpers every command shares (cli/cmd.h). */
#include "cli/cmd.h"

#include <stdio.h>

#include <jansson.h>

void cli_print_error(const char *cmd, const struct snp_err *err, bool json)
{
	if (json) {
		struct snp_err ignore;

		/* Best effort: the line on stderr below is the error that counts. */
		(void)!cli_print_json(json_pack("{s:{s:s,s:s}}", "error", "code",
						snp_code_name(err->code), "message", err->msg),
				      &ignore);
	}
	fprintf(stderr, "snpvm %s: %s\n", cmd, err->msg[0] ? err->msg : snp_strerror(err->code));
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
