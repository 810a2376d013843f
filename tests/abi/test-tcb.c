/* abi/tcb.c: per-product layouts (56860 TCB_VERSION), product mapping, component-wise order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "abi/tcb.h"

static void tcb_milan_layout(void **state)
{
	struct snp_tcb t;

	(void)state;
	/* bytes: bl=3, tee=0, 4 reserved, snp=8, ucode=115 (a real Milan TCB shape) */
	snp_tcb_decode(SNP_PRODUCT_MILAN, 0x7308000000000003ull, &t);
	assert_int_equal(t.bootloader, 3);
	assert_int_equal(t.tee, 0);
	assert_int_equal(t.snp, 8);
	assert_int_equal(t.microcode, 115);
	assert_int_equal(t.fmc, 0);
	assert_true(snp_tcb_encode(SNP_PRODUCT_MILAN, &t) == 0x7308000000000003ull);
	assert_int_equal(snp_tcb_byte_index(SNP_PRODUCT_GENOA, SNP_TCB_SNP), 6);
	assert_int_equal(snp_tcb_byte_index(SNP_PRODUCT_GENOA, SNP_TCB_FMC), -1);
}

static void tcb_turin_layout(void **state)
{
	struct snp_tcb t;

	(void)state;
	/* Turin fixture: fmc1/bl1/tee1/snp4/ucode81 -> bytes 01 01 01 04 00 00 00 51 */
	snp_tcb_decode(SNP_PRODUCT_TURIN, 0x5100000004010101ull, &t);
	assert_int_equal(t.fmc, 1);
	assert_int_equal(t.bootloader, 1);
	assert_int_equal(t.tee, 1);
	assert_int_equal(t.snp, 4);
	assert_int_equal(t.microcode, 81);
	assert_int_equal(t.raw[7], 0x51);
	assert_true(snp_tcb_encode(SNP_PRODUCT_TURIN, &t) == 0x5100000004010101ull);
}

static void tcb_comparison_is_component_wise(void **state)
{
	struct snp_tcb have, floor;

	(void)state;
	/* As u64, have > floor (microcode dominates), but SNP is lower. */
	snp_tcb_decode(SNP_PRODUCT_MILAN, 0xff00000000000000ull | (5ull << 48), &have);
	snp_tcb_decode(SNP_PRODUCT_MILAN, 0x0000000000000000ull | (8ull << 48), &floor);
	assert_false(snp_tcb_at_least(SNP_PRODUCT_MILAN, &have, &floor));
	/* As u64, have < floor, but every component is >=: reserved bytes do not count. */
	snp_tcb_decode(SNP_PRODUCT_MILAN, 0x0808000000000303ull, &have);
	snp_tcb_decode(SNP_PRODUCT_MILAN, 0x0808000000ff0303ull, &floor);
	assert_true(snp_tcb_at_least(SNP_PRODUCT_MILAN, &have, &floor));
	/* FMC counts on Turin only. */
	snp_tcb_decode(SNP_PRODUCT_TURIN, 0x5100000004010100ull, &have);
	snp_tcb_decode(SNP_PRODUCT_TURIN, 0x5100000004010101ull, &floor);
	assert_false(snp_tcb_at_least(SNP_PRODUCT_TURIN, &have, &floor));
}

static void product_mapping_by_range(void **state)
{
	struct snp_err err = { 0 };
	enum snp_product p;

	(void)state;
	assert_int_equal(snp_product_from_cpuid(0x19, 0x01), SNP_PRODUCT_MILAN);
	assert_int_equal(snp_product_from_cpuid(0x19, 0x11), SNP_PRODUCT_GENOA);
	assert_int_equal(snp_product_from_cpuid(0x19, 0xa0), SNP_PRODUCT_GENOA);
	assert_int_equal(snp_product_from_cpuid(0x19, 0xaf), SNP_PRODUCT_GENOA);
	assert_int_equal(snp_product_from_cpuid(0x19, 0xb0), SNP_PRODUCT_UNKNOWN);
	assert_int_equal(snp_product_from_cpuid(0x1a, 0x02), SNP_PRODUCT_TURIN);
	assert_int_equal(snp_product_from_cpuid(0x1a, 0x50), SNP_PRODUCT_UNKNOWN);
	assert_int_equal(snp_product_from_cpuid(0x17, 0x01), SNP_PRODUCT_UNKNOWN);
	assert_int_equal(snp_product_chip_id_len(SNP_PRODUCT_TURIN), 8);
	assert_int_equal(snp_product_chip_id_len(SNP_PRODUCT_MILAN), 64);
	assert_int_equal(snp_product_from_name("GENOA", &p, &err), 0);
	assert_int_equal(p, SNP_PRODUCT_GENOA);
	assert_int_equal(snp_product_from_name("venice", &p, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "venice"));
	assert_string_equal(snp_product_name(SNP_PRODUCT_TURIN), "Turin");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tcb_milan_layout),
		cmocka_unit_test(tcb_turin_layout),
		cmocka_unit_test(tcb_comparison_is_component_wise),
		cmocka_unit_test(product_mapping_by_range),
	};

	return cmocka_run_group_tests_name("abi/tcb", tests, NULL, NULL);
}
