#include "attestd/binding.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "attestd/jcs.h"
#include "util/hex.h"

_Static_assert(BINDING_DIGEST_SIZE + 16 == SNP_REPORT_DATA_SIZE,
	       "REPORT_DATA is a SHA-384 digest and 16 zero bytes");

int binding_report_data(const json_t *runtime_data, uint8_t out[SNP_REPORT_DATA_SIZE],
			struct snp_err *err)
{
	unsigned int dlen = 0;
	char *canon = NULL;
	size_t len;
	int ret = SNP_E_INTERNAL;

	memset(out, 0, SNP_REPORT_DATA_SIZE);
	if (!json_is_object(runtime_data)) {
		ret = snp_errf(err, SNP_E_INVALID, "runtime-data: not a JSON object");
		goto out;
	}
	if ((ret = jcs_serialize(runtime_data, &canon, &len, err)) != 0) {
		snp_err_prefix(err, "runtime-data: ");
		goto out;
	}
	ERR_clear_error();
	if (EVP_Digest(canon, len, out, &dlen, EVP_sha384(), NULL) != 1 ||
	    dlen != BINDING_DIGEST_SIZE) {
		memset(out, 0, SNP_REPORT_DATA_SIZE);
		ret = snp_err_openssl(err, "runtime-data: SHA-384");
		goto out;
	}
	ret = 0;
out:
	free(canon);
	return ret;
}

int binding_check(const json_t *runtime_data, const uint8_t report_data[SNP_REPORT_DATA_SIZE],
		  struct snp_err *err)
{
	uint8_t want[SNP_REPORT_DATA_SIZE];
	char got_hex[17], want_hex[17];
	int ret;

	if ((ret = binding_report_data(runtime_data, want, err)) != 0)
		return ret;
	if (CRYPTO_memcmp(want, report_data, SNP_REPORT_DATA_SIZE) == 0)
		return 0;
	hex_encode(report_data, 8, got_hex);
	hex_encode(want, 8, want_hex);
	return snp_errf(err, SNP_E_REFUSED,
			"REPORT_DATA does not bind runtime-data: it is not "
			"SHA-384(JCS(runtime-data)) || 16 zero bytes (got %s..., want %s...)",
			got_hex, want_hex);
}
