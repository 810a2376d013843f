/*
 * `snpvm sim report` with the measure flags (cli/cmd-sim.c, launcher/launch.c): for
 * vectors of tests/data/measure/vectors.json (QEMU 1 and 4 vCPUs on Debian's
 * OVMF.fd, EC2, measured direct boot on OVMF.amdsev.fd, the legacy SVSM
 * layout) the sim's MEASUREMENT equals the vector's expect and `snpvm measure`
 * with the same flags; an ID block from `snpvm id-block` for that digest is
 * accepted at LAUNCH_FINISH and shows up as ID_KEY_DIGEST / AUTHOR_KEY_DIGEST;
 * an ID block for another digest is refused with BAD_MEASUREMENT.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "abi/report.h"
#include "tests/common/idblock-vectors.h"
#include "tests/common/measure-vectors.h"
#include "tests/common/testutil.h"
#include "tests/sim/simtest.h"
#include "util/hex.h"

#define MAX_ARGV 48

/* The vectors used, with a substring each must contain (guards against index drift). */
static const struct {
	size_t index;
	const char *must;
} picks[] = {
	{ 5, "--vcpus=1" },     /* QEMU, 1 vCPU, EPYC-v4, Debian OVMF.fd */
	{ 6, "--vcpus=4" },     /* QEMU, 4 vCPUs */
	{ 25, "--vmm-type=ec2" }, /* EC2, 4 vCPUs */
	{ 68, "--append=console=ttyS0" }, /* OVMF.amdsev.fd + kernel + initrd + append */
	{ 64, "--svsm=" },      /* snp:svsm */
};
#define NPICKS (sizeof(picks) / sizeof(picks[0]))

static bool has_arg(const struct vector *v, const char *s)
{
	for (int i = 0; i < v->argc; i++)
		if (strstr(v->argv[i], s))
			return true;
	return false;
}

/* Runs snpvm head... followed by the vector's flags and then tail... (both NULL-terminated). */
static void run_with(const char *const *head, const struct vector *v, const char *const *tail,
		     struct run_result *res)
{
	const char *argv[MAX_ARGV];
	int n = 0;

	for (; *head; head++)
		argv[n++] = *head;
	for (int i = 0; i < v->argc; i++)
		argv[n++] = v->argv[i];
	for (; tail && *tail; tail++)
		argv[n++] = *tail;
	argv[n] = NULL;
	assert_true(n < MAX_ARGV);
	run_snpvm(argv, NULL, res);
}

static void report_read(const char *path, uint8_t rep[SNP_REPORT_SIZE])
{
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	assert_int_equal(fread(rep, 1, SNP_REPORT_SIZE, f), SNP_REPORT_SIZE);
	fclose(f);
}

static void hex_at(const uint8_t *rep, size_t off, char out[97])
{
	hex_encode(rep + off, 48, out);
}

/* id-block for ld into dir/<tag>.block and dir/<tag>.auth; returns the printed ID key digest. */
static char *id_block_make(const char *dir, const char *tag, const char *ld, char *block,
			   char *auth, size_t len)
{
	char id_key[1024], author_key[1024];
	struct run_result res;
	json_error_t jerr;
	json_t *o;
	char *digest;

	snprintf(id_key, sizeof(id_key), "%s", tdata_path(IDV_ID_KEY));
	snprintf(author_key, sizeof(author_key), "%s", tdata_path(IDV_AUTHOR_KEY));
	snprintf(block, len, "%s/%s.block", dir, tag);
	snprintf(auth, len, "%s/%s.auth", dir, tag);
	{
		const char *argv[] = { "id-block", "--measurement", ld, "--id-key", id_key,
				       "--author-key", author_key, "--id-block-out", block,
				       "--id-auth-out", auth, "--json", NULL };

		run_snpvm(argv, NULL, &res);
	}
	if (res.status != 0)
		fail_msg("id-block: exit %d: %s", res.status, res.err);
	o = json_loads(res.out, 0, &jerr);
	assert_non_null(o);
	digest = strdup(json_string_value(
		json_object_get(json_object_get(o, "id_key_digest"), "hex")));
	json_decref(o);
	run_result_free(&res);
	return digest;
}

static void sim_report_launches_what_measure_predicts(void **state)
{
	char *dir = simtest_dir(SNP_PRODUCT_GENOA, SNP_SIGNING_KEY_VLEK);
	struct measure_vectors *mv = calloc(1, sizeof(*mv));
	char rep_path[1100], block[NPICKS][1100], auth[NPICKS][1100], *idkd[NPICKS];
	uint8_t rep[SNP_REPORT_SIZE];

	(void)state;
	assert_non_null(mv);
	measure_vectors_load(mv);
	snprintf(rep_path, sizeof(rep_path), "%s/r.bin", dir);
	for (size_t k = 0; k < NPICKS; k++) {
		const struct vector *v = &mv->v[picks[k].index];
		char tag[16];

		assert_true(has_arg(v, picks[k].must));
		assert_non_null(v->expect);
		snprintf(tag, sizeof(tag), "v%zu", v->index);
		idkd[k] = id_block_make(dir, tag, v->expect, block[k], auth[k], sizeof(block[k]));
	}
	for (size_t k = 0; k < NPICKS; k++) {
		const struct vector *v = &mv->v[picks[k].index];
		const char *sim[] = { "sim", "report", "--dir", dir, "--report-data", "00",
				      "--out", rep_path, NULL };
		const char *measure[] = { "measure", NULL };
		const char *with_id[] = { "--id-block", block[k], "--id-auth", auth[k],
					  "--author-key-en", "--json", NULL };
		const char *wrong_id[] = { "--id-block", block[(k + 1) % NPICKS], "--id-auth",
					   auth[(k + 1) % NPICKS], "--author-key-en", NULL };
		char want[200], got[97];
		struct run_result res;
		json_error_t jerr;
		json_t *o;

		/* snpvm measure with the same flags prints the vector's digest */
		run_with(measure, v, NULL, &res);
		snprintf(want, sizeof(want), "%s\n", v->expect);
		if (res.status != 0 || strcmp(res.out, want) != 0)
			fail_msg("vector %zu: measure exit %d: %s%s", v->index, res.status, res.out,
				 res.err);
		run_result_free(&res);

		/* the sim launches it: the printed and the signed MEASUREMENT are the vector's */
		run_with(sim, v, NULL, &res);
		snprintf(want, sizeof(want), "measurement %s\n", v->expect);
		if (res.status != 0 || !strstr(res.out, want))
			fail_msg("vector %zu: sim report exit %d: %s%s", v->index, res.status,
				 res.out, res.err);
		run_result_free(&res);
		report_read(rep_path, rep);
		hex_at(rep, offsetof(struct snp_report_layout, measurement), got);
		assert_string_equal(got, v->expect);

		/* with the ID block made for it: accepted, and the report names its keys */
		run_with(sim, v, with_id, &res);
		if (res.status != 0)
			fail_msg("vector %zu: sim report --id-block exit %d: %s", v->index,
				 res.status, res.err);
		o = json_loads(res.out, 0, &jerr);
		assert_non_null(o);
		assert_string_equal(json_string_value(json_object_get(o, "measurement")),
				    v->expect);
		json_decref(o);
		run_result_free(&res);
		report_read(rep_path, rep);
		hex_at(rep, offsetof(struct snp_report_layout, id_key_digest), got);
		assert_string_equal(got, idkd[k]);
		assert_string_equal(got, IDV_ID_DIGEST_HEX);
		hex_at(rep, offsetof(struct snp_report_layout, author_key_digest), got);
		assert_string_equal(got, IDV_AUTHOR_DIGEST_HEX);

		/* with another vector's ID block: LAUNCH_FINISH refuses, no report */
		remove(rep_path);
		run_with(sim, v, wrong_id, &res);
		if (res.status == 0 || !strstr(res.err, "BAD_MEASUREMENT"))
			fail_msg("vector %zu: wrong ID block: exit %d, stderr %s", v->index,
				 res.status, res.err);
		assert_string_equal(res.out, "");
		assert_null(fopen(rep_path, "rb"));
		run_result_free(&res);
	}
	for (size_t k = 0; k < NPICKS; k++)
		free(idkd[k]);
	measure_vectors_free(mv);
	free(mv);
	rm_rf(dir);
	free(dir);
}

/* Flags that do not go together are usage errors (exit 2) naming the flags. */
static void sim_report_refuses_flag_mixes(void **state)
{
	static const struct {
		const char *args[8];
		const char *want;
	} cases[] = {
		/* the demo launch's --firmware is gone: --ovmf launches firmware */
		{ { "--firmware", "y", NULL }, "unknown option '--firmware'" },
		{ { "--id-block", "x", NULL }, "--id-auth" },
		{ { "--id-block", "x", "--id-auth", "y", NULL }, "--ovmf" },
		{ { "--ovmf", "y", "--vcpus", "0x", NULL }, "--vcpus" },
		{ { "--ovmf", "y", "--vcpus", "1", NULL }, "CPU model" },
		{ { "--ovmf", "y", "--vcpus", "1", "--vcpu-sig", "0", "--mode", "snp:ovmf-hash" },
		  "snp:ovmf-hash" },
		{ { "--vmpl", "4", NULL }, "--vmpl" },
	};
	char *dir = simtest_dir(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK);
	char out[1100], ovmf[1100];

	(void)state;
	snprintf(out, sizeof(out), "%s/r.bin", dir);
	snprintf(ovmf, sizeof(ovmf), "%s", tdata_path("debian-ovmf/usr/share/ovmf/OVMF.fd"));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[20] = { "sim", "report", "--dir", dir, "--report-data", "00",
					 "--out", out };
		struct run_result res;
		int n = 8;

		for (int j = 0; j < 8 && cases[i].args[j]; j++)
			argv[n++] = strcmp(cases[i].args[j], "y") == 0 ? ovmf : cases[i].args[j];
		argv[n] = NULL;
		run_snpvm(argv, NULL, &res);
		if (res.status != 2 || !strstr(res.err, cases[i].want))
			fail_msg("case %zu: exit %d, stderr %s (want 2 naming %s)", i, res.status,
				 res.err, cases[i].want);
		run_result_free(&res);
	}
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sim_report_launches_what_measure_predicts),
		cmocka_unit_test(sim_report_refuses_flag_mixes),
	};

	return cmocka_run_group_tests_name("sim/report-measured", tests, NULL, NULL);
}
