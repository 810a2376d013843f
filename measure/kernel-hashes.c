#include "measure/kernel-hashes.h"

#include <string.h>

#include <openssl/evp.h>

#include "util/file.h"

int kernel_hashes_sha256(const void *data, size_t len, uint8_t out[SEV_HASH_SIZE],
			 struct snp_err *err)
{
	unsigned int n = 0;
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
	int ok = md && EVP_Digest(data, len, out, &n, md, NULL) == 1 && n == SEV_HASH_SIZE;

	EVP_MD_free(md);
	return ok ? 0 : snp_err_openssl(err, "SHA-256");
}

static int cmdline_sha256(const char *cmdline, uint8_t out[SEV_HASH_SIZE], struct snp_err *err)
{
	if (!cmdline)
		cmdline = "";
	return kernel_hashes_sha256(cmdline, strlen(cmdline) + 1, out, err);
}

int kernel_hashes_compute(const uint8_t *kernel, size_t kernel_len, const uint8_t *initrd,
			  size_t initrd_len, const char *cmdline, struct sev_hashes *h,
			  struct snp_err *err)
{
	int ret = SNP_E_INTERNAL;

	memset(h, 0, sizeof(*h));
	if ((ret = kernel_hashes_sha256(kernel, kernel_len, h->kernel, err)) != 0 ||
	    (ret = kernel_hashes_sha256(initrd ? initrd : (const uint8_t *)"",
					initrd ? initrd_len : 0, h->initrd, err)) != 0 ||
	    (ret = cmdline_sha256(cmdline, h->cmdline, err)) != 0)
		return ret;
	return 0;
}

static int sha256_chunk(void *ctx, const uint8_t *data, size_t len, struct snp_err *err)
{
	return EVP_DigestUpdate(ctx, data, len) == 1 ? 0 : snp_err_openssl(err, "SHA-256");
}

int kernel_hashes_sha256_file(const char *path, uint64_t max, uint8_t out[SEV_HASH_SIZE],
			      uint64_t *size, struct snp_err *err)
{
	int ret = SNP_E_INTERNAL;
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;

	*size = 0;
	if (!md || !ctx || EVP_DigestInit_ex(ctx, md, NULL) != 1) {
		ret = snp_err_openssl(err, "SHA-256");
		goto out;
	}
	if ((ret = file_read_chunks(path, max, sha256_chunk, ctx, size, err)) != 0)
		goto out;
	if (EVP_DigestFinal_ex(ctx, out, &n) != 1 || n != SEV_HASH_SIZE) {
		*size = 0;
		ret = snp_err_openssl(err, "SHA-256");
		goto out;
	}
	ret = 0;
out:
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	return ret;
}

int kernel_hashes_compute_files(const char *kernel, const char *initrd, const char *cmdline,
				uint64_t max, struct sev_hashes *h, uint64_t *kernel_len,
				uint64_t *initrd_len, struct snp_err *err)
{
	int ret = SNP_E_INTERNAL;

	memset(h, 0, sizeof(*h));
	*kernel_len = 0;
	*initrd_len = 0;
	if ((ret = kernel_hashes_sha256_file(kernel, max, h->kernel, kernel_len, err)) != 0 ||
	    (ret = initrd ? kernel_hashes_sha256_file(initrd, max, h->initrd, initrd_len, err)
			  : kernel_hashes_sha256("", 0, h->initrd, err)) != 0 ||
	    (ret = cmdline_sha256(cmdline, h->cmdline, err)) != 0)
		goto out;
	ret = 0;
out:
	if (ret)
		memset(h, 0, sizeof(*h));
	return ret;
}

int kernel_hashes_page(const struct sev_hashes *h, uint32_t offset, uint8_t page[SNP_PAGE_SIZE],
		       struct snp_err *err)
{
	if (offset > SNP_PAGE_SIZE - SEV_HASHES_TABLE_SIZE)
		return snp_errf(err, SNP_E_INVALID,
				"SEV hashes table at page offset 0x%x: %d bytes cross the page end",
				offset, SEV_HASHES_TABLE_SIZE);
	memset(page, 0, SNP_PAGE_SIZE);
	sev_hashes_write(h, page + offset);
	return 0;
}
