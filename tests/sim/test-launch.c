/*
 * The launch plan on the sim (sim/launch.c): every vector of
 * tests/data/measure/vectors.json that describes a whole launch — QEMU and
 * EC2 profiles, measured direct boot on the AmdSev firmware, the legacy SVSM
 * layout, firmware without SEV metadata with --allow-no-sev-metadata —
 * launched through sim_launch_measured() gives the vector's MEASUREMENT. The
 * expected digests come only from vectors.json; the digest is the sim's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "abi/sev-status.h"
#include "measure/measure.h"
#include "sim/launch.h"
#include "sim/sp.h"
#include "tests/common/measure-vectors.h"
#include "tests/common/testutil.h"
#include "tests/sim/simtest.h"
#include "util/hex.h"

static void launch_reproduces_vectors(void **state)
{
	char *dir = simtest_dir(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK);
	struct measure_vectors *mv = calloc(1, sizeof(*mv));
	struct snp_err err = { 0 };
	struct sim_sp *sp = NULL;
	size_t n = 0, nkernel = 0, nsvsm = 0;

	(void)state;
	assert_non_null(mv);
	measure_vectors_load(mv);
	assert_int_equal(sim_sp_open(dir, &sp, &err), 0);
	for (size_t i = 0; i < mv->n; i++) {
		const struct vector *v = &mv->v[i];
		uint8_t want[SNP_MEASUREMENT_SIZE];
		struct sim_guest *g = NULL;
		struct lib_run r;
		uint32_t st = 0xff;

		lib_setup(v, &r);
		/* seeds and resumes are digest notions; the error vector launches nothing */
		if (!v->expect || r.o.launch.mode == MEASURE_MODE_OVMF_HASH || r.o.ovmf_hash) {
			lib_teardown(&r);
			continue;
		}
		r.o.launch.allow_no_sev_metadata = v->no_metadata;
		assert_int_equal(hex_or_b64_decode(v->expect, want, sizeof(want), "expect", &err),
				 0);
		if (sim_launch_measured(sp, &r.o.launch, 0x30000, NULL, NULL, false, NULL, &g, &st,
					&err) != 0)
			fail_msg("vector %zu: %s (status %s)", v->index, err.msg,
				 snp_fw_status_name(st));
		assert_int_equal(st, SNP_FW_SUCCESS);
		if (memcmp(g->measurement, want, sizeof(want)) != 0) {
			char got[2 * SNP_MEASUREMENT_SIZE + 1];

			hex_encode(g->measurement, SNP_MEASUREMENT_SIZE, got);
			fail_msg("vector %zu: sim %s, sev-snp-measure %s", v->index, got, v->expect);
		}
		nkernel += r.o.launch.kernel_hashes != NULL;
		nsvsm += r.o.launch.mode == MEASURE_MODE_SVSM;
		n++;
		sim_guest_free(g);
		lib_teardown(&r);
	}
	print_message("%zu launch vectors reproduced (%zu measured direct boot, %zu SVSM)\n", n,
		      nkernel, nsvsm);
	assert_int_equal(n, 65);
	assert_int_equal(nkernel, 16);
	assert_int_equal(nsvsm, 3);
	measure_vectors_free(mv);
	free(mv);
	sim_sp_close(sp);
	rm_rf(dir);
	free(dir);
}

/* A digest-only option is refused before LAUNCH_START; a firmware refusal names its status. */
static void launch_measured_refusals(void **state)
{
	char *dir = simtest_dir(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK);
	struct snp_err err = { 0 };
	struct sim_sp *sp = NULL;
	struct sim_guest *g = (struct sim_guest *)&err; /* any non-NULL: a failure clears it */
	struct launch_opts o = { .mode = MEASURE_MODE_OVMF_HASH, .vcpus = 1 };
	uint8_t block[0x60] = { 0 }, auth[0x1000] = { 0 };
	uint32_t st = 0xff;
	size_t len;
	uint8_t *fw = tdata_read("debian-ovmf/usr/share/ovmf/OVMF.fd", &len);

	(void)state;
	assert_int_equal(sim_sp_open(dir, &sp, &err), 0);
	o.ovmf = fw;
	o.ovmf_len = len;
	assert_int_equal(sim_launch_measured(sp, &o, 0x30000, NULL, NULL, false, NULL, &g, &st,
					     &err),
			 SNP_E_INVALID);
	assert_null(g);
	assert_non_null(strstr(err.msg, "snp:ovmf-hash"));
	o.mode = MEASURE_MODE_SNP;
	/* a policy without bit 17: LAUNCH_START refuses it */
	assert_int_not_equal(sim_launch_measured(sp, &o, 0, NULL, NULL, false, NULL, &g, &st, &err),
			     0);
	assert_int_equal(st, SNP_FW_INVALID_PARAM);
	/* an ID block for another digest (all zero, unsigned): LAUNCH_FINISH refuses it */
	assert_int_not_equal(sim_launch_measured(sp, &o, 0x30000, block, auth, false, NULL, &g, &st,
						 &err),
			     0);
	assert_null(g);
	assert_int_not_equal(st, SNP_FW_SUCCESS);
	assert_int_equal(sp->nguests, 0);
	free(fw);
	sim_sp_close(sp);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(launch_reproduces_vectors),
		cmocka_unit_test(launch_measured_refusals),
	};

	return cmocka_run_group_tests_name("sim/launch", tests, NULL, NULL);
}
