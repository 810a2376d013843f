/*
 * abi/cert-table.c: GUIDs as in GHCB spec 56421, write/parse round trip,
 * and every bounds rule of the parser; then a real VCEK delivered through a
 * table verifies. (Lives under tests/attest: the table's only consumer.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "abi/cert-table.h"
#include "abi/endian.h"
#include "abi/report.h"
#include "attest/certs.h"
#include "attest/verify.h"
#include "tests/common/testutil.h"
#include "util/hex.h"

static void guids_match_reference(void **state)
{
	static const struct {
		const uint8_t *guid;
		const char *hex;
	} ref[] = {
		{ SNP_CERT_GUID_VCEK, "63da758de6644564adc5f4b93be8accd" },
		{ SNP_CERT_GUID_VLEK, "a8074bc2a25a483eaae639c045a0b8a1" },
		{ SNP_CERT_GUID_ASK, "4ab7b379bbac4fe4a02f05aef327c782" },
		{ SNP_CERT_GUID_ARK, "c0b406a4a803495297433fb6014cd0ae" },
		{ SNP_CERT_GUID_CRL, "92f81bc358114d3d97ffd19f88dc67ea" },
		{ SNP_CERT_GUID_EXTRA_PLATFORM_INFO, "ecae0c0f950243b1afa20ae2e0d565b6" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ref) / sizeof(ref[0]); i++) {
		char hex[33];

		hex_encode(ref[i].guid, 16, hex);
		assert_string_equal(hex, ref[i].hex);
	}
	assert_string_equal(cert_table_guid_name(SNP_CERT_GUID_VLEK), "VLEK");
}

static void write_then_parse(void **state)
{
	static const uint8_t a[] = "first blob", b[] = "second";
	struct snp_cert_blob blobs[2];
	struct snp_cert_table t;
	struct snp_err err = { 0 };
	const uint8_t *p;
	uint8_t *buf = NULL;
	size_t len, n;

	(void)state;
	memcpy(blobs[0].guid, SNP_CERT_GUID_VCEK, 16);
	blobs[0].data = a;
	blobs[0].len = sizeof(a);
	memcpy(blobs[1].guid, SNP_CERT_GUID_ASK, 16);
	blobs[1].data = b;
	blobs[1].len = sizeof(b);
	assert_int_equal(cert_table_write(blobs, 2, &buf, &len, &err), 0);
	/* Layout by hand: 3 entries of 24 bytes, then the blobs in order. */
	assert_int_equal(len, 72 + sizeof(a) + sizeof(b));
	assert_memory_equal(buf, SNP_CERT_GUID_VCEK, 16);
	assert_int_equal(le32_get(buf + 16), 72);
	assert_int_equal(le32_get(buf + 20), sizeof(a));
	assert_int_equal(le32_get(buf + 24 + 16), 72 + sizeof(a));
	for (int i = 48; i < 72; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(cert_table_parse(buf, len, &t, &err), 0);
	assert_int_equal(t.n, 2);
	p = cert_table_find(&t, SNP_CERT_GUID_ASK, &n);
	assert_non_null(p);
	assert_int_equal(n, sizeof(b));
	assert_memory_equal(p, b, sizeof(b));
	assert_null(cert_table_find(&t, SNP_CERT_GUID_ARK, &n));
	free(buf);

	/* Duplicate GUIDs are refused by the writer as well. */
	memcpy(blobs[1].guid, SNP_CERT_GUID_VCEK, 16);
	assert_int_equal(cert_table_write(blobs, 2, &buf, &len, &err), SNP_E_INVALID);
	assert_null(buf);
}

/* A one-entry table over a 100-byte buffer with the given offset and length. */
static void put_entry(uint8_t *buf, size_t i, const uint8_t *guid, uint32_t off, uint32_t len)
{
	memcpy(buf + 24 * i, guid, 16);
	le32_put(buf + 24 * i + 16, off);
	le32_put(buf + 24 * i + 20, len);
}

static void parse_bounds(void **state)
{
	uint8_t buf[100];
	struct snp_cert_table t;
	struct snp_err err = { 0 };

	(void)state;
	/* Good: offset 48 (after entry + terminator), 52 bytes. */
	memset(buf, 0, sizeof(buf));
	put_entry(buf, 0, SNP_CERT_GUID_VCEK, 48, 52);
	assert_int_equal(cert_table_parse(buf, sizeof(buf), &t, &err), 0);
	assert_int_equal(t.n, 1);
	/* Offset inside the entry array (the terminator). */
	put_entry(buf, 0, SNP_CERT_GUID_VCEK, 40, 8);
	assert_int_equal(cert_table_parse(buf, sizeof(buf), &t, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "inside the entry array"));
	assert_int_equal(t.n, 0);
	/* One byte past the end. */
	put_entry(buf, 0, SNP_CERT_GUID_VCEK, 48, 53);
	assert_int_equal(cert_table_parse(buf, sizeof(buf), &t, &err), SNP_E_TRUNCATED);
	assert_non_null(strstr(err.msg, "entry 0"));
	/* offset + length overflows 32 and would wrap a naive check. */
	put_entry(buf, 0, SNP_CERT_GUID_VCEK, 0xffffffffu, 2);
	assert_int_equal(cert_table_parse(buf, sizeof(buf), &t, &err), SNP_E_TRUNCATED);
	put_entry(buf, 0, SNP_CERT_GUID_VCEK, 48, 0xffffffffu);
	assert_int_equal(cert_table_parse(buf, sizeof(buf), &t, &err), SNP_E_TRUNCATED);
	/* Duplicate GUIDs. */
	memset(buf, 0, sizeof(buf));
	put_entry(buf, 0, SNP_CERT_GUID_VCEK, 72, 4);
	put_entry(buf, 1, SNP_CERT_GUID_VCEK, 76, 4);
	assert_int_equal(cert_table_parse(buf, sizeof(buf), &t, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "duplicate GUID"));
	/* No terminator before the end of the buffer. */
	memset(buf, 0, sizeof(buf));
	put_entry(buf, 0, SNP_CERT_GUID_VCEK, 0, 0);
	put_entry(buf, 1, SNP_CERT_GUID_ASK, 0, 0);
	put_entry(buf, 2, SNP_CERT_GUID_ARK, 0, 0);
	put_entry(buf, 3, SNP_CERT_GUID_VLEK, 0, 0);
	assert_int_equal(cert_table_parse(buf, 96, &t, &err), SNP_E_TRUNCATED);
	/* A zero GUID with a non-zero offset is not a terminator. */
	memset(buf, 0, sizeof(buf));
	le32_put(buf + 16, 48);
	assert_int_equal(cert_table_parse(buf, sizeof(buf), &t, &err), SNP_E_INVALID);
	/* Empty table: just the terminator. */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(cert_table_parse(buf, 24, &t, &err), 0);
	assert_int_equal(t.n, 0);
	assert_int_equal(cert_table_parse(buf, 23, &t, &err), SNP_E_TRUNCATED);
}

static void too_many_entries(void **state)
{
	size_t n = SNP_CERT_TABLE_MAX + 2;
	uint8_t *buf = calloc(n, 24);
	struct snp_cert_table t;
	struct snp_err err = { 0 };

	(void)state;
	assert_non_null(buf);
	for (size_t i = 0; i + 1 < n; i++) {
		uint8_t guid[16] = { 1 };

		guid[15] = (uint8_t)i;
		put_entry(buf, i, guid, 0, 0);
	}
	assert_int_equal(cert_table_parse(buf, n * 24, &t, &err), SNP_E_INVALID);
	free(buf);
}

/* The Milan VCEK, ASK and a fake ARK GUID entry pointing at the real ARK, via a table. */
static void table_delivers_vcek(void **state)
{
	struct snp_cert_blob blobs[2];
	struct snp_err err = { 0 };
	struct verify_result res;
	struct verify_opts opts = { .now = 1795305600 };
	struct verifier *v = NULL;
	struct certs c;
	size_t vlen, rlen, tlen;
	uint8_t *vek = tdata_read("attest/trustee/test-vcek.der", &vlen);
	uint8_t *rep = tdata_read("attest/trustee/test-report.bin", &rlen), *table = NULL;

	(void)state;
	memcpy(blobs[0].guid, SNP_CERT_GUID_VCEK, 16);
	blobs[0].data = vek;
	blobs[0].len = vlen;
	memcpy(blobs[1].guid, SNP_CERT_GUID_CRL, 16); /* ignored by the loader */
	blobs[1].data = (const uint8_t *)"x";
	blobs[1].len = 1;
	assert_int_equal(cert_table_write(blobs, 2, &table, &tlen, &err), 0);
	certs_init(&c);
	if (certs_load_table(&c, table, tlen, &err) != 0)
		fail_msg("%s", err.msg);
	assert_non_null(c.vcek);
	assert_int_equal(verifier_new(&v, &err), 0);
	if (verify_report(v, rep, rlen, &c, &opts, &res, &err) != 0)
		fail_msg("%s", err.msg);
	certs_free(&c);
	verifier_free(v);
	free(table);
	free(vek);
	free(rep);
}

/*
 * attest/certs.h's cert_cache: the same entry bytes give the same X509 (one
 * parse), other bytes another, a padded entry is still one certificate, and
 * a broken entry is refused as without the cache.
 */
static void table_cache_parses_once(void **state)
{
	struct snp_cert_blob b = { 0 };
	struct snp_err err = { 0 };
	struct cert_cache *cc = NULL;
	struct certs c1, c2, c3;
	size_t vlen, tlen, t2len, t3len;
	uint8_t *vek = tdata_read("attest/trustee/test-vcek.der", &vlen);
	uint8_t *padded = malloc(vlen + 8), *bad = malloc(vlen);
	uint8_t *table = NULL, *table2 = NULL, *table3 = NULL;

	(void)state;
	assert_non_null(padded);
	assert_non_null(bad);
	memcpy(b.guid, SNP_CERT_GUID_VCEK, 16);
	b.data = vek;
	b.len = vlen;
	assert_int_equal(cert_table_write(&b, 1, &table, &tlen, &err), 0);
	memcpy(padded, vek, vlen);
	memset(padded + vlen, 0, 8);
	b.data = padded;
	b.len = vlen + 8;
	assert_int_equal(cert_table_write(&b, 1, &table2, &t2len, &err), 0);
	memcpy(bad, vek, vlen);
	bad[0] = 0x31; /* a SET, not the certificate SEQUENCE */
	b.data = bad;
	b.len = vlen;
	assert_int_equal(cert_table_write(&b, 1, &table3, &t3len, &err), 0);

	assert_int_equal(cert_cache_new(&cc, &err), 0);
	certs_init(&c1);
	certs_init(&c2);
	certs_init(&c3);
	assert_int_equal(certs_load_table_cached(&c1, cc, table, tlen, &err), 0);
	assert_int_equal(certs_load_table_cached(&c2, cc, table, tlen, &err), 0);
	assert_non_null(c1.vcek);
	assert_ptr_equal(c1.vcek, c2.vcek);
	assert_int_equal(certs_load_table_cached(&c3, cc, table2, t2len, &err), 0);
	assert_non_null(c3.vcek);
	assert_ptr_not_equal(c3.vcek, c1.vcek);
	assert_int_equal(X509_cmp(c3.vcek, c1.vcek), 0);
	certs_free(&c3);
	certs_init(&c3);
	assert_int_not_equal(certs_load_table_cached(&c3, cc, table3, t3len, &err), 0);
	certs_free(&c3);
	/* The references outlive the cache. */
	cert_cache_free(cc);
	assert_non_null(X509_get_subject_name(c2.vcek));
	certs_free(&c1);
	certs_free(&c2);
	free(table);
	free(table2);
	free(table3);
	free(padded);
	free(bad);
	free(vek);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(guids_match_reference),
		cmocka_unit_test(write_then_parse),
		cmocka_unit_test(parse_bounds),
		cmocka_unit_test(too_many_entries),
		cmocka_unit_test(table_delivers_vcek),
		cmocka_unit_test(table_cache_parses_once),
	};

	return cmocka_run_group_tests_name("abi/cert-table", tests, NULL, NULL);
}
