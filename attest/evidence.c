#include "attest/evidence.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "abi/report.h"
#include "attest/report-json.h"
#include "util/hex.h"

/* The KDS lookup of one run: what was obtained, to be cached once verified. */
struct kds_run {
	char sim_cache[4096]; /* the cache subtree for a simulated root */
	struct kds_opts o;
	struct kds_vek vek;
	struct snp_report rep;
	enum snp_product product;
};

/* The SNP report inside o->report: the whole buffer, or at 0x20 of an HCL report. */
static int report_bytes(const struct evidence_opts *o, const uint8_t **raw, size_t *len,
			struct snp_err *err)
{
	*raw = o->report;
	*len = o->report_len;
	if (!o->hcl)
		return 0;
	if (o->report_len < EVIDENCE_HCL_REPORT_OFFSET + SNP_REPORT_SIZE ||
	    memcmp(o->report, EVIDENCE_HCL_MAGIC, 4) != 0)
		return snp_errf(err, SNP_E_INVALID,
				"not an HCL report (magic HCLA, SNP report at 0x%x; got %zu bytes)",
				EVIDENCE_HCL_REPORT_OFFSET, o->report_len);
	*raw = o->report + EVIDENCE_HCL_REPORT_OFFSET;
	*len = SNP_REPORT_SIZE;
	return 0;
}

/*
 * Entries verified under a simulated root live in DIR/sim-<sha256 of that ARK,
 * 16 hex digits>/, apart from AMD-anchored ones: a sim VCEK is never offered to
 * a verification without that root, and a regenerated sim starts afresh.
 */
static int sim_cache_dir(const char *dir, X509 *root, char *out, size_t cap,
			 struct snp_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];

	if (X509_digest(root, EVP_sha256(), md, &n) != 1 || n < 8)
		return snp_err_openssl(err, "KDS cache: digest of the simulated root");
	hex_encode(md, 8, hex);
	if ((size_t)snprintf(out, cap, "%s/sim-%s", dir, hex) >= cap)
		return snp_errf(err, SNP_E_INVALID, "KDS cache directory %.100s: path too long", dir);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return snp_err_sys(err, "KDS cache directory %s", dir);
	return 0;
}

/*
 * When no VEK is at hand, the VCEK for the report (and, for simulated roots,
 * whose intermediate is not built in, the cert_chain) from the cache or KDS;
 * with fetch_crl the CRL into *crl. All of it goes to verify_report as
 * untrusted evidence.
 */
static int kds_load(const struct evidence_opts *o, const uint8_t *raw, size_t len,
		    struct certs *certs, struct kds_run *k, X509_CRL **crl,
		    struct evidence_verdict *out, struct snp_err *err)
{
	bool need_vek = !certs->vek && !certs->vcek && !certs->vlek;
	bool sim = o->verify.n_allow_sim_roots > 0;
	int ret;

	k->o = o->kds;
	if (!o->kds.base_url && !o->kds.cache_dir && !o->fetch_crl)
		return 0;
	if (o->fetch_crl && o->verify.crl)
		return snp_errf(err, SNP_E_INVALID,
				"a CRL is both given and to be fetched from the KDS");
	if (o->kds.cache_dir && sim &&
	    (ret = sim_cache_dir(o->kds.cache_dir, o->verify.allow_sim_roots[0], k->sim_cache,
				 sizeof(k->sim_cache), err)) != 0)
		return ret;
	if (k->sim_cache[0])
		k->o.cache_dir = k->sim_cache;
	if (!need_vek && !o->fetch_crl)
		return 0;
	/* An unparseable report is left to verify_report, which names the field. */
	if (report_parse(raw, len, &o->verify.parse, &k->rep, NULL) != 0)
		return 0;
	k->product = o->verify.product ? o->verify.product : report_product(&k->rep);
	if (k->product == SNP_PRODUCT_UNKNOWN)
		return snp_errf(err, SNP_E_INVALID,
				"KDS: the product of a v%u report is unknown and none was configured",
				k->rep.version);
	if (need_vek) {
		const struct kds_vek *kv = &k->vek;

		if ((ret = kds_vek_get(&k->o, &k->rep, k->product, sim, &k->vek, err)) != 0 ||
		    (ret = certs_add_buf(certs, kv->vcek, kv->vcek_len,
					 kv->vcek_cached ? "cached VCEK" : "KDS VCEK", err)) != 0 ||
		    (kv->chain && (ret = certs_add_buf(certs, kv->chain, kv->chain_len,
						       kv->chain_cached ? "cached cert_chain"
									: "KDS cert_chain",
						       err)) != 0))
			return ret;
		out->vek_source = kv->vcek_cached ? "KDS cache" : "KDS";
	}
	if (o->fetch_crl &&
	    (ret = kds_crl_get(&k->o, k->product, report_signing_key(&k->rep), crl, err)) != 0)
		return ret;
	return 0;
}

/* Certificates from the table and the KDS, then verify, cache and appraise. */
static int evaluate(struct verifier *v, const struct evidence_opts *o, struct certs *certs,
		    struct kds_run *k, struct evidence_verdict *out, struct snp_err *err)
{
	static const struct appraise_opts refuse_all; /* zeroed: the strictest policy */
	struct verify_opts vo = o->verify;
	X509_CRL *fetched = NULL;
	const uint8_t *raw;
	size_t len;
	int ret;

	if ((ret = report_bytes(o, &raw, &len, err)) != 0 ||
	    (o->cert_table &&
	     (ret = certs_load_table_cached(certs, o->cert_cache, o->cert_table,
					    o->cert_table_len, err)) != 0) ||
	    (ret = kds_load(o, raw, len, certs, k, &fetched, out, err)) != 0)
		goto out;
	if (fetched)
		vo.crl = fetched;
	out->evaluated = true;
	/* parse -> verify -> appraise; appraisal only sees a verified report. */
	ret = out->verify_code = verify_report(v, raw, len, certs, &vo, &out->verify, err);
	if (ret)
		goto out;
	/* Only a verified VCEK (and its chain) reaches the cache. */
	if (kds_vek_cache_put(&k->o, &k->rep, k->product, &k->vek, &out->cache_err) == 0)
		snp_err_clear(&out->cache_err);
	ret = out->appraise_code =
		appraise_report(&out->verify.report, out->verify.product,
				o->appraise ? o->appraise : &refuse_all, &out->appraise, err);
out:
	X509_CRL_free(fetched);
	return ret;
}

int evidence_evaluate(struct verifier *v, const struct evidence_opts *o,
		      struct evidence_verdict *out, struct snp_err *err)
{
	struct certs local;
	struct kds_run *k = calloc(1, sizeof(*k));
	int ret;

	memset(out, 0, sizeof(*out));
	out->verify_code = out->appraise_code = SNP_E_INTERNAL;
	certs_init(&local);
	if (!k)
		ret = snp_errf(err, SNP_E_NOMEM, "evidence: out of memory");
	else
		ret = evaluate(v, o, o->certs ? o->certs : &local, k, out, err);
	if (ret && err)
		out->error = *err;
	if (k)
		kds_vek_free(&k->vek);
	free(k);
	certs_free(&local);
	return ret;
}

static json_t *appraisal_json(const struct appraise_result *ar, bool passed)
{
	json_t *o = json_object(), *checks = json_array();

	for (size_t i = 0; i < ar->nchecks; i++) {
		const struct appraise_check *c = &ar->checks[i];

		json_array_append_new(checks, json_pack("{s:s,s:b,s:b,s:s}", "name", c->name, "ok",
							c->passed, "skipped", c->skipped,
							"detail", c->detail));
	}
	json_object_set_new(o, "passed", json_boolean(passed));
	json_object_set_new(o, "failed", json_integer((json_int_t)ar->nfailed));
	json_object_set_new(o, "checks", checks);
	return o;
}

json_t *evidence_verdict_json(const struct evidence_verdict *vd)
{
	const struct verify_result *res = &vd->verify;
	json_t *o = json_object(), *checks = json_array();
	bool appraisal_ran = vd->verify_code == 0;

	if (!o || !checks) {
		json_decref(o);
		json_decref(checks);
		return NULL;
	}
	for (size_t i = 0; i < res->nchecks; i++) {
		const struct verify_check *c = &res->checks[i];
		json_t *jc = json_pack("{s:s,s:b,s:s}", "name", c->name, "ok", c->code == 0,
				       "detail", c->detail);

		if (c->code)
			json_object_set_new(jc, "code", json_string(snp_code_name(c->code)));
		json_array_append_new(checks, jc);
	}
	json_object_set_new(o, "verified", json_boolean(vd->verify_code == 0));
	json_object_set_new(o, "appraised", json_boolean(appraisal_ran && vd->appraise_code == 0));
	if (res->nchecks && res->checks[0].code == 0) {
		json_object_set_new(o, "report", report_to_json(&res->report, res->product));
		json_object_set_new(o, "signer", json_string(res->signer == SNP_SIGNING_KEY_VCEK
								   ? "VCEK"
								   : "VLEK"));
	}
	json_object_set_new(o, "product", json_string(snp_product_name(res->product)));
	if (res->anchor[0])
		json_object_set_new(o, "anchor", json_string(res->anchor));
	if (res->vek_sha256[0])
		json_object_set_new(o, "vek_sha256", json_string(res->vek_sha256));
	json_object_set_new(o, "sim_root", json_boolean(res->sim_root));
	json_object_set_new(o, "checks", checks);
	if (appraisal_ran)
		json_object_set_new(o, "appraisal", appraisal_json(&vd->appraise,
								   vd->appraise_code == 0));
	if (vd->error.code)
		json_object_set_new(o, "error", json_pack("{s:s,s:s}", "code",
							  snp_code_name(vd->error.code),
							  "message", vd->error.msg));
	return o;
}
