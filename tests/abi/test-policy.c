/* abi/policy.c: guest POLICY bits (SNP ABI spec 56860 §4.3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "abi/policy.h"

static void policy_real_values_accepted(void **state)
{
	struct snp_err err = { 0 };

	(void)state;
	assert_int_equal(snp_policy_check(0x30000, "POLICY", &err), 0);
	assert_int_equal(snp_policy_check(0x3001f, "POLICY", &err), 0);
	assert_int_equal(snp_policy_check(0xb0000, "POLICY", &err), 0);
	assert_int_equal(snp_policy_abi_minor(0x3001f), 0x1f);
	assert_int_equal(snp_policy_abi_major(0x3021f), 0x02);
	assert_true(0xb0000 & SNP_POLICY_DEBUG);
	assert_true(0x30000 & SNP_POLICY_SMT);
}

static void policy_bit17_and_mbz(void **state)
{
	struct snp_err err = { 0 };

	(void)state;
	assert_int_equal(snp_policy_check(0x10000, "POLICY", &err), SNP_E_RESERVED);
	assert_non_null(strstr(err.msg, "bit 17"));
	assert_int_equal(snp_policy_check(0x30000 | (1ull << 26), "POLICY", &err), SNP_E_RESERVED);
	assert_non_null(strstr(err.msg, "63:26"));
	assert_int_equal(snp_policy_check(0x30000 | (1ull << 63), "POLICY", &err), SNP_E_RESERVED);
	assert_int_equal(snp_policy_check(0x30000 | SNP_POLICY_PAGE_SWAP_DISABLE, "POLICY", &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(policy_real_values_accepted),
		cmocka_unit_test(policy_bit17_and_mbz),
	};

	return cmocka_run_group_tests_name("abi/policy", tests, NULL, NULL);
}
