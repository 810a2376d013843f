/*
 * Deterministic key generation for the simulated secure processor. A key is
 * generated inside a private OpenSSL library context whose random generator
 * is OpenSSL's TEST-RAND fed with SHAKE-256(seed || label): the same seed and
 * label give the same key (with the same OpenSSL version). Hardware derives
 * the VCEK from a chip secret and the TCB in the same spirit; the sim uses it
 * for every key so `sim init --seed` is reproducible.
 */
#ifndef SNPVM_SIM_RNG_H
#define SNPVM_SIM_RNG_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct evp_pkey_st;

enum sim_key_kind {
	SIM_KEY_RSA4096 = 1, /* ARK, ASK, ASVK */
	SIM_KEY_P384,        /* VCEK, VLEK */
};

/*
 * Generates a key of kind from (seed, label). With seed == NULL the key comes
 * from the default random generator. *out belongs to the default library
 * context; the caller frees it with EVP_PKEY_free.
 */
int sim_rng_keygen(const uint8_t *seed, size_t seed_len, const char *label, enum sim_key_kind kind,
		   struct evp_pkey_st **out, struct snp_err *err) SNP_MUST_CHECK;

/* SHAKE-256(seed || label) truncated to len bytes (chip ids, report ids in tests). */
int sim_rng_derive(const uint8_t *seed, size_t seed_len, const char *label, uint8_t *out,
		   size_t len, struct snp_err *err) SNP_MUST_CHECK;

#endif
