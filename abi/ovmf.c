#include "abi/ovmf.h"

#include <stdio.h>
#include <string.h>

#include "abi/reader.h"

/* edk2 ResetVectorVtf0.asm (footer table) and OvmfSevMetadata.asm (SEV metadata). */
_Static_assert(sizeof(struct ovmf_table_entry_tail_layout) == OVMF_TABLE_ENTRY_TAIL, "entry tail");
_Static_assert(offsetof(struct ovmf_table_entry_tail_layout, guid) == 2, "entry GUID");
_Static_assert(sizeof(struct ovmf_sev_es_reset_layout) == 4, "SEV-ES reset block");
_Static_assert(sizeof(struct ovmf_sev_metadata_offset_layout) == 4, "SEV metadata offset");
_Static_assert(sizeof(struct ovmf_sev_hash_table_layout) == 8, "SEV hash table entry");
_Static_assert(offsetof(struct ovmf_sev_hash_table_layout, size) == 4, "hash table size");
_Static_assert(sizeof(struct ovmf_svsm_info_layout) == 4, "SVSM info");
_Static_assert(sizeof(struct ovmf_sev_metadata_header_layout) == OVMF_SEV_METADATA_HEADER_SIZE,
	       "SEV metadata header");
_Static_assert(offsetof(struct ovmf_sev_metadata_header_layout, size) == 0x04, "size");
_Static_assert(offsetof(struct ovmf_sev_metadata_header_layout, version) == 0x08, "version");
_Static_assert(offsetof(struct ovmf_sev_metadata_header_layout, num_sections) == 0x0C, "count");
_Static_assert(sizeof(struct ovmf_sev_section_layout) == OVMF_SEV_SECTION_SIZE, "section");
_Static_assert(offsetof(struct ovmf_sev_section_layout, size) == 0x04, "section size");
_Static_assert(offsetof(struct ovmf_sev_section_layout, type) == 0x08, "section type");

const uint8_t OVMF_GUID_TABLE_FOOTER[OVMF_GUID_SIZE] = {
	0xde, 0x82, 0xb5, 0x96, 0xb2, 0x1f, 0xf7, 0x45,
	0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d,
};
const uint8_t OVMF_GUID_SEV_ES_RESET[OVMF_GUID_SIZE] = {
	0xde, 0x71, 0xf7, 0x00, 0x7e, 0x1a, 0xcb, 0x4f,
	0x89, 0x0e, 0x68, 0xc7, 0x7e, 0x2f, 0xb4, 0x4e,
};
const uint8_t OVMF_GUID_SEV_METADATA[OVMF_GUID_SIZE] = {
	0x66, 0x65, 0x88, 0xdc, 0x4a, 0x98, 0x98, 0x47,
	0xa7, 0x5e, 0x55, 0x85, 0xa7, 0xbf, 0x67, 0xcc,
};
const uint8_t OVMF_GUID_SEV_HASH_TABLE[OVMF_GUID_SIZE] = {
	0x1f, 0x37, 0x55, 0x72, 0x3b, 0x3a, 0x04, 0x4b,
	0x92, 0x7b, 0x1d, 0xa6, 0xef, 0xa8, 0xd4, 0x54,
};
const uint8_t OVMF_GUID_SEV_SECRET[OVMF_GUID_SIZE] = {
	0x61, 0xb3, 0x2e, 0x4c, 0x9b, 0x7d, 0xc3, 0x4c,
	0x80, 0x81, 0x12, 0x7c, 0x90, 0xd3, 0xd2, 0x94,
};
const uint8_t OVMF_GUID_TDX_METADATA[OVMF_GUID_SIZE] = {
	0x35, 0x65, 0x7a, 0xe4, 0x4a, 0x98, 0x98, 0x47,
	0x86, 0x5e, 0x46, 0x85, 0xa7, 0xbf, 0x8e, 0xc2,
};
const uint8_t OVMF_GUID_SVSM_INFO[OVMF_GUID_SIZE] = {
	0x12, 0xa6, 0x89, 0xa7, 0x97, 0x05, 0x4b, 0x4c,
	0xa4, 0x9f, 0xcb, 0xb1, 0xfe, 0x9d, 0x1d, 0xdd,
};

void ovmf_guid_format(const uint8_t g[OVMF_GUID_SIZE], char out[OVMF_GUID_STR_LEN + 1])
{
	snprintf(out, OVMF_GUID_STR_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12],
		 g[13], g[14], g[15]);
}

const char *ovmf_section_type_name(uint32_t type)
{
	switch (type) {
	case OVMF_SECTION_SNP_SEC_MEM:
		return "SNP_SEC_MEM";
	case OVMF_SECTION_SNP_SECRETS:
		return "SNP_SECRETS";
	case OVMF_SECTION_CPUID:
		return "CPUID";
	case OVMF_SECTION_SVSM_CAA:
		return "SVSM_CAA";
	case OVMF_SECTION_SNP_KERNEL_HASHES:
		return "SNP_KERNEL_HASHES";
	default:
		return "unknown";
	}
}

int ovmf_table_parse(const uint8_t *fw, size_t len, struct ovmf_table *t, struct snp_err *err)
{
	int ret = SNP_E_INTERNAL;
	struct rd img = rd_init(fw, len, "OVMF"), tail;
	uint8_t guid[OVMF_GUID_SIZE];
	uint16_t total, elen;
	size_t end, start, n = 0;
	char gs[OVMF_GUID_STR_LEN + 1];

	memset(t, 0, sizeof(*t));
	if (len < OVMF_RESET_VECTOR_SIZE + OVMF_TABLE_ENTRY_TAIL)
		return snp_errf(err, SNP_E_TRUNCATED,
				"OVMF: image of %zu bytes is too small for a GUIDed footer table",
				len);
	end = len - OVMF_RESET_VECTOR_SIZE;
	if ((ret = rd_view(&img, "table footer", end - OVMF_TABLE_ENTRY_TAIL,
			   OVMF_TABLE_ENTRY_TAIL, &tail, err)) != 0 ||
	    (ret = rd_le16(&tail, "total length", &total, err)) != 0 ||
	    (ret = rd_bytes(&tail, "footer GUID", guid, sizeof(guid), err)) != 0)
		return ret;
	if (memcmp(guid, OVMF_GUID_TABLE_FOOTER, sizeof(guid)) != 0)
		return snp_errf(err, SNP_E_INVALID,
				"OVMF: footer GUID at 0x%zx: not the OVMF table footer GUID: the "
				"image has no GUIDed table",
				end - OVMF_GUID_SIZE);
	if (total < OVMF_TABLE_ENTRY_TAIL || total > end)
		return snp_errf(err, SNP_E_INVALID,
				"OVMF: table footer at 0x%zx: total length %u is outside 18..%zu",
				end - OVMF_TABLE_ENTRY_TAIL, total, end);
	start = end - total;
	t->start = start;
	t->len = total;
	end -= OVMF_TABLE_ENTRY_TAIL;
	/* Entries are found walking backwards; collect them, then reverse. */
	while (end - start >= OVMF_TABLE_ENTRY_TAIL) {
		size_t at = end - OVMF_TABLE_ENTRY_TAIL;

		if ((ret = rd_view(&img, "table entry", at, OVMF_TABLE_ENTRY_TAIL, &tail, err)) != 0 ||
		    (ret = rd_le16(&tail, "entry length", &elen, err)) != 0 ||
		    (ret = rd_bytes(&tail, "entry GUID", guid, sizeof(guid), err)) != 0)
			return ret;
		ovmf_guid_format(guid, gs);
		if (elen < OVMF_TABLE_ENTRY_TAIL || elen > end - start)
			return snp_errf(err, SNP_E_INVALID,
					"OVMF: table entry %s at 0x%zx: length %u is below 18 or "
					"crosses the table start 0x%zx",
					gs, at, elen, start);
		if (n == OVMF_TABLE_MAX_ENTRIES)
			return snp_errf(err, SNP_E_UNSUPPORTED,
					"OVMF: table entry at 0x%zx: more than %d entries", at,
					OVMF_TABLE_MAX_ENTRIES);
		for (size_t i = 0; i < n; i++)
			if (memcmp(t->e[i].guid, guid, sizeof(guid)) == 0)
				return snp_errf(err, SNP_E_INVALID,
						"OVMF: table entry %s at 0x%zx: GUID appears twice",
						gs, at);
		memcpy(t->e[n].guid, guid, sizeof(guid));
		t->e[n].data_off = end - elen;
		t->e[n].data_len = elen - OVMF_TABLE_ENTRY_TAIL;
		n++;
		end -= elen;
	}
	if (end != start)
		return snp_errf(err, SNP_E_INVALID,
				"OVMF: table at 0x%zx: %zu stray bytes before the first entry", start,
				end - start);
	for (size_t i = 0; i < n / 2; i++) {
		struct ovmf_table_entry tmp = t->e[i];

		t->e[i] = t->e[n - 1 - i];
		t->e[n - 1 - i] = tmp;
	}
	t->n = n;
	return 0;
}

const struct ovmf_table_entry *ovmf_table_find(const struct ovmf_table *t,
					       const uint8_t guid[OVMF_GUID_SIZE])
{
	for (size_t i = 0; i < t->n; i++)
		if (memcmp(t->e[i].guid, guid, OVMF_GUID_SIZE) == 0)
			return &t->e[i];
	return NULL;
}

/* A reader over one entry's data that must be exactly want bytes long. */
static int entry_view(const uint8_t *fw, size_t len, const struct ovmf_table_entry *e,
		      const char *what, size_t want, struct rd *r, struct snp_err *err)
{
	struct rd img = rd_init(fw, len, "OVMF");
	int ret;

	if ((ret = rd_view(&img, what, e->data_off, e->data_len, r, err)) != 0)
		return ret;
	if (e->data_len != want)
		return snp_errf(err, SNP_E_INVALID, "OVMF: %s at 0x%zx: %zu bytes of data, want %zu",
				what, e->data_off, e->data_len, want);
	return 0;
}

static int entry_u32(const uint8_t *fw, size_t len, const struct ovmf_table_entry *e,
		     const char *what, const char *field, uint32_t *out, struct snp_err *err)
{
	struct rd r;
	int ret;

	*out = 0;
	if ((ret = entry_view(fw, len, e, what, 4, &r, err)) != 0 ||
	    (ret = rd_le32(&r, field, out, err)) != 0)
		return ret;
	return rd_end(&r, err);
}

int ovmf_sev_es_reset_parse(const uint8_t *fw, size_t len, const struct ovmf_table_entry *e,
			    uint32_t *ap_reset_addr, struct snp_err *err)
{
	return entry_u32(fw, len, e, "SEV-ES reset block", "AP reset address", ap_reset_addr, err);
}

int ovmf_sev_metadata_offset_parse(const uint8_t *fw, size_t len,
				   const struct ovmf_table_entry *e, uint32_t *offset_from_end,
				   struct snp_err *err)
{
	return entry_u32(fw, len, e, "SEV metadata offset", "offset", offset_from_end, err);
}

int ovmf_svsm_info_parse(const uint8_t *fw, size_t len, const struct ovmf_table_entry *e,
			 uint32_t *entry_offset, struct snp_err *err)
{
	return entry_u32(fw, len, e, "SVSM info", "entry offset", entry_offset, err);
}

int ovmf_sev_hash_table_parse(const uint8_t *fw, size_t len, const struct ovmf_table_entry *e,
			      uint32_t *base, uint32_t *size, struct snp_err *err)
{
	struct rd r;
	int ret;

	*base = *size = 0;
	if ((ret = entry_view(fw, len, e, "SEV hash table", 8, &r, err)) != 0 ||
	    (ret = rd_le32(&r, "base", base, err)) != 0 ||
	    (ret = rd_le32(&r, "size", size, err)) != 0)
		return ret;
	return rd_end(&r, err);
}

int ovmf_sev_metadata_parse(const uint8_t *fw, size_t len, uint32_t offset_from_end,
			    struct ovmf_sev_metadata *md, struct snp_err *err)
{
	int ret = SNP_E_INTERNAL;
	struct rd img = rd_init(fw, len, "OVMF"), r;
	uint32_t sig, size, count;
	size_t off;

	memset(md, 0, sizeof(*md));
	if (offset_from_end > len || offset_from_end < OVMF_SEV_METADATA_HEADER_SIZE)
		return snp_errf(err, SNP_E_INVALID,
				"OVMF: SEV metadata offset 0x%x is outside the %zu-byte image",
				offset_from_end, len);
	off = len - offset_from_end;
	md->off = off;
	if ((ret = rd_view(&img, "SEV metadata", off, OVMF_SEV_METADATA_HEADER_SIZE, &r, err)) != 0 ||
	    (ret = rd_le32(&r, "signature", &sig, err)) != 0 ||
	    (ret = rd_le32(&r, "size", &size, err)) != 0 ||
	    (ret = rd_le32(&r, "version", &md->version, err)) != 0 ||
	    (ret = rd_le32(&r, "section count", &count, err)) != 0)
		return ret;
	if (sig != OVMF_SEV_METADATA_SIGNATURE)
		return snp_errf(err, SNP_E_INVALID,
				"OVMF: SEV metadata at 0x%zx: signature 0x%08x is not \"ASEV\"", off,
				sig);
	if (md->version != OVMF_SEV_METADATA_VERSION)
		return snp_errf(err, SNP_E_VERSION,
				"OVMF: SEV metadata version at 0x%zx: got %u, want %u", off + 8,
				md->version, OVMF_SEV_METADATA_VERSION);
	if (count == 0 || count > OVMF_SEV_MAX_SECTIONS)
		return snp_errf(err, count ? SNP_E_UNSUPPORTED : SNP_E_INVALID,
				"OVMF: SEV metadata section count at 0x%zx: %u is outside 1..%d",
				off + 12, count, OVMF_SEV_MAX_SECTIONS);
	if (size != OVMF_SEV_METADATA_HEADER_SIZE + OVMF_SEV_SECTION_SIZE * count)
		return snp_errf(err, SNP_E_INVALID,
				"OVMF: SEV metadata size at 0x%zx: got %u, want 16 + 12 * %u = %u",
				off + 4, size, count,
				OVMF_SEV_METADATA_HEADER_SIZE + OVMF_SEV_SECTION_SIZE * count);
	if ((ret = rd_view(&img, "SEV metadata", off, size, &r, err)) != 0 ||
	    (ret = rd_seek(&r, OVMF_SEV_METADATA_HEADER_SIZE, "sections", err)) != 0)
		return ret;
	for (uint32_t i = 0; i < count; i++) {
		struct ovmf_sev_section *s = &md->s[i];

		s->desc_off = rd_pos(&r);
		if ((ret = rd_le32(&r, "section GPA", &s->gpa, err)) != 0 ||
		    (ret = rd_le32(&r, "section size", &s->size, err)) != 0 ||
		    (ret = rd_le32(&r, "section type", &s->type, err)) != 0)
			return ret;
	}
	md->n = count;
	return rd_end(&r, err);
}
