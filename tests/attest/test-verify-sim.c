/*
 * attest/verify.c with chains this test mints itself (OpenSSL): a fake
 * ARK-Milan is never trusted unless passed as a simulated root; with it, the
 * checks that real AMD data cannot reach fire one by one: certificate
 * extension encodings, VCEK/VLEK kind rules, PSS parameters, and the CRL
 * (revoked, expired, wrong signer, no nextUpdate).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "abi/report.h"
#include "attest/certs.h"
#include "attest/verify.h"
#include "tests/common/testutil.h"

#define NOW 1795305600 /* 2026-11-22T00:00:00Z */
#define DAY ((time_t)86400)

/* What the minted VCEK carries; each test changes one thing. */
struct vek_spec {
	const char *cn;         /* "SEV-VCEK" */
	int struct_version;     /* -1: omit */
	const char *product;    /* NULL: omit */
	uint8_t spl[10];        /* .3.1 .. .3.9 */
	bool omit_spl[10];
	bool turin_fmc;         /* add .3.9 */
	const uint8_t *int_der; /* replaces blSPL's encoding when set */
	size_t int_der_len;
	bool omit_hwid, wrap_hwid, csp_id, duplicate_bl;
	int salt;               /* PSS salt for the VEK signature; 0 = 48 */
	bool pkcs1;             /* sign the VEK with PKCS#1 v1.5 instead */
};

struct sim {
	EVP_PKEY *ark_key, *ask_key, *vek_key;
	X509 *ark, *ask, *vek;
	uint8_t report[SNP_REPORT_SIZE];
};

static EVP_PKEY *rsa_key(void)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);

	assert_non_null(k);
	return k;
}

static X509_NAME *amd_name(const char *cn)
{
	X509_NAME *n = X509_NAME_new();
	static const char *const f[][2] = {
		{ "OU", "Engineering" }, { "C", "US" }, { "L", "Santa Clara" },
		{ "ST", "CA" }, { "O", "Advanced Micro Devices" },
	};

	assert_non_null(n);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(X509_NAME_add_entry_by_txt(n, f[i][0], MBSTRING_ASC,
							    (const unsigned char *)f[i][1], -1, -1, 0), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
						    (const unsigned char *)cn, -1, -1, 0), 1);
	return n;
}

static void sign_cert(X509 *x, EVP_PKEY *key, int salt, bool pkcs1)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;

	assert_non_null(m);
	assert_int_equal(EVP_DigestSignInit(m, &pc, EVP_sha384(), NULL, key), 1);
	if (!pkcs1) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, salt ? salt : 48), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(pc, EVP_sha384()), 1);
	}
	assert_true(X509_sign_ctx(x, m) > 0);
	EVP_MD_CTX_free(m);
}

static X509 *make_cert(const char *cn, const char *issuer_cn, EVP_PKEY *pub, long serial,
		       time_t nb, time_t na)
{
	X509 *x = X509_new();
	X509_NAME *s = amd_name(cn), *i = amd_name(issuer_cn);

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial), 1);
	assert_int_equal(X509_set_subject_name(x, s), 1);
	assert_int_equal(X509_set_issuer_name(x, i), 1);
	assert_non_null(X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &nb));
	assert_non_null(X509_time_adj_ex(X509_getm_notAfter(x), 0, 0, &na));
	assert_int_equal(X509_set_pubkey(x, pub), 1);
	X509_NAME_free(s);
	X509_NAME_free(i);
	return x;
}

static void add_raw_ext(X509 *x, const char *oid, const uint8_t *der, size_t len)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e;

	assert_non_null(obj);
	assert_int_equal(ASN1_OCTET_STRING_set(os, der, (int)len), 1);
	e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
}

static void add_int_ext(X509 *x, const char *oid, uint8_t v)
{
	uint8_t der[4] = { 0x02, 0x01, v };
	size_t len = 3;

	if (v >= 0x80) {
		der[1] = 0x02;
		der[2] = 0x00;
		der[3] = v;
		len = 4;
	}
	add_raw_ext(x, oid, der, len);
}

static void add_ia5_ext(X509 *x, const char *oid, const char *s)
{
	uint8_t der[128];
	size_t n = strlen(s);

	assert_true(n < 120);
	der[0] = 0x16;
	der[1] = (uint8_t)n;
	memcpy(der + 2, s, n);
	add_raw_ext(x, oid, der, n + 2);
}

static const uint8_t chip_id[64] = { 0xc0, 0xff, 0xee, 1, 2, 3, 4, 5, 6, 7, 8, 9 };

/* The default: a Milan VCEK with TCB bl 3, tee 0, snp 8, ucode 115. */
static struct vek_spec default_spec(void)
{
	struct vek_spec s = { .cn = "SEV-VCEK", .struct_version = 0, .product = "Milan-B0" };

	s.spl[1] = 3;
	s.spl[3] = 8;
	s.spl[8] = 115;
	return s;
}

static X509 *make_vek(const struct vek_spec *s, EVP_PKEY *vek_key, const char *issuer_cn,
		      EVP_PKEY *issuer_key)
{
	X509 *x = make_cert(s->cn, issuer_cn, vek_key, 0, NOW - 100 * DAY, NOW + 300 * DAY);
	char oid[64];

	if (s->struct_version >= 0)
		add_int_ext(x, "1.3.6.1.4.1.3704.1.1", (uint8_t)s->struct_version);
	if (s->product)
		add_ia5_ext(x, "1.3.6.1.4.1.3704.1.2", s->product);
	for (int k = 1; k <= 9; k++) {
		if (s->omit_spl[k] || (k == 9 && !s->turin_fmc) || (k == 4 && s->turin_fmc))
			continue;
		snprintf(oid, sizeof(oid), "1.3.6.1.4.1.3704.1.3.%d", k);
		if (k == 1 && s->int_der)
			add_raw_ext(x, oid, s->int_der, s->int_der_len);
		else
			add_int_ext(x, oid, s->spl[k]);
		if (k == 1 && s->duplicate_bl)
			add_int_ext(x, oid, s->spl[k]);
	}
	if (!s->omit_hwid) {
		if (s->wrap_hwid) {
			uint8_t der[66] = { 0x04, 0x40 };

			memcpy(der + 2, chip_id, 64);
			add_raw_ext(x, "1.3.6.1.4.1.3704.1.4", der, sizeof(der));
		} else {
			add_raw_ext(x, "1.3.6.1.4.1.3704.1.4", chip_id, 64);
		}
	}
	if (s->csp_id)
		add_ia5_ext(x, "1.3.6.1.4.1.3704.1.5", "CN=sim.example");
	sign_cert(x, issuer_key, s->salt, s->pkcs1);
	return x;
}

/* Signs bytes 0x000..0x29F of report with key into R and S (little-endian). */
static void sign_report(uint8_t report[SNP_REPORT_SIZE], EVP_PKEY *key)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned char sig[160];
	const unsigned char *p = sig;
	size_t siglen = sizeof(sig);
	ECDSA_SIG *es;
	const BIGNUM *r, *sv;

	assert_non_null(m);
	assert_int_equal(EVP_DigestSignInit(m, NULL, EVP_sha384(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(m, sig, &siglen, report, SNP_REPORT_SIGNED_LEN), 1);
	es = d2i_ECDSA_SIG(NULL, &p, (long)siglen);
	assert_non_null(es);
	ECDSA_SIG_get0(es, &r, &sv);
	memset(report + 0x2a0, 0, SNP_REPORT_SIZE - 0x2a0);
	assert_int_equal(BN_bn2lebinpad(r, report + 0x2a0, 48), 48);
	assert_int_equal(BN_bn2lebinpad(sv, report + 0x2e8, 48), 48);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(m);
}

/* A Milan v3 report signed by vek_key with SIGNING_KEY key and TCB from s. */
static void make_report(uint8_t out[SNP_REPORT_SIZE], const struct vek_spec *s,
			EVP_PKEY *vek_key, unsigned key)
{
	struct snp_report rep = { 0 };

	rep.version = 3;
	rep.policy = 0x30000;
	rep.signature_algo = 1;
	rep.signer_info = key << SNP_SIGNER_KEY_SHIFT;
	rep.cpuid_fam_id = 0x19;
	rep.cpuid_mod_id = 0x01;
	/* Milan layout: bl, tee, spl_4..spl_7, snp, ucode. */
	rep.reported_tcb = (uint64_t)s->spl[1] | (uint64_t)s->spl[2] << 8 |
			   (uint64_t)s->spl[4] << 16 | (uint64_t)s->spl[5] << 24 |
			   (uint64_t)s->spl[6] << 32 | (uint64_t)s->spl[7] << 40 |
			   (uint64_t)s->spl[3] << 48 | (uint64_t)s->spl[8] << 56;
	rep.current_tcb = rep.committed_tcb = rep.launch_tcb = rep.reported_tcb;
	memcpy(rep.chip_id, chip_id, 64);
	memset(rep.measurement, 0x5a, sizeof(rep.measurement));
	report_write(&rep, out);
	sign_report(out, vek_key);
}

static struct sim S; /* keys are slow to make: minted once per run */

static int setup(void **state)
{
	struct vek_spec s = default_spec();

	(void)state;
	S.ark_key = rsa_key();
	S.ask_key = rsa_key();
	S.vek_key = EVP_EC_gen("P-384");
	if (!S.vek_key)
		return -1;
	S.ark = make_cert("ARK-Milan", "ARK-Milan", S.ark_key, 0x10000, NOW - 1000 * DAY,
			  NOW + 9000 * DAY);
	sign_cert(S.ark, S.ark_key, 0, false);
	S.ask = make_cert("SEV-Milan", "ARK-Milan", S.ask_key, 0x10001, NOW - 1000 * DAY,
			  NOW + 9000 * DAY);
	sign_cert(S.ask, S.ark_key, 0, false);
	S.vek = make_vek(&s, S.vek_key, "SEV-Milan", S.ask_key);
	make_report(S.report, &s, S.vek_key, SNP_SIGNING_KEY_VCEK);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	X509_free(S.ark);
	X509_free(S.ask);
	X509_free(S.vek);
	EVP_PKEY_free(S.ark_key);
	EVP_PKEY_free(S.ask_key);
	EVP_PKEY_free(S.vek_key);
	return 0;
}

/* certs with up-refs of the given certificates (NULL to omit). */
static void certs_with(struct certs *c, X509 *ark, X509 *ask, X509 *vek)
{
	certs_init(c);
	if (ark && X509_up_ref(ark))
		c->ark[SNP_PRODUCT_MILAN] = ark;
	if (ask && X509_up_ref(ask))
		c->ask[SNP_PRODUCT_MILAN] = ask;
	if (vek && X509_up_ref(vek))
		c->vek = vek;
}

static int verify_sim(const uint8_t *report, X509 *vek, bool trust_sim, X509_CRL *crl,
		      struct verify_result *res, struct snp_err *err)
{
	X509 *roots[1] = { S.ark };
	struct verify_opts o = { .now = NOW, .crl = crl };
	struct verifier *v = NULL;
	struct certs c;
	int ret;

	if (trust_sim) {
		o.allow_sim_roots = roots;
		o.n_allow_sim_roots = 1;
	}
	assert_int_equal(verifier_new(&v, err), 0);
	certs_with(&c, S.ark, S.ask, vek);
	ret = verify_report(v, report, SNP_REPORT_SIZE, &c, &o, res, err);
	certs_free(&c);
	verifier_free(v);
	return ret;
}

static void expect(int ret, const struct snp_err *err, int code, const char *check,
		   const char *what)
{
	if (ret != code || (code && strncmp(err->msg, check, strlen(check)) != 0))
		fail_msg("%s: got %s \"%s\", want %s from %s", what, snp_code_name(ret), err->msg,
			 snp_code_name(code), check);
}

static void fake_ark_refused_by_default(void **state)
{
	struct verify_result res;
	struct snp_err err = { 0 };

	(void)state;
	expect(verify_sim(S.report, S.vek, false, NULL, &res, &err), &err, SNP_E_CHAIN,
	       "ark.pinned", "fake ARK-Milan without --trust-sim-root");
	assert_false(res.sim_root);
}

/* Without the ARK in the evidence, the fake ASK is not the pinned one. */
static void fake_ask_refused_by_default(void **state)
{
	struct verify_result res;
	struct snp_err err = { 0 };
	struct verify_opts o = { .now = NOW };
	struct verifier *v = NULL;
	struct certs c;

	(void)state;
	assert_int_equal(verifier_new(&v, &err), 0);
	certs_with(&c, NULL, S.ask, S.vek);
	expect(verify_report(v, S.report, SNP_REPORT_SIZE, &c, &o, &res, &err), &err, SNP_E_CHAIN,
	       "intermediate", "fake ASK");
	certs_free(&c);
	verifier_free(v);
}

/* A fake ARK-Milan beside a genuine AMD chain is refused too. */
static void fake_ark_beside_genuine_chain_refused(void **state)
{
	struct verify_result res;
	struct snp_err err = { 0 };
	struct verify_opts o = { .now = NOW };
	struct verifier *v = NULL;
	struct certs c;
	size_t len;
	uint8_t *rep = tdata_read("attest/mstav/milan_attestation_report.bin", &len);

	(void)state;
	assert_int_equal(verifier_new(&v, &err), 0);
	certs_init(&c);
	assert_int_equal(certs_load_vek_file(&c, tdata_path("attest/mstav/milan_vcek.pem"), &err), 0);
	assert_int_equal(X509_up_ref(S.ark), 1);
	c.ark[SNP_PRODUCT_MILAN] = S.ark;
	expect(verify_report(v, rep, len, &c, &o, &res, &err), &err, SNP_E_CHAIN, "ark.pinned",
	       "fake ARK with a genuine VCEK");
	certs_free(&c);
	verifier_free(v);
	free(rep);
}

static void sim_root_anchors_with_flag(void **state)
{
	struct verify_result res;
	struct snp_err err = { 0 };

	(void)state;
	expect(verify_sim(S.report, S.vek, true, NULL, &res, &err), &err, 0, "", "sim root");
	assert_true(res.sim_root);
}

/* A chain cached under the simulated root does not help once the root is no longer trusted. */
static void cache_does_not_outlive_trust(void **state)
{
	X509 *roots[1] = { S.ark };
	struct verify_opts trusted = { .now = NOW, .allow_sim_roots = roots,
				       .n_allow_sim_roots = 1 };
	struct verify_opts strict = { .now = NOW };
	struct verify_result res;
	struct snp_err err = { 0 };
	struct verifier *v = NULL;
	struct certs c;

	(void)state;
	assert_int_equal(verifier_new(&v, &err), 0);
	certs_with(&c, NULL, S.ask, S.vek);
	for (int i = 0; i < 2; i++) {
		expect(verify_report(v, S.report, SNP_REPORT_SIZE, &c, &trusted, &res, &err), &err,
		       0, "", "trusted sim root");
		assert_int_equal(res.chain_cached, i == 1);
	}
	expect(verify_report(v, S.report, SNP_REPORT_SIZE, &c, &strict, &res, &err), &err,
	       SNP_E_CHAIN, "intermediate", "same verifier, sim root no longer trusted");
	/* Validity is checked per call even for a cached chain. */
	trusted.now = NOW + 400 * DAY;
	expect(verify_report(v, S.report, SNP_REPORT_SIZE, &c, &trusted, &res, &err), &err,
	       SNP_E_CHAIN, "vek.validity", "cached chain after the VEK expired");
	assert_true(res.chain_cached);
	certs_free(&c);
	verifier_free(v);
}

/* One VEK variation: mint it, sign a matching report, expect code from check. */
static void vary(const struct vek_spec *s, unsigned key, int code, const char *check,
		 const char *what)
{
	struct verify_result res;
	struct snp_err err = { 0 };
	uint8_t report[SNP_REPORT_SIZE];
	X509 *vek = make_vek(s, S.vek_key, "SEV-Milan", S.ask_key);

	make_report(report, s, S.vek_key, key);
	expect(verify_sim(report, vek, true, NULL, &res, &err), &err, code, check, what);
	X509_free(vek);
}

static void vek_extension_rules(void **state)
{
	static const uint8_t nonminimal[] = { 0x02, 0x02, 0x00, 0x03 };
	static const uint8_t negative[] = { 0x02, 0x01, 0x83 };
	static const uint8_t trailing[] = { 0x02, 0x01, 0x03, 0x00 };
	struct vek_spec s;

	(void)state;
	s = default_spec();
	s.wrap_hwid = true;
	vary(&s, SNP_SIGNING_KEY_VCEK, 0, "", "hwID as DER OCTET STRING is accepted");
	s = default_spec();
	s.spl[8] = 219; /* 02 02 00 DB */
	vary(&s, SNP_SIGNING_KEY_VCEK, 0, "", "ucodeSPL 219");
	s = default_spec();
	s.int_der = nonminimal;
	s.int_der_len = sizeof(nonminimal);
	vary(&s, SNP_SIGNING_KEY_VCEK, SNP_E_CHAIN, "vek.extensions", "02 02 00 03");
	s.int_der = negative;
	s.int_der_len = sizeof(negative);
	vary(&s, SNP_SIGNING_KEY_VCEK, SNP_E_CHAIN, "vek.extensions", "02 01 83");
	s.int_der = trailing;
	s.int_der_len = sizeof(trailing);
	vary(&s, SNP_SIGNING_KEY_VCEK, SNP_E_CHAIN, "vek.extensions", "trailing byte");
	s = default_spec();
	s.duplicate_bl = true;
	vary(&s, SNP_SIGNING_KEY_VCEK, SNP_E_CHAIN, "vek.extensions", "duplicate blSPL");
	s = default_spec();
	s.omit_hwid = true;
	vary(&s, SNP_SIGNING_KEY_VCEK, SNP_E_CHAIN, "vek.extensions", "VCEK without hwID");
	s = default_spec();
	s.csp_id = true;
	vary(&s, SNP_SIGNING_KEY_VCEK, SNP_E_CHAIN, "vek.extensions", "VCEK with cspID");
	s = default_spec();
	s.cn = "SEV-VLEK";
	s.csp_id = true;
	vary(&s, SNP_SIGNING_KEY_VLEK, SNP_E_CHAIN, "vek.signature",
	     "VLEK signed by an ASK (needs an ASVK)");
	s = default_spec();
	s.struct_version = 1;
	vary(&s, SNP_SIGNING_KEY_VCEK, SNP_E_CHAIN, "vek.struct_version", "structVersion 1");
	s = default_spec();
	s.struct_version = -1;
	vary(&s, SNP_SIGNING_KEY_VCEK, SNP_E_CHAIN, "vek.extensions", "no structVersion");
	s = default_spec();
	s.product = "Genoa";
	vary(&s, SNP_SIGNING_KEY_VCEK, SNP_E_CHAIN, "vek.product_name", "productName Genoa");
	s.product = "Milanese";
	vary(&s, SNP_SIGNING_KEY_VCEK, SNP_E_CHAIN, "vek.product_name", "productName Milanese");
	s = default_spec();
	s.omit_spl[3] = true;
	vary(&s, SNP_SIGNING_KEY_VCEK, SNP_E_CHAIN, "vek.tcb", "no snpSPL");
	s = default_spec();
	s.turin_fmc = true;
	vary(&s, SNP_SIGNING_KEY_VCEK, SNP_E_CHAIN, "vek.tcb", "fmcSPL on Milan");
	s = default_spec();
	s.salt = 32;
	vary(&s, SNP_SIGNING_KEY_VCEK, SNP_E_CHAIN, "vek.signature", "PSS salt 32");
	s = default_spec();
	s.pkcs1 = true;
	vary(&s, SNP_SIGNING_KEY_VCEK, SNP_E_CHAIN, "vek.signature", "PKCS#1 v1.5");
}

/* The report's TCB or CHIP_ID differs from a correctly signed VCEK's. */
static void binding_mismatches(void **state)
{
	struct vek_spec s = default_spec(), other;
	struct verify_result res;
	struct snp_err err = { 0 };
	uint8_t report[SNP_REPORT_SIZE];

	(void)state;
	other = s;
	other.spl[3] = 9; /* the report says SNP 9, the VCEK 8 */
	make_report(report, &other, S.vek_key, SNP_SIGNING_KEY_VCEK);
	expect(verify_sim(report, S.vek, true, NULL, &res, &err), &err, SNP_E_CHAIN, "vek.tcb",
	       "SNP SPL");
	assert_non_null(strstr(err.msg, "snpSPL"));
	other = s;
	other.spl[4] = 1; /* a reserved byte (spl_4): signed into the report, 0 in the VCEK */
	make_report(report, &other, S.vek_key, SNP_SIGNING_KEY_VCEK);
	expect(verify_sim(report, S.vek, true, NULL, &res, &err), &err, SNP_E_CHAIN, "vek.tcb",
	       "reserved TCB byte");
	assert_non_null(strstr(err.msg, "spl_4"));
	other = s;
	other.spl[2] = 0x80; /* TEE 128 in the report, 0 in the VCEK */
	make_report(report, &other, S.vek_key, SNP_SIGNING_KEY_VCEK);
	expect(verify_sim(report, S.vek, true, NULL, &res, &err), &err, SNP_E_CHAIN, "vek.tcb",
	       "TEE SPL");
	/* CHIP_ID differs in its last byte from the VCEK hwID. */
	make_report(report, &s, S.vek_key, SNP_SIGNING_KEY_VCEK);
	report[0x1a0 + 63] ^= 1;
	sign_report(report, S.vek_key);
	expect(verify_sim(report, S.vek, true, NULL, &res, &err), &err, SNP_E_CHAIN, "vek.hwid",
	       "CHIP_ID byte 63");
}

/* When set, make_crl names this issuing distribution point (a URI). */
static const char *crl_idp;

static X509_CRL *make_crl(EVP_PKEY *key, const char *issuer_cn, time_t this_upd,
			  time_t next_upd, const long *revoked, size_t nrevoked)
{
	X509_CRL *crl = X509_CRL_new();
	X509_NAME *n = amd_name(issuer_cn);
	ASN1_TIME *t = ASN1_TIME_new();
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;

	assert_non_null(crl);
	assert_int_equal(X509_CRL_set_version(crl, 1), 1);
	assert_int_equal(X509_CRL_set_issuer_name(crl, n), 1);
	assert_non_null(ASN1_TIME_set(t, this_upd));
	assert_int_equal(X509_CRL_set1_lastUpdate(crl, t), 1);
	if (next_upd) {
		assert_non_null(ASN1_TIME_set(t, next_upd));
		assert_int_equal(X509_CRL_set1_nextUpdate(crl, t), 1);
	}
	for (size_t i = 0; i < nrevoked; i++) {
		X509_REVOKED *r = X509_REVOKED_new();
		ASN1_INTEGER *s = ASN1_INTEGER_new();

		assert_int_equal(ASN1_INTEGER_set(s, revoked[i]), 1);
		assert_int_equal(X509_REVOKED_set_serialNumber(r, s), 1);
		assert_non_null(ASN1_TIME_set(t, this_upd));
		assert_int_equal(X509_REVOKED_set_revocationDate(r, t), 1);
		assert_int_equal(X509_CRL_add0_revoked(crl, r), 1);
		ASN1_INTEGER_free(s);
	}
	if (crl_idp) {
		ISSUING_DIST_POINT *idp = ISSUING_DIST_POINT_new();
		GENERAL_NAME *gn = GENERAL_NAME_new();
		ASN1_IA5STRING *uri = ASN1_IA5STRING_new();

		assert_true(idp && gn && uri);
		assert_int_equal(ASN1_STRING_set(uri, crl_idp, -1), 1);
		GENERAL_NAME_set0_value(gn, GEN_URI, uri);
		idp->distpoint = DIST_POINT_NAME_new();
		assert_non_null(idp->distpoint);
		idp->distpoint->type = 0;
		idp->distpoint->name.fullname = sk_GENERAL_NAME_new_null();
		assert_non_null(idp->distpoint->name.fullname);
		assert_true(sk_GENERAL_NAME_push(idp->distpoint->name.fullname, gn) > 0);
		assert_int_equal(X509_CRL_add1_ext_i2d(crl, NID_issuing_distribution_point, idp, 1,
						       X509V3_ADD_DEFAULT),
				 1);
		ISSUING_DIST_POINT_free(idp);
	}
	assert_int_equal(X509_CRL_sort(crl), 1);
	assert_int_equal(EVP_DigestSignInit(m, &pc, EVP_sha384(), NULL, key), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, 48), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(pc, EVP_sha384()), 1);
	assert_true(X509_CRL_sign_ctx(crl, m) > 0);
	EVP_MD_CTX_free(m);
	ASN1_TIME_free(t);
	X509_NAME_free(n);
	return crl;
}

static void crl_checks(void **state)
{
	static const long other[] = { 0x4242 }, vek_serial[] = { 0 }, ask_serial[] = { 0x10001 };
	struct verify_result res;
	struct snp_err err = { 0 };
	EVP_PKEY *stranger = rsa_key();
	X509_CRL *crl;

	(void)state;
	crl = make_crl(S.ark_key, "ARK-Milan", NOW - DAY, NOW + DAY, other, 1);
	expect(verify_sim(S.report, S.vek, true, crl, &res, &err), &err, 0, "", "current CRL");
	assert_string_equal(res.checks[res.nchecks - 1].name, "vek.hwid");
	X509_CRL_free(crl);

	crl = make_crl(S.ark_key, "ARK-Milan", NOW - DAY, NOW + DAY, vek_serial, 1);
	expect(verify_sim(S.report, S.vek, true, crl, &res, &err), &err, SNP_E_CHAIN, "crl",
	       "revoked VEK serial");
	assert_non_null(strstr(err.msg, "revoked"));
	X509_CRL_free(crl);

	crl = make_crl(S.ark_key, "ARK-Milan", NOW - DAY, NOW + DAY, ask_serial, 1);
	expect(verify_sim(S.report, S.vek, true, crl, &res, &err), &err, SNP_E_CHAIN, "crl",
	       "revoked ASK serial");
	X509_CRL_free(crl);

	crl = make_crl(S.ark_key, "ARK-Milan", NOW - 10 * DAY, NOW - DAY, other, 1);
	expect(verify_sim(S.report, S.vek, true, crl, &res, &err), &err, SNP_E_CHAIN, "crl",
	       "expired CRL");
	assert_non_null(strstr(err.msg, "expired"));
	X509_CRL_free(crl);

	crl = make_crl(S.ark_key, "ARK-Milan", NOW + DAY, NOW + 10 * DAY, other, 1);
	expect(verify_sim(S.report, S.vek, true, crl, &res, &err), &err, SNP_E_CHAIN, "crl",
	       "CRL from the future");
	X509_CRL_free(crl);

	crl = make_crl(S.ark_key, "ARK-Milan", NOW - DAY, 0, other, 1);
	expect(verify_sim(S.report, S.vek, true, crl, &res, &err), &err, SNP_E_CHAIN, "crl",
	       "CRL without nextUpdate");
	X509_CRL_free(crl);

	crl = make_crl(stranger, "ARK-Milan", NOW - DAY, NOW + DAY, other, 1);
	expect(verify_sim(S.report, S.vek, true, crl, &res, &err), &err, SNP_E_CHAIN, "crl",
	       "CRL not signed by the ARK");
	assert_non_null(strstr(err.msg, "signature"));
	X509_CRL_free(crl);

	crl = make_crl(S.ark_key, "ARK-Genoa", NOW - DAY, NOW + DAY, other, 1);
	expect(verify_sim(S.report, S.vek, true, crl, &res, &err), &err, SNP_E_CHAIN, "crl",
	       "CRL of another ARK");
	X509_CRL_free(crl);

	/* A CRL that names its distribution point must be this chain's tree (VCEK, Milan). */
	crl_idp = "https://kdsintf.amd.com/vcek/v1/Milan/crl";
	crl = make_crl(S.ark_key, "ARK-Milan", NOW - DAY, NOW + DAY, other, 1);
	expect(verify_sim(S.report, S.vek, true, crl, &res, &err), &err, 0, "", "the VCEK CRL");
	X509_CRL_free(crl);
	crl_idp = "https://kdsintf.amd.com/vlek/v1/Milan/crl";
	crl = make_crl(S.ark_key, "ARK-Milan", NOW - DAY, NOW + DAY, other, 1);
	expect(verify_sim(S.report, S.vek, true, crl, &res, &err), &err, SNP_E_CHAIN, "crl",
	       "the VLEK CRL for a VCEK chain");
	assert_non_null(strstr(err.msg, "is not the vcek/v1/Milan/crl CRL"));
	X509_CRL_free(crl);
	crl_idp = "https://kdsintf.amd.com/vcek/v1/Genoa/crl";
	crl = make_crl(S.ark_key, "ARK-Milan", NOW - DAY, NOW + DAY, other, 1);
	expect(verify_sim(S.report, S.vek, true, crl, &res, &err), &err, SNP_E_CHAIN, "crl",
	       "another product's CRL");
	X509_CRL_free(crl);
	crl_idp = NULL;
	EVP_PKEY_free(stranger);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fake_ark_refused_by_default),
		cmocka_unit_test(fake_ask_refused_by_default),
		cmocka_unit_test(fake_ark_beside_genuine_chain_refused),
		cmocka_unit_test(sim_root_anchors_with_flag),
		cmocka_unit_test(cache_does_not_outlive_trust),
		cmocka_unit_test(vek_extension_rules),
		cmocka_unit_test(binding_mismatches),
		cmocka_unit_test(crl_checks),
	};

	return cmocka_run_group_tests_name("attest/verify (minted chains)", tests, setup, teardown);
}
