/*
 * Minting the simulated AMD key hierarchy in AMD's certificate format
 * (AMD VCEK certificate and KDS interface spec 57230): ARK-<P> (RSA-4096,
 * self-signed) -> SEV-<P> (ASK) or SEV-VLEK-<P> (ASVK) -> SEV-VCEK or
 * SEV-VLEK (ECDSA P-384), every signature RSASSA-PSS SHA-384 / MGF1-SHA-384 /
 * salt 48. ARK, ASK and ASVK carry the PSS trailerField explicitly as AMD's
 * do; VCEK and VLEK omit it as KDS's do. Names, serials, validity, standard
 * extensions and the VCEK/VLEK extensions are byte-for-byte in AMD's shapes.
 */
#ifndef SNPVM_SIM_CHAIN_H
#define SNPVM_SIM_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "abi/tcb.h"
#include "util/err.h"

struct evp_pkey_st;
struct x509_st;
struct X509_crl_st;

enum sim_cert_role {
	SIM_CERT_ARK = 0,
	SIM_CERT_ASK,
	SIM_CERT_ASVK,
	SIM_CERT_VCEK,
	SIM_CERT_VLEK,
};

/* "ARK-Milan", "SEV-Milan", "SEV-VLEK-Milan", "SEV-VCEK", "SEV-VLEK" into buf. */
void sim_chain_cn(enum snp_product p, enum sim_cert_role role, char *buf, size_t len);

/* AMD's serial for ARK/ASK/ASVK of product p (0x10000 ...); 0 for VCEK and VLEK. */
long sim_chain_serial(enum snp_product p, enum sim_cert_role role);

/*
 * Issues the ARK (issuer == NULL: self-signed with key), an ASK or an ASVK
 * (signed by issuer/issuer_key). Valid from now for 25 years. *out is owned
 * by the caller (X509_free).
 */
int sim_chain_issue_ca(enum snp_product p, enum sim_cert_role role, struct evp_pkey_st *key,
		       struct x509_st *issuer, struct evp_pkey_st *issuer_key, time_t now,
		       struct x509_st **out, struct snp_err *err) SNP_MUST_CHECK;

/* What a VCEK or VLEK certificate asserts. */
struct sim_vek_info {
	enum sim_cert_role role; /* SIM_CERT_VCEK or SIM_CERT_VLEK */
	struct snp_tcb tcb;      /* the REPORTED_TCB the key belongs to */
	uint8_t chip_id[SNP_CHIP_ID_SIZE]; /* VCEK: hwID (64 bytes, 8 on Turin) */
	const char *csp_id;      /* VLEK: cspID, e.g. "CN=sim.example" */
};

/*
 * Issues a VCEK (7 years) or VLEK (1 year) for key, signed by the ASK or ASVK.
 * Serial 0, no standard extensions, the AMD extensions in KDS order.
 */
int sim_chain_issue_vek(enum snp_product p, const struct sim_vek_info *info,
			struct evp_pkey_st *key, struct x509_st *issuer,
			struct evp_pkey_st *issuer_key, time_t now, struct x509_st **out,
			struct snp_err *err) SNP_MUST_CHECK;

/*
 * Issues the ARK-signed CRL (no revoked entries) valid from now for
 * valid_days. *out is owned by the caller (X509_CRL_free).
 */
int sim_chain_issue_crl(struct x509_st *ark, struct evp_pkey_st *ark_key, time_t now,
			int valid_days, struct X509_crl_st **out, struct snp_err *err) SNP_MUST_CHECK;

/* "Milan-B0", "Genoa", "Turin" for a VCEK; the product line ("Milan") for a VLEK. */
const char *sim_chain_product_name(enum snp_product p, enum sim_cert_role role);

#endif
