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
 * SHA-256 of the regular file at path (at most max bytes), read in chunks
 * (util/file.h file_read_chunks): whatever the file's size, this holds one
 * FILE_CHUNK_SIZE (64 KiB) buffer. *size is the file's length. A FIFO or
 * other non-regular file is SNP_E_INVALID; a file that shrinks or grows
 * while it is read is SNP_E_SYS naming it (never a signal).
 */
int kernel_hashes_sha256_file(const char *path, uint64_t max, uint8_t out[SEV_HASH_SIZE],
			      uint64_t *size, struct snp_err *err) SNP_MUST_CHECK;

/*
 * kernel_hashes_compute over files: the kernel and the initrd (NULL: none)
 * go through kernel_hashes_sha256_file, so memory stays bounded whatever
 * their sizes; each may be at most max bytes. *kernel_len and *initrd_len are
 * the sizes read (0 for no initrd). *h is zeroed on failure.
 */
int kernel_hashes_compute_files(const char *kernel, const char *initrd, const char *cmdline,
				uint64_t max, struct sev_hashes *h, uint64_t *kernel_len,
				uint64_t *initrd_len, struct snp_err *err) SNP_MUST_CHECK;

/*
 * A zero page with the padded table at offset (hash-table base & 0xFFF).
 * SNP_E_INVALID if the 176-byte table would cross the page end.
 */
int kernel_hashes_page(const struct sev_hashes *h, uint32_t offset, uint8_t page[SNP_PAGE_SIZE],
		       struct snp_err *err) SNP_MUST_CHECK;

#endif
