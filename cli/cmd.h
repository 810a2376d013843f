/*
 * The subcommand interface. Each cli/cmd-<name>.c parses argv into an options
 * struct, calls one library entry point and prints the result. Only cli/
 * exits the process or prints.
 */
#ifndef SNPVM_CLI_CMD_H
#define SNPVM_CLI_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

/* Exit statuses, the same for every command. */
enum {
	EXIT_DONE = 0,    /* done; for verify: verified and appraised */
	EXIT_REFUSED = 1, /* the answer is no (verification or appraisal refused) */
	EXIT_USAGE = 2,   /* bad usage or unusable input */
	EXIT_FAILURE_ = 3 /* any other failure */
};

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv); /* argv[0] is the command name */
	const char *summary;
};

/*
 * Prints a failure: one line "snpvm <cmd>: <message>" on stderr, or with
 * json a {"error": {"code": ..., "message": ...}} object on stdout.
 */
void cli_print_error(const char *cmd, const struct snp_err *err, bool json);

struct json_t;

/* cli_print_error, with extra's members (taken; may be NULL) added to the JSON object. */
void cli_print_error_with(const char *cmd, const struct snp_err *err, bool json,
			  struct json_t *extra);

/*
 * Prints o as indented JSON and a newline on stdout and releases it (o may be
 * NULL, as jansson's constructors return on failure: that is SNP_E_NOMEM).
 * Returns 0, SNP_E_NOMEM or SNP_E_SYS (stdout not writable).
 */
int cli_print_json(struct json_t *o, struct snp_err *err) SNP_MUST_CHECK;

/*
 * A command made of subcommands (`snpvm sim init`, `snpvm attestd admin`):
 * runs the row of subs named argv[1] with argv + 1, or prints "usage: snpvm
 * CMD <subcommand> [options]", about and the table - on stdout for -h/--help
 * (EXIT_DONE), on stderr for a missing or unknown subcommand (EXIT_USAGE).
 */
int cli_subcommand(const char *cmd, const struct cmd *subs, size_t n, const char *about, int argc,
		   char **argv);

/* Maps an error code to the exit status of the table above (input errors -> 2). */
int cli_exit_status(int code);

#endif
