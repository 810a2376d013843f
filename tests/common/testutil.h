/*
 * Shared test helpers: locating fixtures under tests/data, reading them, and
 * running the snpvm binary as a user would. Tests run from the repo root.
 */
#ifndef SNPVM_TESTS_COMMON_TESTUTIL_H
#define SNPVM_TESTS_COMMON_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reads tests/data/<rel> into a malloc'd buffer; fails the test if missing. */
uint8_t *tdata_read(const char *rel, size_t *len);

struct snp_report;
struct json_t;

/* Parses tests/data/<rel> as JSON (duplicate keys refused); fails the test otherwise. */
struct json_t *tdata_json(const char *rel);

/* Reads and strictly parses the report tests/data/<rel> into *rep; fails the test otherwise. */
void tdata_report(const char *rel, struct snp_report *rep);

/* "tests/data/<rel>" in a static buffer (overwritten by the next call). */
const char *tdata_path(const char *rel);

struct run_result {
	int status;    /* exit status, or 128+signal */
	char *out;     /* captured stdout, NUL-terminated, malloc'd */
	char *err;     /* captured stderr */
	/* Peak RSS in KiB (wait4 ru_maxrss): snpvm's, or the forked test's before exec if larger. */
	long maxrss_kib;
};

/*
 * Runs $SNPVM (default build/snpvm) with argv (NULL-terminated, without
 * argv[0]) and optional stdin text; captures stdout and stderr.
 */
void run_snpvm(const char *const argv[], const char *stdin_text, struct run_result *res);

/*
 * run_snpvm, but a child still running after timeout_s seconds is killed by
 * SIGALRM (status 128 + SIGALRM), so a hang fails the test instead of hanging it.
 */
void run_snpvm_limited(const char *const argv[], const char *stdin_text, unsigned timeout_s,
		       struct run_result *res);
/* The same for any program: argv[0] is looked up in PATH (execvp); status 127 if it cannot run. */
void run_cmd(const char *const argv[], const char *stdin_text, struct run_result *res);
void run_result_free(struct run_result *res);

/*
 * A self-signed P-256 certificate for CN=localhost with the subjectAltName
 * san ("DNS:localhost,IP:127.0.0.1"), valid a day, made by the openssl CLI
 * into dir/cert.pem and dir/key.pem (their paths into cert and key, len bytes
 * each): a TLS server's pair, and the CA file its clients trust.
 */
void tls_selfsigned(const char *dir, const char *san, char *cert, char *key, size_t len);

/*
 * Starts $SNPVM with argv in the background, stdout and stderr to log_path,
 * stdin /dev/null; returns its pid (for services and running guests).
 */
pid_t spawn_snpvm(const char *const argv[], const char *log_path);

/*
 * Sends sig (0: none) to pid and reaps it within timeout_ms (SIGKILL after
 * that); returns its exit status, 128 + signal, or -1.
 */
int spawn_wait(pid_t pid, int sig, unsigned timeout_ms);

/*
 * Waits until path exists as a socket or a non-empty file (a port file, a
 * report channel); -1 after timeout_ms or when pid (if > 0) exited first.
 */
int wait_for_path(const char *path, pid_t pid, unsigned timeout_ms);

/*
 * The test guest <name> (tests/guests/<name>.c) as built for this BUILD:
 * "<directory of $SNPVM>/tests/guests/<name>.elf", in a static buffer
 * (overwritten by the next call). `make test` builds every guest first.
 */
const char *tguest_path(const char *name);

/* tguest_path(name) made absolute (policy files resolve relative paths against themselves). */
const char *tguest_abs_path(const char *name);

/* A fresh temporary directory (mkdtemp); the caller removes it with rm_rf. */
char *tmpdir_make(void);
void rm_rf(const char *path);

/* The value of field key ("Seccomp:") in /proc/PID/status, blanks around it dropped, or "". */
void proc_status_field(pid_t pid, const char *key, char *out, size_t len);

/*
 * Forks a child that runs fn(arg) with its stderr on a pipe and _exits with
 * what fn returns; the child's stderr text is put in errbuf. Returns the wait
 * status (for the seccomp tests: a forbidden call ends the child by SIGSYS).
 */
int fork_capture_stderr(int (*fn)(void *arg), void *arg, char *errbuf, size_t errlen);

/*
 * On a new thread, allocates 64 blocks of 64 KiB and frees them, so that
 * glibc shrinks that thread's arena heap; the first such shrink in a process
 * opens /proc/sys/vm/overcommit_memory (malloc/arena.c). Returns 0, or -1
 * when the thread could not run. For the seccomp tests: a filter that kills
 * on open kills this.
 */
int thread_arena_shrink(void);

/*
 * The seccomp tests' open probe, run in a confined child: opens DIR/new-file
 * for writing. Returns CONFINE_OPEN_REFUSED when that fails with EACCES
 * (SC_EACCES, util/seccomp.h), 3 when it does anything else; a filter that
 * kills on open ends the child first.
 */
#define CONFINE_OPEN_REFUSED 4
int confine_probe_open(const char *dir);

/* The probe's child exited with CONFINE_OPEN_REFUSED and DIR/new-file does not exist. */
void confine_assert_open_refused(int status, const char *errbuf, const char *dir);

/*
 * The probe's child was killed by SIGSYS, its stderr carries snpvm's "forbidden
 * system call" message naming the call name ("(NAME), killed"), and
 * DIR/new-file does not exist.
 */
void confine_assert_killed(int status, const char *errbuf, const char *dir, const char *name);

#endif
