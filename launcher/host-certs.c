#include "launcher/host-certs.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "abi/cert-table.h"
#include "attest/certs.h"

/* One certificate as DER into blob (data malloc'd by OpenSSL). */
static int to_blob(X509 *x, const uint8_t guid[SNP_CERT_GUID_SIZE], struct snp_cert_blob *blob,
		   struct snp_err *err)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);

	if (n <= 0)
		return snp_errf(err, SNP_E_CRYPTO, "certs_dir: DER encoding failed");
	memcpy(blob->guid, guid, SNP_CERT_GUID_SIZE);
	blob->data = der;
	blob->len = (size_t)n;
	return 0;
}

int host_certs_table(const char *dir, uint8_t **out, size_t *len, struct snp_err *err)
{
	struct snp_cert_blob blobs[3] = { 0 };
	struct certs c;
	X509 *vek, *ask = NULL, *ark = NULL;
	bool vlek;
	int ret = SNP_E_INTERNAL;

	*out = NULL;
	*len = 0;
	certs_init(&c);
	if ((ret = certs_load_dir(&c, dir, err)) != 0) {
		snp_err_prefix(err, "certs_dir %s: ", dir);
		goto out;
	}
	ret = SNP_E_INVALID;
	if (!c.vcek == !c.vlek) {
		snp_errf(err, ret, "certs_dir %s: want exactly one VCEK or VLEK certificate, found %s",
			 dir, c.vcek ? "both" : "neither");
		goto out;
	}
	vlek = c.vlek != NULL;
	vek = vlek ? c.vlek : c.vcek;
	for (int i = 0; i < CERTS_NPRODUCTS && !ask; i++) {
		ask = vlek ? c.asvk[i] : c.ask[i];
		ark = c.ark[i];
	}
	if (!ask || !ark) {
		snp_errf(err, ret, "certs_dir %s: no %s and ARK of one product", dir,
			 vlek ? "ASVK" : "ASK");
		goto out;
	}
	if ((ret = to_blob(vek, vlek ? SNP_CERT_GUID_VLEK : SNP_CERT_GUID_VCEK, &blobs[0], err)) ||
	    (ret = to_blob(ask, SNP_CERT_GUID_ASK, &blobs[1], err)) ||
	    (ret = to_blob(ark, SNP_CERT_GUID_ARK, &blobs[2], err)) ||
	    (ret = cert_table_write(blobs, 3, out, len, err)))
		goto out;
	ret = 0;
out:
	for (int i = 0; i < 3; i++)
		OPENSSL_free((void *)blobs[i].data);
	certs_free(&c);
	return ret;
}
