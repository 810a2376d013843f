/*
 * Input files for a measurement (firmware, SVSM image, kernel, initrd), read
 * once: regular files are mapped read-only, anything else (a pipe, /dev/null)
 * is read up to a size cap. The bytes stay valid until input_close().
 */
#ifndef SNPVM_MEASURE_INPUT_H
#define SNPVM_MEASURE_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct input {
	const uint8_t *data; /* len bytes; never NULL once opened (empty files too) */
	size_t len;
	void *map;      /* mmap'd region, or NULL */
	size_t map_len;
	uint8_t *buf;   /* malloc'd copy for non-regular files, or NULL */
};

/*
 * Opens path and makes its bytes available in in->data. Refuses more than max
 * bytes (SNP_E_INVALID); SNP_E_SYS names the path and errno. Release with
 * input_close() (also after a failure; it is then a no-op).
 */
int input_open(const char *path, size_t max, struct input *in, struct snp_err *err) SNP_MUST_CHECK;

/* Unmaps or frees the bytes; safe on a zeroed or already closed input. */
void input_close(struct input *in);

#endif
