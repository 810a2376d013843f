#include "sim/kds-routes.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "util/hex.h"

static void respond(struct sim_kds_response *rsp, unsigned status, const char *type,
		    const void *body, size_t len)
{
	rsp->status = status;
	rsp->content_type = type;
	rsp->len = 0;
	rsp->body = malloc(len ? len : 1);
	if (rsp->body == NULL) {
		rsp->status = 500;
		return;
	}
	memcpy(rsp->body, body, len);
	rsp->len = len;
}

static void respond_text(struct sim_kds_response *rsp, unsigned status, const char *text)
{
	respond(rsp, status, "text/plain", text, strlen(text));
}

/* PEM of the DER certificates a then b, concatenated. */
static void respond_chain(struct sim_kds_response *rsp, const struct sim_store *st)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long len;

	for (int i = SIM_STORE_ASK; i >= SIM_STORE_ARK && bio; i--) {
		const unsigned char *p = st->cert_der[i];
		X509 *x = d2i_X509(NULL, &p, (long)st->cert_len[i]);
		int ok = x && PEM_write_bio_X509(bio, x) == 1;

		X509_free(x);
		if (!ok) {
			BIO_free(bio);
			bio = NULL;
		}
	}
	if (bio == NULL || (len = BIO_get_mem_data(bio, &data)) <= 0)
		respond_text(rsp, 500, "cannot encode the chain\n");
	else
		respond(rsp, 200, "application/x-pem-file", data, (size_t)len);
	BIO_free(bio);
}

/* A decimal SPL 0..255 ("07" allowed, as clients zero-pad). */
static bool parse_spl(const char *s, uint8_t *out)
{
	unsigned v = 0;

	if (s == NULL || *s == '\0' || strlen(s) > 3)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v > 255)
		return false;
	*out = (uint8_t)v;
	return true;
}

static bool is_hex(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n % 2 != 0 || n > 2 * SNP_CHIP_ID_SIZE)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
			return false;
	return true;
}

static void respond_vcek(struct sim_kds_response *rsp, const struct sim_store *st,
			 const char *hwid, sim_kds_arg_fn *arg, void *ctx)
{
	const struct sim_platform *p = &st->plat;
	size_t chip_len = snp_product_chip_id_len(p->product);
	bool turin = p->product == SNP_PRODUCT_TURIN;
	uint8_t chip[SNP_CHIP_ID_SIZE], bl, tee, snp, ucode, fmc = 0;
	struct snp_err err;

	if (!is_hex(hwid)) {
		respond_text(rsp, 400, "hwid: want hex of the chip id\n");
		return;
	}
	/* Well-formed but of another length (a 64-byte id on Turin): unknown, as KDS says. */
	if (strlen(hwid) != 2 * chip_len || hex_decode(hwid, chip, chip_len, "hwid", &err) != 0) {
		respond_text(rsp, 404, "no VCEK for this hwid\n");
		return;
	}
	if (!parse_spl(arg(ctx, "blSPL"), &bl) || !parse_spl(arg(ctx, "teeSPL"), &tee) ||
	    !parse_spl(arg(ctx, "snpSPL"), &snp) || !parse_spl(arg(ctx, "ucodeSPL"), &ucode) ||
	    (turin && !parse_spl(arg(ctx, "fmcSPL"), &fmc)) || (!turin && arg(ctx, "fmcSPL"))) {
		respond_text(rsp, 400, turin ? "want blSPL, teeSPL, snpSPL, ucodeSPL and fmcSPL "
					       "(decimal 0..255)\n"
					     : "want blSPL, teeSPL, snpSPL and ucodeSPL (decimal "
					       "0..255)\n");
		return;
	}
	if (p->signer != SNP_SIGNING_KEY_VCEK || memcmp(chip, p->chip_id, chip_len) != 0 ||
	    bl != p->reported_tcb.bootloader || tee != p->reported_tcb.tee ||
	    snp != p->reported_tcb.snp || ucode != p->reported_tcb.microcode ||
	    fmc != p->reported_tcb.fmc) {
		respond_text(rsp, 404, "no VCEK for this hwid and TCB\n");
		return;
	}
	respond(rsp, 200, "application/octet-stream", st->cert_der[SIM_STORE_VEK],
		st->cert_len[SIM_STORE_VEK]);
}

void sim_kds_route(const struct sim_store *st, const char *method, const char *path,
		   sim_kds_arg_fn *arg, void *arg_ctx, struct sim_kds_response *rsp)
{
	char kind[8], product[16], leaf[160];
	const char *want_kind = st->plat.signer == SNP_SIGNING_KEY_VLEK ? "vlek" : "vcek";
	int n = 0;

	memset(rsp, 0, sizeof(*rsp));
	if (strcmp(method, "GET") != 0) {
		respond_text(rsp, 405, "only GET\n");
		return;
	}
	if (sscanf(path, "/%7[a-z]/v1/%15[A-Za-z]/%159[^/?]%n", kind, product, leaf, &n) != 3 ||
	    path[n] != '\0' || (strcmp(kind, "vcek") != 0 && strcmp(kind, "vlek") != 0) ||
	    strcmp(product, snp_product_name(st->plat.product)) != 0) {
		respond_text(rsp, 404, "not found\n");
		return;
	}
	if (strcmp(leaf, "cert_chain") == 0 || strcmp(leaf, "crl") == 0) {
		if (strcmp(kind, want_kind) != 0)
			respond_text(rsp, 404, "this sim has no such chain\n");
		else if (strcmp(leaf, "crl") == 0)
			respond(rsp, 200, "application/pkix-crl", st->crl_der, st->crl_len);
		else
			respond_chain(rsp, st);
		return;
	}
	if (strcmp(kind, "vlek") == 0) {
		respond_text(rsp, 404, "VLEKs are not served by KDS\n");
		return;
	}
	respond_vcek(rsp, st, leaf, arg, arg_ctx);
}
