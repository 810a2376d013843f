/*
 * libFuzzer target for the evidence-certificate path: certs_add_buf (DER or
 * PEM, classification by CN) and vek_ext_decode on every certificate found.
 * Any input is accepted or refused with an error code, never a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "attest/certs.h"
#include "attest/vek.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char fuzz_target_name[] = "vek";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	STACK_OF(X509) *sk = NULL;
	struct snp_err err = { 0 };
	struct certs c;

	if (certs_parse_all(data, size, "fuzz", &sk, &err) == 0) {
		for (int i = 0; i < sk_X509_num(sk); i++) {
			struct vek_ext e;

			if (vek_ext_decode(sk_X509_value(sk, i), &e, &err) != 0 && err.code >= 0)
				abort();
			if (e.hwid_len > VEK_HWID_MAX)
				abort();
		}
		sk_X509_pop_free(sk, X509_free);
	} else if (err.code >= 0 || sk) {
		abort();
	}
	certs_init(&c);
	if (certs_add_buf(&c, data, size, "fuzz", &err) != 0 && err.code >= 0)
		abort();
	certs_free(&c);
	return 0;
}
