#include "measure/gctx.h"

#include <string.h>

#include <openssl/evp.h>

void gctx_init(struct gctx *g)
{
	memset(g, 0, sizeof(*g));
}

void gctx_init_from(struct gctx *g, const uint8_t ld[SNP_LD_SIZE])
{
	memcpy(g->ld, ld, SNP_LD_SIZE);
	g->npages = 0;
}

static int sha384(const void *data, size_t len, uint8_t out[SNP_LD_SIZE], struct snp_err *err)
{
	unsigned int n = 0;

	if (EVP_Digest(data, len, out, &n, EVP_sha384(), NULL) != 1 || n != SNP_LD_SIZE)
		return snp_err_openssl(err, "SHA-384");
	return 0;
}

int gctx_update(struct gctx *g, enum snp_page_type type, uint64_t gpa,
		const uint8_t contents[SNP_LD_SIZE], struct snp_err *err)
{
	struct snp_page_info pi = { .page_type = (uint8_t)type, .gpa = gpa };
	uint8_t buf[SNP_PAGE_INFO_SIZE];
	int ret;

	memcpy(pi.digest_cur, g->ld, SNP_LD_SIZE);
	memcpy(pi.contents, contents, SNP_LD_SIZE);
	page_info_write(&pi, buf);
	if ((ret = sha384(buf, sizeof(buf), g->ld, err)) != 0)
		return ret;
	g->npages++;
	return 0;
}

int gctx_add_page(struct gctx *g, enum snp_page_type type, uint64_t gpa, const uint8_t *page,
		  struct snp_err *err)
{
	uint8_t contents[SNP_LD_SIZE] = { 0 };
	int ret;

	if (type == SNP_PAGE_TYPE_NORMAL || type == SNP_PAGE_TYPE_VMSA) {
		if (!page)
			return snp_errf(err, SNP_E_INTERNAL, "gctx: %s page at 0x%llx has no contents",
					snp_page_type_name(type), (unsigned long long)gpa);
		if ((ret = sha384(page, SNP_PAGE_SIZE, contents, err)) != 0)
			return ret;
	}
	return gctx_update(g, type, gpa, contents, err);
}

int gctx_add_range(struct gctx *g, uint64_t gpa, const uint8_t *data, size_t len,
		   struct snp_err *err)
{
	int ret;

	if (len % SNP_PAGE_SIZE)
		return snp_errf(err, SNP_E_INVALID, "gctx: range of %zu bytes at 0x%llx is not a multiple of 4 KiB",
				len, (unsigned long long)gpa);
	for (size_t off = 0; off < len; off += SNP_PAGE_SIZE)
		if ((ret = gctx_add_page(g, SNP_PAGE_TYPE_NORMAL, gpa + off, data + off, err)) != 0)
			return ret;
	return 0;
}
