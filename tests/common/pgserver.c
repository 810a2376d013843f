#include "tests/common/pgserver.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/common/testutil.h"
#include "util/err.h"

#define PG_READY_TRIES 600 /* x 100 ms: initdb'd servers start in about a second */
#define PG_STOP_TRIES 300

struct pgserver {
	char bin[256];  /* /usr/lib/postgresql/<version>/bin */
	char *top;      /* the private directory: data/, sock/, *.log */
	char data[512];
	char sock[512];
	char log[512];
	bool drop;      /* run the server binaries as run_uid/run_gid */
	uid_t run_uid;
	gid_t run_gid;
	pid_t pid;      /* the postmaster */
	bool durable;   /* fsync on */
};

/* The newest /usr/lib/postgresql/<version>/bin that has initdb and postgres. */
static bool find_bindir(char *out, size_t len)
{
	glob_t g;
	unsigned long best = 0;
	bool found = false;

	if (glob("/usr/lib/postgresql/*/bin/postgres", 0, NULL, &g) != 0)
		return false;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *p = g.gl_pathv[i] + strlen("/usr/lib/postgresql/");
		char *end, initdb[512];
		unsigned long v = strtoul(p, &end, 10);

		if (end == p || *end != '/' || v < best)
			continue;
		snprintf(initdb, sizeof(initdb), "/usr/lib/postgresql/%lu/bin/initdb", v);
		if (access(g.gl_pathv[i], X_OK) != 0 || access(initdb, X_OK) != 0)
			continue;
		snprintf(out, len, "/usr/lib/postgresql/%lu/bin", v);
		best = v;
		found = true;
	}
	globfree(&g);
	return found;
}

/*
 * Forks and runs bin/argv[0] with the others, stdout and stderr appended to
 * log, as the server user when dropping. A server child also dies with the
 * test (PR_SET_PDEATHSIG after the credential change, which clears it).
 */
static pid_t spawn(const struct pgserver *s, const char *const argv[], const char *log,
		   bool server)
{
	char path[512];
	const char *args[32];
	int fd;
	pid_t pid;

	/* argv[0] is the full path: initdb finds postgres next to itself through it. */
	snprintf(path, sizeof(path), "%s/%s", s->bin, argv[0]);
	args[0] = path;
	for (size_t i = 1; i < 32; i++)
		if ((args[i] = argv[i]) == NULL)
			break;
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static char *const envp[] = { "PATH=/usr/bin:/bin", "LC_ALL=C", NULL };
		int nul = open("/dev/null", O_RDONLY);

		if (nul < 0 || dup2(nul, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		if (s->drop && (setgroups(0, NULL) != 0 || setgid(s->run_gid) != 0 ||
				setuid(s->run_uid) != 0))
			_exit(126);
		if (server && prctl(PR_SET_PDEATHSIG, SIGQUIT) != 0)
			_exit(126);
		if (chdir(s->top) != 0)
			_exit(126);
		execve(path, (char *const *)args, envp);
		_exit(127);
	}
	close(fd);
	return pid;
}

static int wait_status(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		assert_int_equal(errno, EINTR);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void nap_100ms(void)
{
	struct timespec ts = { .tv_nsec = 100 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/* Fails the test with the message and the end of the log file. */
static void fail_with_log(const char *log, const char *fmt, ...) SNP_PRINTF(2, 3);
static void fail_with_log(const char *log, const char *fmt, ...)
{
	char msg[256], tail[1024] = "";
	FILE *f = fopen(log, "r");
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (f) {
		long size;
		size_t n;

		fseek(f, 0, SEEK_END);
		size = ftell(f);
		size = size > (long)sizeof(tail) - 1 ? size - (long)sizeof(tail) + 1 : 0;
		fseek(f, size, SEEK_SET);
		n = fread(tail, 1, sizeof(tail) - 1, f);
		tail[n] = '\0';
		fclose(f);
	}
	fail_msg("%s; %s says:\n%s", msg, log, tail);
}

static void own_dir(const struct pgserver *s, const char *path)
{
	assert_int_equal(mkdir(path, 0700), 0);
	if (s->drop)
		assert_int_equal(chown(path, s->run_uid, s->run_gid), 0);
}

static bool is_ready(const struct pgserver *s)
{
	const char *const argv[] = { "pg_isready", "-q", "-h", s->sock, "-U", "postgres",
				     "-d", "postgres", "-t", "1", NULL };
	char log[600];

	snprintf(log, sizeof(log), "%s/isready.log", s->top);
	return wait_status(spawn(s, argv, log, false)) == 0;
}

/* Starts the postmaster on s's data directory and waits (bounded) until it accepts connections. */
static void run_postmaster(struct pgserver *s)
{
	const char *const argv[] = { "postgres", "-D", s->data, "-k", s->sock,
				     "-c", "listen_addresses=",
				     "-c", s->durable ? "fsync=on" : "fsync=off",
				     "-c", "shared_buffers=16MB",
				     "-c", "max_connections=64", NULL };
	int st;

	s->pid = spawn(s, argv, s->log, true);
	for (int i = 0;; i++) {
		if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
			s->pid = 0;
			fail_with_log(s->log, "postgres exited while starting");
		}
		if (is_ready(s))
			break;
		if (i == PG_READY_TRIES)
			fail_with_log(s->log, "postgres did not accept connections in %d s",
				      PG_READY_TRIES / 10);
		nap_100ms();
	}
}

struct pgserver *pgserver_start(bool durable, char *why, size_t whylen)
{
	struct pgserver *s = calloc(1, sizeof(*s));
	char initlog[600];
	int st;

	assert_non_null(s);
	if (!find_bindir(s->bin, sizeof(s->bin))) {
		snprintf(why, whylen, "no PostgreSQL server under /usr/lib/postgresql/*/bin "
			 "(Debian package postgresql)");
		free(s);
		return NULL;
	}
	if (geteuid() == 0) {
		const struct passwd *pw = getpwnam("postgres");

		if (pw == NULL) {
			snprintf(why, whylen, "running as root and there is no postgres user to "
				 "run the PostgreSQL server as");
			free(s);
			return NULL;
		}
		s->drop = true;
		s->run_uid = pw->pw_uid;
		s->run_gid = pw->pw_gid;
	}
	s->top = strdup("/tmp/snpvm-pg-XXXXXX");
	assert_non_null(s->top);
	assert_non_null(mkdtemp(s->top));
	if (s->drop)
		assert_int_equal(chown(s->top, s->run_uid, s->run_gid), 0);
	snprintf(s->data, sizeof(s->data), "%s/data", s->top);
	snprintf(s->sock, sizeof(s->sock), "%s/sock", s->top);
	snprintf(s->log, sizeof(s->log), "%s/server.log", s->top);
	snprintf(initlog, sizeof(initlog), "%s/initdb.log", s->top);
	own_dir(s, s->sock);
	/*
	 * Clients of any uid reach the socket, as in Debian's /var/run/postgresql
	 * (the socket itself is 0777): a service that dropped to another user
	 * (attestd serve --user) reconnects after a server restart.
	 */
	assert_int_equal(chmod(s->top, 0711), 0);
	assert_int_equal(chmod(s->sock, 0755), 0);

	{
		const char *const argv[] = { "initdb", "-D", s->data, "-U", "postgres",
					     "-A", "trust", "-E", "UTF8", "--no-locale",
					     "--no-sync", NULL };

		if ((st = wait_status(spawn(s, argv, initlog, false))) != 0)
			fail_with_log(initlog, "initdb exited with %d", st);
	}
	s->durable = durable;
	run_postmaster(s);
	return s;
}

char *pgserver_createdb(struct pgserver *s, const char *name)
{
	const char *const argv[] = { "createdb", "-h", s->sock, "-U", "postgres", name, NULL };
	char log[600], *uri;
	int st;

	snprintf(log, sizeof(log), "%s/createdb.log", s->top);
	if ((st = wait_status(spawn(s, argv, log, false))) != 0)
		fail_with_log(log, "createdb %s exited with %d", name, st);
	assert_true(asprintf(&uri, "postgresql:///%s?host=%s&user=postgres", name, s->sock) > 0);
	return uri;
}

const char *pgserver_datadir(const struct pgserver *s)
{
	return s->data;
}

/* Fast shutdown of the postmaster (SIGINT), bounded; SIGKILL past that. */
static void stop_postmaster(struct pgserver *s)
{
	int st;

	if (s->pid > 0) {
		kill(s->pid, SIGINT); /* fast shutdown: abort sessions, checkpoint, exit */
		for (int i = 0; waitpid(s->pid, &st, WNOHANG) == 0; i++) {
			if (i == PG_STOP_TRIES) {
				kill(s->pid, SIGKILL);
				waitpid(s->pid, &st, 0);
				break;
			}
			nap_100ms();
		}
	}
	s->pid = 0;
}

void pgserver_restart(struct pgserver *s)
{
	stop_postmaster(s);
	run_postmaster(s);
}

void pgserver_stop(struct pgserver *s)
{
	if (s == NULL)
		return;
	stop_postmaster(s);
	rm_rf(s->top);
	free(s->top);
	free(s);
}
