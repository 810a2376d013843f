/*
 * Measured direct boot (QEMU target/i386/sev.c, sev_add_kernel_loader_hashes): the SHA-256 of
 * the kernel, initrd and command line, and the 4 KiB page that carries their
 * table for the SNP_KERNEL_HASHES section.
 */
#ifndef SNPVM_MEASURE_KERNEL_HASHES_H
#define SNPVM_MEASURE_KERNEL_HASHES_H

#include <stddef.h>
#include <stdint.h>

#include "abi/page-info.h"
#include "abi/sev-hashes.h"
#include "util/err.h"

/* SHA-256 of len bytes (SNP_E_CRYPTO if OpenSSL fails). */
int kernel_hashes_sha256(const void *data, size_t len, uint8_t out[SEV_HASH_SIZE],
			 struct snp_err *err) SNP_MUST_CHECK;

/*
 * Fills *h as QEMU does: the kernel file as given; the initrd, or the empty
 * string when initrd is NULL; the command line plus one trailing NUL (NULL
 * and "" both hash a single NUL byte).
 */
int kernel_hashes_compute(const uint8_t *kernel, size_t kernel_len, const uint8_t *initrd,
			  size_t initrd_len, const char *cmdline, struct sev_hashes *h,
			  struct snp_err *err) SNP_MUST_CHECK;

/*
 * A zero page with the padded table at offset (hash-table base & 0xFFF).
 * SNP_E_INVALID if the 176-byte table would cross the page end.
 */
int kernel_hashes_page(const struct sev_hashes *h, uint32_t offset, uint8_t page[SNP_PAGE_SIZE],
		       struct snp_err *err) SNP_MUST_CHECK;

#endif
