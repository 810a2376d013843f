#include "attest/kds-url.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/hex.h"

int kds_hwid(enum snp_product p, const uint8_t chip_id[SNP_CHIP_ID_SIZE], char out[KDS_HWID_MAX],
	     struct snp_err *err)
{
	out[0] = '\0';
	if (p != SNP_PRODUCT_MILAN && p != SNP_PRODUCT_GENOA && p != SNP_PRODUCT_TURIN)
		return snp_errf(err, SNP_E_UNSUPPORTED, "KDS: no KDS tree for product %s",
				snp_product_name(p));
	hex_encode(chip_id, snp_product_chip_id_len(p), out); /* hex_encode writes lowercase */
	return 0;
}

int kds_base_check(const char *base, size_t *len, struct snp_err *err)
{
	size_t n, scheme;

	*len = 0;
	if (strncmp(base, "https://", 8) == 0)
		scheme = 8;
	else if (strncmp(base, "http://", 7) == 0)
		scheme = 7;
	else
		return snp_errf(err, SNP_E_INVALID,
				"KDS: base URL '%.100s' must start with https:// or http://", base);
	for (const char *s = base; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f || *s == '?' || *s == '#')
			return snp_errf(err, SNP_E_INVALID,
					"KDS: base URL '%.100s': bad character at %zu", base,
					(size_t)(s - base));
	n = strlen(base);
	while (n > scheme && base[n - 1] == '/')
		n--;
	if (n == scheme || base[scheme] == '/')
		return snp_errf(err, SNP_E_INVALID, "KDS: base URL '%.100s' has no host", base);
	*len = n;
	return 0;
}

/* "{base}/{kind}/v1/{P}/" then fmt; -1 when it does not fit in cap. */
SNP_PRINTF(7, 8)
static int url_build(const char *base, size_t blen, enum snp_product p, const char *kind,
		     char *out, size_t cap, const char *fmt, ...)
{
	int n, m;
	va_list ap;

	if (blen > cap)
		return -1;
	n = snprintf(out, cap, "%.*s/%s/v1/%s/", (int)blen, base, kind, snp_product_name(p));
	if (n < 0 || (size_t)n >= cap)
		return -1;
	va_start(ap, fmt);
	m = vsnprintf(out + n, cap - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= cap - (size_t)n)
		return -1;
	return 0;
}

/* Clears out; base and product checks shared by every URL, naming the failure. */
static int url_check(const char *base, enum snp_product p, size_t *blen, char *out, size_t cap,
		     struct snp_err *err)
{
	int ret;

	if (cap)
		out[0] = '\0';
	if ((ret = kds_base_check(base, blen, err)) != 0)
		return ret;
	if (p != SNP_PRODUCT_MILAN && p != SNP_PRODUCT_GENOA && p != SNP_PRODUCT_TURIN)
		return snp_errf(err, SNP_E_UNSUPPORTED, "KDS: no KDS tree for product %s",
				snp_product_name(p));
	return 0;
}

static int too_long(char *out, size_t cap, struct snp_err *err)
{
	if (cap)
		out[0] = '\0';
	return snp_errf(err, SNP_E_INVALID, "KDS: URL longer than %zu bytes", cap);
}

int kds_url_vcek(const char *base, enum snp_product p, const struct snp_report *rep, char *out,
		 size_t cap, struct snp_err *err)
{
	char hwid[KDS_HWID_MAX], fmc[24] = "";
	struct snp_tcb t;
	size_t blen;
	int ret;

	if ((ret = url_check(base, p, &blen, out, cap, err)) != 0)
		return ret;
	if (report_signing_key(rep) != SNP_SIGNING_KEY_VCEK)
		return snp_errf(err, SNP_E_UNSUPPORTED,
				"KDS: the report is signed by a VLEK, which AMD KDS never serves; "
				"the VLEK must come with the evidence or the verifier's certificates");
	if ((ret = kds_hwid(p, rep->chip_id, hwid, err)) != 0)
		return ret;
	snp_tcb_decode(p, rep->reported_tcb, &t);
	if (p == SNP_PRODUCT_TURIN)
		snprintf(fmc, sizeof(fmc), "&fmcSPL=%02u", t.fmc);
	if (url_build(base, blen, p, "vcek", out, cap,
		      "%s?blSPL=%02u&teeSPL=%02u&snpSPL=%02u&ucodeSPL=%02u%s", hwid, t.bootloader,
		      t.tee, t.snp, t.microcode, fmc) != 0)
		return too_long(out, cap, err);
	return 0;
}

static int url_tree(const char *base, enum snp_product p, enum snp_signing_key signer,
		    const char *leaf, char *out, size_t cap, struct snp_err *err)
{
	size_t blen;
	int ret;

	if ((ret = url_check(base, p, &blen, out, cap, err)) != 0)
		return ret;
	if (signer != SNP_SIGNING_KEY_VCEK && signer != SNP_SIGNING_KEY_VLEK)
		return snp_errf(err, SNP_E_UNSUPPORTED, "KDS: no %s for signing key %d", leaf,
				(int)signer);
	if (url_build(base, blen, p, signer == SNP_SIGNING_KEY_VLEK ? "vlek" : "vcek", out, cap,
		      "%s", leaf) != 0)
		return too_long(out, cap, err);
	return 0;
}

int kds_url_chain(const char *base, enum snp_product p, enum snp_signing_key signer, char *out,
		  size_t cap, struct snp_err *err)
{
	return url_tree(base, p, signer, "cert_chain", out, cap, err);
}

int kds_url_crl(const char *base, enum snp_product p, enum snp_signing_key signer, char *out,
		size_t cap, struct snp_err *err)
{
	return url_tree(base, p, signer, "crl", out, cap, err);
}
