/*
 * The VMM's confinement (launcher/confine.h): after launcher_confine() a
 * forbidden system call kills the process with SIGSYS and a message naming
 * the call, what the run loop needs still works, every capability is gone;
 * a thread narrowed to the vCPU role dies of the report channel's calls and
 * one narrowed to the watcher role of KVM_RUN, while the other threads keep
 * them; and `snpvm launch` runs its guest confined, every thread under two
 * filters (Seccomp: 2, Seccomp_filters: 2 in /proc/PID/task/TID/status),
 * unless --no-seccomp. The forbidden calls run in forked children.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "launcher/confine.h"
#include "tests/common/testutil.h"
#include "tests/sim/simtest.h"

enum probe {
	P_NOTHING, P_EXECVE, P_OPEN_NEW, P_SOCKET, P_FORK, P_ALLOWED,
	P_VCPU_ACCEPT, P_VCPU_RECVMSG, P_VCPU_UNLINK, P_VCPU_SECCOMP, P_VCPU_ALLOWED,
	P_WATCHER_KVM_RUN, P_WATCHER_GETRANDOM,
	P_WATCHER_ALLOWED,
};

static void *thread_fn(void *arg)
{
	return arg;
}

/* In the confined child: what the VMM does at run time, all of which must work. */
static int allowed_calls(void)
{
	struct timespec ts;
	pthread_t t;
	void *ret = NULL;
	void *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || mprotect(p, 4096, PROT_READ) != 0 || munmap(p, 1 << 20) != 0)
		return 10;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0 || nanosleep(&(struct timespec){ 0, 1000 }, NULL))
		return 11;
	if (pthread_create(&t, NULL, thread_fn, &ts) != 0 || pthread_join(t, &ret) != 0 ||
	    ret != &ts)
		return 12;
	/* glibc's malloc opens a /proc file at a thread arena's first shrink: still alive */
	if (thread_arena_shrink() != 0)
		return 14;
	if (write(STDERR_FILENO, "allowed\n", 8) != 8)
		return 13;
	return 0;
}

/* What a guest thread does at run time besides allowed_calls(): KVM (EBADF here), getrandom. */
static int vcpu_run_calls(void)
{
	uint8_t buf[16];

	if (ioctl(-1, KVM_RUN, 0) != -1 || errno != EBADF || ioctl(-1, KVM_TRANSLATE, 0) != -1 ||
	    errno != EBADF || ioctl(-1, KVM_GET_REGS, 0) != -1 || errno != EBADF)
		return 30;
	if (fallocate(-1, 0, 0, 4096) != -1 || errno != EBADF)
		return 31;
	if (getrandom(buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
		return 32;
	return allowed_calls();
}

/* A vCPU thread: narrowed, then the call the probe names. */
static void *vcpu_probe_thread(void *arg)
{
	const enum probe *probe = arg;
	struct snp_err err = { 0 };
	struct msghdr mh = { 0 };

	if (launcher_confine_thread(VM_THREAD_VCPU, &err) != 0) {
		dprintf(STDERR_FILENO, "confine vCPU: %s\n", err.msg);
		return (void *)(intptr_t)2;
	}
	switch (*probe) {
	case P_VCPU_ACCEPT:
		(void)accept4(-1, NULL, NULL, 0);
		return (void *)(intptr_t)3;
	case P_VCPU_RECVMSG:
		(void)recvmsg(-1, &mh, 0);
		return (void *)(intptr_t)3;
	case P_VCPU_UNLINK:
		(void)unlink("/nonexistent/report.sock");
		return (void *)(intptr_t)3;
	case P_VCPU_SECCOMP: /* a thread narrows itself once */
		if (launcher_confine_thread(VM_THREAD_WATCHER, &err) != 0)
			return (void *)(intptr_t)4;
		return (void *)(intptr_t)3;
	default:
		return (void *)(intptr_t)vcpu_run_calls();
	}
}

/* A vCPU thread's probe; then this (unnarrowed) thread still has the channel's calls. */
static int vcpu_probe(enum probe probe)
{
	pthread_t t;
	void *ret = NULL;

	if (pthread_create(&t, NULL, vcpu_probe_thread, &probe) != 0 || pthread_join(t, &ret) != 0)
		return 20;
	if (ret != NULL)
		return (int)(intptr_t)ret;
	if (accept4(-1, NULL, NULL, 0) != -1 || errno != EBADF)
		return 21;
	return 0;
}

/* The watcher: narrowed, the report channel's calls answer (EBADF/ENOENT); KVM_RUN kills. */
static int watcher_probe(enum probe probe)
{
	struct snp_err err = { 0 };
	struct msghdr mh = { 0 };

	if (launcher_confine_thread(VM_THREAD_WATCHER, &err) != 0) {
		dprintf(STDERR_FILENO, "confine watcher: %s\n", err.msg);
		return 2;
	}
	if (probe == P_WATCHER_KVM_RUN) {
		(void)ioctl(-1, KVM_RUN, 0);
		return 3;
	}
	if (probe == P_WATCHER_GETRANDOM) {
		uint8_t buf[16];

		(void)getrandom(buf, sizeof(buf), 0);
		return 3;
	}
	if (accept4(-1, NULL, NULL, 0) != -1 || errno != EBADF || recvmsg(-1, &mh, 0) != -1 ||
	    errno != EBADF || unlink("/nonexistent/report.sock") != -1 || errno != ENOENT)
		return 22;
	return allowed_calls();
}

struct probe_arg {
	enum probe probe;
	const char *dir;
};

/* In the forked child: confine, then make the probe call. */
static int probe_child(void *arg)
{
	const struct probe_arg *pa = arg;
	struct snp_err err = { 0 };

	if (launcher_confine(&err) != 0) {
		dprintf(STDERR_FILENO, "confine: %s\n", err.msg);
		return 2;
	}
	switch (pa->probe) {
	case P_EXECVE:
		execl("/bin/true", "true", (char *)NULL);
		return 3;
	case P_OPEN_NEW:
		return confine_probe_open(pa->dir);
	case P_SOCKET:
		(void)socket(AF_INET, SOCK_STREAM, 0);
		return 3;
	case P_FORK:
		(void)syscall(SYS_fork);
		return 3;
	case P_ALLOWED:
		return allowed_calls();
	case P_VCPU_ACCEPT:
	case P_VCPU_RECVMSG:
	case P_VCPU_UNLINK:
	case P_VCPU_SECCOMP:
	case P_VCPU_ALLOWED:
		return vcpu_probe(pa->probe);
	case P_WATCHER_KVM_RUN:
	case P_WATCHER_GETRANDOM:
	case P_WATCHER_ALLOWED:
		return watcher_probe(pa->probe);
	case P_NOTHING:
		break;
	}
	return 0;
}

/* Runs the probe in a confined child; its wait status, its stderr in errbuf. */
static int run_confined(enum probe probe, const char *dir, char *errbuf, size_t errlen)
{
	struct probe_arg pa = { probe, dir };

	return fork_capture_stderr(probe_child, &pa, errbuf, errlen);
}

static void assert_killed(enum probe probe, const char *name)
{
	char *dir = tmpdir_make();
	char errbuf[512];
	int status = run_confined(probe, dir, errbuf, sizeof(errbuf));

	confine_assert_killed(status, errbuf, dir, name);
	rm_rf(dir);
	free(dir);
}

/* open/openat: EACCES, the process lives on, nothing is created. */
static void assert_open_refused(void)
{
	char *dir = tmpdir_make();
	char errbuf[512];
	int status = run_confined(P_OPEN_NEW, dir, errbuf, sizeof(errbuf));

	confine_assert_open_refused(status, errbuf, dir);
	rm_rf(dir);
	free(dir);
}

static void forbidden_calls_kill_with_sigsys(void **state)
{
	(void)state;
	assert_killed(P_EXECVE, "execve");
	assert_open_refused();
	assert_killed(P_SOCKET, "socket");
	assert_killed(P_FORK, "fork");
}

static void run_loop_calls_still_work(void **state)
{
	char errbuf[512];
	int status = run_confined(P_ALLOWED, "/nonexistent", errbuf, sizeof(errbuf));

	(void)state;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("status 0x%x, stderr: %s", status, errbuf);
	assert_string_equal(errbuf, "allowed\n");
}

static void assert_exits_0(enum probe probe)
{
	char errbuf[512];
	int status = run_confined(probe, "/nonexistent", errbuf, sizeof(errbuf));

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("status 0x%x, stderr: %s", status, errbuf);
	assert_string_equal(errbuf, "allowed\n");
}

static void vcpu_thread_is_killed_for_channel_calls(void **state)
{
	(void)state;
	assert_killed(P_VCPU_ACCEPT, "accept4");
	assert_killed(P_VCPU_RECVMSG, "recvmsg");
	assert_killed(P_VCPU_UNLINK, "unlink");
	assert_killed(P_VCPU_SECCOMP, "seccomp");
	/* what a vCPU thread does still works there, and the channel's calls on the others */
	assert_exits_0(P_VCPU_ALLOWED);
}

static void watcher_is_killed_for_kvm_run(void **state)
{
	(void)state;
	assert_killed(P_WATCHER_KVM_RUN, "ioctl");
	assert_killed(P_WATCHER_GETRANDOM, "getrandom");
	assert_exits_0(P_WATCHER_ALLOWED);
}

/*
 * Every thread of pid: its Seccomp_filters count in counts (up to max);
 * returns how many threads.
 */
static size_t thread_filters(pid_t pid, char counts[][16], size_t max)
{
	char path[64], sub[400], key[] = "Seccomp_filters:";
	size_t n = 0;
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	assert_non_null(dir = opendir(path));
	while ((d = readdir(dir)) && n < max) {
		char line[256];
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s/status", path, d->d_name);
		if (!(f = fopen(sub, "r")))
			continue; /* a thread that just ended (Unicorn's slice timer) */
		counts[n][0] = '\0';
		while (fgets(line, sizeof(line), f))
			if (strncmp(line, key, strlen(key)) == 0)
				snprintf(counts[n], sizeof(counts[n]), "%.*s",
					 (int)strcspn(line + strlen(key) + 1, "\n"),
					 line + strlen(key) + 1 + strspn(line + strlen(key) + 1, " \t"));
		fclose(f);
		n++;
	}
	closedir(dir);
	return n;
}

/* Launches the runaway guest, reads its VMM's status while it runs, stops it. */
struct launch_seen {
	char seccomp[64], capeff[64];
	char filters[8][16]; /* per thread */
	size_t nthreads;
};

static void launch_status(const char *extra, struct launch_seen *seen)
{
	char *dir = simtest_dir(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK);
	char pol[1200], text[2048], log[1200];
	const char *argv[] = { "launch", pol, "--accel", "emu", "--timeout", "60", extra, NULL };
	pid_t pid;
	FILE *f;

	snprintf(pol, sizeof(pol), "%s/runaway.json", dir);
	snprintf(log, sizeof(log), "%s/console.log", dir);
	char *guest = realpath(tguest_path("runaway"), NULL);

	assert_non_null(guest);
	snprintf(text, sizeof(text),
		 "{\"payload\": \"%s\", \"memory_mib\": 64, \"sim_dir\": \"%s\", "
		 "\"console\": \"stdout\"}", guest, dir);
	free(guest);
	f = fopen(pol, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	pid = spawn_snpvm(argv, log);
	/* the runaway guest prints once it runs: the filter is in place by then */
	for (int i = 0; i < 200; i++) {
		size_t n = 0;
		FILE *l = fopen(log, "r");

		if (l) {
			n = fread(text, 1, sizeof(text) - 1, l);
			fclose(l);
		}
		text[n] = '\0';
		if (strstr(text, "looping"))
			break;
		usleep(50 * 1000);
	}
	if (!strstr(text, "looping"))
		fail_msg("the runaway guest did not start: %s", text);
	proc_status_field(pid, "Seccomp:", seen->seccomp, sizeof(seen->seccomp));
	proc_status_field(pid, "CapEff:", seen->capeff, sizeof(seen->capeff));
	seen->nthreads = thread_filters(pid, seen->filters, 8);
	assert_int_equal(spawn_wait(pid, SIGTERM, 10000), 7);
	rm_rf(dir);
	free(dir);
}

static void launch_runs_the_guest_confined(void **state)
{
	struct launch_seen seen;

	(void)state;
	launch_status(NULL, &seen);
	assert_string_equal(seen.seccomp, "2"); /* SECCOMP_MODE_FILTER */
	assert_string_equal(seen.capeff, "0000000000000000");
	/* the watcher and the guest thread (and Unicorn's slice timer, from the guest thread) */
	assert_true(seen.nthreads >= 2);
	for (size_t i = 0; i < seen.nthreads; i++)
		assert_string_equal(seen.filters[i], "2"); /* the process's, and the thread's own */
	launch_status("--no-seccomp", &seen);
	assert_string_equal(seen.seccomp, "0");
	for (size_t i = 0; i < seen.nthreads; i++)
		assert_string_equal(seen.filters[i], "0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(forbidden_calls_kill_with_sigsys),
		cmocka_unit_test(run_loop_calls_still_work),
		cmocka_unit_test(vcpu_thread_is_killed_for_channel_calls),
		cmocka_unit_test(watcher_is_killed_for_kvm_run),
		cmocka_unit_test(launch_runs_the_guest_confined),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
