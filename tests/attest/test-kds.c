/*
 * attest/kds.c with an in-process fake fetcher (no network): the URLs asked
 * for, 404, retry on 429/5xx with bounded backoff, the size cap, and the
 * cache (write after verification, hit without network, corruption refused
 * by the verifier).
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
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "abi/report.h"
#include "attest/certs.h"
#include "attest/kds.h"
#include "attest/verify.h"
#include "tests/attest/kds-vectors.h"
#include "tests/common/testutil.h"
#include "util/file.h"

#define BASE "https://kds.example"
#define NOW ((time_t)1795305600) /* 2026-11-22T00:00:00Z */
#define MAX_CALLS 8

struct fake_rsp {
	int ret;     /* returned by get; SNP_E_SYS: a transport error */
	long status;
	const uint8_t *body;
	size_t len;
};

struct fake {
	struct fake_rsp rsp[MAX_CALLS]; /* answers in order; the last one repeats */
	size_t nrsp, ncalls;
	char urls[MAX_CALLS][800];
	unsigned slept[MAX_CALLS];
	size_t nsleeps;
};

static int fake_get(void *ctx, const char *url, uint8_t **body, size_t *len, long *status,
		    struct snp_err *err)
{
	struct fake *f = ctx;
	const struct fake_rsp *r = &f->rsp[f->ncalls < f->nrsp ? f->ncalls : f->nrsp - 1];

	assert_true(f->ncalls < MAX_CALLS);
	snprintf(f->urls[f->ncalls++], sizeof(f->urls[0]), "%s", url);
	*body = NULL;
	*len = 0;
	if (r->ret)
		return snp_errf(err, r->ret, "connection refused (fake)");
	*status = r->status;
	if (r->len) {
		*body = malloc(r->len);
		assert_non_null(*body);
		memcpy(*body, r->body, r->len);
		*len = r->len;
	}
	return 0;
}

static void fake_sleep(void *ctx, unsigned ms)
{
	struct fake *f = ctx;

	assert_true(f->nsleeps < MAX_CALLS);
	f->slept[f->nsleeps++] = ms;
}

static struct kds_opts opts_for(struct fake *f, const char *base, const char *cache)
{
	return (struct kds_opts){
		.base_url = base,
		.cache_dir = cache,
		.fetch = { .get = fake_get, .ctx = f },
		.backoff_ms = 7,
		.sleep_ms = fake_sleep,
		.sleep_ctx = f,
	};
}

static void answer(struct fake *f, long status, const uint8_t *body, size_t len)
{
	assert_true(f->nrsp < MAX_CALLS);
	f->rsp[f->nrsp++] = (struct fake_rsp){ .status = status, .body = body, .len = len };
}

/* DER of the first certificate in tests/data/<rel> (PEM), converted with OpenSSL. */
static uint8_t *pem_to_der(const char *rel, size_t *len)
{
	size_t n;
	uint8_t *pem = tdata_read(rel, &n), *der = NULL, *copy;
	BIO *bio = BIO_new_mem_buf(pem, (int)n);
	X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	int dlen;

	assert_non_null(x);
	dlen = i2d_X509(x, &der);
	assert_true(dlen > 0);
	copy = malloc((size_t)dlen);
	memcpy(copy, der, (size_t)dlen);
	*len = (size_t)dlen;
	OPENSSL_free(der);
	X509_free(x);
	BIO_free(bio);
	free(pem);
	return copy;
}

/* The VCEK URL of each product, as hand-written in kds-vectors.h. */
static void kds_vek_get_asks_for_the_right_url(void **state)
{
	static const struct {
		const char *report, *vcek, *want;
	} v[] = {
		{ "attest/mstav/milan_attestation_report.bin", "attest/mstav/milan_vcek.pem",
		  BASE KV_MILAN_VCEK },
		{ "attest/mstav/genoa_attestation_report.bin", "attest/mstav/genoa_vcek.pem",
		  BASE KV_GENOA_VCEK },
		{ "attest/mstav/turin_attestation_report.bin", "attest/mstav/turin_vcek.pem",
		  BASE KV_TURIN_VCEK },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct fake f = { 0 };
		struct kds_opts o = opts_for(&f, BASE, NULL);
		struct snp_report rep;
		struct snp_err err = { 0 };
		struct kds_vek k;
		size_t dlen;
		uint8_t *der = pem_to_der(v[i].vcek, &dlen);

		tdata_report(v[i].report, &rep);
		answer(&f, 200, der, dlen);
		if (kds_vek_get(&o, &rep, report_product(&rep), false, &k, &err) != 0)
			fail_msg("%s: %s", v[i].report, err.msg);
		assert_int_equal(f.ncalls, 1);
		assert_string_equal(f.urls[0], v[i].want);
		assert_int_equal(k.vcek_len, dlen);
		assert_memory_equal(k.vcek, der, dlen);
		assert_false(k.vcek_cached);
		assert_null(k.chain);
		kds_vek_free(&k);
		free(der);
	}
}

/* 404 names the path; a VLEK-signed report is refused before any request. */
static void kds_404_and_vlek_refused(void **state)
{
	struct fake f = { 0 };
	struct kds_opts o = opts_for(&f, BASE, NULL);
	struct snp_report rep;
	struct snp_err err = { 0 };
	struct kds_vek k;

	(void)state;
	tdata_report("attest/mstav/milan_attestation_report.bin", &rep);
	answer(&f, 404, (const uint8_t *)"Not Found", 9);
	assert_int_equal(kds_vek_get(&o, &rep, SNP_PRODUCT_MILAN, false, &k, &err), SNP_E_CHAIN);
	assert_non_null(strstr(err.msg, "404"));
	assert_non_null(strstr(err.msg, "no certificate for this chip/TCB"));
	assert_non_null(strstr(err.msg, "/vcek/v1/Milan/4ffb5cb4"));
	assert_int_equal(f.ncalls, 1); /* a 404 is an answer: no retry */
	assert_int_equal(f.nsleeps, 0);
	assert_null(k.vcek);

	memset(&f, 0, sizeof(f));
	tdata_report("attest/trustee/test-vlek-report.bin", &rep);
	answer(&f, 200, (const uint8_t *)"x", 1);
	assert_int_equal(kds_vek_get(&o, &rep, SNP_PRODUCT_MILAN, false, &k, &err),
			 SNP_E_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "VLEK"));
	assert_int_equal(f.ncalls, 0);
}

/* 429 then 200 succeeds after one backoff; retries are bounded in number and delay. */
static void kds_retries_are_bounded(void **state)
{
	struct fake f = { 0 };
	struct kds_opts o = opts_for(&f, BASE, NULL);
	struct snp_err err = { 0 };
	uint8_t *body = NULL;
	size_t len = 0;

	(void)state;
	answer(&f, 429, NULL, 0);
	answer(&f, 200, (const uint8_t *)"abc", 3);
	assert_int_equal(kds_get(&o, BASE "/x", &body, &len, &err), 0);
	assert_int_equal(f.ncalls, 2);
	assert_int_equal(f.nsleeps, 1);
	assert_int_equal(f.slept[0], 7);
	assert_int_equal(len, 3);
	assert_memory_equal(body, "abc", 3);
	free(body);

	memset(&f, 0, sizeof(f));
	body = NULL;
	answer(&f, 503, NULL, 0); /* repeats */
	assert_int_equal(kds_get(&o, BASE "/vcek/v1/Milan/crl", &body, &len, &err), SNP_E_SYS);
	assert_int_equal(f.ncalls, 3);
	assert_int_equal(f.nsleeps, 2);
	assert_int_equal(f.slept[0], 7);
	assert_int_equal(f.slept[1], 14);
	assert_non_null(strstr(err.msg, "HTTP 503"));
	assert_non_null(strstr(err.msg, "/vcek/v1/Milan/crl"));
	assert_null(body);

	/* tries beyond KDS_TRIES are capped; a large backoff is capped at 5 s. */
	memset(&f, 0, sizeof(f));
	o.tries = 50;
	o.backoff_ms = 60000;
	answer(&f, 429, NULL, 0);
	assert_int_equal(kds_get(&o, BASE "/x", &body, &len, &err), SNP_E_SYS);
	assert_int_equal(f.ncalls, KDS_TRIES);
	assert_int_equal(f.slept[0], 5000);
	assert_int_equal(f.slept[1], 10000);

	/* A transport error is not retried; 400 and 302 are answers, not retried either. */
	memset(&f, 0, sizeof(f));
	o = opts_for(&f, BASE, NULL);
	f.rsp[0].ret = SNP_E_SYS;
	f.nrsp = 1;
	assert_int_equal(kds_get(&o, BASE "/x", &body, &len, &err), SNP_E_SYS);
	assert_int_equal(f.ncalls, 1);
	assert_non_null(strstr(err.msg, "connection refused"));
	memset(&f, 0, sizeof(f));
	answer(&f, 302, NULL, 0);
	assert_int_equal(kds_get(&o, BASE "/x", &body, &len, &err), SNP_E_SYS);
	assert_int_equal(f.ncalls, 1);
	assert_non_null(strstr(err.msg, "HTTP 302"));
}

static void kds_body_cap(void **state)
{
	struct fake f = { 0 };
	struct kds_opts o = opts_for(&f, BASE, NULL);
	struct snp_err err = { 0 };
	uint8_t *big = calloc(1, KDS_MAX_BODY + 1), *body = NULL;
	size_t len = 0;

	(void)state;
	assert_non_null(big);
	answer(&f, 200, big, KDS_MAX_BODY + 1);
	assert_int_equal(kds_get(&o, BASE "/x", &body, &len, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "65537 bytes"));
	assert_null(body);
	memset(&f, 0, sizeof(f));
	answer(&f, 200, big, KDS_MAX_BODY);
	assert_int_equal(kds_get(&o, BASE "/x", &body, &len, &err), 0);
	assert_int_equal(len, KDS_MAX_BODY);
	free(body);
	/* A smaller configured cap; an empty 200 is refused too. */
	memset(&f, 0, sizeof(f));
	o.max_body = 100;
	answer(&f, 200, big, 101);
	assert_int_equal(kds_get(&o, BASE "/x", &body, &len, &err), SNP_E_INVALID);
	memset(&f, 0, sizeof(f));
	answer(&f, 200, NULL, 0);
	assert_int_equal(kds_get(&o, BASE "/x", &body, &len, &err), SNP_E_INVALID);
	free(big);
}

/* verify_report of raw with the VEK der and nothing else, at NOW. */
static int verify_with(const uint8_t *raw, const uint8_t *der, size_t dlen, struct snp_err *err)
{
	struct verifier *v = NULL;
	struct verify_opts vo = { .now = NOW };
	struct verify_result *res = calloc(1, sizeof(*res));
	struct certs c;
	int ret;

	certs_init(&c);
	assert_int_equal(verifier_new(&v, err), 0);
	ret = certs_add_buf(&c, der, dlen, "cache", err);
	if (ret == 0)
		ret = verify_report(v, raw, SNP_REPORT_SIZE, &c, &vo, res, err);
	certs_free(&c);
	verifier_free(v);
	free(res);
	return ret;
}

static void kds_cache_write_hit_and_corruption(void **state)
{
	struct fake f = { 0 };
	char *dir = tmpdir_make(), path[1200], chain_path[1200];
	struct kds_opts o = opts_for(&f, BASE, dir);
	struct snp_report rep;
	struct snp_err err = { 0 };
	struct kds_vek k;
	struct stat st;
	size_t dlen, rlen, clen;
	uint8_t *der = pem_to_der("attest/mstav/milan_vcek.pem", &dlen);
	uint8_t *raw = tdata_read("attest/mstav/milan_attestation_report.bin", &rlen);
	uint8_t *chain = tdata_read("attest/gosevguest/ask_ark_milan.pem", &clen), *onfile;

	(void)state;
	tdata_report("attest/mstav/milan_attestation_report.bin", &rep);
	snprintf(path, sizeof(path), "%s/vcek/Milan/%s/%s.der", dir, KV_MILAN_HWID, KV_MILAN_TCB);
	snprintf(chain_path, sizeof(chain_path), "%s/vcek/Milan/cert_chain.pem", dir);

	/* A miss: fetched (VCEK, then the chain), nothing written yet. */
	answer(&f, 200, der, dlen);
	answer(&f, 200, chain, clen);
	assert_int_equal(kds_vek_get(&o, &rep, SNP_PRODUCT_MILAN, true, &k, &err), 0);
	assert_int_equal(f.ncalls, 2);
	assert_string_equal(f.urls[1], BASE "/vcek/v1/Milan/cert_chain");
	assert_false(k.vcek_cached);
	assert_false(k.chain_cached);
	assert_int_not_equal(stat(path, &st), 0);
	assert_int_equal(kds_vek_cache_put(&o, &rep, SNP_PRODUCT_MILAN, &k, &err), 0);
	kds_vek_free(&k);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(file_read(path, 1 << 20, &onfile, &rlen, &err), 0);
	assert_int_equal(rlen, dlen);
	assert_memory_equal(onfile, der, dlen);
	free(onfile);
	assert_int_equal(stat(chain_path, &st), 0);
	snprintf(chain_path, sizeof(chain_path), "%s/vcek/Milan/%s", dir, KV_MILAN_HWID);
	assert_int_equal(stat(chain_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);

	/* A hit: no request, online or offline. */
	memset(&f, 0, sizeof(f));
	answer(&f, 500, NULL, 0);
	assert_int_equal(kds_vek_get(&o, &rep, SNP_PRODUCT_MILAN, true, &k, &err), 0);
	assert_int_equal(f.ncalls, 0);
	assert_true(k.vcek_cached);
	assert_true(k.chain_cached);
	assert_int_equal(k.vcek_len, dlen);
	assert_memory_equal(k.vcek, der, dlen);
	assert_int_equal(verify_with(raw, k.vcek, k.vcek_len, &err), 0);
	kds_vek_free(&k);
	o.base_url = NULL;
	assert_int_equal(kds_vek_get(&o, &rep, SNP_PRODUCT_MILAN, false, &k, &err), 0);
	assert_true(k.vcek_cached);
	kds_vek_free(&k);

	/* Corrupted in place (a byte of the signature): served, and refused by verify. */
	der[dlen - 5] ^= 0x01;
	assert_int_equal(file_write_atomic(path, der, dlen, 0644, &err), 0);
	assert_int_equal(kds_vek_get(&o, &rep, SNP_PRODUCT_MILAN, false, &k, &err), 0);
	assert_int_equal(verify_with(raw, k.vcek, k.vcek_len, &err), SNP_E_CHAIN);
	assert_non_null(strstr(err.msg, "vek.signature"));
	kds_vek_free(&k);
	/* Garbage does not even parse as a certificate. */
	assert_int_equal(file_write_atomic(path, "garbage", 7, 0644, &err), 0);
	assert_int_equal(kds_vek_get(&o, &rep, SNP_PRODUCT_MILAN, false, &k, &err), 0);
	assert_int_not_equal(verify_with(raw, k.vcek, k.vcek_len, &err), 0);
	kds_vek_free(&k);

	/* Offline and not cached: refused, naming where it looked. */
	rm_rf(path);
	assert_int_equal(kds_vek_get(&o, &rep, SNP_PRODUCT_MILAN, false, &k, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, KV_MILAN_TCB ".der"));
	/* A library message names what is missing, never a CLI flag. */
	assert_non_null(strstr(err.msg, "no KDS base URL"));
	assert_null(strstr(err.msg, "--"));
	/* No cache and no URL at all. */
	o.cache_dir = NULL;
	assert_int_equal(kds_vek_get(&o, &rep, SNP_PRODUCT_MILAN, false, &k, &err), SNP_E_INVALID);
	rm_rf(dir);
	free(dir);
	free(der);
	free(raw);
	free(chain);
}

/* Turin: the cache key is the 8-byte hwid and the Turin TCB bytes. */
static void kds_cache_turin_path(void **state)
{
	struct fake f = { 0 };
	char *dir = tmpdir_make(), path[1200];
	struct kds_opts o = opts_for(&f, BASE, dir);
	struct snp_report rep;
	struct snp_err err = { 0 };
	struct kds_vek k;
	struct stat st;
	size_t dlen;
	uint8_t *der = pem_to_der("attest/mstav/turin_vcek.pem", &dlen);

	(void)state;
	tdata_report("attest/mstav/turin_attestation_report.bin", &rep);
	answer(&f, 200, der, dlen);
	assert_int_equal(kds_vek_get(&o, &rep, SNP_PRODUCT_TURIN, false, &k, &err), 0);
	assert_int_equal(kds_vek_cache_put(&o, &rep, SNP_PRODUCT_TURIN, &k, &err), 0);
	kds_vek_free(&k);
	snprintf(path, sizeof(path), "%s/vcek/Turin/%s/%s.der", dir, KV_TURIN_HWID, KV_TURIN_TCB);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal((size_t)st.st_size, dlen);
	rm_rf(dir);
	free(dir);
	free(der);
}

static void kds_crl_url_and_parse(void **state)
{
	struct fake f = { 0 };
	struct kds_opts o = opts_for(&f, BASE, NULL);
	struct snp_err err = { 0 };
	X509_CRL *crl = NULL;

	(void)state;
	answer(&f, 200, (const uint8_t *)"not a CRL", 9);
	assert_int_not_equal(kds_crl_get(&o, SNP_PRODUCT_GENOA, SNP_SIGNING_KEY_VLEK, &crl, &err),
			     0);
	assert_string_equal(f.urls[0], BASE "/vlek/v1/Genoa/crl");
	assert_null(crl);
	o.base_url = NULL;
	assert_int_equal(kds_crl_get(&o, SNP_PRODUCT_GENOA, SNP_SIGNING_KEY_VCEK, &crl, &err),
			 SNP_E_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kds_vek_get_asks_for_the_right_url),
		cmocka_unit_test(kds_404_and_vlek_refused),
		cmocka_unit_test(kds_retries_are_bounded),
		cmocka_unit_test(kds_body_cap),
		cmocka_unit_test(kds_cache_write_hit_and_corruption),
		cmocka_unit_test(kds_cache_turin_path),
		cmocka_unit_test(kds_crl_url_and_parse),
	};

	return cmocka_run_group_tests_name("attest/kds", tests, NULL, NULL);
}
