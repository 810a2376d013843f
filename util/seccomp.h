/*
 * Seccomp allow-lists as declarative tables (libseccomp), and the one way a
 * forbidden system call ends the process.
 *
 * A component (launcher/confine.c, attestd/confine.c) writes its allow-list as
 * a table of struct sc_rule and calls sc_confine() once. The filter is loaded
 * with SECCOMP_FILTER_FLAG_TSYNC: it applies to every thread of the process at
 * once, and threads created later inherit it (Linux
 * Documentation/userspace-api/seccomp_filter.rst). Any system call the table
 * does not allow raises SIGSYS (SCMP_ACT_TRAP); the handler writes
 * "snpvm: seccomp: forbidden system call NR (NAME)" to stderr with write(2)
 * and the process then dies of SIGSYS (shell status 159, no core dump). The
 * handler cannot be blocked away: the kernel unblocks a seccomp SIGSYS.
 */
#ifndef SNPVM_UTIL_SECCOMP_H
#define SNPVM_UTIL_SECCOMP_H

#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

enum sc_how {
	SC_ANY,    /* allowed with any arguments */
	SC_ARG_IN, /* allowed when argument `arg` (low 32 bits) is one of vals */
	SC_ARG_HAS, /* allowed when argument `arg` has all the bits of vals[0] */
	SC_ENOSYS, /* fails with ENOSYS (clone3: glibc falls back to clone) */
	/*
	 * Fails with EACCES: for open/openat. Libraries open files lazily behind
	 * other calls - glibc's malloc at the first heap shrink of a thread's
	 * arena (/proc/sys/vm/overcommit_memory, malloc/arena.c), tzset
	 * (/etc/localtime), SQLite at the first WAL sync (the directory) - and each
	 * goes on without the file. OpenSSH's seccomp sandbox answers open the same
	 * way (sandbox-seccomp-filter.c). Nothing is opened either way.
	 */
	SC_EACCES,
	SC_EACCES_IN, /* fails with EACCES when argument `arg` (low 32 bits) is one of vals:
		       * a call a library tries and does without (glibc's nscd socket) */
	SC_ARGS_EQ,   /* allowed when argument i equals vals[i] for every i < nvals (<= 6) */
};

#define SC_MAX_VALS 24

struct sc_rule {
	const char *name; /* as libseccomp names it ("ioctl") */
	enum sc_how how;
	unsigned arg;
	uint64_t vals[SC_MAX_VALS];
	size_t nvals;
};

#define SC_ALLOW(n) { .name = (n), .how = SC_ANY }

/*
 * For a process-wide filter under which threads narrow themselves
 * (sc_confine_thread): seccomp(SECCOMP_SET_MODE_FILTER) with flags 0 only -
 * no TSYNC (one thread's filter reaching the others), no user-notification
 * listener, no logging or speculation flags. A filter loaded so can still
 * answer calls with a fake result for the thread that loaded it, which is why
 * only the launcher's process-wide filter has this rule and attestd's has not.
 */
#define SC_SECCOMP_NARROW                                                                 \
	{ .name = "seccomp", .how = SC_ARGS_EQ, .vals = { SECCOMP_SET_MODE_FILTER, 0 }, .nvals = 2 }

/*
 * Installs the filter made of the rules of every table in tables (ntables of
 * them, each ending with a rule whose name is NULL) plus what the SIGSYS
 * report itself needs, for all threads. Returns SNP_E_INVALID for a name
 * libseccomp does not know, SNP_E_SYS when the kernel refuses the filter.
 */
int sc_confine(const struct sc_rule *const *tables, size_t ntables,
	       struct snp_err *err) SNP_MUST_CHECK;

/*
 * The same, for the calling thread only, on top of what it has: the kernel
 * runs every filter a thread holds and the strictest answer wins, so a thread
 * can narrow itself below the process-wide filter (a VMM's vCPU threads leave
 * out the report channel's calls, its watcher the guest's). Threads it creates
 * later inherit it. Needs no_new_privs already set (sc_confine sets it for
 * every thread) and, under an earlier filter, that filter to allow exactly
 * seccomp(SECCOMP_SET_MODE_FILTER, 0, ...) (SC_SECCOMP_NARROW below); the new
 * filter itself does not, so a thread narrows itself once.
 */
int sc_confine_thread(const struct sc_rule *const *tables, size_t ntables,
		      struct snp_err *err) SNP_MUST_CHECK;

#endif
