/* main(): the command table and global flags; nothing else clever. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/cmd.h"
#include "cli/commands.h"
#include "cli/opt.h"
#include "util/log.h"

static int cmd_help(int argc, char **argv);

static const struct cmd commands[] = {
	{ "help", cmd_help, "show this help, or a command's help" },
	SNPVM_COMMANDS
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: snpvm [-v|-q] <command> [options]\n"
		   "       snpvm --version | --help | help <command>\n\n"
		   "Confidential VMs on AMD SEV-SNP: predict launch measurements, verify\n"
		   "attestation reports, run the simulated AMD secure processor.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nglobal options:\n"
		   "  -v, --verbose   more log output on stderr (repeatable)\n"
		   "  -q, --quiet     errors only\n"
		   "  --version       print the version\n"
		   "\nRun 'snpvm <command> --help' for a command's options. Exit status: 0 done,\n"
		   "1 refused, 2 bad usage or input, 3 other failure.\n");
}

static const struct cmd *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* snpvm help [COMMAND]: the table above, or COMMAND --help. */
static int cmd_help(int argc, char **argv)
{
	static char help_flag[] = "--help";
	const char *name = NULL;
	const struct cmd *c;
	int status;
	const struct opt opts[] = {
		OPT_ARG("COMMAND", &name, "the command whose options to show"),
		OPT_END,
	};
	const struct opt_cmd cmd = {
		.name = "help",
		.opts = opts,
		.about = "Without COMMAND: the commands and the global options.\n",
	};

	if (!cli_opt_parse(&cmd, argc, argv, &status))
		return status;
	if (!name || !strcmp(name, "help")) {
		usage(stdout);
		return EXIT_DONE;
	}
	c = find(name);
	if (!c) {
		fprintf(stderr, "snpvm: unknown command '%s' (see 'snpvm --help')\n", name);
		return EXIT_USAGE;
	}
	char *hargv[] = { (char *)c->name, help_flag, NULL };
	return c->fn(2, hargv);
}

int main(int argc, char **argv)
{
	enum log_level level = LOG_WARN;
	const struct cmd *c;
	static char prog[64];
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			level = level < LOG_DEBUG ? level + 1 : LOG_DEBUG;
		} else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			level = LOG_ERROR;
		} else if (!strcmp(argv[i], "--version")) {
			printf("snpvm %s\n", SNPVM_VERSION);
			return EXIT_DONE;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return EXIT_DONE;
		} else {
			fprintf(stderr, "snpvm: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	c = find(argv[i]);
	if (!c) {
		fprintf(stderr, "snpvm: unknown command '%s' (see 'snpvm --help')\n", argv[i]);
		return EXIT_USAGE;
	}
	snprintf(prog, sizeof(prog), "snpvm %s", c->name);
	log_setup(prog, level);
	return c->fn(argc - i, argv + i);
}
