/*
 * The verifier policy file (JSON, docs/verifier-policy.md) to struct
 * appraise_opts. The one place that policy JSON is parsed: `snpvm verify
 * --policy`, attestd's policy store and `snpvm measure --verifier-policy`
 * all come here. Keys that are absent keep the strict zero value; unknown
 * keys, wrong types, bad hex lengths and out-of-range numbers fail with a
 * message naming the key ("policy: measurements[2]: expected 96 hex digits,
 * got 94").
 */
#ifndef SNPVM_ATTEST_APPRAISE_POLICY_H
#define SNPVM_ATTEST_APPRAISE_POLICY_H

#include <stddef.h>

#include "util/err.h"

struct appraise_opts;

/* Largest policy file appraise_opts_from_file reads. */
#define APPRAISE_POLICY_MAX_SIZE (1024 * 1024)

/*
 * Parses len bytes of JSON text (need not be NUL-terminated) into *o, which
 * is zeroed first (absent keys are strict). On failure *o is zeroed and err
 * (SNP_E_INVALID) names the key.
 */
int appraise_opts_from_json(const char *text, size_t len, struct appraise_opts *o,
			    struct snp_err *err) SNP_MUST_CHECK;

/* Reads path (at most APPRAISE_POLICY_MAX_SIZE bytes) and parses it as above. */
int appraise_opts_from_file(const char *path, struct appraise_opts *o,
			    struct snp_err *err) SNP_MUST_CHECK;

#endif
