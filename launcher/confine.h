/*
 * The VMM's confinement: every capability dropped and a seccomp allow-list
 * (util/seccomp.h) covering the run loop, its devices and the report channel,
 * installed after the VM and everything privileged is open and before the
 * first guest instruction (docs/launcher.md, "Confinement").
 */
#ifndef SNPVM_LAUNCHER_CONFINE_H
#define SNPVM_LAUNCHER_CONFINE_H

#include "util/err.h"
#include "util/seccomp.h"

/* The allow-list, NULL-terminated (exposed for the tests). */
extern const struct sc_rule launcher_seccomp_rules[];

/*
 * Drops every capability (caps_drop_all) and loads launcher_seccomp_rules for
 * all threads of the process. From then on a forbidden system call (execve,
 * open, socket, ...) kills the process with SIGSYS.
 */
int launcher_confine(struct snp_err *err) SNP_MUST_CHECK;

#endif
