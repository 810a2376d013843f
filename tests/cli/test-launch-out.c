/*
 * What `snpvm launch` says about a launch (cli/launch-out.h), from launch
 * results filled here by hand (the snp backend needs KVM, which the binary
 * cannot be given in a test; tests/launcher/test-snp-launch.c checks that a
 * refused CPUID page fills the result): the --json summary carries every
 * CPUID correction as a string and the certificate note; the text lists
 * every correction on its own line, none cut however many there are.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cli/launch-out.h"

static void policy(struct launch_policy *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->backend, sizeof(p->backend), "snp");
	p->vcpus = 1;
	p->memory_mib = 64;
}

static void summary_with_fixups_and_note(void **state)
{
	struct launch_policy p;
	struct launch_result *r = calloc(1, sizeof(*r));
	json_t *o, *a;

	(void)state;
	policy(&p);
	r->cpuid_fixups[0] = (struct snp_cpuid_fixup){ 1, 0, 2, 0xfef83207, 0xfef83203 };
	r->cpuid_fixups[1] = (struct snp_cpuid_fixup){ 0x8000001f, 0, 1, 0x80004073, 0x4073 };
	r->cpuid_fixups[2] = (struct snp_cpuid_fixup){ 0, 0, SNP_CPUID_FIXUP_COUNT, 8, 7 };
	r->ncpuid_fixups = 3;
	snprintf(r->certs_note, sizeof(r->certs_note), "no ENABLE_REQ_CERTS here");
	assert_non_null(o = launch_summary_json(&p, r));
	assert_string_equal(json_string_value(json_object_get(o, "backend")), "snp");
	assert_non_null(a = json_object_get(o, "cpuid_fixups"));
	assert_int_equal(json_array_size(a), 3);
	assert_string_equal(json_string_value(json_array_get(a, 0)),
			    "0x00000001.0 ECX 0xfef83207->0xfef83203");
	assert_string_equal(json_string_value(json_array_get(a, 1)),
			    "0x8000001f.0 EBX 0x80004073->0x00004073");
	assert_string_equal(json_string_value(json_array_get(a, 2)), "entry count 8->7");
	assert_string_equal(json_string_value(json_object_get(o, "certs_note")),
			    "no ENABLE_REQ_CERTS here");
	assert_true(json_is_false(json_object_get(o, "certs_served")));
	json_decref(o);
	free(r);
}

static void summary_without(void **state)
{
	struct launch_policy p;
	struct launch_result *r = calloc(1, sizeof(*r));
	json_t *o;

	(void)state;
	policy(&p);
	r->certs_served = true;
	assert_non_null(o = launch_summary_json(&p, r));
	assert_true(json_is_array(json_object_get(o, "cpuid_fixups")));
	assert_int_equal(json_array_size(json_object_get(o, "cpuid_fixups")), 0);
	assert_true(json_is_null(json_object_get(o, "certs_note")));
	assert_true(json_is_true(json_object_get(o, "certs_served")));
	assert_true(json_is_null(json_object_get(o, "measurement")));
	json_decref(o);
	free(r);
}

/* The most a CPUID page can have corrected: every line printed, in order. */
static void every_fixup_printed(void **state)
{
	struct launch_result *r = calloc(1, sizeof(*r));
	char *text = NULL, line[96];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	json_t *a;
	const char *at;

	(void)state;
	assert_non_null(f);
	for (unsigned i = 0; i < SNP_CPUID_MAX_FIXUPS - 1; i++)
		r->cpuid_fixups[i] = (struct snp_cpuid_fixup){ 0x80000000u + i / 4, 0, i % 4, i,
							       i + 1 };
	r->cpuid_fixups[SNP_CPUID_MAX_FIXUPS - 1] =
		(struct snp_cpuid_fixup){ 0, 0, SNP_CPUID_FIXUP_COUNT, 64, 63 };
	r->ncpuid_fixups = SNP_CPUID_MAX_FIXUPS;
	launch_print_fixups(f, r);
	fclose(f);
	at = text;
	for (unsigned i = 0; i < SNP_CPUID_MAX_FIXUPS - 1; i++) {
		static const char *const reg[] = { "EAX", "EBX", "ECX", "EDX" };

		snprintf(line, sizeof(line), "snpvm launch: CPUID fix-up: 0x%08x.0 %s 0x%08x->0x%08x\n",
			 0x80000000u + i / 4, reg[i % 4], i, i + 1);
		if (!(at = strstr(at, line)))
			fail_msg("line %u missing: %s", i, line);
		at += strlen(line);
	}
	assert_string_equal(at, "snpvm launch: CPUID fix-up: entry count 64->63\n");
	free(text);
	assert_non_null(a = launch_fixups_json(r));
	assert_int_equal(json_array_size(a), SNP_CPUID_MAX_FIXUPS);
	assert_string_equal(json_string_value(json_array_get(a, SNP_CPUID_MAX_FIXUPS - 1)), "entry count 64->63");
	assert_string_equal(json_string_value(json_array_get(a, 6)),
			    "0x80000001.0 ECX 0x00000006->0x00000007");
	json_decref(a);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(summary_with_fixups_and_note),
		cmocka_unit_test(summary_without),
		cmocka_unit_test(every_fixup_printed),
	};

	return cmocka_run_group_tests_name("cli/launch-out", tests, NULL, NULL);
}
