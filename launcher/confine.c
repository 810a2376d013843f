/*
 * The VMM's seccomp allow-list (launcher/confine.h). One process-wide filter:
 * the union of what the vCPU threads (the accelerator and the devices they
 * call), the main thread (watcher: report channel, timeout, signals, console)
 * and the tear-down after the run need. It was found by running every
 * tests/launcher guest under strace -f and with the filter in place.
 */
#include "launcher/confine.h"

#include <linux/kvm.h>
#include <sched.h>
#include <sys/ioctl.h>

#include "launcher/kvm-compat.h"
#include "util/caps.h"

const struct sc_rule launcher_seccomp_rules[] = {
	/* memory: glibc malloc, Unicorn's TCG code buffer, guest memory tear-down */
	SC_ALLOW("brk"), SC_ALLOW("mmap"), SC_ALLOW("munmap"), SC_ALLOW("mprotect"),
	SC_ALLOW("madvise"), SC_ALLOW("mremap"),
	/* snp runtime exits: guest_memfd page conversion */
	SC_ALLOW("fallocate"),
	/* threads: vCPU threads are pthreads (clone with CLONE_THREAD only; never a process) */
	{ .name = "clone", .how = SC_ARG_HAS, .arg = 0, .vals = { CLONE_THREAD }, .nvals = 1 },
	{ .name = "clone3", .how = SC_ENOSYS },
	SC_ALLOW("set_robust_list"), SC_ALLOW("rseq"), SC_ALLOW("futex"),
	SC_ALLOW("sched_yield"), SC_ALLOW("sched_getaffinity"),
	/* signals: the vCPU kick, SIGINT/SIGTERM */
	SC_ALLOW("rt_sigaction"), SC_ALLOW("rt_sigprocmask"), SC_ALLOW("rt_sigreturn"),
	SC_ALLOW("sigaltstack"), SC_ALLOW("tgkill"), SC_ALLOW("getpid"), SC_ALLOW("gettid"),
	/* time: the watcher's period, --timeout */
	SC_ALLOW("clock_gettime"), SC_ALLOW("clock_nanosleep"), SC_ALLOW("nanosleep"),
	SC_ALLOW("gettimeofday"),
	/* file descriptors already open: console, stdout/stderr, the channel */
	SC_ALLOW("read"), SC_ALLOW("write"), SC_ALLOW("writev"), SC_ALLOW("close"),
	SC_ALLOW("fstat"), SC_ALLOW("newfstatat"), SC_ALLOW("lseek"), SC_ALLOW("fcntl"),
	SC_ALLOW("poll"), SC_ALLOW("ppoll"),
	/* the report channel: accept the one client, talk, remove its socket at exit */
	SC_ALLOW("accept4"), SC_ALLOW("recvfrom"), SC_ALLOW("sendto"), SC_ALLOW("recvmsg"),
	SC_ALLOW("sendmsg"), SC_ALLOW("shutdown"), SC_ALLOW("unlink"),
	/* the sim backend's report signature (OpenSSL) */
	SC_ALLOW("getrandom"),
	/* KVM at run time, and stdio's isatty (TCGETS) */
	{ .name = "ioctl", .how = SC_ARG_IN, .arg = 1,
	  .vals = { KVM_RUN, KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS,
		    KVM_MEMORY_ENCRYPT_OP, KVM_SET_MEMORY_ATTRIBUTES, KVM_TRANSLATE, TCGETS },
	  .nvals = 9 },
	/* opening anything fails with EACCES, never kills: see SC_EACCES (util/seccomp.h) */
	{ .name = "open", .how = SC_EACCES }, { .name = "openat", .how = SC_EACCES },
	SC_ALLOW("exit"), SC_ALLOW("exit_group"),
	{ .name = NULL },
};

int launcher_confine(struct snp_err *err)
{
	const struct sc_rule *const tables[] = { launcher_seccomp_rules };
	int ret;

	if ((ret = caps_drop_all(err)) != 0 || (ret = sc_confine(tables, 1, err)) != 0)
		return snp_err_prefix(err, "launcher: confinement: ");
	return 0;
}
