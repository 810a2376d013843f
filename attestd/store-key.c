/*
 * The master key file: 32 random bytes, a regular file of mode 0600 or
 * stricter owned by the caller (anything else is refused, naming the file
 * and what is wrong with it), and the two keys derived from it with HKDF
 * (RFC 5869, SHA-256): one encrypts, one authenticates, never the same key
 * for both.
 */
#include "attestd/store-int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

int store_master_key_create(const char *path, struct snp_err *err)
{
	uint8_t key[STORE_MASTER_KEY_SIZE];
	int ret = SNP_E_INTERNAL, fd = -1;
	size_t off = 0;

	if (RAND_bytes(key, sizeof(key)) != 1)
		return snp_err_openssl(err, "master key: RAND_bytes");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = snp_err_sys(err, "%s", path);
		goto out;
	}
	/* The umask can only clear bits; fchmod makes the mode exactly 0600 in any case. */
	if (fchmod(fd, 0600) != 0) {
		ret = snp_err_sys(err, "%s: fchmod", path);
		goto out_unlink;
	}
	while (off < sizeof(key)) {
		ssize_t n = write(fd, key + off, sizeof(key) - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = snp_err_sys(err, "%s: write", path);
			goto out_unlink;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0) {
		ret = snp_err_sys(err, "%s: fsync", path);
		goto out_unlink;
	}
	ret = 0;
	goto out;
out_unlink:
	unlink(path);
out:
	if (fd >= 0)
		close(fd);
	secret_wipe(key, sizeof(key));
	return ret;
}

/* The checks of a master key file that the open descriptor shows. */
static int key_file_check(const char *path, const struct stat *st, struct snp_err *err)
{
	if (!S_ISREG(st->st_mode))
		return snp_errf(err, SNP_E_REFUSED, "master key %s: not a regular file", path);
	if (st->st_uid != geteuid())
		return snp_errf(err, SNP_E_REFUSED,
				"master key %s: owned by uid %u, not by this process (uid %u)",
				path, (unsigned)st->st_uid, (unsigned)geteuid());
	if (st->st_mode & 077)
		return snp_errf(err, SNP_E_REFUSED,
				"master key %s: mode %04o lets others read it (want 0600 or stricter)",
				path, (unsigned)(st->st_mode & 07777));
	if (st->st_size != STORE_MASTER_KEY_SIZE)
		return snp_errf(err, SNP_E_REFUSED, "master key %s: %lld bytes, want %d", path,
				(long long)st->st_size, STORE_MASTER_KEY_SIZE);
	return 0;
}

int store_master_key_read(const char *path, struct secret *key, struct snp_err *err)
{
	struct stat st;
	size_t off = 0;
	int ret = SNP_E_INTERNAL, fd;

	key->p = NULL;
	key->len = 0;
	/* O_NOFOLLOW: a symlink is refused (ELOOP) rather than followed to whatever it names. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			return snp_errf(err, SNP_E_REFUSED, "master key %s: a symbolic link", path);
		return snp_err_sys(err, "master key %s", path);
	}
	if (fstat(fd, &st) != 0) {
		ret = snp_err_sys(err, "master key %s", path);
		goto out;
	}
	if ((ret = key_file_check(path, &st, err)) != 0)
		goto out;
	if ((ret = secret_alloc(key, STORE_MASTER_KEY_SIZE)) != 0) {
		snp_errf(err, ret, "master key: out of memory");
		goto out;
	}
	while (off < key->len) {
		ssize_t n = read(fd, key->p + off, key->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = snp_err_sys(err, "master key %s", path);
			goto out;
		}
		if (n == 0) {
			ret = snp_errf(err, SNP_E_SYS, "master key %s: ended after %zu bytes", path,
				       off);
			goto out;
		}
		off += (size_t)n;
	}
	ret = 0;
out:
	if (ret != 0)
		secret_free(key);
	close(fd);
	return ret;
}

static int hkdf(const struct secret *master, const char *label, struct secret *out,
		struct snp_err *err)
{
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *kctx = NULL;
	OSSL_PARAM params[4];
	int ret = SNP_E_INTERNAL;

	if ((ret = secret_alloc(out, 32)) != 0)
		return snp_errf(err, ret, "store keys: out of memory");
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, master->p, master->len);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (char *)label,
						      strlen(label));
	params[3] = OSSL_PARAM_construct_end();
	if (!(kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) || !(kctx = EVP_KDF_CTX_new(kdf)) ||
	    EVP_KDF_derive(kctx, out->p, out->len, params) != 1) {
		ret = snp_err_openssl(err, "store keys: HKDF");
		secret_free(out);
		goto out;
	}
	ret = 0;
out:
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return ret;
}

int store_keys_derive(struct store *s, const struct secret *master, struct snp_err *err)
{
	int ret;

	if ((ret = hkdf(master, "snpvm attestd store: AES-256-GCM", &s->enc_key, err)) != 0 ||
	    (ret = hkdf(master, "snpvm attestd store: HMAC-SHA-256", &s->mac_key, err)) != 0)
		return ret;
	return 0;
}
