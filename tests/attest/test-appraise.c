/*
 * attest/appraise.c: the default policy against every genuine fixture, one
 * negative per check (message names the AMD field and both values),
 * collect-all, strict zero options, per-product TCB layouts and
 * component-wise TCB comparison. Expected values are the fixture README's
 * (tests/data/attest/README.md) or bytes read off the report at the
 * SNP ABI spec 56860 ATTESTATION_REPORT offsets, never output of the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "abi/policy.h"
#include "abi/report.h"
#include "attest/appraise.h"
#include "tests/common/testutil.h"

#define MILAN "attest/mstav/milan_attestation_report.bin"
#define GENOA "attest/mstav/genoa_attestation_report.bin"
#define TURIN "attest/mstav/turin_attestation_report.bin"
#define TURIN_ROUTEX "attest/routex/report_turin.bin"
#define VLEK "attest/trustee/test-vlek-report.bin"
#define GOSEV "attest/gosevguest/attestation.bin"

/* Parses the report at byte off of tests/data/<rel> (0x20 inside an Azure HCL report). */
static void load_at(const char *rel, size_t off, struct snp_report *rep)
{
	struct snp_err err = { 0 };
	size_t len;
	uint8_t *buf = tdata_read(rel, &len);

	assert_true(len >= off + SNP_REPORT_SIZE);
	if (report_parse(buf + off, SNP_REPORT_SIZE, NULL, rep, &err) != 0)
		fail_msg("%s: %s", rel, err.msg);
	free(buf);
}

static void load(const char *rel, struct snp_report *rep)
{
	load_at(rel, 0, rep);
}

/* Loads rel and starts from the default policy, which accepts every genuine report. */
static void setup(const char *rel, struct snp_report *rep, struct appraise_opts *o)
{
	load(rel, rep);
	appraise_opts_default(o);
}

static const struct appraise_check *find_check(const struct appraise_result *res,
					       const char *name)
{
	for (size_t i = 0; i < res->nchecks; i++)
		if (strcmp(res->checks[i].name, name) == 0)
			return &res->checks[i];
	fail_msg("no check named %s", name);
	return NULL;
}

/* Appraisal must refuse with exactly one failed check, `name`, whose detail contains `want`. */
static void expect_only_failure(const struct snp_report *rep, enum snp_product p,
				const struct appraise_opts *o, const char *name, const char *want)
{
	struct appraise_result res;
	struct snp_err err = { 0 };
	const struct appraise_check *c;
	int ret = appraise_report(rep, p, o, &res, &err);

	assert_int_equal(ret, SNP_E_REFUSED);
	assert_int_equal(err.code, SNP_E_REFUSED);
	c = find_check(&res, name);
	if (c->passed || c->skipped)
		fail_msg("%s passed; err: %s", name, err.msg);
	if (!strstr(c->detail, want))
		fail_msg("%s detail '%s' lacks '%s'", name, c->detail, want);
	if (!strstr(err.msg, want))
		fail_msg("err '%s' lacks '%s'", err.msg, want);
	if (res.nfailed != 1)
		fail_msg("%zu checks failed, want 1: %s", res.nfailed, err.msg);
}

static void expect_pass(const struct snp_report *rep, enum snp_product p,
			const struct appraise_opts *o)
{
	struct appraise_result res;
	struct snp_err err = { 0 };

	if (appraise_report(rep, p, o, &res, &err) != 0)
		fail_msg("refused: %s", err.msg);
	assert_int_equal(res.nfailed, 0);
}

static void set_hex(uint8_t *out, size_t len, const char *hex)
{
	for (size_t i = 0; i < len; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* The genuine reports of tests/data/attest/README.md with their products. */
static const struct {
	const char *path;
	size_t off;
	enum snp_product product;
} genuine[] = {
	{ "attest/virtee_sev/report_milan.bin", 0, SNP_PRODUCT_MILAN },
	{ "attest/trustee/test-report.bin", 0, SNP_PRODUCT_MILAN },
	{ VLEK, 0, SNP_PRODUCT_MILAN },
	{ "attest/trustee/e2e_report_reconstructed.bin", 0, SNP_PRODUCT_GENOA },
	{ "attest/trustee/az-snp-vtpm/hcl-report.bin", 0x20, SNP_PRODUCT_MILAN },
	{ "attest/trustee/az-snp-vtpm/evidence-v0_hcl.bin", 0x20, SNP_PRODUCT_MILAN },
	{ "attest/trustee/az-snp-vtpm/evidence-v1_hcl.bin", 0x20, SNP_PRODUCT_MILAN },
	{ "attest/trustee/az-snp-vtpm/evidence-v2_hcl.bin", 0x20, SNP_PRODUCT_MILAN },
	{ "attest/trustee/az-snp-vtpm/evidence-genoa_hcl.bin", 0x20, SNP_PRODUCT_GENOA },
	{ MILAN, 0, SNP_PRODUCT_MILAN },
	{ GENOA, 0, SNP_PRODUCT_GENOA },
	{ TURIN, 0, SNP_PRODUCT_TURIN },
	{ TURIN_ROUTEX, 0, SNP_PRODUCT_TURIN },
	{ "attest/routex/report_milan.bin", 0, SNP_PRODUCT_MILAN },
	{ "attest/routex/report_genoa.bin", 0, SNP_PRODUCT_GENOA },
};

static void appraise_default_accepts_genuine_reports(void **state)
{
	struct appraise_opts o;

	(void)state;
	appraise_opts_default(&o);
	for (size_t i = 0; i < sizeof(genuine) / sizeof(genuine[0]); i++) {
		struct appraise_result res;
		struct snp_err err = { 0 };
		struct snp_report rep;

		load_at(genuine[i].path, genuine[i].off, &rep);
		if (appraise_report(&rep, genuine[i].product, &o, &res, &err) != 0)
			fail_msg("%s refused: %s", genuine[i].path, err.msg);
		assert_int_equal(res.nfailed, 0);
		assert_true(res.nchecks > 20);
	}
}

/* README: POLICY 0xB0000 has DEBUG=1, a policy-negative vector. */
static void appraise_default_refuses_gosevguest_debug(void **state)
{
	struct appraise_opts o;
	struct snp_report rep;

	(void)state;
	setup(GOSEV, &rep, &o);
	expect_only_failure(&rep, SNP_PRODUCT_MILAN, &o, "POLICY.DEBUG",
			    "POLICY.DEBUG set but not allowed (POLICY 0xb0000)");
}

static void appraise_zeroed_opts_refuse(void **state)
{
	struct appraise_result res;
	struct appraise_opts o;
	struct snp_err err = { 0 };
	struct snp_report rep;

	(void)state;
	memset(&o, 0, sizeof(o));
	load(GENOA, &rep);
	assert_int_equal(appraise_report(&rep, SNP_PRODUCT_GENOA, &o, &res, &err), SNP_E_REFUSED);
	assert_false(find_check(&res, "MEASUREMENT")->passed);
	assert_non_null(strstr(find_check(&res, "MEASUREMENT")->detail, "allow-list is empty"));
	assert_false(find_check(&res, "VMPL")->passed);
	assert_non_null(strstr(find_check(&res, "VMPL")->detail, "VMPL 0 is not allowed (allowed: none)"));
	assert_false(find_check(&res, "POLICY.SMT")->passed); /* POLICY 0x3001F has SMT */
	assert_false(find_check(&res, "ID_KEY_DIGEST")->passed);
	assert_int_equal(res.nfailed, 4);
	/* The first failure leads the message; the rest are counted. */
	assert_non_null(strstr(err.msg, "MEASUREMENT 5feee30d"));
	assert_non_null(strstr(err.msg, "(and 3 more failed checks)"));
}

static void appraise_collects_all_failures(void **state)
{
	struct appraise_result res;
	struct appraise_opts o;
	struct snp_err err = { 0 };
	struct snp_report rep;
	size_t failed = 0;

	(void)state;
	setup(GOSEV, &rep, &o);
	o.allow_any_measurement = false;
	o.nmeasurements = 1;
	memset(o.measurements[0], 0x11, SNP_MEASUREMENT_SIZE);
	assert_int_equal(appraise_report(&rep, SNP_PRODUCT_MILAN, &o, &res, &err), SNP_E_REFUSED);
	assert_int_equal(res.nfailed, 2);
	for (size_t i = 0; i < res.nchecks; i++)
		failed += !res.checks[i].passed;
	assert_int_equal(failed, 2);
	assert_false(find_check(&res, "MEASUREMENT")->passed);
	assert_false(find_check(&res, "POLICY.DEBUG")->passed);
	assert_non_null(strstr(err.msg, "MEASUREMENT b07af9620f3b839b"));
	assert_non_null(strstr(err.msg, "and 1 more failed check"));
}

static void appraise_unknown_product_is_invalid(void **state)
{
	struct appraise_opts o;
	struct snp_err err = { 0 };
	struct snp_report rep;

	(void)state;
	setup(MILAN, &rep, &o);
	assert_int_equal(appraise_report(&rep, SNP_PRODUCT_UNKNOWN, &o, NULL, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "product"));
	/* res may be NULL on success too. */
	assert_int_equal(appraise_report(&rep, SNP_PRODUCT_MILAN, &o, NULL, &err), 0);
}

static void appraise_product_mismatch_fails(void **state)
{
	struct appraise_opts o;
	struct snp_report rep;

	(void)state;
	setup(TURIN, &rep, &o); /* CPUID family 0x1a */
	expect_only_failure(&rep, SNP_PRODUCT_MILAN, &o, "PRODUCT",
			    "CPUID_FAM_ID 0x1a CPUID_MOD_ID 0x02 say Turin, appraised as Milan");
}

static const char genoa_measurement[] =
	"5feee30d6d7e1a29f403d70a4198237ddfb13051a2d6976439487c609388ed7f"
	"98189887920ab2fa0096903a0c23fca1";

static void appraise_measurement_allow_list(void **state)
{
	struct appraise_opts o;
	struct snp_report rep;

	(void)state;
	setup(GENOA, &rep, &o);
	o.allow_any_measurement = false;
	o.nmeasurements = 2;
	memset(o.measurements[0], 0xaa, SNP_MEASUREMENT_SIZE);
	set_hex(o.measurements[1], SNP_MEASUREMENT_SIZE, genoa_measurement);
	expect_pass(&rep, SNP_PRODUCT_GENOA, &o);

	o.nmeasurements = 1;
	expect_only_failure(&rep, SNP_PRODUCT_GENOA, &o, "MEASUREMENT",
			    "MEASUREMENT 5feee30d6d7e1a29f403d70a4198237ddfb13051a2d6976439487c609388ed7f98189887920ab2fa0096903a0c23fca1 is not in the allow-list (1 entries)");
	o.nmeasurements = 0;
	expect_only_failure(&rep, SNP_PRODUCT_GENOA, &o, "MEASUREMENT",
			    "refused: the allow-list is empty");
}

static void appraise_host_data_exact(void **state)
{
	struct appraise_opts o;
	struct snp_report rep;

	(void)state;
	setup(GENOA, &rep, &o);
	o.check_host_data = true;
	set_hex(o.host_data, 32, "4f4448c67f3c8dfc8de8a5e37125d807dadcc41f06cf23f615dbd52eec777d10");
	expect_pass(&rep, SNP_PRODUCT_GENOA, &o);
	o.host_data[31] ^= 1;
	expect_only_failure(&rep, SNP_PRODUCT_GENOA, &o, "HOST_DATA",
			    "HOST_DATA 4f4448c67f3c8dfc8de8a5e37125d807dadcc41f06cf23f615dbd52eec777d10 != expected 4f4448c67f3c8dfc8de8a5e37125d807dadcc41f06cf23f615dbd52eec777d11");
}

static void appraise_report_data_exact(void **state)
{
	struct appraise_opts o;
	struct snp_report rep;

	(void)state;
	setup(GOSEV, &rep, &o); /* README: report_data = 01 02 03 04 05 00.. */
	o.guest_policy.allow_debug = true;
	o.check_report_data = true;
	memcpy(o.report_data, "\x01\x02\x03\x04\x05", 5);
	expect_pass(&rep, SNP_PRODUCT_MILAN, &o);
	o.report_data[63] = 0x7f;
	expect_only_failure(&rep, SNP_PRODUCT_MILAN, &o, "REPORT_DATA",
			    "REPORT_DATA 0102030405000000...00000000 != expected 0102030405000000...0000007f");
}

static void appraise_vmpl(void **state)
{
	struct appraise_opts o;
	struct snp_report rep;

	(void)state;
	setup(VLEK, &rep, &o); /* README: VMPL=1 */
	o.vmpl_mask = 1u << 0;
	expect_only_failure(&rep, SNP_PRODUCT_MILAN, &o, "VMPL", "VMPL 1 is not allowed (allowed: 0)");
	o.vmpl_mask = (1u << 0) | (1u << 2);
	expect_only_failure(&rep, SNP_PRODUCT_MILAN, &o, "VMPL",
			    "VMPL 1 is not allowed (allowed: 0,2)");
	o.vmpl_mask = 1u << 1;
	expect_pass(&rep, SNP_PRODUCT_MILAN, &o);
}

static void appraise_policy_forbidden_bits(void **state)
{
	struct appraise_opts o;
	struct snp_report rep, base;

	(void)state;
	setup(GENOA, &base, &o); /* POLICY 0x3001F */

	rep = base;
	rep.policy |= SNP_POLICY_MIGRATE_MA;
	expect_only_failure(&rep, SNP_PRODUCT_GENOA, &o, "POLICY.MIGRATE_MA",
			    "POLICY.MIGRATE_MA set but not allowed (POLICY 0x7001f)");
	o.guest_policy.allow_migrate_ma = true;
	expect_pass(&rep, SNP_PRODUCT_GENOA, &o);

	rep = base;
	rep.policy |= SNP_POLICY_CXL_ALLOW;
	expect_only_failure(&rep, SNP_PRODUCT_GENOA, &o, "POLICY.CXL_ALLOW",
			    "POLICY.CXL_ALLOW set but not allowed (POLICY 0x23001f)");

	o.guest_policy.allow_smt = false;
	expect_only_failure(&base, SNP_PRODUCT_GENOA, &o, "POLICY.SMT",
			    "POLICY.SMT set but not allowed (POLICY 0x3001f)");
}

/*
 * POLICY bits 63:26 are undefined. A lax parse (--lax) lets a report carry
 * them; appraisal still refuses them unless the policy allows unknown bits.
 */
static void appraise_policy_unknown_bits_refused_after_lax_parse(void **state)
{
	struct report_parse_opts lax = { .lax_reserved = true };
	struct appraise_opts o;
	struct snp_report rep;
	struct snp_err err = { 0 };
	size_t len;
	uint8_t *raw = tdata_read(GENOA, &len); /* POLICY 0x3001F at 0x008 */

	(void)state;
	raw[0x008 + 3] |= 0x04; /* bit 26 */
	assert_int_equal(report_parse(raw, len, NULL, &rep, &err), SNP_E_RESERVED);
	assert_int_equal(report_parse(raw, len, &lax, &rep, &err), 0);
	assert_int_equal(rep.policy, 0x403001Full);
	appraise_opts_default(&o);
	expect_only_failure(&rep, SNP_PRODUCT_GENOA, &o, "POLICY.UNKNOWN",
			    "POLICY 0x403001f has unknown bits 0x4000000 (63:26)");
	/* Only the named relaxation accepts them, up to bit 63. */
	rep.policy |= 1ull << 63;
	o.guest_policy.allow_unknown_bits = true;
	expect_pass(&rep, SNP_PRODUCT_GENOA, &o);
	free(raw);
}

static void appraise_policy_required_bits(void **state)
{
	static const struct {
		size_t off;
		uint64_t bit;
		const char *name;
	} req[] = {
		{ offsetof(struct appraise_guest_policy, require_single_socket),
		  SNP_POLICY_SINGLE_SOCKET, "POLICY.SINGLE_SOCKET" },
		{ offsetof(struct appraise_guest_policy, require_mem_aes_256_xts),
		  SNP_POLICY_MEM_AES_256_XTS, "POLICY.MEM_AES_256_XTS" },
		{ offsetof(struct appraise_guest_policy, require_rapl_dis), SNP_POLICY_RAPL_DIS,
		  "POLICY.RAPL_DIS" },
		{ offsetof(struct appraise_guest_policy, require_ciphertext_hiding),
		  SNP_POLICY_CIPHERTEXT_HIDING, "POLICY.CIPHERTEXT_HIDING_DRAM" },
		{ offsetof(struct appraise_guest_policy, require_page_swap_disable),
		  SNP_POLICY_PAGE_SWAP_DISABLE, "POLICY.PAGE_SWAP_DISABLE" },
	};
	struct snp_report base;

	(void)state;
	load(GENOA, &base); /* POLICY 0x3001F: none of these bits */
	for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		struct appraise_opts o;
		struct snp_report rep = base;
		char want[96];

		appraise_opts_default(&o);
		*(bool *)((uint8_t *)&o.guest_policy + req[i].off) = true;
		snprintf(want, sizeof(want), "%s clear but required (POLICY 0x3001f)", req[i].name);
		expect_only_failure(&rep, SNP_PRODUCT_GENOA, &o, req[i].name, want);
		rep.policy |= req[i].bit;
		expect_pass(&rep, SNP_PRODUCT_GENOA, &o);
	}
}

static void appraise_policy_abi_floor(void **state)
{
	struct appraise_opts o;
	struct snp_report rep;

	(void)state;
	setup(GENOA, &rep, &o); /* POLICY 0x3001F: ABI 0.31 */
	o.guest_policy.abi_minor_min = 31;
	expect_pass(&rep, SNP_PRODUCT_GENOA, &o);
	o.guest_policy.abi_minor_min = 32;
	expect_only_failure(&rep, SNP_PRODUCT_GENOA, &o, "POLICY.ABI",
			    "POLICY.ABI_MAJOR.ABI_MINOR 0.31 is below the minimum 0.32");
	o.guest_policy.abi_major_min = 1;
	o.guest_policy.abi_minor_min = 0;
	expect_only_failure(&rep, SNP_PRODUCT_GENOA, &o, "POLICY.ABI",
			    "POLICY.ABI_MAJOR.ABI_MINOR 0.31 is below the minimum 1.0");
}

/*
 * Turin: README gives TCB fmc1/bl1/tee1/snp4/ucode81. A floor on FMC is
 * honoured, and SNP is read from byte 3 (the Milan layout would read 0 there).
 */
static void appraise_turin_tcb_layout(void **state)
{
	struct appraise_opts o;
	struct snp_report rep;

	(void)state;
	setup(TURIN, &rep, &o);
	o.min_reported_tcb = (struct appraise_tcb_floor){ .fmc = 1, .bootloader = 1, .tee = 1,
							  .snp = 4, .microcode = 81 };
	expect_pass(&rep, SNP_PRODUCT_TURIN, &o);
	o.min_reported_tcb.fmc = 2;
	expect_only_failure(&rep, SNP_PRODUCT_TURIN, &o, "REPORTED_TCB",
			    "REPORTED_TCB.FMC 1 < required 2");
	o.min_reported_tcb.fmc = 1;
	o.min_reported_tcb.snp = 5;
	expect_only_failure(&rep, SNP_PRODUCT_TURIN, &o, "REPORTED_TCB",
			    "REPORTED_TCB.SNP 4 < required 5");
}

/*
 * Milan: REPORTED_TCB bytes db18000000000004 (u64 LE) are, in the Milan
 * layout (56860 TCB_VERSION), BOOT_LOADER 4 (byte 0), SNP 0x18 = 24 (byte 6),
 * MICROCODE 0xdb = 219 (byte 7; README: ucodeSPL 219).
 */
static void appraise_milan_tcb_layout(void **state)
{
	struct appraise_opts o;
	struct snp_report rep;

	(void)state;
	load(MILAN, &rep);
	assert_int_equal(rep.reported_tcb, 0xdb18000000000004ull);
	appraise_opts_default(&o);
	o.min_reported_tcb = (struct appraise_tcb_floor){ .bootloader = 4, .snp = 24,
							  .microcode = 219 };
	expect_pass(&rep, SNP_PRODUCT_MILAN, &o);
	/* Milan has no FMC: a Turin-only floor does not apply. */
	o.min_reported_tcb.fmc = 9;
	expect_pass(&rep, SNP_PRODUCT_MILAN, &o);
	o.min_reported_tcb.snp = 25;
	expect_only_failure(&rep, SNP_PRODUCT_MILAN, &o, "REPORTED_TCB",
			    "REPORTED_TCB.SNP 24 < required 25");
	o.min_reported_tcb.snp = 24;
	o.min_reported_tcb.microcode = 220;
	expect_only_failure(&rep, SNP_PRODUCT_MILAN, &o, "REPORTED_TCB",
			    "REPORTED_TCB.MICROCODE 219 < required 220");
}

static void appraise_committed_and_launch_floors(void **state)
{
	struct appraise_opts o;
	struct snp_report rep;

	(void)state;
	setup(MILAN, &rep, &o); /* COMMITTED_TCB = LAUNCH_TCB = db18000000000004 */
	o.min_committed_tcb.snp = 25;
	expect_only_failure(&rep, SNP_PRODUCT_MILAN, &o, "COMMITTED_TCB",
			    "COMMITTED_TCB.SNP 24 < required 25");
	memset(&o.min_committed_tcb, 0, sizeof(o.min_committed_tcb));
	o.min_launch_tcb.bootloader = 5;
	expect_only_failure(&rep, SNP_PRODUCT_MILAN, &o, "LAUNCH_TCB",
			    "LAUNCH_TCB.BOOT_LOADER 4 < required 5");
	o.min_launch_tcb.bootloader = 4;
	expect_pass(&rep, SNP_PRODUCT_MILAN, &o);
}

/*
 * Component-wise, not u64. (a) BOOT_LOADER sits in the least significant
 * byte on Milan: a floor of bootloader 5 is the u64 5, far below the
 * report's u64, yet component-wise it fails. (b) The reserved bytes are no
 * component: CURRENT_TCB below REPORTED_TCB as u64 only because of a reserved
 * byte still passes CURRENT_TCB >= REPORTED_TCB.
 */
static void appraise_tcb_is_component_wise(void **state)
{
	struct appraise_result res;
	struct appraise_opts o;
	struct snp_err err = { 0 };
	struct snp_report rep;

	(void)state;
	setup(MILAN, &rep, &o);
	o.min_reported_tcb.bootloader = 5;
	assert_true(rep.reported_tcb > 5u); /* a u64 comparison would pass */
	expect_only_failure(&rep, SNP_PRODUCT_MILAN, &o, "REPORTED_TCB",
			    "REPORTED_TCB.BOOT_LOADER 4 < required 5");

	appraise_opts_default(&o);
	rep.reported_tcb = rep.current_tcb | (1ull << 40); /* byte 5: reserved on Milan */
	assert_true(rep.current_tcb < rep.reported_tcb);   /* a u64 comparison would fail */
	assert_int_equal(appraise_report(&rep, SNP_PRODUCT_MILAN, &o, &res, &err), 0);
	assert_true(find_check(&res, "CURRENT_TCB>=REPORTED_TCB")->passed);
}

static void appraise_current_below_reported_fails(void **state)
{
	struct appraise_opts o;
	struct snp_report rep;

	(void)state;
	setup(MILAN, &rep, &o);
	rep.reported_tcb = 0xdc18000000000004ull; /* MICROCODE 220 > current 219 */
	rep.committed_tcb = rep.current_tcb;
	expect_only_failure(&rep, SNP_PRODUCT_MILAN, &o, "CURRENT_TCB>=REPORTED_TCB",
			    "CURRENT_TCB.MICROCODE 219 < REPORTED_TCB.MICROCODE 220");
}

/* The AWS VLEK report: CURRENT_TCB dc18..04 (ucode 220), COMMITTED_TCB db18..04 (219). */
static void appraise_provisional_firmware(void **state)
{
	struct appraise_opts o;
	struct snp_report rep;

	(void)state;
	setup(VLEK, &rep, &o);
	assert_true(o.allow_provisional_firmware);
	expect_pass(&rep, SNP_PRODUCT_MILAN, &o);
	o.allow_provisional_firmware = false;
	expect_only_failure(&rep, SNP_PRODUCT_MILAN, &o, "COMMITTED_TCB=CURRENT_TCB",
			    "COMMITTED_TCB (bl 4 tee 0 snp 24 ucode 219) != CURRENT_TCB (bl 4 tee 0 snp 24 ucode 220)");
	/* Committed above current is refused even when provisional firmware is allowed. */
	o.allow_provisional_firmware = true;
	rep.committed_tcb = 0xdd18000000000004ull;
	expect_only_failure(&rep, SNP_PRODUCT_MILAN, &o, "COMMITTED_TCB=CURRENT_TCB",
			    "CURRENT_TCB.MICROCODE 220 < COMMITTED_TCB.MICROCODE 221");
}

/* Genoa report: firmware 1.55.40 (CURRENT = COMMITTED). */
static void appraise_firmware_version(void **state)
{
	struct appraise_opts o;
	struct snp_report rep, base;

	(void)state;
	setup(GENOA, &base, &o);
	o.min_firmware = (struct appraise_fw_version){ 1, 55, 41 };
	expect_only_failure(&base, SNP_PRODUCT_GENOA, &o, "CURRENT_VERSION",
			    "CURRENT_MAJOR.MINOR.BUILD 1.55.40 is below the minimum 1.55.41");
	/* A version, not three floors: 1.55.40 >= 1.54.99 although 40 < 99. */
	o.min_firmware = (struct appraise_fw_version){ 1, 54, 99 };
	expect_pass(&base, SNP_PRODUCT_GENOA, &o);

	rep = base;
	rep.committed_build = 39;
	o.allow_provisional_firmware = false;
	expect_only_failure(&rep, SNP_PRODUCT_GENOA, &o, "COMMITTED_VERSION=CURRENT_VERSION",
			    "COMMITTED_MAJOR.MINOR.BUILD 1.55.39 != CURRENT 1.55.40; provisional firmware not allowed");
	o.allow_provisional_firmware = true;
	expect_pass(&rep, SNP_PRODUCT_GENOA, &o);
	rep.committed_build = 41;
	expect_only_failure(&rep, SNP_PRODUCT_GENOA, &o, "COMMITTED_VERSION=CURRENT_VERSION",
			    "COMMITTED_MAJOR.MINOR.BUILD 1.55.41 > CURRENT 1.55.40");
}

static void appraise_platform_info(void **state)
{
	struct appraise_opts o;
	struct snp_report rep;

	(void)state;
	setup(GENOA, &rep, &o); /* PLATFORM_INFO 0x27 */
	o.platform_info_required = SNP_PLATFORM_ECC_EN | SNP_PLATFORM_ALIAS_CHECK_COMPLETE;
	expect_pass(&rep, SNP_PRODUCT_GENOA, &o);
	o.platform_info_required |= SNP_PLATFORM_SEV_TIO_EN;
	expect_only_failure(&rep, SNP_PRODUCT_GENOA, &o, "PLATFORM_INFO.REQUIRED",
			    "PLATFORM_INFO 0x27 lacks required bits 0x80 (SEV_TIO_EN)");
	o.platform_info_required = 0;
	o.platform_info_forbidden = SNP_PLATFORM_SMT_EN | SNP_PLATFORM_SEV_TIO_EN;
	expect_only_failure(&rep, SNP_PRODUCT_GENOA, &o, "PLATFORM_INFO.FORBIDDEN",
			    "PLATFORM_INFO 0x27 has forbidden bits 0x1 (SMT_EN)");
}

/* Turin's bit 6 (IOMMU_WRITE_SAFE) is known; bit 8 is not. */
static void appraise_platform_info_unknown_bits(void **state)
{
	struct appraise_opts o;
	struct snp_report rep;

	(void)state;
	setup(TURIN, &rep, &o); /* README: plat 0x65, bit 6 set */
	o.allow_unknown_platform_info = false;
	expect_pass(&rep, SNP_PRODUCT_TURIN, &o);
	rep.platform_info |= 1ull << 8;
	expect_only_failure(&rep, SNP_PRODUCT_TURIN, &o, "PLATFORM_INFO.UNKNOWN",
			    "PLATFORM_INFO 0x165 has unknown bits 0x100");
	o.allow_unknown_platform_info = true;
	expect_pass(&rep, SNP_PRODUCT_TURIN, &o);
}

static const char genoa_id_key[] =
	"0ad79ceb0b648b0e6a90d8aa9f6ea24c33a968b6632085353145e8b19a4741a2"
	"dab9ba342e13be4fc0d225e889cc1a58";

static void appraise_id_key(void **state)
{
	struct appraise_opts o;
	struct snp_report rep;

	(void)state;
	setup(GENOA, &rep, &o); /* AUTHOR_KEY_EN 0, AUTHOR_KEY_DIGEST all zero */
	o.allow_any_id_key = false;
	expect_only_failure(&rep, SNP_PRODUCT_GENOA, &o, "ID_KEY_DIGEST",
			    "ID_KEY_DIGEST 0ad79ceb0b648b0e...89cc1a58 is not trusted and AUTHOR_KEY_EN is 0");
	o.ntrusted_id_keys = 1;
	set_hex(o.trusted_id_keys[0], SNP_KEY_DIGEST_SIZE, genoa_id_key);
	expect_pass(&rep, SNP_PRODUCT_GENOA, &o);

	/* An author key counts only with AUTHOR_KEY_EN. */
	o.ntrusted_id_keys = 0;
	o.ntrusted_author_keys = 1;
	memcpy(o.trusted_author_keys[0], rep.author_key_digest, SNP_KEY_DIGEST_SIZE);
	expect_only_failure(&rep, SNP_PRODUCT_GENOA, &o, "ID_KEY_DIGEST", "AUTHOR_KEY_EN is 0");
	rep.signer_info |= SNP_SIGNER_AUTHOR_KEY_EN;
	expect_pass(&rep, SNP_PRODUCT_GENOA, &o);
	rep.author_key_digest[0] = 0x42;
	expect_only_failure(&rep, SNP_PRODUCT_GENOA, &o, "ID_KEY_DIGEST",
			    "ID_KEY_DIGEST 0ad79ceb0b648b0e...89cc1a58 and AUTHOR_KEY_DIGEST 4200000000000000...00000000 are not trusted");
}

static void appraise_require_author_key(void **state)
{
	struct appraise_opts o;
	struct snp_report rep;

	(void)state;
	setup(GENOA, &rep, &o);
	o.require_author_key = true;
	expect_only_failure(&rep, SNP_PRODUCT_GENOA, &o, "AUTHOR_KEY_DIGEST",
			    "AUTHOR_KEY_EN 0 but an author key is required");
	rep.signer_info |= SNP_SIGNER_AUTHOR_KEY_EN;
	memset(rep.author_key_digest, 0x5a, SNP_KEY_DIGEST_SIZE);
	expect_only_failure(&rep, SNP_PRODUCT_GENOA, &o, "AUTHOR_KEY_DIGEST",
			    "AUTHOR_KEY_DIGEST 5a5a5a5a5a5a5a5a...5a5a5a5a is not in the trusted author keys (0 entries)");
	o.ntrusted_author_keys = 1;
	memset(o.trusted_author_keys[0], 0x5a, SNP_KEY_DIGEST_SIZE);
	expect_pass(&rep, SNP_PRODUCT_GENOA, &o);
}

static void appraise_guest_svn(void **state)
{
	struct appraise_opts o;
	struct snp_report rep;

	(void)state;
	setup(GENOA, &rep, &o); /* GUEST_SVN 2 */
	o.min_guest_svn = 2;
	expect_pass(&rep, SNP_PRODUCT_GENOA, &o);
	o.min_guest_svn = 3;
	expect_only_failure(&rep, SNP_PRODUCT_GENOA, &o, "GUEST_SVN",
			    "GUEST_SVN 2 is below the minimum 3");
}

static void appraise_family_and_image_id(void **state)
{
	struct appraise_opts o;
	struct snp_report rep;

	(void)state;
	setup(GENOA, &rep, &o); /* FAMILY_ID 01 00.., IMAGE_ID 02 00.. */
	o.check_family_id = o.check_image_id = true;
	o.family_id[0] = 1;
	o.image_id[0] = 2;
	expect_pass(&rep, SNP_PRODUCT_GENOA, &o);
	o.family_id[0] = 3;
	expect_only_failure(&rep, SNP_PRODUCT_GENOA, &o, "FAMILY_ID",
			    "FAMILY_ID 01000000000000000000000000000000 != expected 03000000000000000000000000000000");
	o.family_id[0] = 1;
	o.image_id[15] = 9;
	expect_only_failure(&rep, SNP_PRODUCT_GENOA, &o, "IMAGE_ID",
			    "IMAGE_ID 02000000000000000000000000000000 != expected 02000000000000000000000000000009");
}

static void appraise_chip_id(void **state)
{
	struct appraise_opts o;
	struct snp_report rep;

	(void)state;
	setup(TURIN, &rep, &o); /* CHIP_ID 59790fb1c39f35c1, then 56 zero bytes */
	o.check_chip_id = true;
	expect_only_failure(&rep, SNP_PRODUCT_TURIN, &o, "CHIP_ID",
			    "CHIP_ID 59790fb1c39f35c1 is not in the allow-list (0 entries)");
	o.nchip_ids = 2;
	memset(o.chip_ids[0], 0x77, SNP_CHIP_ID_SIZE);
	set_hex(o.chip_ids[1], 8, "59790fb1c39f35c1");
	expect_pass(&rep, SNP_PRODUCT_TURIN, &o);
	o.chip_ids[1][7] ^= 1;
	expect_only_failure(&rep, SNP_PRODUCT_TURIN, &o, "CHIP_ID",
			    "CHIP_ID 59790fb1c39f35c1 is not in the allow-list (2 entries)");
}

static void appraise_mit_vector(void **state)
{
	struct appraise_result res;
	struct appraise_opts o;
	struct snp_err err = { 0 };
	struct snp_report rep;

	(void)state;
	setup(TURIN, &rep, &o); /* README: v5, mit vectors 0x3F/0x3F */
	o.mit_vector_required = 0x3f;
	expect_pass(&rep, SNP_PRODUCT_TURIN, &o);
	rep.launch_mit_vector = 0x1f;
	expect_only_failure(&rep, SNP_PRODUCT_TURIN, &o, "LAUNCH_MIT_VECTOR",
			    "LAUNCH_MIT_VECTOR 0x1f lacks required bits 0x20");
	rep.launch_mit_vector = 0x3f;
	o.mit_vector_required = 0x40;
	assert_int_equal(appraise_report(&rep, SNP_PRODUCT_TURIN, &o, &res, &err), SNP_E_REFUSED);
	assert_int_equal(res.nfailed, 2);
	assert_string_equal(err.msg, "appraise: CURRENT_MIT_VECTOR 0x3f lacks required bits 0x40 "
				     "(and 1 more failed check)");

	load(GENOA, &rep); /* v3: no mitigation vectors */
	o.mit_vector_required = 1;
	assert_int_equal(appraise_report(&rep, SNP_PRODUCT_GENOA, &o, &res, &err), SNP_E_REFUSED);
	assert_non_null(strstr(find_check(&res, "CURRENT_MIT_VECTOR")->detail,
			       "CURRENT_MIT_VECTOR absent in a v3 report, but bits 0x1 are required"));
}

/* Every check reports once, named, and a skipped check says so. */
static void appraise_lists_every_check(void **state)
{
	static const char *const names[] = {
		"PRODUCT", "MEASUREMENT", "HOST_DATA", "REPORT_DATA", "VMPL", "POLICY.DEBUG",
		"POLICY.MIGRATE_MA", "POLICY.SMT", "POLICY.CXL_ALLOW", "POLICY.SINGLE_SOCKET",
		"POLICY.MEM_AES_256_XTS", "POLICY.RAPL_DIS", "POLICY.CIPHERTEXT_HIDING_DRAM",
		"POLICY.PAGE_SWAP_DISABLE", "POLICY.UNKNOWN", "POLICY.ABI", "REPORTED_TCB", "COMMITTED_TCB",
		"LAUNCH_TCB", "CURRENT_TCB>=REPORTED_TCB", "COMMITTED_TCB=CURRENT_TCB",
		"CURRENT_VERSION", "COMMITTED_VERSION=CURRENT_VERSION", "PLATFORM_INFO.REQUIRED",
		"PLATFORM_INFO.FORBIDDEN", "PLATFORM_INFO.UNKNOWN", "ID_KEY_DIGEST",
		"AUTHOR_KEY_DIGEST", "GUEST_SVN", "FAMILY_ID", "IMAGE_ID", "CHIP_ID",
		"CURRENT_MIT_VECTOR", "LAUNCH_MIT_VECTOR",
	};
	struct appraise_result res;
	struct appraise_opts o;
	struct snp_err err = { 0 };
	struct snp_report rep;

	(void)state;
	setup(GENOA, &rep, &o);
	assert_int_equal(appraise_report(&rep, SNP_PRODUCT_GENOA, &o, &res, &err), 0);
	assert_int_equal(res.nchecks, sizeof(names) / sizeof(names[0]));
	for (size_t i = 0; i < res.nchecks; i++)
		assert_string_equal(res.checks[i].name, names[i]);
	assert_true(find_check(&res, "HOST_DATA")->skipped);
	assert_false(find_check(&res, "MEASUREMENT")->skipped);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(appraise_default_accepts_genuine_reports),
		cmocka_unit_test(appraise_default_refuses_gosevguest_debug),
		cmocka_unit_test(appraise_zeroed_opts_refuse),
		cmocka_unit_test(appraise_collects_all_failures),
		cmocka_unit_test(appraise_unknown_product_is_invalid),
		cmocka_unit_test(appraise_product_mismatch_fails),
		cmocka_unit_test(appraise_measurement_allow_list),
		cmocka_unit_test(appraise_host_data_exact),
		cmocka_unit_test(appraise_report_data_exact),
		cmocka_unit_test(appraise_vmpl),
		cmocka_unit_test(appraise_policy_forbidden_bits),
		cmocka_unit_test(appraise_policy_unknown_bits_refused_after_lax_parse),
		cmocka_unit_test(appraise_policy_required_bits),
		cmocka_unit_test(appraise_policy_abi_floor),
		cmocka_unit_test(appraise_turin_tcb_layout),
		cmocka_unit_test(appraise_milan_tcb_layout),
		cmocka_unit_test(appraise_committed_and_launch_floors),
		cmocka_unit_test(appraise_tcb_is_component_wise),
		cmocka_unit_test(appraise_current_below_reported_fails),
		cmocka_unit_test(appraise_provisional_firmware),
		cmocka_unit_test(appraise_firmware_version),
		cmocka_unit_test(appraise_platform_info),
		cmocka_unit_test(appraise_platform_info_unknown_bits),
		cmocka_unit_test(appraise_id_key),
		cmocka_unit_test(appraise_require_author_key),
		cmocka_unit_test(appraise_guest_svn),
		cmocka_unit_test(appraise_family_and_image_id),
		cmocka_unit_test(appraise_chip_id),
		cmocka_unit_test(appraise_mit_vector),
		cmocka_unit_test(appraise_lists_every_check),
	};

	return cmocka_run_group_tests_name("appraise", tests, NULL, NULL);
}
