#include "attest/certs.h"

#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "abi/cert-table.h"
#include "attest/chain.h"
#include "util/file.h"

#define CERT_FILE_MAX (1u << 20)
#define CERTS_PER_FILE_MAX 16

const char *cert_kind_name(enum cert_kind k)
{
	switch (k) {
	case CERT_KIND_ARK:
		return "ARK";
	case CERT_KIND_ASK:
		return "ASK";
	case CERT_KIND_ASVK:
		return "ASVK";
	case CERT_KIND_VCEK:
		return "VCEK";
	case CERT_KIND_VLEK:
		return "VLEK";
	default:
		return "other";
	}
}

bool certs_cn_product(const char *cn, const char *prefix, enum snp_product *product)
{
	static const enum snp_product all[] = { SNP_PRODUCT_MILAN, SNP_PRODUCT_GENOA,
						SNP_PRODUCT_TURIN };
	size_t pl = strlen(prefix);

	if (strncmp(cn, prefix, pl) != 0)
		return false;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(cn + pl, snp_product_name(all[i])) == 0) {
			*product = all[i];
			return true;
		}
	}
	return false;
}

enum cert_kind certs_classify(const X509 *x, enum snp_product *product)
{
	struct snp_err ignore;
	char cn[128];

	*product = SNP_PRODUCT_UNKNOWN;
	if (chain_subject_cn(x, cn, sizeof(cn), &ignore) != 0)
		return CERT_KIND_OTHER;
	if (strcmp(cn, "SEV-VCEK") == 0)
		return CERT_KIND_VCEK;
	if (strcmp(cn, "SEV-VLEK") == 0)
		return CERT_KIND_VLEK;
	if (certs_cn_product(cn, "ARK-", product))
		return CERT_KIND_ARK;
	if (certs_cn_product(cn, "SEV-VLEK-", product))
		return CERT_KIND_ASVK;
	if (certs_cn_product(cn, "SEV-", product))
		return CERT_KIND_ASK;
	return CERT_KIND_OTHER;
}

void certs_init(struct certs *c)
{
	memset(c, 0, sizeof(*c));
}

void certs_free(struct certs *c)
{
	X509_free(c->vcek);
	X509_free(c->vlek);
	X509_free(c->vek);
	X509_free(c->issuer);
	for (int i = 0; i < CERTS_NPRODUCTS; i++) {
		X509_free(c->ark[i]);
		X509_free(c->ask[i]);
		X509_free(c->asvk[i]);
	}
	memset(c, 0, sizeof(*c));
}

static X509 **slot(struct certs *c, enum cert_kind k, enum snp_product p)
{
	switch (k) {
	case CERT_KIND_VCEK:
		return &c->vcek;
	case CERT_KIND_VLEK:
		return &c->vlek;
	case CERT_KIND_ARK:
		return &c->ark[p];
	case CERT_KIND_ASK:
		return &c->ask[p];
	case CERT_KIND_ASVK:
		return &c->asvk[p];
	default:
		return NULL;
	}
}

int certs_add(struct certs *c, X509 *x, const char *src, struct snp_err *err)
{
	enum snp_product p;
	enum cert_kind k = certs_classify(x, &p);
	X509 **s = slot(c, k, p);
	int ret = SNP_E_INTERNAL;

	if (!s) {
		ret = 0; /* not an AMD SEV certificate: not ours to judge */
		goto out;
	}
	if (*s && X509_cmp(*s, x) != 0) {
		ret = snp_errf(err, SNP_E_INVALID, "%s: a second, different %s%s%s certificate", src,
			       cert_kind_name(k), p ? " " : "", p ? snp_product_name(p) : "");
		goto out;
	}
	if (!*s) {
		*s = x;
		x = NULL;
	}
	ret = 0;
out:
	X509_free(x);
	return ret;
}

static bool is_pem(const uint8_t *buf, size_t len)
{
	static const char tag[] = "-----BEGIN";

	for (size_t i = 0; i + sizeof(tag) - 1 <= len; i++)
		if (memcmp(buf + i, tag, sizeof(tag) - 1) == 0)
			return true;
	return false;
}

int certs_parse_all(const uint8_t *buf, size_t len, const char *src, STACK_OF(X509) **out,
		    struct snp_err *err)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	BIO *bio = NULL;
	X509 *x = NULL;
	int ret = SNP_E_INTERNAL;

	*out = NULL;
	if (!sk || len > INT32_MAX) {
		ret = snp_errf(err, SNP_E_NOMEM, "%s: cannot allocate", src);
		goto out;
	}
	ERR_clear_error();
	if (!is_pem(buf, len)) {
		const unsigned char *p = buf;

		x = d2i_X509(NULL, &p, (long)len);
		if (!x || p != buf + len) {
			ERR_clear_error();
			ret = snp_errf(err, SNP_E_INVALID,
				       "%s: not a DER certificate (or trailing bytes) and no PEM block",
				       src);
			goto out;
		}
		if (!sk_X509_push(sk, x)) {
			ret = snp_errf(err, SNP_E_NOMEM, "%s: cannot allocate", src);
			goto out;
		}
		x = NULL;
	} else {
		bio = BIO_new_mem_buf(buf, (int)len);
		if (!bio) {
			ret = snp_err_openssl(err, "%s: BIO_new_mem_buf", src);
			goto out;
		}
		while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
			if (sk_X509_num(sk) == CERTS_PER_FILE_MAX) {
				ret = snp_errf(err, SNP_E_INVALID, "%s: more than %d certificates",
					       src, CERTS_PER_FILE_MAX);
				goto out;
			}
			if (!sk_X509_push(sk, x)) {
				ret = snp_errf(err, SNP_E_NOMEM, "%s: cannot allocate", src);
				goto out;
			}
			x = NULL;
		}
		/* The loop ends at "no start line"; anything else is a broken block. */
		if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE ||
		    sk_X509_num(sk) == 0) {
			ret = snp_err_openssl(err, "%s: bad PEM certificate", src);
			if (err)
				err->code = SNP_E_INVALID;
			ret = SNP_E_INVALID;
			goto out;
		}
		ERR_clear_error();
	}
	*out = sk;
	sk = NULL;
	ret = 0;
out:
	X509_free(x);
	BIO_free(bio);
	sk_X509_pop_free(sk, X509_free);
	return ret;
}

int certs_add_buf(struct certs *c, const uint8_t *buf, size_t len, const char *src,
		  struct snp_err *err)
{
	STACK_OF(X509) *sk = NULL;
	int ret = SNP_E_INTERNAL;

	if ((ret = certs_parse_all(buf, len, src, &sk, err)) != 0)
		goto out;
	while (sk_X509_num(sk) > 0) {
		if ((ret = certs_add(c, sk_X509_shift(sk), src, err)) != 0)
			goto out;
	}
	ret = 0;
out:
	sk_X509_pop_free(sk, X509_free);
	return ret;
}

int certs_load_file(struct certs *c, const char *path, struct snp_err *err)
{
	uint8_t *buf = NULL;
	size_t len;
	int ret = SNP_E_INTERNAL;

	if ((ret = file_read(path, CERT_FILE_MAX, &buf, &len, err)) != 0)
		goto out;
	ret = certs_add_buf(c, buf, len, path, err);
out:
	free(buf);
	return ret;
}

static bool has_cert_suffix(const char *name)
{
	static const char *const sfx[] = { ".pem", ".crt", ".cer", ".der" };
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++)
		if (n > 4 && strcmp(name + n - 4, sfx[i]) == 0)
			return true;
	return false;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int certs_load_dir(struct certs *c, const char *dir, struct snp_err *err)
{
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d = opendir(dir);
	int ret = SNP_E_INTERNAL;

	if (!d) {
		ret = snp_err_sys(err, "%s", dir);
		if (err)
			err->code = SNP_E_INVALID;
		ret = SNP_E_INVALID;
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !has_cert_suffix(de->d_name))
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? 2 * cap : 16) * sizeof(*names));

			if (!nn) {
				ret = snp_errf(err, SNP_E_NOMEM, "%s: cannot allocate", dir);
				goto out;
			}
			names = nn;
		}
		if (!(names[n] = strdup(de->d_name))) {
			ret = snp_errf(err, SNP_E_NOMEM, "%s: cannot allocate", dir);
			goto out;
		}
		n++;
	}
	/* Sorted, so that errors do not depend on readdir order. */
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path)) {
			ret = snp_errf(err, SNP_E_INVALID, "%s/%s: path too long", dir, names[i]);
			goto out;
		}
		if ((ret = certs_load_file(c, path, err)) != 0)
			goto out;
	}
	ret = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (d)
		closedir(d);
	return ret;
}

struct cert_slot {
	bool used;
	unsigned char digest[32]; /* SHA-256 of the entry's bytes */
	X509 *x;
};

struct cert_cache {
	pthread_mutex_t lock;
	struct cert_slot slots[CERT_CACHE_SLOTS];
};

int cert_cache_new(struct cert_cache **out, struct snp_err *err)
{
	struct cert_cache *cc = calloc(1, sizeof(*cc));

	*out = NULL;
	if (!cc)
		return snp_errf(err, SNP_E_NOMEM, "certificate cache: out of memory");
	pthread_mutex_init(&cc->lock, NULL);
	*out = cc;
	return 0;
}

void cert_cache_free(struct cert_cache *cc)
{
	if (!cc)
		return;
	for (size_t i = 0; i < CERT_CACHE_SLOTS; i++)
		X509_free(cc->slots[i].x);
	pthread_mutex_destroy(&cc->lock);
	free(cc);
}

/* One DER certificate from a table entry of blen bytes (hosts may pad an entry). */
static X509 *entry_parse(const unsigned char *p, size_t blen)
{
	const unsigned char *start = p;
	X509 *x = d2i_X509(NULL, &p, (long)blen);

	if (!x || p > start + blen) {
		X509_free(x);
		ERR_clear_error();
		return NULL;
	}
	return x;
}

/* entry_parse through cc: a new reference to the cached X509 for the same bytes. */
static X509 *entry_parse_cached(struct cert_cache *cc, const unsigned char *p, size_t blen)
{
	unsigned char d[32];
	unsigned int dlen = 0;
	struct cert_slot *s;
	X509 *x = NULL;

	if (!cc || EVP_Digest(p, blen, d, &dlen, EVP_sha256(), NULL) != 1 || dlen != sizeof(d))
		return entry_parse(p, blen);
	s = &cc->slots[(d[0] | (size_t)d[1] << 8) % CERT_CACHE_SLOTS];
	pthread_mutex_lock(&cc->lock);
	if (s->used && CRYPTO_memcmp(s->digest, d, sizeof(d)) == 0 && X509_up_ref(s->x) == 1)
		x = s->x;
	pthread_mutex_unlock(&cc->lock);
	if (x || (x = entry_parse(p, blen)) == NULL)
		return x;
	pthread_mutex_lock(&cc->lock);
	if (X509_up_ref(x) == 1) {
		X509_free(s->x);
		s->x = x;
		s->used = true;
		memcpy(s->digest, d, sizeof(d));
	}
	pthread_mutex_unlock(&cc->lock);
	return x;
}

int certs_load_table(struct certs *c, const uint8_t *buf, size_t len, struct snp_err *err)
{
	return certs_load_table_cached(c, NULL, buf, len, err);
}

int certs_load_table_cached(struct certs *c, struct cert_cache *cc, const uint8_t *buf,
			    size_t len, struct snp_err *err)
{
	static const struct {
		const uint8_t *guid;
		const char *name;
	} wanted[] = {
		{ SNP_CERT_GUID_VCEK, "cert table VCEK" },
		{ SNP_CERT_GUID_VLEK, "cert table VLEK" },
		{ SNP_CERT_GUID_ASK, "cert table ASK" },
		{ SNP_CERT_GUID_ARK, "cert table ARK" },
	};
	struct snp_cert_table t;
	int ret = SNP_E_INTERNAL;

	if ((ret = cert_table_parse(buf, len, &t, err)) != 0)
		goto out;
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		const unsigned char *p;
		size_t blen;
		X509 *x;

		p = cert_table_find(&t, wanted[i].guid, &blen);
		if (!p || blen == 0)
			continue;
		if ((x = entry_parse_cached(cc, p, blen)) == NULL) {
			ret = snp_errf(err, SNP_E_INVALID, "%s: not a DER certificate",
				       wanted[i].name);
			goto out;
		}
		if ((ret = certs_add(c, x, wanted[i].name, err)) != 0)
			goto out;
	}
	ret = 0;
out:
	return ret;
}

/* The first certificate of path, or with skip_ark the first that is not an ARK. */
static int load_one(struct certs *c, const char *path, bool skip_ark, X509 **out,
		    struct snp_err *err)
{
	STACK_OF(X509) *sk = NULL;
	uint8_t *buf = NULL;
	size_t len;
	int ret = SNP_E_INTERNAL;

	*out = NULL;
	if ((ret = file_read(path, CERT_FILE_MAX, &buf, &len, err)) != 0 ||
	    (ret = certs_parse_all(buf, len, path, &sk, err)) != 0)
		goto out;
	while (sk_X509_num(sk) > 0) {
		X509 *x = sk_X509_shift(sk);
		enum snp_product p;

		if (!*out && !(skip_ark && certs_classify(x, &p) == CERT_KIND_ARK)) {
			*out = x;
			continue;
		}
		if ((ret = certs_add(c, x, path, err)) != 0)
			goto out;
	}
	if (!*out) {
		ret = snp_errf(err, SNP_E_INVALID, "%s: no certificate besides an ARK", path);
		goto out;
	}
	ret = 0;
out:
	if (ret) {
		X509_free(*out);
		*out = NULL;
	}
	sk_X509_pop_free(sk, X509_free);
	free(buf);
	return ret;
}

/* Replaces *slot with the (first / first non-ARK) certificate of path. */
static int load_slot(struct certs *c, const char *path, bool skip_ark, X509 **slot,
		     struct snp_err *err)
{
	X509 *x = NULL;
	int ret = load_one(c, path, skip_ark, &x, err);

	if (ret == 0) {
		X509_free(*slot);
		*slot = x;
	}
	return ret;
}

int certs_load_vek_file(struct certs *c, const char *path, struct snp_err *err)
{
	return load_slot(c, path, false, &c->vek, err);
}

int certs_load_issuer_file(struct certs *c, const char *path, struct snp_err *err)
{
	return load_slot(c, path, true, &c->issuer, err);
}
