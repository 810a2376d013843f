/* Bounded reads of regular files (whole, in chunks or mapped), and crash-safe whole-file writes. */
#ifndef SNPVM_UTIL_FILE_H
#define SNPVM_UTIL_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/*
 * Every reader here takes regular files only (and /dev/null, read as empty):
 * anything else (a FIFO or pipe, another device, a directory, a socket) is
 * refused with SNP_E_INVALID and "<path>: not a regular file (fifo)" without
 * being opened, so a FIFO never blocks the caller. A file is read as it was
 * when opened: exactly the size fstat gave then. If it ends earlier ("<path>:
 * ended after N of the M bytes it had when opened") or has more ("<path>: has
 * more than the M bytes it had when opened", also a /proc file that claims
 * size 0), the read fails with SNP_E_SYS. A missing or unreadable file is
 * SNP_E_SYS with the errno text.
 */

/*
 * Reads all of path into a malloc'd buffer (*out, *len). Refuses files larger
 * than max bytes (SNP_E_INVALID). The caller frees *out. On failure *out is NULL.
 */
int file_read(const char *path, size_t max, uint8_t **out, size_t *len,
	      struct snp_err *err) SNP_MUST_CHECK;

/*
 * Reads the first bytes of path, at most max, into a malloc'd buffer with a
 * NUL after the last byte (*out, *len; the caller frees *out). Made for the
 * kernel's pseudo files (/proc, /sys), whose size stat cannot tell: /proc
 * files claim 0 bytes, sysfs attributes 4096. Reads until end of file or max
 * bytes, whichever comes first, whatever the size at open; *more is set when
 * the file goes on past max (the caller decides whether the head is enough).
 * Regular files only, like the readers above. On failure *out is NULL.
 */
int file_read_head(const char *path, size_t max, char **out, size_t *len, bool *more,
		   struct snp_err *err) SNP_MUST_CHECK;

/*
 * The largest chunk file_read_chunks hands over, and the buffer it allocates.
 * 64 KiB stays in L2 between read() and the consumer, and a fresh buffer costs
 * 16 page faults; larger chunks were no faster (docs/PERFORMANCE.md, measure).
 */
#define FILE_CHUNK_SIZE ((size_t)1 << 16)

/* One chunk of a file, in order; a nonzero return stops the read and is returned. */
typedef int file_chunk_fn(void *ctx, const uint8_t *data, size_t len, struct snp_err *err);

/*
 * Hands path's bytes to fn in order, in chunks of at most FILE_CHUNK_SIZE,
 * through one buffer of min(size, FILE_CHUNK_SIZE) bytes: the memory used does
 * not depend on the file's size. Refuses files larger than max bytes
 * (SNP_E_INVALID) before calling fn. *size is the file's length on success, 0
 * otherwise. fn may have been called before a failure (a file that shrank).
 */
int file_read_chunks(const char *path, uint64_t max, file_chunk_fn *fn, void *ctx,
		     uint64_t *size, struct snp_err *err) SNP_MUST_CHECK;

/* A read-only view of a whole file: file_map. */
struct file_map {
	const uint8_t *data; /* len bytes; never NULL after file_map (an empty file too) */
	size_t len;
	void *map; /* the mapping, or NULL for an empty file */
};

/*
 * Maps all of path read-only into m (at most max bytes, else SNP_E_INVALID),
 * for an input that is parsed in place and must be held whole: the pages are
 * the page cache's, so nothing is copied or zero-filled. The price: if
 * another process truncates the file while it is mapped, touching the lost
 * pages raises SIGBUS. Whatever can be consumed in one pass goes through
 * file_read_chunks instead. Release with file_unmap (also after a failure).
 */
int file_map(const char *path, size_t max, struct file_map *m,
	     struct snp_err *err) SNP_MUST_CHECK;

/* Unmaps; safe on a zeroed or already released struct. */
void file_unmap(struct file_map *m);

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
