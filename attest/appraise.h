/*
 * Appraisal: the tenant-policy step that follows verify (docs/architecture.md). It
 * checks a parsed, already verified ATTESTATION_REPORT against a struct
 * appraise_opts (docs/verifier-policy.md) and
 * lists every check with its outcome. It never calls OpenSSL and never sees
 * JSON; attest/appraise-policy.h is the one reader of the policy file.
 *
 * A zeroed struct appraise_opts is the strictest setting: no measurement is
 * allowed (so everything is refused), no VMPL is allowed, DEBUG, MIGRATE_MA,
 * SMT and CXL are forbidden, ID keys must be trusted, committed TCB and
 * firmware version must equal the current ones and unknown POLICY and
 * PLATFORM_INFO bits refuse. Every relaxation is a named `allow_` field; every extra
 * requirement is a `require_`/`check_` field or a non-zero floor.
 */
#ifndef SNPVM_ATTEST_APPRAISE_H
#define SNPVM_ATTEST_APPRAISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/report.h"
#include "abi/tcb.h"
#include "util/err.h"

#define APPRAISE_MAX_MEASUREMENTS 64
#define APPRAISE_MAX_KEY_DIGESTS 16
#define APPRAISE_MAX_CHIP_IDS 64
#define APPRAISE_MAX_CHECKS 48

/* Guest POLICY requirements (report field POLICY, SNP ABI spec 56860 §4.3). */
struct appraise_guest_policy {
	bool allow_debug;        /* POLICY.DEBUG may be 1 */
	bool allow_migrate_ma;   /* POLICY.MIGRATE_MA may be 1 */
	bool allow_smt;          /* POLICY.SMT may be 1 */
	bool allow_cxl;          /* POLICY.CXL_ALLOW may be 1 */
	bool require_single_socket;
	bool require_mem_aes_256_xts;
	bool require_rapl_dis;
	bool require_ciphertext_hiding;
	bool require_page_swap_disable;
	uint8_t abi_major_min; /* POLICY.ABI_MAJOR.ABI_MINOR >= this (0.0: no floor) */
	uint8_t abi_minor_min;
	/*
	 * POLICY bits 63:26 (SNP_POLICY_MBZ_MASK, undefined in this ABI) refuse
	 * unless this is set. The strict parser already refuses them; this keeps
	 * a lax parse (report_parse_opts.lax_reserved) from letting them through.
	 */
	bool allow_unknown_bits;
};

/*
 * Minimum TCB, one value per component. A floor is component-wise
 * (snp_tcb_at_least) and is decoded with the product's layout; components the
 * product lacks (FMC before Turin) are ignored. All zero: no floor.
 */
struct appraise_tcb_floor {
	uint8_t fmc, bootloader, tee, snp, microcode;
};

/* Firmware version major.minor.build, compared as a version (major first). */
struct appraise_fw_version {
	uint8_t major, minor, build;
};

struct appraise_opts {
	/* MEASUREMENT: in the list; an empty list refuses unless allow_any_measurement. */
	bool allow_any_measurement;
	size_t nmeasurements;
	uint8_t measurements[APPRAISE_MAX_MEASUREMENTS][SNP_MEASUREMENT_SIZE];

	/* HOST_DATA / REPORT_DATA: exact match when the check_ flag is set. */
	bool check_host_data;
	uint8_t host_data[SNP_HOST_DATA_SIZE];
	bool check_report_data;
	uint8_t report_data[SNP_REPORT_DATA_SIZE];

	/* VMPL: bit n set = VMPL n allowed (n = 0..3). 0 allows none. */
	uint8_t vmpl_mask;

	struct appraise_guest_policy guest_policy;

	/* REPORTED_TCB, COMMITTED_TCB and LAUNCH_TCB floors. */
	struct appraise_tcb_floor min_reported_tcb;
	struct appraise_tcb_floor min_committed_tcb;
	struct appraise_tcb_floor min_launch_tcb;

	/*
	 * Always checked: CURRENT_TCB >= REPORTED_TCB (component-wise).
	 * COMMITTED_TCB == CURRENT_TCB and COMMITTED version == CURRENT version,
	 * unless allow_provisional_firmware (then COMMITTED <= CURRENT).
	 */
	bool allow_provisional_firmware;

	/* CURRENT_MAJOR.CURRENT_MINOR.CURRENT_BUILD >= this (0.0.0: no floor). */
	struct appraise_fw_version min_firmware;

	/*
	 * ID block keys. Unless allow_any_id_key, ID_KEY_DIGEST must be in
	 * trusted_id_keys, or AUTHOR_KEY_EN = 1 and AUTHOR_KEY_DIGEST in
	 * trusted_author_keys. require_author_key additionally demands the latter.
	 */
	bool allow_any_id_key;
	bool require_author_key;
	size_t ntrusted_id_keys;
	uint8_t trusted_id_keys[APPRAISE_MAX_KEY_DIGESTS][SNP_KEY_DIGEST_SIZE];
	size_t ntrusted_author_keys;
	uint8_t trusted_author_keys[APPRAISE_MAX_KEY_DIGESTS][SNP_KEY_DIGEST_SIZE];

	uint32_t min_guest_svn; /* GUEST_SVN >= this */
	bool check_family_id;
	uint8_t family_id[16];
	bool check_image_id;
	uint8_t image_id[16];

	/* PLATFORM_INFO: all required bits set, no forbidden bit set. */
	uint64_t platform_info_required;
	uint64_t platform_info_forbidden;
	/* Bits outside SNP_PLATFORM_KNOWN_MASK refuse unless this is set. */
	bool allow_unknown_platform_info;

	/*
	 * CHIP_ID allow-list (fleet pinning), when check_chip_id. Entries are
	 * 64 bytes; a Turin entry is its 8 bytes followed by 56 zero bytes.
	 */
	bool check_chip_id;
	size_t nchip_ids;
	uint8_t chip_ids[APPRAISE_MAX_CHIP_IDS][SNP_CHIP_ID_SIZE];

	/* v5: CURRENT_MIT_VECTOR and LAUNCH_MIT_VECTOR each contain all these bits. */
	uint64_t mit_vector_required;
};

struct appraise_check {
	char name[48];    /* the AMD field checked: "MEASUREMENT", "POLICY.DEBUG", ... */
	bool passed;      /* true also when skipped */
	bool skipped;     /* the policy does not ask for this check */
	char detail[192]; /* on failure the field and both values; else what was checked */
};

struct appraise_result {
	size_t nchecks, nfailed;
	struct appraise_check checks[APPRAISE_MAX_CHECKS];
};

/*
 * The policy `snpvm verify` applies without --policy (documented in
 * docs/verifier-policy.md): any measurement, any VMPL, DEBUG and MIGRATE_MA
 * forbidden, SMT allowed, no TCB or version floors, committed <= current
 * (provisional firmware allowed: real fixture reports have COMMITTED_TCB <
 * CURRENT_TCB), any ID key, unknown PLATFORM_INFO bits allowed, unknown
 * POLICY bits refused.
 */
void appraise_opts_default(struct appraise_opts *o);

/*
 * Appraises rep (parsed by report_parse and verified) for product (which
 * selects the TCB layout) against o. Every check runs; res (if non-NULL)
 * lists each one. Returns 0 when all pass; SNP_E_REFUSED when any fails,
 * with err naming the first failure and the count of the others;
 * SNP_E_INVALID when product is SNP_PRODUCT_UNKNOWN. No allocation, no
 * OpenSSL, nothing to free.
 */
int appraise_report(const struct snp_report *rep, enum snp_product product,
		    const struct appraise_opts *o, struct appraise_result *res,
		    struct snp_err *err) SNP_MUST_CHECK;

#endif
