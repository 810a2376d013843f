#include "measure/gctx.h"

#include <string.h>

#include <openssl/evp.h>

#include "abi/endian.h"

/*
 * SHA-384 with the algorithm fetched once and one context reused for every
 * hash of a call: OpenSSL 3's implicit fetch and context set-up per
 * EVP_Digest() call cost about as much as hashing a page.
 */
struct hasher {
	EVP_MD *md;
	EVP_MD_CTX *ctx;
};

static int hasher_open(struct hasher *h, struct snp_err *err)
{
	h->md = EVP_MD_fetch(NULL, "SHA384", NULL);
	h->ctx = EVP_MD_CTX_new();
	if (!h->md || !h->ctx) {
		EVP_MD_CTX_free(h->ctx);
		EVP_MD_free(h->md);
		h->ctx = NULL;
		h->md = NULL;
		return snp_err_openssl(err, "gctx: SHA-384 set-up");
	}
	return 0;
}

static void hasher_close(struct hasher *h)
{
	EVP_MD_CTX_free(h->ctx);
	EVP_MD_free(h->md);
	h->ctx = NULL;
	h->md = NULL;
}

static int hasher_digest(struct hasher *h, const void *data, size_t len, uint8_t out[SNP_LD_SIZE],
			 struct snp_err *err)
{
	unsigned int n = 0;

	if (EVP_DigestInit_ex2(h->ctx, h->md, NULL) != 1 ||
	    EVP_DigestUpdate(h->ctx, data, len) != 1 ||
	    EVP_DigestFinal_ex(h->ctx, out, &n) != 1 || n != SNP_LD_SIZE)
		return snp_err_openssl(err, "gctx: SHA-384");
	return 0;
}

/*
 * A PAGE_INFO buffer whose constant fields (LENGTH, IMI, VMPL permissions)
 * are written once; each step fills in DIGEST_CUR, CONTENTS, type and GPA.
 */
static void page_info_init(uint8_t buf[SNP_PAGE_INFO_SIZE])
{
	struct snp_page_info pi = { 0 };

	page_info_write(&pi, buf);
}

static int step(struct gctx *g, struct hasher *h, uint8_t buf[SNP_PAGE_INFO_SIZE],
		enum snp_page_type type, uint64_t gpa, struct snp_err *err)
{
	int ret;

	memcpy(buf + offsetof(struct snp_page_info_layout, digest_cur), g->ld, SNP_LD_SIZE);
	buf[offsetof(struct snp_page_info_layout, page_type)] = (uint8_t)type;
	le64_put(buf + offsetof(struct snp_page_info_layout, gpa), gpa);
	if ((ret = hasher_digest(h, buf, SNP_PAGE_INFO_SIZE, g->ld, err)) != 0)
		return ret;
	g->npages++;
	return 0;
}

void gctx_init(struct gctx *g)
{
	memset(g, 0, sizeof(*g));
}

void gctx_init_from(struct gctx *g, const uint8_t ld[SNP_LD_SIZE])
{
	memcpy(g->ld, ld, SNP_LD_SIZE);
	g->npages = 0;
}

int gctx_update(struct gctx *g, enum snp_page_type type, uint64_t gpa,
		const uint8_t contents[SNP_LD_SIZE], struct snp_err *err)
{
	uint8_t buf[SNP_PAGE_INFO_SIZE];
	struct hasher h;
	int ret;

	if ((ret = hasher_open(&h, err)) != 0)
		return ret;
	page_info_init(buf);
	memcpy(buf + offsetof(struct snp_page_info_layout, contents), contents, SNP_LD_SIZE);
	ret = step(g, &h, buf, type, gpa, err);
	hasher_close(&h);
	return ret;
}

int gctx_add_page(struct gctx *g, enum snp_page_type type, uint64_t gpa, const uint8_t *page,
		  struct snp_err *err)
{
	return gctx_add_repeated(g, type, gpa, page, 1, err);
}

/* One step per 4 KiB page of len bytes; data NULL for types without contents. */
static int add_pages(struct gctx *g, enum snp_page_type type, uint64_t gpa, const uint8_t *data,
		     size_t len, struct snp_err *err)
{
	uint8_t buf[SNP_PAGE_INFO_SIZE];
	uint8_t *contents = buf + offsetof(struct snp_page_info_layout, contents);
	struct hasher h;
	int ret;

	if (len % SNP_PAGE_SIZE)
		return snp_errf(err, SNP_E_INVALID,
				"gctx: range of %zu bytes at 0x%llx is not a multiple of 4 KiB", len,
				(unsigned long long)gpa);
	if ((ret = hasher_open(&h, err)) != 0)
		return ret;
	page_info_init(buf);
	for (size_t off = 0; off < len; off += SNP_PAGE_SIZE) {
		if ((data && (ret = hasher_digest(&h, data + off, SNP_PAGE_SIZE, contents, err)) != 0) ||
		    (ret = step(g, &h, buf, type, gpa + off, err)) != 0)
			break;
	}
	hasher_close(&h);
	return ret;
}

int gctx_add_range(struct gctx *g, uint64_t gpa, const uint8_t *data, size_t len,
		   struct snp_err *err)
{
	if (!data && len)
		return snp_errf(err, SNP_E_INTERNAL, "gctx: NORMAL range at 0x%llx has no contents",
				(unsigned long long)gpa);
	return add_pages(g, SNP_PAGE_TYPE_NORMAL, gpa, data, len, err);
}

int gctx_add_zero_range(struct gctx *g, enum snp_page_type type, uint64_t gpa, size_t len,
			struct snp_err *err)
{
	if (type != SNP_PAGE_TYPE_ZERO && type != SNP_PAGE_TYPE_UNMEASURED)
		return snp_errf(err, SNP_E_INVALID, "gctx: %s pages have contents",
				snp_page_type_name(type));
	return add_pages(g, type, gpa, NULL, len, err);
}

int gctx_add_repeated(struct gctx *g, enum snp_page_type type, uint64_t gpa, const uint8_t *page,
		      size_t count, struct snp_err *err)
{
	uint8_t buf[SNP_PAGE_INFO_SIZE];
	uint8_t *contents = buf + offsetof(struct snp_page_info_layout, contents);
	struct hasher h;
	int ret;

	if ((type == SNP_PAGE_TYPE_NORMAL || type == SNP_PAGE_TYPE_VMSA) && !page)
		return snp_errf(err, SNP_E_INTERNAL, "gctx: %s page at 0x%llx has no contents",
				snp_page_type_name(type), (unsigned long long)gpa);
	if (count == 0)
		return 0;
	if ((ret = hasher_open(&h, err)) != 0)
		return ret;
	page_info_init(buf);
	if (type == SNP_PAGE_TYPE_NORMAL || type == SNP_PAGE_TYPE_VMSA)
		ret = hasher_digest(&h, page, SNP_PAGE_SIZE, contents, err);
	for (size_t i = 0; ret == 0 && i < count; i++)
		ret = step(g, &h, buf, type, gpa, err);
	hasher_close(&h);
	return ret;
}
