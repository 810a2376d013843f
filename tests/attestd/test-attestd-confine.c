/*
 * attestd's seccomp allow-list (attestd/confine.h), in forked children that
 * confine themselves with attestd_confine: execve, openat of a new file,
 * socket, fork and ptrace each die of SIGSYS with the
 * message naming the call; what serving needs (memory, threads, clocks,
 * randomness, I/O and fcntl locks on a file opened before) still works.
 * With the VCEK fetch's and cache's additions (kds): a TCP socket, creating
 * a file with O_EXCL, mkdir, rename and reading a file work, a Unix socket
 * fails with EACCES, while a netlink socket, opening a file to write or
 * truncate it, and execve still kill. The
 * whole exchange under the filter is in test-serve-cli.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "attestd/confine.h"
#include "tests/common/testutil.h"

enum probe {
	P_EXECVE, P_OPEN_NEW, P_SOCKET, P_FORK, P_PTRACE, P_SECCOMP, P_ALLOWED,
	P_SOCKET_UNIX, P_SOCKET_NETLINK, P_OPEN_TRUNC, P_KDS_ALLOWED,
};

static void *thread_fn(void *arg)
{
	return arg;
}

/* What a serving attestd does; fd is a file opened before the filter (SQLite's). */
static int allowed_calls(int fd)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 1 };
	struct timespec ts;
	pthread_t t;
	void *ret = NULL;
	uint8_t buf[16];
	void *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || mprotect(p, 4096, PROT_READ) != 0 || munmap(p, 1 << 20) != 0)
		return 10;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 11;
	if (pthread_create(&t, NULL, thread_fn, &ts) != 0 || pthread_join(t, &ret) != 0 ||
	    ret != &ts)
		return 12;
	if (getrandom(buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
		return 13;
	if (pwrite(fd, "page", 4, 0) != 4 || pread(fd, buf, 4, 0) != 4 || fdatasync(fd) != 0 ||
	    fsync(fd) != 0 || fcntl(fd, F_SETLK, &lk) != 0 || ftruncate(fd, 2) != 0)
		return 14;
	/* glibc's malloc opens a /proc file at a thread arena's first shrink: still alive */
	if (thread_arena_shrink() != 0)
		return 14;
	if (write(STDERR_FILENO, "allowed\n", 8) != 8)
		return 15;
	return 0;
}

struct probe_arg {
	enum probe probe;
	const char *dir;
	int fd; /* a file opened before the filter, as SQLite's are */
	bool kds; /* with attestd_seccomp_kds_rules */
};

/* What the VCEK fetch and cache do (attestd_seccomp_kds_rules), in dir. */
static int kds_calls(const char *dir)
{
	char d[1100], tmp[1200], final[1200];
	uint8_t buf[4];
	int s, fd;

	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP)) < 0)
		return 20;
	close(s);
	snprintf(d, sizeof(d), "%s/vcek", dir);
	snprintf(tmp, sizeof(tmp), "%s/x.der.tmp", d);
	snprintf(final, sizeof(final), "%s/x.der", d);
	if (mkdir(d, 0755) != 0)
		return 21;
	if ((fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return 22;
	if (write(fd, "vcek", 4) != 4 || fchmod(fd, 0644) != 0 || fsync(fd) != 0)
		return 23;
	close(fd);
	if (rename(tmp, final) != 0)
		return 24;
	if ((fd = open(final, O_RDONLY | O_CLOEXEC)) < 0 || read(fd, buf, 4) != 4)
		return 25;
	close(fd);
	if (write(STDERR_FILENO, "allowed\n", 8) != 8)
		return 26;
	return 0;
}

/* In the forked child: confine, then make the probe call. */
static int probe_child(void *arg)
{
	const struct probe_arg *pa = arg;
	struct snp_err err = { 0 };
	char path[1024];

	if (attestd_confine(pa->kds, NULL, &err) != 0) {
		dprintf(STDERR_FILENO, "confine: %s\n", err.msg);
		return 2;
	}
	switch (pa->probe) {
	case P_EXECVE:
		execl("/bin/true", "true", (char *)NULL);
		break;
	case P_OPEN_NEW:
		return confine_probe_open(pa->dir);
	case P_SOCKET:
		(void)socket(AF_INET, SOCK_STREAM, 0);
		break;
	case P_FORK:
		(void)syscall(SYS_fork);
		break;
	case P_SECCOMP: /* a further filter could fake answers to the other threads' calls */
		(void)syscall(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, 0, NULL);
		break;
	case P_PTRACE:
		(void)syscall(SYS_ptrace, 0, 0, 0, 0);
		break;
	case P_ALLOWED:
		return allowed_calls(pa->fd);
	case P_SOCKET_UNIX: /* refused without a kill: glibc's nscd probe does without */
		return socket(AF_UNIX, SOCK_STREAM, 0) < 0 && errno == EACCES ? 4 : 5;
	case P_SOCKET_NETLINK:
		(void)socket(AF_NETLINK, SOCK_RAW, 0);
		break;
	case P_OPEN_TRUNC: /* the file opened before the filter, by name */
		snprintf(path, sizeof(path), "%s/db", pa->dir);
		(void)open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
		break;
	case P_KDS_ALLOWED:
		return kds_calls(pa->dir);
	}
	return 3;
}

static int run_confined(enum probe probe, bool kds, const char *dir, char *errbuf,
			size_t errlen)
{
	struct probe_arg pa = { probe, dir, -1, kds };
	char path[1024];
	int status;

	snprintf(path, sizeof(path), "%s/db", dir);
	pa.fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(pa.fd >= 0);
	status = fork_capture_stderr(probe_child, &pa, errbuf, errlen);
	close(pa.fd);
	return status;
}

static void assert_killed(enum probe probe, bool kds, const char *name)
{
	char *dir = tmpdir_make();
	char errbuf[512];
	int status = run_confined(probe, kds, dir, errbuf, sizeof(errbuf));

	confine_assert_killed(status, errbuf, dir, name);
	rm_rf(dir);
	free(dir);
}

/* open/openat: EACCES, the process lives on, nothing is created. */
static void assert_open_refused(void)
{
	char *dir = tmpdir_make();
	char errbuf[512];
	int status = run_confined(P_OPEN_NEW, false, dir, errbuf, sizeof(errbuf));

	confine_assert_open_refused(status, errbuf, dir);
	rm_rf(dir);
	free(dir);
}

/* valgrind cannot run a process under a seccomp filter: make valgrind sets SNPVM_NO_SECCOMP=1 */
static void skip_without_seccomp(void)
{
	const char *v = getenv("SNPVM_NO_SECCOMP");

	if (v && strcmp(v, "1") == 0)
		skip();
}

static void forbidden_calls_kill_attestd(void **state)
{
	(void)state;
	skip_without_seccomp();
	assert_killed(P_EXECVE, false, "execve");
	assert_open_refused(); /* without the KDS: EACCES, not a kill */
	assert_killed(P_SOCKET, false, "socket");
	assert_killed(P_FORK, false, "fork");
	assert_killed(P_PTRACE, false, "ptrace");
	assert_killed(P_SECCOMP, false, "seccomp");
}

static void kds_additions_are_narrow(void **state)
{
	(void)state;
	skip_without_seccomp();
	assert_killed(P_EXECVE, true, "execve");
	assert_killed(P_OPEN_NEW, true, "openat"); /* O_WRONLY|O_CREAT without O_EXCL */
	assert_killed(P_OPEN_TRUNC, true, "openat");
	assert_killed(P_SOCKET_NETLINK, true, "socket");
	assert_killed(P_FORK, true, "fork");
	assert_killed(P_PTRACE, true, "ptrace");
	{
		char *dir = tmpdir_make(), errbuf[512];
		int status = run_confined(P_SOCKET_UNIX, true, dir, errbuf, sizeof(errbuf));

		if (!WIFEXITED(status) || WEXITSTATUS(status) != 4)
			fail_msg("AF_UNIX socket: status 0x%x, stderr: %s", status, errbuf);
		rm_rf(dir);
		free(dir);
	}
}

static void serving_calls_still_work(void **state)
{
	char *dir, errbuf[512];
	int status;

	(void)state;
	skip_without_seccomp();
	dir = tmpdir_make();
	status = run_confined(P_ALLOWED, false, dir, errbuf, sizeof(errbuf));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("status 0x%x, stderr: %s", status, errbuf);
	assert_string_equal(errbuf, "allowed\n");
	/* the same with the kds additions, and what they are for */
	status = run_confined(P_ALLOWED, true, dir, errbuf, sizeof(errbuf));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("kds: status 0x%x, stderr: %s", status, errbuf);
	status = run_confined(P_KDS_ALLOWED, true, dir, errbuf, sizeof(errbuf));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("kds calls: status 0x%x, stderr: %s", status, errbuf);
	assert_string_equal(errbuf, "allowed\n");
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(forbidden_calls_kill_attestd),
		cmocka_unit_test(kds_additions_are_narrow),
		cmocka_unit_test(serving_calls_still_work),
	};

	return cmocka_run_group_tests_name("attestd confinement", tests, NULL, NULL);
}
