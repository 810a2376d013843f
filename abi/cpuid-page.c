#include "abi/cpuid-page.h"

#include <stdio.h>
#include <string.h>

#include "abi/endian.h"
#include "abi/reader.h"

_Static_assert(sizeof(struct snp_cpuid_entry_layout) == SNP_CPUID_ENTRY_SIZE, "CPUID entry");
_Static_assert(offsetof(struct snp_cpuid_entry_layout, eax) == 0x18, "EAX");
_Static_assert(offsetof(struct snp_cpuid_entry_layout, edx) == 0x24, "EDX");
_Static_assert(SNP_CPUID_HDR_SIZE + SNP_CPUID_MAX_ENTRIES * SNP_CPUID_ENTRY_SIZE <=
		       SNP_CPUID_PAGE_SIZE,
	       "CPUID entries fit the page");

void cpuid_page_write(const struct snp_cpuid_page *page, uint8_t out[SNP_CPUID_PAGE_SIZE])
{
	uint32_t n = page->count > SNP_CPUID_MAX_ENTRIES ? SNP_CPUID_MAX_ENTRIES : page->count;

	memset(out, 0, SNP_CPUID_PAGE_SIZE);
	le32_put(out, n);
	for (uint32_t i = 0; i < n; i++) {
		const struct snp_cpuid_entry *e = &page->entries[i];
		uint8_t *p = out + SNP_CPUID_HDR_SIZE + (size_t)i * SNP_CPUID_ENTRY_SIZE;

		le32_put(p + 0x00, e->eax_in);
		le32_put(p + 0x04, e->ecx_in);
		le64_put(p + 0x08, e->xcr0_in);
		le64_put(p + 0x10, e->xss_in);
		le32_put(p + 0x18, e->eax);
		le32_put(p + 0x1c, e->ebx);
		le32_put(p + 0x20, e->ecx);
		le32_put(p + 0x24, e->edx);
	}
}

int cpuid_page_parse(const uint8_t *buf, size_t len, struct snp_cpuid_page *out,
		     struct snp_err *err)
{
	struct rd r = rd_init(buf, len, "CPUID page");
	int ret = SNP_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	if ((ret = rd_expect_len(&r, SNP_CPUID_PAGE_SIZE, err)) != 0)
		return ret;
	if ((ret = rd_le32(&r, "COUNT", &out->count, err)) != 0 ||
	    (ret = rd_zero(&r, "reserved", 12, err)) != 0)
		goto out;
	if (out->count > SNP_CPUID_MAX_ENTRIES) {
		ret = snp_errf(err, SNP_E_INVALID, "CPUID page: COUNT at 0x0: %u > %u", out->count,
			       SNP_CPUID_MAX_ENTRIES);
		goto out;
	}
	for (uint32_t i = 0; i < out->count; i++) {
		struct snp_cpuid_entry *e = &out->entries[i];
		struct rd er;
		char what[32];

		snprintf(what, sizeof(what), "CPUID entry %u", i);
		if ((ret = rd_view(&r, what, SNP_CPUID_HDR_SIZE + (size_t)i * SNP_CPUID_ENTRY_SIZE,
				   SNP_CPUID_ENTRY_SIZE, &er, err)) != 0)
			goto out;
		if ((ret = rd_le32(&er, "EAX_IN", &e->eax_in, err)) != 0 ||
		    (ret = rd_le32(&er, "ECX_IN", &e->ecx_in, err)) != 0 ||
		    (ret = rd_le64(&er, "XCR0_IN", &e->xcr0_in, err)) != 0 ||
		    (ret = rd_le64(&er, "XSS_IN", &e->xss_in, err)) != 0 ||
		    (ret = rd_le32(&er, "EAX", &e->eax, err)) != 0 ||
		    (ret = rd_le32(&er, "EBX", &e->ebx, err)) != 0 ||
		    (ret = rd_le32(&er, "ECX", &e->ecx, err)) != 0 ||
		    (ret = rd_le32(&er, "EDX", &e->edx, err)) != 0 ||
		    (ret = rd_zero(&er, "reserved", 8, err)) != 0 || (ret = rd_end(&er, err)) != 0)
			goto out;
	}
	if ((ret = rd_seek(&r, SNP_CPUID_HDR_SIZE + (size_t)out->count * SNP_CPUID_ENTRY_SIZE,
			   "unused entries", err)) != 0 ||
	    (ret = rd_zero(&r, "unused entries", rd_left(&r), err)) != 0)
		goto out;
	ret = 0;
out:
	if (ret != 0)
		memset(out, 0, sizeof(*out));
	return ret;
}

bool cpuid_leaf_is_indexed(uint32_t eax_in)
{
	static const uint32_t indexed[] = {
		0x00000004, 0x00000007, 0x0000000b, 0x0000000d, 0x0000000f, 0x00000010,
		0x00000012, 0x00000014, 0x00000017, 0x00000018, 0x0000001d, 0x0000001e,
		0x0000001f, 0x00000020, 0x8000001d, 0x80000020, 0x80000026,
	};

	for (size_t i = 0; i < sizeof(indexed) / sizeof(indexed[0]); i++)
		if (indexed[i] == eax_in)
			return true;
	return false;
}

const struct snp_cpuid_entry *cpuid_page_find(const struct snp_cpuid_page *page, uint32_t eax_in,
					      uint32_t ecx_in)
{
	uint32_t n = page->count > SNP_CPUID_MAX_ENTRIES ? SNP_CPUID_MAX_ENTRIES : page->count;
	bool indexed = cpuid_leaf_is_indexed(eax_in);

	for (uint32_t i = 0; i < n; i++) {
		const struct snp_cpuid_entry *e = &page->entries[i];

		if (e->eax_in == eax_in && (!indexed || e->ecx_in == ecx_in))
			return e;
	}
	return NULL;
}

unsigned cpuid_page_diff(const struct snp_cpuid_page *sent, const struct snp_cpuid_page *fixed,
			 struct snp_cpuid_fixup out[SNP_CPUID_MAX_FIXUPS])
{
	const uint32_t na = sent->count > SNP_CPUID_MAX_ENTRIES ? SNP_CPUID_MAX_ENTRIES : sent->count;
	const uint32_t nb = fixed->count > SNP_CPUID_MAX_ENTRIES ? SNP_CPUID_MAX_ENTRIES
								  : fixed->count;
	unsigned n = 0;

	for (uint32_t i = 0; i < na && i < nb; i++) {
		const struct snp_cpuid_entry *a = &sent->entries[i], *b = &fixed->entries[i];
		const uint32_t ra[4] = { a->eax, a->ebx, a->ecx, a->edx };
		const uint32_t rb[4] = { b->eax, b->ebx, b->ecx, b->edx };

		for (unsigned r = 0; r < 4; r++)
			if (ra[r] != rb[r])
				out[n++] = (struct snp_cpuid_fixup){ .eax_in = a->eax_in,
								     .ecx_in = a->ecx_in, .reg = r,
								     .sent = ra[r], .fixed = rb[r] };
	}
	if (sent->count != fixed->count)
		out[n++] = (struct snp_cpuid_fixup){ .reg = SNP_CPUID_FIXUP_COUNT,
						     .sent = sent->count, .fixed = fixed->count };
	return n;
}

const char *cpuid_fixup_reg_name(unsigned reg)
{
	static const char *const names[] = { "EAX", "EBX", "ECX", "EDX", "count" };

	return reg < sizeof(names) / sizeof(names[0]) ? names[reg] : "?";
}

void cpuid_fixup_format(const struct snp_cpuid_fixup *f, char *buf, size_t len)
{
	if (f->reg == SNP_CPUID_FIXUP_COUNT)
		snprintf(buf, len, "entry count %u->%u", f->sent, f->fixed);
	else
		snprintf(buf, len, "0x%08x.%u %s 0x%08x->0x%08x", f->eax_in, f->ecx_in,
			 cpuid_fixup_reg_name(f->reg), f->sent, f->fixed);
}
