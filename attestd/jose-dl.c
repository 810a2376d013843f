/* libjose loaded on first use (attestd/jose-dl.h). */
#include "attestd/jose-dl.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/dl.h"

static const char *const names[] = {
	"jose_b64_enc",	     "jose_b64_dec_load", "jose_b64_enc_dump",   "jose_b64_enc_buf",
	"jose_b64_dec_buf",  "jose_cfg",	  "jose_cfg_decref",	 "jose_cfg_set_err_func",
	"jose_jwk_gen",	     "jose_jwk_pub",	  "jose_jwk_thp",	 "jose_jws_ver",
	"jose_jwe_enc_jwk",  "jose_jwe_enc_cek",  "jose_jwe_dec_jwk",	 "jose_jwe_dec_cek",
	"jose_openssl_jwk_to_EVP_PKEY",
};

/*
 * Process state, as the dynamic loader's is: loaded once, by the first
 * caller, never unloaded. A failure is kept and reported to every caller.
 */
static struct jose_dl loaded;
static struct snp_err load_err;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	void *fn[sizeof(names) / sizeof(names[0])], *handle = NULL;
	size_t i = 0;

	if (dl_open(JOSE_DL_SONAME, names, fn, sizeof(fn) / sizeof(fn[0]), &handle, &load_err) !=
	    0) {
		snp_err_prefix(&load_err, "JOSE needs libjose (install the Debian package "
			       JOSE_DL_DEBIAN_PACKAGE "): ");
		load_err.code = SNP_E_UNSUPPORTED;
		return;
	}
	/* POSIX: a dlsym result converts to a function pointer of the right type */
	loaded.b64_enc = (json_t * (*)(const void *, size_t)) fn[i++];
	loaded.b64_dec_load = (json_t * (*)(const json_t *)) fn[i++];
	loaded.b64_enc_dump = (json_t * (*)(const json_t *)) fn[i++];
	loaded.b64_enc_buf = (size_t(*)(const void *, size_t, void *, size_t))fn[i++];
	loaded.b64_dec_buf = (size_t(*)(const void *, size_t, void *, size_t))fn[i++];
	loaded.cfg = (jose_cfg_t * (*)(void)) fn[i++];
	loaded.cfg_decref = (void (*)(jose_cfg_t *))fn[i++];
	loaded.cfg_set_err_func = (void (*)(jose_cfg_t *, jose_cfg_err_t *, void *))fn[i++];
	loaded.jwk_gen = (bool (*)(jose_cfg_t *, json_t *))fn[i++];
	loaded.jwk_pub = (bool (*)(jose_cfg_t *, json_t *))fn[i++];
	loaded.jwk_thp = (json_t * (*)(jose_cfg_t *, const json_t *, const char *)) fn[i++];
	loaded.jws_ver =
		(bool (*)(jose_cfg_t *, const json_t *, const json_t *, const json_t *, bool))fn[i++];
	loaded.jwe_enc_jwk =
		(bool (*)(jose_cfg_t *, json_t *, json_t *, const json_t *, json_t *))fn[i++];
	loaded.jwe_enc_cek =
		(bool (*)(jose_cfg_t *, json_t *, const json_t *, const void *, size_t))fn[i++];
	loaded.jwe_dec_jwk = (json_t * (*)(jose_cfg_t *, const json_t *, const json_t *,
					   const json_t *)) fn[i++];
	loaded.jwe_dec_cek =
		(void *(*)(jose_cfg_t *, const json_t *, const json_t *, size_t *))fn[i++];
	loaded.openssl_jwk_to_EVP_PKEY = (EVP_PKEY * (*)(jose_cfg_t *, const json_t *)) fn[i++];
}

int jose_dl_load(struct snp_err *err)
{
	pthread_once(&once, load);
	if (load_err.code != 0) {
		if (err)
			*err = load_err;
		return load_err.code;
	}
	return 0;
}

const struct jose_dl *jose_dl(void)
{
	if (jose_dl_load(NULL) != 0) {
		/* the library cannot print, and its callers cannot go on without libjose */
		static const char msg[] = "snpvm: ";

		(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
		(void)!write(STDERR_FILENO, load_err.msg, strnlen(load_err.msg, sizeof(load_err.msg)));
		(void)!write(STDERR_FILENO, "\n", 1);
		abort();
	}
	return &loaded;
}
