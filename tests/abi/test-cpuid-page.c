/*
 * abi/cpuid-page.c lookups: an SNP guest's CPUID table lookup (Linux
 * arch/x86/kernel/sev-shared.c, snp_cpuid_get_validated_func()) matches
 * ECX_IN only for leaves with sub-leaves (cpuid_function_is_indexed() in
 * arch/x86/include/asm/cpuid.h). The differences between a CPUID page and
 * the firmware's corrected one: every register, in page order, then the count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

static void diff_lists_every_register(void **state)
{
	struct snp_cpuid_page a = { .count = 3 }, b;
	struct snp_cpuid_fixup f[SNP_CPUID_MAX_FIXUPS];
	char t[SNP_CPUID_FIXUP_STR];

	(void)state;
	a.entries[0] = (struct snp_cpuid_entry){ .eax_in = 1, .eax = 0xa00f11, .ecx = 0xfef83207 };
	a.entries[1] = (struct snp_cpuid_entry){ .eax_in = 7, .ebx = 0x219c97a9, .edx = 0x10 };
	a.entries[2] = (struct snp_cpuid_entry){ .eax_in = 0x8000001d, .ecx_in = 3, .eax = 1 };
	b = a;
	assert_int_equal(cpuid_page_diff(&a, &b, f), 0);
	b.entries[0].ecx = 0xfef83203;
	b.entries[1].ebx = 0x219c97a8;
	b.entries[1].edx = 0;
	b.entries[2].eax = 0;
	b.count = 2; /* the last entry is not compared, the count is */
	assert_int_equal(cpuid_page_diff(&a, &b, f), 4);
	cpuid_fixup_format(&f[0], t, sizeof(t));
	assert_string_equal(t, "0x00000001.0 ECX 0xfef83207->0xfef83203");
	cpuid_fixup_format(&f[1], t, sizeof(t));
	assert_string_equal(t, "0x00000007.0 EBX 0x219c97a9->0x219c97a8");
	cpuid_fixup_format(&f[2], t, sizeof(t));
	assert_string_equal(t, "0x00000007.0 EDX 0x00000010->0x00000000");
	cpuid_fixup_format(&f[3], t, sizeof(t));
	assert_string_equal(t, "entry count 3->2");
	/* the longest text fits */
	f[0] = (struct snp_cpuid_fixup){ 0xffffffffu, 0xffffffffu, 3, 0xffffffffu, 0 };
	assert_true(snprintf(t, sizeof(t), "0x%08x.%u EDX 0x%08x->0x%08x", 0xffffffffu,
			     0xffffffffu, 0xffffffffu, 0u) < (int)sizeof(t));
	cpuid_fixup_format(&f[0], t, sizeof(t));
	assert_string_equal(t, "0xffffffff.4294967295 EDX 0xffffffff->0x00000000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(indexed_leaves),
		cmocka_unit_test(find_matches_ecx_only_for_indexed_leaves),
		cmocka_unit_test(diff_lists_every_register),
	};

	return cmocka_run_group_tests_name("abi/cpuid-page", tests, NULL, NULL);
}
