/*
 * Guest POLICY (u64) and PLATFORM_INFO (u64) bits: SNP ABI spec 56860 §4.3
 * and the PLATFORM_INFO field of the ATTESTATION_REPORT table (§7.3).
 */
#ifndef SNPVM_ABI_POLICY_H
#define SNPVM_ABI_POLICY_H

#include <stdint.h>

#include "util/err.h"

#define SNP_POLICY_ABI_MINOR_MASK 0xffull
#define SNP_POLICY_ABI_MAJOR_SHIFT 8
#define SNP_POLICY_ABI_MAJOR_MASK (0xffull << SNP_POLICY_ABI_MAJOR_SHIFT)
#define SNP_POLICY_SMT (1ull << 16)
#define SNP_POLICY_RESERVED1 (1ull << 17) /* must be 1 */
#define SNP_POLICY_MIGRATE_MA (1ull << 18)
#define SNP_POLICY_DEBUG (1ull << 19)
#define SNP_POLICY_SINGLE_SOCKET (1ull << 20)
#define SNP_POLICY_CXL_ALLOW (1ull << 21)
#define SNP_POLICY_MEM_AES_256_XTS (1ull << 22)
#define SNP_POLICY_RAPL_DIS (1ull << 23)
#define SNP_POLICY_CIPHERTEXT_HIDING (1ull << 24)
#define SNP_POLICY_PAGE_SWAP_DISABLE (1ull << 25)
#define SNP_POLICY_MBZ_MASK (~((1ull << 26) - 1)) /* bits 63:26 */

static inline uint8_t snp_policy_abi_major(uint64_t policy)
{
	return (uint8_t)(policy >> SNP_POLICY_ABI_MAJOR_SHIFT);
}

static inline uint8_t snp_policy_abi_minor(uint64_t policy)
{
	return (uint8_t)policy;
}

/*
 * Checks the bits every valid policy has: bit 17 set, bits 63:26 clear.
 * `what` prefixes the message ("report: POLICY").
 */
int snp_policy_check(uint64_t policy, const char *what, struct snp_err *err) SNP_MUST_CHECK;

#define SNP_PLATFORM_SMT_EN (1ull << 0)
#define SNP_PLATFORM_TSME_EN (1ull << 1)
#define SNP_PLATFORM_ECC_EN (1ull << 2)
#define SNP_PLATFORM_RAPL_DIS (1ull << 3)
#define SNP_PLATFORM_CIPHERTEXT_HIDING_EN (1ull << 4)
#define SNP_PLATFORM_ALIAS_CHECK_COMPLETE (1ull << 5)
#define SNP_PLATFORM_IOMMU_WRITE_SAFE (1ull << 6)
#define SNP_PLATFORM_SEV_TIO_EN (1ull << 7)
#define SNP_PLATFORM_KNOWN_MASK 0xffull

/* Name of PLATFORM_INFO bit `bit` ("SMT_EN", ...), or NULL outside SNP_PLATFORM_KNOWN_MASK. */
const char *snp_platform_bit_name(unsigned bit);

#endif
