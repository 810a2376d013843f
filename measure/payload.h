/*
 * The direct 64-bit payload boot (microVM style): an ELF64 payload loaded at
 * its physical addresses and entered in long mode with identity-mapped page
 * tables, a GDT/TSS and registers that this module builds. The layout is
 * fixed and documented in docs/launch-layout.md; the constants below are it.
 *
 * payload_build() produces everything the launch needs as data: the pages to
 * launch (in ascending GPA order, each with its SNP page type) and each
 * vCPU's start state as a struct snp_vmsa. The launch plan (measure/plan.c)
 * emits these to its sink, so `snpvm measure`, the sim backend and a VMM all
 * see the same bytes; the accelerator is given the same snp_vmsa.
 */
#ifndef SNPVM_MEASURE_PAYLOAD_H
#define SNPVM_MEASURE_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "abi/page-info.h"
#include "abi/vmsa.h"
#include "util/err.h"

/* Low memory (docs/launch-layout.md). Everything below 1 MiB is the VMM's. */
#define PAYLOAD_GDT_GPA 0x1000ull         /* GDT (null, code64, data, TSS descriptor) + TSS */
#define PAYLOAD_BOOT_PARAMS_GPA 0x2000ull /* struct payload_boot_params, then the cmdline */
#define PAYLOAD_SECRETS_GPA 0x3000ull     /* SNP secrets page (page type SECRETS) */
#define PAYLOAD_CPUID_GPA 0x4000ull       /* SNP CPUID page (page type CPUID) */
#define PAYLOAD_CHANNEL_GPA 0x5000ull     /* host<->guest report channel page (ZERO) */
#define PAYLOAD_PT_GPA 0x10000ull         /* PML4, PDPT, 4 PDs: identity map of 4 GiB, 2 MiB pages */
#define PAYLOAD_STACK_SIZE 0x4000ull      /* per vCPU, launched as ZERO pages */
#define PAYLOAD_STACKS_GPA 0x20000ull     /* vCPU i's stack: [base + i*size, base + (i+1)*size) */
#define PAYLOAD_MAX_VCPUS 32              /* stacks end at 0xA0000 */
#define PAYLOAD_MIN_LOAD_GPA 0x100000ull  /* ELF segments must lie at or above 1 MiB */

/* Devices the payload may use (docs/launch-layout.md, docs/guest-request-mailbox.md). */
#define PAYLOAD_SERIAL_PORT 0x3f8       /* 16550 UART, COM1 */
#define PAYLOAD_DEBUG_EXIT_PORT 0xf4    /* QEMU isa-debug-exit: one byte ends the guest */
#define PAYLOAD_MAILBOX_GPA 0xFEB00000ull /* guest-request mailbox, one MMIO page */

#define PAYLOAD_BOOT_MAGIC 0x746f6f426d76706eull /* "npvmBoot" little-endian: 'n','p','v','m','B','o','o','t' */

/*
 * At PAYLOAD_BOOT_PARAMS_GPA, little-endian, measured as a NORMAL page. RSI
 * points here at entry; RDI is the vCPU index; RSP is the top of that vCPU's
 * stack.
 */
struct payload_boot_params {
	uint64_t magic;       /* PAYLOAD_BOOT_MAGIC */
	uint32_t version;     /* 1 */
	uint32_t vcpus;
	uint64_t mem_size;    /* guest RAM bytes from GPA 0 */
	uint64_t secrets_gpa;
	uint64_t cpuid_gpa;
	uint64_t channel_gpa;
	uint64_t mailbox_gpa;
	uint64_t cmdline_gpa; /* NUL-terminated, inside this page */
	uint32_t cmdline_len; /* without the NUL */
	uint32_t reserved;
};

struct payload_page_range {
	uint64_t gpa;            /* 4 KiB aligned */
	uint64_t len;            /* a non-zero multiple of 4 KiB */
	enum snp_page_type type; /* NORMAL, ZERO, SECRETS or CPUID */
	const uint8_t *data;     /* len bytes for NORMAL (owned by the payload_image), else NULL */
};

struct payload_image {
	struct payload_page_range *ranges; /* ascending GPA, non-overlapping */
	size_t nranges;
	struct snp_vmsa *vcpu;             /* start state of vCPU 0..vcpus-1 */
	unsigned vcpus;
	uint64_t entry;                    /* the ELF entry point (RIP of every vCPU) */
	void *owned;                       /* internal: the buffers ranges[].data point into */
};

struct payload_opts {
	const uint8_t *elf;      /* the payload ELF64 file (x86-64, ET_EXEC, PT_LOAD segments) */
	size_t elf_len;
	uint64_t mem_size;       /* guest RAM, every segment and stack must fit */
	unsigned vcpus;          /* 1..PAYLOAD_MAX_VCPUS */
	uint64_t guest_features; /* VMSA SEV_FEATURES */
	const char *cmdline;     /* may be NULL; at most a page minus the params */
};

/*
 * Parses the ELF (bounded: every header, segment and offset checked; errors
 * name the field and offset) and builds the launch image. Returns 0 and fills
 * *out (free with payload_image_free), or SNP_E_INVALID / SNP_E_TRUNCATED /
 * SNP_E_UNSUPPORTED naming what is wrong; *out is zeroed on failure.
 */
int payload_build(const struct payload_opts *o, struct payload_image *out,
		  struct snp_err *err) SNP_MUST_CHECK;

void payload_image_free(struct payload_image *img);

#endif
