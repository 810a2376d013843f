#include "sim/chain.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define AMD_OID_ARC "1.3.6.1.4.1.3704.1."
#define PSS_SALT_LEN 48

void sim_chain_cn(enum snp_product p, enum sim_cert_role role, char *buf, size_t len)
{
	const char *n = snp_product_name(p);

	switch (role) {
	case SIM_CERT_ARK:
		snprintf(buf, len, "ARK-%s", n);
		break;
	case SIM_CERT_ASK:
		snprintf(buf, len, "SEV-%s", n);
		break;
	case SIM_CERT_ASVK:
		snprintf(buf, len, "SEV-VLEK-%s", n);
		break;
	case SIM_CERT_VCEK:
		snprintf(buf, len, "SEV-VCEK");
		break;
	case SIM_CERT_VLEK:
		snprintf(buf, len, "SEV-VLEK");
		break;
	}
}

long sim_chain_serial(enum snp_product p, enum sim_cert_role role)
{
	/* The serials of AMD's real ARK/ASK/ASVK certificates (tests/data/attest/). */
	long base = p == SNP_PRODUCT_MILAN ? 0x10000 : p == SNP_PRODUCT_GENOA ? 0x20000 : 0x30000;

	switch (role) {
	case SIM_CERT_ARK:
		return base;
	case SIM_CERT_ASK:
		return base + (p == SNP_PRODUCT_GENOA ? 2 : 1);
	case SIM_CERT_ASVK:
		return base + 0x101;
	default:
		return 0;
	}
}

const char *sim_chain_product_name(enum snp_product p, enum sim_cert_role role)
{
	if (p == SNP_PRODUCT_MILAN && role == SIM_CERT_VCEK)
		return "Milan-B0";
	return snp_product_name(p);
}

/* OU, C, L, ST, O, CN in AMD's order and string types. */
static X509_NAME *amd_name(const char *cn)
{
	static const struct {
		const char *field;
		int type;
		const char *value;
	} rdns[] = {
		{ "OU", V_ASN1_UTF8STRING, "Engineering" },
		{ "C", V_ASN1_PRINTABLESTRING, "US" },
		{ "L", V_ASN1_UTF8STRING, "Santa Clara" },
		{ "ST", V_ASN1_UTF8STRING, "CA" },
		{ "O", V_ASN1_UTF8STRING, "Advanced Micro Devices" },
	};
	X509_NAME *n = X509_NAME_new();

	if (n == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(rdns) / sizeof(rdns[0]); i++)
		if (X509_NAME_add_entry_by_txt(n, rdns[i].field, rdns[i].type,
					       (const unsigned char *)rdns[i].value, -1, -1, 0) != 1)
			goto fail;
	if (X509_NAME_add_entry_by_txt(n, "CN", V_ASN1_UTF8STRING, (const unsigned char *)cn, -1,
				       -1, 0) != 1)
		goto fail;
	return n;
fail:
	X509_NAME_free(n);
	return NULL;
}

/* SHA-384 AlgorithmIdentifier with explicit NULL parameters, as AMD writes it. */
static X509_ALGOR *sha384_algor(void)
{
	X509_ALGOR *a = X509_ALGOR_new();

	if (a && X509_ALGOR_set0(a, OBJ_nid2obj(NID_sha384), V_ASN1_NULL, NULL) != 1) {
		X509_ALGOR_free(a);
		a = NULL;
	}
	return a;
}

/* rsassaPss with SHA-384, MGF1-SHA-384, salt 48 and, if asked, trailerField 1. */
static X509_ALGOR *pss_algor(bool explicit_trailer)
{
	RSA_PSS_PARAMS *pss = RSA_PSS_PARAMS_new();
	X509_ALGOR *mgf_md = NULL, *alg = NULL, *ret = NULL;
	ASN1_STRING *mgf_param = NULL, *params = NULL;

	if (pss == NULL || (pss->hashAlgorithm = sha384_algor()) == NULL ||
	    (mgf_md = sha384_algor()) == NULL ||
	    ASN1_item_pack(mgf_md, ASN1_ITEM_rptr(X509_ALGOR), &mgf_param) == NULL ||
	    (pss->maskGenAlgorithm = X509_ALGOR_new()) == NULL ||
	    X509_ALGOR_set0(pss->maskGenAlgorithm, OBJ_nid2obj(NID_mgf1), V_ASN1_SEQUENCE,
			    mgf_param) != 1)
		goto out;
	mgf_param = NULL;
	if ((pss->saltLength = ASN1_INTEGER_new()) == NULL ||
	    ASN1_INTEGER_set(pss->saltLength, PSS_SALT_LEN) != 1)
		goto out;
	if (explicit_trailer &&
	    ((pss->trailerField = ASN1_INTEGER_new()) == NULL ||
	     ASN1_INTEGER_set(pss->trailerField, 1) != 1))
		goto out;
	if (ASN1_item_pack(pss, ASN1_ITEM_rptr(RSA_PSS_PARAMS), &params) == NULL ||
	    (alg = X509_ALGOR_new()) == NULL ||
	    X509_ALGOR_set0(alg, OBJ_nid2obj(NID_rsassaPss), V_ASN1_SEQUENCE, params) != 1)
		goto out;
	params = NULL;
	ret = alg;
	alg = NULL;
out:
	ASN1_STRING_free(mgf_param);
	ASN1_STRING_free(params);
	X509_ALGOR_free(alg);
	X509_ALGOR_free(mgf_md);
	RSA_PSS_PARAMS_free(pss);
	return ret;
}

/* An EVP_MD_CTX set up for RSASSA-PSS SHA-384 / MGF1-SHA-384 / salt 48 with key. */
static EVP_MD_CTX *pss_sign_ctx(EVP_PKEY *key)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;

	if (md == NULL || EVP_DigestSignInit_ex(md, &pctx, "SHA384", NULL, NULL, key, NULL) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA384", NULL) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, PSS_SALT_LEN) != 1) {
		EVP_MD_CTX_free(md);
		return NULL;
	}
	return md;
}

/*
 * Signs x with PSS. OpenSSL's X509_sign never writes an explicit trailerField,
 * so the AlgorithmIdentifier is set on the certificate first and the TBS bytes
 * are signed directly; the certificate is then re-parsed so that every cached
 * encoding matches. *x is replaced.
 */
static int sign_cert(X509 **x, EVP_PKEY *key, bool explicit_trailer, struct snp_err *err)
{
	X509_ALGOR *alg = pss_algor(explicit_trailer);
	const X509_ALGOR *tbs_alg, *sig_alg;
	const ASN1_BIT_STRING *sig_c;
	ASN1_BIT_STRING *sig;
	EVP_MD_CTX *md = NULL;
	unsigned char *tbs = NULL, *der = NULL, *s = NULL;
	const unsigned char *p;
	size_t slen = 0;
	int tbs_len, der_len = 0, ret = SNP_E_INTERNAL;
	X509 *fresh = NULL;

	if (alg == NULL)
		goto crypto;
	tbs_alg = X509_get0_tbs_sigalg(*x);
	X509_get0_signature(&sig_c, &sig_alg, *x);
	/* The X509 owns both; OpenSSL has no setter for the TBS algorithm. */
	if (X509_ALGOR_copy((X509_ALGOR *)tbs_alg, alg) != 1 ||
	    X509_ALGOR_copy((X509_ALGOR *)sig_alg, alg) != 1)
		goto crypto;
	if ((tbs_len = i2d_re_X509_tbs(*x, &tbs)) <= 0 || (md = pss_sign_ctx(key)) == NULL ||
	    EVP_DigestSign(md, NULL, &slen, tbs, (size_t)tbs_len) != 1 ||
	    (s = OPENSSL_malloc(slen)) == NULL ||
	    EVP_DigestSign(md, s, &slen, tbs, (size_t)tbs_len) != 1)
		goto crypto;
	sig = (ASN1_BIT_STRING *)sig_c;
	if (ASN1_BIT_STRING_set(sig, s, (int)slen) != 1)
		goto crypto;
	sig->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
	sig->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	if ((der_len = i2d_X509(*x, &der)) <= 0)
		goto crypto;
	p = der;
	if ((fresh = d2i_X509(NULL, &p, der_len)) == NULL)
		goto crypto;
	X509_free(*x);
	*x = fresh;
	ret = 0;
	goto out;
crypto:
	ret = snp_err_openssl(err, "sim chain: signing certificate");
out:
	X509_ALGOR_free(alg);
	EVP_MD_CTX_free(md);
	OPENSSL_free(tbs);
	OPENSSL_free(der);
	OPENSSL_free(s);
	return ret;
}

static int set_validity(X509 *x, time_t now, int years)
{
	struct tm tm;
	time_t end;

	if (gmtime_r(&now, &tm) == NULL)
		return 0;
	tm.tm_year += years;
	end = timegm(&tm);
	return ASN1_TIME_set(X509_getm_notBefore(x), now) != NULL &&
	       ASN1_TIME_set(X509_getm_notAfter(x), end) != NULL;
}

/* Common fields: v3, serial, names, validity, public key. */
static X509 *cert_new(enum snp_product p, enum sim_cert_role role, EVP_PKEY *key,
		      const X509_NAME *issuer_name, time_t now, int years)
{
	X509 *x = X509_new();
	X509_NAME *subject = NULL;
	char cn[32];
	int ok;

	sim_chain_cn(p, role, cn, sizeof(cn));
	if (x == NULL || (subject = amd_name(cn)) == NULL)
		goto fail;
	ok = X509_set_version(x, X509_VERSION_3) == 1 &&
	     ASN1_INTEGER_set(X509_get_serialNumber(x), sim_chain_serial(p, role)) == 1 &&
	     X509_set_subject_name(x, subject) == 1 &&
	     X509_set_issuer_name(x, issuer_name ? issuer_name : subject) == 1 &&
	     set_validity(x, now, years) && X509_set_pubkey(x, key) == 1;
	X509_NAME_free(subject);
	if (ok)
		return x;
fail:
	X509_free(x);
	return NULL;
}

static int add_conf_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok = e != NULL && X509_add_ext(x, e, -1) == 1;

	X509_EXTENSION_free(e);
	return ok;
}

int sim_chain_issue_ca(enum snp_product p, enum sim_cert_role role, EVP_PKEY *key, X509 *issuer,
		       EVP_PKEY *issuer_key, time_t now, X509 **out, struct snp_err *err)
{
	X509 *x = NULL;
	X509V3_CTX ctx;
	char crldp[96];
	int ok, ret = SNP_E_INTERNAL;

	*out = NULL;
	ERR_clear_error();
	if ((role == SIM_CERT_ARK) != (issuer == NULL))
		return snp_errf(err, SNP_E_INTERNAL, "sim chain: ARK is self-signed, ASK/ASVK not");
	snprintf(crldp, sizeof(crldp), "URI:https://kdsintf.amd.com/%s/v1/%s/crl",
		 role == SIM_CERT_ASVK ? "vlek" : "vcek", snp_product_name(p));
	if ((x = cert_new(p, role, key, issuer ? X509_get_subject_name(issuer) : NULL, now, 25)) ==
	    NULL)
		goto crypto;
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	/* Extension order as in AMD's certificates. */
	if (role == SIM_CERT_ARK)
		ok = add_conf_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") &&
		     add_conf_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
		     add_conf_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE") &&
		     add_conf_ext(x, &ctx, NID_crl_distribution_points, crldp);
	else
		ok = add_conf_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
		     add_conf_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") &&
		     add_conf_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
		     add_conf_ext(x, &ctx, NID_key_usage, "critical,keyCertSign") &&
		     add_conf_ext(x, &ctx, NID_crl_distribution_points, crldp);
	if (!ok)
		goto crypto;
	if ((ret = sign_cert(&x, issuer_key ? issuer_key : key, true, err)) != 0)
		goto out;
	*out = x;
	x = NULL;
	ret = 0;
	goto out;
crypto:
	ret = snp_err_openssl(err, "sim chain: building %s certificate",
			      role == SIM_CERT_ARK ? "ARK" : role == SIM_CERT_ASK ? "ASK" : "ASVK");
out:
	X509_free(x);
	return ret;
}

/* Adds a non-critical extension whose extnValue is the DER in der[0..len). */
static int add_raw_ext(X509 *x, const char *oid_suffix, const unsigned char *der, int len)
{
	char oid[64];
	ASN1_OBJECT *obj = NULL;
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e = NULL;
	int ok = 0;

	snprintf(oid, sizeof(oid), AMD_OID_ARC "%s", oid_suffix);
	if (os == NULL || (obj = OBJ_txt2obj(oid, 1)) == NULL ||
	    ASN1_OCTET_STRING_set(os, der, len) != 1 ||
	    (e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os)) == NULL || X509_add_ext(x, e, -1) != 1)
		goto out;
	ok = 1;
out:
	X509_EXTENSION_free(e);
	ASN1_OBJECT_free(obj);
	ASN1_OCTET_STRING_free(os);
	return ok;
}

/* An INTEGER extension: OpenSSL's DER (02 01 xx, or 02 02 00 xx for xx >= 0x80). */
static int add_int_ext(X509 *x, const char *oid_suffix, long v)
{
	ASN1_INTEGER *i = ASN1_INTEGER_new();
	unsigned char *der = NULL;
	int len = 0, ok = 0;

	if (i && ASN1_INTEGER_set(i, v) == 1 && (len = i2d_ASN1_INTEGER(i, &der)) > 0)
		ok = add_raw_ext(x, oid_suffix, der, len);
	OPENSSL_free(der);
	ASN1_INTEGER_free(i);
	return ok;
}

static int add_ia5_ext(X509 *x, const char *oid_suffix, const char *s)
{
	ASN1_IA5STRING *str = ASN1_IA5STRING_new();
	unsigned char *der = NULL;
	int len = 0, ok = 0;

	if (str && ASN1_STRING_set(str, s, -1) == 1 && (len = i2d_ASN1_IA5STRING(str, &der)) > 0)
		ok = add_raw_ext(x, oid_suffix, der, len);
	OPENSSL_free(der);
	ASN1_IA5STRING_free(str);
	return ok;
}

static int add_vek_exts(X509 *x, enum snp_product p, const struct sim_vek_info *info)
{
	const struct snp_tcb *t = &info->tcb;
	uint8_t raw[SNP_TCB_SIZE];
	bool turin = p == SNP_PRODUCT_TURIN;
	uint64_t enc = snp_tcb_encode(p, t);

	for (int i = 0; i < SNP_TCB_SIZE; i++)
		raw[i] = (uint8_t)(enc >> (8 * i));
	if (!add_int_ext(x, "1", turin ? 1 : 0) ||
	    !add_ia5_ext(x, "2", sim_chain_product_name(p, info->role)))
		return 0;
	/* KDS order: Milan/Genoa bl, tee, spl_4..7, snp, ucode; Turin fmc, bl, tee, snp, spl_5..7, ucode. */
	if (turin) {
		if (!add_int_ext(x, "3.9", t->fmc) || !add_int_ext(x, "3.1", t->bootloader) ||
		    !add_int_ext(x, "3.2", t->tee) || !add_int_ext(x, "3.3", t->snp) ||
		    !add_int_ext(x, "3.5", raw[4]) || !add_int_ext(x, "3.6", raw[5]) ||
		    !add_int_ext(x, "3.7", raw[6]) || !add_int_ext(x, "3.8", t->microcode))
			return 0;
	} else if (!add_int_ext(x, "3.1", t->bootloader) || !add_int_ext(x, "3.2", t->tee) ||
		   !add_int_ext(x, "3.4", raw[2]) || !add_int_ext(x, "3.5", raw[3]) ||
		   !add_int_ext(x, "3.6", raw[4]) || !add_int_ext(x, "3.7", raw[5]) ||
		   !add_int_ext(x, "3.3", t->snp) || !add_int_ext(x, "3.8", t->microcode)) {
		return 0;
	}
	if (info->role == SIM_CERT_VCEK)
		/* hwID: the raw chip id, no DER tag inside the extnValue (as KDS does). */
		return add_raw_ext(x, "4", info->chip_id, (int)snp_product_chip_id_len(p));
	return add_ia5_ext(x, "5", info->csp_id ? info->csp_id : "");
}

int sim_chain_issue_vek(enum snp_product p, const struct sim_vek_info *info, EVP_PKEY *key,
			X509 *issuer, EVP_PKEY *issuer_key, time_t now, X509 **out,
			struct snp_err *err)
{
	X509 *x = NULL;
	int ret = SNP_E_INTERNAL;

	*out = NULL;
	ERR_clear_error();
	if (info->role != SIM_CERT_VCEK && info->role != SIM_CERT_VLEK)
		return snp_errf(err, SNP_E_INTERNAL, "sim chain: not a VCEK/VLEK role");
	if ((x = cert_new(p, info->role, key, X509_get_subject_name(issuer), now,
			  info->role == SIM_CERT_VCEK ? 7 : 1)) == NULL ||
	    !add_vek_exts(x, p, info)) {
		ret = snp_err_openssl(err, "sim chain: building %s certificate",
				      info->role == SIM_CERT_VCEK ? "VCEK" : "VLEK");
		goto out;
	}
	if ((ret = sign_cert(&x, issuer_key, false, err)) != 0)
		goto out;
	*out = x;
	x = NULL;
	ret = 0;
out:
	X509_free(x);
	return ret;
}

int sim_chain_issue_crl(X509 *ark, EVP_PKEY *ark_key, time_t now, int valid_days, X509_CRL **out,
			struct snp_err *err)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = NULL;
	EVP_MD_CTX *md = NULL;
	X509V3_CTX ctx;
	X509_EXTENSION *e = NULL;
	int ret = SNP_E_INTERNAL;

	*out = NULL;
	ERR_clear_error();
	if (crl == NULL || X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ark)) != 1 ||
	    (t = ASN1_TIME_set(NULL, now)) == NULL || X509_CRL_set1_lastUpdate(crl, t) != 1 ||
	    ASN1_TIME_adj(t, now, valid_days, 0) == NULL || X509_CRL_set1_nextUpdate(crl, t) != 1)
		goto crypto;
	X509V3_set_ctx(&ctx, ark, NULL, NULL, crl, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always")) ==
		    NULL ||
	    X509_CRL_add_ext(crl, e, -1) != 1 || (md = pss_sign_ctx(ark_key)) == NULL ||
	    X509_CRL_sign_ctx(crl, md) <= 0)
		goto crypto;
	*out = crl;
	crl = NULL;
	ret = 0;
	goto out;
crypto:
	ret = snp_err_openssl(err, "sim chain: issuing CRL");
out:
	X509_EXTENSION_free(e);
	EVP_MD_CTX_free(md);
	ASN1_TIME_free(t);
	X509_CRL_free(crl);
	return ret;
}
