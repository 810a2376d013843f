/*
 * abi/sev-hashes.c: the padded SEV hashes table, byte for byte as
 * QEMU target/i386/sev.c (SevHashTable, PaddedSevHashTable) lays it out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "abi/sev-hashes.h"

static const uint8_t guid_table[16] = { 0x06, 0xd6, 0x38, 0x94, 0x22, 0x4f, 0xc9, 0x4c,
					0xb4, 0x79, 0xa7, 0x93, 0xd4, 0x11, 0xfd, 0x21 };
static const uint8_t guid_cmdline[16] = { 0xd8, 0x2d, 0xd0, 0x97, 0x20, 0xbd, 0x94, 0x4c,
					  0xaa, 0x78, 0xe7, 0x71, 0x4d, 0x36, 0xab, 0x2a };
static const uint8_t guid_initrd[16] = { 0x31, 0xf7, 0xba, 0x44, 0x2f, 0x3a, 0xd7, 0x4b,
					 0x9a, 0xf1, 0x41, 0xe2, 0x91, 0x69, 0x78, 0x1d };
static const uint8_t guid_kernel[16] = { 0x37, 0x94, 0xe7, 0x4d, 0xd2, 0xab, 0x7f, 0x42,
					 0xb8, 0x35, 0xd5, 0xb1, 0x72, 0xd2, 0x04, 0x5b };

static void hashes(struct sev_hashes *h)
{
	memset(h->cmdline, 0xc1, 32);
	memset(h->initrd, 0x1d, 32);
	memset(h->kernel, 0x4e, 32);
}

static void sev_hashes_write_matches_reference_layout(void **state)
{
	uint8_t t[SEV_HASHES_TABLE_SIZE], want[SEV_HASHES_TABLE_SIZE] = { 0 };
	struct sev_hashes h;

	(void)state;
	hashes(&h);
	memcpy(want + 0x00, guid_table, 16);
	want[0x10] = 0xA8; /* 168, little-endian */
	memcpy(want + 0x12, guid_cmdline, 16);
	want[0x22] = 50;
	memset(want + 0x24, 0xc1, 32);
	memcpy(want + 0x44, guid_initrd, 16);
	want[0x54] = 50;
	memset(want + 0x56, 0x1d, 32);
	memcpy(want + 0x76, guid_kernel, 16);
	want[0x86] = 50;
	memset(want + 0x88, 0x4e, 32);
	/* 0xA8..0xAF: zero padding */
	memset(t, 0xee, sizeof(t));
	sev_hashes_write(&h, t);
	assert_memory_equal(t, want, sizeof(want));
}

static void sev_hashes_parse_round_trips_and_checks(void **state)
{
	uint8_t t[SEV_HASHES_TABLE_SIZE], bad[SEV_HASHES_TABLE_SIZE];
	struct snp_err err = { 0 };
	struct sev_hashes h, g;

	(void)state;
	hashes(&h);
	sev_hashes_write(&h, t);
	assert_int_equal(sev_hashes_parse(t, sizeof(t), &g, &err), 0);
	assert_memory_equal(&h, &g, sizeof(h));

	memcpy(bad, t, sizeof(t));
	bad[0x44] ^= 1; /* initrd GUID */
	assert_int_equal(sev_hashes_parse(bad, sizeof(bad), &g, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "initrd entry at 0x44"));
	memcpy(bad, t, sizeof(t));
	bad[0x10] = 0xB0; /* table length */
	assert_int_equal(sev_hashes_parse(bad, sizeof(bad), &g, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "got 176, want 168"));
	memcpy(bad, t, sizeof(t));
	bad[0x86] = 49; /* kernel entry length */
	assert_int_equal(sev_hashes_parse(bad, sizeof(bad), &g, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "0x86"));
	memcpy(bad, t, sizeof(t));
	bad[0xAF] = 1; /* padding */
	assert_int_equal(sev_hashes_parse(bad, sizeof(bad), &g, &err), SNP_E_RESERVED);
	assert_non_null(strstr(err.msg, "0xaf"));
	assert_int_equal(sev_hashes_parse(t, SEV_HASHES_TABLE_LEN, &g, &err), SNP_E_TRUNCATED);
	assert_int_equal(sev_hashes_parse(t, 20, &g, &err), SNP_E_TRUNCATED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sev_hashes_write_matches_reference_layout),
		cmocka_unit_test(sev_hashes_parse_round_trips_and_checks),
	};

	return cmocka_run_group_tests_name("abi/sev-hashes", tests, NULL, NULL);
}
