/*
 * attestd's privilege drop and seccomp allow-list (attestd/confine.h).
 *
 * When: `snpvm attestd serve` confines itself right after attestd_start,
 * i.e. after libmicrohttpd's thread pools exist. That is sound for the filter
 * because it is loaded with TSYNC (util/seccomp.h): the kernel puts it, and
 * no_new_privs, on every existing thread at once, and threads created later
 * inherit it. glibc applies setuid to every thread (its SIGSETXID broadcast),
 * and a thread whose uids all leave 0 loses every capability
 * (capabilities(7)), so after --user no thread keeps one. What it is not: a
 * request accepted in the milliseconds between attestd_start and the end of
 * the drop is served unconfined. Binding without starting the daemon
 * (httpd_start split in two), then confining, then starting, closes that
 * window; it is not done yet (docs/attestd.md, "Confinement").
 *
 * The list was found by running tests/attestd/test-serve-cli.c and
 * tests/attestd/test-confine.c under strace -f with the filter off.
 */
#include "attestd/confine.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "util/caps.h"

const struct sc_rule attestd_seccomp_rules[] = {
	/* memory: malloc, OpenSSL, SQLite's -shm mapping, thread stacks */
	SC_ALLOW("brk"), SC_ALLOW("mmap"), SC_ALLOW("munmap"), SC_ALLOW("mprotect"),
	SC_ALLOW("madvise"), SC_ALLOW("mremap"),
	/* threads: libmicrohttpd's pools are pthreads (clone with CLONE_THREAD, never a process) */
	{ .name = "clone", .how = SC_ARG_HAS, .arg = 0, .vals = { CLONE_THREAD }, .nvals = 1 },
	{ .name = "clone3", .how = SC_ENOSYS },
	SC_ALLOW("set_robust_list"), SC_ALLOW("rseq"), SC_ALLOW("futex"),
	SC_ALLOW("sched_yield"), SC_ALLOW("sched_getaffinity"),
	/* signals: sigwait for SIGINT/SIGTERM, glibc's set*id broadcast, thread cancellation */
	SC_ALLOW("rt_sigaction"), SC_ALLOW("rt_sigprocmask"), SC_ALLOW("rt_sigreturn"),
	SC_ALLOW("rt_sigtimedwait"), SC_ALLOW("sigaltstack"), SC_ALLOW("tgkill"),
	SC_ALLOW("getpid"), SC_ALLOW("gettid"),
	/* time: the clock of sessions, tokens and rate limits; db.c's back-off */
	SC_ALLOW("clock_gettime"), SC_ALLOW("clock_nanosleep"), SC_ALLOW("nanosleep"),
	SC_ALLOW("gettimeofday"),
	/* serving on the listening sockets bound before the filter */
	SC_ALLOW("accept4"), SC_ALLOW("accept"), SC_ALLOW("epoll_wait"), SC_ALLOW("epoll_pwait"),
	SC_ALLOW("epoll_ctl"), SC_ALLOW("poll"), SC_ALLOW("ppoll"), SC_ALLOW("select"),
	SC_ALLOW("pselect6"), SC_ALLOW("recvfrom"), SC_ALLOW("sendto"), SC_ALLOW("recvmsg"),
	SC_ALLOW("sendmsg"), SC_ALLOW("shutdown"), SC_ALLOW("setsockopt"),
	SC_ALLOW("getsockopt"), SC_ALLOW("getsockname"), SC_ALLOW("getpeername"),
	/* descriptors already open: sockets, the JSON log, stderr, the store's files */
	SC_ALLOW("read"), SC_ALLOW("write"), SC_ALLOW("readv"), SC_ALLOW("writev"),
	SC_ALLOW("close"), SC_ALLOW("fcntl"), SC_ALLOW("fstat"), SC_ALLOW("newfstatat"),
	SC_ALLOW("lseek"),
	/* SQLite on its open database, -wal and -shm: I/O, locks (fcntl), syncs, truncation */
	SC_ALLOW("pread64"), SC_ALLOW("pwrite64"), SC_ALLOW("fsync"), SC_ALLOW("fdatasync"),
	SC_ALLOW("ftruncate"), SC_ALLOW("geteuid"),
	/* SQLite removes its -wal at the last close, libmicrohttpd's unix socket at stop
	 * (EACCES after --user: both then stay, which is harmless) */
	SC_ALLOW("unlink"),
	/* nonces, keys, IVs, JWE (OpenSSL) */
	SC_ALLOW("getrandom"),
	/* stdio's isatty (TCGETS); everything else is refused */
	{ .name = "ioctl", .how = SC_ARG_IN, .arg = 1, .vals = { TCGETS, FIONBIO }, .nvals = 2 },
	/* opening anything fails with EACCES, never kills: see SC_EACCES (util/seccomp.h) */
	{ .name = "open", .how = SC_EACCES }, { .name = "openat", .how = SC_EACCES },
	SC_ALLOW("exit"), SC_ALLOW("exit_group"),
	{ .name = NULL },
};

int attestd_drop_user(const char *user, const char *admin_sock, struct snp_err *err)
{
	struct passwd *pw = getpwnam(user);
	gid_t gid;
	uid_t uid;

	if (pw == NULL)
		return snp_errf(err, SNP_E_INVALID, "--user: no user '%s'", user);
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (uid == 0)
		return snp_errf(err, SNP_E_INVALID, "--user: '%s' is root", user);
	/* The admin socket stays 0600, now the service user's. */
	if (admin_sock && chown(admin_sock, uid, gid) != 0 && errno != ENOENT)
		return snp_err_sys(err, "--user: chown %s", admin_sock);
	if (setgroups(1, &gid) != 0)
		return snp_err_sys(err, "--user: setgroups");
	if (setgid(gid) != 0)
		return snp_err_sys(err, "--user: setgid %u", (unsigned)gid);
	if (setuid(uid) != 0)
		return snp_err_sys(err, "--user: setuid %u", (unsigned)uid);
	if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid ||
	    setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0)
		return snp_errf(err, SNP_E_SYS, "--user: privileges were not dropped");
	return 0;
}

int attestd_confine(struct snp_err *err)
{
	const struct sc_rule *const tables[] = { attestd_seccomp_rules };
	int ret;

	/*
	 * The time zone read now: something under /auth calls localtime, which opens
	 * /etc/localtime on first use. With TZ unset glibc's tzset also stats (and,
	 * from some callers, such as ASan's interceptors, re-opens) the file on later
	 * calls; TZ=":/etc/localtime" is the same zone, read once (tzset(3)).
	 */
	if (!getenv("TZ"))
		setenv("TZ", ":/etc/localtime", 0);
	tzset();
	if ((ret = caps_drop_all(err)) != 0 || (ret = sc_confine(tables, 1, err)) != 0)
		return snp_err_prefix(err, "attestd: confinement: ");
	return 0;
}
