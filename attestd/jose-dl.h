/*
 * libjose (JWK, JWS, JWE, Base64url), loaded on first use (util/dl.h), not
 * linked: its constructors register every algorithm and initialise OpenSSL's
 * algorithm tables at process start, which every command paid - `snpvm
 * launch` and `snpvm measure` included - for the two that use JOSE (attestd
 * and the agent). Only libjose's headers are used at build time.
 *
 * Include this header instead of <jose/...>: after the library's own
 * declarations, each libjose function the project calls is redefined to go
 * through the loaded table, so call sites read as libjose's documentation
 * does. josecfg_open (attestd/jose-cfg.h) loads the library and fails with
 * SNP_E_UNSUPPORTED, naming the Debian package, where it is missing; a
 * libjose call before any such load loads it then, and a library that cannot
 * be loaded at that point ends the process with that message (as the
 * dynamic loader did for every command when libjose was linked). Load it
 * before confining the process (attestd_open does): dlopen opens files.
 */
#ifndef SNPVM_ATTESTD_JOSE_DL_H
#define SNPVM_ATTESTD_JOSE_DL_H

#include <stdbool.h>
#include <stddef.h>

#include <jose/b64.h>
#include <jose/cfg.h>
#include <jose/jwe.h>
#include <jose/jwk.h>
#include <jose/jws.h>
#include <jose/openssl.h>

#include "util/err.h"

#define JOSE_DL_SONAME "libjose.so.0"
#define JOSE_DL_DEBIAN_PACKAGE "libjose0"

/* The libjose functions snpvm calls, as libjose declares them. */
struct jose_dl {
	json_t *(*b64_enc)(const void *i, size_t il);
	json_t *(*b64_dec_load)(const json_t *i);
	json_t *(*b64_enc_dump)(const json_t *i);
	size_t (*b64_enc_buf)(const void *i, size_t il, void *o, size_t ol);
	size_t (*b64_dec_buf)(const void *i, size_t il, void *o, size_t ol);
	jose_cfg_t *(*cfg)(void);
	void (*cfg_decref)(jose_cfg_t *cfg);
	void (*cfg_set_err_func)(jose_cfg_t *cfg, jose_cfg_err_t *err, void *misc);
	bool (*jwk_gen)(jose_cfg_t *cfg, json_t *jwk);
	bool (*jwk_pub)(jose_cfg_t *cfg, json_t *jwk);
	json_t *(*jwk_thp)(jose_cfg_t *cfg, const json_t *jwk, const char *alg);
	bool (*jws_ver)(jose_cfg_t *cfg, const json_t *jws, const json_t *sig, const json_t *jwk,
			bool all);
	bool (*jwe_enc_jwk)(jose_cfg_t *cfg, json_t *jwe, json_t *rcp, const json_t *jwk,
			    json_t *cek);
	bool (*jwe_enc_cek)(jose_cfg_t *cfg, json_t *jwe, const json_t *cek, const void *pt,
			    size_t ptl);
	json_t *(*jwe_dec_jwk)(jose_cfg_t *cfg, const json_t *jwe, const json_t *rcp,
			       const json_t *jwk);
	void *(*jwe_dec_cek)(jose_cfg_t *cfg, const json_t *jwe, const json_t *cek, size_t *ptl);
	EVP_PKEY *(*openssl_jwk_to_EVP_PKEY)(jose_cfg_t *cfg, const json_t *jwk);
};

/*
 * Loads libjose once per process (later calls return the first outcome).
 * Fails with SNP_E_UNSUPPORTED naming the library, the missing symbol and
 * the Debian package.
 */
int jose_dl_load(struct snp_err *err) SNP_MUST_CHECK;

/* The loaded table; loads it first if needed, and ends the process if that fails. */
const struct jose_dl *jose_dl(void);

#define jose_b64_enc(...) (jose_dl()->b64_enc(__VA_ARGS__))
#define jose_b64_dec_load(...) (jose_dl()->b64_dec_load(__VA_ARGS__))
#define jose_b64_enc_dump(...) (jose_dl()->b64_enc_dump(__VA_ARGS__))
#define jose_b64_enc_buf(...) (jose_dl()->b64_enc_buf(__VA_ARGS__))
#define jose_b64_dec_buf(...) (jose_dl()->b64_dec_buf(__VA_ARGS__))
#define jose_cfg(...) (jose_dl()->cfg(__VA_ARGS__))
#define jose_cfg_decref(...) (jose_dl()->cfg_decref(__VA_ARGS__))
#define jose_cfg_set_err_func(...) (jose_dl()->cfg_set_err_func(__VA_ARGS__))
#define jose_jwk_gen(...) (jose_dl()->jwk_gen(__VA_ARGS__))
#define jose_jwk_pub(...) (jose_dl()->jwk_pub(__VA_ARGS__))
#define jose_jwk_thp(...) (jose_dl()->jwk_thp(__VA_ARGS__))
#define jose_jws_ver(...) (jose_dl()->jws_ver(__VA_ARGS__))
#define jose_jwe_enc_jwk(...) (jose_dl()->jwe_enc_jwk(__VA_ARGS__))
#define jose_jwe_enc_cek(...) (jose_dl()->jwe_enc_cek(__VA_ARGS__))
#define jose_jwe_dec_jwk(...) (jose_dl()->jwe_dec_jwk(__VA_ARGS__))
#define jose_jwe_dec_cek(...) (jose_dl()->jwe_dec_cek(__VA_ARGS__))
#define jose_openssl_jwk_to_EVP_PKEY(...) (jose_dl()->openssl_jwk_to_EVP_PKEY(__VA_ARGS__))

#endif
