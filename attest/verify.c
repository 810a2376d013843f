#include "attest/verify.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "abi/tcb.h"
#include "attest/chain.h"
#include "attest/crl.h"
#include "attest/roots.h"
#include "attest/vek.h"
#include "util/hex.h"

#define CACHE_MAX 1024

/* What the cache remembers about a VEK whose chain verified once. */
struct vek_entry {
	unsigned char key[32]; /* sha256(sha256(VEK) || sha256(issuer) || sha256(ARK)) */
	X509 *vek;             /* a reference; keeps the parsed EVP_PKEY alive */
	EVP_PKEY_CTX *verify;  /* initialised for verify; duplicated per call (no fetch) */
	struct vek_ext ext;
};

struct verifier {
	X509 *pinned[CERTS_NPRODUCTS][ROOT_NROLES];
	unsigned char pinned_sha256[CERTS_NPRODUCTS][ROOT_NROLES][32];
	EVP_MD *sha384;
	EVP_MD *sha256;
	pthread_mutex_t lock;
	struct vek_entry *cache[CACHE_MAX];
	size_t ncache;
};

/* ---- result bookkeeping: every check is recorded, the first failure ends verify ---- */

static void record(struct verify_result *res, const char *name, int code, const char *detail)
{
	struct verify_check *c;
	size_t n;

	if (res->nchecks == VERIFY_MAX_CHECKS)
		return;
	c = &res->checks[res->nchecks++];
	c->name = name;
	c->code = code;
	n = strnlen(detail, sizeof(c->detail) - 1);
	memcpy(c->detail, detail, n);
	c->detail[n] = '\0';
}

static void pass(struct verify_result *res, const char *name, const char *fmt, ...)
	SNP_PRINTF(3, 4);
static void pass(struct verify_result *res, const char *name, const char *fmt, ...)
{
	char buf[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	record(res, name, 0, buf);
}

static int fail(struct verify_result *res, struct snp_err *err, int code, const char *name,
		const char *fmt, ...) SNP_PRINTF(5, 6);
static int fail(struct verify_result *res, struct snp_err *err, int code, const char *name,
		const char *fmt, ...)
{
	char buf[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	record(res, name, code, buf);
	return snp_errf(err, code, "%s: %s", name, buf);
}

/* A lower layer already filled err: record it under name and prefix the name. */
static int fail_err(struct verify_result *res, struct snp_err *err, int ret, const char *name)
{
	record(res, name, ret, err ? err->msg : "");
	if (err)
		snp_err_prefix(err, "%s: ", name);
	return ret;
}

/* ---- the verifier ---- */

static int digest_cert(const struct verifier *v, X509 *x, unsigned char out[32],
		       struct snp_err *err)
{
	unsigned int n = 0;

	/* The pinned certificates' digests were taken (and checked) once. */
	for (int p = 0; p < CERTS_NPRODUCTS; p++) {
		for (int r = 0; r < ROOT_NROLES; r++) {
			if (x == v->pinned[p][r]) {
				memcpy(out, v->pinned_sha256[p][r], 32);
				return 0;
			}
		}
	}

	if (X509_digest(x, v->sha256, out, &n) != 1 || n != 32)
		return snp_err_openssl(err, "X509_digest");
	return 0;
}

X509 *verifier_pinned(const struct verifier *v, enum snp_product p, int role)
{
	if ((unsigned)p >= CERTS_NPRODUCTS || role < 0 || role >= ROOT_NROLES)
		return NULL;
	return v->pinned[p][role];
}

void verifier_free(struct verifier *v)
{
	if (!v)
		return;
	for (int p = 0; p < CERTS_NPRODUCTS; p++)
		for (int r = 0; r < ROOT_NROLES; r++)
			X509_free(v->pinned[p][r]);
	for (size_t i = 0; i < v->ncache; i++) {
		EVP_PKEY_CTX_free(v->cache[i]->verify);
		X509_free(v->cache[i]->vek);
		free(v->cache[i]);
	}
	EVP_MD_free(v->sha384);
	EVP_MD_free(v->sha256);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

static int load_pin(struct verifier *v, const struct root_pin *pin, struct snp_err *err)
{
	const unsigned char *p = pin->der;
	unsigned char md[32];
	char hex[65];
	X509 *x = d2i_X509(NULL, &p, (long)pin->len);
	int ret = SNP_E_INTERNAL;

	if (!x || p != pin->der + pin->len) {
		ret = snp_err_openssl(err, "pinned %s does not parse", pin->cn);
		goto out;
	}
	if ((ret = digest_cert(v, x, md, err)) != 0)
		goto out;
	hex_encode(md, 32, hex);
	if (strcmp(hex, pin->sha256_hex) != 0) {
		ret = snp_errf(err, SNP_E_INTERNAL, "pinned %s: sha256 %s, want %s", pin->cn, hex,
			       pin->sha256_hex);
		goto out;
	}
	v->pinned[pin->product][pin->role] = x;
	memcpy(v->pinned_sha256[pin->product][pin->role], md, 32);
	x = NULL;
	ret = 0;
out:
	X509_free(x);
	return ret;
}

int verifier_new(struct verifier **out, struct snp_err *err)
{
	struct verifier *v = calloc(1, sizeof(*v));
	const struct root_pin *pins;
	size_t n;
	int ret = SNP_E_INTERNAL;

	*out = NULL;
	if (!v)
		return snp_errf(err, SNP_E_NOMEM, "verifier: cannot allocate");
	if (pthread_mutex_init(&v->lock, NULL) != 0) {
		free(v);
		return snp_errf(err, SNP_E_SYS, "verifier: pthread_mutex_init");
	}
	v->sha384 = EVP_MD_fetch(NULL, "SHA384", NULL);
	v->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!v->sha384 || !v->sha256) {
		ret = snp_err_openssl(err, "EVP_MD_fetch");
		goto out;
	}
	pins = roots_all(&n);
	for (size_t i = 0; i < n; i++)
		if ((ret = load_pin(v, &pins[i], err)) != 0)
			goto out;
	/* The ARK self-signatures and ARK -> ASK/ASVK, once. */
	for (size_t i = 0; i < n; i++) {
		X509 *ark = v->pinned[pins[i].product][ROOT_ARK];

		if ((ret = chain_check_signed(v->pinned[pins[i].product][pins[i].role], pins[i].cn,
					      ark, "pinned ARK", err)) != 0) {
			ret = snp_err_prefix(err, "pinned roots: ");
			goto out;
		}
	}
	*out = v;
	v = NULL;
	ret = 0;
out:
	verifier_free(v);
	return ret;
}

/* ---- steps ---- */

/* The product named by the VEK's issuer CN (SEV-<P> or SEV-VLEK-<P>), or UNKNOWN. */
static enum snp_product issuer_product(const X509 *vek)
{
	enum snp_product p = SNP_PRODUCT_UNKNOWN;
	struct snp_err ignore;
	char cn[128];

	if (chain_issuer_cn(vek, cn, sizeof(cn), &ignore) != 0 ||
	    (!certs_cn_product(cn, "SEV-VLEK-", &p) && !certs_cn_product(cn, "SEV-", &p)))
		return SNP_PRODUCT_UNKNOWN;
	return p;
}

static int choose_product(const struct snp_report *rep, X509 *vek, const struct verify_opts *o,
			  struct verify_result *res, struct snp_err *err)
{
	enum snp_product rp = report_product(rep), ip = issuer_product(vek);
	const char *src;

	if (o->product != SNP_PRODUCT_UNKNOWN && o->product != SNP_PRODUCT_MILAN &&
	    o->product != SNP_PRODUCT_GENOA && o->product != SNP_PRODUCT_TURIN)
		return fail(res, err, SNP_E_INVALID, "product", "configured product %d is not valid",
			    (int)o->product);
	if (rep->version >= 3 && rp == SNP_PRODUCT_UNKNOWN)
		return fail(res, err, SNP_E_UNSUPPORTED, "product",
			    "CPUID family 0x%02x model 0x%02x is not Milan, Genoa or Turin",
			    rep->cpuid_fam_id, rep->cpuid_mod_id);
	if (rp != SNP_PRODUCT_UNKNOWN && o->product != SNP_PRODUCT_UNKNOWN && rp != o->product)
		return fail(res, err, SNP_E_CHAIN, "product",
			    "report CPUID says %s, but %s was requested", snp_product_name(rp),
			    snp_product_name(o->product));
	if (rp != SNP_PRODUCT_UNKNOWN) {
		res->product = rp;
		src = "report CPUID";
	} else if (o->product != SNP_PRODUCT_UNKNOWN) {
		res->product = o->product;
		src = "configuration";
	} else if (ip != SNP_PRODUCT_UNKNOWN) {
		res->product = ip;
		src = "VEK issuer CN";
	} else {
		return fail(res, err, SNP_E_INVALID, "product",
			    "v%u report has no CPUID and the VEK issuer names no product; give the product",
			    rep->version);
	}
	pass(res, "product", "%s (from the %s)", snp_product_name(res->product), src);
	return 0;
}

static bool same_cert(X509 *a, X509 *b)
{
	return a && b && X509_cmp(a, b) == 0;
}

/* A simulated root that is self-signed, named ARK-<P>, and issued the intermediate. */
static X509 *find_sim_root(X509 *intermediate, enum snp_product p, const struct verify_opts *o,
			   struct verify_result *res, struct snp_err *err, int *ret)
{
	char want[32];

	snprintf(want, sizeof(want), "ARK-%s", snp_product_name(p));
	for (size_t i = 0; i < o->n_allow_sim_roots; i++) {
		X509 *r = o->allow_sim_roots[i];
		struct snp_err e2;
		char cn[64] = "(no CN)";

		if (X509_NAME_cmp(X509_get_issuer_name(intermediate), X509_get_subject_name(r)) != 0)
			continue;
		if (chain_subject_cn(r, cn, sizeof(cn), &e2) != 0 || strcmp(cn, want) != 0) {
			*ret = fail(res, err, SNP_E_CHAIN, "intermediate",
				    "simulated root CN %s, want %s", cn, want);
			return NULL;
		}
		if ((*ret = chain_check_signed(r, "simulated root", r, "simulated root", err)) != 0 ||
		    (*ret = chain_check_signed(intermediate, "intermediate", r, "simulated root",
					       err)) != 0) {
			*ret = fail_err(res, err, *ret, "intermediate");
			return NULL;
		}
		return r;
	}
	*ret = 0;
	return NULL;
}

/*
 * Picks the intermediate (explicit, from the evidence, or pinned) and the ARK
 * that anchors it. AMD intermediates must be byte-identical to the pinned
 * ones; any other intermediate needs a simulated root that signed it.
 */
static int choose_anchor(const struct verifier *v, const struct certs *certs,
			 enum root_role role, const struct verify_opts *o,
			 struct verify_result *res, X509 **inter_out, X509 **ark_out,
			 struct snp_err *err)
{
	enum snp_product p = res->product;
	X509 *pinned_ark = v->pinned[p][ROOT_ARK], *pinned_int = v->pinned[p][role];
	X509 *ev_ark = certs->ark[p], *inter, *sim = NULL;
	const char *want_cn = roots_find(p, role)->cn;
	char cn[128];
	struct snp_err e2;
	int ret = SNP_E_INTERNAL;

	/* An ARK that came with the evidence is never trusted, only compared. */
	if (ev_ark && !same_cert(ev_ark, pinned_ark)) {
		bool is_sim = false;

		for (size_t i = 0; i < o->n_allow_sim_roots; i++)
			is_sim |= same_cert(ev_ark, o->allow_sim_roots[i]);
		if (!is_sim)
			return fail(res, err, SNP_E_CHAIN, "ark.pinned",
				    "the supplied ARK-%s is not the pinned AMD root%s",
				    snp_product_name(p),
				    o->n_allow_sim_roots ? " nor a trusted simulated root" : "");
	}
	pass(res, "ark.pinned", "%s", ev_ark ? "supplied ARK equals a trusted root"
					     : "no ARK supplied; pinned root used");

	inter = certs->issuer ? certs->issuer : role == ROOT_ASK ? certs->ask[p] : certs->asvk[p];
	if (!inter)
		inter = pinned_int;
	if (chain_subject_cn(inter, cn, sizeof(cn), &e2) != 0)
		snprintf(cn, sizeof(cn), "(no CN)");
	if (strcmp(cn, want_cn) != 0)
		return fail(res, err, SNP_E_CHAIN, "intermediate",
			    "%s issues %ss of %s, got %s", want_cn,
			    role == ROOT_ASK ? "VCEK" : "VLEK", snp_product_name(p), cn);
	if (same_cert(inter, pinned_int)) {
		inter = pinned_int; /* the same bytes: use the verified, pinned object */
		*ark_out = pinned_ark;
		snprintf(res->anchor, sizeof(res->anchor), "ARK-%s (pinned AMD root)",
			 snp_product_name(p));
		pass(res, "intermediate", "%s is the pinned AMD %s", cn, root_role_name(role));
	} else {
		sim = find_sim_root(inter, p, o, res, err, &ret);
		if (ret)
			return ret;
		if (!sim)
			return fail(res, err, SNP_E_CHAIN, "intermediate",
				    "the supplied %s is not the pinned AMD %s%s", cn,
				    root_role_name(role),
				    o->n_allow_sim_roots ? " and no trusted simulated root signed it"
							 : "");
		*ark_out = sim;
		res->sim_root = true;
		snprintf(res->anchor, sizeof(res->anchor), "ARK-%s (simulated root)",
			 snp_product_name(p));
		pass(res, "intermediate", "%s signed by a trusted simulated root", cn);
	}
	*inter_out = inter;
	return 0;
}

static int check_vek_form(X509 *vek, enum snp_signing_key signer, struct verify_result *res,
			  struct snp_err *err)
{
	EVP_PKEY *pk = X509_get0_pubkey(vek);
	char group[32] = "";
	size_t glen = 0;

	if (X509_get_version(vek) != X509_VERSION_3)
		return fail(res, err, SNP_E_CHAIN, "vek.form", "X.509 version %ld, want 3",
			    X509_get_version(vek) + 1);
	if (!pk || EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC ||
	    EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
					   &glen) != 1 ||
	    strcmp(group, "secp384r1") != 0) {
		ERR_clear_error();
		return fail(res, err, SNP_E_CHAIN, "vek.form", "public key is not EC P-384 (%s)",
			    group[0] ? group : "not EC");
	}
	pass(res, "vek.form", "X.509 v3, EC P-384 key, %s",
	     signer == SNP_SIGNING_KEY_VCEK ? "VCEK" : "VLEK");
	return 0;
}

static int check_vek_ext_kind(const struct vek_ext *e, enum snp_signing_key signer,
			      struct verify_result *res, struct snp_err *err)
{
	if (signer == SNP_SIGNING_KEY_VCEK) {
		if (!e->has_hwid)
			return fail(res, err, SNP_E_CHAIN, "vek.extensions", "VCEK without hwID");
		if (e->has_csp_id)
			return fail(res, err, SNP_E_CHAIN, "vek.extensions",
				    "VCEK carries cspID \"%s\" (a VLEK extension)", e->csp_id);
	} else {
		if (e->has_hwid)
			return fail(res, err, SNP_E_CHAIN, "vek.extensions",
				    "VLEK carries hwID (a VCEK extension)");
		if (!e->has_csp_id)
			return fail(res, err, SNP_E_CHAIN, "vek.extensions", "VLEK without cspID");
	}
	if (!e->has_struct_version || !e->has_product_name)
		return fail(res, err, SNP_E_CHAIN, "vek.extensions", "%s missing",
			    e->has_struct_version ? "productName" : "structVersion");
	pass(res, "vek.extensions", "AMD extensions decode%s%s%s",
	     e->has_csp_id ? "; cspID " : "", e->has_csp_id ? e->csp_id : "",
	     e->hwid_wrapped ? "; hwID DER-wrapped" : "");
	return 0;
}

/* ECDSA P-384 / SHA-384 over the raw bytes 0x000..0x29F; R and S are little-endian. */
static int check_report_signature(const struct verifier *v, const uint8_t *raw,
				  const struct snp_report *rep, X509 *vek, EVP_PKEY_CTX *tmpl,
				  struct verify_result *res, struct snp_err *err)
{
	unsigned char md[48], der[160], *p = der;
	unsigned int mdlen = 0;
	BIGNUM *r = BN_lebin2bn(rep->signature_r, SNP_P384_SIZE, NULL);
	BIGNUM *s = BN_lebin2bn(rep->signature_s, SNP_P384_SIZE, NULL);
	ECDSA_SIG *sig = ECDSA_SIG_new();
	EVP_PKEY_CTX *ctx = NULL;
	int derlen, rc, ret = SNP_E_INTERNAL;

	if (!r || !s || !sig || ECDSA_SIG_set0(sig, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ret = snp_err_openssl(err, "report.signature: ECDSA_SIG");
		goto out;
	}
	if (i2d_ECDSA_SIG(sig, NULL) > (int)sizeof(der) || (derlen = i2d_ECDSA_SIG(sig, &p)) <= 0) {
		ret = snp_err_openssl(err, "report.signature: i2d_ECDSA_SIG");
		goto out;
	}
	if (EVP_Digest(raw, snp_report_signed_range(), md, &mdlen, v->sha384, NULL) != 1 ||
	    mdlen != sizeof(md)) {
		ret = snp_err_openssl(err, "report.signature: SHA-384");
		goto out;
	}
	if (tmpl)
		ctx = EVP_PKEY_CTX_dup(tmpl);
	else if ((ctx = EVP_PKEY_CTX_new(X509_get0_pubkey(vek), NULL)) != NULL &&
		 EVP_PKEY_verify_init(ctx) != 1) {
		EVP_PKEY_CTX_free(ctx);
		ctx = NULL;
	}
	if (!ctx) {
		ret = snp_err_openssl(err, "report.signature: EVP_PKEY_verify_init");
		goto out;
	}
	ERR_clear_error();
	rc = EVP_PKEY_verify(ctx, der, (size_t)derlen, md, sizeof(md));
	if (rc != 1) {
		ERR_clear_error();
		ret = fail(res, err, SNP_E_SIGNATURE, "report.signature",
			   "ECDSA P-384 signature over bytes 0x000..0x29f does not verify with the %s key",
			   report_signing_key(rep) == SNP_SIGNING_KEY_VCEK ? "VCEK" : "VLEK");
		goto out;
	}
	pass(res, "report.signature", "ECDSA P-384/SHA-384 over 0x000..0x29f verifies");
	ret = 0;
out:
	if (ret && res->nchecks && res->checks[res->nchecks - 1].code == 0)
		fail_err(res, err, ret, "report.signature");
	EVP_PKEY_CTX_free(ctx);
	ECDSA_SIG_free(sig);
	return ret;
}

/* Report byte of TCB_VERSION that each SPL extension binds, per product; -1 = none. */
static int spl_byte(enum snp_product p, int k)
{
	static const struct {
		int spl;
		enum snp_tcb_component c;
	} named[] = {
		{ VEK_SPL_BL, SNP_TCB_BOOTLOADER }, { VEK_SPL_TEE, SNP_TCB_TEE },
		{ VEK_SPL_SNP, SNP_TCB_SNP },       { VEK_SPL_UCODE, SNP_TCB_MICROCODE },
		{ VEK_SPL_FMC, SNP_TCB_FMC },
	};

	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (named[i].spl == k)
			return snp_tcb_byte_index(p, named[i].c);
	/* spl_4..spl_7 are the reserved bytes: 2..5 on Milan/Genoa, 4..6 (spl_5..7) on Turin. */
	if (p == SNP_PRODUCT_TURIN)
		return k >= VEK_SPL_5 && k <= VEK_SPL_7 ? k - 1 : -1;
	return k - 2;
}

static int check_binding(const struct snp_report *rep, enum snp_product p,
			 enum snp_signing_key signer, const struct vek_ext *e,
			 struct verify_result *res, struct snp_err *err)
{
	uint8_t want_sv = p == SNP_PRODUCT_TURIN ? 1 : 0;
	const char *pname = snp_product_name(p);
	size_t line = strcspn(e->product_name, "-");
	uint8_t tcb[SNP_TCB_SIZE];
	size_t clen = snp_product_chip_id_len(p);

	if (e->struct_version != want_sv)
		return fail(res, err, SNP_E_CHAIN, "vek.struct_version",
			    "structVersion %u, want %u for %s", e->struct_version, want_sv, pname);
	pass(res, "vek.struct_version", "%u", e->struct_version);
	if (line != strlen(pname) || strncmp(e->product_name, pname, line) != 0)
		return fail(res, err, SNP_E_CHAIN, "vek.product_name",
			    "productName \"%s\", want the %s line", e->product_name, pname);
	pass(res, "vek.product_name", "\"%s\"", e->product_name);

	for (int b = 0; b < SNP_TCB_SIZE; b++)
		tcb[b] = (uint8_t)(rep->reported_tcb >> (8 * b));
	for (int k = 1; k <= VEK_SPL_MAX; k++) {
		int b = spl_byte(p, k);
		bool required = k == VEK_SPL_BL || k == VEK_SPL_TEE || k == VEK_SPL_SNP ||
				k == VEK_SPL_UCODE || (k == VEK_SPL_FMC && p == SNP_PRODUCT_TURIN);

		if (required && !e->has_spl[k])
			return fail(res, err, SNP_E_CHAIN, "vek.tcb", "%s extension missing",
				    vek_spl_name(k));
		if (b < 0) {
			if (e->has_spl[k])
				return fail(res, err, SNP_E_CHAIN, "vek.tcb",
					    "%s %u present, but %s has no such TCB field",
					    vek_spl_name(k), e->spl[k], pname);
			continue;
		}
		if (tcb[b] != (e->has_spl[k] ? e->spl[k] : 0))
			return fail(res, err, SNP_E_CHAIN, "vek.tcb",
				    "REPORTED_TCB byte %d is %u, but the VEK %s is %u%s", b, tcb[b],
				    vek_spl_name(k), e->has_spl[k] ? e->spl[k] : 0,
				    e->has_spl[k] ? "" : " (absent)");
	}
	pass(res, "vek.tcb", "REPORTED_TCB 0x%016llx equals the VEK SPLs",
	     (unsigned long long)rep->reported_tcb);

	if (signer != SNP_SIGNING_KEY_VCEK) {
		pass(res, "vek.hwid", "VLEK: not bound to a chip");
		return 0;
	}
	if (e->hwid_len != clen) {
		return fail(res, err, SNP_E_CHAIN, "vek.hwid", "hwID has %zu bytes, want %zu for %s",
			    e->hwid_len, clen, pname);
	}
	for (size_t i = clen; i < SNP_CHIP_ID_SIZE; i++)
		if (rep->chip_id[i])
			return fail(res, err, SNP_E_CHAIN, "vek.hwid",
				    "CHIP_ID byte %zu is 0x%02x, want 0 on %s", i, rep->chip_id[i],
				    pname);
	if (memcmp(e->hwid, rep->chip_id, clen) != 0) {
		char a[17], b[17];

		hex_encode(rep->chip_id, 8, a);
		hex_encode(e->hwid, 8, b);
		return fail(res, err, SNP_E_CHAIN, "vek.hwid",
			    "CHIP_ID %s... differs from the VCEK hwID %s...", a, b);
	}
	pass(res, "vek.hwid", "CHIP_ID equals the VCEK hwID (%zu bytes)", clen);
	return 0;
}

static struct vek_entry *cache_find(struct verifier *v, const unsigned char key[32])
{
	struct vek_entry *hit = NULL;

	pthread_mutex_lock(&v->lock);
	for (size_t i = 0; i < v->ncache && !hit; i++)
		if (memcmp(v->cache[i]->key, key, 32) == 0)
			hit = v->cache[i];
	pthread_mutex_unlock(&v->lock);
	return hit;
}

/* Returns the cached entry (possibly inserted by another thread first), or NULL when full. */
static struct vek_entry *cache_insert(struct verifier *v, const unsigned char key[32], X509 *vek,
				      const struct vek_ext *ext)
{
	struct vek_entry *e = calloc(1, sizeof(*e)), *hit = NULL;

	if (!e)
		return NULL;
	e->verify = EVP_PKEY_CTX_new(X509_get0_pubkey(vek), NULL);
	if (!e->verify || EVP_PKEY_verify_init(e->verify) != 1) {
		ERR_clear_error();
		EVP_PKEY_CTX_free(e->verify);
		free(e);
		return NULL;
	}
	memcpy(e->key, key, 32);
	e->ext = *ext;
	pthread_mutex_lock(&v->lock);
	for (size_t i = 0; i < v->ncache && !hit; i++)
		if (memcmp(v->cache[i]->key, key, 32) == 0)
			hit = v->cache[i];
	if (!hit && v->ncache < CACHE_MAX && X509_up_ref(vek) == 1) {
		e->vek = vek;
		v->cache[v->ncache++] = e;
		hit = e;
		e = NULL;
	}
	pthread_mutex_unlock(&v->lock);
	if (e) {
		EVP_PKEY_CTX_free(e->verify);
		free(e);
	}
	return hit;
}

static int chain_key(struct verifier *v, X509 *vek, X509 *inter, X509 *ark, unsigned char key[32],
		     char vek_hex[65], struct snp_err *err)
{
	unsigned char d[3][32];
	unsigned int n = 0;
	int ret;

	if ((ret = digest_cert(v, vek, d[0], err)) != 0 ||
	    (ret = digest_cert(v, inter, d[1], err)) != 0 ||
	    (ret = digest_cert(v, ark, d[2], err)) != 0)
		return ret;
	hex_encode(d[0], 32, vek_hex);
	if (EVP_Digest(d, sizeof(d), key, &n, v->sha256, NULL) != 1 || n != 32)
		return snp_err_openssl(err, "EVP_Digest");
	return 0;
}

int verify_report(struct verifier *v, const uint8_t *raw, size_t len, const struct certs *certs,
		  const struct verify_opts *opts, struct verify_result *res, struct snp_err *err)
{
	static const struct verify_opts strict;
	static const struct certs none;
	enum root_role role;
	struct vek_entry *entry;
	struct vek_ext ext;
	unsigned char key[32];
	const char *vek_name;
	X509 *vek, *inter = NULL, *ark = NULL;
	char cn[128];
	struct snp_err e2;
	int ret = SNP_E_INTERNAL;

	memset(res, 0, sizeof(*res));
	if (!opts)
		opts = &strict;
	if (!certs)
		certs = &none;

	if ((ret = report_parse(raw, len, &opts->parse, &res->report, err)) != 0) {
		ret = fail_err(res, err, ret, "report.parse");
		goto out;
	}
	pass(res, "report.parse", "version %u, %s", res->report.version,
	     opts->parse.lax_reserved ? "reserved bytes not checked (lax)" : "strict");
	res->signer = report_signing_key(&res->report);
	vek_name = res->signer == SNP_SIGNING_KEY_VCEK ? "VCEK" : "VLEK";

	vek = certs->vek ? certs->vek
			 : res->signer == SNP_SIGNING_KEY_VCEK ? certs->vcek : certs->vlek;
	if (!vek) {
		ret = fail(res, err, certs->vcek || certs->vlek ? SNP_E_CHAIN : SNP_E_INVALID,
			   "vek.present", "the report is signed by a %s, but no %s certificate was given%s",
			   vek_name, vek_name,
			   certs->vcek || certs->vlek ? " (only the other kind)" : "");
		goto out;
	}
	pass(res, "vek.present", "%s certificate given", vek_name);
	if (chain_subject_cn(vek, cn, sizeof(cn), &e2) != 0)
		snprintf(cn, sizeof(cn), "(no CN)");
	if (strcmp(cn, res->signer == SNP_SIGNING_KEY_VCEK ? "SEV-VCEK" : "SEV-VLEK") != 0) {
		ret = fail(res, err, SNP_E_CHAIN, "vek.kind",
			   "report SIGNING_KEY is %s, but the certificate CN is %s (want SEV-%s)",
			   vek_name, cn, vek_name);
		goto out;
	}
	pass(res, "vek.kind", "CN %s matches SIGNING_KEY %s", cn, vek_name);

	if ((ret = choose_product(&res->report, vek, opts, res, err)) != 0)
		goto out;
	role = res->signer == SNP_SIGNING_KEY_VCEK ? ROOT_ASK : ROOT_ASVK;
	if ((ret = choose_anchor(v, certs, role, opts, res, &inter, &ark, err)) != 0)
		goto out;
	if ((ret = chain_check_validity(ark, "ARK", opts->now, err)) != 0) {
		ret = fail_err(res, err, ret, "ark.validity");
		goto out;
	}
	pass(res, "ark.validity", "valid at the verification time");
	if ((ret = chain_check_validity(inter, root_role_name(role), opts->now, err)) != 0) {
		ret = fail_err(res, err, ret, "intermediate.validity");
		goto out;
	}
	pass(res, "intermediate.validity", "valid at the verification time");

	if ((ret = chain_key(v, vek, inter, ark, key, res->vek_sha256, err)) != 0)
		goto out;
	entry = cache_find(v, key);
	if (entry) {
		res->chain_cached = true;
		ext = entry->ext;
		pass(res, "vek.signature", "cached: verified earlier against the same chain");
	} else {
		if ((ret = chain_check_signed(vek, vek_name, inter, root_role_name(role), err)) != 0) {
			ret = fail_err(res, err, ret, "vek.signature");
			goto out;
		}
		pass(res, "vek.signature", "RSASSA-PSS SHA-384 salt 48 by the %s",
		     root_role_name(role));
		if ((ret = check_vek_form(vek, res->signer, res, err)) != 0)
			goto out;
		if ((ret = vek_ext_decode(vek, &ext, err)) != 0) {
			ret = fail_err(res, err, ret, "vek.extensions");
			goto out;
		}
		if ((ret = check_vek_ext_kind(&ext, res->signer, res, err)) != 0)
			goto out;
		entry = cache_insert(v, key, vek, &ext); /* NULL when full: verify uncached */
	}
	if ((ret = chain_check_validity(vek, vek_name, opts->now, err)) != 0) {
		ret = fail_err(res, err, ret, "vek.validity");
		goto out;
	}
	pass(res, "vek.validity", "valid at the verification time");
	if (opts->crl) {
		char tree[32];

		snprintf(tree, sizeof(tree), "%s/v1/%s/crl", role == ROOT_ASK ? "vcek" : "vlek",
			 snp_product_name(res->product));
		if ((ret = crl_check(opts->crl, ark, inter, root_role_name(role), vek, vek_name,
				     tree, opts->now, err)) != 0) {
			ret = fail_err(res, err, ret, "crl");
			goto out;
		}
		pass(res, "crl", "ARK-signed, current, neither %s nor %s revoked",
		     root_role_name(role), vek_name);
	} else {
		/* The choice is recorded in the verdict: no CRL means revocation was not checked. */
		pass(res, "crl", "not checked: no CRL given");
	}
	if ((ret = check_report_signature(v, raw, &res->report, vek,
					  entry ? entry->verify : NULL, res, err)) != 0 ||
	    (ret = check_binding(&res->report, res->product, res->signer, &ext, res, err)) != 0)
		goto out;
	ret = 0;
out:
	return ret;
}
