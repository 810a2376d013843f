/* util/: error messages, hex/base64, bounded and atomic file I/O, secrets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/common/testutil.h"
#include "util/dl.h"
#include "util/err.h"
#include "util/file.h"
#include "util/hex.h"
#include "util/secret.h"

static void err_prefix_and_names(void **state)
{
	struct snp_err err = { 0 };

	(void)state;
	assert_int_equal(snp_errf(&err, SNP_E_RESERVED, "field %s", "X"), SNP_E_RESERVED);
	assert_int_equal(snp_err_prefix(&err, "entry %d: ", 3), SNP_E_RESERVED);
	assert_string_equal(err.msg, "entry 3: field X");
	assert_string_equal(snp_code_name(SNP_E_TRUNCATED), "TRUNCATED");
	assert_string_equal(snp_code_name(12345), "UNKNOWN");
	/* Long messages are cut, never overflowed. */
	char big[600];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snp_errf(&err, SNP_E_INVALID, "%s", big);
	snp_err_prefix(&err, "%s", big);
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
}

static void hex_round_trip_and_errors(void **state)
{
	const uint8_t in[] = { 0x00, 0xab, 0xff, 0x10 };
	struct snp_err err = { 0 };
	uint8_t out[4];
	char hex[9];

	(void)state;
	hex_encode(in, sizeof(in), hex);
	assert_string_equal(hex, "00abff10");
	assert_int_equal(hex_decode("00ABff10", out, 4, "X", &err), 0);
	assert_memory_equal(out, in, 4);
	assert_int_equal(hex_decode("00abff1", out, 4, "--measurement", &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "--measurement: expected 8 hex digits, got 7"));
	assert_int_equal(hex_decode("00abfg10", out, 4, "X", &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "position 5"));
}

static void b64_round_trip_and_errors(void **state)
{
	const uint8_t in[] = { 'h', 'e', 'l', 'l', 'o' };
	struct snp_err err = { 0 };
	uint8_t out[5];
	char *b;

	(void)state;
	b = b64_encode(in, sizeof(in));
	assert_string_equal(b, "aGVsbG8=");
	assert_int_equal(b64_decode(b, out, 5, "X", &err), 0);
	assert_memory_equal(out, in, 5);
	assert_int_equal(b64_decode(b, out, 4, "X", &err), SNP_E_INVALID);
	assert_int_equal(b64_decode("aGVs*G8=", out, 5, "X", &err), SNP_E_INVALID);
	assert_int_equal(hex_or_b64_decode("68656c6c6f", out, 5, "X", &err), 0);
	assert_memory_equal(out, in, 5);
	assert_int_equal(hex_or_b64_decode("aGVsbG8=", out, 5, "X", &err), 0);
	assert_int_equal(hex_or_b64_decode("zz", out, 5, "--m", &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "--m"));
	free(b);
}

static void file_cap_and_atomic_write(void **state)
{
	struct snp_err err = { 0 };
	char *dir = tmpdir_make(), path[512];
	uint8_t *buf;
	size_t len;
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/key", dir);
	assert_int_equal(file_write_atomic(path, "secret", 6, 0600, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(file_read(path, 6, &buf, &len, &err), 0);
	assert_int_equal(len, 6);
	assert_memory_equal(buf, "secret", 6);
	free(buf);
	assert_int_equal(file_read(path, 5, &buf, &len, &err), SNP_E_INVALID);
	assert_null(buf);
	assert_non_null(strstr(err.msg, "limit 5"));
	assert_int_equal(file_read(dir, 100, &buf, &len, &err), SNP_E_INVALID);
	/* Never replaces something that is not a regular file. */
	assert_int_equal(file_write_atomic("/dev/null", "x", 1, 0600, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "not a regular file"));
	snprintf(path, sizeof(path), "%s/link", dir);
	assert_int_equal(symlink("/etc/hostname", path), 0);
	assert_int_equal(file_write_atomic(path, "x", 1, 0600, &err), SNP_E_INVALID);
	/* No temporary file is left behind, and a planted one is never followed. */
	snprintf(path, sizeof(path), "%s/out", dir);
	{
		char planted[600], victim[600];
		struct dirent *de;
		size_t nfiles = 0;
		DIR *d;

		snprintf(victim, sizeof(victim), "%s/victim", dir);
		assert_int_equal(file_write_atomic(victim, "keep", 4, 0600, &err), 0);
		snprintf(planted, sizeof(planted), "%s/out.tmp.%ld", dir, (long)getpid());
		assert_int_equal(symlink(victim, planted), 0);
		assert_int_equal(file_write_atomic(path, "new", 3, 0644, &err), 0);
		assert_int_equal(file_read(victim, 100, &buf, &len, &err), 0);
		assert_memory_equal(buf, "keep", 4);
		free(buf);
		assert_int_equal(stat(victim, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		unlink(planted);
		d = opendir(dir);
		assert_non_null(d);
		while ((de = readdir(d)) != NULL)
			if (strstr(de->d_name, ".tmp."))
				nfiles++;
		closedir(d);
		assert_int_equal(nfiles, 0);
	}
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(file_read(path, 100, &buf, &len, &err), SNP_E_SYS);
	assert_non_null(strstr(err.msg, "No such file"));
	rm_rf(dir);
	free(dir);
}

static void secret_wipes_and_compares(void **state)
{
	struct secret s;

	(void)state;
	assert_int_equal(secret_alloc(&s, 32), 0);
	memset(s.p, 0x41, 32);
	assert_true(secret_equal(s.p, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 32));
	assert_false(secret_equal(s.p, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", 32));
	secret_free(&s);
	assert_null(s.p);
	assert_int_equal(s.len, 0);
	secret_free(&s); /* idempotent */
}

static void dl_names_library_and_symbol(void **state)
{
	const char *const good[] = { "deflate" }, *const bad[] = { "deflate", "no_such_fn" };
	struct snp_err err = { 0 };
	void *fn[2] = { NULL, NULL }, *h = NULL;

	(void)state;
	assert_int_equal(dl_open("libz.so.1", good, fn, 1, &h, &err), 0);
	assert_non_null(h);
	assert_non_null(fn[0]);
	dl_close(h);
	assert_int_equal(dl_open("libz.so.1", bad, fn, 2, &h, &err), SNP_E_UNSUPPORTED);
	assert_null(h);
	assert_string_equal(err.msg, "libz.so.1 has no no_such_fn");
	assert_int_equal(dl_open("libsnpvm-none.so.9", good, fn, 1, &h, &err), SNP_E_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "cannot load libsnpvm-none.so.9"));
	dl_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(err_prefix_and_names),
		cmocka_unit_test(hex_round_trip_and_errors),
		cmocka_unit_test(b64_round_trip_and_errors),
		cmocka_unit_test(file_cap_and_atomic_write),
		cmocka_unit_test(secret_wipes_and_compares),
		cmocka_unit_test(dl_names_library_and_symbol),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
