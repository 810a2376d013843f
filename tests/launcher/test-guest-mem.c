/* launcher/guest-mem.c: sizes refused by value, every out-of-range GPA refused by guest_mem_hva. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "launcher/guest-mem.h"

static void guest_mem_sizes_refused_by_value(void **state)
{
	struct guest_mem m;
	struct snp_err err = { 0 };

	(void)state;
	assert_int_equal(guest_mem_alloc(&m, 1ull << 20, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "1 MiB"));
	assert_null(m.hva);
	assert_int_equal(guest_mem_alloc(&m, (3ull << 20), &err), SNP_E_INVALID);
	assert_int_equal(guest_mem_alloc(&m, (4ull << 30), &err), SNP_E_INVALID);
}

static void guest_mem_hva_bounds(void **state)
{
	struct guest_mem m;
	struct snp_err err = { 0 };
	const uint64_t sz = 4ull << 20;

	(void)state;
	assert_int_equal(guest_mem_alloc(&m, sz, &err), 0);
	assert_int_equal(m.size, sz);
	/* zeroed, writable, and at the offset the GPA names */
	assert_int_equal(m.hva[sz - 1], 0);
	assert_ptr_equal(guest_mem_hva(&m, 0, sz), m.hva);
	assert_ptr_equal(guest_mem_hva(&m, 0x1000, 8), m.hva + 0x1000);
	assert_ptr_equal(guest_mem_hva(&m, sz - 8, 8), m.hva + sz - 8);
	assert_ptr_equal(guest_mem_hva(&m, sz - 1, 0), m.hva + sz - 1);
	*guest_mem_hva(&m, sz - 1, 1) = 0x5a;
	assert_int_equal(m.hva[sz - 1], 0x5a);
	/* one byte past the end, a GPA past the end, a wrapping range */
	assert_null(guest_mem_hva(&m, sz - 8, 9));
	assert_null(guest_mem_hva(&m, sz, 0));
	assert_null(guest_mem_hva(&m, sz, 1));
	assert_null(guest_mem_hva(&m, 0x1000, UINT64_MAX));
	assert_null(guest_mem_hva(&m, UINT64_MAX, 2));
	assert_null(guest_mem_hva(&m, 0, sz + 1));
	guest_mem_free(&m);
	assert_null(m.hva);
	assert_null(guest_mem_hva(&m, 0, 1));
	guest_mem_free(&m); /* twice is fine */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(guest_mem_sizes_refused_by_value),
		cmocka_unit_test(guest_mem_hva_bounds),
	};

	return cmocka_run_group_tests_name("launcher/guest-mem", tests, NULL, NULL);
}
