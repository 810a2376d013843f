/*
 * libFuzzer target for the body of POST /kbs/v0/attest (attestd/attest-body.c):
 * runtime-data {nonce, tee-pubkey} and tee-evidence as the raw report +
 * certificate table (base64url) or the configfs-tsm CBOR map. Any bytes are
 * either a body whose parts are all there (a report of exactly the report's
 * size, a validated key, a nonce) or a refusal with a negative code and a
 * message - never a crash or a leak.
 */
#include <stddef.h>
#include <stdint.h>

#include "abi/report.h"
#include "attestd/attest-body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char fuzz_target_name[] = "attest-body";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snp_err err = { 0 };
	struct attest_body b;

	if (attest_body_parse(data, size, &b, &err) == 0) {
		if (!b.report || b.report_len != SNP_REPORT_SIZE || !b.nonce || !b.runtime_data ||
		    b.key.kind == JWK_NONE || (!b.cert_table) != (b.cert_table_len == 0))
			__builtin_trap();
		attest_body_free(&b);
	} else if (err.code >= 0 || err.msg[0] == '\0') {
		__builtin_trap();
	}
	return 0;
}
