/*
 * Reports verified per second on one core with the VEK chain cached: the
 * steady state of attestd. Not part of the snpvm binary.
 *   bench-verify REPORT VEK SECONDS NOW
 * Prints "verify_report/s: N" and the cold (first-call) latency.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "abi/report.h"
#include "attest/certs.h"
#include "attest/verify.h"
#include "util/file.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct verify_opts opts = { 0 };
	struct verify_result *res = calloc(1, sizeof(*res));
	struct snp_err err = { 0 };
	struct verifier *v = NULL;
	struct certs certs;
	uint8_t *raw = NULL;
	size_t len;
	double secs, t0, t1, cold;
	long n = 0;

	if (argc != 5 || !res) {
		fprintf(stderr, "usage: bench-verify REPORT VEK SECONDS UNIX_TIME\n");
		return 2;
	}
	secs = strtod(argv[3], NULL);
	opts.now = (time_t)strtoll(argv[4], NULL, 10);
	certs_init(&certs);
	if (file_read(argv[1], 1u << 20, &raw, &len, &err) != 0 ||
	    certs_load_vek_file(&certs, argv[2], &err) != 0 || verifier_new(&v, &err) != 0) {
		fprintf(stderr, "bench-verify: %s\n", err.msg);
		return 1;
	}
	t0 = now_s();
	if (verify_report(v, raw, len, &certs, &opts, res, &err) != 0) {
		fprintf(stderr, "bench-verify: %s\n", err.msg);
		return 1;
	}
	cold = now_s() - t0;
	t0 = now_s();
	do {
		for (int i = 0; i < 50; i++, n++) {
			if (verify_report(v, raw, len, &certs, &opts, res, &err) != 0 ||
			    !res->chain_cached) {
				fprintf(stderr, "bench-verify: %s\n", err.msg);
				return 1;
			}
		}
		t1 = now_s();
	} while (t1 - t0 < secs);
	printf("verify_report/s: %.0f\n", (double)n / (t1 - t0));
	printf("cold first call: %.3f ms\n", cold * 1e3);
	verifier_free(v);
	certs_free(&certs);
	free(raw);
	free(res);
	return 0;
}
