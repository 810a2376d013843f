#include "attest/crl.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "attest/chain.h"
#include "util/file.h"

int crl_parse(const uint8_t *buf, size_t len, const char *src, X509_CRL **out,
	      struct snp_err *err)
{
	const unsigned char *p = buf;
	X509_CRL *crl = NULL;
	BIO *bio = NULL;
	int ret = SNP_E_INTERNAL;

	*out = NULL;
	ERR_clear_error();
	if (len > INT32_MAX) {
		ret = snp_errf(err, SNP_E_INVALID, "%s: too large", src);
		goto out;
	}
	if (len > 0 && buf[0] == 0x30) {
		crl = d2i_X509_CRL(NULL, &p, (long)len);
		if (crl && p != buf + len) {
			ret = snp_errf(err, SNP_E_INVALID, "%s: %zu trailing bytes after the CRL", src,
				       (size_t)(buf + len - p));
			goto out;
		}
	} else {
		bio = BIO_new_mem_buf(buf, (int)len);
		crl = bio ? PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) : NULL;
	}
	if (!crl) {
		ERR_clear_error();
		ret = snp_errf(err, SNP_E_INVALID, "%s: not a DER or PEM CRL", src);
		goto out;
	}
	*out = crl;
	crl = NULL;
	ret = 0;
out:
	X509_CRL_free(crl);
	BIO_free(bio);
	return ret;
}

int crl_load_file(const char *path, X509_CRL **out, struct snp_err *err)
{
	uint8_t *buf = NULL;
	size_t len;
	int ret;

	*out = NULL;
	if ((ret = file_read(path, 4u << 20, &buf, &len, err)) == 0)
		ret = crl_parse(buf, len, path, out, err);
	free(buf);
	return ret;
}

static int check_listed(X509_CRL *crl, X509 *x, const char *what, struct snp_err *err)
{
	X509_REVOKED *rev = NULL;
	const ASN1_INTEGER *serial = X509_get0_serialNumber(x);

	if (X509_CRL_get0_by_serial(crl, &rev, serial) == 1) {
		BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
		char *hex = bn ? BN_bn2hex(bn) : NULL;

		snp_errf(err, SNP_E_CHAIN, "CRL: %s serial 0x%s is revoked", what, hex ? hex : "?");
		OPENSSL_free(hex);
		BN_free(bn);
		return SNP_E_CHAIN;
	}
	return 0;
}

/*
 * AMD signs the VCEK and the VLEK CRL with the same ARK under the same issuer
 * name, so the signature cannot tell them apart. When the CRL names its
 * issuing distribution point, it must be this tree's (".../vcek/v1/Milan/crl").
 */
static int check_idp(X509_CRL *crl, const char *tree, struct snp_err *err)
{
	ISSUING_DIST_POINT *idp;
	const GENERAL_NAMES *names;
	char want[64], got[160] = "(no URI)";
	int crit = -1, ret = SNP_E_CHAIN;

	if (!tree)
		return 0;
	idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, &crit, NULL);
	if (!idp) {
		if (crit == -1)
			return 0; /* no distribution point named: the caller chose the CRL */
		return snp_errf(err, SNP_E_CHAIN,
				"CRL: issuing distribution point %s", crit == -2 ? "repeated" :
				"does not decode");
	}
	snprintf(want, sizeof(want), "/%s", tree);
	names = idp->distpoint && idp->distpoint->type == 0 ? idp->distpoint->name.fullname : NULL;
	for (int i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		const unsigned char *uri;
		size_t n, w = strlen(want);

		if (gn->type != GEN_URI)
			continue;
		uri = ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier);
		n = (size_t)ASN1_STRING_length(gn->d.uniformResourceIdentifier);
		snprintf(got, sizeof(got), "%.*s", (int)(n < 150 ? n : 150), (const char *)uri);
		if (n >= w && memcmp(uri + n - w, want, w) == 0 && memchr(uri, 0, n) == NULL) {
			ret = 0;
			break;
		}
	}
	if (ret)
		snp_errf(err, SNP_E_CHAIN, "CRL: issuing distribution point %s is not the %s CRL",
			 got, tree);
	ISSUING_DIST_POINT_free(idp);
	return ret;
}

int crl_check(X509_CRL *crl, X509 *ark, X509 *intermediate, const char *intermediate_what,
	      X509 *vek, const char *vek_what, const char *tree, time_t now,
	      struct snp_err *err)
{
	const ASN1_TIME *tu = X509_CRL_get0_lastUpdate(crl), *nu = X509_CRL_get0_nextUpdate(crl);
	const X509_ALGOR *alg;
	EVP_PKEY *pkey = X509_get0_pubkey(ark);
	char tnow[32];
	int ret = SNP_E_INTERNAL;

	chain_format_time(now, tnow, sizeof(tnow));
	if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ark)) != 0) {
		ret = snp_errf(err, SNP_E_CHAIN, "CRL: issuer is not the ARK of this chain");
		goto out;
	}
	X509_CRL_get0_signature(crl, NULL, &alg);
	if ((ret = chain_check_pss_alg(alg, "CRL", err)) != 0)
		goto out;
	ERR_clear_error();
	if (!pkey || X509_CRL_verify(crl, pkey) != 1) {
		ERR_clear_error();
		ret = snp_errf(err, SNP_E_CHAIN, "CRL: signature by the ARK does not verify");
		goto out;
	}
	if (!tu || X509_cmp_time(tu, &now) != -1) {
		ret = snp_errf(err, SNP_E_CHAIN, "CRL: thisUpdate is after now (%s)", tnow);
		goto out;
	}
	if (!nu) {
		ret = snp_errf(err, SNP_E_CHAIN, "CRL: no nextUpdate, cannot tell if it is current");
		goto out;
	}
	if (X509_cmp_time(nu, &now) != 1) {
		ret = snp_errf(err, SNP_E_CHAIN, "CRL: expired, nextUpdate is not after now (%s)",
			       tnow);
		goto out;
	}
	if ((ret = check_idp(crl, tree, err)) != 0)
		goto out;
	if ((ret = check_listed(crl, intermediate, intermediate_what, err)) != 0 ||
	    (ret = check_listed(crl, vek, vek_what, err)) != 0)
		goto out;
	ret = 0;
out:
	return ret;
}
