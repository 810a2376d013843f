/*
 * measure/kernel-hashes.c: the inputs QEMU hashes and the page that carries
 * the table (QEMU target/i386/sev.c; hashes of K and I from
 * tests/data/README.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
		cmocka_unit_test(kernel_hashes_page_places_table_and_refuses_crossing),
	};

	return cmocka_run_group_tests_name("measure/kernel-hashes", tests, NULL, NULL);
}
