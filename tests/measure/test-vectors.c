/*
 * Every vector in tests/data/measure/vectors.json (virtee/sev-snp-measure
 * v0.0.13 + 8f2b337), twice: through the library (measure_run with options
 * built here from the vector's flags) and through `build/snpvm measure` with
 * the vector's own flags. The three vectors on firmware without SEV metadata
 * must be refused by default and reproduce with --allow-no-sev-metadata.
 * Expected digests come only from vectors.json.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "measure/cpu-sig.h"
#include "measure/firmware.h"
#include "measure/gctx.h"
#include "measure/input.h"
#include "measure/kernel-hashes.h"
#include "measure/measure.h"
#include "measure/vmsa-build.h"
#include "tests/common/measure-vectors.h"
#include "tests/common/testutil.h"
#include "util/hex.h"

static struct measure_vectors mv;

static int load(void **state)
{
	(void)state;
	measure_vectors_load(&mv);
	return 0;
}

static int unload(void **state)
{
	(void)state;
	measure_vectors_free(&mv);
	return 0;
}

static void digest_text(const struct vector *v, const uint8_t ld[SNP_LD_SIZE], char *out,
			size_t outlen)
{
	if (v->is_base64) {
		char *b = b64_encode(ld, SNP_LD_SIZE);

		assert_non_null(b);
		snprintf(out, outlen, "%s", b);
		free(b);
	} else {
		assert_true(outlen > 2 * SNP_LD_SIZE);
		hex_encode(ld, SNP_LD_SIZE, out);
	}
}

static void vectors_reproduce_through_library(void **state)
{
	size_t ok = 0, refused = 0;

	(void)state;
	for (size_t i = 0; i < mv.n; i++) {
		const struct vector *v = &mv.v[i];
		struct snp_err err = { 0 };
		struct measure_result res;
		struct lib_run r;
		char got[128];
		int ret;

		lib_setup(v, &r);
		ret = measure_run(&r.o, &res, &err);
		if (!v->expect) {
			if (ret == 0)
				fail_msg("vector %zu: produced a digest, want a refusal", v->index);
			assert_int_equal(ret, SNP_E_UNSUPPORTED);
			assert_non_null(strstr(err.msg, "SNP_KERNEL_HASHES"));
			refused++;
		} else if (v->no_metadata) {
			assert_int_equal(ret, SNP_E_INVALID);
			assert_non_null(strstr(err.msg, "SEV metadata"));
			r.o.launch.allow_no_sev_metadata = true;
			ret = measure_run(&r.o, &res, &err);
		}
		if (v->expect) {
			if (ret != 0)
				fail_msg("vector %zu: %s", v->index, err.msg);
			digest_text(v, res.ld, got, sizeof(got));
			if (strcmp(got, v->expect) != 0)
				fail_msg("vector %zu: got %s, want %s", v->index, got, v->expect);
			ok++;
		}
		lib_teardown(&r);
	}
	assert_int_equal(ok + refused, NVECTORS);
	assert_int_equal(refused, 1);
}

static void run_vector(const struct vector *v, const char *extra, struct run_result *res)
{
	const char *argv[MAX_ARGS + 3];
	int n = 0;

	argv[n++] = "measure";
	for (int i = 0; i < v->argc; i++)
		argv[n++] = v->argv[i];
	if (extra)
		argv[n++] = extra;
	argv[n] = NULL;
	run_snpvm(argv, NULL, res);
}

static void vectors_reproduce_through_cli(void **state)
{
	(void)state;
	for (size_t i = 0; i < mv.n; i++) {
		const struct vector *v = &mv.v[i];
		struct run_result res;
		char want[160];

		run_vector(v, NULL, &res);
		if (!v->expect || v->no_metadata) {
			if (res.status != 2)
				fail_msg("vector %zu: exit %d, want 2 (stderr: %s)", v->index,
					 res.status, res.err);
			assert_string_equal(res.out, "");
			assert_non_null(strstr(res.err, v->expect ? "SEV metadata"
								  : "SNP_KERNEL_HASHES"));
			run_result_free(&res);
			if (!v->expect)
				continue;
			run_vector(v, "--allow-no-sev-metadata", &res);
		}
		snprintf(want, sizeof(want), "%s\n", v->expect);
		if (res.status != 0 || strcmp(res.out, want) != 0)
			fail_msg("vector %zu: exit %d, stdout %s, stderr %s, want %s", v->index,
				 res.status, res.out, res.err, v->expect);
		run_result_free(&res);
	}
}

/* --json carries the same digest and the inputs' SHA-256 (values from tests/data/README). */
static void vector_json_has_digest_and_input_hashes(void **state)
{
	const struct vector *v = &mv.v[68]; /* AmdSev 2025.02, kernel + initrd + cmdline */
	struct run_result res;
	json_error_t jerr;
	json_t *o;

	(void)state;
	run_vector(v, "--json", &res);
	assert_int_equal(res.status, 0);
	o = json_loads(res.out, 0, &jerr);
	if (!o)
		fail_msg("not JSON: %s", res.out);
	assert_string_equal(json_string_value(json_object_get(o, "measurement")), v->expect);
	assert_string_equal(json_string_value(json_object_get(o, "vmm_type")), "qemu");
	assert_int_equal(json_integer_value(json_object_get(o, "vcpus")), 1);
	/* sha256 of AMDSEV-2025.02, K and I from reference/snp-launch-digest.md A.1 */
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(o, "inputs"), "ovmf"), "sha256")),
			    "5e096d451c351f2c310b3f24bbf5a1487122407b61431f32f36465a6bb15e688");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(o, "inputs"), "kernel"), "sha256")),
			    "172c15dc2e12b50e523d8e657cbe7fbb11c1053252bbf1e1431077d57d8128fd");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(o, "inputs"), "initrd"), "sha256")),
			    "7e621b81b03626b6984bf2cc39acb5c6037aaa283d633a7253cb3efcd03ae6c6");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(o, "inputs"), "cmdline"), "value")),
			    "console=ttyS0");
	json_decref(o);
	run_result_free(&res);
}

/* §1: all APs share one VMSA, so N+1 vCPUs is one more VMSA step from N. */
static void extra_vcpu_is_one_more_chain_step(void **state)
{
	/* pairs of vector indices (N vCPUs, M vCPUs) that differ only in the count */
	static const size_t pairs[][2] = {
		{ 5, 6 }, { 6, 7 }, { 8, 9 }, { 11, 12 }, { 23, 24 }, { 24, 25 }, { 25, 26 },
		{ 26, 27 }, { 64, 65 }, { 65, 66 }, { 68, 70 }, { 69, 71 }, { 53, 54 },
	};

	(void)state;
	for (size_t k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++) {
		const struct vector *a = &mv.v[pairs[k][0]], *b = &mv.v[pairs[k][1]];
		struct snp_err err = { 0 };
		struct measure_result ra;
		struct lib_run r;
		uint8_t want[SNP_LD_SIZE], ap[SNP_VMSA_SIZE];
		const struct vmm_profile *p;
		struct firmware fw;
		unsigned na, nb;
		uint32_t eip;
		struct gctx g;

		lib_setup(a, &r);
		na = r.o.launch.vcpus;
		assert_int_equal(measure_run(&r.o, &ra, &err), 0);
		lib_teardown(&r);
		lib_setup(b, &r);
		nb = r.o.launch.vcpus;
		assert_true(nb > na);
		assert_int_equal(hex_decode(b->expect, want, SNP_LD_SIZE, "want", &err), 0);
		p = vmm_profile_get(r.o.launch.mode == MEASURE_MODE_SVSM ? VMM_QEMU_SVSM : r.o.launch.vmm);
		if (r.o.launch.mode == MEASURE_MODE_SVSM) {
			uint64_t end = FIRMWARE_END_GPA - r.o.launch.ovmf_len - r.o.launch.vars_size;

			assert_int_equal(firmware_parse("SVSM", r.o.launch.svsm, r.o.launch.svsm_len, end, &fw,
							&err), 0);
			eip = (uint32_t)(fw.gpa + fw.svsm_entry_offset);
		} else {
			assert_int_equal(firmware_parse("OVMF", r.o.launch.ovmf, r.o.launch.ovmf_len,
							FIRMWARE_END_GPA, &fw, &err), 0);
			eip = fw.ap_reset_addr;
		}
		vmsa_build_page(p, false, eip, r.o.launch.vcpu_sig, r.o.launch.guest_features, ap);
		gctx_init_from(&g, ra.ld);
		for (unsigned i = na; i < nb; i++)
			assert_int_equal(gctx_add_page(&g, SNP_PAGE_TYPE_VMSA, SNP_VMSA_GPA, ap, &err),
					 0);
		if (memcmp(g.ld, want, SNP_LD_SIZE) != 0)
			fail_msg("vectors %zu -> %zu: %u extra AP steps do not give the digest",
				 a->index, b->index, nb - na);
		lib_teardown(&r);
	}
}

/* §1: the snp:ovmf-hash seed resumes to the full value (A#109 == A#18 style). */
static void ovmf_hash_seed_resumes_to_full_digest(void **state)
{
	/* seed vectors and, for each, a full vector on the same firmware */
	static const size_t pairs[][2] = { { 0, 9 }, { 3, 51 }, { 4, 61 }, { 72, 70 } };

	(void)state;
	/* vector 63 resumes vector 0's seed and equals vector 9 */
	assert_string_equal(mv.v[63].expect, mv.v[9].expect);
	for (size_t k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++) {
		const struct vector *seed = &mv.v[pairs[k][0]], *full = &mv.v[pairs[k][1]];
		struct snp_err err = { 0 };
		struct measure_result res;
		struct lib_run r;
		uint8_t s[SNP_LD_SIZE];
		char got[2 * SNP_LD_SIZE + 1];

		assert_int_equal(hex_decode(seed->expect, s, SNP_LD_SIZE, "seed", &err), 0);
		lib_setup(full, &r);
		r.o.ovmf_hash = s;
		if (measure_run(&r.o, &res, &err) != 0)
			fail_msg("vector %zu: %s", full->index, err.msg);
		hex_encode(res.ld, SNP_LD_SIZE, got);
		assert_string_equal(got, full->expect);
		assert_memory_equal(res.ovmf_hash, s, SNP_LD_SIZE);
		/* and the full run reports the same seed */
		r.o.ovmf_hash = NULL;
		assert_int_equal(measure_run(&r.o, &res, &err), 0);
		assert_memory_equal(res.ovmf_hash, s, SNP_LD_SIZE);
		lib_teardown(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vectors_reproduce_through_library),
		cmocka_unit_test(vectors_reproduce_through_cli),
		cmocka_unit_test(vector_json_has_digest_and_input_hashes),
		cmocka_unit_test(extra_vcpu_is_one_more_chain_step),
		cmocka_unit_test(ovmf_hash_seed_resumes_to_full_digest),
	};

	return cmocka_run_group_tests_name("measure/vectors", tests, load, unload);
}
