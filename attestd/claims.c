#include "attestd/claims.h"

#include <stdlib.h>
#include <string.h>


#include "attest/report-json.h"
#include "attest/verify.h"
#include "attestd/b64url.h"
#include "attestd/ear.h"
#include "attestd/jose-dl.h"

json_t *claims_from_verified(const struct verify_result *vr, const uint8_t *raw, size_t len)
{
	json_t *rep = report_to_json(&vr->report, vr->product);
	json_t *b64 = jose_b64_enc(raw, len);
	json_t *c = NULL;

	if (rep && b64)
		c = json_pack("{s:s,s:s,s:b,s:O,s:O}", "product", snp_product_name(vr->product),
			      "signer", vr->signer == SNP_SIGNING_KEY_VLEK ? "VLEK" : "VCEK",
			      "sim_root", vr->sim_root, "report", rep, "snpvm.report", b64);
	json_decref(rep);
	json_decref(b64);
	return c;
}

int claims_report(const json_t *ear_payload, struct snp_report *rep, enum snp_product *product,
		  struct snp_err *err)
{
	const json_t *ev = json_object_get(
		json_object_get(json_object_get(ear_payload, "submods"), EAR_SUBMOD),
		"ear.veraison.annotated-evidence");
	const json_t *b64 = json_object_get(ev, "snpvm.report");
	const char *pname = json_string_value(json_object_get(ev, "product"));
	struct report_parse_opts po = { 0 };
	uint8_t raw[SNP_REPORT_SIZE];
	size_t n = 0;
	int ret;

	if (!json_is_string(b64) || pname == NULL)
		return snp_errf(err, SNP_E_INVALID, "token: no report in the annotated evidence");
	if ((ret = b64url_decode(json_string_value(b64), json_string_length(b64), "snpvm.report",
				 raw, sizeof(raw), &n, err)) != 0)
		return ret;
	if (n != SNP_REPORT_SIZE)
		return snp_errf(err, SNP_E_INVALID, "token: report is %zu bytes", n);
	if ((ret = snp_product_from_name(pname, product, err)) != 0 ||
	    (ret = report_parse(raw, n, &po, rep, err)) != 0)
		return ret;
	return 0;
}
