/*
 * `snpvm verify --kds` over real HTTP on 127.0.0.1: the in-process sim KDS
 * (sim/kds.c, started before the snpvm child so that it serves it), a sim
 * report from `snpvm sim report`, the cache served with the server stopped,
 * and a KDS handing out another chip's VCEK refused by the verifier.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "attest/kds-curl.h"
#include "attest/kds.h"
#include "sim/kds.h"
#include "sim/store.h"
#include "tests/common/testutil.h"
#include "tests/sim/simtest.h"
#include "util/file.h"
#include "util/hex.h"

#define P 1200

struct fixture {
	char *dir, *cache;
	struct sim_store st;
	struct sim_kds *kds;
	char url[64], report[P], root[P];
	char sim_sub[P];                  /* the cache subtree for this sim's root */
	char vcek_path[2 * P], chain_path[2 * P]; /* where the cache must put them */
};

/* snpvm verify ARGS...; fails unless it exits want. */
static void verify(int want, struct run_result *res, const char *const *args)
{
	const char *argv[16] = { "verify" };
	size_t n = 1;

	for (; *args; args++) {
		assert_true(n < 15);
		argv[n++] = *args;
	}
	argv[n] = NULL;
	run_snpvm(argv, NULL, res);
	if (res->status != want)
		fail_msg("verify: exit %d, want %d\nstdout: %s\nstderr: %s", res->status, want,
			 res->out, res->err);
}

static void verify_free(int want, const char *const *args)
{
	struct run_result res;

	verify(want, &res, args);
	run_result_free(&res);
}

static void start(struct fixture *f)
{
	struct snp_err err = { 0 };
	uint16_t port = 0;

	if (sim_kds_start(&f->st, "127.0.0.1:0", NULL, NULL, &f->kds, &port, &err) != 0)
		fail_msg("sim_kds_start: %s", err.msg);
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%u", port);
}

static int setup(void **state, enum snp_product product)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct snp_err err = { 0 };
	struct run_result res;
	char hwid[2 * SNP_CHIP_ID_SIZE + 1], tcb[17];
	uint8_t *raw;
	size_t len;

	f->dir = simtest_dir(product, SNP_SIGNING_KEY_VCEK);
	f->cache = tmpdir_make();
	snprintf(f->report, sizeof(f->report), "%s/r.bin", f->dir);
	snprintf(f->root, sizeof(f->root), "%s/certs/ark.pem", f->dir);
	{
		const char *argv[] = { "sim", "report", "--dir", f->dir, "--report-data", "5eed",
				       "--out", f->report, NULL };

		run_snpvm(argv, NULL, &res);
		if (res.status != 0)
			fail_msg("sim report: %d: %s", res.status, res.err);
		run_result_free(&res);
	}
	if (sim_store_load(f->dir, &f->st, &err) != 0)
		fail_msg("sim_store_load: %s", err.msg);
	start(f);
	/* The cache key, from the report's bytes: CHIP_ID at 0x1A0, REPORTED_TCB at 0x180. */
	assert_int_equal(file_read(f->report, 4096, &raw, &len, &err), 0);
	assert_int_equal(len, SNP_REPORT_SIZE);
	hex_encode(raw + 0x1a0, product == SNP_PRODUCT_TURIN ? 8 : 64, hwid);
	hex_encode(raw + 0x180, 8, tcb);
	free(raw);
	/*
	 * Verified under a simulated root, the entries live in the subtree named by
	 * that root's SHA-256 (first 8 bytes), computed here with the openssl CLI.
	 */
	{
		char cmd[2048], line[256];
		FILE *p;

		snprintf(cmd, sizeof(cmd),
			 "openssl x509 -in '%s' -outform DER | openssl dgst -sha256 -r", f->root);
		p = popen(cmd, "r");
		assert_non_null(p);
		assert_non_null(fgets(line, sizeof(line), p));
		assert_int_equal(pclose(p), 0);
		line[16] = '\0';
		snprintf(f->sim_sub, sizeof(f->sim_sub), "%s/sim-%s", f->cache, line);
	}
	snprintf(f->vcek_path, sizeof(f->vcek_path), "%s/vcek/%s/%s/%s.der", f->sim_sub,
		 snp_product_name(product), hwid, tcb);
	snprintf(f->chain_path, sizeof(f->chain_path), "%s/vcek/%s/cert_chain.pem", f->sim_sub,
		 snp_product_name(product));
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
	rm_rf(f->cache);
	free(f->dir);
	free(f->cache);
	free(f);
	return 0;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Fetched over HTTP, verified only with the sim root; cached; then served offline. */
static void kds_fetch_verify_cache_offline(void **state)
{
	struct fixture *f = *state;
	struct run_result res;
	char want[64];

	{
		const char *a[] = { "--report", f->report, "--kds", f->url, "--trust-sim-root",
				    f->root, NULL };

		verify(0, &res, a);
		snprintf(want, sizeof(want), "verified and appraised: %s VCEK-signed",
			 snp_product_name(f->st.plat.product));
		if (!strstr(res.out, want))
			fail_msg("stdout '%s', want '%s'", res.out, want);
		assert_non_null(strstr(res.out, "[SIMULATED ROOT]"));
		run_result_free(&res);
	}
	{
		/* The sim's chain is not AMD's: never trusted without --trust-sim-root. */
		const char *a[] = { "--report", f->report, "--kds", f->url, NULL };

		verify(1, &res, a);
		run_result_free(&res);
	}
	{
		/* --kds-crl: the sim's ARK-signed CRL is fetched and checked. */
		const char *a[] = { "--report", f->report, "--kds", f->url, "--kds-crl",
				    "--trust-sim-root", f->root, "--json", NULL };

		verify(0, &res, a);
		assert_non_null(strstr(res.out, "\"crl\""));
		run_result_free(&res);
	}
	{
		const char *a[] = { "--report", f->report, "--kds", f->url, "--kds-cache", f->cache,
				    "--trust-sim-root", f->root, NULL };

		assert_false(exists(f->vcek_path));
		verify_free(0, a);
		assert_true(exists(f->vcek_path));
		assert_true(exists(f->chain_path));
		{
			/* Nothing verified under the sim root lands in the AMD-anchored tree. */
			char amd_tree[P + 8];

			snprintf(amd_tree, sizeof(amd_tree), "%s/vcek", f->cache);
			assert_false(exists(amd_tree));
		}
	}
	sim_kds_stop(f->kds);
	f->kds = NULL;
	{
		/* Server gone: the cache answers, with or without --kds. */
		const char *a[] = { "--report", f->report, "--kds", f->url, "--kds-cache", f->cache,
				    "--trust-sim-root", f->root, NULL };
		const char *b[] = { "--report", f->report, "--kds-cache", f->cache,
				    "--trust-sim-root", f->root, NULL };

		verify_free(0, a);
		verify_free(0, b);
	}
	{
		/* --kds-crl is fail-closed: the VCEK is cached, but the CRL cannot be fetched. */
		const char *a[] = { "--report", f->report, "--kds", f->url, "--kds-cache", f->cache,
				    "--kds-crl", "--trust-sim-root", f->root, NULL };

		verify(3, &res, a);
		assert_non_null(strstr(res.err, "/crl"));
		run_result_free(&res);
	}
	{
		/* Server gone, no cache: a transport failure (exit 3) naming KDS. */
		const char *a[] = { "--report", f->report, "--kds", f->url, "--trust-sim-root",
				    f->root, NULL };

		verify(3, &res, a);
		assert_non_null(strstr(res.err, "KDS"));
		run_result_free(&res);
	}
	{
		/* Offline, empty cache: no VEK (exit 2, as vek.present), naming the entry. */
		char *empty = tmpdir_make();
		const char *a[] = { "--report", f->report, "--kds-cache", empty,
				    "--trust-sim-root", f->root, NULL };

		verify(2, &res, a);
		assert_non_null(strstr(res.err, "no VCEK for this chip/TCB"));
		run_result_free(&res);
		rm_rf(empty);
		free(empty);
	}
}

/* A corrupted cache entry can only cause a refusal; it is not replaced by a good one. */
/*
 * An https KDS (the sim's, behind a certificate for localhost): verify fetches
 * through it when --kds-ca-file names the certificate's issuer, and refuses it
 * otherwise (the system's CAs do not know it).
 */
static void kds_over_https_with_its_ca_file(void **state)
{
	struct fixture *f = *state;
	struct snp_err err = { 0 };
	struct sim_kds *k = NULL;
	struct run_result res;
	char *tls = tmpdir_make(), cert[P], key[P], url[64];
	uint16_t port = 0;

	tls_selfsigned(tls, "DNS:localhost", cert, key, sizeof(cert));
	if (sim_kds_start(&f->st, "127.0.0.1:0", cert, key, &k, &port, &err) != 0)
		fail_msg("sim_kds_start TLS: %s", err.msg);
	snprintf(url, sizeof(url), "https://localhost:%u", port);
	{
		const char *a[] = { "--report", f->report, "--kds", url, "--kds-ca-file", cert,
				    "--trust-sim-root", f->root, "--kds-crl", NULL };

		verify(0, &res, a);
		assert_non_null(strstr(res.out, "verified and appraised"));
		run_result_free(&res);
	}
	{
		const char *a[] = { "--report", f->report, "--kds", url, "--trust-sim-root",
				    f->root, NULL };

		verify(3, &res, a); /* the fetch failed: no verdict */
		if (!strstr(res.err, "SSL certificate problem"))
			fail_msg("stderr: %s", res.err);
		run_result_free(&res);
	}
	sim_kds_stop(k);
	rm_rf(tls);
	free(tls);
}

static void kds_corrupt_cache_refused(void **state)
{
	struct fixture *f = *state;
	struct snp_err err = { 0 };
	struct run_result res;
	uint8_t *der, *again;
	size_t len, len2;
	const char *a[] = { "--report", f->report, "--kds", f->url, "--kds-cache", f->cache,
			    "--trust-sim-root", f->root, NULL };

	verify_free(0, a);
	assert_int_equal(file_read(f->vcek_path, 1 << 16, &der, &len, &err), 0);
	der[len - 3] ^= 0x40; /* inside the ASK's signature on the VCEK */
	assert_int_equal(file_write_atomic(f->vcek_path, der, len, 0644, &err), 0);
	verify(1, &res, a); /* even with the KDS up: the cache entry is used and refused */
	assert_non_null(strstr(res.err, "vek.signature"));
	run_result_free(&res);
	assert_int_equal(file_read(f->vcek_path, 1 << 16, &again, &len2, &err), 0);
	assert_int_equal(len2, len);
	assert_memory_equal(again, der, len); /* left as it was, for the operator to see */
	free(again);
	free(der);
}

/*
 * A KDS that answers this chip's URL with another chip's VCEK (the Turin
 * sim's, served as if it were this Milan chip's): refused, even with both
 * sims' roots trusted, and nothing is cached.
 */
static void kds_other_chips_vcek_refused(void **state)
{
	struct fixture *f = *state;
	char *other = simtest_dir(SNP_PRODUCT_TURIN, SNP_SIGNING_KEY_VCEK);
	char roots[P], path[P];
	struct sim_store hostile;
	struct sim_kds *kds = NULL;
	struct snp_err err = { 0 };
	struct run_result res;
	uint16_t port = 0;
	char url[64];
	uint8_t *a_ark, *b_ark, *both;
	size_t alen, blen;

	if (sim_store_load(other, &hostile, &err) != 0)
		fail_msg("%s", err.msg);
	hostile.plat.product = f->st.plat.product;
	memcpy(hostile.plat.chip_id, f->st.plat.chip_id, SNP_CHIP_ID_SIZE);
	hostile.plat.reported_tcb = f->st.plat.reported_tcb;
	assert_int_equal(sim_kds_start(&hostile, "127.0.0.1:0", NULL, NULL, &kds, &port, &err), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", port);

	snprintf(path, sizeof(path), "%s/certs/ark.pem", other);
	assert_int_equal(file_read(f->root, 1 << 16, &a_ark, &alen, &err), 0);
	assert_int_equal(file_read(path, 1 << 16, &b_ark, &blen, &err), 0);
	both = malloc(alen + blen);
	memcpy(both, a_ark, alen);
	memcpy(both + alen, b_ark, blen);
	snprintf(roots, sizeof(roots), "%s/roots.pem", f->cache);
	assert_int_equal(file_write_atomic(roots, both, alen + blen, 0644, &err), 0);
	{
		const char *a[] = { "--report", f->report, "--kds", url, "--kds-cache", f->cache,
				    "--trust-sim-root", f->root, NULL };
		const char *b[] = { "--report", f->report, "--kds", url, "--trust-sim-root", roots,
				    NULL };

		verify(1, &res, a);
		assert_non_null(strstr(res.err, "snpvm verify: "));
		run_result_free(&res);
		assert_false(exists(f->vcek_path));
		verify(1, &res, b);
		run_result_free(&res);
	}
	sim_kds_stop(kds);
	sim_store_free(&hostile);
	rm_rf(other);
	free(other);
	free(a_ark);
	free(b_ark);
	free(both);
}

/* The libcurl fetcher itself: statuses and bodies as served, its size cap, http(s) only. */
static void kds_curl_fetcher_limits(void **state)
{
	struct fixture *f = *state;
	struct snp_err err = { 0 };
	struct kds_curl c;
	struct kds_fetcher fe;
	char url[128];
	uint8_t *body = NULL;
	size_t len = 0;
	long status = 0;

	kds_curl_init(&c);
	assert_int_equal(c.connect_timeout_ms, 5000);
	assert_int_equal(c.timeout_ms, 20000);
	assert_int_equal(c.max_body, 64 * 1024);
	fe = kds_curl_fetcher(&c);
	snprintf(url, sizeof(url), "%s/vcek/v1/%s/crl", f->url,
		 snp_product_name(f->st.plat.product));
	assert_int_equal(fe.get(fe.ctx, url, &body, &len, &status, &err), 0);
	assert_int_equal(status, 200);
	assert_int_equal(len, f->st.crl_len);
	assert_memory_equal(body, f->st.crl_der, len);
	free(body);
	snprintf(url, sizeof(url), "%s/vcek/v1/Venice/crl", f->url);
	assert_int_equal(fe.get(fe.ctx, url, &body, &len, &status, &err), 0);
	assert_int_equal(status, 404);
	free(body);
	/* A body over the cap is refused while receiving. */
	c.max_body = 100;
	snprintf(url, sizeof(url), "%s/vcek/v1/%s/cert_chain", f->url,
		 snp_product_name(f->st.plat.product));
	assert_int_equal(fe.get(fe.ctx, url, &body, &len, &status, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "larger than 100 bytes"));
	assert_null(body);
	/* Only http and https. */
	assert_int_equal(fe.get(fe.ctx, "file:///etc/hostname", &body, &len, &status, &err),
			 SNP_E_SYS);
	assert_non_null(strstr(err.msg, "\"file\" not supported"));
	assert_null(body);
	/* libcurl was loaded by the first fetch, and is unloaded on request. */
	assert_non_null(c.api.handle);
	kds_curl_free(&c);
	assert_null(c.api.handle);
}

/* Usage and input errors: no network is touched (port 1 on loopback is never reached). */
static void kds_cli_errors(void **state)
{
	struct fixture *f = *state;
	struct run_result res;
	char *vlek = strdup(tdata_path("attest/trustee/test-vlek-report.bin"));

	{
		const char *a[] = { "--report", f->report, "--kds-crl", NULL };

		verify_free(2, a);
	}
	{
		const char *a[] = { "--report", f->report, "--kds", f->url, "--kds-crl", "--crl",
				    f->root, NULL };

		verify_free(2, a);
	}
	{
		const char *a[] = { "--report", f->report, "--kds", "ftp://127.0.0.1:1", NULL };

		verify(2, &res, a);
		assert_non_null(strstr(res.err, "base URL"));
		run_result_free(&res);
	}
	{
		const char *a[] = { "--report", vlek, "--kds", "http://127.0.0.1:1", NULL };

		verify(2, &res, a);
		assert_non_null(strstr(res.err, "VLEK"));
		run_result_free(&res);
	}
	{
		const char *a[] = { "--help", NULL };

		verify(0, &res, a);
		assert_non_null(strstr(res.out, "--kds URL"));
		assert_non_null(strstr(res.out, "--kds-cache DIR"));
		run_result_free(&res);
	}
	free(vlek);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(kds_fetch_verify_cache_offline, setup_milan,
						teardown),
		cmocka_unit_test_setup_teardown(kds_fetch_verify_cache_offline, setup_turin,
						teardown),
		cmocka_unit_test_setup_teardown(kds_corrupt_cache_refused, setup_milan, teardown),
		cmocka_unit_test_setup_teardown(kds_over_https_with_its_ca_file, setup_milan,
						teardown),
		cmocka_unit_test_setup_teardown(kds_other_chips_vcek_refused, setup_milan,
						teardown),
		cmocka_unit_test_setup_teardown(kds_cli_errors, setup_milan, teardown),
		cmocka_unit_test_setup_teardown(kds_curl_fetcher_limits, setup_milan, teardown),
	};

	return cmocka_run_group_tests_name("attest/kds-sim", tests, NULL, NULL);
}
