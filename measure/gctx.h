/*
 * The launch digest chain: the one place that computes
 * LD_new = SHA-384(PAGE_INFO(LD, contents, type, gpa)).
 * measure/ predicts digests with it; sim/ runs SNP_LAUNCH_UPDATE with it.
 */
#ifndef SNPVM_MEASURE_GCTX_H
#define SNPVM_MEASURE_GCTX_H

#include <stddef.h>
#include <stdint.h>

#include "abi/page-info.h"
#include "util/err.h"

struct gctx {
	uint8_t ld[SNP_LD_SIZE];
	uint64_t npages; /* chain steps taken, for progress and --json */
};

/* Starts a chain at 48 zero bytes (SNP_LAUNCH_START). */
void gctx_init(struct gctx *g);

/* Starts a chain at a saved value (sev-snp-measure --snp-ovmf-hash). */
void gctx_init_from(struct gctx *g, const uint8_t ld[SNP_LD_SIZE]);

/*
 * One chain step with an explicit CONTENTS digest. Fails only if OpenSSL
 * fails (SNP_E_CRYPTO).
 */
int gctx_update(struct gctx *g, enum snp_page_type type, uint64_t gpa,
		const uint8_t contents[SNP_LD_SIZE], struct snp_err *err) SNP_MUST_CHECK;

/*
 * One step for a 4 KiB page: CONTENTS is SHA-384(page) for NORMAL and VMSA
 * and 48 zero bytes for ZERO, UNMEASURED, SECRETS and CPUID (page may then
 * be NULL).
 */
int gctx_add_page(struct gctx *g, enum snp_page_type type, uint64_t gpa,
		  const uint8_t *page, struct snp_err *err) SNP_MUST_CHECK;

/*
 * NORMAL pages for len bytes (a multiple of 4 KiB) at gpa, lowest first.
 * Fails with SNP_E_INVALID when len is not page-aligned.
 */
int gctx_add_range(struct gctx *g, uint64_t gpa, const uint8_t *data, size_t len,
		   struct snp_err *err) SNP_MUST_CHECK;

/*
 * One step per 4 KiB page over len bytes (a multiple of 4 KiB) at gpa, for a
 * type without contents (ZERO, UNMEASURED). SNP_E_INVALID otherwise.
 */
int gctx_add_zero_range(struct gctx *g, enum snp_page_type type, uint64_t gpa, size_t len,
			struct snp_err *err) SNP_MUST_CHECK;

/*
 * count steps with the same 4 KiB page at the same gpa (the APs' identical
 * VMSAs): the page is hashed once.
 */
int gctx_add_repeated(struct gctx *g, enum snp_page_type type, uint64_t gpa, const uint8_t *page,
		      size_t count, struct snp_err *err) SNP_MUST_CHECK;

#endif
