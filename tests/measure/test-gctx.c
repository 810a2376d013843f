/* measure/gctx.c: the launch digest chain step (SNP ABI spec 56860 §8.17, PAGE_INFO). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "measure/gctx.h"

static void gctx_step_matches_hand_built_page_info(void **state)
{
	static uint8_t page[SNP_PAGE_SIZE];
	uint8_t pi[SNP_PAGE_INFO_SIZE] = { 0 }, want[48];
	unsigned int n;
	struct snp_err err = { 0 };
	struct gctx g;

	(void)state;
	memset(page, 0x5a, sizeof(page));
	assert_int_equal(EVP_Digest(page, sizeof(page), pi + 0x30, &n, EVP_sha384(), NULL), 1);
	pi[0x60] = 0x70;
	pi[0x62] = 0x01;
	pi[0x68] = 0x00;
	pi[0x69] = 0xf0;
	pi[0x6a] = 0xff;
	pi[0x6b] = 0xff; /* GPA 0xfffff000 */
	assert_int_equal(EVP_Digest(pi, sizeof(pi), want, &n, EVP_sha384(), NULL), 1);

	gctx_init(&g);
	assert_int_equal(gctx_add_page(&g, SNP_PAGE_TYPE_NORMAL, 0xfffff000, page, &err), 0);
	assert_memory_equal(g.ld, want, 48);
	assert_int_equal(g.npages, 1);
}

static void gctx_zero_types_ignore_contents_and_order_matters(void **state)
{
	static uint8_t page[SNP_PAGE_SIZE];
	struct snp_err err = { 0 };
	struct gctx a, b;

	(void)state;
	gctx_init(&a);
	gctx_init(&b);
	assert_int_equal(gctx_add_page(&a, SNP_PAGE_TYPE_ZERO, 0x1000, NULL, &err), 0);
	assert_int_equal(gctx_add_page(&a, SNP_PAGE_TYPE_SECRETS, 0x2000, NULL, &err), 0);
	assert_int_equal(gctx_add_page(&b, SNP_PAGE_TYPE_SECRETS, 0x2000, NULL, &err), 0);
	assert_int_equal(gctx_add_page(&b, SNP_PAGE_TYPE_ZERO, 0x1000, NULL, &err), 0);
	assert_memory_not_equal(a.ld, b.ld, 48);
	assert_int_equal(gctx_add_page(&a, SNP_PAGE_TYPE_NORMAL, 0x1000, NULL, &err), SNP_E_INTERNAL);
	assert_int_equal(gctx_add_range(&a, 0x1000, page, 100, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "4 KiB"));
}

/* The batch helpers are the single-page steps in a loop. */
static void gctx_batches_equal_single_steps(void **state)
{
	static uint8_t pages[3 * SNP_PAGE_SIZE];
	struct snp_err err = { 0 };
	struct gctx a, b;

	(void)state;
	for (size_t i = 0; i < sizeof(pages); i++)
		pages[i] = (uint8_t)(i * 7 + 3);
	gctx_init(&a);
	gctx_init(&b);
	assert_int_equal(gctx_add_range(&a, 0x1000, pages, sizeof(pages), &err), 0);
	assert_int_equal(gctx_add_zero_range(&a, SNP_PAGE_TYPE_UNMEASURED, 0x8000, 0x2000, &err), 0);
	assert_int_equal(gctx_add_repeated(&a, SNP_PAGE_TYPE_VMSA, 0xFFFFFFFFF000ull, pages, 3, &err),
			 0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(gctx_add_page(&b, SNP_PAGE_TYPE_NORMAL, 0x1000 + i * SNP_PAGE_SIZE,
					       pages + i * SNP_PAGE_SIZE, &err),
				 0);
	assert_int_equal(gctx_add_page(&b, SNP_PAGE_TYPE_UNMEASURED, 0x8000, NULL, &err), 0);
	assert_int_equal(gctx_add_page(&b, SNP_PAGE_TYPE_UNMEASURED, 0x9000, NULL, &err), 0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(gctx_add_page(&b, SNP_PAGE_TYPE_VMSA, 0xFFFFFFFFF000ull, pages, &err),
				 0);
	assert_memory_equal(a.ld, b.ld, 48);
	assert_int_equal(a.npages, 8);
	assert_int_equal(b.npages, 8);

	assert_int_equal(gctx_add_zero_range(&a, SNP_PAGE_TYPE_NORMAL, 0, 0x1000, &err),
			 SNP_E_INVALID);
	assert_int_equal(gctx_add_zero_range(&a, SNP_PAGE_TYPE_ZERO, 0, 0x800, &err), SNP_E_INVALID);
	assert_int_equal(gctx_add_range(&a, 0, NULL, 0x1000, &err), SNP_E_INTERNAL);
	assert_int_equal(gctx_add_repeated(&a, SNP_PAGE_TYPE_VMSA, 0, NULL, 1, &err), SNP_E_INTERNAL);
	assert_int_equal(gctx_add_repeated(&a, SNP_PAGE_TYPE_VMSA, 0, pages, 0, &err), 0);
	assert_int_equal(a.npages, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gctx_step_matches_hand_built_page_info),
		cmocka_unit_test(gctx_zero_types_ignore_contents_and_order_matters),
		cmocka_unit_test(gctx_batches_equal_single_steps),
	};

	return cmocka_run_group_tests_name("measure/gctx", tests, NULL, NULL);
}
