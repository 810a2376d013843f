/*
 * abi/ovmf.c: the GUIDed footer table and SEV metadata wire formats
 * (edk2 ResetVectorVtf0.asm, OvmfSevMetadata.asm). Offsets inside ovmf_AmdSev_suffix.bin
 * were read off the fixture by hand: table 0xf58..0xfe0 (136 bytes), footer
 * length at 0xfce, entries from the top: reset block (data 0xfb8, tail 0xfbc),
 * secret block (0xf9e), hash table (0xf84), metadata offset (0xf6e, GUID at
 * 0xf74), TDX (0xf58); metadata header at 0xaac.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "abi/endian.h"
#include "abi/ovmf.h"
#include "tests/common/testutil.h"

#define SUFFIX "measure/firmware/ovmf_AmdSev_suffix.bin"

static void expect_error(int ret, const struct snp_err *err, int code, const char *a)
{
	if (ret != code)
		fail_msg("got %d (%s), want %d", ret, err->msg, code);
	if (a && !strstr(err->msg, a))
		fail_msg("message \"%s\" does not name \"%s\"", err->msg, a);
}

static void ovmf_guid_text_forms(void **state)
{
	char s[OVMF_GUID_STR_LEN + 1];

	(void)state;
	ovmf_guid_format(OVMF_GUID_TABLE_FOOTER, s);
	assert_string_equal(s, "96b582de-1fb2-45f7-baea-a366c55a082d");
	ovmf_guid_format(OVMF_GUID_SEV_ES_RESET, s);
	assert_string_equal(s, "00f771de-1a7e-4fcb-890e-68c77e2fb44e");
	ovmf_guid_format(OVMF_GUID_SEV_METADATA, s);
	assert_string_equal(s, "dc886566-984a-4798-a75e-5585a7bf67cc");
	ovmf_guid_format(OVMF_GUID_SEV_HASH_TABLE, s);
	assert_string_equal(s, "7255371f-3a3b-4b04-927b-1da6efa8d454");
	ovmf_guid_format(OVMF_GUID_SEV_SECRET, s);
	assert_string_equal(s, "4c2eb361-7d9b-4cc3-8081-127c90d3d294");
	ovmf_guid_format(OVMF_GUID_TDX_METADATA, s);
	assert_string_equal(s, "e47a6535-984a-4798-865e-4685a7bf8ec2");
	ovmf_guid_format(OVMF_GUID_SVSM_INFO, s);
	assert_string_equal(s, "a789a612-0597-4c4b-a49f-cbb1fe9d1ddd");
	assert_string_equal(ovmf_section_type_name(0x10), "SNP_KERNEL_HASHES");
	assert_string_equal(ovmf_section_type_name(7), "unknown");
}

static void ovmf_table_parse_suffix_layout(void **state)
{
	struct snp_err err = { 0 };
	struct ovmf_table t;
	const struct ovmf_table_entry *e;
	uint32_t a, b;
	size_t len;
	uint8_t *buf = tdata_read(SUFFIX, &len);

	(void)state;
	assert_int_equal(ovmf_table_parse(buf, len, &t, &err), 0);
	assert_int_equal(t.start, 0xf58);
	assert_int_equal(t.len, 136);
	assert_int_equal(t.n, 5);
	assert_memory_equal(t.e[0].guid, OVMF_GUID_TDX_METADATA, 16); /* file order */
	assert_memory_equal(t.e[4].guid, OVMF_GUID_SEV_ES_RESET, 16);
	e = ovmf_table_find(&t, OVMF_GUID_SEV_ES_RESET);
	assert_non_null(e);
	assert_int_equal(e->data_off, 0xfb8);
	assert_int_equal(e->data_len, 4);
	assert_int_equal(ovmf_sev_es_reset_parse(buf, len, e, &a, &err), 0);
	assert_int_equal(a, 0x80B004);
	e = ovmf_table_find(&t, OVMF_GUID_SEV_HASH_TABLE);
	assert_int_equal(ovmf_sev_hash_table_parse(buf, len, e, &a, &b, &err), 0);
	assert_int_equal(a, 0x810C00);
	assert_int_equal(b, 0x400);
	e = ovmf_table_find(&t, OVMF_GUID_SEV_METADATA);
	assert_int_equal(ovmf_sev_metadata_offset_parse(buf, len, e, &a, &err), 0);
	assert_int_equal(a, 0x554);
	assert_null(ovmf_table_find(&t, OVMF_GUID_SVSM_INFO));
	/* an entry parser refuses data of the wrong length */
	expect_error(ovmf_sev_es_reset_parse(buf, len, ovmf_table_find(&t, OVMF_GUID_SEV_HASH_TABLE),
					     &a, &err),
		     &err, SNP_E_INVALID, "8 bytes of data, want 4");
	free(buf);
}

static void ovmf_table_parse_refuses_malformed_tables(void **state)
{
	struct snp_err err = { 0 };
	struct ovmf_table t;
	size_t len;
	uint8_t *buf = tdata_read(SUFFIX, &len), *orig = malloc(len);

	(void)state;
	memcpy(orig, buf, len);
	expect_error(ovmf_table_parse(buf, 49, &t, &err), &err, SNP_E_TRUNCATED, "too small");
	buf[0xfd0] ^= 1; /* footer GUID */
	expect_error(ovmf_table_parse(buf, len, &t, &err), &err, SNP_E_INVALID,
		     "footer GUID at 0xfd0");
	memcpy(buf, orig, len);
	le16_put(buf + 0xfce, 17); /* total length below one entry */
	expect_error(ovmf_table_parse(buf, len, &t, &err), &err, SNP_E_INVALID, "total length 17");
	le16_put(buf + 0xfce, 0xffff); /* more than the image */
	expect_error(ovmf_table_parse(buf, len, &t, &err), &err, SNP_E_INVALID, "0xfce");
	memcpy(buf, orig, len);
	le16_put(buf + 0xfbc, 10); /* reset block entry length < 18 */
	expect_error(ovmf_table_parse(buf, len, &t, &err), &err, SNP_E_INVALID, "0xfbc");
	memcpy(buf, orig, len);
	le16_put(buf + 0xfce, 133); /* 19 bytes left for the 22-byte TDX entry */
	expect_error(ovmf_table_parse(buf, len, &t, &err), &err, SNP_E_INVALID,
		     "crosses the table start");
	memcpy(buf, orig, len);
	le16_put(buf + 0xfce, 140); /* 4 stray bytes before the first entry */
	expect_error(ovmf_table_parse(buf, len, &t, &err), &err, SNP_E_INVALID, "4 stray bytes");
	memcpy(buf, orig, len);
	memcpy(buf + 0xf5c + 2, OVMF_GUID_SEV_ES_RESET, 16); /* TDX entry gets the reset GUID */
	expect_error(ovmf_table_parse(buf, len, &t, &err), &err, SNP_E_INVALID, "appears twice");
	free(orig);
	free(buf);
}

static void ovmf_sev_metadata_parse_checks_header(void **state)
{
	struct snp_err err = { 0 };
	struct ovmf_sev_metadata md;
	size_t len;
	uint8_t *buf = tdata_read(SUFFIX, &len), *orig = malloc(len);

	(void)state;
	memcpy(orig, buf, len);
	assert_int_equal(ovmf_sev_metadata_parse(buf, len, 0x554, &md, &err), 0);
	assert_int_equal(md.off, 0xaac);
	assert_int_equal(md.version, 1);
	assert_int_equal(md.n, 7);
	assert_int_equal(md.s[5].gpa, 0x810000);
	assert_int_equal(md.s[5].size, 0x1000);
	assert_int_equal(md.s[5].type, 0x10);
	assert_int_equal(md.s[5].desc_off, 0xaf8);

	expect_error(ovmf_sev_metadata_parse(buf, len, 0x1001, &md, &err), &err, SNP_E_INVALID,
		     "outside");
	expect_error(ovmf_sev_metadata_parse(buf, len, 8, &md, &err), &err, SNP_E_INVALID,
		     "outside");
	expect_error(ovmf_sev_metadata_parse(buf, len, 0x550, &md, &err), &err, SNP_E_INVALID,
		     "not \"ASEV\"");
	le32_put(buf + 0xab4, 2);
	expect_error(ovmf_sev_metadata_parse(buf, len, 0x554, &md, &err), &err, SNP_E_VERSION,
		     "0xab4");
	memcpy(buf, orig, len);
	le32_put(buf + 0xab0, 99);
	expect_error(ovmf_sev_metadata_parse(buf, len, 0x554, &md, &err), &err, SNP_E_INVALID,
		     "got 99, want 16 + 12 * 7 = 100");
	memcpy(buf, orig, len);
	le32_put(buf + 0xab8, 0);
	expect_error(ovmf_sev_metadata_parse(buf, len, 0x554, &md, &err), &err, SNP_E_INVALID,
		     "count at 0xab8");
	le32_put(buf + 0xab8, 65);
	expect_error(ovmf_sev_metadata_parse(buf, len, 0x554, &md, &err), &err, SNP_E_UNSUPPORTED,
		     "65");
	free(orig);
	free(buf);
}

static void ovmf_sev_metadata_parse_truncated_descriptors(void **state)
{
	struct snp_err err = { 0 };
	struct ovmf_sev_metadata md;
	uint8_t buf[64] = { 0 };

	(void)state;
	memcpy(buf + 16, "ASEV", 4);
	le32_put(buf + 20, 16 + 12 * 4); /* four descriptors: 64 bytes, only 48 left */
	le32_put(buf + 24, 1);
	le32_put(buf + 28, 4);
	expect_error(ovmf_sev_metadata_parse(buf, sizeof(buf), 48, &md, &err), &err,
		     SNP_E_TRUNCATED, "0x10");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ovmf_guid_text_forms),
		cmocka_unit_test(ovmf_table_parse_suffix_layout),
		cmocka_unit_test(ovmf_table_parse_refuses_malformed_tables),
		cmocka_unit_test(ovmf_sev_metadata_parse_checks_header),
		cmocka_unit_test(ovmf_sev_metadata_parse_truncated_descriptors),
	};

	return cmocka_run_group_tests_name("abi/ovmf", tests, NULL, NULL);
}
