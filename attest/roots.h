/*
 * The pinned AMD certificates (as AMD KDS serves them under /{vcek,vlek}/v1/{P}/cert_chain): the
 * ARK, ASK and ASVK of Milan, Genoa and Turin, built in as DER and identified
 * by the SHA-256 of that DER. These are the only roots `snpvm verify` trusts
 * by default; a root that arrives with the evidence is only compared with them.
 */
#ifndef SNPVM_ATTEST_ROOTS_H
#define SNPVM_ATTEST_ROOTS_H

#include <stddef.h>

#include "abi/tcb.h"

enum root_role {
	ROOT_ARK = 0, /* AMD Root Key, self-signed */
	ROOT_ASK,     /* AMD SEV Key: issues VCEKs */
	ROOT_ASVK,    /* AMD SEV VLEK Key: issues VLEKs */
	ROOT_NROLES,
};

struct root_pin {
	enum snp_product product;
	enum root_role role;
	const char *cn;         /* "ARK-Milan", "SEV-Milan", "SEV-VLEK-Milan", ... */
	const unsigned char *der;
	size_t len;
	const char *sha256_hex; /* lowercase hex of sha256(der), typed in, not computed */
};

/* "ARK", "ASK" or "ASVK". */
const char *root_role_name(enum root_role r);

/* The pinned certificate for (p, r), or NULL for an unknown product. Static data. */
const struct root_pin *roots_find(enum snp_product p, enum root_role r);

/* All pins (9 entries): *n receives the count. Static data. */
const struct root_pin *roots_all(size_t *n);

#endif
