/*
 * The VMM's confinement: every capability dropped and a seccomp allow-list
 * (util/seccomp.h) covering the run loop, its devices and the report channel,
 * installed after the VM and everything privileged is open and before the
 * first guest instruction (docs/launcher.md, "Confinement").
 */
#ifndef SNPVM_LAUNCHER_CONFINE_H
#define SNPVM_LAUNCHER_CONFINE_H

#include "launcher/vm.h"
#include "util/err.h"
#include "util/seccomp.h"

/*
 * Drops every capability (caps_drop_all) and loads the union of the
 * allow-lists below, plus seccomp(SECCOMP_SET_MODE_FILTER, 0) for the
 * threads to narrow themselves, for all threads of the process. From then on
 * a forbidden system call (execve, socket, fork, ...) kills the process with
 * SIGSYS; open/openat fail with EACCES.
 */
int launcher_confine(struct snp_err *err) SNP_MUST_CHECK;

/*
 * Narrows the calling thread to what its role needs (vm_config.confine_thread):
 *
 *   VM_THREAD_VCPU     memory, threads, signals, time, console writes, and
 *                      KVM_RUN, KVM_GET_REGS/KVM_TRANSLATE (a fault's
 *                      report), the snp page conversions, the sim's
 *                      getrandom; no socket call, no read, no close, no
 *                      unlink, no stdio
 *   VM_THREAD_WATCHER  the same without KVM, fallocate and getrandom, with
 *                      the report channel's socket calls, reads and the
 *                      tear-down's close
 *
 * On top of launcher_confine's filter (the strictest answer wins); neither
 * allows seccomp(), so a thread narrows itself once.
 */
int launcher_confine_thread(enum vm_thread_role role, struct snp_err *err) SNP_MUST_CHECK;

#endif
