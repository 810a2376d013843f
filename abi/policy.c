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
