/* abi/reader.c: bounds, endianness, reserved bytes, views, trailing data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "abi/reader.h"

static const uint8_t bytes[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
				 0x00, 0x00, 0x00, 0xaa };

static void reader_reads_little_endian(void **state)
{
	struct snp_err err = { 0 };
	struct rd r = rd_init(bytes, sizeof(bytes), "t");
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	(void)state;
	assert_int_equal(rd_u8(&r, "A", &u8, &err), 0);
	assert_int_equal(u8, 0x01);
	assert_int_equal(rd_le16(&r, "B", &u16, &err), 0);
	assert_int_equal(u16, 0x0302);
	assert_int_equal(rd_le32(&r, "C", &u32, &err), 0);
	assert_int_equal(u32, 0x07060504);
	r = rd_init(bytes, sizeof(bytes), "t");
	assert_int_equal(rd_le64(&r, "D", &u64, &err), 0);
	assert_true(u64 == 0x0807060504030201ull);
	assert_int_equal(rd_left(&r), 4);
}

static void reader_truncated_names_field_and_offset(void **state)
{
	struct snp_err err = { 0 };
	struct rd r = rd_init(bytes, sizeof(bytes), "report");
	uint64_t u64;
	uint32_t u32;

	(void)state;
	assert_int_equal(rd_bytes(&r, "X", NULL, 10, &err), 0);
	assert_int_equal(rd_le32(&r, "CHIP_ID", &u32, &err), SNP_E_TRUNCATED);
	assert_string_equal(err.msg, "report: CHIP_ID at 0xa: needs 4 bytes, 2 left");
	/* A failed read does not move the position. */
	assert_int_equal(rd_pos(&r), 10);
	assert_int_equal(rd_le64(&r, "Y", &u64, &err), SNP_E_TRUNCATED);
	/* A huge length cannot wrap the bounds test. */
	assert_int_equal(rd_bytes(&r, "Z", NULL, SIZE_MAX, &err), SNP_E_TRUNCATED);
}

static void reader_zero_names_first_nonzero_byte(void **state)
{
	struct snp_err err = { 0 };
	struct rd r = rd_init(bytes, sizeof(bytes), "t");

	(void)state;
	assert_int_equal(rd_seek(&r, 8, "R", &err), 0);
	assert_int_equal(rd_zero(&r, "reserved", 3, &err), 0);
	assert_int_equal(rd_seek(&r, 8, "R", &err), 0);
	assert_int_equal(rd_zero(&r, "reserved", 4, &err), SNP_E_RESERVED);
	assert_non_null(strstr(err.msg, "reserved byte 0xb is 0xaa"));
}

static void reader_view_is_confined_and_offsets_absolute(void **state)
{
	struct snp_err err = { 0 };
	struct rd outer = rd_init(bytes, sizeof(bytes), "table"), inner;
	uint32_t u32;

	(void)state;
	assert_int_equal(rd_view(&outer, "entry 1", 4, 4, &inner, &err), 0);
	assert_int_equal(rd_le32(&inner, "V", &u32, &err), 0);
	assert_int_equal(u32, 0x08070605);
	assert_int_equal(rd_le32(&inner, "W", &u32, &err), SNP_E_TRUNCATED);
	assert_non_null(strstr(err.msg, "entry 1: W at 0x8"));
	assert_int_equal(rd_view(&outer, "entry 2", 10, 3, &inner, &err), SNP_E_TRUNCATED);
	assert_int_equal(rd_view(&outer, "entry 3", SIZE_MAX, 2, &inner, &err), SNP_E_TRUNCATED);
	assert_int_equal(rd_view(&outer, "entry 4", 2, SIZE_MAX, &inner, &err), SNP_E_TRUNCATED);
}

static void reader_end_and_peek(void **state)
{
	struct snp_err err = { 0 };
	struct rd r = rd_init(bytes, sizeof(bytes), "blob");
	uint32_t u32;

	(void)state;
	assert_int_equal(rd_peek_le32(&r, 8, "P", &u32, &err), 0);
	assert_int_equal(u32, 0xaa000000);
	assert_int_equal(rd_pos(&r), 0);
	assert_int_equal(rd_peek_le32(&r, 9, "P", &u32, &err), SNP_E_TRUNCATED);
	assert_int_equal(rd_peek_le32(&r, SIZE_MAX, "P", &u32, &err), SNP_E_TRUNCATED);
	assert_int_equal(rd_end(&r, &err), SNP_E_TRAILING);
	assert_non_null(strstr(err.msg, "12 trailing bytes"));
	assert_int_equal(rd_seek(&r, sizeof(bytes), "S", &err), 0);
	assert_int_equal(rd_end(&r, &err), 0);
	assert_int_equal(rd_seek(&r, sizeof(bytes) + 1, "S", &err), SNP_E_TRUNCATED);
}

static void reader_expect_len_names_both_lengths(void **state)
{
	struct snp_err err = { 0 };
	struct rd r = rd_init(bytes, sizeof(bytes), "page");

	(void)state;
	assert_int_equal(rd_expect_len(&r, sizeof(bytes), &err), 0);
	assert_int_equal(rd_expect_len(&r, sizeof(bytes) + 1, &err), SNP_E_TRUNCATED);
	assert_string_equal(err.msg, "page: length 12, want exactly 13 (0xd)");
	assert_int_equal(rd_expect_len(&r, 4, &err), SNP_E_TRAILING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reader_reads_little_endian),
		cmocka_unit_test(reader_truncated_names_field_and_offset),
		cmocka_unit_test(reader_zero_names_first_nonzero_byte),
		cmocka_unit_test(reader_view_is_confined_and_offsets_absolute),
		cmocka_unit_test(reader_end_and_peek),
		cmocka_unit_test(reader_expect_len_names_both_lengths),
	};

	return cmocka_run_group_tests_name("abi/reader", tests, NULL, NULL);
}
