/* sim/sp.c and sim/guest-req.c: the firmware state machine, the digest, reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "abi/cpuid-page.h"
#include "abi/endian.h"
#include "abi/guest-msg.h"
#include "abi/policy.h"
#include "abi/report.h"
#include "abi/secrets-page.h"
#include "abi/sev-status.h"
#include "abi/vmsa.h"
#include "measure/gctx.h"
#include "measure/idblock.h"
#include "sim/cpuid.h"
#include "sim/sp.h"
#include "tests/common/idblock-vectors.h"
#include "tests/common/testutil.h"
#include "tests/sim/simtest.h"
#include "util/hex.h"

#define POLICY 0x30000ull
#define GIB4 0x100000000ull

struct fixture {
	char *dir;
	struct sim_sp *sp;
};

static int setup_product(void **state, enum snp_product p, enum snp_signing_key s)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct snp_err err = { 0 };

	f->dir = simtest_dir(p, s);
	if (sim_sp_open(f->dir, &f->sp, &err) != 0)
		fail_msg("sim_sp_open: %s", err.msg);
	*state = f;
	return 0;
}

static int setup_milan(void **state)
{
	return setup_product(state, SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK);
}

static int setup_turin(void **state)
{
	return setup_product(state, SNP_PRODUCT_TURIN, SNP_SIGNING_KEY_VCEK);
}

static int setup_genoa_vlek(void **state)
{
	return setup_product(state, SNP_PRODUCT_GENOA, SNP_SIGNING_KEY_VLEK);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sim_sp_close(f->sp);
	rm_rf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static struct sim_guest *start(struct sim_sp *sp, uint64_t policy)
{
	struct snp_err err = { 0 };
	struct sim_guest *g = NULL;
	uint32_t st = 0xff;

	if (sim_launch_start(sp, policy, NULL, &g, &st, &err) != 0)
		fail_msg("LAUNCH_START: %s", err.msg);
	assert_int_equal(st, SNP_FW_SUCCESS);
	return g;
}

static void finish(struct sim_guest *g, const uint8_t *host_data)
{
	struct snp_err err = { 0 };
	uint32_t st = 0xff;

	if (sim_launch_finish(g, NULL, NULL, false, host_data, &st, &err) != 0)
		fail_msg("LAUNCH_FINISH: %s", err.msg);
	assert_int_equal(st, SNP_FW_SUCCESS);
}

static uint8_t *read_vector_file(const char *arg, size_t *len)
{
	char rel[512];

	if (strncmp(arg, "debian:", 7) == 0)
		snprintf(rel, sizeof(rel), "debian-ovmf/%s", arg + 7);
	else
		snprintf(rel, sizeof(rel), "measure/%s", arg);
	return tdata_read(rel, len);
}

/* The sev-snp-measure "snp:ovmf-hash" vectors: the firmware volume as NORMAL pages below 4 GiB. */
static void sp_reproduces_ovmf_hash_vectors(void **state)
{
	struct fixture *f = *state;
	json_error_t jerr;
	json_t *root = json_load_file(tdata_path("measure/vectors.json"), 0, &jerr), *v;
	size_t i, n = 0;

	assert_non_null(root);
	json_array_foreach(json_object_get(root, "vectors"), i, v)
	{
		json_t *args = json_object_get(v, "args");
		const char *expect = json_string_value(json_object_get(v, "expect"));
		char got[2 * SNP_MEASUREMENT_SIZE + 1];
		struct sim_guest *g;
		uint8_t *fw;
		size_t len;

		if (json_array_size(args) != 4 ||
		    strcmp(json_string_value(json_array_get(args, 1)), "snp:ovmf-hash") != 0)
			continue;
		fw = read_vector_file(json_string_value(json_array_get(args, 3)), &len);
		g = start(f->sp, POLICY);
		simtest_update(g, GIB4 - len, fw, len, SNP_PAGE_TYPE_NORMAL);
		finish(g, NULL);
		hex_encode(g->measurement, SNP_MEASUREMENT_SIZE, got);
		if (strcmp(got, expect) != 0)
			fail_msg("%s: sim digest %s, sev-snp-measure %s",
				 json_string_value(json_array_get(args, 3)), got, expect);
		sim_guest_free(g);
		free(fw);
		n++;
	}
	assert_int_equal(n, 5);
	json_decref(root);
}

/* The sim's digest for the firmware pages equals `snpvm measure --mode snp:ovmf-hash`. */
static void sp_digest_equals_snpvm_measure(void **state)
{
	struct fixture *f = *state;
	static const char *const images[] = {
		"debian-ovmf/usr/share/ovmf/OVMF.fd",
		"debian-ovmf/usr/share/OVMF/OVMF_CODE_4M.fd",
	};
	struct run_result res;

	for (size_t i = 0; i < sizeof(images) / sizeof(images[0]); i++) {
		char path[512], got[2 * SNP_MEASUREMENT_SIZE + 1];
		const char *argv[] = { "measure", "--mode", "snp:ovmf-hash", "--ovmf", path,
				       "--allow-no-sev-metadata", NULL };
		size_t len;
		uint8_t *fw = tdata_read(images[i], &len);
		struct sim_guest *g = start(f->sp, POLICY);

		snprintf(path, sizeof(path), "%s", tdata_path(images[i]));
		simtest_update(g, GIB4 - len, fw, len, SNP_PAGE_TYPE_NORMAL);
		finish(g, NULL);
		hex_encode(g->measurement, SNP_MEASUREMENT_SIZE, got);
		run_snpvm(argv, NULL, &res);
		if (res.status != 0 || strncmp(res.out, got, 96) != 0)
			fail_msg("%s: sim %s, snpvm measure (exit %d) %s %s", images[i], got, res.status,
				 res.out, res.err);
		run_result_free(&res);
		sim_guest_free(g);
		free(fw);
	}
}

/* The same firmware in the wrong page order, or with one page typed ZERO, gives another digest. */
static void sp_order_and_type_change_digest(void **state)
{
	struct fixture *f = *state;
	static const char expect[] = "ba2c811512ef868474f239a21f7d7057d65a20de87a003c4f116e4fb15"
				     "73183bfbcd75c3e99b2f558575a5d0094f73c6";
	uint8_t want[SNP_MEASUREMENT_SIZE];
	struct snp_err err;
	size_t len;
	uint8_t *fw = tdata_read("debian-ovmf/usr/share/ovmf/OVMF.fd", &len);
	uint64_t base = GIB4 - len;
	struct sim_guest *g;

	assert_int_equal(hex_decode(expect, want, sizeof(want), "expect", &err), 0);
	g = start(f->sp, POLICY);
	simtest_update(g, base + len / 2, fw + len / 2, len / 2, SNP_PAGE_TYPE_NORMAL);
	simtest_update(g, base, fw, len / 2, SNP_PAGE_TYPE_NORMAL);
	finish(g, NULL);
	assert_memory_not_equal(g->measurement, want, sizeof(want));
	sim_guest_free(g);

	g = start(f->sp, POLICY);
	simtest_update(g, base, fw, SNP_PAGE_SIZE, SNP_PAGE_TYPE_UNMEASURED);
	simtest_update(g, base + SNP_PAGE_SIZE, fw + SNP_PAGE_SIZE, len - SNP_PAGE_SIZE,
	       SNP_PAGE_TYPE_NORMAL);
	finish(g, NULL);
	assert_memory_not_equal(g->measurement, want, sizeof(want));
	sim_guest_free(g);
	free(fw);
}

/* Every page type, checked against an independent walk of the gctx chain over the same list. */
static void sp_digest_equals_gctx_chain(void **state)
{
	struct fixture *f = *state;
	struct snp_err err = { 0 };
	struct snp_cpuid_page cpuid;
	uint8_t normal[3 * SNP_PAGE_SIZE], vmsa[SNP_PAGE_SIZE], cpage[SNP_PAGE_SIZE],
		secrets[SNP_PAGE_SIZE], zero[2 * SNP_PAGE_SIZE];
	struct sim_guest *g;
	struct gctx want;

	for (size_t i = 0; i < sizeof(normal); i++)
		normal[i] = (uint8_t)(i * 7 + 3);
	memset(vmsa, 0x5a, sizeof(vmsa));
	memset(zero, 0xcc, sizeof(zero));
	sim_cpuid_fill(sim_sp_platform(f->sp), &cpuid);
	cpuid_page_write(&cpuid, cpage);

	g = start(f->sp, POLICY);
	simtest_update(g, 0xffffd000, normal, sizeof(normal), SNP_PAGE_TYPE_NORMAL);
	simtest_update(g, 0x800000, zero, sizeof(zero), SNP_PAGE_TYPE_ZERO);
	simtest_update(g, 0x80a000, NULL, SNP_PAGE_SIZE, SNP_PAGE_TYPE_UNMEASURED);
	simtest_update(g, 0x80b000, secrets, SNP_PAGE_SIZE, SNP_PAGE_TYPE_SECRETS);
	simtest_update(g, 0x80c000, cpage, SNP_PAGE_SIZE, SNP_PAGE_TYPE_CPUID);
	simtest_update(g, SNP_VMSA_GPA, vmsa, SNP_PAGE_SIZE, SNP_PAGE_TYPE_VMSA);
	simtest_update(g, SNP_VMSA_GPA, vmsa, SNP_PAGE_SIZE, SNP_PAGE_TYPE_VMSA);
	finish(g, NULL);

	gctx_init(&want);
	for (int i = 0; i < 3; i++)
		assert_int_equal(gctx_add_page(&want, SNP_PAGE_TYPE_NORMAL, 0xffffd000 + i * 0x1000ull,
					       normal + i * SNP_PAGE_SIZE, &err),
				 0);
	assert_int_equal(gctx_add_page(&want, SNP_PAGE_TYPE_ZERO, 0x800000, NULL, &err), 0);
	assert_int_equal(gctx_add_page(&want, SNP_PAGE_TYPE_ZERO, 0x801000, NULL, &err), 0);
	assert_int_equal(gctx_add_page(&want, SNP_PAGE_TYPE_UNMEASURED, 0x80a000, NULL, &err), 0);
	assert_int_equal(gctx_add_page(&want, SNP_PAGE_TYPE_SECRETS, 0x80b000, NULL, &err), 0);
	assert_int_equal(gctx_add_page(&want, SNP_PAGE_TYPE_CPUID, 0x80c000, NULL, &err), 0);
	assert_int_equal(gctx_add_page(&want, SNP_PAGE_TYPE_VMSA, SNP_VMSA_GPA, vmsa, &err), 0);
	assert_int_equal(gctx_add_page(&want, SNP_PAGE_TYPE_VMSA, SNP_VMSA_GPA, vmsa, &err), 0);
	assert_memory_equal(g->measurement, want.ld, SNP_LD_SIZE);
	/* ZERO pages are zeroed in guest memory. */
	for (size_t i = 0; i < sizeof(zero); i++)
		assert_int_equal(zero[i], 0);
	sim_guest_free(g);
}

static void sp_out_of_order_commands_fail(void **state)
{
	struct fixture *f = *state;
	struct snp_err err = { 0 };
	uint8_t page[SNP_PAGE_SIZE] = { 1 }, rd[64] = { 0 }, rep[SNP_REPORT_SIZE];
	uint8_t req[SNP_GUEST_MSG_HDR_SIZE + 0x60] = { 0 }, rsp[SNP_GUEST_MSG_MAX];
	size_t rsp_len;
	uint32_t st = 0;
	struct sim_guest *g = start(f->sp, POLICY);

	assert_int_equal(sim_guest_request(g, req, sizeof(req), rsp, sizeof(rsp), &rsp_len, &st,
					   &err),
			 SNP_E_STATE);
	assert_int_equal(st, SNP_FW_INVALID_GUEST_STATE);
	assert_int_equal(sim_hv_report(g, rd, rep, &st, &err), SNP_E_STATE);
	assert_int_equal(st, SNP_FW_INVALID_GUEST_STATE);
	simtest_update(g, 0x1000, page, sizeof(page), SNP_PAGE_TYPE_NORMAL);
	finish(g, NULL);
	assert_int_equal(sim_launch_update(g, 0x2000, page, sizeof(page), SNP_PAGE_TYPE_NORMAL, &st,
					   &err),
			 SNP_E_STATE);
	assert_int_equal(st, SNP_FW_INVALID_GUEST_STATE);
	assert_non_null(strstr(err.msg, "INVALID_GUEST_STATE"));
	assert_int_equal(sim_launch_finish(g, NULL, NULL, false, NULL, &st, &err), SNP_E_STATE);
	assert_int_equal(st, SNP_FW_INVALID_GUEST_STATE);
	sim_guest_free(g);
}

static void sp_each_gpa_once(void **state)
{
	struct fixture *f = *state;
	struct snp_err err = { 0 };
	uint8_t pages[2 * SNP_PAGE_SIZE] = { 0 };
	uint32_t st = 0;
	struct sim_guest *g = start(f->sp, POLICY);

	simtest_update(g, 0x10000, pages, sizeof(pages), SNP_PAGE_TYPE_NORMAL);
	assert_int_equal(sim_launch_update(g, 0x11000, pages, SNP_PAGE_SIZE, SNP_PAGE_TYPE_ZERO, &st,
					   &err),
			 SNP_E_STATE);
	assert_int_equal(st, SNP_FW_INVALID_PAGE_STATE);
	assert_non_null(strstr(err.msg, "0x11000"));
	/* Misaligned GPA and length. */
	assert_int_equal(sim_launch_update(g, 0x20001, pages, SNP_PAGE_SIZE, SNP_PAGE_TYPE_NORMAL,
					   &st, &err),
			 SNP_E_INVALID);
	assert_int_equal(st, SNP_FW_INVALID_ADDRESS);
	assert_int_equal(sim_launch_update(g, 0x20000, pages, 100, SNP_PAGE_TYPE_NORMAL, &st, &err),
			 SNP_E_INVALID);
	assert_int_equal(st, SNP_FW_INVALID_LEN);
	assert_int_equal(sim_launch_update(g, 0x20000, pages, SNP_PAGE_SIZE, (enum snp_page_type)7,
					   &st, &err),
			 SNP_E_INVALID);
	assert_int_equal(st, SNP_FW_INVALID_PARAM);
	sim_guest_free(g);
}

static void expect_start_fails(struct sim_sp *sp, uint64_t policy, uint32_t want_status,
			       const char *want_msg)
{
	struct snp_err err = { 0 };
	struct sim_guest *g = NULL;
	uint32_t st = 0;

	assert_int_not_equal(sim_launch_start(sp, policy, NULL, &g, &st, &err), 0);
	assert_null(g);
	if (st != want_status)
		fail_msg("policy 0x%llx: status %s, want %s (%s)", (unsigned long long)policy,
			 snp_fw_status_name(st), snp_fw_status_name(want_status), err.msg);
	if (!strstr(err.msg, want_msg))
		fail_msg("policy 0x%llx: message '%s' lacks '%s'", (unsigned long long)policy,
			 err.msg, want_msg);
}

static void sp_launch_start_checks_policy(void **state)
{
	struct fixture *f = *state;
	struct sim_guest *g;

	expect_start_fails(f->sp, 0x10000, SNP_FW_INVALID_PARAM, "bit 17");
	expect_start_fails(f->sp, POLICY | (1ull << 40), SNP_FW_INVALID_PARAM, "63:26");
	expect_start_fails(f->sp, POLICY | 0x0200, SNP_FW_POLICY_FAILURE, "ABI 2.0");
	expect_start_fails(f->sp, POLICY | 0x0138, SNP_FW_POLICY_FAILURE, "ABI 1.56");
	expect_start_fails(f->sp, SNP_POLICY_RESERVED1, SNP_FW_POLICY_FAILURE, "SMT");
	expect_start_fails(f->sp, POLICY | SNP_POLICY_MEM_AES_256_XTS, SNP_FW_POLICY_FAILURE,
			   "AES_256_XTS");
	expect_start_fails(f->sp, POLICY | SNP_POLICY_RAPL_DIS, SNP_FW_POLICY_FAILURE, "RAPL");
	f->sp->store.plat.sockets = 2;
	expect_start_fails(f->sp, POLICY | SNP_POLICY_SINGLE_SOCKET, SNP_FW_POLICY_FAILURE,
			   "SINGLE_SOCKET");
	f->sp->store.plat.sockets = 1;
	g = start(f->sp, POLICY | SNP_POLICY_SINGLE_SOCKET | 0x0137);
	sim_guest_free(g);
	g = start(f->sp, POLICY | SNP_POLICY_DEBUG);
	sim_guest_free(g);
	f->sp->debug_allowed = false;
	expect_start_fails(f->sp, POLICY | SNP_POLICY_DEBUG, SNP_FW_POLICY_FAILURE, "DEBUG");
	f->sp->debug_allowed = true;
	/* Without SMT on the platform, a policy without SMT is fine. */
	f->sp->store.plat.platform_info &= ~SNP_PLATFORM_SMT_EN;
	g = start(f->sp, SNP_POLICY_RESERVED1);
	sim_guest_free(g);
}

/* The page the simulated CPU accepts, and the index of its leaf 1 (family/model/stepping). */
static int cpuid_fill_find_leaf1(struct sim_sp *sp, struct snp_cpuid_page *page)
{
	sim_cpuid_fill(sim_sp_platform(sp), page);
	for (uint32_t i = 0; i < page->count; i++)
		if (page->entries[i].eax_in == 1)
			return (int)i;
	fail_msg("the filled CPUID page has no leaf 1");
	return -1;
}

static void sp_cpuid_rejection_returns_corrected_page(void **state)
{
	struct fixture *f = *state;
	struct snp_err err = { 0 };
	struct snp_cpuid_page page, back;
	uint8_t buf[SNP_PAGE_SIZE];
	uint32_t st = 0;
	struct sim_guest *g = start(f->sp, POLICY);
	int leaf1;

	leaf1 = cpuid_fill_find_leaf1(f->sp, &page);
	/* Milan B1 is family 0x19 model 0x01 stepping 1: CPUID(1).EAX 0x00A00F11. */
	assert_int_equal(page.entries[leaf1].eax, 0x00a00f11);
	page.entries[leaf1].eax = 0x00a10f11;    /* claims to be a Genoa */
	page.entries[leaf1].ecx |= 1u << 24;     /* TSC-deadline, which SNP cannot offer */
	cpuid_page_write(&page, buf);
	assert_int_equal(sim_launch_update(g, 0x5000, buf, sizeof(buf), SNP_PAGE_TYPE_CPUID, &st,
					   &err),
			 SNP_E_REFUSED);
	assert_int_equal(st, SNP_FW_INVALID_PARAM);
	assert_int_equal(cpuid_page_parse(buf, sizeof(buf), &back, &err), 0);
	assert_int_equal(back.count, page.count);
	assert_int_equal(back.entries[leaf1].eax, 0x00a00f11);
	assert_int_equal(back.entries[leaf1].ecx & (1u << 24), 0);
	/* The page was not consumed: the corrected page goes in at the same GPA. */
	simtest_update(g, 0x5000, buf, sizeof(buf), SNP_PAGE_TYPE_CPUID);
	sim_guest_free(g);
}

/* A non-indexed leaf cannot dodge the check by claiming a sub-leaf (ECX_IN) the table lacks. */
static void sp_cpuid_ecx_in_cannot_hide_a_leaf(void **state)
{
	struct fixture *f = *state;
	struct snp_err err = { 0 };
	struct snp_cpuid_page page, back;
	uint8_t buf[SNP_PAGE_SIZE];
	uint32_t st = 0;
	struct sim_guest *g = start(f->sp, POLICY);
	int leaf1;

	leaf1 = cpuid_fill_find_leaf1(f->sp, &page);
	page.entries[leaf1].ecx_in = 1;
	page.entries[leaf1].eax = 0xdeadbeef;
	cpuid_page_write(&page, buf);
	assert_int_equal(sim_launch_update(g, 0x5000, buf, sizeof(buf), SNP_PAGE_TYPE_CPUID, &st,
					   &err),
			 SNP_E_REFUSED);
	assert_int_equal(st, SNP_FW_INVALID_PARAM);
	assert_int_equal(cpuid_page_parse(buf, sizeof(buf), &back, &err), 0);
	assert_int_equal(back.entries[leaf1].ecx_in, 0);
	assert_int_equal(back.entries[leaf1].eax, 0x00a00f11);
	sim_guest_free(g);
}

/* ECDSA P-384 over 0x000..0x29F with the public key of the certificate in path. */
static void verify_report_signature(const uint8_t *rep, const char *path)
{
	FILE *fp = fopen(path, "r");
	X509 *x = fp ? PEM_read_X509(fp, NULL, NULL, NULL) : NULL;
	EVP_PKEY *key = x ? X509_get0_pubkey(x) : NULL;
	uint8_t r_be[48], s_be[48];
	unsigned char *der = NULL;
	ECDSA_SIG *sig = ECDSA_SIG_new();
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int der_len;

	assert_non_null(key);
	for (int i = 0; i < 48; i++) {
		r_be[i] = rep[0x2a0 + 47 - i];
		s_be[i] = rep[0x2e8 + 47 - i];
	}
	assert_int_equal(ECDSA_SIG_set0(sig, BN_bin2bn(r_be, 48, NULL), BN_bin2bn(s_be, 48, NULL)),
			 1);
	der_len = i2d_ECDSA_SIG(sig, &der);
	assert_true(der_len > 0);
	assert_int_equal(EVP_DigestVerifyInit_ex(md, NULL, "SHA384", NULL, NULL, key, NULL), 1);
	assert_int_equal(EVP_DigestVerify(md, der, (size_t)der_len, rep, 0x2a0), 1);
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	X509_free(x);
	fclose(fp);
}

static void check_report(struct fixture *f, const char *vek, uint32_t want_version,
			 uint8_t fam, uint8_t model, size_t chip_len)
{
	struct snp_err err = { 0 };
	struct snp_report rep;
	uint8_t rd[64], hd[32], buf[SNP_REPORT_SIZE], ff[32], zero[64] = { 0 };
	char path[1200];
	const struct sim_platform *p = sim_sp_platform(f->sp);
	struct sim_guest *g = start(f->sp, POLICY | 0x011f);
	uint8_t page[SNP_PAGE_SIZE] = { 9 };

	for (int i = 0; i < 64; i++)
		rd[i] = (uint8_t)(0xa0 + i);
	memset(hd, 0x42, sizeof(hd));
	memset(ff, 0xff, sizeof(ff));
	simtest_update(g, 0xfffff000, page, sizeof(page), SNP_PAGE_TYPE_NORMAL);
	finish(g, hd);
	if (sim_guest_report(g, rd, 2, buf, &err) != 0)
		fail_msg("report: %s", err.msg);
	if (report_parse(buf, sizeof(buf), NULL, &rep, &err) != 0)
		fail_msg("report_parse: %s", err.msg);
	assert_int_equal(rep.version, want_version);
	assert_int_equal(rep.policy, POLICY | 0x011f);
	assert_int_equal(rep.vmpl, 2);
	assert_memory_equal(rep.report_data, rd, 64);
	assert_memory_equal(rep.measurement, g->measurement, 48);
	assert_memory_equal(rep.host_data, hd, 32);
	assert_memory_equal(rep.report_id_ma, ff, 32);
	assert_memory_not_equal(rep.report_id, zero, 32);
	assert_int_equal(rep.cpuid_fam_id, fam);
	assert_int_equal(rep.cpuid_mod_id, model);
	assert_int_equal(report_product(&rep), p->product);
	assert_memory_equal(rep.chip_id, p->chip_id, chip_len);
	assert_memory_not_equal(rep.chip_id, zero, chip_len);
	assert_memory_equal(rep.chip_id + chip_len, zero, 64 - chip_len);
	assert_int_equal(rep.reported_tcb, le64_get(p->reported_tcb.raw));
	assert_int_equal(rep.launch_tcb, rep.current_tcb);
	assert_int_equal(rep.current_major, 1);
	assert_int_equal(report_signing_key(&rep),
			 p->signer == SNP_SIGNING_KEY_VLEK ? SNP_SIGNING_KEY_VLEK
							   : SNP_SIGNING_KEY_VCEK);
	snprintf(path, sizeof(path), "%s/certs/%s.pem", f->dir, vek);
	verify_report_signature(buf, path);
	/* A second report of the same guest keeps REPORT_ID; the signature differs. */
	{
		uint8_t buf2[SNP_REPORT_SIZE];

		assert_int_equal(sim_guest_report(g, rd, 3, buf2, &err), 0);
		assert_memory_equal(buf2 + 0x140, buf + 0x140, 32);
		verify_report_signature(buf2, path);
	}
	sim_guest_free(g);
}

static void sp_report_milan_v3(void **state)
{
	check_report(*state, "vcek", 3, 0x19, 0x01, 64);
}

static void sp_report_turin_v5(void **state)
{
	struct fixture *f = *state;

	check_report(f, "vcek", 5, 0x1a, 0x02, 8);
}

static void sp_report_genoa_vlek(void **state)
{
	check_report(*state, "vlek", 3, 0x19, 0x11, 64);
}

/* The guest request path by hand: keys from the secrets page, sequence numbers, VMPL rule. */
static void sp_guest_request_protocol(void **state)
{
	struct fixture *f = *state;
	struct snp_err err = { 0 };
	struct snp_secrets_page sec;
	struct snp_msg_report_req rr = { .vmpl = 0 };
	struct snp_guest_msg_hdr hdr = { .seqno = 1, .msg_type = SNP_MSG_REPORT_REQ,
					 .msg_version = 1, .msg_vmpck = 1 };
	uint8_t page[SNP_PAGE_SIZE], payload[SNP_MSG_REPORT_REQ_SIZE], req[SNP_GUEST_MSG_MAX],
		rsp[SNP_GUEST_MSG_MAX], out[SNP_GUEST_MSG_PAYLOAD_MAX], rep[SNP_REPORT_SIZE];
	size_t req_len, rsp_len, out_len;
	uint32_t st = 0, status = 0;
	struct sim_guest *g = start(f->sp, POLICY);

	simtest_update(g, 0x3000, page, sizeof(page), SNP_PAGE_TYPE_SECRETS);
	finish(g, NULL);
	assert_int_equal(secrets_page_parse(page, sizeof(page), &sec, &err), 0);
	assert_int_equal(sec.version, 3);
	assert_int_equal(sec.fms, 0x00a00f11);
	assert_memory_not_equal(sec.vmpck[0], sec.vmpck[1], 32);

	/* VMPCK1 asking for a VMPL 0 report: the firmware answers with INVALID_PARAMETERS. */
	guest_msg_report_req_write(&rr, payload);
	assert_int_equal(guest_msg_seal(sec.vmpck[1], &hdr, payload, sizeof(payload), req,
					sizeof(req), &req_len, &err),
			 0);
	assert_int_equal(sim_guest_request(g, req, req_len, rsp, sizeof(rsp), &rsp_len, &st, &err),
			 0);
	assert_int_equal(guest_msg_open(sec.vmpck[1], rsp, rsp_len, &hdr, out, sizeof(out),
					&out_len, &err),
			 0);
	assert_int_equal(hdr.seqno, 2);
	assert_int_equal(hdr.msg_type, SNP_MSG_REPORT_RSP);
	assert_int_equal(guest_msg_report_rsp_parse(out, out_len, &status, rep, &err), 0);
	assert_int_equal(status, SNP_REPORT_RSP_STATUS_INVALID_PARAMETERS);

	/* Replaying sequence number 1 fails. */
	assert_int_equal(sim_guest_request(g, req, req_len, rsp, sizeof(rsp), &rsp_len, &st, &err),
			 SNP_E_INVALID);
	assert_int_equal(st, SNP_FW_INVALID_PARAM);

	/* VMPL 1 with sequence number 3 works; a flipped ciphertext byte does not. */
	rr.vmpl = 1;
	guest_msg_report_req_write(&rr, payload);
	hdr = (struct snp_guest_msg_hdr){ .seqno = 3, .msg_type = SNP_MSG_REPORT_REQ,
					  .msg_version = 1, .msg_vmpck = 1 };
	assert_int_equal(guest_msg_seal(sec.vmpck[1], &hdr, payload, sizeof(payload), req,
					sizeof(req), &req_len, &err),
			 0);
	req[SNP_GUEST_MSG_HDR_SIZE + 5] ^= 1;
	assert_int_equal(sim_guest_request(g, req, req_len, rsp, sizeof(rsp), &rsp_len, &st, &err),
			 SNP_E_SIGNATURE);
	req[SNP_GUEST_MSG_HDR_SIZE + 5] ^= 1;
	assert_int_equal(sim_guest_request(g, req, req_len, rsp, sizeof(rsp), &rsp_len, &st, &err),
			 0);
	assert_int_equal(guest_msg_open(sec.vmpck[1], rsp, rsp_len, &hdr, out, sizeof(out),
					&out_len, &err),
			 0);
	assert_int_equal(guest_msg_report_rsp_parse(out, out_len, &status, rep, &err), 0);
	assert_int_equal(status, 0);
	assert_int_equal(le32_get(rep + 0x30), 1);

	/* KEY_SEL = VLEK on a VCEK platform: INVALID_KEY_SELECTION; KEY_SEL = VCEK works. */
	for (uint32_t sel = SNP_REPORT_KEY_SEL_VLEK; sel >= SNP_REPORT_KEY_SEL_VCEK; sel--) {
		rr.key_sel = sel;
		guest_msg_report_req_write(&rr, payload);
		hdr = (struct snp_guest_msg_hdr){ .seqno = sel == SNP_REPORT_KEY_SEL_VLEK ? 5 : 7,
						  .msg_type = SNP_MSG_REPORT_REQ,
						  .msg_version = 1, .msg_vmpck = 1 };
		assert_int_equal(guest_msg_seal(sec.vmpck[1], &hdr, payload, sizeof(payload), req,
						sizeof(req), &req_len, &err),
				 0);
		assert_int_equal(sim_guest_request(g, req, req_len, rsp, sizeof(rsp), &rsp_len, &st,
						   &err),
				 0);
		assert_int_equal(guest_msg_open(sec.vmpck[1], rsp, rsp_len, &hdr, out, sizeof(out),
						&out_len, &err),
				 0);
		assert_int_equal(guest_msg_report_rsp_parse(out, out_len, &status, rep, &err), 0);
		assert_int_equal(status, sel == SNP_REPORT_KEY_SEL_VLEK
						 ? SNP_REPORT_RSP_STATUS_INVALID_KEY_SELECTION
						 : SNP_REPORT_RSP_STATUS_SUCCESS);
	}
	memset(&sec, 0, sizeof(sec));
	sim_guest_free(g);
}

static void sp_hv_report_is_host_requested(void **state)
{
	struct fixture *f = *state;
	struct snp_err err = { 0 };
	struct snp_report rep;
	uint8_t rd[64] = { 7 }, buf[SNP_REPORT_SIZE], page[SNP_PAGE_SIZE] = { 0 };
	uint32_t st = 0;
	char path[1200];
	struct sim_guest *g = start(f->sp, POLICY);

	simtest_update(g, 0x1000, page, sizeof(page), SNP_PAGE_TYPE_NORMAL);
	finish(g, NULL);
	assert_int_equal(sim_hv_report(g, rd, buf, &st, &err), 0);
	assert_int_equal(st, SNP_FW_SUCCESS);
	assert_int_equal(report_parse(buf, sizeof(buf), NULL, &rep, &err), 0);
	assert_int_equal(rep.vmpl, 0xffffffffu);
	snprintf(path, sizeof(path), "%s/certs/vcek.pem", f->dir);
	verify_report_signature(buf, path);
	sim_guest_free(g);
}

/* An ID block signed for this launch: FINISH accepts it and the report carries its identity. */
static void sp_finish_checks_id_block(void **state)
{
	struct fixture *f = *state;
	struct snp_err err = { 0 };
	struct snp_id_block b;
	struct idblock_result ib, bad;
	struct snp_report rep;
	EVP_PKEY *idk = NULL, *ak = NULL;
	uint8_t page[SNP_PAGE_SIZE] = { 3 }, rd[64] = { 0 }, buf[SNP_REPORT_SIZE];
	uint8_t want_id[48], want_author[48];
	uint32_t st = 0;
	struct sim_guest *g = start(f->sp, POLICY);

	assert_int_equal(hex_decode(IDV_ID_DIGEST_HEX, want_id, 48, "id", &err), 0);
	assert_int_equal(hex_decode(IDV_AUTHOR_DIGEST_HEX, want_author, 48, "author", &err), 0);
	assert_int_equal(idblock_key_load(tdata_path(IDV_ID_KEY), &idk, &err), 0);
	assert_int_equal(idblock_key_load(tdata_path(IDV_AUTHOR_KEY), &ak, &err), 0);
	simtest_update(g, 0x1000, page, sizeof(page), SNP_PAGE_TYPE_NORMAL);

	/* The expected digest of another launch: BAD_MEASUREMENT. */
	idblock_init(&b, g->gctx.ld);
	b.ld[0] ^= 1;
	assert_int_equal(idblock_make(&b, idk, ak, &bad, &err), 0);
	assert_int_equal(sim_launch_finish(g, bad.id_block, bad.id_auth, true, NULL, &st, &err),
			 SNP_E_REFUSED);
	assert_int_equal(st, SNP_FW_BAD_MEASUREMENT);
	/* Another policy: POLICY_FAILURE. */
	idblock_init(&b, g->gctx.ld);
	b.policy = POLICY | SNP_POLICY_DEBUG;
	assert_int_equal(idblock_make(&b, idk, ak, &bad, &err), 0);
	assert_int_equal(sim_launch_finish(g, bad.id_block, bad.id_auth, true, NULL, &st, &err),
			 SNP_E_REFUSED);
	assert_int_equal(st, SNP_FW_POLICY_FAILURE);
	/* A signature that does not verify: BAD_SIGNATURE. */
	idblock_init(&b, g->gctx.ld);
	b.guest_svn = 7;
	memset(b.family_id, 0xf1, 16);
	assert_int_equal(idblock_make(&b, idk, ak, &ib, &err), 0);
	memcpy(bad.id_block, ib.id_block, sizeof(bad.id_block));
	memcpy(bad.id_auth, ib.id_auth, sizeof(bad.id_auth));
	bad.id_auth[0x40] ^= 1;
	assert_int_equal(sim_launch_finish(g, bad.id_block, bad.id_auth, true, NULL, &st, &err),
			 SNP_E_SIGNATURE);
	assert_int_equal(st, SNP_FW_BAD_SIGNATURE);
	/* Author key enabled without an ID block: INVALID_PARAM. */
	assert_int_equal(sim_launch_finish(g, NULL, NULL, true, NULL, &st, &err), SNP_E_INVALID);
	assert_int_equal(st, SNP_FW_INVALID_PARAM);

	/* The failed attempts left the guest in LAUNCH; the right block finishes it. */
	assert_int_equal(sim_launch_finish(g, ib.id_block, ib.id_auth, true, NULL, &st, &err), 0);
	assert_int_equal(st, SNP_FW_SUCCESS);
	assert_int_equal(sim_guest_report(g, rd, 0, buf, &err), 0);
	assert_int_equal(report_parse(buf, sizeof(buf), NULL, &rep, &err), 0);
	assert_memory_equal(rep.id_key_digest, want_id, 48);
	assert_memory_equal(rep.author_key_digest, want_author, 48);
	assert_true(rep.signer_info & SNP_SIGNER_AUTHOR_KEY_EN);
	assert_int_equal(rep.guest_svn, 7);
	assert_int_equal(rep.family_id[0], 0xf1);
	EVP_PKEY_free(idk);
	EVP_PKEY_free(ak);
	sim_guest_free(g);
}

/* Two sims in one process do not share state. */
static void sp_two_sims_in_one_process(void **state)
{
	struct fixture *f = *state, *t = NULL;
	struct sim_guest *a, *b;
	uint8_t page[SNP_PAGE_SIZE] = { 1 };

	setup_turin((void **)&t);
	a = start(f->sp, POLICY);
	b = start(t->sp, POLICY);
	simtest_update(a, 0x1000, page, sizeof(page), SNP_PAGE_TYPE_NORMAL);
	simtest_update(b, 0x1000, page, sizeof(page), SNP_PAGE_TYPE_NORMAL);
	finish(a, NULL);
	finish(b, NULL);
	assert_memory_equal(a->measurement, b->measurement, 48);
	assert_memory_not_equal(f->sp->store.plat.chip_id, t->sp->store.plat.chip_id, 8);
	sim_guest_free(a);
	sim_guest_free(b);
	teardown((void **)&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(sp_reproduces_ovmf_hash_vectors, setup_milan,
						teardown),
		cmocka_unit_test_setup_teardown(sp_digest_equals_snpvm_measure, setup_milan,
						teardown),
		cmocka_unit_test_setup_teardown(sp_order_and_type_change_digest, setup_milan,
						teardown),
		cmocka_unit_test_setup_teardown(sp_digest_equals_gctx_chain, setup_milan, teardown),
		cmocka_unit_test_setup_teardown(sp_out_of_order_commands_fail, setup_milan,
						teardown),
		cmocka_unit_test_setup_teardown(sp_each_gpa_once, setup_milan, teardown),
		cmocka_unit_test_setup_teardown(sp_launch_start_checks_policy, setup_milan,
						teardown),
		cmocka_unit_test_setup_teardown(sp_cpuid_rejection_returns_corrected_page,
						setup_milan, teardown),
		cmocka_unit_test_setup_teardown(sp_cpuid_ecx_in_cannot_hide_a_leaf,
						setup_milan, teardown),
		cmocka_unit_test_setup_teardown(sp_report_milan_v3, setup_milan, teardown),
		cmocka_unit_test_setup_teardown(sp_report_turin_v5, setup_turin, teardown),
		cmocka_unit_test_setup_teardown(sp_report_genoa_vlek, setup_genoa_vlek, teardown),
		cmocka_unit_test_setup_teardown(sp_guest_request_protocol, setup_milan, teardown),
		cmocka_unit_test_setup_teardown(sp_hv_report_is_host_requested, setup_milan,
						teardown),
		cmocka_unit_test_setup_teardown(sp_finish_checks_id_block, setup_milan, teardown),
		cmocka_unit_test_setup_teardown(sp_two_sims_in_one_process, setup_milan, teardown),
	};

	return cmocka_run_group_tests_name("sim/sp", tests, NULL, NULL);
}
