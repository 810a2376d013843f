#include "attest/chain.h"

#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>

/* The hash AlgorithmIdentifier must be SHA-384 with absent or NULL parameters. */
static int check_sha384(const X509_ALGOR *a, const char *what, const char *field,
			struct snp_err *err)
{
	const ASN1_OBJECT *obj;
	const void *pval;
	int ptype;

	if (!a)
		return snp_errf(err, SNP_E_CHAIN, "%s: RSA-PSS %s: absent (SHA-1 default), want SHA-384",
				what, field);
	X509_ALGOR_get0(&obj, &ptype, &pval, a);
	if (OBJ_obj2nid(obj) != NID_sha384 || (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL)) {
		char name[64];

		OBJ_obj2txt(name, sizeof(name), obj, 0);
		return snp_errf(err, SNP_E_CHAIN, "%s: RSA-PSS %s: got %s, want SHA-384", what,
				field, name);
	}
	return 0;
}

int chain_check_pss_alg(const X509_ALGOR *alg, const char *what, struct snp_err *err)
{
	const ASN1_OBJECT *obj, *mobj;
	const ASN1_TYPE *mgfparam;
	const void *pval, *mpval;
	const unsigned char *p;
	RSA_PSS_PARAMS *pss = NULL;
	X509_ALGOR *mgfhash = NULL;
	int ptype, mptype;
	int64_t v = 0;
	int ret = SNP_E_INTERNAL;

	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	if (OBJ_obj2nid(obj) != NID_rsassaPss) {
		char name[64];

		OBJ_obj2txt(name, sizeof(name), obj, 0);
		ret = snp_errf(err, SNP_E_CHAIN, "%s: signature algorithm %s, want RSASSA-PSS",
			       what, name);
		goto out;
	}
	if (ptype != V_ASN1_SEQUENCE) {
		ret = snp_errf(err, SNP_E_CHAIN, "%s: RSASSA-PSS without parameters", what);
		goto out;
	}
	p = ((const ASN1_STRING *)pval)->data;
	pss = d2i_RSA_PSS_PARAMS(NULL, &p, ((const ASN1_STRING *)pval)->length);
	if (!pss || p != ((const ASN1_STRING *)pval)->data + ((const ASN1_STRING *)pval)->length) {
		ret = snp_errf(err, SNP_E_CHAIN, "%s: RSASSA-PSS parameters do not decode", what);
		goto out;
	}
	if ((ret = check_sha384(pss->hashAlgorithm, what, "hashAlgorithm", err)) != 0)
		goto out;
	if (!pss->maskGenAlgorithm) {
		ret = snp_errf(err, SNP_E_CHAIN,
			       "%s: RSA-PSS maskGenAlgorithm absent (MGF1-SHA-1), want MGF1-SHA-384",
			       what);
		goto out;
	}
	X509_ALGOR_get0(&mobj, &mptype, &mpval, pss->maskGenAlgorithm);
	if (OBJ_obj2nid(mobj) != NID_mgf1 || mptype != V_ASN1_SEQUENCE) {
		ret = snp_errf(err, SNP_E_CHAIN, "%s: RSA-PSS maskGenAlgorithm is not MGF1", what);
		goto out;
	}
	mgfparam = (const ASN1_TYPE *)pss->maskGenAlgorithm->parameter;
	p = mgfparam->value.sequence->data;
	mgfhash = d2i_X509_ALGOR(NULL, &p, mgfparam->value.sequence->length);
	if (!mgfhash ||
	    p != mgfparam->value.sequence->data + mgfparam->value.sequence->length) {
		ret = snp_errf(err, SNP_E_CHAIN, "%s: RSA-PSS MGF1 hash does not decode", what);
		goto out;
	}
	if ((ret = check_sha384(mgfhash, what, "MGF1 hash", err)) != 0)
		goto out;
	if (!pss->saltLength || ASN1_INTEGER_get_int64(&v, pss->saltLength) != 1 || v != 48) {
		ret = snp_errf(err, SNP_E_CHAIN, "%s: RSA-PSS saltLength %lld, want 48", what,
			       pss->saltLength ? (long long)v : 20LL);
		goto out;
	}
	if (pss->trailerField &&
	    (ASN1_INTEGER_get_int64(&v, pss->trailerField) != 1 || v != 1)) {
		ret = snp_errf(err, SNP_E_CHAIN, "%s: RSA-PSS trailerField %lld, want 1", what,
			       (long long)v);
		goto out;
	}
	ret = 0;
out:
	X509_ALGOR_free(mgfhash);
	RSA_PSS_PARAMS_free(pss);
	return ret;
}

int chain_check_signed(X509 *subject, const char *subject_what, X509 *issuer,
		       const char *issuer_what, struct snp_err *err)
{
	const X509_ALGOR *alg;
	EVP_PKEY *pkey;
	int ret = SNP_E_INTERNAL;
	int rc;

	if (X509_NAME_cmp(X509_get_issuer_name(subject), X509_get_subject_name(issuer)) != 0) {
		char s[128], i[128];
		struct snp_err ignore;

		/* The names differ; the CNs are only for the message. */
		if (chain_issuer_cn(subject, s, sizeof(s), &ignore) != 0)
			snprintf(s, sizeof(s), "(no CN)");
		if (chain_subject_cn(issuer, i, sizeof(i), &ignore) != 0)
			snprintf(i, sizeof(i), "(no CN)");
		ret = snp_errf(err, SNP_E_CHAIN, "%s: issuer is %s, but the %s is %s", subject_what,
			       s, issuer_what, i);
		goto out;
	}
	X509_get0_signature(NULL, &alg, subject);
	if ((ret = chain_check_pss_alg(alg, subject_what, err)) != 0)
		goto out;
	pkey = X509_get0_pubkey(issuer);
	if (!pkey) {
		ret = snp_err_openssl(err, "%s: no public key", issuer_what);
		goto out;
	}
	ERR_clear_error();
	rc = X509_verify(subject, pkey);
	if (rc != 1) {
		ERR_clear_error();
		ret = snp_errf(err, SNP_E_CHAIN, "%s: signature by the %s does not verify",
			       subject_what, issuer_what);
		goto out;
	}
	ret = 0;
out:
	return ret;
}

void chain_format_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "@%lld", (long long)t);
}

static void asn1_time_str(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1 || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "?");
}

int chain_check_validity(const X509 *cert, const char *what, time_t now, struct snp_err *err)
{
	const ASN1_TIME *nb = X509_get0_notBefore(cert), *na = X509_get0_notAfter(cert);
	int cb = nb ? ASN1_TIME_cmp_time_t(nb, now) : -2;
	int ca = na ? ASN1_TIME_cmp_time_t(na, now) : -2;
	char tnow[32], tb[32];

	chain_format_time(now, tnow, sizeof(tnow));
	/*
	 * Valid when notBefore <= now <= notAfter (RFC 5280: both ends included).
	 * ASN1_TIME_cmp_time_t gives -1, 0, 1 for before, equal, after, -2 on error.
	 */
	if (cb == -2 || cb > 0) {
		if (nb)
			asn1_time_str(nb, tb, sizeof(tb));
		return snp_errf(err, SNP_E_CHAIN, "%s: not yet valid at %s (notBefore %s)", what,
				tnow, nb ? tb : "absent");
	}
	if (ca < 0) {
		if (na)
			asn1_time_str(na, tb, sizeof(tb));
		return snp_errf(err, SNP_E_CHAIN, "%s: expired at %s (notAfter %s)", what, tnow,
				na ? tb : "absent");
	}
	return 0;
}

static int name_cn(const X509_NAME *name, char *buf, size_t len, const char *which,
		   struct snp_err *err)
{
	const ASN1_STRING *s;
	X509_NAME_ENTRY *e;
	int idx, n;

	buf[0] = '\0';
	idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (idx < 0)
		return snp_errf(err, SNP_E_INVALID, "certificate: %s has no commonName", which);
	if (X509_NAME_get_index_by_NID(name, NID_commonName, idx) >= 0)
		return snp_errf(err, SNP_E_INVALID, "certificate: %s has more than one commonName",
				which);
	e = X509_NAME_get_entry(name, idx);
	s = X509_NAME_ENTRY_get_data(e);
	n = ASN1_STRING_length(s);
	if (n < 0 || (size_t)n >= len || memchr(ASN1_STRING_get0_data(s), 0, (size_t)n))
		return snp_errf(err, SNP_E_INVALID, "certificate: %s commonName is too long or has NUL",
				which);
	memcpy(buf, ASN1_STRING_get0_data(s), (size_t)n);
	buf[n] = '\0';
	return 0;
}

int chain_subject_cn(const X509 *cert, char *buf, size_t len, struct snp_err *err)
{
	return name_cn(X509_get_subject_name(cert), buf, len, "subject", err);
}

int chain_issuer_cn(const X509 *cert, char *buf, size_t len, struct snp_err *err)
{
	return name_cn(X509_get_issuer_name(cert), buf, len, "issuer", err);
}
