#include "measure/kernel-hashes.h"

#include <string.h>

#include <openssl/evp.h>

int kernel_hashes_sha256(const void *data, size_t len, uint8_t out[SEV_HASH_SIZE],
			 struct snp_err *err)
{
	unsigned int n = 0;
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
	int ok = md && EVP_Digest(data, len, out, &n, md, NULL) == 1 && n == SEV_HASH_SIZE;

	EVP_MD_free(md);
	return ok ? 0 : snp_err_openssl(err, "SHA-256");
}

int kernel_hashes_compute(const uint8_t *kernel, size_t kernel_len, const uint8_t *initrd,
			  size_t initrd_len, const char *cmdline, struct sev_hashes *h,
			  struct snp_err *err)
{
	int ret = SNP_E_INTERNAL;

	memset(h, 0, sizeof(*h));
	if (!cmdline)
		cmdline = "";
	if ((ret = kernel_hashes_sha256(kernel, kernel_len, h->kernel, err)) != 0 ||
	    (ret = kernel_hashes_sha256(initrd ? initrd : (const uint8_t *)"",
					initrd ? initrd_len : 0, h->initrd, err)) != 0 ||
	    (ret = kernel_hashes_sha256(cmdline, strlen(cmdline) + 1, h->cmdline, err)) != 0)
		return ret;
	return 0;
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
