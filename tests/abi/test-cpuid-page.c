/*
 * abi/cpuid-page.c lookups: an SNP guest's CPUID table lookup (Linux
 * arch/x86/kernel/sev-shared.c, snp_cpuid_get_validated_func()) matches
 * ECX_IN only for leaves with sub-leaves (cpuid_function_is_indexed() in
 * arch/x86/include/asm/cpuid.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "abi/cpuid-page.h"

static void indexed_leaves(void **state)
{
	(void)state;
	assert_true(cpuid_leaf_is_indexed(0x4));
	assert_true(cpuid_leaf_is_indexed(0x7));
	assert_true(cpuid_leaf_is_indexed(0xb));
	assert_true(cpuid_leaf_is_indexed(0xd));
	assert_true(cpuid_leaf_is_indexed(0x8000001d));
	assert_false(cpuid_leaf_is_indexed(0x0));
	assert_false(cpuid_leaf_is_indexed(0x1));
	assert_false(cpuid_leaf_is_indexed(0x80000008));
	assert_false(cpuid_leaf_is_indexed(0x8000001f));
}

static void find_matches_ecx_only_for_indexed_leaves(void **state)
{
	struct snp_cpuid_page p = {
		.count = 4,
		.entries = {
			{ .eax_in = 0x1, .eax = 0x11 },
			{ .eax_in = 0x7, .ecx_in = 0, .ebx = 0x70 },
			{ .eax_in = 0x7, .ecx_in = 1, .ebx = 0x71 },
			{ .eax_in = 0x80000008, .ecx_in = 0, .eax = 0x3030 },
		},
	};

	(void)state;
	/* not indexed: ECX does not matter */
	assert_int_equal(cpuid_page_find(&p, 0x1, 0)->eax, 0x11);
	assert_int_equal(cpuid_page_find(&p, 0x1, 5)->eax, 0x11);
	assert_int_equal(cpuid_page_find(&p, 0x80000008, 0xffffffff)->eax, 0x3030);
	/* indexed: the sub-leaf selects the entry, a missing one is missing */
	assert_int_equal(cpuid_page_find(&p, 0x7, 0)->ebx, 0x70);
	assert_int_equal(cpuid_page_find(&p, 0x7, 1)->ebx, 0x71);
	assert_null(cpuid_page_find(&p, 0x7, 2));
	assert_null(cpuid_page_find(&p, 0x0, 0));
	/* only count entries are looked at, and never more than 64 */
	p.count = 1;
	assert_null(cpuid_page_find(&p, 0x7, 0));
	p.count = 1000;
	assert_non_null(cpuid_page_find(&p, 0x80000008, 0));
	assert_null(cpuid_page_find(&p, 0x12345678, 0)); /* entries 4..63 are zero: leaf 0 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(indexed_leaves),
		cmocka_unit_test(find_matches_ecx_only_for_indexed_leaves),
	};

	return cmocka_run_group_tests_name("abi/cpuid-page", tests, NULL, NULL);
}
