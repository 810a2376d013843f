/*
 * An SNP guest run end to end through the fake KVM (tests/launcher/fake-kvm.h):
 * launch_run on a `snp` policy (the report payload, certs_dir = the sim's
 * certificates) without --launch-only launches through the fake and the sim,
 * then the kvm accelerator's run loop (launcher/accel-kvm-snp.c) meets a
 * scripted sequence of exits. Checked for each: the memory attributes KVM
 * holds afterwards, hypercall.ret, the released side (fallocate PUNCH_HOLE on
 * the guest_memfd when going shared, MADV_DONTNEED when going private), the
 * certificate table in guest memory and ENOSPC with the pages needed, hostile
 * page-state changes answered with an error (the VMM goes on), EINTR
 * re-entered, and the end: the GHCB termination request's reason in the
 * result, or a memory fault that keeps repeating stopping the VMM with an
 * error. Each call of the run path failing in turn (injected through the
 * fake) stops it with the call and errno named and nothing left open. Expected values come from the scripts, the API documents
 * (Documentation/virt/kvm/api.rst) and the sim's certificate files read here
 * with OpenSSL, never from the launcher.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "abi/cert-table.h"
#include "launcher/dev-fw-cfg.h"
#include "launcher/guest-mem.h"
#include "launcher/kvm-compat.h"
#include "launcher/launch.h"
#include "launcher/policy.h"
#include "launcher/vm-state.h"
#include "tests/common/testutil.h"
#include "tests/launcher/fake-kvm.h"
#include "tests/sim/simtest.h"
#include "util/file.h"

#define PAGE 4096ull
#define BUF_GPA 0x2000000ull   /* 32 MiB: free RAM in the 64 MiB guest */
#define RAM_END (64ull << 20)
#define HC_RET 56              /* hypercall.ret in the exit union (api.rst) */
#define CERTS_NPAGES 8         /* snp_req_certs.npages */
#define CERTS_RET 16           /* snp_req_certs.ret */
#define ENC KVM_MAP_GPA_RANGE_ENCRYPTED

struct env {
	char *dir;
	struct sim_sp *sp;
	struct fake_kvm fk;
	char path[1200];
	struct vm *vm;        /* while it runs (on_vm) */
	uint8_t *table;       /* guest memory at BUF_GPA after the run: CERTS_PAGES pages */
	bool shared_after;    /* backend's view: BUF_GPA shared after the run */
};

#define CERTS_PAGES 4

static const char *report_guest(void)
{
	static char abs[2048];
	char cwd[1024];
	const char *t = tguest_path("report");

	if (t[0] == '/')
		return t;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(abs, sizeof(abs), "%s/%s", cwd, t);
	return abs;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	e->sp = fake_kvm_sim_open(&e->dir);
	fake_kvm_init(&e->fk, e->sp);
	e->fk.req_certs_attr = true;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	fake_kvm_fini(&e->fk);
	fake_kvm_sim_close(e->sp, e->dir);
	free(e->table);
	free(e);
	return 0;
}

/* Before the run: the VM; after it (vm NULL): guest memory at BUF_GPA is copied out. */
static void on_vm(struct vm *vm, void *ctx)
{
	struct env *e = ctx;

	if (vm) {
		e->vm = vm;
		return;
	}
	e->table = malloc(CERTS_PAGES * PAGE);
	assert_non_null(e->table);
	memcpy(e->table, guest_mem_hva(e->vm->mem, BUF_GPA, CERTS_PAGES * PAGE),
	       CERTS_PAGES * PAGE);
	e->vm = NULL;
}

/* Launches and runs the report payload on the snp backend through e->fk's script. */
static int run(struct env *e, bool certs, struct launch_result *res, struct snp_err *err)
{
	char text[4096], certs_key[1200] = "";
	struct launch_policy p;
	struct launch_prep prep;
	const struct launch_run_opts ro = { .console_fd = -1, .kvm = &e->fk.ops, .accel = "kvm",
					    .timeout_ms = 20000, .on_vm = on_vm, .on_vm_ctx = e };
	int ret;

	if (certs)
		snprintf(certs_key, sizeof(certs_key), ", \"certs_dir\": \"%s/certs\"", e->dir);
	snprintf(text, sizeof(text),
		 "{\"backend\": \"snp\", \"payload\": \"%s\", \"vcpus\": 1, \"memory_mib\": 64, "
		 "\"guest_policy\": {\"debug\": false, \"smt\": true}%s}",
		 report_guest(), certs_key);
	snprintf(e->path, sizeof(e->path), "%s/run.json", e->dir);
	if (file_write_atomic(e->path, text, strlen(text), 0644, err) != 0 ||
	    launch_policy_load(e->path, &p, err) != 0 || launch_prepare(&p, &prep, err) != 0)
		fail_msg("%s", err->msg);
	ret = launch_run(&p, &prep, &ro, res, err);
	launch_prep_free(&prep);
	launch_policy_free(&p);
	return ret;
}

static void script(struct env *e, const struct fake_kvm_exit *x, size_t n)
{
	assert_true(n <= FAKE_KVM_MAX_SCRIPT);
	memcpy(e->fk.script, x, n * sizeof(*x));
	e->fk.nscript = (unsigned)n;
}

static void assert_released(const struct env *e)
{
	assert_int_equal(e->fk.nopen, 0);
	assert_int_equal(e->fk.nmaps, 0);
}

/* DER length of <dir>/certs/<name>.pem, read here with OpenSSL. */
static size_t der_len(const struct env *e, const char *name, uint8_t **der)
{
	char path[1200];
	FILE *f;
	X509 *x;
	int n;

	snprintf(path, sizeof(path), "%s/certs/%s.pem", e->dir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	*der = NULL;
	n = i2d_X509(x, der);
	X509_free(x);
	assert_true(n > 0);
	return (size_t)n;
}

/*
 * Page-state changes both ways, hostile ones, an implicit conversion, EINTR,
 * certificate requests with a small buffer, a large one and one in private
 * memory, then the termination request.
 */
static void scripted_exits(void **state)
{
	struct env *e = *state;
	const struct fake_kvm_exit x[] = {
		/* 0: 4 pages to shared, 1: 1 page back to private, 2: it to shared again */
		fake_kvm_exit_map_gpa(BUF_GPA, CERTS_PAGES, 0),
		fake_kvm_exit_map_gpa(BUF_GPA + 0x10000, 1, ENC),
		fake_kvm_exit_map_gpa(BUF_GPA + 0x10000, 1, 0),
		/* 3-8: hostile: unaligned, no pages, wrapping, bad attributes, outside RAM, straddling */
		fake_kvm_exit_map_gpa(BUF_GPA + 1, 1, ENC),
		fake_kvm_exit_map_gpa(BUF_GPA, 0, ENC),
		fake_kvm_exit_map_gpa(0xfffffffffffff000ull, 0x10, ENC),
		fake_kvm_exit_map_gpa(BUF_GPA, 1, 0x20),
		fake_kvm_exit_map_gpa(1ull << 40, 1, ENC),
		fake_kvm_exit_map_gpa(RAM_END - PAGE, 2, 0),
		/* 9: a shared access to a private page: implicit conversion */
		fake_kvm_exit_memory_fault(0, BUF_GPA + 0x20000 + 8, 8),
		/* 10: interrupted */
		fake_kvm_exit_eintr(),
		/* 11: a 1-page buffer (too small), 12: large enough, 13: in private memory */
		fake_kvm_exit_req_certs(BUF_GPA, 1),
		fake_kvm_exit_req_certs(BUF_GPA, CERTS_PAGES),
		fake_kvm_exit_req_certs(BUF_GPA + 0x30000, CERTS_PAGES),
		/* 14: GHCB termination: reason set 1, code 3 (GHCB MSR 0x100, bits 15:12, 23:16) */
		fake_kvm_exit_sev_term(0x100 | 1u << 12 | 3u << 16),
	};
	struct launch_result res;
	struct snp_err err = { 0 };
	struct snp_cert_table t;
	uint8_t *vcek, *ask, *ark;
	size_t vcek_len = der_len(e, "vcek", &vcek), ask_len = der_len(e, "ask", &ask),
	       ark_len = der_len(e, "ark", &ark);
	const uint8_t *blob;
	size_t blob_len, table_len = 4 * 24 + vcek_len + ask_len + ark_len;
	const struct fake_kvm_release *r;

	script(e, x, sizeof(x) / sizeof(x[0]));
	if (run(e, true, &res, &err) != 0)
		fail_msg("%s (fake: %s)", err.msg, e->fk.why);
	assert_true(res.ran);
	assert_true(res.certs_served);
	assert_true(e->fk.req_certs);
	/* every scripted exit was answered: the VMM re-entered after each but the last */
	for (size_t i = 0; i + 1 < sizeof(x) / sizeof(x[0]); i++)
		if (!e->fk.script[i].answered)
			fail_msg("exit %zu was not answered", i);
	assert_int_equal(e->fk.run_calls, sizeof(x) / sizeof(x[0]));

	/* conversions succeeded; the attributes KVM holds say so */
	for (int i = 0; i < 3; i++)
		assert_int_equal(fake_kvm_answer_u64(&e->fk.script[i], HC_RET), 0);
	assert_false(fake_kvm_is_private(&e->fk, BUF_GPA, PAGE));
	assert_false(fake_kvm_is_private(&e->fk, BUF_GPA + 0x10000, PAGE));
	assert_true(fake_kvm_is_private(&e->fk, BUF_GPA + 0x30000, PAGE));
	/* hostile requests: the guest sees -EINVAL, nothing changed */
	for (int i = 3; i <= 8; i++)
		if (fake_kvm_answer_u64(&e->fk.script[i], HC_RET) != (uint64_t)-EINVAL)
			fail_msg("hostile exit %d: ret 0x%llx", i,
				 (unsigned long long)fake_kvm_answer_u64(&e->fk.script[i], HC_RET));
	assert_true(fake_kvm_is_private(&e->fk, RAM_END - PAGE, PAGE));
	/* the memory fault made its page shared */
	assert_false(fake_kvm_is_private(&e->fk, BUF_GPA + 0x20000, PAGE));

	/* released sides: punch, madvise, punch (exits 0-2), punch (exit 9) */
	assert_int_equal(e->fk.nrelease, 4);
	r = &e->fk.release[0];
	assert_true(r->is_punch);
	assert_int_equal(r->mode, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE);
	assert_int_equal(r->off, BUF_GPA);
	assert_int_equal(r->len, CERTS_PAGES * PAGE);
	r = &e->fk.release[1];
	assert_false(r->is_punch);
	assert_int_equal(r->mode, MADV_DONTNEED);
	assert_int_equal(r->len, PAGE);
	assert_true(e->fk.release[2].is_punch);
	assert_int_equal(e->fk.release[2].off, BUF_GPA + 0x10000);
	assert_true(e->fk.release[3].is_punch);
	assert_int_equal(e->fk.release[3].off, BUF_GPA + 0x20000);
	assert_int_equal(e->fk.release[3].len, PAGE);

	/* certificates: ENOSPC with the pages needed, then the table, then EIO for private */
	assert_int_equal(fake_kvm_answer_u64(&e->fk.script[11], CERTS_RET), ENOSPC);
	assert_int_equal(fake_kvm_answer_u64(&e->fk.script[11], CERTS_NPAGES),
			 (table_len + PAGE - 1) / PAGE);
	assert_int_equal(fake_kvm_answer_u64(&e->fk.script[12], CERTS_RET), 0);
	assert_int_equal(fake_kvm_answer_u64(&e->fk.script[13], CERTS_RET), EIO);
	assert_non_null(e->table);
	if (cert_table_parse(e->table, CERTS_PAGES * PAGE, &t, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(t.n, 3);
	assert_non_null(blob = cert_table_find(&t, SNP_CERT_GUID_VCEK, &blob_len));
	assert_int_equal(blob_len, vcek_len);
	assert_memory_equal(blob, vcek, vcek_len);
	assert_non_null(blob = cert_table_find(&t, SNP_CERT_GUID_ASK, &blob_len));
	assert_memory_equal(blob, ask, ask_len);
	assert_non_null(blob = cert_table_find(&t, SNP_CERT_GUID_ARK, &blob_len));
	assert_memory_equal(blob, ark, ark_len);

	/* the end: the guest's termination request */
	assert_int_equal(res.vm.end, VM_END_TERMINATED);
	assert_int_equal(res.vm.term_set, 1);
	assert_int_equal(res.vm.term_code, 3);
	assert_non_null(strstr(res.vm.detail, "reason set 1, code 0x03"));
	assert_released(e);
	OPENSSL_free(vcek);
	OPENSSL_free(ask);
	OPENSSL_free(ark);
}

/* The same memory fault again and again: the VMM stops with an error instead of spinning. */
static void repeating_fault_stops_the_vm(void **state)
{
	struct env *e = *state;
	struct fake_kvm_exit x[12];
	struct launch_result res;
	struct snp_err err = { 0 };

	for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++)
		x[i] = fake_kvm_exit_memory_fault(KVM_MEMORY_EXIT_FLAG_PRIVATE, BUF_GPA, 8);
	script(e, x, sizeof(x) / sizeof(x[0]));
	/* the VMM stops (an error: `snpvm launch` exits 3), naming the fault */
	assert_int_equal(run(e, false, &res, &err), SNP_E_STATE);
	assert_non_null(strstr(err.msg, "KVM_EXIT_MEMORY_FAULT at GPA 0x2000000 repeats"));
	assert_true(e->fk.run_calls < sizeof(x) / sizeof(x[0]));
	assert_released(e);
}

/*
 * Each call of the run path failing in turn (issue 11: every failure path):
 * enabling certificate requests, the kvm_run mapping, KVM_RUN itself with an
 * errno the run loop does not retry, and the release of the unused side of a
 * page-state change. Each ends the launch with an error naming the call and
 * its errno (SNP_E_SYS or SNP_E_NOMEM: `snpvm launch` exits 3, not 1, as no
 * firmware refused anything), every fd closed and every mapping released.
 */
static void run_path_failing(void **state)
{
	const struct {
		struct fake_kvm_fail f;
		struct fake_kvm_exit x[2]; /* the script; .reason 0: none */
		const char *want;
		int code;
	} cases[] = {
		{ { KVM_MEMORY_ENCRYPT_OP, KVM_SEV_SNP_ENABLE_REQ_CERTS, 1, 1, EINVAL, 0 }, { { 0 } },
		  "snp: KVM_SEV_SNP_ENABLE_REQ_CERTS: EINVAL (Invalid argument)", SNP_E_SYS },
		{ { KVM_GET_VCPU_MMAP_SIZE, 0, 1, 1, EIO, 0 }, { { 0 } },
		  "vCPU 0: snp: KVM_GET_VCPU_MMAP_SIZE: EIO (Input/output error)", SNP_E_SYS },
		{ { FAKE_KVM_REQ_MMAP_RUN, 0, 1, 1, ENOMEM, 0 }, { { 0 } },
		  "vCPU 0: snp: mmap of a vCPU's kvm_run: ENOMEM (Cannot allocate memory)", SNP_E_NOMEM },
		{ { 0 }, { { .err = EIO } },
		  "vCPU 0: snp: KVM_RUN: EIO (Input/output error)", SNP_E_SYS },
		{ { 0 }, { { .err = ENOMEM } },
		  "vCPU 0: snp: KVM_RUN: ENOMEM (Cannot allocate memory)", SNP_E_NOMEM },
		{ { FAKE_KVM_REQ_FALLOCATE, 0, 1, 1, EIO, 0 },
		  { fake_kvm_exit_map_gpa(BUF_GPA, CERTS_PAGES, 0) },
		  "vCPU 0: KVM_HC_MAP_GPA_RANGE: snp: fallocate(PUNCH_HOLE) of 0x2000000+0x4000 "
		  "after the conversion: EIO (Input/output error)", SNP_E_SYS },
		{ { FAKE_KVM_REQ_FALLOCATE, 0, 1, 1, ENOMEM, 0 },
		  { fake_kvm_exit_memory_fault(0, BUF_GPA + 8, 8) },
		  "vCPU 0: KVM_EXIT_MEMORY_FAULT: snp: fallocate(PUNCH_HOLE) of 0x2000000+0x1000 "
		  "after the conversion: ENOMEM", SNP_E_NOMEM },
		{ { FAKE_KVM_REQ_MADVISE, 0, 1, 1, EINVAL, 0 },
		  { fake_kvm_exit_map_gpa(BUF_GPA, 1, 0), fake_kvm_exit_map_gpa(BUF_GPA, 1, ENC) },
		  "vCPU 0: KVM_HC_MAP_GPA_RANGE: snp: madvise(MADV_DONTNEED) of 0x2000000+0x1000 "
		  "after the conversion: EINVAL (Invalid argument)", SNP_E_SYS },
	};
	struct env *e = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct launch_result res;
		struct snp_err err = { 0 };
		size_t n = 0;
		int ret;

		fake_kvm_fini(&e->fk);
		fake_kvm_init(&e->fk, e->sp);
		e->fk.req_certs_attr = true;
		e->fk.fail[0] = cases[i].f;
		free(e->table); /* on_vm's copy from the case before */
		e->table = NULL;
		while (n < 2 && (cases[i].x[n].reason || cases[i].x[n].err))
			n++;
		script(e, cases[i].x, n);
		ret = run(e, true, &res, &err);
		if (ret != cases[i].code || !strstr(err.msg, cases[i].want))
			fail_msg("case %zu: %d %s (want %d, '%s'; fake: %s)", i, ret, err.msg,
				 cases[i].code, cases[i].want, e->fk.why);
		assert_false(res.firmware_refused);
		assert_int_equal(res.fw_status, 0);
		/* the launch itself went through: the failure is the run's */
		assert_true(e->fk.finished || cases[i].f.sev_cmd == KVM_SEV_SNP_ENABLE_REQ_CERTS);
		assert_released(e);
	}
}

/* Before the run: fw_cfg DMA descriptors in guest memory (the VMM's view of it) at gpa. */
static void put_desc(struct vm *vm, uint64_t gpa, uint16_t key, uint32_t len, uint64_t addr)
{
	uint8_t *d = guest_mem_hva(vm->mem, gpa, 16);
	const uint32_t control = (uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ;

	assert_non_null(d);
	for (int i = 0; i < 4; i++) {
		d[i] = (uint8_t)(control >> (24 - 8 * i));
		d[4 + i] = (uint8_t)(len >> (24 - 8 * i));
	}
	for (int i = 0; i < 8; i++)
		d[8 + i] = (uint8_t)(addr >> (56 - 8 * i));
}

#define DESC_SHARED BUF_GPA                 /* buffer shared: served */
#define DESC_TO_PRIVATE (BUF_GPA + 0x40)    /* buffer in a private page: ERROR */
#define PRIVATE_PAGE (BUF_GPA + 3 * PAGE)   /* stays private */
#define DESC_PRIVATE (PRIVATE_PAGE + 0x80)  /* the descriptor itself private: the VM stops */

static void on_vm_dma(struct vm *vm, void *ctx)
{
	if (vm) {
		put_desc(vm, DESC_SHARED, 0 /* signature */, 4, BUF_GPA + 0x100);
		put_desc(vm, DESC_TO_PRIVATE, 0, 4, PRIVATE_PAGE + 0x100);
		put_desc(vm, DESC_PRIVATE, 0, 4, BUF_GPA + 0x200);
	}
	on_vm(vm, ctx);
}

/* The guest's DMA address write: 0x514 (high half) then 0x518 (low half), big-endian. */
static void dma_exits(struct fake_kvm_exit *x, uint64_t gpa)
{
	uint8_t hi[4], lo[4];

	for (int i = 0; i < 4; i++) {
		hi[i] = (uint8_t)(gpa >> (56 - 8 * i));
		lo[i] = (uint8_t)(gpa >> (24 - 8 * i));
	}
	x[0] = fake_kvm_exit_pio_out(FW_CFG_PORT_DMA, 4, hi);
	x[1] = fake_kvm_exit_pio_out(FW_CFG_PORT_DMA + 4, 4, lo);
}

/*
 * fw_cfg DMA under SNP (launcher/dev-fw-cfg.c): descriptors and buffers must be
 * in shared pages. A shared descriptor naming a shared buffer is served; one
 * naming a private page gets the ERROR bit and that page is not written; a
 * descriptor in a private page stops the VM with a message naming it.
 */
static void fw_cfg_dma_needs_shared_pages(void **state)
{
	struct env *e = *state;
	struct fake_kvm_exit x[7];
	struct launch_result res;
	struct snp_err err = { 0 };
	char text[4096], path[1200];
	struct launch_policy p;
	struct launch_prep prep;
	const struct launch_run_opts ro = { .console_fd = -1, .kvm = &e->fk.ops, .accel = "kvm",
					    .timeout_ms = 20000, .on_vm = on_vm_dma,
					    .on_vm_ctx = e };

	x[0] = fake_kvm_exit_map_gpa(BUF_GPA, 3, 0); /* pages 0-2 shared, page 3 private */
	dma_exits(x + 1, DESC_SHARED);
	dma_exits(x + 3, DESC_TO_PRIVATE);
	dma_exits(x + 5, DESC_PRIVATE);
	script(e, x, sizeof(x) / sizeof(x[0]));
	snprintf(text, sizeof(text),
		 "{\"backend\": \"snp\", \"payload\": \"%s\", \"vcpus\": 1, \"memory_mib\": 64}",
		 report_guest());
	snprintf(path, sizeof(path), "%s/dma.json", e->dir);
	if (file_write_atomic(path, text, strlen(text), 0644, &err) != 0 ||
	    launch_policy_load(path, &p, &err) != 0 || launch_prepare(&p, &prep, &err) != 0)
		fail_msg("%s", err.msg);
	if (launch_run(&p, &prep, &ro, &res, &err) != 0)
		fail_msg("%s (fake: %s)", err.msg, e->fk.why);
	launch_prep_free(&prep);
	launch_policy_free(&p);

	/* the last DMA write ended the run: the descriptor in the private page */
	assert_true(res.ran);
	assert_int_equal(res.vm.end, VM_END_ERROR);
	assert_non_null(strstr(res.vm.detail, "fw_cfg DMA descriptor at 0x2003080 is in private "
					      "memory"));
	assert_int_equal(e->fk.run_calls, sizeof(x) / sizeof(x[0]));
	assert_true(fake_kvm_is_private(&e->fk, PRIVATE_PAGE, PAGE));
	/* shared descriptor, shared buffer: the signature, status 0 */
	assert_memory_equal(e->table + 0x100, "QEMU", 4);
	assert_memory_equal(e->table + (DESC_SHARED - BUF_GPA), "\0\0\0\0", 4);
	/* shared descriptor, private buffer: status ERROR, the private page not written */
	assert_memory_equal(e->table + (DESC_TO_PRIVATE - BUF_GPA), "\0\0\0\x01", 4);
	assert_memory_not_equal(e->table + (PRIVATE_PAGE - BUF_GPA) + 0x100, "QEMU", 4);
	/* the private descriptor was not run: its buffer is untouched, its control unchanged */
	assert_memory_not_equal(e->table + 0x200, "QEMU", 4);
	assert_memory_equal(e->table + (DESC_PRIVATE - BUF_GPA), "\0\0\0\x0a", 4);
	assert_released(e);
}

/* A kernel before 7.0 (no KVM_X86_SEV_SNP_REQ_CERTS): noted, and the guest runs. */
static void no_req_certs_in_the_kernel(void **state)
{
	struct env *e = *state;
	struct launch_result res;
	struct snp_err err = { 0 };

	e->fk.req_certs_attr = false;
	if (run(e, true, &res, &err) != 0)
		fail_msg("%s (fake: %s)", err.msg, e->fk.why);
	assert_false(res.certs_served);
	assert_false(e->fk.req_certs);
	assert_non_null(strstr(res.certs_note, "KVM_SEV_SNP_ENABLE_REQ_CERTS"));
	assert_true(res.ran);
	/* the script is empty: the fake powers the guest off */
	assert_int_equal(res.vm.end, VM_END_SHUTDOWN);
	assert_released(e);
}

/* The emulator cannot run an SNP guest: refused by name. */
static void emu_refused(void **state)
{
	struct env *e = *state;
	char text[1024];
	struct launch_policy p;
	struct launch_prep prep;
	struct launch_result res;
	struct snp_err err = { 0 };
	const struct launch_run_opts ro = { .console_fd = -1, .kvm = &e->fk.ops, .accel = "emu" };

	snprintf(text, sizeof(text),
		 "{\"backend\": \"snp\", \"payload\": \"%s\", \"memory_mib\": 64, "
		 "\"guest_policy\": {\"smt\": true}}", report_guest());
	snprintf(e->path, sizeof(e->path), "%s/emu.json", e->dir);
	if (file_write_atomic(e->path, text, strlen(text), 0644, &err) != 0 ||
	    launch_policy_load(e->path, &p, &err) != 0 || launch_prepare(&p, &prep, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(launch_run(&p, &prep, &ro, &res, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "kvm only"));
	launch_prep_free(&prep);
	launch_policy_free(&p);
	assert_released(e);
}

/* certs_dir: refused for the sim backend and when empty, naming the key. */
static void certs_dir_policy_key(void **state)
{
	struct env *e = *state;
	static const char *const bad[] = {
		"{\"backend\": \"sim\", \"sim_dir\": \"/x\", \"payload\": \"/p\", \"certs_dir\": \"/c\"}",
		"{\"backend\": \"snp\", \"payload\": \"/p\", \"certs_dir\": \"\"}",
		"{\"backend\": \"snp\", \"payload\": \"/p\", \"certs_dir\": 3}",
	};
	struct launch_policy p;
	struct snp_err err = { 0 };

	(void)e;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(launch_policy_parse(bad[i], strlen(bad[i]), "/d", &p, &err),
				 SNP_E_INVALID);
		if (!strstr(err.msg, "certs_dir"))
			fail_msg("%s: %s", bad[i], err.msg);
	}
	const char *good = "{\"backend\": \"snp\", \"payload\": \"/p\", \"certs_dir\": \"c\"}";

	if (launch_policy_parse(good, strlen(good), "/d", &p, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(p.certs_dir, "/d/c");
	launch_policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(scripted_exits, setup, teardown),
		cmocka_unit_test_setup_teardown(repeating_fault_stops_the_vm, setup, teardown),
		cmocka_unit_test_setup_teardown(run_path_failing, setup, teardown),
		cmocka_unit_test_setup_teardown(no_req_certs_in_the_kernel, setup, teardown),
		cmocka_unit_test_setup_teardown(fw_cfg_dma_needs_shared_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(emu_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(certs_dir_policy_key, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
