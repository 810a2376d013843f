/*
 * measure/firmware.c: placement, entries and SEV metadata sections as a launch
 * needs them, and the refusals that make snpvm stricter than sev-snp-measure.
 * Layout facts come from edk2 and docs/measure.md ("Firmware"); the offsets
 * inside ovmf_AmdSev_suffix.bin were read off the fixture by hand (metadata
 * at 0x1000 - 0x554 = 0xaac, descriptors from 0xabc, 12 bytes each).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "abi/endian.h"
#include "measure/firmware.h"
#include "tests/common/testutil.h"

#define SUFFIX "measure/firmware/ovmf_AmdSev_suffix.bin"
#define DESC(i) (0xabc + 12 * (i)) /* descriptor i in the AmdSev suffix */

static void expect_error(int ret, const struct snp_err *err, int code, const char *a,
			 const char *b)
{
	if (ret != code)
		fail_msg("got %d (%s), want %d", ret, err->msg, code);
	if (a && !strstr(err->msg, a))
		fail_msg("message \"%s\" does not name \"%s\"", err->msg, a);
	if (b && !strstr(err->msg, b))
		fail_msg("message \"%s\" does not name \"%s\"", err->msg, b);
}

static int parse(const uint8_t *buf, size_t len, struct firmware *fw, struct snp_err *err)
{
	return firmware_parse("OVMF", buf, len, FIRMWARE_END_GPA, fw, err);
}

static void firmware_parse_debian_ovmf_matches_reference(void **state)
{
	static const struct {
		uint32_t gpa, size, type;
	} want[] = {
		{ 0x800000, 0x9000, 1 }, { 0x80A000, 0x3000, 1 }, { 0x80D000, 0x1000, 2 },
		{ 0x80E000, 0x1000, 3 }, { 0x80F000, 0x11000, 1 },
	};
	struct snp_err err = { 0 };
	struct firmware fw;
	size_t len;
	uint8_t *buf = tdata_read("debian-ovmf/usr/share/ovmf/OVMF.fd", &len);

	(void)state;
	assert_int_equal(parse(buf, len, &fw, &err), 0);
	assert_int_equal(fw.gpa, 0xFFE00000);
	assert_true(fw.has_reset_block);
	assert_int_equal(fw.ap_reset_addr, 0x80B004);
	assert_true(fw.has_metadata);
	assert_int_equal(fw.md.off, len - 0x52C);
	assert_int_equal(fw.md.n, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(fw.md.s[i].gpa, want[i].gpa);
		assert_int_equal(fw.md.s[i].size, want[i].size);
		assert_int_equal(fw.md.s[i].type, want[i].type);
	}
	assert_true(fw.has_hash_table);
	assert_int_equal(fw.hash_table_base, 0);
	assert_false(fw.has_svsm_info);
	assert_null(firmware_section(&fw, OVMF_SECTION_SNP_KERNEL_HASHES));
	free(buf);
}

static void firmware_parse_amdsev_2025_has_kernel_hashes_last(void **state)
{
	struct snp_err err = { 0 };
	struct firmware fw;
	uint32_t off;
	size_t len;
	uint8_t *buf = tdata_read("firmware/OVMF.amdsev.fd", &len);

	(void)state;
	assert_int_equal(parse(buf, len, &fw, &err), 0);
	assert_int_equal(fw.gpa, 0xFFC00000);
	assert_int_equal(fw.md.n, 7);
	assert_int_equal(fw.md.s[6].type, OVMF_SECTION_SNP_KERNEL_HASHES);
	assert_int_equal(fw.md.s[6].gpa, 0x810000);
	assert_int_equal(fw.md.s[4].type, OVMF_SECTION_SVSM_CAA);
	assert_int_equal(fw.hash_table_base, 0x810C00);
	assert_int_equal(fw.hash_table_size, 0x400);
	assert_int_equal(firmware_kernel_hashes_offset(&fw, &off, &err), 0);
	assert_int_equal(off, 0xC00);
	free(buf);
}

static void firmware_parse_svsm_image_below_vars_gap(void **state)
{
	struct snp_err err = { 0 };
	struct firmware fw;
	size_t len;
	uint8_t *buf = tdata_read("measure/firmware/svsm.bin", &len);
	uint64_t end = FIRMWARE_END_GPA - 0x37C000 - 540672; /* svsm_ovmf.fd and VARS gap */

	(void)state;
	assert_int_equal(firmware_parse("SVSM", buf, len, end, &fw, &err), 0);
	assert_int_equal(fw.gpa, 0xFFAEA000); /* the SVSM RIP with entry offset 0 */
	assert_true(fw.has_svsm_info);
	assert_int_equal(fw.svsm_entry_offset, 0);
	assert_int_equal(fw.md.n, 3);
	assert_int_equal(fw.md.s[0].gpa, 0);
	assert_int_equal(fw.md.s[0].size, 0x9E000);
	free(buf);
}

static void firmware_parse_refuses_partial_pages(void **state)
{
	static const size_t sizes[] = { 0, 1, 4095, 4097, 8191 };
	struct snp_err err = { 0 };
	struct firmware fw;
	uint8_t *buf = calloc(1, 8192);

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		expect_error(parse(buf, sizes[i], &fw, &err), &err, SNP_E_INVALID,
			     "multiple of 4096", NULL);
	expect_error(parse(buf, 4095, &fw, &err), &err, SNP_E_INVALID, "4095", "0xfff");
	free(buf);
}

static void firmware_parse_refuses_image_without_footer_table(void **state)
{
	struct snp_err err = { 0 };
	struct firmware fw;
	uint8_t *buf = calloc(1, 8192);

	(void)state;
	expect_error(parse(buf, 8192, &fw, &err), &err, SNP_E_INVALID, "footer GUID at 0x1fd0",
		     NULL);
	free(buf);
}

static void firmware_missing_metadata_and_reset_block_are_named(void **state)
{
	struct snp_err err = { 0 };
	struct firmware fw;
	size_t len;
	uint8_t *buf = tdata_read(SUFFIX, &len);

	(void)state;
	buf[0xf74] ^= 0xff; /* the SEV metadata entry's GUID becomes an unknown one */
	buf[0xfbe] ^= 0xff; /* so does the SEV-ES reset block's */
	assert_int_equal(parse(buf, len, &fw, &err), 0);
	assert_false(fw.has_metadata);
	assert_false(fw.has_reset_block);
	expect_error(firmware_require_metadata(&fw, &err), &err, SNP_E_INVALID,
		     "no SEV metadata entry", "footer table at 0xf58");
	expect_error(firmware_require_reset_block(&fw, &err), &err, SNP_E_INVALID,
		     "no SEV-ES reset block entry", "0xf58");
	expect_error(firmware_kernel_hashes_offset(&fw, &(uint32_t){ 0 }, &err), &err,
		     SNP_E_UNSUPPORTED, "SNP_KERNEL_HASHES", NULL);

	free(buf);
	/* Debian's OVMF_CODE_4M.fd really has none (docs/measure.md) */
	buf = tdata_read("debian-ovmf/usr/share/OVMF/OVMF_CODE_4M.fd", &len);
	assert_int_equal(parse(buf, len, &fw, &err), 0);
	expect_error(firmware_require_metadata(&fw, &err), &err, SNP_E_INVALID, "SEV metadata",
		     NULL);
	free(buf);
}

static void firmware_refuses_overlapping_sections(void **state)
{
	struct snp_err err = { 0 };
	struct firmware fw;
	size_t len;
	uint8_t *buf = tdata_read(SUFFIX, &len);

	(void)state;
	le32_put(buf + DESC(1) + 4, 0x4000); /* 0x80a000 + 0x4000 reaches 0x80d000 */
	expect_error(parse(buf, len, &fw, &err), &err, SNP_E_INVALID, "section 2 (SNP_SECRETS)",
		     "overlaps section 1");
	expect_error(parse(buf, len, &fw, &err), &err, SNP_E_INVALID, "0xad4", NULL);
	free(buf);
}

static void firmware_refuses_sections_outside_guest_memory(void **state)
{
	struct snp_err err = { 0 };
	struct firmware fw;
	size_t len;
	uint8_t *buf = tdata_read(SUFFIX, &len);

	(void)state;
	/* into the firmware's own page at 0xfffff000 */
	le32_put(buf + DESC(6), 0xFFFFF000);
	le32_put(buf + DESC(6) + 4, 0x1000);
	expect_error(parse(buf, len, &fw, &err), &err, SNP_E_INVALID, "outside guest memory",
		     "0xb04");
	/* past 4 GiB */
	le32_put(buf + DESC(6) + 4, 0x2000);
	expect_error(parse(buf, len, &fw, &err), &err, SNP_E_INVALID, "outside guest memory",
		     "0x100001000");
	free(buf);
}

static void firmware_refuses_odd_sections(void **state)
{
	struct snp_err err = { 0 };
	struct firmware fw;
	size_t len;
	uint8_t *buf = tdata_read(SUFFIX, &len), *orig = malloc(len);

	(void)state;
	memcpy(orig, buf, len);
	le32_put(buf + DESC(4) + 8, 5); /* SVSM_CAA -> type 5 */
	expect_error(parse(buf, len, &fw, &err), &err, SNP_E_UNSUPPORTED, "unknown type 0x5",
		     "0xaec");
	memcpy(buf, orig, len);
	le32_put(buf + DESC(0), 0x800800);
	expect_error(parse(buf, len, &fw, &err), &err, SNP_E_INVALID, "not 4 KiB-aligned",
		     "section 0");
	memcpy(buf, orig, len);
	le32_put(buf + DESC(0) + 4, 0);
	expect_error(parse(buf, len, &fw, &err), &err, SNP_E_INVALID, "empty", "0xabc");
	memcpy(buf, orig, len);
	le32_put(buf + DESC(3) + 8, 2); /* CPUID -> a second SECRETS */
	expect_error(parse(buf, len, &fw, &err), &err, SNP_E_INVALID, "second SNP_SECRETS",
		     "0xae0");
	free(orig);
	free(buf);
}

static void firmware_kernel_hashes_needs_a_usable_table(void **state)
{
	struct snp_err err = { 0 };
	struct firmware fw;
	uint32_t off;
	size_t len;
	uint8_t *buf = tdata_read(SUFFIX, &len), *orig = malloc(len);

	(void)state;
	memcpy(orig, buf, len);
	assert_int_equal(parse(buf, len, &fw, &err), 0);
	assert_int_equal(firmware_kernel_hashes_offset(&fw, &off, &err), 0);
	assert_int_equal(off, 0xC00);

	le32_put(buf + 0xf84, 0); /* hash table base 0 */
	assert_int_equal(parse(buf, len, &fw, &err), 0);
	expect_error(firmware_kernel_hashes_offset(&fw, &off, &err), &err, SNP_E_UNSUPPORTED,
		     "base 0", "0xf84");
	le32_put(buf + 0xf84, 0x820C00); /* not inside the 0x10 section */
	assert_int_equal(parse(buf, len, &fw, &err), 0);
	expect_error(firmware_kernel_hashes_offset(&fw, &off, &err), &err, SNP_E_INVALID,
		     "not inside the SNP_KERNEL_HASHES section", NULL);
	le32_put(buf + 0xf84, 0x810F80); /* 176 bytes would cross the page end */
	assert_int_equal(parse(buf, len, &fw, &err), 0);
	expect_error(firmware_kernel_hashes_offset(&fw, &off, &err), &err, SNP_E_INVALID,
		     "inside one page", NULL);
	memcpy(buf, orig, len);
	le32_put(buf + DESC(5) + 4, 0x2000); /* 0x10 section of two pages */
	le32_put(buf + DESC(6), 0x812000);
	le32_put(buf + DESC(6) + 4, 0xE000);
	assert_int_equal(parse(buf, len, &fw, &err), 0);
	expect_error(firmware_kernel_hashes_offset(&fw, &off, &err), &err, SNP_E_INVALID,
		     "size 0x2000", "0xaf8");
	free(orig);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(firmware_parse_debian_ovmf_matches_reference),
		cmocka_unit_test(firmware_parse_amdsev_2025_has_kernel_hashes_last),
		cmocka_unit_test(firmware_parse_svsm_image_below_vars_gap),
		cmocka_unit_test(firmware_parse_refuses_partial_pages),
		cmocka_unit_test(firmware_parse_refuses_image_without_footer_table),
		cmocka_unit_test(firmware_missing_metadata_and_reset_block_are_named),
		cmocka_unit_test(firmware_refuses_overlapping_sections),
		cmocka_unit_test(firmware_refuses_sections_outside_guest_memory),
		cmocka_unit_test(firmware_refuses_odd_sections),
		cmocka_unit_test(firmware_kernel_hashes_needs_a_usable_table),
	};

	return cmocka_run_group_tests_name("measure/firmware", tests, NULL, NULL);
}
