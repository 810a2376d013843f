#include "abi/policy.h"

int snp_policy_check(uint64_t policy, const char *what, struct snp_err *err)
{
	if (!(policy & SNP_POLICY_RESERVED1))
		return snp_errf(err, SNP_E_RESERVED, "%s 0x%llx: bit 17 must be 1", what,
				(unsigned long long)policy);
	if (policy & SNP_POLICY_MBZ_MASK)
		return snp_errf(err, SNP_E_RESERVED, "%s 0x%llx: bits 63:26 must be zero (got 0x%llx)",
				what, (unsigned long long)policy,
				(unsigned long long)(policy & SNP_POLICY_MBZ_MASK));
	return 0;
}

const char *snp_platform_bit_name(unsigned bit)
{
	static const char *const names[8] = {
		"SMT_EN", "TSME_EN", "ECC_EN", "RAPL_DIS", "CIPHERTEXT_HIDING_DRAM_EN",
		"ALIAS_CHECK_COMPLETE", "IOMMU_WRITE_SAFE", "SEV_TIO_EN",
	};

	return bit < 8 ? names[bit] : NULL;
}
