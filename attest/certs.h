/*
 * The certificates that arrive with the evidence: from a directory, single
 * PEM/DER files, or the extended-request certificate table. Each certificate
 * is classified by its subject CN (`ARK-<P>`, `SEV-<P>` ASK, `SEV-VLEK-<P>`
 * ASVK, `SEV-VCEK`, `SEV-VLEK`). Nothing here is trusted: attest/verify.c
 * compares ARKs/ASKs with the pinned ones and checks every signature.
 */
#ifndef SNPVM_ATTEST_CERTS_H
#define SNPVM_ATTEST_CERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "abi/tcb.h"
#include "util/err.h"

#define CERTS_NPRODUCTS 4 /* indexed by enum snp_product */

enum cert_kind {
	CERT_KIND_OTHER = 0,
	CERT_KIND_ARK,
	CERT_KIND_ASK,
	CERT_KIND_ASVK,
	CERT_KIND_VCEK,
	CERT_KIND_VLEK,
};

struct certs {
	X509 *vcek, *vlek;
	X509 *vek;    /* given explicitly (--vcek): used whatever its CN; NULL if not */
	X509 *issuer; /* given explicitly (--ask): the ASK/ASVK the VEK must chain to */
	X509 *ark[CERTS_NPRODUCTS], *ask[CERTS_NPRODUCTS], *asvk[CERTS_NPRODUCTS];
};

/* "ARK", "ASK", "ASVK", "VCEK", "VLEK" or "other". */
const char *cert_kind_name(enum cert_kind k);

/* Classifies x by subject CN; *product is set for ARK/ASK/ASVK (UNKNOWN otherwise). */
enum cert_kind certs_classify(const X509 *x, enum snp_product *product);

/*
 * True when cn is prefix followed by exactly "Milan", "Genoa" or "Turin"
 * (the spelling of AMD's CNs); *product is set then.
 */
bool certs_cn_product(const char *cn, const char *prefix, enum snp_product *product);

void certs_init(struct certs *c);

/* Frees every certificate held; c is zeroed. */
void certs_free(struct certs *c);

/*
 * Adds x (ownership passes to c, even on failure) to the slot of its kind.
 * A certificate of kind OTHER is dropped. A second, different certificate for
 * an occupied slot fails (SNP_E_INVALID); an identical one is dropped.
 */
int certs_add(struct certs *c, X509 *x, const char *src, struct snp_err *err) SNP_MUST_CHECK;

/* Adds every certificate in buf: one DER certificate or one or more PEM blocks. */
int certs_add_buf(struct certs *c, const uint8_t *buf, size_t len, const char *src,
		  struct snp_err *err) SNP_MUST_CHECK;

/* certs_add_buf on a file (at most 1 MiB). */
int certs_load_file(struct certs *c, const char *path, struct snp_err *err) SNP_MUST_CHECK;

/* certs_load_file on every *.pem, *.crt, *.cer, *.der in dir (not recursive). */
int certs_load_dir(struct certs *c, const char *dir, struct snp_err *err) SNP_MUST_CHECK;

/*
 * Loads the VCEK/VLEK/ASK/ARK entries of an extended-request certificate
 * table (abi/cert-table.h); each must hold one DER certificate. Other GUIDs
 * are ignored. The ARK entry is kept only for comparison with the pinned ARK.
 */
int certs_load_table(struct certs *c, const uint8_t *buf, size_t len,
		     struct snp_err *err) SNP_MUST_CHECK;

/*
 * Certificates parsed from certificate tables, kept by the SHA-256 of each
 * entry's bytes (compared in full), so a service that sees the same VCEK,
 * ASK and ARK in every request decodes them once: d2i_X509 and the
 * OpenSSL 3 decoder behind its public key are the costly part of a table.
 * Direct-mapped (CERT_CACHE_SLOTS; a new entry replaces the slot's), so
 * its size is fixed and a miss costs only the parse. A hit hands out
 * another reference to the same X509, which every user only reads;
 * nothing is trusted for being cached - the chain is verified as always.
 * Thread-safe.
 */
#define CERT_CACHE_SLOTS 256

struct cert_cache;

/* An empty cache into *out; 0 or SNP_E_NOMEM. Release with cert_cache_free. */
int cert_cache_new(struct cert_cache **out, struct snp_err *err) SNP_MUST_CHECK;

/* Frees cc and its references; NULL is fine. */
void cert_cache_free(struct cert_cache *cc);

/* certs_load_table, each entry looked up in cc first (NULL: parse every time). */
int certs_load_table_cached(struct certs *c, struct cert_cache *cc, const uint8_t *buf,
			    size_t len, struct snp_err *err) SNP_MUST_CHECK;

/*
 * Loads path (PEM or DER) as the explicit VEK: the first certificate in the
 * file is used whatever its CN (verify checks the CN against the report).
 */
int certs_load_vek_file(struct certs *c, const char *path, struct snp_err *err) SNP_MUST_CHECK;

/*
 * Loads path as the explicit issuer of the VEK: the first certificate that is
 * not an ARK becomes c->issuer; ARKs in the file are added for comparison.
 */
int certs_load_issuer_file(struct certs *c, const char *path, struct snp_err *err) SNP_MUST_CHECK;

/*
 * Parses every certificate in buf (one DER certificate or PEM blocks) into a
 * new stack; used also for --trust-sim-root. The caller frees it with
 * sk_X509_pop_free(*out, X509_free).
 */
int certs_parse_all(const uint8_t *buf, size_t len, const char *src, STACK_OF(X509) **out,
		    struct snp_err *err) SNP_MUST_CHECK;

#endif
