/*
 * The guest side's messages of the Trustee KBS protocol v0 "RCAR" exchange
 * (confidential-containers/trustee, kbs/docs/kbs_attestation_protocol.md),
 * in the SNP profile attestd serves (docs/attestd.md):
 *
 *   Request      {"version": "0.4.0", "tee": "snp", "extra-params": {}}
 *   Challenge    {"nonce": "<standard base64 of 32 bytes>", "extra-params": {...}}
 *   Attestation  {"runtime-data": {"nonce", "tee-pubkey": JWK},
 *                 "tee-evidence": {"report": b64url, "cert-table": b64url}}
 *             or "tee-evidence": {"media-type": TSM_CBOR_MEDIA_TYPE,
 *                                 "tsm-report": b64url(CBOR map, attestd/tsm-cbor.h)}
 *   Response     {"token": "<EAR JWT>"}
 *
 * Building and reading them is separate from the transport so tests check
 * the exact bytes without a server.
 */
#ifndef SNPVM_AGENT_RCAR_H
#define SNPVM_AGENT_RCAR_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "attestd/tsm-cbor.h"
#include "util/err.h"

#define RCAR_VERSION "0.4.0"
#define RCAR_NONCE_BYTES 32
/* Longest token accepted from the server. */
#define RCAR_TOKEN_MAX (16 * 1024)
/* Resource path segments: 1..RCAR_SEGMENT_MAX of [A-Za-z0-9._-], not "." or "..". */
#define RCAR_SEGMENT_MAX 64

/* The Request body as compact JSON text (malloc'd) into *out. */
int rcar_request_body(char **out, struct snp_err *err) SNP_MUST_CHECK;

/*
 * Reads the Challenge: a JSON object whose "nonce" is standard base64 of
 * exactly RCAR_NONCE_BYTES bytes; *nonce is a new string (free it).
 */
int rcar_challenge_parse(const char *body, size_t len, char **nonce,
			 struct snp_err *err) SNP_MUST_CHECK;

/* {"nonce": nonce, "tee-pubkey": pub} (a new object; pub is not consumed). */
json_t *rcar_runtime_data(const char *nonce, const json_t *pub);

/*
 * The Attestation body as compact JSON text (malloc'd) into *out: runtime_data
 * and ev in the JSON form, or with cbor in the tsm-report CBOR form.
 */
int rcar_attestation_body(const json_t *runtime_data, const struct tsm_evidence *ev, bool cbor,
			  char **out, struct snp_err *err) SNP_MUST_CHECK;

/* Reads the Response: a JSON object with a "token" string of 1..RCAR_TOKEN_MAX bytes. */
int rcar_token_parse(const char *body, size_t len, char **token,
		     struct snp_err *err) SNP_MUST_CHECK;

/* Checks "repo/type/tag" as above; SNP_E_INVALID naming the problem. */
int rcar_resource_check(const char *resource, struct snp_err *err) SNP_MUST_CHECK;

#endif
