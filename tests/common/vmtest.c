#include "tests/common/vmtest.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "abi/endian.h"
#include "launcher/accel.h"
#include "measure/payload.h"

/* ELF64 header (64 bytes) + one PT_LOAD program header (56 bytes), then the code at 0x1000. */
#define ELF_CODE_OFF 0x1000u

uint8_t *vmtest_elf(const uint8_t *code, size_t len, size_t *elf_len)
{
	uint8_t *e = calloc(1, ELF_CODE_OFF + len), *ph = e + 64;

	assert_non_null(e);
	memcpy(e, "\177ELF\2\1\1", 7);          /* ELFCLASS64, little-endian, EV_CURRENT */
	le16_put(e + 0x10, 2);                      /* e_type ET_EXEC */
	le16_put(e + 0x12, 62);                     /* e_machine EM_X86_64 */
	le32_put(e + 0x14, 1);                      /* e_version */
	le64_put(e + 0x18, VMTEST_CODE_GPA);        /* e_entry */
	le64_put(e + 0x20, 64);                     /* e_phoff */
	le16_put(e + 0x34, 64);                     /* e_ehsize */
	le16_put(e + 0x36, 56);                     /* e_phentsize */
	le16_put(e + 0x38, 1);                      /* e_phnum */
	le32_put(ph + 0x00, 1);                     /* p_type PT_LOAD */
	le32_put(ph + 0x04, 7);                     /* p_flags RWX */
	le64_put(ph + 0x08, ELF_CODE_OFF);          /* p_offset */
	le64_put(ph + 0x10, VMTEST_CODE_GPA);       /* p_vaddr */
	le64_put(ph + 0x18, VMTEST_CODE_GPA);       /* p_paddr */
	le64_put(ph + 0x20, len);                   /* p_filesz */
	le64_put(ph + 0x28, len);                   /* p_memsz */
	le64_put(ph + 0x30, 0x1000);                /* p_align */
	memcpy(e + ELF_CODE_OFF, code, len);
	*elf_len = ELF_CODE_OFF + len;
	return e;
}

void vmtest_require(const char *accel)
{
	struct snp_err err = { 0 };

	if (!accel_select(accel, NULL, &err)) {
		print_message("skipped: accelerator %s is not usable here: %s\n", accel, err.msg);
		skip();
	}
}

void vmtest_create(struct vmtest *t, const char *accel, unsigned vcpus, const uint8_t *code,
		   size_t len, const struct vm_config *cfg)
{
	struct snp_err err = { 0 };
	struct vm_config c = { 0 };
	struct payload_image img;
	struct payload_opts o = { .mem_size = VMTEST_MEM_SIZE, .vcpus = vcpus, .guest_features = 1 };
	uint8_t *elf;

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
	/* the payload boot's layout, as `snpvm launch` loads it (docs/launch-layout.md) */
	elf = vmtest_elf(code, len, &o.elf_len);
	o.elf = elf;
	if (payload_build(&o, &img, &err) != 0)
		fail_msg("payload_build: %s", err.msg);
	free(elf);
	assert_int_equal(guest_mem_alloc(&t->mem, VMTEST_MEM_SIZE, &err), 0);
	for (size_t i = 0; i < img.nranges; i++)
		if (img.ranges[i].data) /* ZERO, SECRETS and CPUID pages stay zero here */
			memcpy(guest_mem_hva(&t->mem, img.ranges[i].gpa, img.ranges[i].len),
			       img.ranges[i].data, img.ranges[i].len);
	if (vm_create(&c, &t->mem, &t->vm, &err) != 0)
		fail_msg("vm_create: %s", err.msg);
	assert_string_equal(vm_accel_name(t->vm), accel);
	for (unsigned i = 0; i < vcpus; i++)
		if (vm_set_vcpu_state(t->vm, i, &img.vcpu[i], &err) != 0)
			fail_msg("vm_set_vcpu_state %u: %s", i, err.msg);
	payload_image_free(&img);
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
