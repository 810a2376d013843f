/*
 * Fuzz target for abi/idblock.c: id_block_parse and id_auth_parse (and the
 * standalone key and signature parsers) on arbitrary bytes. Whatever parses
 * must write back to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abi/idblock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

const char fuzz_target_name[] = "idauth";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[SNP_ID_AUTH_SIZE];
	struct snp_err err = { 0 };
	struct snp_id_block b;
	struct snp_id_auth a;
	struct snp_pubkey pk;
	struct snp_ecdsa_sig sig;

	if (id_block_parse(data, size, &b, &err) == 0) {
		id_block_write(&b, out);
		if (size != SNP_ID_BLOCK_SIZE || memcmp(out, data, size) != 0)
			abort();
	}
	if (id_auth_parse(data, size, &a, &err) == 0) {
		id_auth_write(&a, out);
		if (size != SNP_ID_AUTH_SIZE || memcmp(out, data, size) != 0)
			abort();
	}
	if (snp_pubkey_parse(data, size, &pk, &err) == 0) {
		snp_pubkey_write(&pk, out);
		if (size != SNP_PUBKEY_SIZE || memcmp(out, data, size) != 0)
			abort();
	}
	if (snp_ecdsa_sig_parse(data, size, &sig, &err) == 0) {
		snp_ecdsa_sig_write(&sig, out);
		if (size != SNP_ECDSA_SIG_SIZE || memcmp(out, data, size) != 0)
			abort();
	}
	return 0;
}
