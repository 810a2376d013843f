/*
 * measure/idblock.c: ID block bytes and key digests against the reference
 * vectors (tests/data/idblock/README.md); signatures checked by an
 * independent OpenSSL verification (DER rebuilt here, key from the PEM);
 * idblock_verify_auth accepting good blocks and naming the signature that a
 * flipped byte breaks; key loading.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "measure/idblock.h"
#include "tests/common/idblock-vectors.h"
#include "tests/common/testutil.h"
#include "util/hex.h"

static void b64(const char *s, uint8_t *out, size_t len)
{
	struct snp_err err = { 0 };

	if (b64_decode(s, out, len, "vector", &err) != 0)
		fail_msg("%s", err.msg);
}

static EVP_PKEY *load(const char *rel)
{
	struct snp_err err = { 0 };
	EVP_PKEY *k = NULL;

	if (idblock_key_load(tdata_path(rel), &k, &err) != 0)
		fail_msg("%s: %s", rel, err.msg);
	return k;
}

/* The PEM key read by OpenSSL alone, for the independent checks. */
static EVP_PKEY *pem_key(const char *rel)
{
	size_t len;
	uint8_t *pem = tdata_read(rel, &len);
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;

	assert_non_null(k);
	BIO_free(bio);
	free(pem);
	return k;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * Independent of measure/idblock.c: R and S (72 bytes LE at sig) into DER,
 * then EVP_DigestVerify with SHA-384 and the PEM key. Returns OpenSSL's answer.
 */
static int independent_verify(EVP_PKEY *key, const uint8_t *sig, const uint8_t *msg, size_t len)
{
	BIGNUM *r = BN_lebin2bn(sig, 72, NULL), *s = BN_lebin2bn(sig + 72, 72, NULL);
	ECDSA_SIG *es = ECDSA_SIG_new();
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *der = NULL;
	int derlen, rc;

	assert_non_null(r);
	assert_non_null(s);
	assert_non_null(es);
	assert_non_null(md);
	assert_int_equal(ECDSA_SIG_set0(es, r, s), 1);
	derlen = i2d_ECDSA_SIG(es, &der);
	assert_true(derlen > 0);
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, key), 1);
	rc = EVP_DigestVerify(md, der, (size_t)derlen, msg, len);
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	return rc;
}

/* A signed pair for the vector fields: block bytes and auth bytes. */
struct signed_pair {
	uint8_t block[SNP_ID_BLOCK_SIZE];
	uint8_t auth[SNP_ID_AUTH_SIZE];
};

static void sign_vector(struct signed_pair *p, bool with_author)
{
	struct snp_err err = { 0 };
	struct snp_id_block b;
	struct snp_id_auth a;
	uint8_t ld[48];
	EVP_PKEY *id = load(IDV_ID_KEY), *au = with_author ? load(IDV_AUTHOR_KEY) : NULL;

	assert_int_equal(hex_decode(IDV_LD_HEX, ld, sizeof(ld), "ld", &err), 0);
	idblock_init(&b, ld);
	if (idblock_sign(&b, id, au, &a, &err) != 0)
		fail_msg("%s", err.msg);
	id_block_write(&b, p->block);
	id_auth_write(&a, p->auth);
	EVP_PKEY_free(id);
	EVP_PKEY_free(au);
}

static void expect_sig_fail(const struct signed_pair *p, bool author_en, const char *which)
{
	uint8_t d1[48], d2[48], zero[48] = { 0 };
	struct snp_err err = { 0 };
	int ret = idblock_verify_auth(p->block, p->auth, author_en, d1, d2, &err);

	if (ret != SNP_E_SIGNATURE)
		fail_msg("got %d (%s), want SIGNATURE; message: %s", ret, snp_code_name(ret),
			 err.msg);
	if (!strstr(err.msg, which))
		fail_msg("message '%s' does not name %s", err.msg, which);
	assert_memory_equal(d1, zero, 48);
	assert_memory_equal(d2, zero, 48);
}

static void idblock_init_matches_vectors(void **state)
{
	uint8_t want[SNP_ID_BLOCK_SIZE], out[SNP_ID_BLOCK_SIZE], ld[48];
	struct snp_err err = { 0 };
	struct snp_id_block b;

	(void)state;
	assert_int_equal(hex_decode(IDV_LD_HEX, ld, sizeof(ld), "ld", &err), 0);
	idblock_init(&b, ld);
	id_block_write(&b, out);
	b64(IDV_BLOCK_B64, want, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));

	b64(IDV2_LD_B64, ld, sizeof(ld));
	idblock_init(&b, ld);
	id_block_write(&b, out);
	b64(IDV2_BLOCK_B64, want, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
}

static void idblock_key_digest_matches_vectors(void **state)
{
	static const struct {
		const char *key, *digest;
	} cases[] = {
		{ IDV_ID_KEY, IDV_ID_DIGEST_B64 },
		{ IDV_AUTHOR_KEY, IDV_AUTHOR_DIGEST_B64 },
	};
	uint8_t want[48], got[48];
	struct snp_err err = { 0 };
	struct snp_pubkey pk;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		EVP_PKEY *k = load(cases[i].key);

		b64(cases[i].digest, want, sizeof(want));
		if (idblock_pubkey_from_pkey(k, &pk, &err) != 0 ||
		    idblock_key_digest(&pk, got, &err) != 0)
			fail_msg("%s: %s", cases[i].key, err.msg);
		assert_int_equal(pk.curve, 2);
		assert_memory_equal(got, want, 48);
		EVP_PKEY_free(k);
	}
}

/* Both signatures verify with OpenSSL directly; layout fields as the spec says. */
static void idblock_sign_verifies_independently(void **state)
{
	EVP_PKEY *id = pem_key(IDV_ID_KEY), *au = pem_key(IDV_AUTHOR_KEY);
	uint8_t want_block[SNP_ID_BLOCK_SIZE];
	struct signed_pair p;

	(void)state;
	sign_vector(&p, true);
	b64(IDV_BLOCK_B64, want_block, sizeof(want_block));
	assert_memory_equal(p.block, want_block, sizeof(want_block));
	assert_int_equal(get32(p.auth + 0x000), 1);
	assert_int_equal(get32(p.auth + 0x004), 1);
	assert_int_equal(get32(p.auth + 0x240), 2);
	assert_int_equal(get32(p.auth + 0x880), 2);
	assert_int_equal(independent_verify(id, p.auth + 0x040, p.block, SNP_ID_BLOCK_SIZE), 1);
	assert_int_equal(independent_verify(au, p.auth + 0x680, p.auth + 0x240, SNP_PUBKEY_SIZE),
			 1);
	/* The negative control: the wrong key does not verify. */
	assert_int_equal(independent_verify(au, p.auth + 0x040, p.block, SNP_ID_BLOCK_SIZE), 0);
	EVP_PKEY_free(id);
	EVP_PKEY_free(au);
}

static void idblock_sign_without_author(void **state)
{
	uint8_t d1[48], d2[48], want[48], zero[0x1000] = { 0 };
	EVP_PKEY *id = pem_key(IDV_ID_KEY);
	struct snp_err err = { 0 };
	struct signed_pair p;

	(void)state;
	sign_vector(&p, false);
	assert_int_equal(get32(p.auth + 0x004), 0);
	assert_memory_equal(p.auth + 0x680, zero, SNP_ID_AUTH_SIZE - 0x680);
	assert_int_equal(independent_verify(id, p.auth + 0x040, p.block, SNP_ID_BLOCK_SIZE), 1);
	if (idblock_verify_auth(p.block, p.auth, false, d1, d2, &err) != 0)
		fail_msg("%s", err.msg);
	b64(IDV_ID_DIGEST_B64, want, sizeof(want));
	assert_memory_equal(d1, want, 48);
	assert_memory_equal(d2, zero, 48);
	/* With ID_KEY_SIG the missing author signature is refused, by name. */
	expect_sig_fail(&p, true, "ID_KEY_SIG");
	EVP_PKEY_free(id);
}

static void idblock_verify_auth_accepts_and_digests(void **state)
{
	uint8_t d1[48], d2[48], want1[48], want2[48];
	struct snp_err err = { 0 };
	struct signed_pair p;

	(void)state;
	sign_vector(&p, true);
	b64(IDV_ID_DIGEST_B64, want1, sizeof(want1));
	b64(IDV_AUTHOR_DIGEST_B64, want2, sizeof(want2));
	if (idblock_verify_auth(p.block, p.auth, true, d1, d2, &err) != 0)
		fail_msg("%s", err.msg);
	assert_memory_equal(d1, want1, 48);
	assert_memory_equal(d2, want2, 48);
	/* Author key present but not enabled: the firmware ignores it, digest zero. */
	memset(d2, 0xee, sizeof(d2));
	if (idblock_verify_auth(p.block, p.auth, false, d1, d2, &err) != 0)
		fail_msg("%s", err.msg);
	assert_memory_equal(d1, want1, 48);
	for (size_t i = 0; i < 48; i++)
		assert_int_equal(d2[i], 0);
}

/* One flipped byte in each signed or signing part, and the signature it must break. */
static void idblock_verify_auth_flipped_bytes_fail(void **state)
{
	static const struct {
		bool in_block;
		size_t off;
		bool author_en;
		const char *which;
	} cases[] = {
		{ true, 0x00, false, "ID_BLOCK_SIG" },   /* LD */
		{ true, 0x40, false, "ID_BLOCK_SIG" },   /* IMAGE_ID */
		{ true, 0x54, false, "ID_BLOCK_SIG" },   /* GUEST_SVN */
		{ false, 0x040, false, "ID_BLOCK_SIG" }, /* R */
		{ false, 0x040 + 0x48 + 20, false, "ID_BLOCK_SIG" }, /* S */
		{ false, 0x244, false, "ID_BLOCK_SIG" }, /* ID_KEY QX: no longer a curve point */
		{ false, 0x28C + 40, false, "ID_BLOCK_SIG" }, /* ID_KEY QY */
		{ false, 0x680, true, "ID_KEY_SIG" },    /* R */
		{ false, 0x680 + 0x48 + 47, true, "ID_KEY_SIG" }, /* S top byte */
		{ false, 0x884, true, "ID_KEY_SIG" },    /* AUTHOR_KEY QX */
		{ false, 0x8CC + 10, true, "ID_KEY_SIG" }, /* AUTHOR_KEY QY */
	};
	struct signed_pair good, p;

	(void)state;
	sign_vector(&good, true);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p = good;
		if (cases[i].in_block)
			p.block[cases[i].off] ^= 0x01;
		else
			p.auth[cases[i].off] ^= 0x01;
		expect_sig_fail(&p, cases[i].author_en, cases[i].which);
	}
}

/*
 * A swapped ID key that signs the block itself passes ID_BLOCK_SIG; only the
 * author's signature over the ID key structure catches it.
 */
static void idblock_verify_auth_swapped_id_key_fails_author_sig(void **state)
{
	uint8_t d1[48], d2[48], want[48];
	struct snp_err err = { 0 };
	struct signed_pair p;
	struct snp_id_auth a;
	struct snp_id_block b;
	EVP_PKEY *rogue = EVP_EC_gen("P-384");

	(void)state;
	assert_non_null(rogue);
	sign_vector(&p, true);
	assert_int_equal(id_block_parse(p.block, sizeof(p.block), &b, &err), 0);
	assert_int_equal(id_auth_parse(p.auth, sizeof(p.auth), &a, &err), 0);
	assert_int_equal(idblock_pubkey_from_pkey(rogue, &a.id_key, &err), 0);
	assert_int_equal(idblock_sig_sign(rogue, p.block, sizeof(p.block), &a.id_block_sig, &err),
			 0);
	id_auth_write(&a, p.auth);
	expect_sig_fail(&p, true, "ID_KEY_SIG");
	/* Without the author key the firmware accepts it, and the digest is the rogue key's. */
	assert_int_equal(idblock_verify_auth(p.block, p.auth, false, d1, d2, &err), 0);
	b64(IDV_ID_DIGEST_B64, want, sizeof(want));
	assert_memory_not_equal(d1, want, 48);
	EVP_PKEY_free(rogue);
}

static void idblock_verify_auth_parse_errors_pass_through(void **state)
{
	uint8_t d1[48], d2[48];
	struct snp_err err = { 0 };
	struct signed_pair p;

	(void)state;
	sign_vector(&p, true);
	p.auth[0x240] = 3;
	assert_int_equal(idblock_verify_auth(p.block, p.auth, true, d1, d2, &err),
			 SNP_E_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "ID_KEY: CURVE"));
	sign_vector(&p, true);
	p.block[0x50] = 9;
	assert_int_equal(idblock_verify_auth(p.block, p.auth, true, d1, d2, &err), SNP_E_VERSION);
	assert_non_null(strstr(err.msg, "VERSION"));
}

/*
 * Without AUTHOR_KEY_EN the firmware ignores the author fields: a malformed
 * AUTHOR_KEY or ID_KEY_SIG does not matter then, and does with the bit set.
 */
static void idblock_verify_auth_ignores_author_fields_when_disabled(void **state)
{
	uint8_t d1[48], d2[48];
	struct snp_err err = { 0 };
	struct signed_pair p;

	(void)state;
	sign_vector(&p, true);
	p.auth[0x880] = 3;            /* AUTHOR_KEY curve */
	p.auth[0x680 + 0x48 + 60] = 1; /* ID_KEY_SIG S, a must-be-zero byte */
	assert_int_equal(idblock_verify_auth(p.block, p.auth, false, d1, d2, &err), 0);
	assert_int_equal(idblock_verify_auth(p.block, p.auth, true, d1, d2, &err),
			 SNP_E_RESERVED);
	/* The ID key's own fields still count. */
	p.auth[0x240] = 3;
	assert_int_equal(idblock_verify_auth(p.block, p.auth, false, d1, d2, &err),
			 SNP_E_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "ID_KEY: CURVE"));
}

/* OpenSSL writes key as PKCS#8 PEM to dir/name; path receives the file name. */
static void write_pem(const char *dir, const char *name, EVP_PKEY *key, char *path, size_t size)
{
	FILE *f;

	snprintf(path, size, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
	assert_int_equal(fclose(f), 0);
}

static void idblock_key_load_pkcs8_and_errors(void **state)
{
	char *dir = tmpdir_make(), path[512];
	struct snp_err err = { 0 };
	EVP_PKEY *k = NULL, *src = pem_key(IDV_ID_KEY), *p256 = EVP_EC_gen("P-256");
	struct snp_pubkey pk;
	uint8_t got[48], want[48];

	(void)state;
	assert_non_null(p256);
	/* PKCS#8 ("BEGIN PRIVATE KEY") written by OpenSSL from the SEC1 test key. */
	write_pem(dir, "pkcs8.pem", src, path, sizeof(path));
	if (idblock_key_load(path, &k, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(idblock_pubkey_from_pkey(k, &pk, &err), 0);
	assert_int_equal(idblock_key_digest(&pk, got, &err), 0);
	b64(IDV_ID_DIGEST_B64, want, sizeof(want));
	assert_memory_equal(got, want, 48);
	EVP_PKEY_free(k);

	write_pem(dir, "p256.pem", p256, path, sizeof(path));
	assert_int_equal(idblock_key_load(path, &k, &err), SNP_E_INVALID);
	assert_null(k);
	assert_non_null(strstr(err.msg, "not P-384"));

	assert_int_equal(idblock_key_from_pem("hello", 5, "--id-key", &k, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "--id-key: not a PEM private key"));
	assert_null(k);

	snprintf(path, sizeof(path), "%s/missing.pem", dir);
	assert_int_equal(idblock_key_load(path, &k, &err), SNP_E_SYS);
	assert_null(k);

	EVP_PKEY_free(src);
	EVP_PKEY_free(p256);
	rm_rf(dir);
	free(dir);
}

static void idblock_make_checks_policy_and_self_verifies(void **state)
{
	EVP_PKEY *id = load(IDV_ID_KEY), *au = load(IDV_AUTHOR_KEY);
	uint8_t want[48], ld[48] = { 0 };
	struct idblock_result r;
	struct snp_err err = { 0 };
	struct snp_id_block b;

	(void)state;
	idblock_init(&b, ld);
	b.policy = 0x10000; /* bit 17 missing */
	assert_int_equal(idblock_make(&b, id, au, &r, &err), SNP_E_RESERVED);
	assert_non_null(strstr(err.msg, "POLICY"));
	idblock_init(&b, ld);
	b.guest_svn = 7;
	b.family_id[0] = 0xfa;
	if (idblock_make(&b, id, au, &r, &err) != 0)
		fail_msg("%s", err.msg);
	assert_true(r.author_key_en);
	assert_int_equal(r.id_block[0x54], 7);
	assert_int_equal(r.id_block[0x30], 0xfa);
	b64(IDV_AUTHOR_DIGEST_B64, want, sizeof(want));
	assert_memory_equal(r.author_key_digest, want, 48);
	EVP_PKEY_free(id);
	EVP_PKEY_free(au);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(idblock_init_matches_vectors),
		cmocka_unit_test(idblock_key_digest_matches_vectors),
		cmocka_unit_test(idblock_sign_verifies_independently),
		cmocka_unit_test(idblock_sign_without_author),
		cmocka_unit_test(idblock_verify_auth_accepts_and_digests),
		cmocka_unit_test(idblock_verify_auth_flipped_bytes_fail),
		cmocka_unit_test(idblock_verify_auth_swapped_id_key_fails_author_sig),
		cmocka_unit_test(idblock_verify_auth_parse_errors_pass_through),
		cmocka_unit_test(idblock_verify_auth_ignores_author_fields_when_disabled),
		cmocka_unit_test(idblock_key_load_pkcs8_and_errors),
		cmocka_unit_test(idblock_make_checks_policy_and_self_verifies),
	};

	return cmocka_run_group_tests_name("measure/idblock", tests, NULL, NULL);
}
