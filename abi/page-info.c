#include "abi/page-info.h"

#include <stddef.h>
#include <string.h>

#include "abi/endian.h"

_Static_assert(sizeof(struct snp_page_info_layout) == SNP_PAGE_INFO_SIZE, "PAGE_INFO size");
_Static_assert(offsetof(struct snp_page_info_layout, contents) == 0x30, "CONTENTS");
_Static_assert(offsetof(struct snp_page_info_layout, length) == 0x60, "LENGTH");
_Static_assert(offsetof(struct snp_page_info_layout, page_type) == 0x62, "PAGE_TYPE");
_Static_assert(offsetof(struct snp_page_info_layout, vmpl_perms) == 0x64, "VMPL perms");
_Static_assert(offsetof(struct snp_page_info_layout, gpa) == 0x68, "GPA");

const char *snp_page_type_name(unsigned type)
{
	switch (type) {
	case SNP_PAGE_TYPE_NORMAL:
		return "NORMAL";
	case SNP_PAGE_TYPE_VMSA:
		return "VMSA";
	case SNP_PAGE_TYPE_ZERO:
		return "ZERO";
	case SNP_PAGE_TYPE_UNMEASURED:
		return "UNMEASURED";
	case SNP_PAGE_TYPE_SECRETS:
		return "SECRETS";
	case SNP_PAGE_TYPE_CPUID:
		return "CPUID";
	default:
		return "unknown";
	}
}

void page_info_write(const struct snp_page_info *pi, uint8_t out[SNP_PAGE_INFO_SIZE])
{
	memcpy(out + offsetof(struct snp_page_info_layout, digest_cur), pi->digest_cur, 48);
	memcpy(out + offsetof(struct snp_page_info_layout, contents), pi->contents, 48);
	le16_put(out + offsetof(struct snp_page_info_layout, length), SNP_PAGE_INFO_SIZE);
	out[offsetof(struct snp_page_info_layout, page_type)] = pi->page_type;
	out[offsetof(struct snp_page_info_layout, imi_page)] = pi->imi_page;
	memcpy(out + offsetof(struct snp_page_info_layout, vmpl_perms), pi->vmpl_perms, 4);
	le64_put(out + offsetof(struct snp_page_info_layout, gpa), pi->gpa);
}
