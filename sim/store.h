/*
 * The sim's persistent state directory (docs/sim.md):
 *   DIR/sim.json                 platform (product, signer, TCBs, firmware, chip id, ...)
 *   DIR/keys/{ark,ask|asvk,vcek|vlek}.key   PEM private keys, 0600, in a 0700 directory
 *   DIR/certs/{ark,ask|asvk,vcek|vlek}.pem  the certificate chain (what `snpvm verify
 *                                           --certs DIR/certs` loads)
 *   DIR/crl.der                  the ARK-signed CRL (DER, as KDS serves it)
 * Every file is written with file_write_atomic; sim.json is written last, so
 * a directory without it is not a sim.
 */
#ifndef SNPVM_SIM_STORE_H
#define SNPVM_SIM_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sim/platform.h"
#include "util/err.h"

struct evp_pkey_st;

struct sim_init_opts {
	const char *dir;
	enum snp_product product;
	enum snp_signing_key signer;  /* SNP_SIGNING_KEY_VCEK or _VLEK */
	const struct snp_tcb *tcb;    /* NULL: the product's default TCB */
	const uint8_t *seed;          /* NULL: keys and chip id from RAND_bytes */
	size_t seed_len;
	time_t now;                   /* certificate notBefore */
};

/*
 * Creates a sim in o->dir (created if absent). Refuses (SNP_E_REFUSED) when
 * o->dir already holds a sim.json. Generates the keys (RSA-4096 ARK and
 * ASK/ASVK: seconds without a seed cache), the certificates and the CRL.
 */
int sim_store_init(const struct sim_init_opts *o, struct snp_err *err) SNP_MUST_CHECK;

enum sim_store_cert {
	SIM_STORE_ARK = 0,
	SIM_STORE_ASK, /* the ASK, or the ASVK on a VLEK sim */
	SIM_STORE_VEK, /* the VCEK or VLEK */
	SIM_STORE_NCERTS,
};

struct sim_store {
	struct sim_platform plat;
	struct evp_pkey_st *vek_key;              /* signs reports */
	uint8_t *cert_der[SIM_STORE_NCERTS];      /* DER of each certificate */
	size_t cert_len[SIM_STORE_NCERTS];
	uint8_t *crl_der;
	size_t crl_len;
};

/* Loads dir into *st (zeroed first). Free with sim_store_free, which wipes. */
int sim_store_load(const char *dir, struct sim_store *st, struct snp_err *err) SNP_MUST_CHECK;
void sim_store_free(struct sim_store *st);

/*
 * The extended-request certificate table the host hands the guest
 * (abi/cert-table.h): VCEK or VLEK, ASK (or ASVK, under the ASK GUID as AMD
 * does), ARK. *out is malloc'd; the caller frees it.
 */
int sim_store_cert_table(const struct sim_store *st, uint8_t **out, size_t *len,
			 struct snp_err *err) SNP_MUST_CHECK;

/* "ark", "ask"/"asvk", "vcek"/"vlek": the basename of the key and certificate files. */
const char *sim_store_name(enum snp_signing_key signer, enum sim_store_cert which);

#endif
