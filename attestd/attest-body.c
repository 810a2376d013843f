#include "attestd/attest-body.h"

#include <stdlib.h>
#include <string.h>

#include "abi/report.h"
#include "attestd/b64url.h"
#include "attestd/store.h"
#include "attestd/tsm-cbor.h"

/* Refuses members of o outside the NULL-terminated list names. */
static int only_members(const json_t *o, const char *what, const char *const *names,
			struct snp_err *err)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)o, k, v) {
		size_t i;

		for (i = 0; names[i] && strcmp(names[i], k) != 0; i++)
			;
		if (names[i] == NULL)
			return snp_errf(err, SNP_E_INVALID, "%s: unknown member '%.40s'", what, k);
	}
	return 0;
}

/* Decodes base64url member name of o (at most max bytes) into a malloc'd buffer. */
static int b64_member(const json_t *o, const char *name, size_t max, uint8_t **out,
		      size_t *outlen, struct snp_err *err)
{
	const json_t *v = json_object_get(o, name);
	const char *s = json_string_value(v);
	size_t slen = json_string_length(v);
	int ret;

	*out = NULL;
	if (s == NULL)
		return snp_errf(err, SNP_E_INVALID, "tee-evidence: %s: missing or not a string", name);
	if (slen / 4 * 3 > max + 3)
		return snp_errf(err, SNP_E_INVALID, "tee-evidence: %s: longer than %zu bytes", name,
				max);
	if ((*out = malloc(max ? max : 1)) == NULL)
		return snp_errf(err, SNP_E_NOMEM, "out of memory");
	if ((ret = b64url_decode(s, slen, name, *out, max, outlen, err)) != 0) {
		free(*out);
		*out = NULL;
		return snp_err_prefix(err, "tee-evidence: ");
	}
	return ret;
}

static int parse_tsm(const json_t *ev, struct attest_body *b, struct snp_err *err)
{
	static const char *const names[] = { "media-type", "tsm-report", NULL };
	const char *mt = json_string_value(json_object_get(ev, "media-type"));
	struct tsm_evidence tsm = { 0 };
	uint8_t *cbor = NULL;
	size_t n = 0;
	int ret;

	if ((ret = only_members(ev, "tee-evidence", names, err)) != 0)
		return ret;
	if (mt == NULL || strcmp(mt, TSM_CBOR_MEDIA_TYPE) != 0)
		return snp_errf(err, SNP_E_UNSUPPORTED, "tee-evidence: media-type '%.60s' is not "
				TSM_CBOR_MEDIA_TYPE, mt ? mt : "(not a string)");
	if ((ret = b64_member(ev, "tsm-report", TSM_CBOR_MAX, &cbor, &n, err)) != 0)
		return ret;
	ret = tsm_cbor_decode(cbor, n, &tsm, err);
	free(cbor);
	if (ret != 0)
		return snp_err_prefix(err, "tee-evidence: tsm-report: ");
	if (strcmp(tsm.provider, "sev_guest") != 0) {
		ret = snp_errf(err, SNP_E_UNSUPPORTED, "tee-evidence: tsm-report: provider '%s' is "
			       "not sev_guest", tsm.provider);
		tsm_evidence_free(&tsm);
		return ret;
	}
	b->report = tsm.outblob;
	b->report_len = tsm.outblob_len;
	b->cert_table = tsm.auxblob;
	b->cert_table_len = tsm.auxblob_len;
	b->form = "tsm-cbor";
	return 0;
}

static int parse_raw(const json_t *ev, struct attest_body *b, struct snp_err *err)
{
	static const char *const names[] = { "report", "cert-table", NULL };
	int ret;

	if ((ret = only_members(ev, "tee-evidence", names, err)) != 0 ||
	    (ret = b64_member(ev, "report", SNP_REPORT_SIZE, &b->report, &b->report_len,
			      err)) != 0 ||
	    (json_object_get(ev, "cert-table") &&
	     (ret = b64_member(ev, "cert-table", ATTEST_CERT_TABLE_MAX, &b->cert_table,
			       &b->cert_table_len, err)) != 0))
		return ret;
	b->form = "report";
	return 0;
}

static int parse_runtime_data(const json_t *rd, struct attest_body *b, struct snp_err *err)
{
	static const char *const names[] = { "nonce", "tee-pubkey", NULL };
	const json_t *nonce = json_object_get(rd, "nonce");
	int ret;

	if (!json_is_object(rd))
		return snp_errf(err, SNP_E_INVALID, "runtime-data: missing or not an object");
	if ((ret = only_members(rd, "runtime-data", names, err)) != 0)
		return ret;
	if (!json_is_string(nonce) || json_string_length(nonce) != STORE_NONCE_LEN)
		return snp_errf(err, SNP_E_INVALID, "runtime-data: nonce: not a %d-character string",
				STORE_NONCE_LEN);
	b->nonce = json_string_value(nonce);
	b->runtime_data = rd;
	return jwk_pub_parse(json_object_get(rd, "tee-pubkey"), "runtime-data: tee-pubkey",
			     &b->key, err);
}

int attest_body_parse(const uint8_t *body, size_t len, struct attest_body *out,
		      struct snp_err *err)
{
	static const char *const names[] = { "runtime-data", "tee-evidence", NULL };
	json_error_t je;
	const json_t *ev;
	int ret = SNP_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	out->root = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(out->root)) {
		ret = snp_errf(err, SNP_E_INVALID, "attest: body is not a JSON object (%.80s)",
			       out->root ? "another JSON type" : je.text);
		goto out;
	}
	if (json_object_get(out->root, "init-data")) {
		ret = snp_errf(err, SNP_E_UNSUPPORTED,
			       "attest: init-data is not supported (HOST_DATA is checked by policy)");
		goto out;
	}
	if ((ret = only_members(out->root, "attest", names, err)) != 0 ||
	    (ret = parse_runtime_data(json_object_get(out->root, "runtime-data"), out, err)) != 0)
		goto out;
	ev = json_object_get(out->root, "tee-evidence");
	if (!json_is_object(ev)) {
		ret = snp_errf(err, SNP_E_INVALID, "tee-evidence: missing or not an object");
		goto out;
	}
	ret = json_object_get(ev, "media-type") ? parse_tsm(ev, out, err) : parse_raw(ev, out, err);
	if (ret != 0)
		goto out;
	if (out->report_len != SNP_REPORT_SIZE) {
		ret = snp_errf(err, SNP_E_INVALID, "tee-evidence: the report is %zu bytes, want %d",
			       out->report_len, SNP_REPORT_SIZE);
		goto out;
	}
	ret = 0;
out:
	if (ret != 0)
		attest_body_free(out);
	return ret;
}

void attest_body_free(struct attest_body *b)
{
	jwk_pub_free(&b->key);
	free(b->report);
	free(b->cert_table);
	json_decref(b->root);
	memset(b, 0, sizeof(*b));
}
