#include "abi/secrets-page.h"

#include <string.h>

#include "abi/endian.h"
#include "abi/reader.h"

#define OFF(f) offsetof(struct snp_secrets_page_layout, f)

_Static_assert(sizeof(struct snp_secrets_page_layout) == SNP_SECRETS_PAGE_SIZE, "secrets page");
_Static_assert(OFF(gosvw) == 0x010, "GOSVW");
_Static_assert(OFF(vmpck) == 0x020, "VMPCK0");
_Static_assert(OFF(os_area) == 0x0A0, "OS area");
_Static_assert(OFF(vmsa_tweak_bitmap) == 0x100, "VMSA tweak bitmap");
_Static_assert(OFF(svsm_base) == 0x140, "SVSM_BASE");
_Static_assert(OFF(svsm_guest_vmpl) == 0x15C, "SVSM_GUEST_VMPL");
_Static_assert(OFF(tsc_factor) == 0x160, "TSC_FACTOR");
_Static_assert(OFF(reserved2) == 0x164, "reserved");

void secrets_page_write(const struct snp_secrets_page *sp, uint8_t out[SNP_SECRETS_PAGE_SIZE])
{
	memset(out, 0, SNP_SECRETS_PAGE_SIZE);
	le32_put(out + OFF(version), sp->version);
	le32_put(out + OFF(flags), sp->flags);
	le32_put(out + OFF(fms), sp->fms);
	memcpy(out + OFF(gosvw), sp->gosvw, sizeof(sp->gosvw));
	memcpy(out + OFF(vmpck), sp->vmpck, sizeof(sp->vmpck));
	memcpy(out + OFF(os_area), sp->os_area, sizeof(sp->os_area));
	memcpy(out + OFF(vmsa_tweak_bitmap), sp->vmsa_tweak_bitmap, sizeof(sp->vmsa_tweak_bitmap));
	le64_put(out + OFF(svsm_base), sp->svsm_base);
	le64_put(out + OFF(svsm_size), sp->svsm_size);
	le64_put(out + OFF(svsm_caa), sp->svsm_caa);
	le32_put(out + OFF(svsm_max_version), sp->svsm_max_version);
	out[OFF(svsm_guest_vmpl)] = sp->svsm_guest_vmpl;
	le32_put(out + OFF(tsc_factor), sp->tsc_factor);
}

int secrets_page_parse(const uint8_t *buf, size_t len, struct snp_secrets_page *out,
		       struct snp_err *err)
{
	struct rd r = rd_init(buf, len, "secrets page");
	int ret = SNP_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	if ((ret = rd_expect_len(&r, SNP_SECRETS_PAGE_SIZE, err)) != 0)
		return ret;
	if ((ret = rd_le32(&r, "VERSION", &out->version, err)) != 0 ||
	    (ret = rd_le32(&r, "flags", &out->flags, err)) != 0 ||
	    (ret = rd_le32(&r, "FMS", &out->fms, err)) != 0 ||
	    (ret = rd_zero(&r, "reserved", 4, err)) != 0 ||
	    (ret = rd_bytes(&r, "GOSVW", out->gosvw, 16, err)) != 0 ||
	    (ret = rd_bytes(&r, "VMPCK0..3", out->vmpck, sizeof(out->vmpck), err)) != 0 ||
	    (ret = rd_bytes(&r, "OS area", out->os_area, 96, err)) != 0 ||
	    (ret = rd_bytes(&r, "VMSA tweak bitmap", out->vmsa_tweak_bitmap, 64, err)) != 0 ||
	    (ret = rd_le64(&r, "SVSM_BASE", &out->svsm_base, err)) != 0 ||
	    (ret = rd_le64(&r, "SVSM_SIZE", &out->svsm_size, err)) != 0 ||
	    (ret = rd_le64(&r, "SVSM_CAA", &out->svsm_caa, err)) != 0 ||
	    (ret = rd_le32(&r, "SVSM_MAX_VERSION", &out->svsm_max_version, err)) != 0 ||
	    (ret = rd_u8(&r, "SVSM_GUEST_VMPL", &out->svsm_guest_vmpl, err)) != 0 ||
	    (ret = rd_zero(&r, "reserved", 3, err)) != 0 ||
	    (ret = rd_le32(&r, "TSC_FACTOR", &out->tsc_factor, err)) != 0 ||
	    (ret = rd_zero(&r, "reserved", 3740, err)) != 0 || (ret = rd_end(&r, err)) != 0)
		goto out;
	if (out->version != 2 && out->version != 3) {
		ret = snp_errf(err, SNP_E_VERSION, "secrets page: VERSION at 0x0: got %u, want 2 or 3",
			       out->version);
		goto out;
	}
	if (out->flags & ~SNP_SECRETS_FLAG_IMIEN) {
		ret = snp_errf(err, SNP_E_RESERVED, "secrets page: flags at 0x4: reserved bits 0x%x",
			       out->flags & ~SNP_SECRETS_FLAG_IMIEN);
		goto out;
	}
	ret = 0;
out:
	if (ret != 0)
		memset(out, 0, sizeof(*out));
	return ret;
}

uint32_t secrets_page_fms(uint8_t family, uint8_t model, uint8_t stepping)
{
	uint32_t base_family = family >= 0xf ? 0xf : family;
	uint32_t ext_family = family >= 0xf ? (uint32_t)family - 0xf : 0;

	return (stepping & 0xfu) | ((model & 0xfu) << 4) | (base_family << 8) |
	       ((uint32_t)(model >> 4) << 16) | (ext_family << 20);
}
