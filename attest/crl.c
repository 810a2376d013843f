#include "attest/crl.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

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

int crl_check(X509_CRL *crl, X509 *ark, X509 *intermediate, const char *intermediate_what,
	      X509 *vek, const char *vek_what, time_t now, struct snp_err *err)
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
	if ((ret = check_listed(crl, intermediate, intermediate_what, err)) != 0 ||
	    (ret = check_listed(crl, vek, vek_what, err)) != 0)
		goto out;
	ret = 0;
out:
	return ret;
}
