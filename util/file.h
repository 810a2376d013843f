/* Whole-file reads with a size cap, and crash-safe whole-file writes. */
#ifndef SNPVM_UTIL_FILE_H
#define SNPVM_UTIL_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/*
 * Reads all of path into a malloc'd buffer (*out, *len). Refuses files larger
 * than max bytes. The caller frees *out. On failure *out is NULL.
 */
int file_read(const char *path, size_t max, uint8_t **out, size_t *len,
	      struct snp_err *err) SNP_MUST_CHECK;

/*
 * Writes buf to path atomically: a temporary file in the same directory,
 * fsync, rename. mode is applied to the new file (e.g. 0600 for keys), so a
 * crash leaves either the old file or the new one, never half of either.
 * Refuses (SNP_E_INVALID) when path exists and is not a regular file, so a
 * device such as /dev/null or a symlink is never replaced.
 */
int file_write_atomic(const char *path, const void *buf, size_t len, unsigned mode,
		      struct snp_err *err) SNP_MUST_CHECK;

#endif
