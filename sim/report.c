#include "sim/report.h"

#include <string.h>

#include "abi/idblock.h"
#include "measure/idblock.h"

_Static_assert(SNP_ECDSA_COMPONENT_SIZE == SNP_SIG_COMPONENT_SIZE, "R/S field size");

int sim_report_sign(const struct snp_report *rep, EVP_PKEY *key, uint8_t out[SNP_REPORT_SIZE],
		    struct snp_err *err)
{
	struct snp_ecdsa_sig sig;
	int ret;

	report_write(rep, out);
	/* The SEV signature format (72-byte little-endian R and S) is the ID block's too. */
	if ((ret = idblock_sig_sign(key, out, snp_report_signed_range(), &sig, err)) != 0) {
		snp_err_prefix(err, "sim report: ");
		return ret;
	}
	memcpy(out + SNP_REPORT_OFF(signature_r), sig.r, SNP_SIG_COMPONENT_SIZE);
	memcpy(out + SNP_REPORT_OFF(signature_s), sig.s, SNP_SIG_COMPONENT_SIZE);
	return 0;
}
