#include "tests/common/vmtest.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "abi/endian.h"
#include "launcher/accel.h"
#include "measure/payload.h"

/* Segment attributes in the VMCB form (AMD APM vol. 2, §15.5.1). */
#define ATTR_CODE64 0xa9b /* G, L, P, S, type 0xb (execute/read, accessed) */
#define ATTR_DATA 0xc93   /* G, D/B, P, S, type 3 (read/write, accessed) */
#define ATTR_TSS64 0x08b  /* P, type 0xb (busy 64-bit TSS) */
#define TSS_GPA (PAYLOAD_GDT_GPA + 0x80)

void vmtest_require(const char *accel)
{
	struct snp_err err = { 0 };

	if (!accel_select(accel, &err)) {
		print_message("skipped: accelerator %s is not usable here: %s\n", accel, err.msg);
		skip();
	}
}

/* GDT: null, code64 (0x08), data (0x10), 64-bit TSS (0x18, 16 bytes). */
static void write_gdt(uint8_t *ram)
{
	uint8_t *g = ram + PAYLOAD_GDT_GPA;
	uint64_t tss_lo = 0x67 | (TSS_GPA & 0xffffff) << 16 | 0x89ull << 40 |
			  ((TSS_GPA >> 24) & 0xff) << 56;

	le64_put(g + 0x08, 0x00af9b000000ffffull);
	le64_put(g + 0x10, 0x00cf93000000ffffull);
	le64_put(g + 0x18, tss_lo);
	le64_put(g + 0x20, TSS_GPA >> 32);
}

/* Identity map of 0..4 GiB with 2 MiB pages: PML4, PDPT, four PDs. */
static void write_page_tables(uint8_t *ram)
{
	uint8_t *pml4 = ram + PAYLOAD_PT_GPA, *pdpt = pml4 + 0x1000;

	le64_put(pml4, (PAYLOAD_PT_GPA + 0x1000) | 0x3);
	for (uint64_t i = 0; i < 4; i++) {
		uint8_t *pd = pml4 + 0x2000 + i * 0x1000;

		le64_put(pdpt + i * 8, (PAYLOAD_PT_GPA + 0x2000 + i * 0x1000) | 0x3);
		for (uint64_t j = 0; j < 512; j++)
			le64_put(pd + j * 8, ((i << 30) + (j << 21)) | 0x83); /* P, RW, PS */
	}
}

static void boot_state(struct snp_vmsa *st, unsigned idx)
{
	const struct snp_vmsa_seg data = { .selector = 0x10, .attrib = ATTR_DATA, .limit = 0xffffffff };

	memset(st, 0, sizeof(*st));
	st->cs = (struct snp_vmsa_seg){ .selector = 0x08, .attrib = ATTR_CODE64, .limit = 0xffffffff };
	st->ds = st->es = st->ss = data;
	st->tr = (struct snp_vmsa_seg){ .selector = 0x18, .attrib = ATTR_TSS64, .limit = 0x67,
					.base = TSS_GPA };
	st->gdtr = (struct snp_vmsa_seg){ .base = PAYLOAD_GDT_GPA, .limit = 0x27 };
	st->cr0 = 0x80050033;
	st->cr3 = PAYLOAD_PT_GPA;
	st->cr4 = 0x620;
	st->efer = 0x500;
	st->rflags = 0x2;
	st->rip = VMTEST_CODE_GPA;
	st->rsp = PAYLOAD_STACKS_GPA + (idx + 1) * PAYLOAD_STACK_SIZE;
	st->rsi = PAYLOAD_BOOT_PARAMS_GPA;
	st->rdi = idx;
}

void vmtest_create(struct vmtest *t, const char *accel, unsigned vcpus, const uint8_t *code,
		   size_t len, const struct vm_config *cfg)
{
	struct snp_err err = { 0 };
	struct vm_config c = { 0 };
	struct snp_vmsa st;

	memset(t, 0, sizeof(*t));
	if (cfg)
		c = *cfg;
	c.accel = accel;
	c.vcpus = vcpus;
	assert_int_equal(pipe2(t->console, O_CLOEXEC), 0);
	assert_int_equal(fcntl(t->console[0], F_SETFL, O_NONBLOCK), 0);
	c.console_fd = t->console[1];
	if (!c.timeout_ms)
		c.timeout_ms = VMTEST_TIMEOUT_MS; /* a broken VMM fails the test instead of hanging it */
	assert_int_equal(guest_mem_alloc(&t->mem, VMTEST_MEM_SIZE, &err), 0);
	write_gdt(t->mem.hva);
	write_page_tables(t->mem.hva);
	memcpy(t->mem.hva + VMTEST_CODE_GPA, code, len);
	if (vm_create(&c, &t->mem, &t->vm, &err) != 0)
		fail_msg("vm_create: %s", err.msg);
	assert_string_equal(vm_accel_name(t->vm), accel);
	for (unsigned i = 0; i < vcpus; i++) {
		boot_state(&st, i);
		if (vm_set_vcpu_state(t->vm, i, &st, &err) != 0)
			fail_msg("vm_set_vcpu_state %u: %s", i, err.msg);
	}
}

void vmtest_run(struct vmtest *t)
{
	struct snp_err err = { 0 };
	ssize_t n;

	if (vm_run(t->vm, &t->res, &err) != 0)
		fail_msg("vm_run: %s", err.msg);
	n = read(t->console[0], t->out, sizeof(t->out) - 1);
	t->out[n > 0 ? n : 0] = '\0';
}

void vmtest_destroy(struct vmtest *t)
{
	vm_destroy(t->vm);
	t->vm = NULL;
	guest_mem_free(&t->mem);
	close(t->console[0]);
	close(t->console[1]);
}
