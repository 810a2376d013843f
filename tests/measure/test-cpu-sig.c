/* measure/cpu-sig.c: the vCPU signature table and packing (AMD pub. 25481; vcpu_types.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "measure/cpu-sig.h"

static void cpu_sig_lookup_matches_reference_table(void **state)
{
	static const struct {
		const char *name;
		uint32_t sig;
	} want[] = {
		{ "EPYC", 0x00800F12 },	     { "EPYC-v1", 0x00800F12 },	   { "EPYC-v2", 0x00800F12 },
		{ "EPYC-v3", 0x00800F12 },   { "EPYC-v4", 0x00800F12 },	   { "EPYC-IBPB", 0x00800F12 },
		{ "EPYC-Rome", 0x00830F10 }, { "EPYC-Rome-v1", 0x00830F10 }, { "EPYC-Rome-v2", 0x00830F10 },
		{ "EPYC-Rome-v3", 0x00830F10 }, { "EPYC-Milan", 0x00A00F11 }, { "EPYC-Milan-v1", 0x00A00F11 },
		{ "EPYC-Milan-v2", 0x00A00F11 }, { "EPYC-Genoa", 0x00A10F10 }, { "EPYC-Genoa-v1", 0x00A10F10 },
		{ "EPYC-Turin", 0x00B00F00 },
	};
	struct snp_err err = { 0 };
	size_t n;
	uint32_t sig;

	(void)state;
	assert_non_null(cpu_sig_models(&n));
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(cpu_sig_lookup(want[i].name, &sig, &err), 0);
		if (sig != want[i].sig)
			fail_msg("%s: 0x%08x, want 0x%08x", want[i].name, sig, want[i].sig);
	}
}

static void cpu_sig_lookup_refuses_unknown_models(void **state)
{
	static const char *const bad[] = { "EPYC-Foo", "epyc-milan", "", "EPYC-v5", "host" };
	struct snp_err err = { 0 };
	uint32_t sig = 1;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cpu_sig_lookup(bad[i], &sig, &err), SNP_E_UNSUPPORTED);
		assert_int_equal(sig, 0);
		assert_non_null(strstr(err.msg, bad[i]));
	}
}

static void cpu_sig_pack_splits_family_and_model(void **state)
{
	struct snp_err err = { 0 };
	uint32_t sig;

	(void)state;
	assert_int_equal(cpu_sig_pack(23, 1, 2, &sig, &err), 0);
	assert_int_equal(sig, 0x00800F12);
	assert_int_equal(cpu_sig_pack(6, 0x55, 7, &sig, &err), 0); /* family <= 0xF: no ext */
	assert_int_equal(sig, 0x00050657);
	assert_int_equal(cpu_sig_pack(0xF, 0, 0, &sig, &err), 0);
	assert_int_equal(sig, 0x00000F00);
	assert_int_equal(cpu_sig_pack(0x10E, 0xFF, 0xF, &sig, &err), 0);
	assert_int_equal(sig, 0x0FFF0FFF);
	/* Family 0 is sev-snp-measure's too ("Allow zero as value for vcpu sig & family"). */
	assert_int_equal(cpu_sig_pack(0, 0, 0, &sig, &err), 0);
	assert_int_equal(sig, 0);
	assert_int_equal(cpu_sig_pack(0, 1, 1, &sig, &err), 0);
	assert_int_equal(sig, 0x00000011);
	assert_int_equal(cpu_sig_pack(0x10F, 1, 1, &sig, &err), SNP_E_INVALID);
	assert_int_equal(cpu_sig_pack(25, 0x100, 1, &sig, &err), SNP_E_INVALID);
	assert_int_equal(cpu_sig_pack(25, 1, 16, &sig, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "stepping 16"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cpu_sig_lookup_matches_reference_table),
		cmocka_unit_test(cpu_sig_lookup_refuses_unknown_models),
		cmocka_unit_test(cpu_sig_pack_splits_family_and_model),
	};

	return cmocka_run_group_tests_name("measure/cpu-sig", tests, NULL, NULL);
}
