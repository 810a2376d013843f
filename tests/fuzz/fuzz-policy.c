/*
 * libFuzzer target for appraise_opts_from_json: any bytes either parse into
 * options that appraise a fixed report without crashing, or fail cleanly
 * with SNP_E_INVALID and a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "abi/report.h"
#include "attest/appraise-policy.h"
#include "attest/appraise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

const char fuzz_target_name[] = "policy";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct appraise_opts o;
	static struct appraise_result res;
	struct snp_report rep;
	struct snp_err err = { 0 };
	int ret = appraise_opts_from_json((const char *)data, size, &o, &err);

	if (ret != 0) {
		if (ret != SNP_E_INVALID || err.msg[0] == '\0')
			__builtin_trap();
		return 0;
	}
	/* A minimal well-formed report; the policy decides the rest. */
	memset(&rep, 0, sizeof(rep));
	rep.version = 5;
	rep.policy = 0x30000;
	rep.cpuid_fam_id = 0x1a;
	rep.cpuid_mod_id = 0x02;
	ret = appraise_report(&rep, SNP_PRODUCT_TURIN, &o, &res, &err);
	if (ret != 0 && ret != SNP_E_REFUSED)
		__builtin_trap();
	if ((ret == 0) != (res.nfailed == 0) || res.nchecks > APPRAISE_MAX_CHECKS)
		__builtin_trap();
	return 0;
}
