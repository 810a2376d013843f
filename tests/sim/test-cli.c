/* cli/cmd-sim.c: snpvm sim init/status/report/kds as a user runs them, checked with snpvm verify. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "abi/endian.h"
#include "abi/report.h"
#include "tests/common/testutil.h"
#include "tests/sim/simtest.h"

static void run(const char *const *argv, int want, struct run_result *res)
{
	run_snpvm(argv, NULL, res);
	if (res->status != want)
		fail_msg("snpvm %s %s: exit %d, want %d\nstdout: %s\nstderr: %s", argv[0],
			 argv[1] ? argv[1] : "", res->status, want, res->out, res->err);
}

static void cli_help_everywhere(void **state)
{
	static const char *const subs[] = { "init", "status", "report", "kds" };
	struct run_result res;

	(void)state;
	{
		const char *argv[] = { "sim", "--help", NULL };

		run(argv, 0, &res);
		assert_non_null(strstr(res.out, "usage: snpvm sim <subcommand>"));
		for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
			char want[32];

			snprintf(want, sizeof(want), "\n  %s ", subs[i]);
			assert_non_null(strstr(res.out, want));
		}
		run_result_free(&res);
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		const char *argv[] = { "sim", subs[i], "--help", NULL };
		char want[64];

		run(argv, 0, &res);
		snprintf(want, sizeof(want), "usage: snpvm sim %s", subs[i]);
		assert_non_null(strstr(res.out, want));
		run_result_free(&res);
	}
	{
		const char *argv[] = { "sim", "frobnicate", NULL };

		run(argv, 2, &res);
		run_result_free(&res);
	}
}

static void cli_init_checks_arguments(void **state)
{
	char *dir = simtest_dir(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK);
	char *empty = tmpdir_make();
	struct run_result res;

	(void)state;
	{
		const char *argv[] = { "sim", "init", "--dir", dir, "--product", "milan", NULL };

		run(argv, 1, &res); /* an existing sim: refused */
		assert_non_null(strstr(res.err, "refusing"));
		run_result_free(&res);
	}
	{
		const char *argv[] = { "sim", "init", "--dir", empty, "--product", "naples", NULL };

		run(argv, 2, &res);
		assert_non_null(strstr(res.err, "naples"));
		run_result_free(&res);
	}
	{
		const char *argv[] = { "sim",   "init",  "--dir",     empty, "--product",
				       "turin", "--tcb", "bl=1,xx=2", NULL };

		run(argv, 2, &res);
		run_result_free(&res);
	}
	{
		const char *argv[] = { "sim", "init", "--dir", empty, "--product", "milan",
				       "--tcb", "fmc=1", NULL };

		run(argv, 2, &res); /* Milan has no FMC */
		run_result_free(&res);
	}
	{
		const char *argv[] = { "sim", "status", "--dir", empty, NULL };

		run(argv, 2, &res);
		assert_non_null(strstr(res.err, "not a sim"));
		run_result_free(&res);
	}
	rm_rf(dir);
	rm_rf(empty);
	free(dir);
	free(empty);
}

static void cli_status_json(void **state)
{
	char *dir = simtest_dir(SNP_PRODUCT_TURIN, SNP_SIGNING_KEY_VCEK);
	const char *argv[] = { "sim", "status", "--dir", dir, "--json", NULL };
	struct run_result res;
	json_error_t jerr;
	json_t *o;

	(void)state;
	run(argv, 0, &res);
	o = json_loads(res.out, 0, &jerr);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "product")), "Turin");
	assert_int_equal(json_integer_value(json_object_get(o, "report_version")), 5);
	assert_int_equal(strlen(json_string_value(json_object_get(o, "chip_id"))), 16);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(o, "reported_tcb"), "FMC")),
			 1);
	json_decref(o);
	run_result_free(&res);
	rm_rf(dir);
	free(dir);
}

static void check_verify(const char *dir, const char *signer, const char *product, bool host)
{
	char rep[1200], table[1200], root[1200], certs[1200], meas[97];
	struct run_result res;
	size_t len;
	uint8_t *buf;
	FILE *f;

	snprintf(rep, sizeof(rep), "%s/r.bin", dir);
	snprintf(table, sizeof(table), "%s/table.bin", dir);
	snprintf(root, sizeof(root), "%s/certs/ark.pem", dir);
	snprintf(certs, sizeof(certs), "%s/certs", dir);
	{
		const char *argv[] = { "sim", "report", "--dir", dir, "--report-data", "c0ffee",
				       "--vmpl", "1", "--out", rep, "--cert-table", table,
				       host ? "--host" : NULL, NULL };

		run(argv, 0, &res);
		assert_non_null(strstr(res.out, "measurement "));
		snprintf(meas, sizeof(meas), "%.96s", strstr(res.out, "measurement ") + 12);
		run_result_free(&res);
	}
	f = fopen(rep, "rb");
	assert_non_null(f);
	buf = malloc(SNP_REPORT_SIZE + 1);
	len = fread(buf, 1, SNP_REPORT_SIZE + 1, f);
	fclose(f);
	assert_int_equal(len, SNP_REPORT_SIZE);
	assert_int_equal(le32_get(buf + 0x30), host ? 0xffffffffu : 1);
	assert_int_equal(buf[0x50], 0xc0);
	{
		char hex[97];

		for (int i = 0; i < 48; i++)
			snprintf(hex + 2 * i, 3, "%02x", buf[0x90 + i]);
		assert_string_equal(hex, meas); /* the printed MEASUREMENT is the report's */
	}
	free(buf);
	{
		const char *argv[] = { "verify", "--report", rep, "--certs", certs,
				       "--trust-sim-root", root, NULL };
		char want[64];

		if (host) {
			/*
			 * The signature and chain verify, but a host-requested report
			 * (VMPL 0xFFFFFFFF, REPORT_DATA chosen by the host) is not guest
			 * evidence: the default appraisal refuses it, naming VMPL.
			 */
			run(argv, 1, &res);
			assert_non_null(strstr(res.err, "appraise: VMPL 4294967295 is not allowed"));
			run_result_free(&res);
			return;
		}
		run(argv, 0, &res);
		snprintf(want, sizeof(want), "%s %s-signed", product, signer);
		if (!strstr(res.out, want))
			fail_msg("verify said '%s', want '%s'", res.out, want);
		run_result_free(&res);
	}
	{
		const char *argv[] = { "verify", "--report", rep, "--cert-table", table,
				       "--trust-sim-root", root, NULL };

		run(argv, 0, &res);
		run_result_free(&res);
	}
	{
		char crl[1200];
		const char *argv[] = { "verify", "--report", rep, "--certs", certs, "--crl", crl,
				       "--trust-sim-root", root, NULL };

		snprintf(crl, sizeof(crl), "%s/crl.der", dir);
		run(argv, 0, &res); /* the sim's ARK-signed CRL checks out */
		run_result_free(&res);
	}
	{
		/* A sim root is never trusted by default. */
		const char *argv[] = { "verify", "--report", rep, "--certs", certs, NULL };

		run(argv, 1, &res);
		run_result_free(&res);
	}
}

static void cli_report_verifies_only_with_sim_root(void **state)
{
	char *milan = simtest_dir(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK);
	char *turin = simtest_dir(SNP_PRODUCT_TURIN, SNP_SIGNING_KEY_VCEK);
	char *vlek = simtest_dir(SNP_PRODUCT_GENOA, SNP_SIGNING_KEY_VLEK);

	(void)state;
	check_verify(milan, "VCEK", "Milan", false);
	check_verify(milan, "VCEK", "Milan", true);
	check_verify(turin, "VCEK", "Turin", false);
	check_verify(vlek, "VLEK", "Genoa", false);
	rm_rf(milan);
	rm_rf(turin);
	rm_rf(vlek);
	free(milan);
	free(turin);
	free(vlek);
}

/* A report from another sim's keys fails even with this sim's root. */
static void cli_report_from_other_sim_refused(void **state)
{
	char *a = simtest_dir(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK);
	char *b = tmpdir_make();
	char rep[1200], root[1200], certs[1200];
	struct run_result res;

	(void)state;
	snprintf(rep, sizeof(rep), "%s/r.bin", a);
	snprintf(root, sizeof(root), "%s/certs/ark.pem", a);
	{
		const char *argv[] = { "sim", "init", "--dir", b, "--product", "milan", "--seed",
				       "0badc0de", NULL };

		run(argv, 0, &res);
		run_result_free(&res);
	}
	snprintf(certs, sizeof(certs), "%s/certs", b);
	{
		char brep[1200];
		const char *argv[] = { "sim", "report", "--dir", b, "--report-data", "01", "--out",
				       brep, NULL };

		snprintf(brep, sizeof(brep), "%s/r.bin", b);
		run(argv, 0, &res);
		run_result_free(&res);
		{
			const char *v[] = { "verify", "--report", brep, "--certs", certs,
					    "--trust-sim-root", root, NULL };

			run(v, 1, &res);
			run_result_free(&res);
		}
	}
	rm_rf(a);
	rm_rf(b);
	free(a);
	free(b);
}

static size_t collect(char *data, size_t size, size_t n, void *ctx)
{
	FILE *f = ctx;

	return fwrite(data, size, n, f);
}

/*
 * `snpvm sim kds` as a child process: prints its address, serves (over HTTPS
 * with --tls-cert/--tls-key when tls), stops on SIGTERM.
 */
static void kds_child(bool tls)
{
	char *dir = simtest_dir(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK);
	char cert[1200], key[1200];
	const char *scheme = tls ? "https" : "http";
	const char *bin = getenv("SNPVM") ? getenv("SNPVM") : "build/snpvm";
	char line[256], url[300], crl_path[1200], *body = NULL;
	size_t body_len = 0, crl_len;
	unsigned port = 0;
	int fds[2], status = 0;
	long code = 0;
	pid_t pid;
	FILE *out, *mem;
	uint8_t *crl;
	CURL *c;

	if (tls)
		tls_selfsigned(dir, "IP:127.0.0.1", cert, key, sizeof(cert));
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		if (tls)
			execl(bin, bin, "sim", "kds", "--dir", dir, "--listen", "127.0.0.1:0",
			      "--tls-cert", cert, "--tls-key", key, (char *)NULL);
		else
			execl(bin, bin, "sim", "kds", "--dir", dir, "--listen", "127.0.0.1:0",
			      (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	out = fdopen(fds[0], "r");
	assert_non_null(fgets(line, sizeof(line), out));
	if (strncmp(line, "listening on ", 13) != 0 || strncmp(line + 13, scheme, strlen(scheme)) ||
	    sscanf(line + 13 + strlen(scheme), "://127.0.0.1:%u", &port) != 1)
		fail_msg("printed: %s", line);
	snprintf(url, sizeof(url), "%s://127.0.0.1:%u/vcek/v1/Milan/crl", scheme, port);
	mem = open_memstream(&body, &body_len);
	c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, mem);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	if (tls)
		curl_easy_setopt(c, CURLOPT_CAINFO, cert);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	fclose(mem);
	assert_int_equal(code, 200);
	snprintf(crl_path, sizeof(crl_path), "%s/crl.der", dir);
	{
		FILE *f = fopen(crl_path, "rb");

		assert_non_null(f);
		crl = malloc(1 << 16);
		crl_len = fread(crl, 1, 1 << 16, f);
		fclose(f);
	}
	assert_int_equal(body_len, crl_len);
	assert_memory_equal(body, crl, crl_len);
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	fclose(out);
	free(body);
	free(crl);
	rm_rf(dir);
	free(dir);
}

static void cli_kds_child(void **state)
{
	(void)state;
	kds_child(false);
}

static void cli_kds_child_tls(void **state)
{
	struct run_result r;
	char *dir = tmpdir_make();
	const char *half[] = { "sim", "kds", "--dir", dir, "--listen", "127.0.0.1:0", "--tls-cert",
			       "/nonexistent.pem", NULL };

	(void)state;
	kds_child(true);
	/* one of the pair alone is a usage error naming both */
	run_snpvm(half, NULL, &r);
	assert_int_equal(r.status, 2);
	if (!strstr(r.err, "--tls-cert and --tls-key"))
		fail_msg("stderr: %s", r.err);
	run_result_free(&r);
	{
		/* a certificate that is not PEM text is named as such, not as a bad --listen */
		char *sim = simtest_dir(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK), bad[1200];
		const char *argv[] = { "sim", "kds", "--dir", sim, "--listen", "127.0.0.1:0",
				       "--tls-cert", bad, "--tls-key", bad, NULL };
		FILE *f;

		snprintf(bad, sizeof(bad), "%s/bad.pem", dir);
		assert_non_null(f = fopen(bad, "w"));
		assert_int_equal(fwrite("x\0y", 1, 3, f), 3);
		fclose(f);
		run_snpvm(argv, NULL, &r);
		assert_int_not_equal(r.status, 0);
		if (!strstr(r.err, "PEM text") || strstr(r.err, "--listen"))
			fail_msg("stderr: %s", r.err);
		run_result_free(&r);
		rm_rf(sim);
		free(sim);
	}
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cli_help_everywhere),
		cmocka_unit_test(cli_init_checks_arguments),
		cmocka_unit_test(cli_status_json),
		cmocka_unit_test(cli_report_verifies_only_with_sim_root),
		cmocka_unit_test(cli_report_from_other_sim_refused),
		cmocka_unit_test(cli_kds_child_tls),
		cmocka_unit_test(cli_kds_child),
	};
	int ret;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	ret = cmocka_run_group_tests_name("sim/cli", tests, NULL, NULL);
	curl_global_cleanup();
	return ret;
}
