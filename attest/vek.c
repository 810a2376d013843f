#include "attest/vek.h"

#include <string.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>

#define AMD_ARC "1.3.6.1.4.1.3704.1."

static const char *const spl_names[VEK_SPL_MAX + 1] = {
	"?", "blSPL", "teeSPL", "snpSPL", "spl_4", "spl_5", "spl_6", "spl_7", "ucodeSPL", "fmcSPL",
};

const char *vek_spl_name(enum vek_spl i)
{
	return (unsigned)i <= VEK_SPL_MAX && i > 0 ? spl_names[i] : "?";
}

/* Exactly 02 01 xx with xx < 0x80, or 02 02 00 xx with xx >= 0x80 (DER, X.690 §8.3). */
static int decode_u8(const ASN1_OCTET_STRING *os, const char *name, uint8_t *out,
		     struct snp_err *err)
{
	const unsigned char *d = ASN1_STRING_get0_data(os), *p = d;
	int n = ASN1_STRING_length(os);
	ASN1_INTEGER *ai = NULL;
	int64_t v = -1;
	bool exact = (n == 3 && d[0] == 0x02 && d[1] == 0x01 && d[2] < 0x80) ||
		     (n == 4 && d[0] == 0x02 && d[1] == 0x02 && d[2] == 0x00 && d[3] >= 0x80);
	int ret = SNP_E_INTERNAL;

	if (!exact) {
		ret = snp_errf(err, SNP_E_CHAIN,
			       "VEK extension %s: %d bytes are not a minimal one-byte INTEGER (want 02 01 xx or 02 02 00 xx)",
			       name, n);
		goto out;
	}
	ai = d2i_ASN1_INTEGER(NULL, &p, n);
	if (!ai || p != d + n || ASN1_INTEGER_get_int64(&v, ai) != 1 || v < 0 || v > 255) {
		ret = snp_errf(err, SNP_E_CHAIN, "VEK extension %s: INTEGER does not decode", name);
		goto out;
	}
	*out = (uint8_t)v;
	ret = 0;
out:
	ASN1_INTEGER_free(ai);
	return ret;
}

static int decode_ia5(const ASN1_OCTET_STRING *os, const char *name, char *out, size_t len,
		      struct snp_err *err)
{
	const unsigned char *d = ASN1_STRING_get0_data(os), *p = d;
	int n = ASN1_STRING_length(os), sl;
	ASN1_IA5STRING *s = NULL;
	int ret = SNP_E_INTERNAL;

	s = d2i_ASN1_IA5STRING(NULL, &p, n);
	if (!s || p != d + n) {
		ret = snp_errf(err, SNP_E_CHAIN, "VEK extension %s: not exactly one IA5String", name);
		goto out;
	}
	sl = ASN1_STRING_length(s);
	if (sl < 0 || (size_t)sl >= len || memchr(ASN1_STRING_get0_data(s), 0, (size_t)sl)) {
		ret = snp_errf(err, SNP_E_CHAIN, "VEK extension %s: %d bytes, too long or has NUL",
			       name, sl);
		goto out;
	}
	memcpy(out, ASN1_STRING_get0_data(s), (size_t)sl);
	out[sl] = '\0';
	ret = 0;
out:
	ASN1_IA5STRING_free(s);
	return ret;
}

/* Raw 64 or 8 bytes (every real KDS VCEK), or a DER OCTET STRING of 64 or 8 bytes. */
static int decode_hwid(const ASN1_OCTET_STRING *os, struct vek_ext *out, struct snp_err *err)
{
	const unsigned char *d = ASN1_STRING_get0_data(os), *p = d;
	int n = ASN1_STRING_length(os), in;
	ASN1_OCTET_STRING *inner = NULL;
	int ret = SNP_E_INTERNAL;

	if (n == 64 || n == 8) {
		memcpy(out->hwid, d, (size_t)n);
		out->hwid_len = (size_t)n;
		ret = 0;
		goto out;
	}
	inner = d2i_ASN1_OCTET_STRING(NULL, &p, n);
	in = inner ? ASN1_STRING_length(inner) : -1;
	if (!inner || p != d + n || (in != 64 && in != 8)) {
		ret = snp_errf(err, SNP_E_CHAIN,
			       "VEK extension hwID: %d bytes are neither 64/8 raw bytes nor an OCTET STRING of 64/8",
			       n);
		goto out;
	}
	memcpy(out->hwid, ASN1_STRING_get0_data(inner), (size_t)in);
	out->hwid_len = (size_t)in;
	out->hwid_wrapped = true;
	ret = 0;
out:
	ASN1_OCTET_STRING_free(inner);
	return ret;
}

static int check_duplicates(const X509 *x, struct snp_err *err)
{
	int n = X509_get_ext_count(x);

	for (int i = 0; i < n; i++) {
		const ASN1_OBJECT *a = X509_EXTENSION_get_object(X509_get_ext(x, i));

		/* X509_get_ext_by_OBJ finds the next occurrence after index i. */
		if (X509_get_ext_by_OBJ(x, a, i) >= 0) {
			char name[80];

			OBJ_obj2txt(name, sizeof(name), a, 1);
			return snp_errf(err, SNP_E_CHAIN, "VEK extension %s: appears more than once",
					name);
		}
	}
	return 0;
}

int vek_ext_decode(const X509 *x, struct vek_ext *out, struct snp_err *err)
{
	struct vek_ext e;
	int n = X509_get_ext_count(x);
	int ret = SNP_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	memset(&e, 0, sizeof(e));
	if ((ret = check_duplicates(x, err)) != 0)
		goto out;
	for (int i = 0; i < n; i++) {
		X509_EXTENSION *ext = X509_get_ext(x, i);
		const ASN1_OCTET_STRING *data = X509_EXTENSION_get_data(ext);
		char oid[80];
		const char *sub;
		int len = OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(ext), 1);

		if (len <= 0 || (size_t)len >= sizeof(oid) ||
		    strncmp(oid, AMD_ARC, strlen(AMD_ARC)) != 0)
			continue;
		sub = oid + strlen(AMD_ARC);
		if (strcmp(sub, "1") == 0) {
			ret = decode_u8(data, "structVersion", &e.struct_version, err);
			e.has_struct_version = true;
		} else if (strcmp(sub, "2") == 0) {
			ret = decode_ia5(data, "productName", e.product_name,
					 sizeof(e.product_name), err);
			e.has_product_name = true;
		} else if (strncmp(sub, "3.", 2) == 0 && sub[2] >= '1' && sub[2] <= '9' &&
			   sub[3] == '\0') {
			int k = sub[2] - '0';

			ret = decode_u8(data, spl_names[k], &e.spl[k], err);
			e.has_spl[k] = true;
		} else if (strcmp(sub, "4") == 0) {
			ret = decode_hwid(data, &e, err);
			e.has_hwid = true;
		} else if (strcmp(sub, "5") == 0) {
			ret = decode_ia5(data, "cspID", e.csp_id, sizeof(e.csp_id), err);
			e.has_csp_id = true;
		} else {
			ret = 0; /* unknown AMD OIDs are not errors (Turin added .3.9) */
		}
		if (ret != 0)
			goto out;
	}
	*out = e;
	ret = 0;
out:
	return ret;
}
