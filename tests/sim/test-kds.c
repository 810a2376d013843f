/* sim/kds.c, sim/kds-routes.c: the KDS URL layout over HTTP on 127.0.0.1, fetched with libcurl. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "sim/kds-routes.h"
#include "sim/kds.h"
#include "sim/store.h"
#include "tests/common/testutil.h"
#include "tests/sim/simtest.h"
#include "util/hex.h"

struct fixture {
	char *dir;
	struct sim_store st;
	struct sim_kds *kds;
	uint16_t port;
};

struct buf {
	uint8_t *p;
	size_t len;
};

static size_t collect(char *data, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;
	uint8_t *q = realloc(b->p, b->len + size * n + 1);

	if (q == NULL)
		return 0;
	memcpy(q + b->len, data, size * n);
	b->p = q;
	b->len += size * n;
	return size * n;
}

/* GET (or another method) path; returns the HTTP status, body in *out. */
static long fetch(const struct fixture *f, const char *method, const char *path, struct buf *out)
{
	CURL *c = curl_easy_init();
	char url[512];
	long code = 0;

	memset(out, 0, sizeof(*out));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", f->port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	if (curl_easy_perform(c) != CURLE_OK)
		fail_msg("curl %s failed", url);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	return code;
}

static int setup(void **state, enum snp_product p)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct snp_err err = { 0 };

	f->dir = simtest_dir(p, SNP_SIGNING_KEY_VCEK);
	if (sim_store_load(f->dir, &f->st, &err) != 0 ||
	    sim_kds_start(&f->st, "127.0.0.1:0", NULL, NULL, &f->kds, &f->port, &err) != 0)
		fail_msg("setup: %s", err.msg);
	assert_int_not_equal(f->port, 0);
	*state = f;
	return 0;
}

static int setup_milan(void **state)
{
	return setup(state, SNP_PRODUCT_MILAN);
}

static int setup_turin(void **state)
{
	return setup(state, SNP_PRODUCT_TURIN);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sim_kds_stop(f->kds);
	sim_store_free(&f->st);
	rm_rf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static uint8_t *file_bytes(const struct fixture *f, const char *name, size_t *len)
{
	char path[1200];
	FILE *fp;
	uint8_t *b;
	long n;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	b = malloc((size_t)n + 1);
	assert_int_equal(fread(b, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return b;
}

/* DER of the PEM certificate DIR/certs/<name>.pem, read with OpenSSL. */
static uint8_t *cert_der(const struct fixture *f, const char *name, size_t *len)
{
	char path[1200];
	FILE *fp;
	X509 *x;
	unsigned char *der = NULL;
	int n;

	snprintf(path, sizeof(path), "%s/certs/%s.pem", f->dir, name);
	fp = fopen(path, "r");
	assert_non_null(fp);
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(x);
	n = i2d_X509(x, &der);
	assert_true(n > 0);
	X509_free(x);
	*len = (size_t)n;
	return der;
}

static void vcek_path(const struct fixture *f, char *buf, size_t len, const char *extra)
{
	const struct sim_platform *p = &f->st.plat;
	char hwid[2 * SNP_CHIP_ID_SIZE + 1];
	int n;

	hex_encode(p->chip_id, snp_product_chip_id_len(p->product), hwid);
	n = snprintf(buf, len, "/vcek/v1/%s/%s?blSPL=%02u&teeSPL=%02u&snpSPL=%02u&ucodeSPL=%02u",
		     snp_product_name(p->product), hwid, p->reported_tcb.bootloader,
		     p->reported_tcb.tee, p->reported_tcb.snp, p->reported_tcb.microcode);
	if (p->product == SNP_PRODUCT_TURIN)
		n += snprintf(buf + n, len - (size_t)n, "&fmcSPL=%02u", p->reported_tcb.fmc);
	snprintf(buf + n, len - (size_t)n, "%s", extra);
}

static void kds_serves_chain_crl_and_vcek(void **state)
{
	struct fixture *f = *state;
	struct buf b;
	size_t ask_len, ark_len, crl_len, vcek_len;
	uint8_t *ask = file_bytes(f, "certs/ask.pem", &ask_len);
	uint8_t *ark = file_bytes(f, "certs/ark.pem", &ark_len);
	uint8_t *crl = file_bytes(f, "crl.der", &crl_len);
	uint8_t *vcek = cert_der(f, "vcek", &vcek_len);
	char path[512];

	assert_int_equal(fetch(f, "GET", "/vcek/v1/Milan/cert_chain", &b), 200);
	assert_int_equal(b.len, ask_len + ark_len);
	assert_memory_equal(b.p, ask, ask_len); /* ASK first, then ARK, as KDS */
	assert_memory_equal(b.p + ask_len, ark, ark_len);
	free(b.p);
	assert_int_equal(fetch(f, "GET", "/vcek/v1/Milan/crl", &b), 200);
	assert_int_equal(b.len, crl_len);
	assert_memory_equal(b.p, crl, crl_len);
	free(b.p);
	vcek_path(f, path, sizeof(path), "");
	assert_int_equal(fetch(f, "GET", path, &b), 200);
	assert_int_equal(b.len, vcek_len);
	assert_memory_equal(b.p, vcek, vcek_len);
	free(b.p);
	free(ask);
	free(ark);
	free(crl);
	OPENSSL_free(vcek);
}

static void kds_refuses_unknown_and_bad(void **state)
{
	struct fixture *f = *state;
	const struct sim_platform *p = &f->st.plat;
	char path[512], hwid[2 * SNP_CHIP_ID_SIZE + 1];
	uint8_t other[SNP_CHIP_ID_SIZE];
	struct buf b;

	/* Another chip: 404. */
	memcpy(other, p->chip_id, sizeof(other));
	other[0] ^= 0xff;
	hex_encode(other, 64, hwid);
	snprintf(path, sizeof(path), "/vcek/v1/Milan/%s?blSPL=4&teeSPL=0&snpSPL=24&ucodeSPL=219",
		 hwid);
	assert_int_equal(fetch(f, "GET", path, &b), 404);
	free(b.p);
	/* Another TCB: 404. */
	hex_encode(p->chip_id, 64, hwid);
	snprintf(path, sizeof(path), "/vcek/v1/Milan/%s?blSPL=3&teeSPL=0&snpSPL=24&ucodeSPL=219",
		 hwid);
	assert_int_equal(fetch(f, "GET", path, &b), 404);
	free(b.p);
	/* Bad parameters: 400. */
	snprintf(path, sizeof(path), "/vcek/v1/Milan/%s?blSPL=4&teeSPL=0&snpSPL=24", hwid);
	assert_int_equal(fetch(f, "GET", path, &b), 400);
	free(b.p);
	snprintf(path, sizeof(path), "/vcek/v1/Milan/%s?blSPL=4&teeSPL=0&snpSPL=x&ucodeSPL=219",
		 hwid);
	assert_int_equal(fetch(f, "GET", path, &b), 400);
	free(b.p);
	snprintf(path, sizeof(path), "/vcek/v1/Milan/%s?blSPL=4&teeSPL=0&snpSPL=24&ucodeSPL=256",
		 hwid);
	assert_int_equal(fetch(f, "GET", path, &b), 400);
	free(b.p);
	vcek_path(f, path, sizeof(path), "&fmcSPL=0"); /* no FMC on Milan */
	assert_int_equal(fetch(f, "GET", path, &b), 400);
	free(b.p);
	assert_int_equal(fetch(f, "GET", "/vcek/v1/Milan/zz?blSPL=4&teeSPL=0&snpSPL=24&ucodeSPL=219",
			       &b),
			 400);
	free(b.p);
	/* Unknown paths and products, the VLEK tree of a VCEK sim: 404; POST: 405. */
	assert_int_equal(fetch(f, "GET", "/vcek/v1/Genoa/cert_chain", &b), 404);
	free(b.p);
	assert_int_equal(fetch(f, "GET", "/vlek/v1/Milan/cert_chain", &b), 404);
	free(b.p);
	assert_int_equal(fetch(f, "GET", "/vcek/v2/Milan/crl", &b), 404);
	free(b.p);
	assert_int_equal(fetch(f, "GET", "/", &b), 404);
	free(b.p);
	assert_int_equal(fetch(f, "POST", "/vcek/v1/Milan/crl", &b), 405);
	free(b.p);
}

/* Turin: 8-byte hwid and fmcSPL; the full 64-byte id is unknown to KDS. */
static void kds_turin_hwid_and_fmc(void **state)
{
	struct fixture *f = *state;
	const struct sim_platform *p = &f->st.plat;
	size_t vcek_len;
	uint8_t *vcek = cert_der(f, "vcek", &vcek_len);
	char path[512], hwid[2 * SNP_CHIP_ID_SIZE + 1];
	struct buf b;

	vcek_path(f, path, sizeof(path), "");
	assert_non_null(strstr(path, "fmcSPL="));
	assert_int_equal(fetch(f, "GET", path, &b), 200);
	assert_int_equal(b.len, vcek_len);
	assert_memory_equal(b.p, vcek, vcek_len);
	free(b.p);
	hex_encode(p->chip_id, 64, hwid);
	snprintf(path, sizeof(path), "/vcek/v1/Turin/%s?blSPL=%u&teeSPL=%u&snpSPL=%u&ucodeSPL=%u"
				     "&fmcSPL=%u",
		 hwid, p->reported_tcb.bootloader, p->reported_tcb.tee, p->reported_tcb.snp,
		 p->reported_tcb.microcode, p->reported_tcb.fmc);
	assert_int_equal(fetch(f, "GET", path, &b), 404);
	free(b.p);
	hex_encode(p->chip_id, 8, hwid);
	snprintf(path, sizeof(path), "/vcek/v1/Turin/%s?blSPL=%u&teeSPL=%u&snpSPL=%u&ucodeSPL=%u",
		 hwid, p->reported_tcb.bootloader, p->reported_tcb.tee, p->reported_tcb.snp,
		 p->reported_tcb.microcode);
	assert_int_equal(fetch(f, "GET", path, &b), 400); /* fmcSPL missing */
	free(b.p);
	OPENSSL_free(vcek);
}

static void kds_listen_address_checked(void **state)
{
	struct fixture *f = *state;
	struct snp_err err = { 0 };
	struct sim_kds *k = NULL;
	uint16_t port;

	assert_int_equal(sim_kds_start(&f->st, "localhost:0", NULL, NULL, &k, &port, &err), SNP_E_INVALID);
	assert_int_equal(sim_kds_start(&f->st, "127.0.0.1", NULL, NULL, &k, &port, &err), SNP_E_INVALID);
	assert_int_equal(sim_kds_start(&f->st, "127.0.0.1:70000", NULL, NULL, &k, &port, &err), SNP_E_INVALID);
	assert_null(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(kds_serves_chain_crl_and_vcek, setup_milan, teardown),
		cmocka_unit_test_setup_teardown(kds_refuses_unknown_and_bad, setup_milan, teardown),
		cmocka_unit_test_setup_teardown(kds_turin_hwid_and_fmc, setup_turin, teardown),
		cmocka_unit_test_setup_teardown(kds_listen_address_checked, setup_milan, teardown),
	};
	int ret;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	ret = cmocka_run_group_tests_name("sim/kds", tests, NULL, NULL);
	curl_global_cleanup();
	return ret;
}
