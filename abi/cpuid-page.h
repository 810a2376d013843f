/*
 * The SNP CPUID page (SNP ABI spec 56860, "CPUID Function Structure";
 * QEMU target/i386/sev.c SnpCpuidInfo): a u32 count, 12 reserved bytes, then up to
 * 64 entries of 48 bytes. Passed to SNP_LAUNCH_UPDATE with page type CPUID;
 * the firmware checks every entry against the real CPU and, when it refuses
 * the page, writes the values it would accept back into it.
 */
#ifndef SNPVM_ABI_CPUID_PAGE_H
#define SNPVM_ABI_CPUID_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define SNP_CPUID_PAGE_SIZE 4096
#define SNP_CPUID_MAX_ENTRIES 64
#define SNP_CPUID_HDR_SIZE 16
#define SNP_CPUID_ENTRY_SIZE 48

struct snp_cpuid_entry_layout {
	uint8_t eax_in[4];   /* 0x00 */
	uint8_t ecx_in[4];   /* 0x04 */
	uint8_t xcr0_in[8];  /* 0x08 */
	uint8_t xss_in[8];   /* 0x10 */
	uint8_t eax[4];      /* 0x18 */
	uint8_t ebx[4];      /* 0x1C */
	uint8_t ecx[4];      /* 0x20 */
	uint8_t edx[4];      /* 0x24 */
	uint8_t reserved[8]; /* 0x28 */
};

struct snp_cpuid_entry {
	uint32_t eax_in, ecx_in;
	uint64_t xcr0_in, xss_in;
	uint32_t eax, ebx, ecx, edx;
};

struct snp_cpuid_page {
	uint32_t count;
	struct snp_cpuid_entry entries[SNP_CPUID_MAX_ENTRIES];
};

/* Serialises page (count entries) as 4096 bytes; reserved bytes are zero. */
void cpuid_page_write(const struct snp_cpuid_page *page, uint8_t out[SNP_CPUID_PAGE_SIZE]);

/*
 * Whether CPUID leaf eax_in has sub-leaves selected by ECX (Linux
 * arch/x86/include/asm/cpuid.h, cpuid_function_is_indexed(), and later
 * additions); for the others ECX is ignored.
 */
bool cpuid_leaf_is_indexed(uint32_t eax_in);

/*
 * The first of page's count entries for leaf eax_in (and sub-leaf ecx_in
 * when the leaf is indexed) as an SNP guest looks it up (Linux
 * arch/x86/kernel/sev-shared.c, snp_cpuid_get_validated_func(); XCR0/XSS
 * inputs are not matched), or NULL.
 */
const struct snp_cpuid_entry *cpuid_page_find(const struct snp_cpuid_page *page, uint32_t eax_in,
					      uint32_t ecx_in);

/*
 * Parses exactly 4096 bytes: count <= 64, reserved fields and the bytes after
 * the last entry zero. On failure *out is zeroed.
 */
int cpuid_page_parse(const uint8_t *buf, size_t len, struct snp_cpuid_page *out,
		     struct snp_err *err) SNP_MUST_CHECK;

/*
 * One difference between a CPUID page sent to the firmware and the corrected
 * page it handed back: register reg (0-3: EAX, EBX, ECX, EDX) of the entry
 * for eax_in.ecx_in, sent -> fixed; reg 4 (SNP_CPUID_FIXUP_COUNT): the entry
 * count (eax_in, ecx_in 0).
 */
struct snp_cpuid_fixup {
	uint32_t eax_in, ecx_in;
	unsigned reg;
	uint32_t sent, fixed;
};
#define SNP_CPUID_FIXUP_COUNT 4
#define SNP_CPUID_MAX_FIXUPS (4 * SNP_CPUID_MAX_ENTRIES + 1)
#define SNP_CPUID_FIXUP_STR 52 /* cpuid_fixup_format's longest text, with the NUL */

/*
 * Every register that differs between the entries of sent and fixed (entry
 * by entry, up to the smaller count), then a count that differs: at most
 * SNP_CPUID_MAX_FIXUPS in out. Returns how many.
 */
unsigned cpuid_page_diff(const struct snp_cpuid_page *sent, const struct snp_cpuid_page *fixed,
			 struct snp_cpuid_fixup out[SNP_CPUID_MAX_FIXUPS]);

/* "EAX".."EDX", "count" for SNP_CPUID_FIXUP_COUNT, else "?". */
const char *cpuid_fixup_reg_name(unsigned reg);

/* "0x00000001.0 ECX 0xfef83207->0xfef83203" or "entry count 12->11" into buf. */
void cpuid_fixup_format(const struct snp_cpuid_fixup *f, char *buf, size_t len);

#endif
