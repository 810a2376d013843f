/*
 * The firmware builds the project knows (ovmf-config/README.md): each by the
 * sha256 of the whole image, with where it comes from and what it can do for
 * SNP. The table is compiled in, so an installed snpvm has it. An image not in
 * it is not refused (firmware_parse and the launch plan check what a launch
 * needs); the commands warn that nobody has vouched for it.
 */
#ifndef SNPVM_MEASURE_FIRMWARE_KNOWN_H
#define SNPVM_MEASURE_FIRMWARE_KNOWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define FIRMWARE_SHA256_HEX 65 /* 64 hex digits and the NUL */

struct firmware_known {
	const char *sha256;   /* lower-case hex */
	const char *name;
	const char *origin;   /* where the image comes from, and how it was built */
	bool sev_metadata;    /* has SEV metadata: can launch SNP at all */
	bool kernel_hashes;   /* has an SNP_KERNEL_HASHES section: measured direct boot */
	const char *sections; /* the SEV metadata sections in list order: gpa/size/type */
	const char *note;     /* why not to use it, or NULL */
};

/*
 * Hashes data[0..len) into hex and sets *known to its manifest entry, or to
 * NULL for an unknown image. Fails only if SHA-256 is unavailable.
 */
int firmware_known_lookup(const uint8_t *data, size_t len, char hex[FIRMWARE_SHA256_HEX],
			  const struct firmware_known **known, struct snp_err *err) SNP_MUST_CHECK;

/* The entries, for listing; *n gets their count. */
const struct firmware_known *firmware_known_all(size_t *n);

#endif
