/*
 * `snpvm attestd serve` as an operator runs it: on a state directory made
 * by `snpvm attestd init`, port 0 written to --port-file, guests served,
 * the admin socket answering `snpvm attestd admin`, one JSON log line per
 * exchange, SIGTERM ending it with status 0, --user dropping privileges,
 * and usage errors refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/attestd/attestd-test.h"
#include "tests/common/httpc.h"
#include "util/file.h"

struct server {
	pid_t pid;
	uint16_t port;
	char dir[1024], state[1100], portfile[1100], log[1100], out[1100];
};

static const char *snpvm_bin(void)
{
	return getenv("SNPVM") ? getenv("SNPVM") : "build/snpvm";
}

/* Starts serve with extra arguments (NULL-terminated); waits for the port file. */
static void serve_start(struct server *s, const char *const *extra)
{
	const char *argv[32] = { snpvm_bin(), "attestd", "serve", "--dir", s->state,
				 "--listen", "127.0.0.1:0", "--port-file", s->portfile,
				 "--json-log", s->log };
	size_t n = 11;
	uint8_t *buf = NULL;
	size_t len = 0;
	struct snp_err err = { 0 };

	for (size_t i = 0; extra && extra[i]; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	unlink(s->portfile);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		int fd = open(s->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	/* Up to 20 s for the store, the key and the listeners. */
	for (int i = 0; i < 400; i++) {
		int st;

		if (file_read(s->portfile, 64, &buf, &len, &err) == 0 && len > 1)
			break;
		free(buf);
		buf = NULL;
		if (waitpid(s->pid, &st, WNOHANG) == s->pid)
			fail_msg("serve exited early (status %d); see %s", st, s->out);
		usleep(50 * 1000);
	}
	assert_non_null(buf);
	s->port = (uint16_t)strtoul((const char *)buf, NULL, 10);
	free(buf);
	assert_int_not_equal(s->port, 0);
}

/* SIGTERM; returns the exit status. */
static int serve_stop(struct server *s)
{
	int st = 0;

	assert_int_equal(kill(s->pid, SIGTERM), 0);
	assert_int_equal(waitpid(s->pid, &st, 0), s->pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void server_init(struct server *s)
{
	const char *argv[] = { "attestd", "init", "--dir", s->state, NULL };
	struct run_result r;
	char *tmp = tmpdir_make();

	snprintf(s->dir, sizeof(s->dir), "%s", tmp);
	free(tmp);
	snprintf(s->state, sizeof(s->state), "%s/state", s->dir);
	snprintf(s->portfile, sizeof(s->portfile), "%s/port", s->dir);
	snprintf(s->log, sizeof(s->log), "%s/log.jsonl", s->dir);
	snprintf(s->out, sizeof(s->out), "%s/out.txt", s->dir);
	run_snpvm(argv, NULL, &r);
	if (r.status != 0)
		fail_msg("attestd init: %s", r.err);
	run_result_free(&r);
}

static long get(const struct server *s, const char *path, const char *body)
{
	char url[256];
	struct httpc_req rq = { .url = url, .body = body, .body_len = body ? strlen(body) : 0,
				.content_type = body ? "application/json" : NULL };
	struct httpc_resp rs;
	long st;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", s->port, path);
	assert_int_equal(httpc_do(&rq, &rs), 0);
	st = rs.status;
	httpc_resp_free(&rs);
	return st;
}

static void serve_runs_and_stops_on_sigterm(void **state)
{
	struct server s = { 0 };
	const char *list[] = { "attestd", "admin", "--dir", s.state, "list", NULL };
	struct run_result r;
	uint8_t *log = NULL, *out = NULL;
	size_t loglen = 0, outlen = 0;
	struct snp_err err = { 0 };

	(void)state;
	server_init(&s);
	serve_start(&s, NULL);
	assert_int_equal(get(&s, "/healthz", NULL), 200);
	assert_int_equal(get(&s, "/kbs/v0/auth", "{\"version\":\"0.4.0\",\"tee\":\"snp\"}"), 200);
	assert_int_equal(get(&s, "/kbs/v0/jwks", NULL), 200);
	/* The admin socket of the same process. */
	run_snpvm(list, NULL, &r);
	if (r.status != 0)
		fail_msg("attestd admin list: %d %s", r.status, r.err);
	run_result_free(&r);
	assert_int_equal(serve_stop(&s), 0);
	assert_int_equal(file_read(s.log, 1 << 20, &log, &loglen, &err), 0);
	assert_non_null(strstr((char *)log, "\"route\":\"healthz\""));
	assert_non_null(strstr((char *)log, "\"route\":\"auth\""));
	assert_non_null(strstr((char *)log, "\"listener\":\"admin\""));
	assert_int_equal(file_read(s.out, 1 << 20, &out, &outlen, &err), 0);
	assert_non_null(strstr((char *)out, "listening on http://127.0.0.1:0 (port"));
	free(log);
	free(out);
	rm_rf(s.dir);
}

static void serve_drops_to_user(void **state)
{
	struct server s = { 0 };
	struct passwd *pw = getpwnam("nobody");
	const char *extra[] = { "--user", "nobody", NULL };
	char path[64], line[256];
	bool seen = false;
	FILE *f;

	(void)state;
	if (geteuid() != 0 || pw == NULL)
		skip(); /* needs root and the user nobody */
	server_init(&s);
	serve_start(&s, extra);
	assert_int_equal(get(&s, "/healthz", NULL), 200);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)s.pid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned r, e, sv, fs;

		if (sscanf(line, "Uid: %u %u %u %u", &r, &e, &sv, &fs) == 4) {
			assert_int_equal(r, pw->pw_uid);
			assert_int_equal(e, pw->pw_uid);
			assert_int_equal(sv, pw->pw_uid);
			seen = true;
		}
	}
	fclose(f);
	assert_true(seen);
	/* The store still answers after the drop: a session is written. */
	assert_int_equal(get(&s, "/kbs/v0/auth", "{\"version\":\"0.4.0\",\"tee\":\"snp\"}"), 200);
	assert_int_equal(serve_stop(&s), 0);
	rm_rf(s.dir);
}

static void serve_usage_errors(void **state)
{
	struct server s = { 0 };
	const char *nodir[] = { "attestd", "serve", NULL };
	const char *badlisten[] = { "attestd", "serve", "--dir", s.state, "--listen", "localhost:1",
				    NULL };
	const char *abbrev[] = { "attestd", "serve", "--dir", s.state, "--trust", "x", NULL };
	struct run_result r;

	(void)state;
	server_init(&s);
	run_snpvm(nodir, NULL, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--dir is required"));
	run_result_free(&r);
	run_snpvm(badlisten, NULL, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "localhost:1"));
	run_result_free(&r);
	run_snpvm(abbrev, NULL, &r);
	assert_int_equal(r.status, 2);
	run_result_free(&r);
	rm_rf(s.dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(serve_runs_and_stops_on_sigterm),
		cmocka_unit_test(serve_drops_to_user),
		cmocka_unit_test(serve_usage_errors),
	};

	return cmocka_run_group_tests_name("attestd serve", tests, NULL, NULL);
}
