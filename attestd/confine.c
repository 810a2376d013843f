/*
 * attestd's privilege drop and seccomp allow-lists (attestd/confine.h).
 *
 * When: `snpvm attestd serve` confines itself after attestd_bind (listening
 * sockets bound, store, keys and every database connection open) and before
 * attestd_serve starts libmicrohttpd's threads, so no request is ever
 * answered unconfined; the lists therefore also cover starting those threads
 * (clone with CLONE_THREAD, their eventfd, their names). The filter is loaded with
 * TSYNC (util/seccomp.h), so threads that exist already (none of
 * libmicrohttpd's, today) get it too and later ones inherit it. glibc applies
 * setuid to every thread (its SIGSETXID broadcast), and a thread whose uids
 * all leave 0 loses every capability (capabilities(7)).
 *
 * The lists were found by running tests/attestd/test-serve-cli.c (the whole
 * exchange, with and without --kds-url/--kds-cache) under strace -f with the
 * filter off, then with it on; the resolver's calls with the KDS named by a
 * host name, resolved through /etc/hosts and through a DNS server over UDP,
 * and OpenSSL's with an https KDS (a TLS front on the sim KDS, its
 * certificate added to the CA bundle in a private mount namespace).
 */
#include "attestd/confine.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "attestd/db-backend.h"
#include "util/caps.h"

const struct sc_rule attestd_seccomp_rules[] = {
	/* memory: malloc, OpenSSL, SQLite's -shm mapping, thread stacks */
	SC_ALLOW("brk"), SC_ALLOW("mmap"), SC_ALLOW("munmap"), SC_ALLOW("mprotect"),
	SC_ALLOW("madvise"), SC_ALLOW("mremap"),
	/* threads: libmicrohttpd's pools are pthreads (clone with CLONE_THREAD, never a
	 * process), started under the filter (attestd_serve); it names them */
	{ .name = "clone", .how = SC_ARG_HAS, .arg = 0, .vals = { CLONE_THREAD }, .nvals = 1 },
	{ .name = "clone3", .how = SC_ENOSYS },
	{ .name = "prctl", .how = SC_ARG_IN, .arg = 0, .vals = { PR_SET_NAME }, .nvals = 1 },
	/* each libmicrohttpd thread's wake-up channel (MHD_USE_ITC: an eventfd), made at start */
	SC_ALLOW("eventfd2"),
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
	SC_ALLOW("exit"), SC_ALLOW("exit_group"),
	{ .name = NULL },
};

/*
 * Without the KDS: opening anything fails with EACCES, never kills (SC_EACCES,
 * util/seccomp.h: glibc's malloc, tzset and SQLite open lazily and go on
 * without the file). With the KDS, attestd_seccomp_kds_rules allows a few
 * read-only and create-new openat flag sets instead, and the rest kills.
 */
const struct sc_rule attestd_seccomp_no_open_rules[] = {
	{ .name = "open", .how = SC_EACCES }, { .name = "openat", .how = SC_EACCES },
	{ .name = NULL },
};

const struct sc_rule attestd_seccomp_kds_rules[] = {
	/* libcurl's GET to the KDS: TCP over IPv4 or IPv6 only, and the socketpair it
	 * wakes its own poll with */
	{ .name = "socket", .how = SC_ARG_IN, .arg = 0, .vals = { AF_INET, AF_INET6 }, .nvals = 2 },
	{ .name = "socketpair", .how = SC_ARG_IN, .arg = 0, .vals = { AF_UNIX }, .nvals = 1 },
	SC_ALLOW("connect"),
	/* the resolver's configuration (res_init: the host name for the search domain), its
	 * A and AAAA queries sent together over UDP, each answer sized before it is read */
	SC_ALLOW("uname"), SC_ALLOW("sendmmsg"),
	{ .name = "ioctl", .how = SC_ARG_IN, .arg = 1, .vals = { FIONREAD }, .nvals = 1 },
	/*
	 * The VCEK cache (attest/kds.h): cached files read (O_RDONLY, with
	 * O_NOCTTY|O_NONBLOCK from util/file.c's reader), new ones written as a
	 * temporary file created with O_EXCL, then fchmod, fsync and rename; the
	 * directories made on the way. An https KDS: OpenSSL reads the CA bundle
	 * at each connection (fopen "r": plain O_RDONLY). The resolver reads
	 * /etc/hosts and resolv.conf (O_RDONLY|O_CLOEXEC). Seccomp cannot see
	 * paths: what limits them is --user. No other open flags: nothing
	 * existing is opened for writing or truncated, and no O_PATH or
	 * O_DIRECTORY descriptor is made.
	 */
	{ .name = "openat", .how = SC_ARG_IN, .arg = 2,
	  .vals = { O_RDONLY, O_RDONLY | O_CLOEXEC, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC,
		    O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC },
	  .nvals = 4 },
	SC_ALLOW("mkdir"), SC_ALLOW("rename"), SC_ALLOW("fchmod"),
	{ .name = NULL },
};

/*
 * With the KDS and no PostgreSQL store: getaddrinfo (a KDS named by host
 * name) asks nscd first, over a Unix socket: that is refused, and glibc reads
 * /etc/hosts and asks DNS itself (attestd_seccomp_kds_rules).
 */
const struct sc_rule attestd_seccomp_no_unix_socket_rules[] = {
	{ .name = "socket", .how = SC_EACCES_IN, .arg = 0, .vals = { AF_UNIX }, .nvals = 1 },
	{ .name = NULL },
};

/*
 * A PostgreSQL store: the pooled connections are open before the filter, and
 * when the server restarts libpq reconnects each (PQreset in attestd/db-pg.c)
 * the way it first connected - a Unix socket in the server's socket
 * directory, or TCP to a host that may need the resolver. Without these, a
 * server restart killed attestd with SIGSYS.
 */
const struct sc_rule attestd_seccomp_pg_rules[] = {
	{ .name = "socket", .how = SC_ARG_IN, .arg = 0, .vals = { AF_UNIX, AF_INET, AF_INET6 },
	  .nvals = 3 },
	SC_ALLOW("connect"),
	SC_ALLOW("uname"), SC_ALLOW("sendmmsg"),
	{ .name = "ioctl", .how = SC_ARG_IN, .arg = 1, .vals = { FIONREAD }, .nvals = 1 },
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

int attestd_confine(bool kds, const char *store_uri, struct snp_err *err)
{
	const bool pg = store_uri && db_uri_is_postgresql(store_uri);
	const struct sc_rule *tables[4];
	size_t n = 0;
	int ret;

	tables[n++] = attestd_seccomp_rules;
	tables[n++] = kds ? attestd_seccomp_kds_rules : attestd_seccomp_no_open_rules;
	if (pg)
		tables[n++] = attestd_seccomp_pg_rules;
	else if (kds)
		tables[n++] = attestd_seccomp_no_unix_socket_rules;

	/*
	 * The time zone read now: something under /auth calls localtime, which opens
	 * /etc/localtime on first use. With TZ unset glibc's tzset also stats (and,
	 * from some callers, such as ASan's interceptors, re-opens) the file on later
	 * calls; TZ=":/etc/localtime" is the same zone, read once (tzset(3)).
	 */
	if (!getenv("TZ"))
		setenv("TZ", ":/etc/localtime", 0);
	tzset();
	if ((ret = caps_drop_all(err)) != 0 ||
	    (ret = sc_confine((const struct sc_rule *const *)tables, n, err)) != 0)
		return snp_err_prefix(err, "attestd: confinement: ");
	return 0;
}
