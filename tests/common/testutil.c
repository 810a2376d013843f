#include "tests/common/testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <ftw.h>

#include <cmocka.h>
#include <jansson.h>

#include "abi/report.h"
#include "util/file.h"

const char *tdata_path(const char *rel)
{
	static char path[4096];

	snprintf(path, sizeof(path), "tests/data/%s", rel);
	return path;
}

uint8_t *tdata_read(const char *rel, size_t *len)
{
	struct snp_err err = { 0 };
	uint8_t *buf = NULL;

	if (file_read(tdata_path(rel), 64u << 20, &buf, len, &err) != 0)
		fail_msg("cannot read test data %s: %s", rel, err.msg);
	return buf;
}

json_t *tdata_json(const char *rel)
{
	json_error_t jerr;
	size_t len;
	uint8_t *buf = tdata_read(rel, &len);
	json_t *v = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);

	free(buf);
	if (!v)
		fail_msg("%s: %s", rel, jerr.text);
	return v;
}

void tdata_report(const char *rel, struct snp_report *rep)
{
	struct snp_err err = { 0 };
	size_t len;
	uint8_t *buf = tdata_read(rel, &len);

	if (report_parse(buf, len, NULL, rep, &err) != 0)
		fail_msg("%s: %s", rel, err.msg);
	free(buf);
}

static char *slurp_fd(int fd)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);

	assert_non_null(buf);
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

/* argv[0] looked up in PATH; a child still running after timeout_s (0: never) gets SIGALRM. */
static void run_cmd_limited(const char *const argv[], const char *stdin_text, unsigned timeout_s,
			    struct run_result *res)
{
	struct rusage ru;
	char outpath[] = "/tmp/snpvm-test-out-XXXXXX", errpath[] = "/tmp/snpvm-test-err-XXXXXX";
	char inpath[] = "/tmp/snpvm-test-in-XXXXXX";
	int outfd = mkstemp(outpath), errfd = mkstemp(errpath), infd = mkstemp(inpath);
	int status = 0;
	pid_t pid;

	assert_true(outfd >= 0 && errfd >= 0 && infd >= 0);
	if (stdin_text)
		assert_int_equal(write(infd, stdin_text, strlen(stdin_text)), (ssize_t)strlen(stdin_text));
	lseek(infd, 0, SEEK_SET);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(infd, 0);
		dup2(outfd, 1);
		dup2(errfd, 2);
		alarm(timeout_s); /* pending alarms survive execve (0: none) */
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	assert_int_equal(wait4(pid, &status, 0, &ru), pid);
	res->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	res->maxrss_kib = ru.ru_maxrss;
	lseek(outfd, 0, SEEK_SET);
	lseek(errfd, 0, SEEK_SET);
	res->out = slurp_fd(outfd);
	res->err = slurp_fd(errfd);
	close(outfd);
	close(errfd);
	close(infd);
	unlink(outpath);
	unlink(errpath);
	unlink(inpath);
}

static const char *snpvm_bin(void)
{
	return getenv("SNPVM") ? getenv("SNPVM") : "build/snpvm";
}

void run_cmd(const char *const argv[], const char *stdin_text, struct run_result *res)
{
	run_cmd_limited(argv, stdin_text, 0, res);
}

void tls_selfsigned(const char *dir, const char *san, char *cert, char *key, size_t len)
{
	char ext[256];
	const char *argv[] = { "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
			       "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
			       "-subj", "/CN=localhost", "-days", "1", "-addext", ext, NULL };
	struct run_result rr;

	snprintf(cert, len, "%s/cert.pem", dir);
	snprintf(key, len, "%s/key.pem", dir);
	snprintf(ext, sizeof(ext), "subjectAltName=%s", san);
	run_cmd(argv, NULL, &rr);
	if (rr.status != 0)
		fail_msg("openssl req: %s", rr.err);
	run_result_free(&rr);
}

void run_snpvm_limited(const char *const argv[], const char *stdin_text, unsigned timeout_s,
		       struct run_result *res)
{
	const char *args[64];
	size_t n = 0;

	args[n++] = snpvm_bin();
	for (size_t i = 0; argv[i] && n < 63; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	run_cmd_limited(args, stdin_text, timeout_s, res);
}

void run_snpvm(const char *const argv[], const char *stdin_text, struct run_result *res)
{
	run_snpvm_limited(argv, stdin_text, 0, res);
}

pid_t spawn_snpvm(const char *const argv[], const char *log_path)
{
	const char *args[64];
	size_t n = 0;
	pid_t pid;
	int fd;

	args[n++] = snpvm_bin();
	for (size_t i = 0; argv[i] && n < 63; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		dup2(nul, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(args[0], (char *const *)args);
		_exit(127);
	}
	close(fd);
	return pid;
}

int spawn_wait(pid_t pid, int sig, unsigned timeout_ms)
{
	int status = 0;

	if (sig)
		kill(pid, sig);
	for (unsigned waited = 0;; waited += 10) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (r < 0)
			return -1;
		if (waited >= timeout_ms) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return 128 + SIGKILL;
		}
		usleep(10000);
	}
}

int wait_for_path(const char *path, pid_t pid, unsigned timeout_ms)
{
	struct stat st;

	for (unsigned waited = 0; waited < timeout_ms; waited += 10) {
		if (stat(path, &st) == 0 && (st.st_size > 0 || S_ISSOCK(st.st_mode)))
			return 0;
		if (pid > 0 && waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		usleep(10000);
	}
	return -1;
}

const char *tguest_path(const char *name)
{
	static char path[4096];
	const char *bin = snpvm_bin(), *slash = strrchr(bin, '/');
	int dirlen = slash ? (int)(slash - bin) : 1;

	snprintf(path, sizeof(path), "%.*s/tests/guests/%s.elf", dirlen, slash ? bin : ".", name);
	return path;
}

const char *tguest_abs_path(const char *name)
{
	static char abs[8192];
	char cwd[2048];
	const char *t = tguest_path(name);

	if (t[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return t;
	snprintf(abs, sizeof(abs), "%s/%s", cwd, t);
	return abs;
}

void run_result_free(struct run_result *res)
{
	free(res->out);
	free(res->err);
	res->out = res->err = NULL;
}

char *tmpdir_make(void)
{
	char *tmpl = strdup("/tmp/snpvm-test-XXXXXX");

	assert_non_null(tmpl);
	assert_non_null(mkdtemp(tmpl));
	return tmpl;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void proc_status_field(pid_t pid, const char *key, char *out, size_t len)
{
	char path[64], line[256];
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "r")))
		return;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0) {
			snprintf(out, len, "%s", line + strlen(key) + strspn(line + strlen(key), " \t"));
			out[strcspn(out, " \n")] = '\0';
		}
	fclose(f);
}

int fork_capture_stderr(int (*fn)(void *arg), void *arg, char *errbuf, size_t errlen)
{
	int pfd[2], status = 0;
	ssize_t n;
	size_t got = 0;
	pid_t pid;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], STDERR_FILENO);
		close(pfd[0]);
		_exit(fn(arg));
	}
	close(pfd[1]);
	while (got + 1 < errlen && (n = read(pfd[0], errbuf + got, errlen - 1 - got)) > 0)
		got += (size_t)n;
	errbuf[got] = '\0';
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void *arena_shrink_fn(void *arg)
{
	void *blk[64];
	size_t n = 0;

	for (; n < 64; n++) {
		if (!(blk[n] = malloc(64 << 10)))
			break;
		memset(blk[n], 1, 64 << 10);
	}
	while (n > 0)
		free(blk[--n]);
	return arg;
}

int thread_arena_shrink(void)
{
	pthread_t t;
	void *ret = NULL;
	int me;

	if (pthread_create(&t, NULL, arena_shrink_fn, &me) != 0 || pthread_join(t, &ret) != 0)
		return -1;
	return ret == &me ? 0 : -1;
}

int confine_probe_open(const char *dir)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/new-file", dir);
	return open(path, O_WRONLY | O_CREAT, 0600) < 0 && errno == EACCES ? CONFINE_OPEN_REFUSED
									: 3;
}

void confine_assert_open_refused(int status, const char *errbuf, const char *dir)
{
	char path[1024];

	if (!WIFEXITED(status) || WEXITSTATUS(status) != CONFINE_OPEN_REFUSED)
		fail_msg("open: status 0x%x, stderr: %s", status, errbuf);
	snprintf(path, sizeof(path), "%s/new-file", dir);
	assert_int_equal(access(path, F_OK), -1);
}

void confine_assert_killed(int status, const char *errbuf, const char *dir, const char *name)
{
	char want[128], path[1024];

	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSYS)
		fail_msg("%s: status 0x%x, stderr: %s", name, status, errbuf);
	snprintf(want, sizeof(want), "(%s), killed", name);
	if (!strstr(errbuf, "snpvm: seccomp: forbidden system call ") || !strstr(errbuf, want))
		fail_msg("stderr: %s", errbuf);
	snprintf(path, sizeof(path), "%s/new-file", dir);
	assert_int_equal(access(path, F_OK), -1);
}
