/*
 * Every input path of the CLI through the binary: a FIFO (or any other
 * non-regular file) is refused at once with exit status 2 and its name,
 * wherever it is given (--report, --vcek, a certificate in --certs, an entry
 * of --kds-cache, the measure inputs); measured direct boot hashes the kernel
 * and initrd in chunks, with peak memory that does not grow with their size;
 * an input whose length is not the size it had when opened fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "tests/attest/kds-vectors.h"
#include "tests/common/testutil.h"
#include "util/err.h"
#include "util/file.h"

/* A refusal takes milliseconds; a reader blocked on a FIFO is killed after this. */
#define TIMEOUT_S 30

#define AT "--at=2026-11-22T00:00:00Z"
#define AMDSEV "tests/data/firmware/OVMF.amdsev.fd"

/*
 * SHA-256 of 200 MiB of zero bytes, from coreutils:
 * `head -c 209715200 /dev/zero | sha256sum`.
 */
#define SHA256_ZERO_200MIB "72abf2ca8f36943ebe2e49ca3a51d409ca5f0bfcffab6c9d25643c17c32889da"

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

static void measure_refuses_fifo_inputs(void **state)
{
	char *dir = tmpdir_make(), *fifo = make_fifo(dir, "input");
	char kernel[512];
	struct snp_err err = { 0 };

	(void)state;
	snprintf(kernel, sizeof(kernel), "%s/kernel", dir);
	assert_int_equal(file_write_atomic(kernel, "kernel", 6, 0644, &err), 0);
	{
		const char *argv[] = { "measure", "--vcpus", "1", "--vcpu-type", "EPYC-Milan",
				       "--ovmf", fifo, NULL };

		expect_fifo_refused(argv, fifo);
	}
	{
		const char *argv[] = { "measure", "--vcpus", "1", "--vcpu-type", "EPYC-Milan",
				       "--ovmf", AMDSEV, "--kernel", fifo, NULL };

		expect_fifo_refused(argv, fifo);
	}
	{
		const char *argv[] = { "measure", "--vcpus", "1", "--vcpu-type", "EPYC-Milan",
				       "--ovmf", AMDSEV, "--kernel", kernel, "--initrd", fifo,
				       NULL };

		expect_fifo_refused(argv, fifo);
	}
	free(fifo);
	rm_rf(dir);
	free(dir);
}

static void measure_json(const char *kernel, struct run_result *r, json_t **out)
{
	const char *argv[] = { "measure", "--json", "--vcpus", "1", "--vcpu-type", "EPYC-Milan",
			       "--ovmf", AMDSEV, "--kernel", kernel, NULL };
	json_error_t jerr;

	run_snpvm_limited(argv, NULL, TIMEOUT_S * 4, r);
	if (r->status != 0)
		fail_msg("status %d, stderr: %s", r->status, r->err);
	*out = json_loads(r->out, 0, &jerr);
	assert_non_null(*out);
}

/*
 * The kernel used to be mapped whole: peak RSS grew by its size (200 MiB here).
 * Hashed in FILE_CHUNK_SIZE chunks, a 200 MiB kernel costs what a 1-byte one
 * does, give or take the allocator; 16 MiB leaves room for that and for ASan.
 */
static void measure_memory_does_not_grow_with_the_kernel(void **state)
{
	char *dir = tmpdir_make(), small[512], big[512];
	struct snp_err err = { 0 };
	struct run_result rs, rb;
	json_t *js, *jb, *k;
	int fd;

	(void)state;
	snprintf(small, sizeof(small), "%s/small", dir);
	assert_int_equal(file_write_atomic(small, "", 1, 0644, &err), 0);
	snprintf(big, sizeof(big), "%s/big", dir);
	fd = open(big, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 200 << 20), 0); /* sparse: reads as zeros */
	close(fd);

	measure_json(small, &rs, &js);
	measure_json(big, &rb, &jb);
	k = json_object_get(json_object_get(jb, "inputs"), "kernel");
	assert_int_equal(json_integer_value(json_object_get(k, "size")), 200 << 20);
	assert_string_equal(json_string_value(json_object_get(k, "sha256")), SHA256_ZERO_200MIB);
	if (rb.maxrss_kib - rs.maxrss_kib >= 16 * 1024)
		fail_msg("peak RSS %ld KiB with a 200 MiB kernel, %ld KiB with 1 byte",
			 rb.maxrss_kib, rs.maxrss_kib);
	json_decref(js);
	json_decref(jb);
	run_result_free(&rs);
	run_result_free(&rb);
	rm_rf(dir);
	free(dir);
}

/*
 * /proc files claim size 0 and have content: the mapped kernel used to be
 * measured as empty (exit 0, the SHA-256 of nothing). Now the length is
 * checked against the size at open, and the run fails naming the file.
 */
static void measure_refuses_a_kernel_longer_than_its_size(void **state)
{
	const char *argv[] = { "measure", "--vcpus", "1", "--vcpu-type", "EPYC-Milan",
			       "--ovmf", AMDSEV, "--kernel", "/proc/self/status", NULL };
	struct run_result r;

	(void)state;
	run_snpvm_limited(argv, NULL, TIMEOUT_S, &r);
	if (r.status != 3 ||
	    !strstr(r.err, "/proc/self/status: has more than the 0 bytes it had when opened"))
		fail_msg("status %d (want 3), stderr: %s", r.status, r.err);
	assert_string_equal(r.out, "");
	run_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(verify_refuses_a_fifo_report_or_vcek),
		cmocka_unit_test(verify_refuses_a_fifo_in_the_certs_dir),
		cmocka_unit_test(verify_refuses_a_fifo_in_the_kds_cache),
		cmocka_unit_test(measure_refuses_fifo_inputs),
		cmocka_unit_test(measure_memory_does_not_grow_with_the_kernel),
		cmocka_unit_test(measure_refuses_a_kernel_longer_than_its_size),
	};

	return cmocka_run_group_tests_name("cli input files", tests, NULL, NULL);
}
