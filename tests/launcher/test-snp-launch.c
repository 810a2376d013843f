/*
 * The snp backend (launcher/backend-snp.c) launching through the fake KVM
 * (tests/launcher/fake-kvm.h) with the simulated secure processor behind it:
 * the MEASUREMENT the sim computes from what KVM would have been given
 * equals `snpvm measure` of the same policy file and the sim backend's, for
 * the payload test guest, for an OVMF launch-only policy and for the policy
 * scripts/demo.sh writes (backend snp); a refused CPUID page keeps every
 * corrected register (expected values from the sim's CPUID table); three
 * sev-snp-measure vectors with OVMF + kernel reproduce (expected digests from
 * tests/data/measure/vectors.json only). Each KVM call failing in turn ends
 * the launch with a message naming the ioctl, its errno and the firmware
 * status, every fd closed and every mapping released (ASan checks memory).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "abi/sev-status.h"
#include "launcher/backend.h"
#include "launcher/guest-mem.h"
#include "launcher/kvm-compat.h"
#include "launcher/launch.h"
#include "launcher/policy.h"
#include "sim/cpuid.h"
#include "tests/common/measure-vectors.h"
#include "tests/common/testutil.h"
#include "tests/launcher/fake-kvm.h"
#include "tests/sim/simtest.h"
#include "util/file.h"
#include "util/hex.h"

struct env {
	char *dir;
	struct sim_sp *sp;
	struct fake_kvm fk;
	char path[1200];
	/* what run() prepares and launches into; on the heap, as they are large */
	struct launch_prep *prep;
	struct launch_result *res;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	e->sp = fake_kvm_sim_open(&e->dir);
	e->prep = calloc(1, sizeof(*e->prep));
	e->res = calloc(1, sizeof(*e->res));
	*state = e;
	return e->prep && e->res ? 0 : -1;
}

static int teardown(void **state)
{
	struct env *e = *state;

	fake_kvm_fini(&e->fk); /* after a failed test: its sim guest */
	fake_kvm_sim_close(e->sp, e->dir);
	launch_prep_free(e->prep);
	free(e->prep);
	free(e->res);
	free(e);
	return 0;
}

/*
 * The group's environment with e->prep and e->res as a fresh calloc leaves
 * them: the environment is shared by every test, its launch state is not.
 */
static struct env *test_env(void **state)
{
	struct env *e = *state;

	launch_prep_free(e->prep);
	memset(e->res, 0, sizeof(*e->res));
	return e;
}

static const char *abs_path(const char *t)
{
	static char abs[2048];
	char cwd[1024];

	if (t[0] == '/')
		return t;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(abs, sizeof(abs), "%s/%s", cwd, t);
	return abs;
}

/* <dir>/<name>.json for the snp backend with image_key = image and extra keys. */
static const char *policy(struct env *e, const char *name, const char *image_key,
			  const char *image, const char *extra)
{
	char text[4096];
	struct snp_err err = { 0 };

	snprintf(text, sizeof(text),
		 "{\"backend\": \"snp\", \"%s\": \"%s\", \"vcpus\": 2, \"vcpu_type\": \"EPYC-v4\", "
		 "\"memory_mib\": 64, \"guest_policy\": {\"debug\": false, \"smt\": true}, "
		 "\"host_data\": \"policy-digest\"%s}",
		 image_key, abs_path(image), extra ? extra : "");
	snprintf(e->path, sizeof(e->path), "%s/%s.json", e->dir, name);
	if (file_write_atomic(e->path, text, strlen(text), 0644, &err) != 0)
		fail_msg("%s", err.msg);
	return e->path;
}

static const char *payload_policy(struct env *e)
{
	return policy(e, "payload", "payload", tguest_path("report"), NULL);
}

static const char *ovmf_policy(struct env *e)
{
	return policy(e, "ovmf", "firmware", tdata_path("debian-ovmf/usr/share/ovmf/OVMF.fd"),
		      NULL);
}

/*
 * A launch-only launch of the policy at path through launch_run into e->prep
 * and e->res: on the sim backend if sim, else on the snp backend over e->fk
 * (set up by the caller).
 */
static int run(struct env *e, const char *path, bool sim, bool accept, struct snp_err *err)
{
	struct launch_policy p;
	const struct launch_run_opts ro = { .launch_only = true, .console_fd = -1,
					    .kvm = &e->fk.ops, .accept_cpuid_fixup = accept };
	int ret;

	if (launch_policy_load(path, &p, err) != 0 || launch_prepare(&p, e->prep, err) != 0)
		fail_msg("%s: %s", path, err->msg);
	if (sim) {
		snprintf(p.backend, sizeof(p.backend), "sim");
		free(p.sim_dir); /* the demo's policy names one */
		p.sim_dir = strdup(e->dir);
	}
	ret = launch_run(&p, e->prep, &ro, e->res, err);
	launch_policy_free(&p);
	return ret;
}

/* `snpvm measure path`: its hex MEASUREMENT. */
static void measure_cli(const char *path, char hex[2 * SNP_MEASUREMENT_SIZE + 1])
{
	const char *argv[] = { "measure", path, NULL };
	struct run_result r;

	run_snpvm(argv, NULL, &r);
	if (r.status != 0)
		fail_msg("measure: %d %s", r.status, r.err);
	assert_true(strlen(r.out) >= 2 * SNP_MEASUREMENT_SIZE);
	memcpy(hex, r.out, 2 * SNP_MEASUREMENT_SIZE);
	hex[2 * SNP_MEASUREMENT_SIZE] = '\0';
	run_result_free(&r);
}

/* Nothing the snp backend opened is left open or mapped; the fake's own state is freed. */
static void assert_released(struct env *e)
{
	assert_int_equal(e->fk.nopen, 0);
	assert_int_equal(e->fk.nmaps, 0);
	fake_kvm_fini(&e->fk);
	assert_int_equal(e->sp->nguests, 0);
}

/* assert_released, then e->prep freed for the next launch. */
static void assert_released_prep_freed(struct env *e)
{
	assert_released(e);
	launch_prep_free(e->prep);
}

/* The launch of path on the snp backend over e->fk (set up by the caller) succeeds. */
static void snp_launch_ok(struct env *e, const char *path, bool accept)
{
	struct snp_err err = { 0 };

	if (run(e, path, false, accept, &err) != 0)
		fail_msg("snp launch: %s (fake: %s)", err.msg, e->fk.why);
}

/* The sim computed want (hex) as the MEASUREMENT of what the fake KVM was given. */
static void assert_fake_measurement(struct env *e, const char *want)
{
	char got[2 * SNP_MEASUREMENT_SIZE + 1];

	assert_non_null(fake_kvm_measurement(&e->fk));
	hex_encode(fake_kvm_measurement(&e->fk), SNP_MEASUREMENT_SIZE, got);
	assert_string_equal(got, want);
}

/* The launch result claims a MEASUREMENT, and it is want (hex). */
static void assert_result_measurement(const struct launch_result *res, const char *want)
{
	char got[2 * SNP_MEASUREMENT_SIZE + 1];

	assert_true(res->has_measurement);
	hex_encode(res->measurement, SNP_MEASUREMENT_SIZE, got);
	assert_string_equal(got, want);
}

/* The sim backend launches path to the MEASUREMENT want (hex) too. */
static void assert_sim_launch_measures(struct env *e, const char *path, const char *want)
{
	struct snp_err err = { 0 };

	assert_int_equal(run(e, path, true, false, &err), 0);
	assert_result_measurement(e->res, want);
	launch_prep_free(e->prep);
}

static void launch_matches_measure(struct env *e, const char *path)
{
	char want[2 * SNP_MEASUREMENT_SIZE + 1];

	measure_cli(path, want);
	/* the snp backend through the fake: partial progress and EAGAIN on the way */
	fake_kvm_init(&e->fk, e->sp);
	e->fk.max_pages = 3;
	e->fk.eagain_every = 4;
	snp_launch_ok(e, path, false);
	assert_fake_measurement(e, want);
	/* KVM does not return the MEASUREMENT without an ID block: none is claimed */
	assert_false(e->res->has_measurement);
	assert_int_equal(e->res->fw_status, SNP_FW_SUCCESS);
	assert_true(e->fk.sev_calls[KVM_SEV_SNP_LAUNCH_UPDATE] > e->res->npages / 3);
	assert_released_prep_freed(e);
	assert_sim_launch_measures(e, path, want);
}

static void payload_launch_matches_measure(void **state)
{
	struct env *e = test_env(state);

	launch_matches_measure(e, payload_policy(e));
}

static void ovmf_launch_matches_measure(void **state)
{
	struct env *e = test_env(state);

	launch_matches_measure(e, ovmf_policy(e));
}

/* Replaces every occurrence of from in text (of size n) by to: at least one, or the test fails. */
static void replace_all(char *text, size_t n, const char *from, const char *to)
{
	char *at = strstr(text, from), *p = at;

	if (!at)
		fail_msg("scripts/demo.sh's policy no longer has %s", from);
	for (; p; p = strstr(p + strlen(to), from)) {
		const size_t tail = strlen(p + strlen(from)) + 1;

		assert_true(p - text + strlen(to) + tail <= n);
		memmove(p + strlen(to), p + strlen(from), tail);
		memcpy(p, to, strlen(to));
	}
}

/*
 * <dir>/guest.json: the launch policy scripts/demo.sh writes in its step 2,
 * taken from the script itself (so the test follows the demo), with its
 * $idkeys filled in, "backend" "snp" instead of "sim" and sim_dir the fake's
 * sim; the payload serve.elf copied to <dir>/guest.elf as the demo does.
 */
static const char *demo_policy(struct env *e)
{
	static const char head[] = "cat >guest.json <<JSON\n";
	struct snp_err err = { 0 };
	char text[8192], elf[1200], sim_dir[1200];
	uint8_t *sh, *guest;
	size_t len, glen;
	const char *start, *end;

	if (file_read("scripts/demo.sh", 1 << 20, &sh, &len, &err) != 0)
		fail_msg("%s", err.msg);
	sh = realloc(sh, len + 1);
	assert_non_null(sh);
	sh[len] = '\0';
	assert_non_null(start = strstr((char *)sh, head));
	start += strlen(head);
	assert_non_null(end = strstr(start, "\nJSON\n"));
	assert_true((size_t)(end - start) < sizeof(text) / 2);
	memcpy(text, start, (size_t)(end - start));
	text[end - start] = '\0';
	free(sh);
	replace_all(text, sizeof(text), "$idkeys", abs_path(tdata_path("idblock")));
	replace_all(text, sizeof(text), "\"backend\": \"sim\"", "\"backend\": \"snp\"");
	snprintf(sim_dir, sizeof(sim_dir), "\"sim_dir\": \"%s\"", e->dir);
	replace_all(text, sizeof(text), "\"sim_dir\": \"sp\"", sim_dir);
	assert_null(strchr(text, '$'));
	/* the demo's keys and values, as the issue states them */
	assert_non_null(strstr(text, "\"payload\": \"guest.elf\", \"cmdline\": \"role=demo\""));
	assert_non_null(strstr(text, "\"vcpus\": 1, \"vcpu_type\": \"EPYC-v4\", \"memory_mib\": 64"));
	assert_non_null(strstr(text, "\"host_data\": \"policy-digest\""));
	assert_non_null(strstr(text, "\"id_block\": {\"id_key\": "));

	if (file_read(tguest_path("serve"), 64 << 20, &guest, &glen, &err) != 0)
		fail_msg("%s (make guests)", err.msg);
	snprintf(elf, sizeof(elf), "%s/guest.elf", e->dir);
	if (file_write_atomic(elf, guest, glen, 0644, &err) != 0)
		fail_msg("%s", err.msg);
	free(guest);
	snprintf(e->path, sizeof(e->path), "%s/guest.json", e->dir);
	if (file_write_atomic(e->path, text, strlen(text), 0644, &err) != 0)
		fail_msg("%s", err.msg);
	return e->path;
}

/*
 * The demo's own policy (issue 11, "Done when"): launched on snp through the
 * fake KVM, the sim's MEASUREMENT is `snpvm measure`'s; with its ID block the
 * firmware checked it, so the launch result knows it too; HOST_DATA is the
 * one `snpvm measure --verifier-policy` expects; the sim backend agrees.
 */
static void demo_policy_launch_matches_measure(void **state)
{
	struct env *e = test_env(state);
	char want[2 * SNP_MEASUREMENT_SIZE + 1];
	char host_data[2 * SNP_HOST_DATA_SIZE + 1], key[120];
	const char *path = demo_policy(e);
	const char *argv[] = { "measure", "--verifier-policy", path, NULL };
	struct run_result r;

	measure_cli(path, want);
	run_snpvm(argv, NULL, &r);
	if (r.status != 0)
		fail_msg("measure --verifier-policy: %d %s", r.status, r.err);

	fake_kvm_init(&e->fk, e->sp);
	snp_launch_ok(e, path, false);
	assert_fake_measurement(e, want);
	assert_result_measurement(e->res, want);
	assert_int_equal(e->fk.nvcpus, 1);
	assert_true(e->fk.g->author_key_en);
	hex_encode(e->fk.g->host_data, SNP_HOST_DATA_SIZE, host_data);
	snprintf(key, sizeof(key), "\"host_data\": \"%s\"", host_data);
	if (!strstr(r.out, key))
		fail_msg("HOST_DATA %s is not the verifier policy's: %s", host_data, r.out);
	run_result_free(&r);
	assert_released_prep_freed(e);

	assert_sim_launch_measures(e, path, want);
}

/* Three QEMU-profile vectors with OVMF + kernel through launch_sequence on the snp backend. */
static void vectors_with_kernel_reproduce(void **state)
{
	struct env *e = test_env(state);
	struct measure_vectors *mv = calloc(1, sizeof(*mv));
	struct snp_err err = { 0 };
	size_t n = 0;

	assert_non_null(mv);
	measure_vectors_load(mv);
	for (size_t i = 0; i < mv->n && n < 3; i++) {
		const struct vector *v = &mv->v[i];
		uint8_t want[SNP_MEASUREMENT_SIZE];
		struct sev_backend be = { 0 };
		struct guest_mem mem = { 0 };
		struct lib_run r;
		struct launch_seq seq = { .policy = 0x30000 };
		struct snp_backend_opts so = { 0 };

		lib_setup(v, &r);
		if (!v->expect || r.o.launch.mode != MEASURE_MODE_SNP || r.o.ovmf_hash ||
		    !r.o.launch.kernel_hashes || r.o.launch.vmm != VMM_QEMU ||
		    r.o.launch.vcpus > FAKE_KVM_MAX_VCPUS || !(r.o.launch.guest_features & 1) ||
		    (r.o.launch.guest_features & ~0x3full)) {
			lib_teardown(&r);
			continue;
		}
		assert_int_equal(hex_or_b64_decode(v->expect, want, sizeof(want), "expect", &err),
				 0);
		fake_kvm_init(&e->fk, e->sp);
		assert_int_equal(guest_mem_alloc(&mem, 64ull << 20, &err), 0);
		so = (struct snp_backend_opts){ .kvm = &e->fk.ops, .mem = &mem,
						.vcpus = r.o.launch.vcpus,
						.guest_features = r.o.launch.guest_features };
		seq.opts = &r.o.launch;
		if (backend_snp_open(&so, &be, &err) != 0 || launch_sequence(&be, &mem, &seq, &err))
			fail_msg("vector %zu: %s (fake: %s)", v->index, err.msg, e->fk.why);
		assert_non_null(fake_kvm_measurement(&e->fk));
		assert_memory_equal(fake_kvm_measurement(&e->fk), want, sizeof(want));
		be.ops->close(&be);
		guest_mem_free(&mem);
		assert_released(e);
		lib_teardown(&r);
		n++;
	}
	print_message("%zu sev-snp-measure vectors with OVMF + kernel reproduced on snp\n", n);
	assert_int_equal(n, 3);
	measure_vectors_free(mv);
	free(mv);
}

/* With an ID block (and author key) the firmware checks the digest: the MEASUREMENT is known. */
static void id_block_launch_knows_its_measurement(void **state)
{
	struct env *e = test_env(state);
	char extra[4400], id[2100], author[2100], want[2 * SNP_MEASUREMENT_SIZE + 1];
	const char *path;

	snprintf(id, sizeof(id), "%s", abs_path(tdata_path("idblock/id_key_test.pem")));
	snprintf(author, sizeof(author), "%s", abs_path(tdata_path("idblock/author_key_test.pem")));
	snprintf(extra, sizeof(extra), ", \"id_block\": {\"id_key\": \"%s\", \"author_key\": \"%s\"}",
		 id, author);
	path = policy(e, "idblock", "payload", tguest_path("report"), extra);
	measure_cli(path, want);
	fake_kvm_init(&e->fk, e->sp);
	snp_launch_ok(e, path, false);
	assert_true(e->prep->author_key_en);
	assert_result_measurement(e->res, want);
	assert_fake_measurement(e, want);
	assert_true(e->fk.g->author_key_en);
	assert_released_prep_freed(e);
}

/* A refused CPUID page: the differing leaf named; with the accept flag the launch goes on. */
static void refused_cpuid_page(void **state)
{
	struct env *e = test_env(state);
	struct launch_result *res = e->res;
	struct snp_err err = { 0 };
	const char *path = ovmf_policy(e);

	fake_kvm_init(&e->fk, e->sp);
	e->fk.cpuid_flip_leaf1_ecx = 0x4; /* a feature the simulated CPU lacks */
	assert_int_equal(run(e, path, false, false, &err), SNP_E_REFUSED);
	assert_non_null(strstr(err.msg, "CPUID page"));
	assert_non_null(strstr(err.msg, "0x00000001.0 ECX"));
	/* the sim's leaf 1 ECX is 0xfef83203 (sim/cpuid.c); bit 2 set by the fake is cleared */
	assert_int_equal(res->ncpuid_fixups, 1);
	assert_int_equal(res->cpuid_fixups[0].eax_in, 1);
	assert_int_equal(res->cpuid_fixups[0].ecx_in, 0);
	assert_int_equal(res->cpuid_fixups[0].reg, 2);
	assert_int_equal(res->cpuid_fixups[0].sent, 0xfef83207);
	assert_int_equal(res->cpuid_fixups[0].fixed, 0xfef83203);
	assert_non_null(strstr(err.msg, "1 correction(s): 0x00000001.0 ECX 0xfef83207->0xfef83203"));
	assert_true(res->firmware_refused);
	assert_int_equal(res->fw_status, SNP_FW_INVALID_PARAM);
	assert_released_prep_freed(e);

	fake_kvm_init(&e->fk, e->sp);
	e->fk.cpuid_flip_leaf1_ecx = 0x4;
	snp_launch_ok(e, path, true);
	assert_int_equal(res->ncpuid_fixups, 1);
	assert_int_equal(res->cpuid_fixups[0].fixed, 0xfef83203);
	/* the CPUID page is measured without its contents: the prediction holds */
	assert_memory_equal(fake_kvm_measurement(&e->fk), e->prep->measurement,
			    SNP_MEASUREMENT_SIZE);
	assert_released_prep_freed(e);
}

/*
 * Many corrections (far more than an error message holds): every one is in
 * the launch result, none cut. The fake sets bit 31 in every register of
 * every leaf; the sim's firmware (sim/cpuid.c) corrects each register whose
 * real value lacks that bit back to the real value (a set bit the CPU lacks
 * is never allowed), and accepts the clearing of a bit it has.
 */
static void every_cpuid_fixup_kept(void **state)
{
	struct env *e = test_env(state);
	struct launch_result *res = e->res;
	struct snp_err err = { 0 };
	struct snp_cpuid_page hw;
	const uint32_t bit = 0x80000000u;
	unsigned n = 0;

	sim_cpuid_fill(sim_sp_platform(e->sp), &hw);
	fake_kvm_init(&e->fk, e->sp);
	e->fk.cpuid_flip_all = bit;
	assert_int_equal(run(e, ovmf_policy(e), false, false, &err), SNP_E_REFUSED);
	for (uint32_t i = 0; i < hw.count; i++) {
		const uint32_t r[4] = { hw.entries[i].eax, hw.entries[i].ebx, hw.entries[i].ecx,
					hw.entries[i].edx };

		for (unsigned k = 0; k < 4; k++) {
			const struct snp_cpuid_fixup *f = &res->cpuid_fixups[n];

			if (r[k] & bit)
				continue;
			assert_true(n < res->ncpuid_fixups);
			assert_int_equal(f->eax_in, hw.entries[i].eax_in);
			assert_int_equal(f->ecx_in, hw.entries[i].ecx_in);
			assert_int_equal(f->reg, k);
			assert_int_equal(f->sent, r[k] | bit);
			assert_int_equal(f->fixed, r[k]);
			n++;
		}
	}
	/* 7 leaves of 4 registers; leaf 1 ECX and leaf 0x80000000 EAX have bit 31 set */
	assert_int_equal(n, 26);
	assert_int_equal(res->ncpuid_fixups, n);
	assert_non_null(strstr(err.msg, "26 correction(s): 0x00000000.0 EAX 0x80000010->0x00000010, "
					"... (every one listed in the launch result)"));
	assert_released_prep_freed(e);
}

/* A policy the firmware refuses (DEBUG where the platform forbids it): POLICY_FAILURE. */
static void policy_failure_from_the_firmware(void **state)
{
	struct env *e = test_env(state);
	struct launch_result *res = e->res;
	struct snp_err err = { 0 };
	const char *path = policy(e, "debug", "payload", tguest_path("report"), NULL);
	char text[4096];
	size_t len;
	uint8_t *buf;

	/* the same policy with debug on */
	assert_int_equal(file_read(path, sizeof(text) - 1, &buf, &len, &err), 0);
	memcpy(text, buf, len);
	text[len] = '\0';
	free(buf);
	memcpy(strstr(text, "\"debug\": false"), "\"debug\": true ", 14);
	assert_int_equal(file_write_atomic(path, text, len, 0644, &err), 0);
	e->sp->debug_allowed = false;
	fake_kvm_init(&e->fk, e->sp);
	assert_int_equal(run(e, path, false, false, &err), SNP_E_REFUSED);
	e->sp->debug_allowed = true;
	assert_non_null(strstr(err.msg, "KVM_SEV_SNP_LAUNCH_START: EIO"));
	assert_non_null(strstr(err.msg, "POLICY_FAILURE (0x07)"));
	assert_true(res->firmware_refused);
	assert_int_equal(res->fw_status, SNP_FW_POLICY_FAILURE);
	assert_released_prep_freed(e);
}

/* Each call the launch makes, failing in turn. */
static void each_call_failing(void **state)
{
	static const struct {
		struct fake_kvm_fail f;
		const char *want;   /* in the message */
		int code;
	} cases[] = {
		{ { FAKE_KVM_REQ_OPEN, 0, 1, 1, ENOENT, 0 }, "open /dev/kvm: ENOENT", SNP_E_SYS },
		{ { FAKE_KVM_REQ_OPEN, 0, 2, 1, EACCES, 0 }, "open /dev/sev: EACCES", SNP_E_SYS },
		{ { KVM_CHECK_EXTENSION, 0, 1, 1, EINVAL, 0 }, "KVM_CAP_VM_TYPES", SNP_E_SYS },
		{ { KVM_GET_DEVICE_ATTR, 0, 1, 1, ENXIO, 0 }, "KVM_GET_DEVICE_ATTR", SNP_E_SYS },
		{ { KVM_GET_SUPPORTED_CPUID, 0, 1, 1, ENOMEM, 0 }, "KVM_GET_SUPPORTED_CPUID: ENOMEM",
		  SNP_E_NOMEM },
		{ { KVM_CREATE_VM, 0, 1, 1, EINVAL, 0 }, "KVM_CREATE_VM(KVM_X86_SNP_VM): EINVAL",
		  SNP_E_SYS },
		{ { KVM_ENABLE_CAP, 0, 1, 1, EINVAL, 0 }, "KVM_ENABLE_CAP", SNP_E_SYS },
		{ { KVM_CREATE_IRQCHIP, 0, 1, 1, EEXIST, 0 }, "KVM_CREATE_IRQCHIP: EEXIST",
		  SNP_E_SYS },
		{ { KVM_MEMORY_ENCRYPT_OP, KVM_SEV_INIT2, 1, 1, EIO, SNP_FW_INVALID_PLATFORM_STATE },
		  "KVM_SEV_INIT2: EIO (Input/output error), firmware status INVALID_PLATFORM_STATE",
		  SNP_E_REFUSED },
		{ { KVM_CREATE_GUEST_MEMFD, 0, 1, 1, ENOMEM, 0 }, "KVM_CREATE_GUEST_MEMFD",
		  SNP_E_NOMEM },
		{ { KVM_CREATE_GUEST_MEMFD, 0, 2, 1, ENOMEM, 0 }, "KVM_CREATE_GUEST_MEMFD",
		  SNP_E_NOMEM },
		{ { FAKE_KVM_REQ_MMAP, 0, 1, 1, ENOMEM, 0 }, "mmap", SNP_E_NOMEM },
		{ { KVM_SET_USER_MEMORY_REGION2, 0, 1, 1, EINVAL, 0 }, "KVM_SET_USER_MEMORY_REGION2",
		  SNP_E_SYS },
		{ { KVM_SET_USER_MEMORY_REGION2, 0, 2, 1, EEXIST, 0 },
		  "KVM_SET_USER_MEMORY_REGION2 (slot 1", SNP_E_SYS },
		{ { KVM_SET_MEMORY_ATTRIBUTES, 0, 1, 1, EINVAL, 0 }, "KVM_SET_MEMORY_ATTRIBUTES",
		  SNP_E_SYS },
		{ { KVM_MEMORY_ENCRYPT_OP, KVM_SEV_SNP_LAUNCH_START, 1, 1, EIO, SNP_FW_POLICY_FAILURE },
		  "KVM_SEV_SNP_LAUNCH_START: EIO (Input/output error), firmware status "
		  "POLICY_FAILURE", SNP_E_REFUSED },
		{ { KVM_MEMORY_ENCRYPT_OP, KVM_SEV_SNP_LAUNCH_UPDATE, 1, 1, EINVAL, 0 },
		  "KVM_SEV_SNP_LAUNCH_UPDATE (type 1, GPA 0xffe00000): EINVAL", SNP_E_SYS },
		{ { KVM_MEMORY_ENCRYPT_OP, KVM_SEV_SNP_LAUNCH_UPDATE, 7, 0, EAGAIN, 0 },
		  "KVM_SEV_SNP_LAUNCH_UPDATE (type 1, GPA 0xffe1e000): EAGAIN", SNP_E_SYS },
		{ { KVM_MEMORY_ENCRYPT_OP, KVM_SEV_SNP_LAUNCH_UPDATE, 3, 1, EIO,
		    SNP_FW_INVALID_ADDRESS }, "firmware status INVALID_ADDRESS (0x09)",
		  SNP_E_REFUSED },
		{ { KVM_CREATE_VCPU, 0, 2, 1, ENOMEM, 0 }, "KVM_CREATE_VCPU: ENOMEM", SNP_E_NOMEM },
		{ { KVM_SET_CPUID2, 0, 1, 1, E2BIG, 0 }, "vCPU 0: KVM_SET_CPUID2: E2BIG", SNP_E_SYS },
		{ { KVM_GET_SREGS, 0, 1, 1, EIO, 0 }, "vCPU 0: KVM_GET_SREGS: EIO", SNP_E_SYS },
		{ { KVM_SET_SREGS, 0, 2, 1, EINVAL, 0 }, "vCPU 1: KVM_SET_SREGS: EINVAL", SNP_E_SYS },
		{ { KVM_SET_REGS, 0, 1, 1, EINVAL, 0 }, "vCPU 0: KVM_SET_REGS", SNP_E_SYS },
		{ { KVM_SET_FPU, 0, 1, 1, EINVAL, 0 }, "vCPU 0: KVM_SET_FPU", SNP_E_SYS },
		{ { KVM_SET_XCRS, 0, 1, 1, EINVAL, 0 }, "vCPU 0: KVM_SET_XCRS", SNP_E_SYS },
		{ { KVM_MEMORY_ENCRYPT_OP, KVM_SEV_SNP_LAUNCH_FINISH, 1, 1, EIO,
		    SNP_FW_BAD_MEASUREMENT },
		  "KVM_SEV_SNP_LAUNCH_FINISH: EIO (Input/output error), firmware status "
		  "BAD_MEASUREMENT (0x0b)", SNP_E_REFUSED },
	};
	struct env *e = test_env(state);
	struct launch_result *res = e->res;
	const char *path = ovmf_policy(e);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct snp_err err = { 0 };
		int ret;

		fake_kvm_init(&e->fk, e->sp);
		e->fk.fail[0] = cases[i].f;
		ret = run(e, path, false, false, &err);
		if (ret != cases[i].code || !strstr(err.msg, cases[i].want))
			fail_msg("case %zu: %d %s (want %d, '%s')", i, ret, err.msg, cases[i].code,
				 cases[i].want);
		assert_false(res->has_measurement);
		assert_null(fake_kvm_measurement(&e->fk));
		assert_int_equal(res->firmware_refused, cases[i].f.fw != 0);
		assert_int_equal(res->fw_status, cases[i].f.fw);
		assert_released_prep_freed(e);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(payload_launch_matches_measure),
		cmocka_unit_test(ovmf_launch_matches_measure),
		cmocka_unit_test(demo_policy_launch_matches_measure),
		cmocka_unit_test(vectors_with_kernel_reproduce),
		cmocka_unit_test(id_block_launch_knows_its_measurement),
		cmocka_unit_test(refused_cpuid_page),
		cmocka_unit_test(every_cpuid_fixup_kept),
		cmocka_unit_test(policy_failure_from_the_firmware),
		cmocka_unit_test(each_call_failing),
	};

	return cmocka_run_group_tests_name("launcher/snp-launch", tests, setup, teardown);
}
