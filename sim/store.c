#include "sim/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "abi/cert-table.h"
#include "sim/chain.h"
#include "sim/rng.h"
#include "util/file.h"
#include "util/hex.h"
#include "util/pem.h"

#define STATE_FORMAT 1
#define MAX_FILE (1u << 20)
#define CRL_DAYS 365

const char *sim_store_name(enum snp_signing_key signer, enum sim_store_cert which)
{
	bool vlek = signer == SNP_SIGNING_KEY_VLEK;

	switch (which) {
	case SIM_STORE_ARK:
		return "ark";
	case SIM_STORE_ASK:
		return vlek ? "asvk" : "ask";
	default:
		return vlek ? "vlek" : "vcek";
	}
}

static void path_join(char *buf, size_t len, const char *dir, const char *sub, const char *name,
		      const char *ext)
{
	snprintf(buf, len, "%s%s%s%s%s", dir, sub ? "/" : "", sub ? sub : "", "/", name);
	if (ext)
		strncat(buf, ext, len - strlen(buf) - 1);
}

static int make_dir(const char *path, mode_t mode, struct snp_err *err)
{
	if (mkdir(path, mode) != 0 && errno != EEXIST)
		return snp_err_sys(err, "sim: mkdir %s", path);
	return 0;
}

static int write_bio(const char *path, BIO *bio, unsigned mode, struct snp_err *err)
{
	char *data = NULL;
	long len = BIO_get_mem_data(bio, &data);

	if (len <= 0)
		return snp_err_openssl(err, "sim: encoding %s", path);
	return file_write_atomic(path, data, (size_t)len, mode, err);
}

static int write_key(const char *dir, const char *name, EVP_PKEY *key, struct snp_err *err)
{
	char path[4096];
	BIO *bio = BIO_new(BIO_s_secmem());
	int ret;

	path_join(path, sizeof(path), dir, "keys", name, ".key");
	if (bio == NULL || PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1)
		ret = snp_err_openssl(err, "sim: encoding %s", path);
	else
		ret = write_bio(path, bio, 0600, err);
	BIO_free(bio);
	return ret;
}

static int write_cert(const char *dir, const char *name, X509 *x, struct snp_err *err)
{
	char path[4096];
	BIO *bio = BIO_new(BIO_s_mem());
	int ret;

	path_join(path, sizeof(path), dir, "certs", name, ".pem");
	if (bio == NULL || PEM_write_bio_X509(bio, x) != 1)
		ret = snp_err_openssl(err, "sim: encoding %s", path);
	else
		ret = write_bio(path, bio, 0644, err);
	BIO_free(bio);
	return ret;
}

static char *tcb_hex(const struct snp_tcb *t, char buf[17])
{
	hex_encode(t->raw, SNP_TCB_SIZE, buf);
	return buf;
}

static int write_state(const char *dir, const struct sim_platform *p, struct snp_err *err)
{
	char path[4096], chip[2 * SNP_CHIP_ID_SIZE + 1], h1[17], h2[17], h3[17];
	json_t *o;
	char *text = NULL;
	int ret;

	hex_encode(p->chip_id, SNP_CHIP_ID_SIZE, chip);
	o = json_pack("{s:i, s:s, s:s, s:{s:s, s:s, s:s}, s:{s:i, s:i, s:i}, s:{s:i, s:i, s:i},"
		      " s:I, s:s, s:{s:i, s:i, s:i}, s:i, s:I, s:i, s:s}",
		      "format", STATE_FORMAT, "product", snp_product_name(p->product), "signer",
		      p->signer == SNP_SIGNING_KEY_VLEK ? "vlek" : "vcek", "tcb", "current",
		      tcb_hex(&p->current_tcb, h1), "committed", tcb_hex(&p->committed_tcb, h2),
		      "reported", tcb_hex(&p->reported_tcb, h3), "firmware", "major", p->fw_major,
		      "minor", p->fw_minor, "build", p->fw_build, "committed_firmware", "major",
		      p->committed_major, "minor", p->committed_minor, "build", p->committed_build,
		      "platform_info", (json_int_t)p->platform_info, "chip_id", chip, "cpuid",
		      "family", p->cpuid_family, "model", p->cpuid_model, "stepping",
		      p->cpuid_stepping, "report_version", (int)p->report_version, "mit_vector",
		      (json_int_t)p->mit_vector, "sockets", (int)p->sockets, "csp_id", p->csp_id);
	if (o == NULL || (text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL) {
		json_decref(o);
		return snp_errf(err, SNP_E_NOMEM, "sim: encoding sim.json");
	}
	path_join(path, sizeof(path), dir, NULL, "sim.json", NULL);
	ret = file_write_atomic(path, text, strlen(text), 0644, err);
	free(text);
	json_decref(o);
	return ret;
}

int sim_store_init(const struct sim_init_opts *o, struct snp_err *err)
{
	struct sim_platform plat;
	EVP_PKEY *ark_key = NULL, *ask_key = NULL, *vek_key = NULL;
	X509 *ark = NULL, *ask = NULL, *vek = NULL;
	X509_CRL *crl = NULL;
	unsigned char *crl_der = NULL;
	uint8_t seed_buf[32];
	const uint8_t *seed = o->seed;
	size_t seed_len = o->seed_len;
	bool vlek = o->signer == SNP_SIGNING_KEY_VLEK;
	char path[4096], label[64];
	struct stat st;
	int crl_len, ret = SNP_E_INTERNAL;

	if (o->product == SNP_PRODUCT_UNKNOWN)
		return snp_errf(err, SNP_E_INVALID, "sim init: no product");
	if (o->signer != SNP_SIGNING_KEY_VCEK && o->signer != SNP_SIGNING_KEY_VLEK)
		return snp_errf(err, SNP_E_INVALID, "sim init: signer must be VCEK or VLEK");
	path_join(path, sizeof(path), o->dir, NULL, "sim.json", NULL);
	if (stat(path, &st) == 0)
		return snp_errf(err, SNP_E_REFUSED, "%s already holds a sim; refusing to "
				"overwrite it", o->dir);
	sim_platform_defaults(o->product, &plat);
	plat.signer = o->signer;
	if (o->tcb)
		plat.current_tcb = plat.committed_tcb = plat.reported_tcb = *o->tcb;
	/* Without a seed, a random one: the keys are then as random as RAND_bytes. */
	if (seed == NULL) {
		if (RAND_bytes(seed_buf, sizeof(seed_buf)) != 1)
			return snp_err_openssl(err, "sim init: RAND_bytes");
		seed = seed_buf;
		seed_len = sizeof(seed_buf);
	}
	if ((ret = sim_rng_derive(seed, seed_len, "chip-id", plat.chip_id,
				  snp_product_chip_id_len(o->product), err)) != 0)
		goto out;
	if ((ret = make_dir(o->dir, 0755, err)) != 0)
		goto out;
	path_join(path, sizeof(path), o->dir, NULL, "keys", NULL);
	if ((ret = make_dir(path, 0700, err)) != 0)
		goto out;
	if (chmod(path, 0700) != 0) {
		ret = snp_err_sys(err, "sim init: chmod %s", path);
		goto out;
	}
	path_join(path, sizeof(path), o->dir, NULL, "certs", NULL);
	if ((ret = make_dir(path, 0755, err)) != 0)
		goto out;

	sim_chain_cn(o->product, SIM_CERT_ARK, label, sizeof(label));
	if ((ret = sim_rng_keygen(seed, seed_len, label, SIM_KEY_RSA4096, &ark_key, err)) != 0)
		goto out;
	sim_chain_cn(o->product, vlek ? SIM_CERT_ASVK : SIM_CERT_ASK, label, sizeof(label));
	if ((ret = sim_rng_keygen(seed, seed_len, label, SIM_KEY_RSA4096, &ask_key, err)) != 0)
		goto out;
	/* The VEK depends on the chip and the reported TCB, as a real VCEK does. */
	snprintf(label, sizeof(label), "%s/%02x%02x%02x%02x%02x%02x%02x%02x",
		 vlek ? "SEV-VLEK" : "SEV-VCEK", plat.reported_tcb.raw[0], plat.reported_tcb.raw[1],
		 plat.reported_tcb.raw[2], plat.reported_tcb.raw[3], plat.reported_tcb.raw[4],
		 plat.reported_tcb.raw[5], plat.reported_tcb.raw[6], plat.reported_tcb.raw[7]);
	if ((ret = sim_rng_keygen(seed, seed_len, label, SIM_KEY_P384, &vek_key, err)) != 0)
		goto out;
	{
		struct sim_vek_info info = {
			.role = vlek ? SIM_CERT_VLEK : SIM_CERT_VCEK,
			.tcb = plat.reported_tcb,
			.csp_id = plat.csp_id,
		};

		memcpy(info.chip_id, plat.chip_id, SNP_CHIP_ID_SIZE);
		if ((ret = sim_chain_issue_ca(o->product, SIM_CERT_ARK, ark_key, NULL, NULL, o->now,
					      &ark, err)) != 0 ||
		    (ret = sim_chain_issue_ca(o->product, vlek ? SIM_CERT_ASVK : SIM_CERT_ASK,
					      ask_key, ark, ark_key, o->now, &ask, err)) != 0 ||
		    (ret = sim_chain_issue_vek(o->product, &info, vek_key, ask, ask_key, o->now,
					       &vek, err)) != 0 ||
		    (ret = sim_chain_issue_crl(ark, ark_key, o->now, CRL_DAYS, &crl, err)) != 0)
			goto out;
	}
	if ((crl_len = i2d_X509_CRL(crl, &crl_der)) <= 0) {
		ret = snp_err_openssl(err, "sim init: encoding CRL");
		goto out;
	}
	path_join(path, sizeof(path), o->dir, NULL, "crl.der", NULL);
	if ((ret = write_key(o->dir, sim_store_name(o->signer, SIM_STORE_ARK), ark_key, err)) != 0 ||
	    (ret = write_key(o->dir, sim_store_name(o->signer, SIM_STORE_ASK), ask_key, err)) != 0 ||
	    (ret = write_key(o->dir, sim_store_name(o->signer, SIM_STORE_VEK), vek_key, err)) != 0 ||
	    (ret = write_cert(o->dir, sim_store_name(o->signer, SIM_STORE_ARK), ark, err)) != 0 ||
	    (ret = write_cert(o->dir, sim_store_name(o->signer, SIM_STORE_ASK), ask, err)) != 0 ||
	    (ret = write_cert(o->dir, sim_store_name(o->signer, SIM_STORE_VEK), vek, err)) != 0 ||
	    (ret = file_write_atomic(path, crl_der, (size_t)crl_len, 0644, err)) != 0 ||
	    (ret = write_state(o->dir, &plat, err)) != 0)
		goto out;
	ret = 0;
out:
	OPENSSL_cleanse(seed_buf, sizeof(seed_buf));
	OPENSSL_free(crl_der);
	X509_CRL_free(crl);
	X509_free(ark);
	X509_free(ask);
	X509_free(vek);
	EVP_PKEY_free(ark_key);
	EVP_PKEY_free(ask_key);
	EVP_PKEY_free(vek_key);
	return ret;
}

static int json_u8(json_t *o, const char *key, uint8_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 255)
		return 0;
	*out = (uint8_t)json_integer_value(v);
	return 1;
}

static int json_tcb(json_t *o, const char *key, enum snp_product p, struct snp_tcb *t)
{
	const char *s = json_string_value(json_object_get(o, key));
	struct snp_err e;
	uint8_t raw[8];
	uint64_t v = 0;

	if (!s || hex_decode(s, raw, 8, key, &e) != 0)
		return 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | raw[i];
	snp_tcb_decode(p, v, t);
	return 1;
}

static int parse_state(const char *text, struct sim_platform *p, struct snp_err *err)
{
	json_error_t jerr;
	json_t *o = json_loads(text, 0, &jerr), *fw, *cfw, *tcb, *cpuid;
	const char *product, *signer, *chip, *csp;
	struct snp_err e;
	int ok = 0, ret = SNP_E_INVALID;

	memset(p, 0, sizeof(*p));
	if (o == NULL)
		return snp_errf(err, SNP_E_INVALID, "sim.json: line %d: %s", jerr.line, jerr.text);
	product = json_string_value(json_object_get(o, "product"));
	signer = json_string_value(json_object_get(o, "signer"));
	chip = json_string_value(json_object_get(o, "chip_id"));
	csp = json_string_value(json_object_get(o, "csp_id"));
	fw = json_object_get(o, "firmware");
	cfw = json_object_get(o, "committed_firmware");
	tcb = json_object_get(o, "tcb");
	cpuid = json_object_get(o, "cpuid");
	if (json_integer_value(json_object_get(o, "format")) != STATE_FORMAT) {
		ret = snp_errf(err, SNP_E_VERSION, "sim.json: format is not %d", STATE_FORMAT);
		goto out;
	}
	if (!product || snp_product_from_name(product, &p->product, &e) != 0 || !signer ||
	    (strcmp(signer, "vcek") != 0 && strcmp(signer, "vlek") != 0) || !chip ||
	    hex_decode(chip, p->chip_id, SNP_CHIP_ID_SIZE, "chip_id", &e) != 0 || !csp ||
	    strlen(csp) >= sizeof(p->csp_id))
		goto bad;
	p->signer = strcmp(signer, "vlek") == 0 ? SNP_SIGNING_KEY_VLEK : SNP_SIGNING_KEY_VCEK;
	snprintf(p->csp_id, sizeof(p->csp_id), "%s", csp);
	ok = json_u8(fw, "major", &p->fw_major) && json_u8(fw, "minor", &p->fw_minor) &&
	     json_u8(fw, "build", &p->fw_build) && json_u8(cfw, "major", &p->committed_major) &&
	     json_u8(cfw, "minor", &p->committed_minor) &&
	     json_u8(cfw, "build", &p->committed_build) &&
	     json_tcb(tcb, "current", p->product, &p->current_tcb) &&
	     json_tcb(tcb, "committed", p->product, &p->committed_tcb) &&
	     json_tcb(tcb, "reported", p->product, &p->reported_tcb) &&
	     json_u8(cpuid, "family", &p->cpuid_family) && json_u8(cpuid, "model", &p->cpuid_model) &&
	     json_u8(cpuid, "stepping", &p->cpuid_stepping) &&
	     json_is_integer(json_object_get(o, "platform_info")) &&
	     json_is_integer(json_object_get(o, "mit_vector")) &&
	     json_is_integer(json_object_get(o, "report_version")) &&
	     json_is_integer(json_object_get(o, "sockets"));
	if (!ok)
		goto bad;
	p->platform_info = (uint64_t)json_integer_value(json_object_get(o, "platform_info"));
	p->mit_vector = (uint64_t)json_integer_value(json_object_get(o, "mit_vector"));
	p->report_version = (uint32_t)json_integer_value(json_object_get(o, "report_version"));
	p->sockets = (unsigned)json_integer_value(json_object_get(o, "sockets"));
	if (p->report_version < 2 || p->report_version > 5 || p->sockets == 0)
		goto bad;
	ret = 0;
	goto out;
bad:
	ret = snp_errf(err, SNP_E_INVALID, "sim.json: missing or malformed field");
out:
	json_decref(o);
	return ret;
}

static int load_cert_der(const char *path, uint8_t **der, size_t *len, struct snp_err *err)
{
	uint8_t *pem = NULL;
	size_t pem_len = 0;
	BIO *bio = NULL;
	X509 *x = NULL;
	unsigned char *out = NULL;
	int n, ret;

	*der = NULL;
	*len = 0;
	if ((ret = file_read(path, MAX_FILE, &pem, &pem_len, err)) != 0)
		return ret;
	if ((bio = BIO_new_mem_buf(pem, (int)pem_len)) == NULL ||
	    (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL ||
	    (n = i2d_X509(x, &out)) <= 0) {
		ret = snp_err_openssl(err, "sim: reading %s", path);
		goto out;
	}
	if ((*der = malloc((size_t)n)) == NULL) {
		ret = snp_errf(err, SNP_E_NOMEM, "out of memory");
		goto out;
	}
	memcpy(*der, out, (size_t)n);
	*len = (size_t)n;
	ret = 0;
out:
	OPENSSL_free(out);
	X509_free(x);
	BIO_free(bio);
	free(pem);
	return ret;
}

/* The signing key must belong to the VCEK/VLEK certificate, or every report would fail to verify. */
static int check_key_matches(const struct sim_store *st, const char *path, struct snp_err *err)
{
	const unsigned char *p = st->cert_der[SIM_STORE_VEK];
	X509 *x = d2i_X509(NULL, &p, (long)st->cert_len[SIM_STORE_VEK]);
	int ok = x != NULL && EVP_PKEY_eq(X509_get0_pubkey(x), st->vek_key) == 1;

	X509_free(x);
	if (!ok)
		return snp_errf(err, SNP_E_INVALID, "sim: %s does not match the %s certificate", path,
				sim_store_name(st->plat.signer, SIM_STORE_VEK));
	return 0;
}

/* A signing key must still be a private regular file (0600, no symlink) before it is used. */
static int check_key_file(const char *path, struct snp_err *err)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return snp_err_sys(err, "sim: %s", path);
	if (!S_ISREG(st.st_mode))
		return snp_errf(err, SNP_E_INVALID, "sim: %s is not a regular file", path);
	if (st.st_mode & 077)
		return snp_errf(err, SNP_E_INVALID,
				"sim: %s has mode %04o; a signing key must be 0600",
				path, (unsigned)(st.st_mode & 07777));
	return 0;
}

int sim_store_load(const char *dir, struct sim_store *st, struct snp_err *err)
{
	char path[4096];
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	int ret = SNP_E_INTERNAL;

	memset(st, 0, sizeof(*st));
	path_join(path, sizeof(path), dir, NULL, "sim.json", NULL);
	if ((ret = file_read(path, MAX_FILE, &buf, &len, err)) != 0) {
		snp_err_prefix(err, "%s is not a sim (run `snpvm sim init`): ", dir);
		/* A missing or unreadable state file is bad input, not a system failure. */
		ret = SNP_E_INVALID;
		if (err)
			err->code = ret;
		goto out;
	}
	{
		char *text = realloc(buf, len + 1);

		if (text == NULL) {
			ret = snp_errf(err, SNP_E_NOMEM, "out of memory");
			goto out;
		}
		buf = (uint8_t *)text;
		text[len] = '\0';
		if ((ret = parse_state(text, &st->plat, err)) != 0)
			goto out;
	}
	free(buf);
	buf = NULL;
	for (int i = 0; i < SIM_STORE_NCERTS; i++) {
		path_join(path, sizeof(path), dir, "certs",
			  sim_store_name(st->plat.signer, (enum sim_store_cert)i), ".pem");
		if ((ret = load_cert_der(path, &st->cert_der[i], &st->cert_len[i], err)) != 0)
			goto out;
	}
	path_join(path, sizeof(path), dir, NULL, "crl.der", NULL);
	if ((ret = file_read(path, MAX_FILE, &st->crl_der, &st->crl_len, err)) != 0)
		goto out;
	path_join(path, sizeof(path), dir, "keys", sim_store_name(st->plat.signer, SIM_STORE_VEK),
		  ".key");
	if ((ret = check_key_file(path, err)) != 0 ||
	    (ret = file_read(path, MAX_FILE, &buf, &len, err)) != 0)
		goto out;
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL ||
	    (st->vek_key = PEM_read_bio_PrivateKey(bio, NULL, pem_no_passphrase, NULL)) == NULL) {
		ret = snp_err_openssl(err, "sim: reading %s", path);
		goto out;
	}
	if ((ret = check_key_matches(st, path, err)) != 0)
		goto out;
	ret = 0;
out:
	BIO_free(bio);
	if (buf)
		OPENSSL_clear_free(buf, len);
	if (ret != 0)
		sim_store_free(st);
	return ret;
}

void sim_store_free(struct sim_store *st)
{
	EVP_PKEY_free(st->vek_key);
	for (int i = 0; i < SIM_STORE_NCERTS; i++)
		free(st->cert_der[i]);
	free(st->crl_der);
	memset(st, 0, sizeof(*st));
}

int sim_store_cert_table(const struct sim_store *st, uint8_t **out, size_t *len,
			 struct snp_err *err)
{
	struct snp_cert_blob blobs[3];

	memcpy(blobs[0].guid, st->plat.signer == SNP_SIGNING_KEY_VLEK ? SNP_CERT_GUID_VLEK
								      : SNP_CERT_GUID_VCEK,
	       SNP_CERT_GUID_SIZE);
	blobs[0].data = st->cert_der[SIM_STORE_VEK];
	blobs[0].len = st->cert_len[SIM_STORE_VEK];
	memcpy(blobs[1].guid, SNP_CERT_GUID_ASK, SNP_CERT_GUID_SIZE);
	blobs[1].data = st->cert_der[SIM_STORE_ASK];
	blobs[1].len = st->cert_len[SIM_STORE_ASK];
	memcpy(blobs[2].guid, SNP_CERT_GUID_ARK, SNP_CERT_GUID_SIZE);
	blobs[2].data = st->cert_der[SIM_STORE_ARK];
	blobs[2].len = st->cert_len[SIM_STORE_ARK];
	return cert_table_write(blobs, 3, out, len, err);
}
