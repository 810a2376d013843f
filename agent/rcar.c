#include "agent/rcar.h"

#include <stdlib.h>
#include <string.h>


#include "attestd/jose-dl.h"
#include "util/hex.h"
#include "util/secret.h"

static int dump(json_t *o, char **out, struct snp_err *err)
{
	*out = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return *out ? 0 : snp_errf(err, SNP_E_NOMEM, "out of memory");
}

int rcar_request_body(char **out, struct snp_err *err)
{
	return dump(json_pack("{s:s, s:s, s:{}}", "version", RCAR_VERSION, "tee", "snp",
			      "extra-params"),
		    out, err);
}

/* The string member key of the JSON object in body (1..max bytes), copied into *out. */
static int string_member(const char *body, size_t len, const char *what, const char *key,
			 size_t max, char **out, struct snp_err *err)
{
	json_error_t je;
	json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	const char *s = json_string_value(json_object_get(o, key));
	int ret = 0;

	*out = NULL;
	if (!o)
		ret = snp_errf(err, SNP_E_INVALID, "%s: not JSON: %s", what, je.text);
	else if (!json_is_object(o))
		ret = snp_errf(err, SNP_E_INVALID, "%s: not a JSON object", what);
	else if (!s || !*s || strlen(s) > max)
		ret = snp_errf(err, SNP_E_INVALID, "%s: no \"%s\" string of 1..%zu bytes", what, key,
			       max);
	else if ((*out = strdup(s)) == NULL)
		ret = snp_errf(err, SNP_E_NOMEM, "out of memory");
	json_decref(o);
	return ret;
}

int rcar_challenge_parse(const char *body, size_t len, char **nonce, struct snp_err *err)
{
	uint8_t raw[RCAR_NONCE_BYTES];
	int ret;

	if ((ret = string_member(body, len, "challenge", "nonce", 2 * RCAR_NONCE_BYTES, nonce,
				 err)) != 0)
		return ret;
	if (b64_decode(*nonce, raw, sizeof(raw), "challenge: nonce", err) != 0) {
		free(*nonce);
		*nonce = NULL;
		return snp_errf(err, SNP_E_INVALID,
				"challenge: nonce is not standard base64 of %d bytes", RCAR_NONCE_BYTES);
	}
	secret_wipe(raw, sizeof(raw));
	return 0;
}

json_t *rcar_runtime_data(const char *nonce, const json_t *pub)
{
	return json_pack("{s:s, s:O}", "nonce", nonce, "tee-pubkey", (json_t *)pub);
}

int rcar_attestation_body(const json_t *runtime_data, const struct tsm_evidence *ev, bool cbor,
			  char **out, struct snp_err *err)
{
	json_t *evidence = NULL;
	uint8_t *enc = NULL;
	size_t enc_len = 0;
	int ret;

	*out = NULL;
	if (cbor) {
		if ((ret = tsm_cbor_encode(ev, &enc, &enc_len, err)) != 0)
			return ret;
		evidence = json_pack("{s:s, s:o}", "media-type", TSM_CBOR_MEDIA_TYPE, "tsm-report",
				     jose_b64_enc(enc, enc_len));
		free(enc);
	} else {
		evidence = json_pack("{s:o}", "report", jose_b64_enc(ev->outblob, ev->outblob_len));
		if (evidence && ev->auxblob &&
		    json_object_set_new(evidence, "cert-table",
					jose_b64_enc(ev->auxblob, ev->auxblob_len)) != 0) {
			json_decref(evidence);
			evidence = NULL;
		}
	}
	if (!evidence)
		return snp_errf(err, SNP_E_NOMEM, "out of memory");
	return dump(json_pack("{s:O, s:o}", "runtime-data", (json_t *)runtime_data, "tee-evidence",
			      evidence),
		    out, err);
}

int rcar_token_parse(const char *body, size_t len, char **token, struct snp_err *err)
{
	return string_member(body, len, "attestation response", "token", RCAR_TOKEN_MAX, token, err);
}

int rcar_resource_check(const char *resource, struct snp_err *err)
{
	static const char *const names[] = { "repository", "type", "tag" };
	const char *p = resource;

	for (int seg = 0; seg < 3; seg++) {
		size_t n = 0;

		while (p[n] && p[n] != '/') {
			char c = p[n];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
				return snp_errf(err, SNP_E_INVALID,
						"resource \"%s\": %s: character 0x%02x not in "
						"[A-Za-z0-9._-]",
						resource, names[seg], (unsigned char)c);
			n++;
		}
		if (n == 0 || n > RCAR_SEGMENT_MAX || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return snp_errf(err, SNP_E_INVALID,
					"resource \"%s\": %s must be 1..%d characters, not . or ..",
					resource, names[seg], RCAR_SEGMENT_MAX);
		p += n;
		if (seg < 2 && *p++ != '/')
			return snp_errf(err, SNP_E_INVALID,
					"resource \"%s\": want REPOSITORY/TYPE/TAG", resource);
	}
	if (*p)
		return snp_errf(err, SNP_E_INVALID, "resource \"%s\": want REPOSITORY/TYPE/TAG",
				resource);
	return 0;
}
