/*
 * measure/kernel-hashes.c: the inputs QEMU hashes and the page that carries
 * the table (QEMU target/i386/sev.c; hashes of K and I from
 * tests/data/README.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "measure/kernel-hashes.h"
#include "tests/common/testutil.h"
#include "util/hex.h"

#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA256_NUL "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"

static void expect_hex(const uint8_t h[32], const char *want)
{
	char got[65];

	hex_encode(h, 32, got);
	assert_string_equal(got, want);
}

static void kernel_hashes_compute_follows_qemu(void **state)
{
	struct snp_err err = { 0 };
	struct sev_hashes a, b;
	size_t klen, ilen;
	uint8_t *k = tdata_read("measure/inputs/kernel.bin", &klen);
	uint8_t *i = tdata_read("measure/inputs/initrd.bin", &ilen);

	(void)state;
	assert_int_equal(kernel_hashes_compute(k, klen, i, ilen, NULL, &a, &err), 0);
	expect_hex(a.kernel, "172c15dc2e12b50e523d8e657cbe7fbb11c1053252bbf1e1431077d57d8128fd");
	expect_hex(a.initrd, "7e621b81b03626b6984bf2cc39acb5c6037aaa283d633a7253cb3efcd03ae6c6");
	expect_hex(a.cmdline, SHA256_NUL); /* no command line: one NUL byte */
	assert_int_equal(kernel_hashes_compute(k, klen, NULL, 0, "", &b, &err), 0);
	expect_hex(b.initrd, SHA256_EMPTY); /* no initrd: the empty string */
	assert_memory_equal(a.cmdline, b.cmdline, 32);
	/* the trailing NUL is hashed: "a" -> SHA-256 of 61 00 (printf 'a\0' | sha256sum) */
	assert_int_equal(kernel_hashes_compute(k, 0, NULL, 0, "a", &b, &err), 0);
	expect_hex(b.kernel, SHA256_EMPTY);
	expect_hex(b.cmdline, "ffe9aaeaa2a2d5048174df0b80599ef0197ec024c4b051bc9860cff58ef7f9f3");
	free(k);
	free(i);
}

/*
 * The files as the CLI reads them, in FILE_CHUNK_SIZE chunks: kernel.bin (1 MiB)
 * is a whole number of chunks, initrd.bin (68 KiB) is not; same hashes as above.
 */
static void kernel_hashes_compute_files_reads_in_chunks(void **state)
{
	struct snp_err err = { 0 };
	struct sev_hashes h;
	uint64_t klen = 1, ilen = 1;
	char kernel[256], initrd[256];
	char *dir = tmpdir_make(), zeros[512], fifo[512];
	int fd;

	(void)state;
	snprintf(kernel, sizeof(kernel), "%s", tdata_path("measure/inputs/kernel.bin"));
	snprintf(initrd, sizeof(initrd), "%s", tdata_path("measure/inputs/initrd.bin"));
	assert_int_equal(kernel_hashes_compute_files(kernel, initrd, "a", 4u << 20, &h, &klen,
						     &ilen, &err),
			 0);
	expect_hex(h.kernel, "172c15dc2e12b50e523d8e657cbe7fbb11c1053252bbf1e1431077d57d8128fd");
	expect_hex(h.initrd, "7e621b81b03626b6984bf2cc39acb5c6037aaa283d633a7253cb3efcd03ae6c6");
	expect_hex(h.cmdline, "ffe9aaeaa2a2d5048174df0b80599ef0197ec024c4b051bc9860cff58ef7f9f3");
	assert_int_equal(klen, 1048576);
	assert_int_equal(ilen, 69632);

	/* 3 MiB of zeros: `head -c 3145728 /dev/zero | sha256sum`; no initrd hashes "". */
	snprintf(zeros, sizeof(zeros), "%s/zeros", dir);
	fd = open(zeros, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 3 << 20), 0);
	close(fd);
	assert_int_equal(kernel_hashes_compute_files(zeros, NULL, NULL, 4u << 20, &h, &klen, &ilen,
						     &err),
			 0);
	expect_hex(h.kernel, "bbd05cf6097ac9b1f89ea29d2542c1b7b67ee46848393895f5a9e43fa1f621e5");
	expect_hex(h.initrd, SHA256_EMPTY);
	expect_hex(h.cmdline, SHA256_NUL);
	assert_int_equal(klen, 3 << 20);
	assert_int_equal(ilen, 0);

	/* Over the cap, or a FIFO: refused, nothing left in *h. */
	assert_int_equal(kernel_hashes_compute_files(zeros, NULL, NULL, (3u << 20) - 1, &h, &klen,
						     &ilen, &err),
			 SNP_E_INVALID);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(10); /* a reader blocked on the FIFO would be killed: a failure, not a hang */
	assert_int_equal(kernel_hashes_compute_files(kernel, fifo, NULL, 4u << 20, &h, &klen, &ilen,
						     &err),
			 SNP_E_INVALID);
	alarm(0);
	assert_non_null(strstr(err.msg, "not a regular file (fifo)"));
	for (size_t i = 0; i < sizeof(h); i++)
		assert_int_equal(((const uint8_t *)&h)[i], 0);
	rm_rf(dir);
	free(dir);
}

static void kernel_hashes_page_places_table_and_refuses_crossing(void **state)
{
	struct snp_err err = { 0 };
	struct sev_hashes h;
	uint8_t page[SNP_PAGE_SIZE], table[SEV_HASHES_TABLE_SIZE];

	(void)state;
	memset(&h, 0x11, sizeof(h));
	sev_hashes_write(&h, table);
	assert_int_equal(kernel_hashes_page(&h, 0xC00, page, &err), 0);
	assert_memory_equal(page + 0xC00, table, sizeof(table));
	for (size_t i = 0; i < SNP_PAGE_SIZE; i++)
		if (i < 0xC00 || i >= 0xC00 + SEV_HASHES_TABLE_SIZE)
			assert_int_equal(page[i], 0);
	assert_int_equal(kernel_hashes_page(&h, SNP_PAGE_SIZE - SEV_HASHES_TABLE_SIZE, page, &err),
			 0);
	assert_int_equal(kernel_hashes_page(&h, SNP_PAGE_SIZE - SEV_HASHES_TABLE_SIZE + 1, page,
					    &err),
			 SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "0xf51"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kernel_hashes_compute_follows_qemu),
		cmocka_unit_test(kernel_hashes_compute_files_reads_in_chunks),
		cmocka_unit_test(kernel_hashes_page_places_table_and_refuses_crossing),
	};

	return cmocka_run_group_tests_name("measure/kernel-hashes", tests, NULL, NULL);
}
