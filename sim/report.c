#include "sim/report.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

int sim_report_sign(const struct snp_report *rep, EVP_PKEY *key, uint8_t out[SNP_REPORT_SIZE],
		    struct snp_err *err)
{
	EVP_MD_CTX *md = NULL;
	ECDSA_SIG *sig = NULL;
	unsigned char der[128];
	const unsigned char *p = der;
	const BIGNUM *r = NULL, *s = NULL;
	size_t der_len = sizeof(der);
	int ret = SNP_E_INTERNAL;

	report_write(rep, out);
	ERR_clear_error();
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit_ex(md, NULL, "SHA384", NULL, NULL, key, NULL) != 1 ||
	    EVP_DigestSign(md, der, &der_len, out, snp_report_signed_range()) != 1 ||
	    (sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len)) == NULL) {
		ret = snp_err_openssl(err, "sim report: ECDSA P-384 signing");
		goto out;
	}
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2lebinpad(r, out + SNP_REPORT_OFF(signature_r), SNP_SIG_COMPONENT_SIZE) < 0 ||
	    BN_bn2lebinpad(s, out + SNP_REPORT_OFF(signature_s), SNP_SIG_COMPONENT_SIZE) < 0) {
		ret = snp_err_openssl(err, "sim report: encoding R/S");
		goto out;
	}
	ret = 0;
out:
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	return ret;
}
