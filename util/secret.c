#include "util/secret.h"

#include <stdlib.h>

#include <openssl/crypto.h>

#include "util/err.h"

int secret_alloc(struct secret *s, size_t len)
{
	s->p = calloc(1, len ? len : 1);
	s->len = s->p ? len : 0;
	return s->p ? 0 : SNP_E_NOMEM;
}

void secret_free(struct secret *s)
{
	if (s->p)
		OPENSSL_clear_free(s->p, s->len);
	s->p = NULL;
	s->len = 0;
}

void secret_wipe(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}

int secret_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}
