/*
 * The command table's rows, one per line so that each command lands as a
 * one-line change. Only commands that work are listed.
 */
#ifndef SNPVM_CLI_COMMANDS_H
#define SNPVM_CLI_COMMANDS_H

#include "cli/cmd.h"

/* Declarations: one per command. */
int cmd_idblock(int argc, char **argv);
int cmd_measure(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_launch(int argc, char **argv);
/* `snpvm attestd init|admin|serve`: the dispatcher and its subcommands (cli/cmd-attestd*.c). */
int cmd_attestd(int argc, char **argv);
int cmd_attestd_init(int argc, char **argv);
int cmd_attestd_admin(int argc, char **argv);
int cmd_attestd_serve(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_host_check(int argc, char **argv);
/* `snpvm measure [--verifier-policy] POLICY.json` (cli/cmd-launch.c). */
int cmd_measure_policy(int argc, char **argv);

#define SNPVM_COMMANDS \
	/* rows: { "name", cmd_name, "summary" }, */ \
	{ "id-block", cmd_idblock, "sign an ID block and ID auth block for SNP_LAUNCH_FINISH" }, \
	{ "measure", cmd_measure, "predict the SNP launch digest (sev-snp-measure's flags)" }, \
	{ "verify", cmd_verify, "verify an attestation report against AMD's roots" }, \
	{ "launch", cmd_launch, "launch (and run) a guest from a launch policy file" }, \
	{ "agent", cmd_agent, "in a guest: attest to attestd and fetch a secret (KBS RCAR)" }, \
	{ "sim", cmd_sim, "simulated AMD secure processor: init, status, report, kds" }, \
	{ "attestd", cmd_attestd, "the secret-release service: init, serve, admin" }, \
	{ "host-check", cmd_host_check, "can this host launch SEV-SNP guests? (checks and fixes)" },

#endif
