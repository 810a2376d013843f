/* Key material: one type, one release path that wipes before freeing. */
#ifndef SNPVM_UTIL_SECRET_H
#define SNPVM_UTIL_SECRET_H

#include <stddef.h>
#include <stdint.h>

struct secret {
	uint8_t *p;
	size_t len;
};

/* Allocates len zeroed bytes; returns 0 or SNP_E_NOMEM. */
int secret_alloc(struct secret *s, size_t len);

/* Wipes (OPENSSL_cleanse) and frees; safe on a zeroed or already-freed secret. */
void secret_free(struct secret *s);

/* Wipes a stack buffer in a way the compiler cannot elide. */
void secret_wipe(void *p, size_t len);

/* Constant-time equality of two equal-length buffers (CRYPTO_memcmp). */
int secret_equal(const void *a, const void *b, size_t len);

#endif
