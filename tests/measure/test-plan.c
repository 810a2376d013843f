/*
 * measure/plan.c: the launch plan as a list of SNP_LAUNCH_UPDATE steps,
 * recorded by a sink and compared with the order, types and GPAs of
 * reference/snp-launch-digest.md §6-§7 written out by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "abi/endian.h"
#include "abi/vmsa.h"
#include "measure/gctx.h"
#include "measure/kernel-hashes.h"
#include "measure/measure.h"
#include "measure/payload.h"
#include "measure/plan.h"
#include "tests/common/testutil.h"

#define SUFFIX "measure/firmware/ovmf_AmdSev_suffix.bin"
#define DEBIAN "debian-ovmf/usr/share/ovmf/OVMF.fd"
#define MAX_STEPS 64

struct step {
	enum snp_page_type type;
	uint64_t gpa;
	size_t len;
	bool has_data;
	uint8_t page[SNP_PAGE_SIZE]; /* the contents of a one-page step */
};

struct recorder {
	struct step s[MAX_STEPS];
	size_t n;
	size_t fail_at; /* return SNP_E_SYS at this step (0: never) */
};

static int record(void *ctx, enum snp_page_type type, uint64_t gpa, const uint8_t *data,
		  size_t len, struct snp_err *err)
{
	struct recorder *r = ctx;
	struct step *st;

	if (r->fail_at && r->n + 1 == r->fail_at)
		return snp_errf(err, SNP_E_SYS, "sink refuses step %zu", r->n + 1);
	assert_true(r->n < MAX_STEPS);
	st = &r->s[r->n++];
	st->type = type;
	st->gpa = gpa;
	st->len = len;
	st->has_data = data != NULL;
	if (data && len == SNP_PAGE_SIZE)
		memcpy(st->page, data, SNP_PAGE_SIZE);
	return 0;
}

/* A VMSA step: recorded as its page, in vCPU order. */
static int record_vmsa(void *ctx, unsigned idx, const struct snp_vmsa *v, struct snp_err *err)
{
	struct recorder *r = ctx;
	uint8_t page[SNP_VMSA_SIZE];
	unsigned before = 0;

	for (size_t i = 0; i < r->n; i++)
		before += r->s[i].type == SNP_PAGE_TYPE_VMSA;
	assert_int_equal(idx, before);
	vmsa_write(v, page);
	return record(ctx, SNP_PAGE_TYPE_VMSA, SNP_VMSA_GPA, page, sizeof(page), err);
}

static void opts_init(struct launch_opts *o, enum vmm_type vmm, unsigned vcpus, const uint8_t *fw,
		      size_t len)
{
	memset(o, 0, sizeof(*o));
	o->mode = MEASURE_MODE_SNP;
	o->vmm = vmm;
	o->vcpus = vcpus;
	o->vcpu_sig = 0x00A00F11;
	o->guest_features = 1;
	o->ovmf = fw;
	o->ovmf_len = len;
}

struct want {
	enum snp_page_type type;
	uint64_t gpa;
	size_t len;
};

/* Steps 1..n-1 of r (after the firmware) must be want[], then the VMSAs. */
static void check_steps(const struct recorder *r, size_t fw_len, const struct want *want,
			size_t nwant, unsigned vcpus)
{
	assert_int_equal(r->n, 1 + nwant + vcpus);
	assert_int_equal(r->s[0].type, SNP_PAGE_TYPE_NORMAL);
	assert_int_equal(r->s[0].gpa, 0x100000000ull - fw_len);
	assert_int_equal(r->s[0].len, fw_len);
	assert_true(r->s[0].has_data);
	for (size_t i = 0; i < nwant; i++) {
		const struct step *st = &r->s[1 + i];

		if (st->type != want[i].type || st->gpa != want[i].gpa || st->len != want[i].len)
			fail_msg("step %zu: %s at 0x%llx len 0x%zx, want %s at 0x%llx len 0x%zx",
				 1 + i, snp_page_type_name(st->type), (unsigned long long)st->gpa,
				 st->len, snp_page_type_name(want[i].type),
				 (unsigned long long)want[i].gpa, want[i].len);
		assert_int_equal(st->has_data, st->type == SNP_PAGE_TYPE_NORMAL);
	}
	for (unsigned v = 0; v < vcpus; v++) {
		const struct step *st = &r->s[1 + nwant + v];

		assert_int_equal(st->type, SNP_PAGE_TYPE_VMSA);
		assert_int_equal(st->gpa, SNP_VMSA_GPA);
		assert_int_equal(st->len, SNP_PAGE_SIZE);
		assert_true(st->has_data);
	}
}

/*
 * Runs the plan for the firmware at rel (tests/data) under vmm with vcpus and
 * kh, checks its steps against want[] and returns the recording (free it).
 */
static struct recorder *plan_check(const char *rel, enum vmm_type vmm, unsigned vcpus,
				   const struct sev_hashes *kh, const struct want *want,
				   size_t nwant)
{
	struct snp_err err = { 0 };
	struct launch_opts o;
	struct recorder *r = calloc(1, sizeof(*r));
	size_t len;
	uint8_t *buf = tdata_read(rel, &len);

	assert_non_null(r);
	opts_init(&o, vmm, vcpus, buf, len);
	o.kernel_hashes = kh;
	if (launch_plan_run(&o, &(struct launch_sink){ record, record_vmsa, r }, &err) != 0)
		fail_msg("launch_plan_run: %s", err.msg);
	check_steps(r, len, want, nwant, vcpus);
	free(buf);
	return r;
}

/* EC2 measures CPUID after every other section (§6.3): only the order differs from QEMU. */
static void plan_ec2_moves_cpuid_last(void **state)
{
	static const struct want want[] = {
		{ SNP_PAGE_TYPE_ZERO, 0x800000, 0x9000 },   { SNP_PAGE_TYPE_ZERO, 0x80A000, 0x3000 },
		{ SNP_PAGE_TYPE_SECRETS, 0x80D000, 0x1000 }, { SNP_PAGE_TYPE_ZERO, 0x80F000, 0x1000 },
		{ SNP_PAGE_TYPE_ZERO, 0x810000, 0x1000 },   { SNP_PAGE_TYPE_ZERO, 0x811000, 0xF000 },
		{ SNP_PAGE_TYPE_CPUID, 0x80E000, 0x1000 },
	};

	(void)state;
	free(plan_check(SUFFIX, VMM_EC2, 1, NULL, want, sizeof(want) / sizeof(want[0])));
}

/* GCE measures SNP_SEC_MEM as UNMEASURED pages (§6.2). */
static void plan_gce_sec_mem_is_unmeasured(void **state)
{
	static const struct want want[] = {
		{ SNP_PAGE_TYPE_UNMEASURED, 0x800000, 0x9000 },
		{ SNP_PAGE_TYPE_UNMEASURED, 0x80A000, 0x3000 },
		{ SNP_PAGE_TYPE_SECRETS, 0x80D000, 0x1000 },
		{ SNP_PAGE_TYPE_CPUID, 0x80E000, 0x1000 },
		{ SNP_PAGE_TYPE_UNMEASURED, 0x80F000, 0x11000 },
	};

	(void)state;
	free(plan_check(DEBIAN, VMM_GCE, 2, NULL, want, sizeof(want) / sizeof(want[0])));
}

/* QEMU on the AmdSev suffix with a kernel: the hashes page is one NORMAL page (§6.1). */
static void plan_kernel_hashes_page_is_normal(void **state)
{
	static const struct want want[] = {
		{ SNP_PAGE_TYPE_ZERO, 0x800000, 0x9000 },   { SNP_PAGE_TYPE_ZERO, 0x80A000, 0x3000 },
		{ SNP_PAGE_TYPE_SECRETS, 0x80D000, 0x1000 }, { SNP_PAGE_TYPE_CPUID, 0x80E000, 0x1000 },
		{ SNP_PAGE_TYPE_ZERO, 0x80F000, 0x1000 },   { SNP_PAGE_TYPE_NORMAL, 0x810000, 0x1000 },
		{ SNP_PAGE_TYPE_ZERO, 0x811000, 0xF000 },
	};
	struct snp_err err = { 0 };
	struct sev_hashes h;
	struct recorder *r;
	uint8_t zero[SNP_PAGE_SIZE] = { 0 };

	(void)state;
	assert_int_equal(kernel_hashes_compute(NULL, 0, NULL, 0, NULL, &h, &err), 0);
	r = plan_check(SUFFIX, VMM_QEMU, 1, &h, want, sizeof(want) / sizeof(want[0]));
	assert_memory_not_equal(r->s[6].page, zero, SNP_PAGE_SIZE);
	free(r);
}

/* QEMU on Debian's OVMF.fd, 4 vCPUs: one VMSA update each, the BSP's differs from the APs'. */
static void plan_one_vmsa_per_vcpu(void **state)
{
	static const struct want want[] = {
		{ SNP_PAGE_TYPE_ZERO, 0x800000, 0x9000 },    { SNP_PAGE_TYPE_ZERO, 0x80A000, 0x3000 },
		{ SNP_PAGE_TYPE_SECRETS, 0x80D000, 0x1000 }, { SNP_PAGE_TYPE_CPUID, 0x80E000, 0x1000 },
		{ SNP_PAGE_TYPE_ZERO, 0x80F000, 0x11000 },
	};
	struct recorder *r;

	(void)state;
	r = plan_check(DEBIAN, VMM_QEMU, 4, NULL, want, sizeof(want) / sizeof(want[0]));
	assert_memory_not_equal(r->s[r->n - 4].page, r->s[r->n - 3].page, SNP_PAGE_SIZE);
	assert_memory_equal(r->s[r->n - 3].page, r->s[r->n - 2].page, SNP_PAGE_SIZE);
	assert_memory_equal(r->s[r->n - 2].page, r->s[r->n - 1].page, SNP_PAGE_SIZE);
	free(r);
}

/* snp:ovmf-hash is the firmware step alone; a sink error stops the walk and comes back. */
static void plan_ovmf_hash_mode_and_sink_errors(void **state)
{
	struct snp_err err = { 0 };
	struct launch_opts o;
	struct recorder *r = calloc(1, sizeof(*r));
	size_t len;
	uint8_t *buf = tdata_read(DEBIAN, &len);

	(void)state;
	opts_init(&o, VMM_QEMU, 0, buf, len);
	o.mode = MEASURE_MODE_OVMF_HASH;
	assert_int_equal(launch_plan_run(&o, &(struct launch_sink){ record, record_vmsa, r }, &err), 0);
	assert_int_equal(r->n, 1);
	/* vCPUs are checked before any step */
	memset(r, 0, sizeof(*r));
	o.mode = MEASURE_MODE_SNP;
	assert_int_equal(launch_plan_run(&o, &(struct launch_sink){ record, record_vmsa, r }, &err),
			 SNP_E_INVALID);
	assert_int_equal(r->n, 0);
	o.vcpus = 2;
	r->fail_at = 3;
	assert_int_equal(launch_plan_run(&o, &(struct launch_sink){ record, record_vmsa, r }, &err), SNP_E_SYS);
	assert_non_null(strstr(err.msg, "sink refuses step 3"));
	assert_int_equal(r->n, 2);
	free(r);
	free(buf);
}

/* Payload mode: the image's ranges in order, then one VMSA per vCPU from its start states. */
static void plan_payload_mode(void **state)
{
	static uint8_t elf[0x1100];
	struct snp_err err = { 0 };
	struct payload_image img;
	struct launch_opts o = { .mode = MEASURE_MODE_PAYLOAD };
	struct recorder *r = calloc(1, sizeof(*r));
	struct payload_opts po = { .elf = elf, .elf_len = sizeof(elf), .mem_size = 4u << 20,
				   .vcpus = 2, .guest_features = 1 };
	struct measure_opts mo = { .launch = o };
	struct measure_result res;
	struct gctx g;

	(void)state;
	assert_non_null(r);
	/* ELF64 x86-64 ET_EXEC, one PT_LOAD of 0x100 file bytes at 1 MiB, memsz 0x2000. */
	memcpy(elf, "\177ELF\2\1\1", 7);
	le16_put(elf + 0x10, 2);
	le16_put(elf + 0x12, 62);
	le32_put(elf + 0x14, 1);
	le64_put(elf + 0x18, 0x100000);
	le64_put(elf + 0x20, 64);
	le16_put(elf + 0x34, 64);
	le16_put(elf + 0x36, 56);
	le16_put(elf + 0x38, 1);
	le32_put(elf + 64, 1);
	le64_put(elf + 64 + 0x08, 0x1000);
	le64_put(elf + 64 + 0x10, 0x100000);
	le64_put(elf + 64 + 0x18, 0x100000);
	le64_put(elf + 64 + 0x20, 0x100);
	le64_put(elf + 64 + 0x28, 0x2000);
	memset(elf + 0x1000, 0xF4, 0x100);
	assert_int_equal(payload_build(&po, &img, &err), 0);
	o.payload = &img;
	assert_int_equal(launch_plan_run(&o, &(struct launch_sink){ record, record_vmsa, r }, &err),
			 0);
	assert_int_equal(r->n, img.nranges + 2);
	for (size_t i = 0; i < img.nranges; i++) {
		assert_int_equal(r->s[i].type, img.ranges[i].type);
		assert_int_equal(r->s[i].gpa, img.ranges[i].gpa);
		assert_int_equal(r->s[i].len, img.ranges[i].len);
	}
	/* The VMSA pages differ (RSP, RDI) and encode the image's states. */
	assert_memory_not_equal(r->s[r->n - 2].page, r->s[r->n - 1].page, SNP_PAGE_SIZE);
	/* measure_run is that sequence through the digest chain. */
	gctx_init(&g);
	for (size_t i = 0; i < img.nranges; i++) {
		const struct payload_page_range *pr = &img.ranges[i];

		if (pr->type == SNP_PAGE_TYPE_NORMAL)
			assert_int_equal(gctx_add_range(&g, pr->gpa, pr->data, pr->len, &err), 0);
		else if (pr->type == SNP_PAGE_TYPE_ZERO)
			assert_int_equal(gctx_add_zero_range(&g, pr->type, pr->gpa, pr->len, &err), 0);
		else
			assert_int_equal(gctx_add_page(&g, pr->type, pr->gpa, NULL, &err), 0);
	}
	for (size_t i = r->n - 2; i < r->n; i++)
		assert_int_equal(gctx_add_page(&g, SNP_PAGE_TYPE_VMSA, SNP_VMSA_GPA, r->s[i].page,
					       &err),
				 0);
	mo.launch.payload = &img;
	assert_int_equal(measure_run(&mo, &res, &err), 0);
	assert_memory_equal(res.ld, g.ld, SNP_LD_SIZE);
	/* A seed is a firmware-mode notion; payload mode without an image is refused. */
	mo.ovmf_hash = res.ld;
	assert_int_equal(measure_run(&mo, &res, &err), SNP_E_UNSUPPORTED);
	o.payload = NULL;
	assert_int_equal(launch_plan_run(&o, &(struct launch_sink){ record, record_vmsa, r }, &err),
			 SNP_E_INVALID);
	payload_image_free(&img);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plan_ec2_moves_cpuid_last),
		cmocka_unit_test(plan_gce_sec_mem_is_unmeasured),
		cmocka_unit_test(plan_kernel_hashes_page_is_normal),
		cmocka_unit_test(plan_one_vmsa_per_vcpu),
		cmocka_unit_test(plan_ovmf_hash_mode_and_sink_errors),
		cmocka_unit_test(plan_payload_mode),
	};

	return cmocka_run_group_tests_name("measure/plan", tests, NULL, NULL);
}
