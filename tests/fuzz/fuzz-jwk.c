/*
 * libFuzzer target for the tee-pubkey JWK parser (attestd/jwk.c): any bytes
 * are either a key of a supported kind whose public copy re-parses to the
 * same kind and size, or a refusal with a negative code and a message. The
 * same bytes are also put through the JCS canonicaliser when they are JSON,
 * which must succeed or refuse cleanly.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "attestd/jcs.h"
#include "attestd/jwk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char fuzz_target_name[] = "jwk";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snp_err err = { 0 };
	struct jwk_pub k, again;
	json_t *v;
	char *canon;
	size_t len;

	if (jwk_pub_parse_text((const char *)data, size, "fuzz", &k, &err) == 0) {
		if (k.kind == JWK_NONE || !k.jwk)
			__builtin_trap();
		if (k.kind == JWK_RSA && (k.bits < JWK_RSA_MIN_BITS || k.bits > JWK_RSA_MAX_BITS))
			__builtin_trap();
		if (jwk_pub_parse(k.jwk, "again", &again, &err) != 0) {
			/*
			 * OpenSSL's RSA modulus test draws random Miller-Rabin bases
			 * (attestd/jwk.c): a bogus modulus may pass once and be refused
			 * the next time. Only that refusal may differ.
			 */
			if (k.kind != JWK_RSA || !strstr(err.msg, "RSA public key check failed"))
				__builtin_trap();
		} else if (again.kind != k.kind || again.bits != k.bits) {
			__builtin_trap();
		}
		jwk_pub_free(&again);
		jwk_pub_free(&k);
	} else if (err.code >= 0 || err.msg[0] == '\0' || k.jwk) {
		__builtin_trap();
	}
	v = size <= JWK_MAX_TEXT ? json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL) : NULL;
	if (v) {
		if (jcs_serialize(v, &canon, &len, &err) == 0)
			free(canon);
		else if (err.code >= 0 || canon)
			__builtin_trap();
		json_decref(v);
	}
	return 0;
}
