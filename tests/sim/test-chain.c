/*
 * sim/chain.c, sim/rng.c: the minted hierarchy has the shape of AMD's real
 * certificates. Every expectation comes from the fixture certificates in
 * tests/data/attest (AMD-signed), compared field by field, and from the
 * verifier's own extension decoder and signature check (attest/).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "attest/chain.h"
#include "attest/vek.h"
#include "sim/chain.h"
#include "sim/rng.h"
#include "sim/store.h"
#include "tests/common/testutil.h"
#include "tests/sim/simtest.h"

static X509 *load_pem(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	if (x == NULL)
		fail_msg("cannot read %s", path);
	return x;
}

/* The n-th certificate (0-based) of a PEM bundle under tests/data. */
static X509 *load_fixture(const char *rel, int n)
{
	FILE *f = fopen(tdata_path(rel), "r");
	X509 *x = NULL;

	assert_non_null(f);
	for (int i = 0; i <= n; i++) {
		X509_free(x);
		x = PEM_read_X509(f, NULL, NULL, NULL);
		assert_non_null(x);
	}
	fclose(f);
	return x;
}

static X509 *load_fixture_der(const char *rel)
{
	size_t len;
	uint8_t *buf = tdata_read(rel, &len);
	const unsigned char *p = buf;
	X509 *x = d2i_X509(NULL, &p, (long)len);

	free(buf);
	assert_non_null(x);
	return x;
}

static X509 *load_sim(const char *dir, const char *name)
{
	char path[1200];

	snprintf(path, sizeof(path), "%s/certs/%s.pem", dir, name);
	return load_pem(path);
}

/* DER of a name or an algorithm, for byte comparison. */
static void assert_same_der_name(const X509_NAME *a, const X509_NAME *b, const char *what)
{
	unsigned char *da = NULL, *db = NULL;
	int la = i2d_X509_NAME(a, &da), lb = i2d_X509_NAME(b, &db);

	if (la != lb || memcmp(da, db, (size_t)la) != 0)
		fail_msg("%s: names differ in DER", what);
	OPENSSL_free(da);
	OPENSSL_free(db);
}

static void assert_same_sigalg(X509 *sim, X509 *real, const char *what)
{
	const X509_ALGOR *a, *b;
	unsigned char *da = NULL, *db = NULL;
	int la, lb;

	X509_get0_signature(NULL, &a, sim);
	X509_get0_signature(NULL, &b, real);
	la = i2d_X509_ALGOR(a, &da);
	lb = i2d_X509_ALGOR(b, &db);
	if (la != lb || memcmp(da, db, (size_t)la) != 0)
		fail_msg("%s: signature AlgorithmIdentifier differs from AMD's (%d vs %d bytes)", what,
			 la, lb);
	/* The TBS copy too. */
	OPENSSL_free(da);
	da = NULL;
	la = i2d_X509_ALGOR(X509_get0_tbs_sigalg(sim), &da);
	assert_int_equal(la, lb);
	assert_memory_equal(da, db, (size_t)lb);
	OPENSSL_free(da);
	OPENSSL_free(db);
}

/* Same extensions, same order, same criticality, same OIDs; for AMD OIDs the same value shape. */
static void assert_same_extensions(X509 *sim, X509 *real, const char *what)
{
	int n = X509_get_ext_count(sim);

	if (n != X509_get_ext_count(real))
		fail_msg("%s: %d extensions, AMD's has %d", what, n, X509_get_ext_count(real));
	for (int i = 0; i < n; i++) {
		X509_EXTENSION *a = X509_get_ext(sim, i), *b = X509_get_ext(real, i);
		const ASN1_OCTET_STRING *va = X509_EXTENSION_get_data(a);
		const ASN1_OCTET_STRING *vb = X509_EXTENSION_get_data(b);
		char oa[64], ob[64];

		OBJ_obj2txt(oa, sizeof(oa), X509_EXTENSION_get_object(a), 1);
		OBJ_obj2txt(ob, sizeof(ob), X509_EXTENSION_get_object(b), 1);
		if (strcmp(oa, ob) != 0)
			fail_msg("%s: extension %d is %s, AMD's is %s", what, i, oa, ob);
		assert_int_equal(X509_EXTENSION_get_critical(a), X509_EXTENSION_get_critical(b));
		if (strncmp(oa, "1.3.6.1.4.1.3704.1.", 19) != 0)
			continue;
		if (strcmp(oa, "1.3.6.1.4.1.3704.1.4") == 0) {
			/* hwID: raw bytes, same length as AMD's (64, or 8 on Turin). */
			assert_int_equal(ASN1_STRING_length(va), ASN1_STRING_length(vb));
			continue;
		}
		/* INTEGER or IA5String: the same tag; integers the same minimal DER form. */
		assert_int_equal(ASN1_STRING_get0_data(va)[0], ASN1_STRING_get0_data(vb)[0]);
		if (ASN1_STRING_get0_data(va)[0] == 0x02) {
			const unsigned char *d = ASN1_STRING_get0_data(va);
			int len = ASN1_STRING_length(va);

			assert_true((len == 3 && d[1] == 1 && d[2] < 0x80) ||
				    (len == 4 && d[1] == 2 && d[2] == 0 && d[3] >= 0x80));
		}
	}
}

static int validity_days(X509 *x)
{
	int days = 0, secs = 0;

	assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x)),
			 1);
	return days;
}

static void check_product(enum snp_product p, const char *ark_rel, const char *ask_rel,
			  const char *vcek_rel, const char *product_name)
{
	char *dir = simtest_dir(p, SNP_SIGNING_KEY_VCEK);
	X509 *ark = load_sim(dir, "ark"), *ask = load_sim(dir, "ask"), *vcek = load_sim(dir, "vcek");
	X509 *rark = load_fixture(ark_rel, 0), *rask = load_fixture(ask_rel, 0),
	     *rvcek = load_fixture(vcek_rel, 0);
	struct snp_err err = { 0 };
	struct vek_ext ext;
	struct sim_store st;
	size_t chip_len = snp_product_chip_id_len(p);

	/* Names, serials, algorithms, extensions: as AMD's. */
	assert_same_der_name(X509_get_subject_name(ark), X509_get_subject_name(rark), "ARK subject");
	assert_same_der_name(X509_get_issuer_name(ark), X509_get_issuer_name(rark), "ARK issuer");
	assert_same_der_name(X509_get_subject_name(ask), X509_get_subject_name(rask), "ASK subject");
	assert_same_der_name(X509_get_issuer_name(vcek), X509_get_issuer_name(rvcek), "VCEK issuer");
	assert_same_der_name(X509_get_subject_name(vcek), X509_get_subject_name(rvcek),
			     "VCEK subject");
	assert_int_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(ark), X509_get0_serialNumber(rark)),
			 0);
	assert_int_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(ask), X509_get0_serialNumber(rask)),
			 0);
	assert_int_equal(ASN1_INTEGER_get(X509_get0_serialNumber(vcek)), 0);
	assert_int_equal(ASN1_INTEGER_get(X509_get0_serialNumber(rvcek)), 0);
	assert_same_sigalg(ark, rark, "ARK");
	assert_same_sigalg(ask, rask, "ASK");
	assert_same_sigalg(vcek, rvcek, "VCEK");
	assert_same_extensions(ark, rark, "ARK");
	assert_same_extensions(ask, rask, "ASK");
	assert_same_extensions(vcek, rvcek, "VCEK");
	assert_int_equal(X509_get_version(vcek), X509_get_version(rvcek));
	assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(ark)), 4096);
	assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(ask)), 4096);
	assert_int_equal(EVP_PKEY_get_id(X509_get0_pubkey(ark)),
			 EVP_PKEY_get_id(X509_get0_pubkey(rark)));
	assert_int_equal(EVP_PKEY_get_id(X509_get0_pubkey(vcek)),
			 EVP_PKEY_get_id(X509_get0_pubkey(rvcek)));
	/* Validity: ARK/ASK 25 years, VCEK 7 years (as AMD's fixtures). */
	assert_int_equal(validity_days(ark) / 365, validity_days(rark) / 365);
	assert_true(validity_days(ark) >= 25 * 365 && validity_days(ark) <= 25 * 365 + 7);
	assert_true(validity_days(vcek) >= 7 * 365 && validity_days(vcek) <= 7 * 365 + 2);
	assert_int_equal(validity_days(vcek) / 365, validity_days(rvcek) / 365);

	/* The verifier's decoder and signature checks accept them. */
	if (vek_ext_decode(vcek, &ext, &err) != 0)
		fail_msg("vek_ext_decode: %s", err.msg);
	assert_true(ext.has_hwid);
	assert_false(ext.hwid_wrapped);
	assert_int_equal(ext.hwid_len, chip_len);
	assert_false(ext.has_csp_id);
	assert_int_equal(ext.struct_version, p == SNP_PRODUCT_TURIN ? 1 : 0);
	assert_string_equal(ext.product_name, product_name);
	assert_int_equal(sim_store_load(dir, &st, &err), 0);
	assert_memory_equal(ext.hwid, st.plat.chip_id, chip_len);
	assert_int_equal(ext.spl[VEK_SPL_BL], st.plat.reported_tcb.bootloader);
	assert_int_equal(ext.spl[VEK_SPL_TEE], st.plat.reported_tcb.tee);
	assert_int_equal(ext.spl[VEK_SPL_SNP], st.plat.reported_tcb.snp);
	assert_int_equal(ext.spl[VEK_SPL_UCODE], st.plat.reported_tcb.microcode);
	assert_int_equal(ext.has_spl[VEK_SPL_FMC], p == SNP_PRODUCT_TURIN);
	if (chain_check_signed(ark, "ARK", ark, "ARK", &err) != 0 ||
	    chain_check_signed(ask, "ASK", ark, "ARK", &err) != 0 ||
	    chain_check_signed(vcek, "VCEK", ask, "ASK", &err) != 0)
		fail_msg("chain: %s", err.msg);
	/* And the real AMD ARK does not sign the sim's ASK. */
	assert_int_not_equal(chain_check_signed(ask, "ASK", rark, "ARK", &err), 0);
	sim_store_free(&st);
	X509_free(ark);
	X509_free(ask);
	X509_free(vcek);
	X509_free(rark);
	X509_free(rask);
	X509_free(rvcek);
	rm_rf(dir);
	free(dir);
}

static void chain_milan_like_amd(void **state)
{
	(void)state;
	check_product(SNP_PRODUCT_MILAN, "attest/mstav/pinned_milan_ark.pem",
		      "attest/mstav/milan_ask.pem", "attest/mstav/milan_vcek.pem", "Milan-B0");
}

static void chain_genoa_like_amd(void **state)
{
	(void)state;
	check_product(SNP_PRODUCT_GENOA, "attest/mstav/pinned_genoa_ark.pem",
		      "attest/mstav/genoa_ask.pem", "attest/mstav/genoa_vcek.pem", "Genoa");
}

static void chain_turin_like_amd(void **state)
{
	(void)state;
	check_product(SNP_PRODUCT_TURIN, "attest/mstav/pinned_turin_ark.pem",
		      "attest/mstav/turin_ask.pem", "attest/mstav/turin_vcek.pem", "Turin");
}

/* VLEK and ASVK against AWS's VLEK and AMD's Milan ASVK. */
static void chain_vlek_like_amd(void **state)
{
	char *dir = simtest_dir(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VLEK);
	X509 *ark = load_sim(dir, "ark"), *asvk = load_sim(dir, "asvk"), *vlek = load_sim(dir, "vlek");
	X509 *rasvk = load_fixture("attest/trustee/milan_ask_ark_asvk.pem", 2);
	X509 *rvlek = load_fixture_der("attest/trustee/test-vlek.der");
	struct snp_err err = { 0 };
	struct vek_ext ext;

	(void)state;
	assert_same_der_name(X509_get_subject_name(asvk), X509_get_subject_name(rasvk), "ASVK");
	assert_same_der_name(X509_get_subject_name(vlek), X509_get_subject_name(rvlek), "VLEK");
	assert_same_der_name(X509_get_issuer_name(vlek), X509_get_issuer_name(rvlek), "VLEK issuer");
	assert_int_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(asvk),
					  X509_get0_serialNumber(rasvk)),
			 0);
	assert_int_equal(ASN1_INTEGER_get(X509_get0_serialNumber(vlek)), 0);
	assert_same_sigalg(asvk, rasvk, "ASVK");
	assert_same_sigalg(vlek, rvlek, "VLEK");
	assert_same_extensions(asvk, rasvk, "ASVK");
	assert_same_extensions(vlek, rvlek, "VLEK");
	assert_int_equal(validity_days(vlek) / 365, 1);
	assert_int_equal(validity_days(vlek) / 365, validity_days(rvlek) / 365);
	assert_int_equal(vek_ext_decode(vlek, &ext, &err), 0);
	assert_true(ext.has_csp_id);
	assert_false(ext.has_hwid);
	assert_string_equal(ext.product_name, "Milan");
	if (chain_check_signed(asvk, "ASVK", ark, "ARK", &err) != 0 ||
	    chain_check_signed(vlek, "VLEK", asvk, "ASVK", &err) != 0)
		fail_msg("chain: %s", err.msg);
	X509_free(ark);
	X509_free(asvk);
	X509_free(vlek);
	X509_free(rasvk);
	X509_free(rvlek);
	rm_rf(dir);
	free(dir);
}

static void chain_crl_signed_by_ark(void **state)
{
	char *dir = simtest_dir(SNP_PRODUCT_GENOA, SNP_SIGNING_KEY_VCEK);
	X509 *ark = load_sim(dir, "ark");
	struct snp_err err = { 0 };
	struct sim_store st;
	const unsigned char *p;
	X509_CRL *crl;
	const X509_ALGOR *alg = NULL;

	(void)state;
	assert_int_equal(sim_store_load(dir, &st, &err), 0);
	p = st.crl_der;
	crl = d2i_X509_CRL(NULL, &p, (long)st.crl_len);
	assert_non_null(crl);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ark)), 1);
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ark)), 0);
	assert_non_null(X509_CRL_get0_nextUpdate(crl));
	X509_CRL_get0_signature(crl, NULL, &alg);
	if (chain_check_pss_alg(alg, "CRL", &err) != 0)
		fail_msg("CRL algorithm: %s", err.msg);
	X509_CRL_free(crl);
	X509_free(ark);
	sim_store_free(&st);
	rm_rf(dir);
	free(dir);
}

static int pubkey_equal(EVP_PKEY *a, EVP_PKEY *b)
{
	return EVP_PKEY_eq(a, b) == 1;
}

/* The seed decides the keys: the same (seed, label) again gives the same key, another does not. */
static void chain_seed_is_deterministic(void **state)
{
	static const char seed[] = "snpvm-test-Milan-vcek"; /* the seed simtest_dir uses */
	char *dir = simtest_dir(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK);
	X509 *ark = load_sim(dir, "ark");
	struct snp_err err = { 0 };
	EVP_PKEY *k1 = NULL, *k2 = NULL, *k3 = NULL, *rsa = NULL;

	(void)state;
	assert_int_equal(sim_rng_keygen((const uint8_t *)"s1", 2, "L", SIM_KEY_P384, &k1, &err), 0);
	assert_int_equal(sim_rng_keygen((const uint8_t *)"s1", 2, "L", SIM_KEY_P384, &k2, &err), 0);
	assert_int_equal(sim_rng_keygen((const uint8_t *)"s1", 2, "M", SIM_KEY_P384, &k3, &err), 0);
	assert_true(pubkey_equal(k1, k2));
	assert_false(pubkey_equal(k1, k3));
	/* The cached sim's ARK is what the seed gives: the cache only saves time. */
	assert_int_equal(sim_rng_keygen((const uint8_t *)seed, strlen(seed), "ARK-Milan",
					SIM_KEY_RSA4096, &rsa, &err),
			 0);
	assert_true(pubkey_equal(rsa, X509_get0_pubkey(ark)));
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(k3);
	EVP_PKEY_free(rsa);
	X509_free(ark);
	rm_rf(dir);
	free(dir);
}

static void chain_init_refuses_existing_sim(void **state)
{
	char *dir = simtest_dir(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK);
	struct snp_err err = { 0 };
	struct sim_init_opts o = { .dir = dir, .product = SNP_PRODUCT_MILAN,
				   .signer = SNP_SIGNING_KEY_VCEK, .now = 0 };
	char path[1200];
	struct stat st;

	(void)state;
	assert_int_equal(sim_store_init(&o, &err), SNP_E_REFUSED);
	assert_non_null(strstr(err.msg, "refusing"));
	snprintf(path, sizeof(path), "%s/keys/ark.key", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/keys", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	rm_rf(dir);
	free(dir);
}

/* A state directory whose signing key does not belong to its VCEK certificate is refused. */
static void chain_load_refuses_foreign_key(void **state)
{
	char *a = simtest_dir(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK);
	char *b = simtest_dir(SNP_PRODUCT_TURIN, SNP_SIGNING_KEY_VCEK);
	char cmd[3000];
	struct snp_err err = { 0 };
	struct sim_store st;

	(void)state;
	snprintf(cmd, sizeof(cmd), "cp '%s/keys/vcek.key' '%s/keys/vcek.key'", b, a);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(sim_store_load(a, &st, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "does not match"));
	rm_rf(a);
	rm_rf(b);
	free(a);
	free(b);
}

/* The signing key must stay 0600, and an encrypted key fails at once instead of prompting. */
static void chain_load_refuses_loose_or_encrypted_key(void **state)
{
	char *a = simtest_dir(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK);
	char key[1024], cmd[6 * 1024];
	struct snp_err err = { 0 };
	struct sim_store st;

	(void)state;
	snprintf(key, sizeof(key), "%s/keys/vcek.key", a);
	assert_int_equal(chmod(key, 0644), 0);
	assert_int_equal(sim_store_load(a, &st, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "mode 0644"));
	assert_int_equal(chmod(key, 0600), 0);
	snprintf(cmd, sizeof(cmd),
		 "openssl pkey -in '%s' -aes256 -passout pass:x -out '%s.enc' </dev/null && "
		 "mv '%s.enc' '%s' && chmod 600 '%s'", key, key, key, key, key);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(sim_store_load(a, &st, &err), SNP_E_CRYPTO);
	assert_non_null(strstr(err.msg, "vcek.key"));
	rm_rf(a);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(chain_milan_like_amd),
		cmocka_unit_test(chain_genoa_like_amd),
		cmocka_unit_test(chain_turin_like_amd),
		cmocka_unit_test(chain_vlek_like_amd),
		cmocka_unit_test(chain_crl_signed_by_ark),
		cmocka_unit_test(chain_seed_is_deterministic),
		cmocka_unit_test(chain_init_refuses_existing_sim),
		cmocka_unit_test(chain_load_refuses_foreign_key),
		cmocka_unit_test(chain_load_refuses_loose_or_encrypted_key),
	};

	return cmocka_run_group_tests_name("sim/chain", tests, NULL, NULL);
}
