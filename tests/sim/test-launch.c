/*
 * A launcher's sequence on the sim: the OVMF image as NORMAL pages, its SEV
 * metadata sections as the VMM maps them (QEMU: SNP_SEC_MEM -> ZERO, SECRETS,
 * CPUID, the rest ZERO; EC2's order and types from its profile), then one
 * VMSA per vCPU — and the sim's MEASUREMENT equals sev-snp-measure's for every
 * `--mode snp` vector in tests/data/measure/vectors.json without a kernel.
 * Firmware parsing and VMSA contents come from measure/ (firmware.c,
 * vmsa-build.c); the digest is the sim's.
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

#include "abi/cpuid-page.h"
#include "measure/cpu-sig.h"
#include "measure/firmware.h"
#include "measure/vmm-profile.h"
#include "measure/vmsa-build.h"
#include "sim/cpuid.h"
#include "sim/sp.h"
#include "tests/sim/simtest.h"
#include "tests/common/testutil.h"
#include "util/hex.h"

struct vec {
	enum vmm_type vmm;
	unsigned vcpus;
	uint32_t sig;
	uint64_t features;
	const char *ovmf;
};

/* Reads a vector's flags; false for vectors this test does not drive (kernel, SVSM, seeds). */
static bool vec_parse(json_t *args, struct vec *v)
{
	unsigned fam = 0, model = 0, step = 0, have_fms = 0;
	bool have_sig = false;
	struct snp_err err;
	size_t i;
	json_t *a;

	memset(v, 0, sizeof(*v));
	v->vmm = VMM_QEMU;
	v->features = 1;
	json_array_foreach(args, i, a)
	{
		const char *s = json_string_value(a), *val = strchr(s, '=');
		char key[64];

		if (val) {
			snprintf(key, sizeof(key), "%.*s", (int)(val - s), s);
			val++;
		} else {
			snprintf(key, sizeof(key), "%s", s);
			val = json_string_value(json_array_get(args, ++i));
			if (val == NULL)
				return false;
		}
		if (strcmp(key, "--mode") == 0) {
			if (strcmp(val, "snp") != 0)
				return false;
		} else if (strcmp(key, "--vmm-type") == 0) {
			if (vmm_profile_find(val, &v->vmm, &err) != 0 ||
			    (v->vmm != VMM_QEMU && v->vmm != VMM_EC2))
				return false;
		} else if (strcmp(key, "--vcpus") == 0) {
			v->vcpus = (unsigned)strtoul(val, NULL, 10);
		} else if (strcmp(key, "--vcpu-type") == 0) {
			if (cpu_sig_lookup(val, &v->sig, &err) != 0)
				return false;
			have_sig = true;
		} else if (strcmp(key, "--vcpu-sig") == 0) {
			v->sig = (uint32_t)strtoul(val, NULL, 0);
			have_sig = true;
		} else if (strcmp(key, "--vcpu-family") == 0) {
			fam = (unsigned)strtoul(val, NULL, 0);
			have_fms++;
		} else if (strcmp(key, "--vcpu-model") == 0) {
			model = (unsigned)strtoul(val, NULL, 0);
			have_fms++;
		} else if (strcmp(key, "--vcpu-stepping") == 0) {
			step = (unsigned)strtoul(val, NULL, 0);
			have_fms++;
		} else if (strcmp(key, "--guest-features") == 0) {
			v->features = strtoull(val, NULL, 0);
		} else if (strcmp(key, "--ovmf") == 0) {
			v->ovmf = val;
		} else {
			return false;
		}
	}
	if (have_fms == 3) {
		if (cpu_sig_pack(fam, model, step, &v->sig, &err) != 0)
			return false;
		have_sig = true;
	}
	return v->ovmf && v->vcpus > 0 && (have_sig || v->vmm == VMM_EC2);
}

static void map_section(struct sim_guest *g, const struct vmm_profile *p,
			const struct ovmf_sev_section *s)
{
	uint8_t page[SNP_PAGE_SIZE];
	uint8_t *zero;

	switch (s->type) {
	case OVMF_SECTION_SNP_SECRETS:
		simtest_update(g, s->gpa, page, sizeof(page), SNP_PAGE_TYPE_SECRETS);
		return;
	case OVMF_SECTION_CPUID: {
		struct snp_cpuid_page c;

		sim_cpuid_fill(sim_sp_platform(g->sp), &c);
		cpuid_page_write(&c, page);
		simtest_update(g, s->gpa, page, sizeof(page), SNP_PAGE_TYPE_CPUID);
		return;
	}
	default:
		zero = calloc(1, s->size);
		assert_non_null(zero);
		simtest_update(g, s->gpa, zero, s->size,
		       s->type == OVMF_SECTION_SNP_SEC_MEM ? p->sec_mem_type : SNP_PAGE_TYPE_ZERO);
		free(zero);
	}
}

/* The launch a launcher would drive; returns the guest after FINISH. */
static struct sim_guest *launch(struct sim_sp *sp, const struct vec *v, const uint8_t *img,
				size_t len)
{
	const struct vmm_profile *p = vmm_profile_get(v->vmm);
	struct snp_err err = { 0 };
	struct firmware fw;
	struct sim_guest *g = NULL;
	uint8_t *copy = malloc(len), vmsa[SNP_PAGE_SIZE];
	uint32_t st = 0;

	if (firmware_parse("OVMF", img, len, FIRMWARE_END_GPA, &fw, &err) != 0)
		fail_msg("firmware_parse: %s", err.msg);
	/* Firmware without SEV metadata is measured without sections, as sev-snp-measure does. */
	if (!fw.has_reset_block && v->vcpus > 1)
		fail_msg("no SEV-ES reset block for the APs");
	if (sim_launch_start(sp, 0x30000, NULL, &g, &st, &err) != 0)
		fail_msg("LAUNCH_START: %s", err.msg);
	memcpy(copy, img, len);
	simtest_update(g, fw.gpa, copy, len, SNP_PAGE_TYPE_NORMAL);
	for (size_t i = 0; fw.has_metadata && i < fw.md.n; i++)
		if (!(p->cpuid_last && fw.md.s[i].type == OVMF_SECTION_CPUID))
			map_section(g, p, &fw.md.s[i]);
	for (size_t i = 0; fw.has_metadata && p->cpuid_last && i < fw.md.n; i++)
		if (fw.md.s[i].type == OVMF_SECTION_CPUID)
			map_section(g, p, &fw.md.s[i]);
	for (unsigned cpu = 0; cpu < v->vcpus; cpu++) {
		vmsa_build_page(p, cpu == 0, cpu == 0 ? VMSA_RESET_VECTOR : fw.ap_reset_addr, v->sig,
				v->features, vmsa);
		simtest_update(g, SIM_VMSA_GPA, vmsa, sizeof(vmsa), SNP_PAGE_TYPE_VMSA);
	}
	if (sim_launch_finish(g, NULL, NULL, false, NULL, &st, &err) != 0)
		fail_msg("LAUNCH_FINISH: %s", err.msg);
	free(copy);
	return g;
}

static void launch_reproduces_snp_vectors(void **state)
{
	char *dir = simtest_dir(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK);
	struct snp_err err = { 0 };
	struct sim_sp *sp = NULL;
	json_error_t jerr;
	json_t *root = json_load_file(tdata_path("measure/vectors.json"), 0, &jerr), *vj;
	size_t i, n = 0;

	(void)state;
	assert_non_null(root);
	assert_int_equal(sim_sp_open(dir, &sp, &err), 0);
	json_array_foreach(json_object_get(root, "vectors"), i, vj)
	{
		const char *expect = json_string_value(json_object_get(vj, "expect"));
		char rel[512], got[2 * SNP_MEASUREMENT_SIZE + 1];
		struct sim_guest *g;
		struct vec v;
		uint8_t *img;
		size_t len;

		if (!vec_parse(json_object_get(vj, "args"), &v) || strncmp(v.ovmf, "debian:", 7) != 0)
			continue;
		snprintf(rel, sizeof(rel), "debian-ovmf/%s", v.ovmf + 7);
		img = tdata_read(rel, &len);
		g = launch(sp, &v, img, len);
		hex_encode(g->measurement, SNP_MEASUREMENT_SIZE, got);
		if (strcmp(got, expect) != 0)
			fail_msg("vector %zu (%s, %u vCPUs, sig 0x%x): sim %s, sev-snp-measure %s", i,
				 vmm_profile_get(v.vmm)->name, v.vcpus, v.sig, got, expect);
		sim_guest_free(g);
		free(img);
		n++;
	}
	print_message("%zu launch vectors reproduced\n", n);
	assert_true(n >= 30);
	json_decref(root);
	sim_sp_close(sp);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(launch_reproduces_snp_vectors),
	};

	return cmocka_run_group_tests_name("sim/launch", tests, NULL, NULL);
}
