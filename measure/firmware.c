#include "measure/firmware.h"

#include <string.h>

#include "abi/page-info.h"
#include "abi/sev-hashes.h"

/* Which entry-data parser reads which GUID. */
static int entries_parse(struct firmware *fw, struct snp_err *err)
{
	const struct ovmf_table_entry *e;
	uint32_t md_off = 0;
	int ret;

	if ((e = ovmf_table_find(&fw->table, OVMF_GUID_SEV_ES_RESET)) != NULL) {
		if ((ret = ovmf_sev_es_reset_parse(fw->data, fw->len, e, &fw->ap_reset_addr, err)))
			return ret;
		fw->has_reset_block = true;
	}
	if ((e = ovmf_table_find(&fw->table, OVMF_GUID_SEV_HASH_TABLE)) != NULL) {
		if ((ret = ovmf_sev_hash_table_parse(fw->data, fw->len, e, &fw->hash_table_base,
						     &fw->hash_table_size, err)))
			return ret;
		fw->has_hash_table = true;
	}
	if ((e = ovmf_table_find(&fw->table, OVMF_GUID_SVSM_INFO)) != NULL) {
		if ((ret = ovmf_svsm_info_parse(fw->data, fw->len, e, &fw->svsm_entry_offset, err)))
			return ret;
		fw->has_svsm_info = true;
	}
	if ((e = ovmf_table_find(&fw->table, OVMF_GUID_SEV_METADATA)) != NULL) {
		if ((ret = ovmf_sev_metadata_offset_parse(fw->data, fw->len, e, &md_off, err)) ||
		    (ret = ovmf_sev_metadata_parse(fw->data, fw->len, md_off, &fw->md, err)))
			return ret;
		fw->has_metadata = true;
	}
	return 0;
}

static bool is_single(uint32_t type)
{
	return type == OVMF_SECTION_SNP_SECRETS || type == OVMF_SECTION_CPUID ||
	       type == OVMF_SECTION_SNP_KERNEL_HASHES;
}

static int section_check(const struct firmware *fw, size_t i, struct snp_err *err)
{
	const struct ovmf_sev_section *s = &fw->md.s[i];
	const char *name = ovmf_section_type_name(s->type);
	uint64_t end = (uint64_t)s->gpa + s->size;

	switch (s->type) {
	case OVMF_SECTION_SNP_SEC_MEM:
	case OVMF_SECTION_SNP_SECRETS:
	case OVMF_SECTION_CPUID:
	case OVMF_SECTION_SVSM_CAA:
	case OVMF_SECTION_SNP_KERNEL_HASHES:
		break;
	default:
		return snp_errf(err, SNP_E_UNSUPPORTED,
				"%s: SEV metadata section %zu at 0x%zx: unknown type 0x%x", fw->what,
				i, s->desc_off, s->type);
	}
	if (s->size == 0 || s->gpa % SNP_PAGE_SIZE || s->size % SNP_PAGE_SIZE)
		return snp_errf(err, SNP_E_INVALID,
				"%s: SEV metadata section %zu (%s) at 0x%zx: GPA 0x%x size 0x%x is "
				"empty or not 4 KiB-aligned",
				fw->what, i, name, s->desc_off, s->gpa, s->size);
	if (end > fw->gpa)
		return snp_errf(err, SNP_E_INVALID,
				"%s: SEV metadata section %zu (%s) at 0x%zx: 0x%x..0x%llx lies "
				"outside guest memory (reaches the firmware at 0x%llx)",
				fw->what, i, name, s->desc_off, s->gpa, (unsigned long long)end,
				(unsigned long long)fw->gpa);
	for (size_t j = 0; j < i; j++) {
		const struct ovmf_sev_section *o = &fw->md.s[j];
		uint64_t oend = (uint64_t)o->gpa + o->size;

		if (s->gpa < oend && o->gpa < end)
			return snp_errf(err, SNP_E_INVALID,
					"%s: SEV metadata section %zu (%s) at 0x%zx: 0x%x..0x%llx "
					"overlaps section %zu (%s) 0x%x..0x%llx",
					fw->what, i, name, s->desc_off, s->gpa,
					(unsigned long long)end, j,
					ovmf_section_type_name(o->type), o->gpa,
					(unsigned long long)oend);
		if (is_single(s->type) && o->type == s->type)
			return snp_errf(err, SNP_E_INVALID,
					"%s: SEV metadata section %zu (%s) at 0x%zx: a second %s "
					"section (the first is section %zu)",
					fw->what, i, name, s->desc_off, name, j);
	}
	return 0;
}

int firmware_parse(const char *what, const uint8_t *data, size_t len, uint64_t end_gpa,
		   struct firmware *fw, struct snp_err *err)
{
	int ret = SNP_E_INTERNAL;

	memset(fw, 0, sizeof(*fw));
	fw->what = what;
	fw->data = data;
	fw->len = len;
	if (len == 0 || len % SNP_PAGE_SIZE)
		return snp_errf(err, SNP_E_INVALID,
				"%s: size %zu (0x%zx) is not a positive multiple of 4096: the last "
				"page would be partial",
				what, len, len);
	if (len > end_gpa)
		return snp_errf(err, SNP_E_INVALID,
				"%s: size 0x%zx does not fit below its end GPA 0x%llx", what, len,
				(unsigned long long)end_gpa);
	fw->gpa = end_gpa - len;
	if ((ret = ovmf_table_parse(data, len, &fw->table, err)) != 0 ||
	    (ret = entries_parse(fw, err)) != 0) {
		/* abi/ovmf names the format ("OVMF: ..."); say which image it was. */
		if (strcmp(what, "OVMF") != 0)
			snp_err_prefix(err, "%s image: ", what);
		goto out;
	}
	for (size_t i = 0; i < fw->md.n; i++)
		if ((ret = section_check(fw, i, err)) != 0)
			goto out;
	ret = 0;
out:
	return ret;
}

const struct ovmf_sev_section *firmware_section(const struct firmware *fw, uint32_t type)
{
	for (size_t i = 0; i < fw->md.n; i++)
		if (fw->md.s[i].type == type)
			return &fw->md.s[i];
	return NULL;
}

static int table_missing(const struct firmware *fw, const char *entry, const uint8_t *guid,
			 const char *why, struct snp_err *err)
{
	char gs[OVMF_GUID_STR_LEN + 1];

	ovmf_guid_format(guid, gs);
	return snp_errf(err, SNP_E_INVALID,
			"%s: footer table at 0x%zx..0x%zx has no %s entry (%s): %s", fw->what,
			fw->table.start, fw->table.start + fw->table.len, entry, gs, why);
}

int firmware_require_reset_block(const struct firmware *fw, struct snp_err *err)
{
	if (fw->has_reset_block)
		return 0;
	return table_missing(fw, "SEV-ES reset block", OVMF_GUID_SEV_ES_RESET,
			     "the APs' start address is unknown", err);
}

int firmware_require_metadata(const struct firmware *fw, struct snp_err *err)
{
	if (fw->has_metadata)
		return 0;
	return table_missing(fw, "SEV metadata", OVMF_GUID_SEV_METADATA,
			     "not an SNP-capable build (sev-snp-measure measures such firmware "
			     "without sections; that must be allowed explicitly)",
			     err);
}

int firmware_kernel_hashes_offset(const struct firmware *fw, uint32_t *page_offset,
				  struct snp_err *err)
{
	const struct ovmf_sev_section *s = firmware_section(fw, OVMF_SECTION_SNP_KERNEL_HASHES);
	const struct ovmf_table_entry *e;
	uint64_t base = fw->hash_table_base;

	*page_offset = 0;
	if (!fw->has_metadata)
		return snp_errf(err, SNP_E_UNSUPPORTED,
				"%s: no SEV metadata, so no SNP_KERNEL_HASHES section: this firmware "
				"cannot do measured direct boot (a kernel needs an AmdSevX64 build)",
				fw->what);
	if (!s)
		return snp_errf(err, SNP_E_UNSUPPORTED,
				"%s: SEV metadata at 0x%zx has no SNP_KERNEL_HASHES section: this "
				"firmware cannot do measured direct boot (a kernel needs an AmdSevX64 "
				"build)",
				fw->what, fw->md.off);
	if (s->size != SNP_PAGE_SIZE)
		return snp_errf(err, SNP_E_INVALID,
				"%s: SNP_KERNEL_HASHES section at 0x%zx: size 0x%x, want 0x1000",
				fw->what, s->desc_off, s->size);
	e = ovmf_table_find(&fw->table, OVMF_GUID_SEV_HASH_TABLE);
	if (!e)
		return table_missing(fw, "SEV hash table", OVMF_GUID_SEV_HASH_TABLE,
				     "no measured direct boot", err);
	if (base == 0)
		return snp_errf(err, SNP_E_UNSUPPORTED,
				"%s: SEV hash table entry at 0x%zx: base 0: no measured direct boot",
				fw->what, e->data_off);
	if (base < s->gpa || base >= (uint64_t)s->gpa + s->size)
		return snp_errf(err, SNP_E_INVALID,
				"%s: SEV hash table entry at 0x%zx: base 0x%llx is not inside the "
				"SNP_KERNEL_HASHES section 0x%x..0x%llx",
				fw->what, e->data_off, (unsigned long long)base, s->gpa,
				(unsigned long long)s->gpa + s->size);
	if (fw->hash_table_size < SEV_HASHES_TABLE_SIZE ||
	    (base & (SNP_PAGE_SIZE - 1)) > SNP_PAGE_SIZE - SEV_HASHES_TABLE_SIZE)
		return snp_errf(err, SNP_E_INVALID,
				"%s: SEV hash table entry at 0x%zx: 0x%x bytes at 0x%llx cannot hold "
				"the %d-byte table inside one page",
				fw->what, e->data_off, fw->hash_table_size,
				(unsigned long long)base, SEV_HASHES_TABLE_SIZE);
	*page_offset = (uint32_t)(base & (SNP_PAGE_SIZE - 1));
	return 0;
}
