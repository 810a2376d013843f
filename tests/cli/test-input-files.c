/*
 * Every input path of the CLI through the binary: a FIFO (or any other
 * non-regular file) is refused at once with exit status 2 and its name,
 * wherever it is given (--report, --vcek, a certificate in --certs, an entry
 * of --kds-cache).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/attest/kds-vectors.h"
#include "tests/common/testutil.h"
#include "util/err.h"
#include "util/file.h"

/* A refusal takes milliseconds; a reader blocked on a FIFO is killed after this. */
#define TIMEOUT_S 30

#define AT "--at=2026-11-22T00:00:00Z"

static char *fixture(const char *rel)
{
	char *s = strdup(tdata_path(rel));

	assert_non_null(s);
	return s;
}

/* Runs argv; wants exit 2 and "<fifo>: not a regular file (fifo)" on stderr. */
static void expect_fifo_refused(const char *const argv[], const char *fifo)
{
	struct run_result r;
	char want[1200];

	snprintf(want, sizeof(want), "%s: not a regular file (fifo)", fifo);
	run_snpvm_limited(argv, NULL, TIMEOUT_S, &r);
	if (r.status == 128 + SIGALRM)
		fail_msg("%s %s: still blocked after %d s (on the FIFO %s?)", argv[0], argv[1],
			 TIMEOUT_S, fifo);
	if (r.status != 2 || !strstr(r.err, want))
		fail_msg("status %d (want 2); stderr lacks '%s': %s", r.status, want, r.err);
	run_result_free(&r);
}

static char *make_fifo(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *path = malloc(n);

	assert_non_null(path);
	snprintf(path, n, "%s/%s", dir, name);
	assert_int_equal(mkfifo(path, 0600), 0);
	return path;
}

static void verify_refuses_a_fifo_report_or_vcek(void **state)
{
	char *dir = tmpdir_make(), *fifo = make_fifo(dir, "report.bin");
	char *rep = fixture("attest/mstav/turin_attestation_report.bin");
	char *vek = fixture("attest/mstav/turin_vcek.pem");

	(void)state;
	{
		const char *argv[] = { "verify", "--report", fifo, "--vcek", vek, AT, NULL };

		expect_fifo_refused(argv, fifo);
	}
	{
		const char *argv[] = { "verify", "--report", rep, "--vcek", fifo, AT, NULL };

		expect_fifo_refused(argv, fifo);
	}
	free(rep);
	free(vek);
	free(fifo);
	rm_rf(dir);
	free(dir);
}

/* A *.pem in --certs that is a FIFO: refused by name, not waited on. */
static void verify_refuses_a_fifo_in_the_certs_dir(void **state)
{
	struct snp_err err = { 0 };
	char *dir = tmpdir_make(), *fifo = make_fifo(dir, "vcek.pem"), ask[512];
	char *rep = fixture("attest/mstav/turin_attestation_report.bin");
	size_t len;
	uint8_t *pem = tdata_read("attest/mstav/turin_ask.pem", &len);

	(void)state;
	snprintf(ask, sizeof(ask), "%s/ask.pem", dir);
	assert_int_equal(file_write_atomic(ask, pem, len, 0644, &err), 0);
	{
		const char *argv[] = { "verify", "--report", rep, "--certs", dir, AT, NULL };

		expect_fifo_refused(argv, fifo);
	}
	free(pem);
	free(rep);
	free(fifo);
	rm_rf(dir);
	free(dir);
}

/* The cache entry verify reads offline is a FIFO: refused by name, not waited on. */
static void verify_refuses_a_fifo_in_the_kds_cache(void **state)
{
	char *dir = tmpdir_make(), sub[512], *fifo;
	char *rep = fixture("attest/mstav/turin_attestation_report.bin");

	(void)state;
	snprintf(sub, sizeof(sub), "%s/vcek", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(sub, sizeof(sub), "%s/vcek/Turin", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(sub, sizeof(sub), "%s/vcek/Turin/" KV_TURIN_HWID, dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	fifo = make_fifo(sub, KV_TURIN_TCB ".der");
	{
		const char *argv[] = { "verify", "--report", rep, "--kds-cache", dir, AT, NULL };

		expect_fifo_refused(argv, fifo);
	}
	free(rep);
	free(fifo);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(verify_refuses_a_fifo_report_or_vcek),
		cmocka_unit_test(verify_refuses_a_fifo_in_the_certs_dir),
		cmocka_unit_test(verify_refuses_a_fifo_in_the_kds_cache),
	};

	return cmocka_run_group_tests_name("cli input files", tests, NULL, NULL);
}
