/*
 * attestd's store (attestd/store.h) on PostgreSQL: the whole store suite
 * (tests/common/store-suite.h) against a private server, then what only a
 * shared database must get right - separate processes (replicas) racing one
 * nonce, and appending to one audit chain at once.
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

#include "attestd/store.h"
#include "tests/common/pgserver.h"
#include "tests/common/store-suite.h"
#include "tests/common/testutil.h"

static struct pgserver *srv;
static char why[256];

static void pg_fresh(void *ctx, const char *dir, char *uri, size_t len)
{
	static unsigned n;
	char name[32], *u;

	(void)ctx;
	(void)dir;
	if (srv == NULL) {
		print_message("skipped: %s\n", why);
		skip();
	}
	snprintf(name, sizeof(name), "store_%u", ++n);
	u = pgserver_createdb(srv, name);
	assert_true(strlen(u) < len);
	strcpy(uri, u);
	free(u);
}

/* A fresh database and master key shared by the processes of one test. */
struct shared_db {
	char *dir;
	char key[512];
	char *uri;
};

static void shared_db_make(struct shared_db *d, const char *name)
{
	struct snp_err err = { 0 };
	struct store *s = NULL;

	if (srv == NULL) {
		print_message("skipped: %s\n", why);
		skip();
	}
	d->dir = tmpdir_make();
	snprintf(d->key, sizeof(d->key), "%s/master.key", d->dir);
	if (store_master_key_create(d->key, &err) != 0)
		fail_msg("master key: %s", err.msg);
	d->uri = pgserver_createdb(srv, name);
	/* Create the schema once, so the racers below race only on what they test. */
	if (store_open(d->uri, d->key, &s, &err) != 0)
		fail_msg("store_open: %s", err.msg);
	store_close(s);
}

static void shared_db_free(struct shared_db *d)
{
	rm_rf(d->dir);
	free(d->dir);
	free(d->uri);
}

/*
 * Runs body(i, ...) in RACERS child processes, each with its own store (a
 * replica), ROUNDS times; a process-shared barrier lines the children up
 * before every round so they really hit the database together. out[round]
 * [child] receives each result.
 */
#define RACERS 2
#define ROUNDS 50

struct race {
	pthread_barrier_t barrier;
	int result[ROUNDS][RACERS];
	char msg[RACERS][320]; /* a child's unexpected error */
};

typedef int race_fn(struct store *s, int round, int child, struct snp_err *err);

static struct race *race_run(const struct shared_db *d, race_fn *body)
{
	struct race *r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			      -1, 0);
	pthread_barrierattr_t attr;
	pid_t pid[RACERS];

	assert_true(r != MAP_FAILED);
	memset(r, 0, sizeof(*r));
	assert_int_equal(pthread_barrierattr_init(&attr), 0);
	assert_int_equal(pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED), 0);
	assert_int_equal(pthread_barrier_init(&r->barrier, &attr, RACERS), 0);
	fflush(NULL);
	for (int c = 0; c < RACERS; c++) {
		pid[c] = fork();
		assert_true(pid[c] >= 0);
		if (pid[c] == 0) {
			struct snp_err err = { 0 };
			struct store *s = NULL;

			alarm(120); /* a stuck child fails the test instead of hanging it */
			if (store_open(d->uri, d->key, &s, &err) != 0) {
				snprintf(r->msg[c], sizeof(r->msg[c]), "store_open: %s", err.msg);
				_exit(1);
			}
			for (int i = 0; i < ROUNDS; i++) {
				pthread_barrier_wait(&r->barrier);
				r->result[i][c] = body(s, i, c, &err);
				if (r->result[i][c] != 0 && r->result[i][c] != SNP_E_REFUSED)
					snprintf(r->msg[c], sizeof(r->msg[c]), "round %d: %s", i,
						 err.msg);
			}
			store_close(s);
			_exit(0);
		}
	}
	for (int c = 0; c < RACERS; c++) {
		int status;

		assert_int_equal(waitpid(pid[c], &status, 0), pid[c]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fail_msg("racer %d: status 0x%x: %s", c, status, r->msg[c]);
	}
	return r;
}

static void race_free(struct race *r)
{
	pthread_barrier_destroy(&r->barrier);
	munmap(r, sizeof(*r));
}

static int consume(struct store *s, int round, int child, struct snp_err *err)
{
	char nonce[STORE_NONCE_LEN + 1];

	(void)child;
	/* 44 characters, as a real nonce: the round number, padded. */
	snprintf(nonce, sizeof(nonce), "race-nonce-%033d", round);
	return store_nonce_consume(s, nonce, 4000000000, err);
}

/* Two replicas present the same nonce at once, 50 times: exactly one wins each time. */
static void pg_nonce_raced_by_two_processes_wins_once(void **state)
{
	struct shared_db d;
	struct race *r;

	(void)state;
	shared_db_make(&d, "race_nonce");
	r = race_run(&d, consume);
	for (int i = 0; i < ROUNDS; i++) {
		int wins = 0;

		for (int c = 0; c < RACERS; c++) {
			if (r->result[i][c] == 0)
				wins++;
			else if (r->result[i][c] != SNP_E_REFUSED)
				fail_msg("round %d racer %d: %d (%s)", i, c, r->result[i][c],
					 r->msg[c]);
		}
		if (wins != 1)
			fail_msg("nonce %d: %d winners, want exactly 1", i, wins);
	}
	race_free(r);
	shared_db_free(&d);
}

static int append(struct store *s, int round, int child, struct snp_err *err)
{
	json_t *rec = json_pack("{s:s, s:s, s:i, s:i}", "event", "test", "decision", "allow",
				"round", round, "racer", child);
	int ret;

	if (rec == NULL)
		return snp_errf(err, SNP_E_NOMEM, "json_pack");
	ret = store_audit_append(s, rec, 1700000000 + round, NULL, err);
	json_decref(rec);
	return ret;
}

/* Two replicas append to the audit chain at once: one linear chain, every row in it. */
static void pg_audit_appends_from_two_processes_stay_linear(void **state)
{
	struct snp_err err = { 0 };
	struct shared_db d;
	struct store *s = NULL;
	struct race *r;
	uint64_t rows = 0;

	(void)state;
	shared_db_make(&d, "race_audit");
	r = race_run(&d, append);
	for (int i = 0; i < ROUNDS; i++)
		for (int c = 0; c < RACERS; c++)
			if (r->result[i][c] != 0)
				fail_msg("round %d racer %d: %d (%s)", i, c, r->result[i][c],
					 r->msg[c]);
	race_free(r);
	if (store_open(d.uri, d.key, &s, &err) != 0)
		fail_msg("store_open: %s", err.msg);
	if (store_audit_verify(s, &rows, &err) != 0)
		fail_msg("audit verify: %s", err.msg);
	assert_int_equal(rows, ROUNDS * RACERS);
	store_close(s);
	shared_db_free(&d);
}

/* A session created through one replica is found by another. */
static void pg_session_visible_on_another_replica(void **state)
{
	static const char id[] = "0f8fad5b-d9cb-469f-a165-70867728950e";
	static const char nonce[] = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=";
	struct snp_err err = { 0 };
	struct shared_db d;
	struct store *a = NULL, *b = NULL;
	struct store_session ss = { 0 };

	(void)state;
	shared_db_make(&d, "replicas");
	if (store_open(d.uri, d.key, &a, &err) != 0 || store_open(d.uri, d.key, &b, &err) != 0)
		fail_msg("store_open: %s", err.msg);
	if (store_session_create(a, id, nonce, 2000, &err) != 0)
		fail_msg("session create: %s", err.msg);
	if (store_session_get(b, id, 1000, &ss, &err) != 0)
		fail_msg("session get on the other replica: %s", err.msg);
	assert_string_equal(ss.id, id);
	assert_string_equal(ss.nonce, nonce);
	assert_int_equal(ss.state, STORE_SESSION_AUTHED);
	store_session_free(&ss);
	store_close(b);
	store_close(a);
	shared_db_free(&d);
}

/* The server lives for the whole binary: this group, then the store suite. */
static int group_setup(void **state)
{
	(void)state;
	srv = pgserver_start(false, why, sizeof(why));
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pg_nonce_raced_by_two_processes_wins_once),
		cmocka_unit_test(pg_audit_appends_from_two_processes_stay_linear),
		cmocka_unit_test(pg_session_visible_on_another_replica),
	};
	const struct store_target target = { .name = "postgresql", .fresh = pg_fresh };
	int failed;

	failed = cmocka_run_group_tests_name("store-pg", tests, group_setup, NULL);
	failed += store_suite_run(&target); /* each test skips, saying why, without a server */
	pgserver_stop(srv);
	return failed;
}
