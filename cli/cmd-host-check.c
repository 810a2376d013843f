/*
 * snpvm host-check: can this host launch SEV-SNP guests? Runs hostcheck/'s
 * checks and prints each as pass, fail or skip, with the fix for each failure
 * (docs/host-check.md). Exit 0 when every check passes, 1 when the host
 * cannot run SNP guests, 2 for bad usage.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/cmd.h"
#include "cli/commands.h"
#include "cli/opt.h"
#include "hostcheck/hostcheck.h"

#define CMD "host-check"

struct host_check_opts {
	const char *root, *firmware;
	bool json;
};

static bool opts_parse(int argc, char **argv, struct host_check_opts *o, int *status)
{
	const struct opt opts[] = {
		OPT_FLAG("json", &o->json,
			 "print {\"ready\": bool, \"checks\": [{name, status, detail, fix}]}"),
		OPT_STRING("firmware", &o->firmware, "FILE",
			   "also check this OVMF image against the manifest of known\n"
			   "builds (fails for an unknown image or one without SEV metadata)"),
		OPT_STRING("root", &o->root, "DIR",
			   "read proc/, sys/ and dev/ under DIR instead of / (for tests;\n"
			   "CPUID and the ioctls still reach this machine)"),
		OPT_END,
	};
	const struct opt_cmd cmd = {
		.name = CMD,
		.opts = opts,
		.json = &o->json,
		.about = "Checks that this host can launch SEV-SNP guests on upstream KVM: the AMD\n"
			 "processor and its SNP support, the kernel (6.11+), kvm_amd's sev, sev_es\n"
			 "and sev_snp parameters, /dev/kvm and its SNP capabilities, /dev/sev and\n"
			 "the SNP firmware (version, initialised, TCB). Each check prints pass, fail\n"
			 "(with the fix) or skip (a check it needs failed). See docs/host-check.md.\n",
		.epilog = "Exit status: 0 ready, 1 this host cannot launch SNP guests, 2 bad usage.\n",
	};

	memset(o, 0, sizeof(*o));
	return cli_opt_parse(&cmd, argc, argv, status);
}

static void print_text(const struct hostcheck_report *rep)
{
	size_t i, failed = 0, skipped = 0;

	for (i = 0; i < rep->n; i++) {
		const struct hostcheck_result *c = &rep->checks[i];

		printf("%-4s  %-22s %s\n", hostcheck_status_name(c->status), c->name, c->detail);
		if (c->status == HOSTCHECK_FAIL) {
			printf("      fix: %s\n", c->fix);
			failed++;
		} else if (c->status == HOSTCHECK_SKIP) {
			skipped++;
		}
	}
	if (hostcheck_ready(rep)) {
		printf("\nready: this host can launch SEV-SNP guests (%zu checks passed)\n", rep->n);
		return;
	}
	printf("\nnot ready: this host cannot launch SEV-SNP guests (%zu failed, %zu skipped):\n",
	       failed, skipped);
	for (i = 0; i < rep->n; i++)
		if (rep->checks[i].status == HOSTCHECK_FAIL)
			printf("  %s: %s\n", rep->checks[i].name, rep->checks[i].detail);
}

int cmd_host_check(int argc, char **argv)
{
	struct hostcheck_opts hopts = { 0 };
	struct hostcheck_report rep;
	struct host_check_opts o;
	struct snp_err err = { 0 };
	int status;

	if (!opts_parse(argc, argv, &o, &status))
		return status;
	hopts.root = o.root;
	hopts.firmware = o.firmware;
	if (hostcheck_run(&hopts, &rep, &err) != 0) {
		cli_print_error(CMD, &err, o.json);
		return cli_exit_status(err.code);
	}
	if (o.json) {
		if (cli_print_json(hostcheck_report_json(&rep), &err) != 0) {
			cli_print_error(CMD, &err, false);
			return cli_exit_status(err.code);
		}
	} else {
		print_text(&rep);
	}
	return hostcheck_ready(&rep) ? EXIT_DONE : EXIT_REFUSED;
}
