/*
 * A firmware image as the launch digest sees it (docs/measure.md, "How the
 * digest is computed"): placed so that it ends at a given GPA, with its footer table, the
 * entries SNP uses and the SEV metadata sections, checked for what a launch
 * needs: page-multiple size, known section types, page-aligned sections that
 * neither overlap each other nor reach into the firmware's own range.
 * A launcher can use the section list as its SNP_LAUNCH_UPDATE plan.
 */
#ifndef SNPVM_MEASURE_FIRMWARE_H
#define SNPVM_MEASURE_FIRMWARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/ovmf.h"
#include "util/err.h"

#define FIRMWARE_END_GPA 0x100000000ull /* OVMF ends at 4 GiB */

struct firmware {
	const char *what;    /* "OVMF" or "SVSM", for messages */
	const uint8_t *data; /* not owned */
	size_t len;
	uint64_t gpa;        /* base: end GPA - len */
	struct ovmf_table table;
	bool has_reset_block;
	uint32_t ap_reset_addr;
	bool has_metadata;
	struct ovmf_sev_metadata md; /* sections in list order */
	bool has_hash_table;
	uint32_t hash_table_base; /* 0: no measured direct boot */
	uint32_t hash_table_size;
	bool has_svsm_info;
	uint32_t svsm_entry_offset;
};

/*
 * Parses data[0..len) placed to end at end_gpa into *fw (which points into
 * data). Fails with SNP_E_INVALID (message names the offset or section) on a
 * size that is not a positive multiple of 4 KiB or does not fit below end_gpa,
 * a missing or malformed footer table, malformed entries or metadata, a
 * section that is unaligned, empty, overlaps another, lies inside or above the
 * image, or a SECRETS/CPUID/KERNEL_HASHES section that appears twice; with
 * SNP_E_UNSUPPORTED on an unknown section type. Missing entries are not an
 * error here (see the has_* flags).
 */
int firmware_parse(const char *what, const uint8_t *data, size_t len, uint64_t end_gpa,
		   struct firmware *fw, struct snp_err *err) SNP_MUST_CHECK;

/* The first section of a type, or NULL. */
const struct ovmf_sev_section *firmware_section(const struct firmware *fw, uint32_t type);

/* SNP_E_INVALID naming the footer table unless the SEV-ES reset block is present. */
int firmware_require_reset_block(const struct firmware *fw, struct snp_err *err) SNP_MUST_CHECK;

/* SNP_E_INVALID naming the footer table unless SEV metadata is present. */
int firmware_require_metadata(const struct firmware *fw, struct snp_err *err) SNP_MUST_CHECK;

/*
 * Checks that the firmware can do measured direct boot: a 4 KiB
 * SNP_KERNEL_HASHES section and a non-zero SEV hash table of at least 176
 * bytes inside it that does not cross the page end. Returns the table's
 * offset in that page in *page_offset. SNP_E_UNSUPPORTED / SNP_E_INVALID
 * name the section or entry otherwise.
 */
int firmware_kernel_hashes_offset(const struct firmware *fw, uint32_t *page_offset,
				  struct snp_err *err) SNP_MUST_CHECK;

#endif
