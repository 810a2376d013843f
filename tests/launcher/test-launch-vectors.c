/*
 * The launcher's launch sequence (launch_sequence, launcher/launch.c) on the
 * sim backend, launch-only, as `snpvm sim report` runs it: every vector of
 * tests/data/measure/vectors.json that describes a whole launch — QEMU and
 * EC2 profiles, measured direct boot on the AmdSev firmware, the legacy SVSM
 * layout, firmware without SEV metadata with --allow-no-sev-metadata —
 * launched through it gives the vector's MEASUREMENT. The
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
#include "launcher/backend.h"
#include "launcher/guest-mem.h"
#include "launcher/launch.h"
#include "sim/sp.h"
#include "tests/common/measure-vectors.h"
#include "tests/common/testutil.h"
#include "tests/sim/simtest.h"
#include "util/hex.h"

/* One launch-only launch of o on the sim at dir; the backend stays open for the caller. */
static int launch(const char *dir, const struct launch_opts *o, uint64_t policy,
		  const uint8_t *id_block, const uint8_t *id_auth, struct sev_backend *be,
		  struct snp_err *err)
{
	struct guest_mem mem = { 0 };
	struct launch_seq seq = { .opts = o, .policy = policy, .id_block = id_block,
				  .id_auth = id_auth };
	int ret;

	if ((ret = backend_sim_open(dir, be, err)) != 0)
		return ret;
	if ((ret = guest_mem_alloc(&mem, 64ull << 20, err)) == 0)
		ret = launch_sequence(be, &mem, &seq, err);
	guest_mem_free(&mem);
	return ret;
}

static void launch_reproduces_vectors(void **state)
{
	char *dir = simtest_dir(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK);
	struct measure_vectors *mv = calloc(1, sizeof(*mv));
	struct snp_err err = { 0 };
	size_t n = 0, nkernel = 0, nsvsm = 0;

	(void)state;
	assert_non_null(mv);
	measure_vectors_load(mv);
	for (size_t i = 0; i < mv->n; i++) {
		const struct vector *v = &mv->v[i];
		uint8_t want[SNP_MEASUREMENT_SIZE];
		struct sev_backend be = { 0 };
		struct lib_run r;

		lib_setup(v, &r);
		/* seeds and resumes are digest notions; the error vector launches nothing */
		if (!v->expect || r.o.launch.mode == MEASURE_MODE_OVMF_HASH || r.o.ovmf_hash) {
			lib_teardown(&r);
			continue;
		}
		r.o.launch.allow_no_sev_metadata = v->no_metadata;
		assert_int_equal(hex_or_b64_decode(v->expect, want, sizeof(want), "expect", &err),
				 0);
		if (launch(dir, &r.o.launch, 0x30000, NULL, NULL, &be, &err) != 0)
			fail_msg("vector %zu: %s (status %s)", v->index, err.msg,
				 snp_fw_status_name(be.fw_status));
		assert_int_equal(be.fw_status, SNP_FW_SUCCESS);
		if (memcmp(be.measurement, want, sizeof(want)) != 0) {
			char got[2 * SNP_MEASUREMENT_SIZE + 1];

			hex_encode(be.measurement, SNP_MEASUREMENT_SIZE, got);
			fail_msg("vector %zu: sim %s, sev-snp-measure %s", v->index, got, v->expect);
		}
		nkernel += r.o.launch.kernel_hashes != NULL;
		nsvsm += r.o.launch.mode == MEASURE_MODE_SVSM;
		n++;
		be.ops->close(&be);
		lib_teardown(&r);
	}
	print_message("%zu launch vectors reproduced (%zu measured direct boot, %zu SVSM)\n", n,
		      nkernel, nsvsm);
	assert_int_equal(n, 65);
	assert_int_equal(nkernel, 16);
	assert_int_equal(nsvsm, 3);
	measure_vectors_free(mv);
	free(mv);
	rm_rf(dir);
	free(dir);
}

/* A digest-only option is refused before LAUNCH_START; a firmware refusal names its status. */
static void launch_measured_refusals(void **state)
{
	char *dir = simtest_dir(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK);
	struct snp_err err = { 0 };
	struct sev_backend be = { 0 };
	struct launch_opts o = { .mode = MEASURE_MODE_OVMF_HASH, .vcpus = 1 };
	uint8_t block[0x60] = { 0 }, auth[0x1000] = { 0 };
	size_t len;
	uint8_t *fw = tdata_read("debian-ovmf/usr/share/ovmf/OVMF.fd", &len);

	(void)state;
	o.ovmf = fw;
	o.ovmf_len = len;
	assert_int_equal(launch(dir, &o, 0x30000, NULL, NULL, &be, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "snp:ovmf-hash"));
	assert_int_equal(backend_sim_sp(&be)->nguests, 0);
	be.ops->close(&be);
	o.mode = MEASURE_MODE_SNP;
	o.vcpu_sig = 0x00A00F11;
	o.guest_features = 1;
	/* a policy without bit 17: LAUNCH_START refuses it */
	assert_int_not_equal(launch(dir, &o, 0, NULL, NULL, &be, &err), 0);
	assert_int_equal(be.fw_status, SNP_FW_INVALID_PARAM);
	be.ops->close(&be);
	/* an ID block for another digest (all zero, unsigned): LAUNCH_FINISH refuses it */
	assert_int_not_equal(launch(dir, &o, 0x30000, block, auth, &be, &err), 0);
	assert_int_not_equal(be.fw_status, SNP_FW_SUCCESS);
	be.ops->close(&be);
	free(fw);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(launch_reproduces_vectors),
		cmocka_unit_test(launch_measured_refusals),
	};

	return cmocka_run_group_tests_name("launcher/launch-vectors", tests, NULL, NULL);
}
