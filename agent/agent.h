/*
 * The guest agent (`snpvm agent`): obtains one secret from attestd (or any
 * KBS v0 "RCAR" server) for this guest's attestation report.
 *
 *   1. a fresh ephemeral key pair (attestd/jwk.h, EC P-256 unless asked)
 *   2. POST /kbs/v0/auth                -> nonce, session cookie
 *   3. REPORT_DATA = SHA-384(JCS({nonce, tee-pubkey})) || 0^16 (attestd/binding.h)
 *   4. the report from the provider (agent/provider.h)
 *   5. POST /kbs/v0/attest              -> EAR token
 *   6. GET /kbs/v0/resource/<repo>/<type>/<tag> with the cookie -> JWE
 *   7. jwe_open with the private key    -> the secret
 *
 * The private key is wiped when done; the secret is handed to the caller in
 * a struct secret (wiped by agent_result_free). Errors name the step and,
 * for an HTTP refusal, the server's RFC 7807 reason (agent/http.h for the
 * codes: SNP_E_REFUSED when the server said no).
 */
#ifndef SNPVM_AGENT_AGENT_H
#define SNPVM_AGENT_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/report.h"
#include "agent/provider.h"
#include "attestd/jwk.h"
#include "util/err.h"
#include "util/secret.h"

enum agent_evidence_form {
	AGENT_EVIDENCE_AUTO = 0, /* cbor for the tsm provider, json otherwise */
	AGENT_EVIDENCE_JSON,     /* report + cert-table, base64url */
	AGENT_EVIDENCE_CBOR,     /* the configfs-tsm map, TSM_CBOR_MEDIA_TYPE */
};

struct agent_opts {
	const char *url;      /* the server's base URL, "https://kbs.example:8080" */
	const char *resource; /* "repo/type/tag" */
	const struct agent_provider *provider;
	struct agent_provider_cfg pcfg;
	enum jwk_kind key;    /* JWK_NONE: JWK_EC_P256 */
	enum agent_evidence_form form;
	const char *ca_file;  /* CA bundle for https, or NULL: the system's */
	long connect_timeout_ms, timeout_ms; /* 0: attest/kds-curl.h's defaults */
	bool keep_attest;     /* hand back the /attest request (res->attest_request) */
};

struct agent_result {
	struct secret secret;                     /* the resource's bytes */
	const char *provider;                     /* the provider's name */
	bool insecure;                            /* a sim report */
	enum jwk_kind key;
	bool cbor;                                /* the evidence form sent */
	uint8_t report_data[SNP_REPORT_DATA_SIZE];
	uint8_t measurement[SNP_MEASUREMENT_SIZE];
	uint32_t vmpl;
	size_t cert_table_len;                    /* 0: none sent */
	/*
	 * With keep_attest: {"cookie": <session id>, "body": <the /attest JSON
	 * sent>} as JSON text (malloc'd) - no key, no secret; for showing that a
	 * replayed request is refused (the nonce is single-use).
	 */
	char *attest_request;
};

/*
 * Runs the exchange above. On success res holds the secret (release with
 * agent_result_free); on failure res is zeroed and err names the step
 * ("auth: ...", "attest: HTTP 401: ...", "report: ...").
 */
int agent_fetch_secret(const struct agent_opts *o, struct agent_result *res,
		       struct snp_err *err) SNP_MUST_CHECK;

/* Wipes and frees the secret; safe on a zeroed result. */
void agent_result_free(struct agent_result *res);

#endif
