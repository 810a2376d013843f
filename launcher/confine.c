/*
 * The VMM's seccomp allow-lists (launcher/confine.h), found by running every
 * tests/launcher guest under strace -f and with the filters in place.
 *
 * Three tables: what every thread needs (common), what only the threads that
 * run the guest need (vcpu: KVM_RUN, page conversion, the sim's signatures),
 * what only the watcher needs (the report channel, the console's tear-down).
 * The process-wide filter is their union, plus the one seccomp() call a
 * thread narrows itself with; each guest thread and the watcher then narrow
 * themselves to common + their own (sc_confine_thread), once: the guest's
 * exits are handled where no socket call exists, the channel is served where
 * KVM_RUN does not. The threads share one address space, so this limits what
 * a payload made of system calls can do on each thread and what a confused
 * handler can be made to call; it is no boundary against code that can
 * write the other thread's memory (docs/launcher.md, "Confinement").
 *
 * No stdio on a guest thread: its first use stats the stream (newfstatat),
 * which only the watcher has.
 */
#include "launcher/confine.h"

#include <linux/kvm.h>
#include <sched.h>
#include <sys/ioctl.h>

#include "launcher/kvm-compat.h"
#include "util/caps.h"

static const struct sc_rule common_rules[] = {
	/* memory: glibc malloc, Unicorn's TCG code buffer, guest memory tear-down */
	SC_ALLOW("brk"), SC_ALLOW("mmap"), SC_ALLOW("munmap"), SC_ALLOW("mprotect"),
	SC_ALLOW("madvise"), SC_ALLOW("mremap"),
	/* threads: pthreads only (clone with CLONE_THREAD; never a process): the guest threads */
	{ .name = "clone", .how = SC_ARG_HAS, .arg = 0, .vals = { CLONE_THREAD }, .nvals = 1 },
	{ .name = "clone3", .how = SC_ENOSYS },
	SC_ALLOW("set_robust_list"), SC_ALLOW("rseq"), SC_ALLOW("futex"),
	SC_ALLOW("sched_yield"), SC_ALLOW("sched_getaffinity"),
	/* signals: the vCPU kick, SIGINT/SIGTERM */
	SC_ALLOW("rt_sigaction"), SC_ALLOW("rt_sigprocmask"), SC_ALLOW("rt_sigreturn"),
	SC_ALLOW("sigaltstack"), SC_ALLOW("tgkill"), SC_ALLOW("getpid"), SC_ALLOW("gettid"),
	/* time: slices, the watcher's period, --timeout */
	SC_ALLOW("clock_gettime"), SC_ALLOW("clock_nanosleep"), SC_ALLOW("nanosleep"),
	SC_ALLOW("gettimeofday"),
	/* the console (the serial device writes a full line at once), stderr */
	SC_ALLOW("write"), SC_ALLOW("writev"),
	/* opening anything fails with EACCES, never kills: see SC_EACCES (util/seccomp.h) */
	{ .name = "open", .how = SC_EACCES }, { .name = "openat", .how = SC_EACCES },
	SC_ALLOW("exit"), SC_ALLOW("exit_group"),
	{ .name = NULL },
};

/*
 * Registers are set and every SEV command made before the confinement
 * (launch.c run_vm): what remains is KVM_RUN, the fault report's reads
 * (KVM_GET_REGS, KVM_TRANSLATE) and the snp page conversions.
 */
static const struct sc_rule vcpu_rules[] = {
	/* snp runtime exits: guest_memfd page conversion */
	SC_ALLOW("fallocate"),
	{ .name = "ioctl", .how = SC_ARG_IN, .arg = 1,
	  .vals = { KVM_RUN, KVM_GET_REGS, KVM_TRANSLATE, KVM_SET_MEMORY_ATTRIBUTES },
	  .nvals = 4 },
	/* the sim backend's report signature (OpenSSL) for a guest's mailbox request */
	SC_ALLOW("getrandom"),
	{ .name = NULL },
};

static const struct sc_rule watcher_rules[] = {
	/* file descriptors already open: console, stdout/stderr, the channel; tear-down */
	SC_ALLOW("read"), SC_ALLOW("close"), SC_ALLOW("fstat"), SC_ALLOW("newfstatat"),
	SC_ALLOW("lseek"), SC_ALLOW("fcntl"), SC_ALLOW("poll"), SC_ALLOW("ppoll"),
	/* the report channel: accept the one client, talk, remove its socket at exit */
	SC_ALLOW("accept4"), SC_ALLOW("recvfrom"), SC_ALLOW("sendto"), SC_ALLOW("recvmsg"),
	SC_ALLOW("sendmsg"), SC_ALLOW("shutdown"), SC_ALLOW("unlink"),
	/* stdio's isatty when the result is printed */
	{ .name = "ioctl", .how = SC_ARG_IN, .arg = 1, .vals = { TCGETS }, .nvals = 1 },
	{ .name = NULL },
};

/* The process-wide filter only: each thread then loads its own, once. */
static const struct sc_rule narrowing_rules[] = {
	SC_SECCOMP_NARROW,
	{ .name = NULL },
};

int launcher_confine(struct snp_err *err)
{
	const struct sc_rule *const tables[] = { common_rules, vcpu_rules, watcher_rules,
						 narrowing_rules };
	int ret;

	if ((ret = caps_drop_all(err)) != 0 || (ret = sc_confine(tables, 4, err)) != 0)
		return snp_err_prefix(err, "launcher: confinement: ");
	return 0;
}

int launcher_confine_thread(enum vm_thread_role role, struct snp_err *err)
{
	const struct sc_rule *const tables[] = {
		common_rules, role == VM_THREAD_VCPU ? vcpu_rules : watcher_rules,
	};
	int ret;

	if ((ret = sc_confine_thread(tables, 2, err)) != 0)
		return snp_err_prefix(err, "launcher: confinement of the %s thread: ",
				      role == VM_THREAD_VCPU ? "vCPU" : "watcher");
	return 0;
}
