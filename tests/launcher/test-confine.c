/*
 * The VMM's confinement (launcher/confine.h): after launcher_confine() a
 * forbidden system call kills the process with SIGSYS and a message naming
 * the call, what the run loop needs still works, every capability is gone;
 * and `snpvm launch` runs its guest confined (Seccomp: 2 in /proc/PID/status)
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
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "launcher/confine.h"
#include "tests/common/testutil.h"
#include "tests/sim/simtest.h"

enum probe { P_NOTHING, P_EXECVE, P_OPEN_NEW, P_SOCKET, P_FORK, P_ALLOWED };

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

struct probe_arg {
	enum probe probe;
	const char *dir;
};

/* In the forked child: confine, then make the probe call. */
static int probe_child(void *arg)
{
	const struct probe_arg *pa = arg;
	struct snp_err err = { 0 };
	char path[1024];

	snprintf(path, sizeof(path), "%s/new-file", pa->dir);
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
	char errbuf[512], want[128], path[1024];
	int status = run_confined(probe, dir, errbuf, sizeof(errbuf));

	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
	snprintf(want, sizeof(want), "(%s), killed", name);
	if (!strstr(errbuf, "snpvm: seccomp: forbidden system call ") || !strstr(errbuf, want))
		fail_msg("stderr: %s", errbuf);
	/* the file was not created */
	snprintf(path, sizeof(path), "%s/new-file", dir);
	assert_int_equal(access(path, F_OK), -1);
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

/* Launches the runaway guest, reads its VMM's status while it runs, stops it. */
static void launch_status(const char *extra, char *seccomp, char *capeff, size_t len)
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
	proc_status_field(pid, "Seccomp:", seccomp, len);
	proc_status_field(pid, "CapEff:", capeff, len);
	assert_int_equal(spawn_wait(pid, SIGTERM, 10000), 7);
	rm_rf(dir);
	free(dir);
}

static void launch_runs_the_guest_confined(void **state)
{
	char sc[64], cap[64];

	(void)state;
	launch_status(NULL, sc, cap, sizeof(sc));
	assert_string_equal(sc, "2"); /* SECCOMP_MODE_FILTER */
	assert_string_equal(cap, "0000000000000000");
	launch_status("--no-seccomp", sc, cap, sizeof(sc));
	assert_string_equal(sc, "0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(forbidden_calls_kill_with_sigsys),
		cmocka_unit_test(run_loop_calls_still_work),
		cmocka_unit_test(launch_runs_the_guest_confined),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
