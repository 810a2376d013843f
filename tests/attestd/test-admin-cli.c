/*
 * `snpvm attestd init` and `snpvm attestd admin` as a user runs them: the
 * admin client (libcurl over a Unix socket) against admin_route served here
 * by httpd/httpd.c on DIR/admin.sock, with the store that `init` made.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "attestd/admin-init.h"
#include "attestd/admin-routes.h"
#include "attestd/store.h"
#include "httpd/httpd.h"
#include "tests/common/testutil.h"
#include "util/file.h"

#define GOOD_POLICY "docs/examples/verifier-policy-default.json"

struct fix {
	char *tmp;
	char dir[4096], sock[4200], p[4][4300];
	struct store *store;
	struct admin_ctx ctx;
	struct httpd *h;
};

static const char *path_in(struct fix *f, int slot, const char *name)
{
	snprintf(f->p[slot], sizeof(f->p[slot]), "%s/%s", f->dir, name);
	return f->p[slot];
}

static void write_file(const char *path, const char *text)
{
	struct snp_err err = { 0 };

	if (file_write_atomic(path, text, strlen(text), 0600, &err) != 0)
		fail_msg("%s", err.msg);
}

/* Runs snpvm attestd admin --dir DIR ARGS...; returns the exit status. */
static int admin(struct fix *f, struct run_result *r, const char *const *args)
{
	const char *argv[24] = { "attestd", "admin", "--dir", f->dir };
	size_t n = 4;

	for (size_t i = 0; args[i]; i++) {
		assert_true(n < 23);
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	run_snpvm_limited(argv, NULL, 60, r);
	/* Shown by cmocka when the caller's status check fails. */
	if (r->err[0])
		print_message("snpvm attestd admin %s: status %d, stderr: %s", args[0] ? args[0] : "",
			      r->status, r->err);
	return r->status;
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct snp_err err = { 0 };
	struct run_result r;
	char listen[4300];
	struct httpd_opts o = { .threads = 2 };

	assert_non_null(f);
	f->tmp = tmpdir_make();
	snprintf(f->dir, sizeof(f->dir), "%s/state", f->tmp);
	{
		const char *argv[] = { "attestd", "init", "--dir", f->dir, NULL };

		run_snpvm(argv, NULL, &r);
		if (r.status != 0)
			fail_msg("init: %d %s", r.status, r.err);
		assert_non_null(strstr(r.out, "operator.token"));
		run_result_free(&r);
	}
	if (store_open(path_in(f, 0, ATTESTD_DB_FILE), path_in(f, 1, ATTESTD_MASTER_KEY_FILE),
		       &f->store, &err) != 0)
		fail_msg("store_open: %s", err.msg);
	f->ctx = (struct admin_ctx){ .store = f->store };
	snprintf(f->sock, sizeof(f->sock), "%s/" ATTESTD_ADMIN_SOCKET_FILE, f->dir);
	snprintf(listen, sizeof(listen), "unix:%s", f->sock);
	o.listen = listen;
	if (httpd_start(&o, admin_route, &f->ctx, &f->h, NULL, &err) != 0)
		fail_msg("httpd_start: %s", err.msg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	httpd_stop(f->h);
	store_close(f->store);
	rm_rf(f->tmp);
	free(f->tmp);
	free(f);
	return 0;
}

static void attestd_init_refuses_existing_state_and_sets_modes(void **state)
{
	struct fix *f = *state;
	struct run_result r;
	struct stat st;
	const char *argv[] = { "attestd", "init", "--dir", f->dir, NULL };

	assert_int_equal(stat(f->dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(path_in(f, 0, ATTESTD_MASTER_KEY_FILE), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(path_in(f, 0, ATTESTD_OPERATOR_TOKEN_FILE), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	run_snpvm(argv, NULL, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "not empty"));
	run_result_free(&r);
	{
		const char *noarg[] = { "attestd", "init", NULL };

		run_snpvm(noarg, NULL, &r);
		assert_int_equal(r.status, 2);
		assert_non_null(strstr(r.err, "--dir is required"));
		run_result_free(&r);
	}
}

static void attestd_admin_every_op_over_the_socket(void **state)
{
	struct fix *f = *state;
	const char *alice_tok = path_in(f, 2, "alice.token");
	const char *secret = path_in(f, 3, "secret.bin");
	struct run_result r;
	struct stat st;
	json_t *o;

	write_file(secret, "the-disk-key");
	/* tenant-create with --token-out: 0600 file, token not on stdout. */
	assert_int_equal(admin(f, &r, (const char *[]){ "tenant-create", "alice", "--token-out",
						       alice_tok, NULL }), 0);
	assert_non_null(strstr(r.out, "alice.token"));
	run_result_free(&r);
	assert_int_equal(stat(alice_tok, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, STORE_TOKEN_LEN + 1);
	/* Without --token-out, --json: the token is printed once. */
	assert_int_equal(admin(f, &r, (const char *[]){ "--json", "tenant-create", "bob", NULL }),
			 0);
	o = json_loads(r.out, 0, NULL);
	assert_int_equal(strlen(json_string_value(json_object_get(o, "token"))), STORE_TOKEN_LEN);
	json_decref(o);
	run_result_free(&r);

	assert_int_equal(admin(f, &r, (const char *[]){ "repo-assign", "alice", "ra", NULL }), 0);
	run_result_free(&r);
	assert_int_equal(admin(f, &r, (const char *[]){ "repo-assign", "bob", "rb", NULL }), 0);
	run_result_free(&r);

	/* alice, with her own token, in her repository. */
	assert_int_equal(admin(f, &r, (const char *[]){ "--principal", "alice", "--token-file",
						       alice_tok, "put-resource", "ra/key/disk",
						       "--file", secret, NULL }), 0);
	assert_string_equal(r.out, "ra/key/disk: version 1\n");
	run_result_free(&r);
	assert_int_equal(admin(f, &r, (const char *[]){ "put-resource", "--json", "ra/key/disk",
						       "--file", secret, "--principal", "alice",
						       "--token-file", alice_tok, NULL }), 0);
	o = json_loads(r.out, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(o, "version")), 2);
	json_decref(o);
	run_result_free(&r);
	/* ... but not in bob's: refused, exit 1. */
	assert_int_equal(admin(f, &r, (const char *[]){ "--principal", "alice", "--token-file",
						       alice_tok, "put-resource", "rb/key/disk",
						       "--file", secret, NULL }), 1);
	assert_non_null(strstr(r.err, "403"));
	run_result_free(&r);
	/* A wrong token: exit 1, 401. */
	write_file(path_in(f, 0, "wrong.token"), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n");
	assert_int_equal(admin(f, &r, (const char *[]){ "--principal", "alice", "--token-file",
						       f->p[0], "list", NULL }), 1);
	assert_non_null(strstr(r.err, "401"));
	run_result_free(&r);

	/* Policies: versions, and a bad one refused naming the field (exit 2). */
	assert_int_equal(admin(f, &r, (const char *[]){ "set-policy", "ra", "--file", GOOD_POLICY,
						       NULL }), 0);
	assert_string_equal(r.out, "ra: policy version 1\n");
	run_result_free(&r);
	write_file(path_in(f, 0, "bad.json"), "{\"vmpl\": 9}");
	assert_int_equal(admin(f, &r, (const char *[]){ "set-policy", "ra", "--file", f->p[0],
						       NULL }), 2);
	assert_non_null(strstr(r.err, "vmpl"));
	run_result_free(&r);
	assert_int_equal(admin(f, &r, (const char *[]){ "--json", "set-policy", "ra", "--file",
						       f->p[0], NULL }), 2);
	o = json_loads(r.out, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "error"), "code")),
			    "INVALID");
	json_decref(o);
	run_result_free(&r);

	/* list (JSON either way), audit, audit-verify, rotate-key, delete. */
	assert_int_equal(admin(f, &r, (const char *[]){ "list", NULL }), 0);
	o = json_loads(r.out, 0, NULL);
	assert_non_null(o);
	json_decref(o);
	assert_non_null(strstr(r.out, "ra"));
	assert_null(strstr(r.out, "the-disk-key"));
	run_result_free(&r);
	assert_int_equal(admin(f, &r, (const char *[]){ "audit", "--after", "1", NULL }), 0);
	assert_non_null(strstr(r.out, "admin.policy-set"));
	assert_null(strstr(r.out, "admin.init")); /* row 1 */
	assert_null(strstr(r.out, "the-disk-key"));
	run_result_free(&r);
	assert_int_equal(admin(f, &r, (const char *[]){ "--principal", "alice", "--token-file",
						       alice_tok, "audit", "--json", NULL }), 0);
	assert_null(strstr(r.out, "\"bob\""));
	run_result_free(&r);
	assert_int_equal(admin(f, &r, (const char *[]){ "rotate-key", "--overlap", "60", NULL }),
			 0);
	assert_non_null(strstr(r.out, "new signing key"));
	run_result_free(&r);
	assert_int_equal(admin(f, &r, (const char *[]){ "delete-resource", "ra/key/disk", NULL }),
			 0);
	assert_string_equal(r.out, "ra/key/disk: deleted\n");
	run_result_free(&r);
	assert_int_equal(admin(f, &r, (const char *[]){ "audit-verify", NULL }), 0);
	assert_non_null(strstr(r.out, "audit chain intact"));
	run_result_free(&r);
	assert_int_equal(admin(f, &r, (const char *[]){ "--principal", "alice", "--token-file",
						       alice_tok, "audit-verify", NULL }), 1);
	run_result_free(&r);
}

static void attestd_admin_usage_errors(void **state)
{
	struct fix *f = *state;
	struct run_result r;

	assert_int_equal(admin(f, &r, (const char *[]){ NULL }), 2);
	assert_non_null(strstr(r.err, "no operation"));
	run_result_free(&r);
	assert_int_equal(admin(f, &r, (const char *[]){ "frobnicate", NULL }), 2);
	assert_non_null(strstr(r.err, "unknown operation 'frobnicate'"));
	run_result_free(&r);
	assert_int_equal(admin(f, &r, (const char *[]){ "list", "--bogus", NULL }), 2);
	assert_non_null(strstr(r.err, "--bogus"));
	run_result_free(&r);
	assert_int_equal(admin(f, &r, (const char *[]){ "put-resource", "ra/key/disk", NULL }), 2);
	assert_non_null(strstr(r.err, "--file is required"));
	run_result_free(&r);
	assert_int_equal(admin(f, &r, (const char *[]){ "--principal", "alice", "list", NULL }), 2);
	assert_non_null(strstr(r.err, "--token-file is required"));
	run_result_free(&r);
	assert_int_equal(admin(f, &r, (const char *[]){ "delete-resource", "ra/x", NULL }), 2);
	assert_non_null(strstr(r.err, "REPO/TYPE/TAG"));
	run_result_free(&r);
	assert_int_equal(admin(f, &r, (const char *[]){ "list", "--help", NULL }), 0);
	assert_non_null(strstr(r.out, "--token-file"));
	run_result_free(&r);
	assert_int_equal(admin(f, &r, (const char *[]){ "--help", NULL }), 0);
	assert_non_null(strstr(r.out, "rotate-key"));
	run_result_free(&r);
	/* No server on the socket: exit 3 naming it. */
	assert_int_equal(admin(f, &r, (const char *[]){ "--socket", "/nonexistent/admin.sock",
						       "list", NULL }), 3);
	assert_non_null(strstr(r.err, "/nonexistent/admin.sock"));
	run_result_free(&r);
	{
		const char *argv[] = { "attestd", "frob", NULL };

		run_snpvm(argv, NULL, &r);
		assert_int_equal(r.status, 2);
		assert_non_null(strstr(r.err, "unknown subcommand"));
		run_result_free(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(attestd_init_refuses_existing_state_and_sets_modes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(attestd_admin_every_op_over_the_socket, setup,
						teardown),
		cmocka_unit_test_setup_teardown(attestd_admin_usage_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
