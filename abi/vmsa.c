#include "abi/vmsa.h"

#include <string.h>

#include "abi/endian.h"
#include "abi/reader.h"

/* AMD64 APM vol. 2 table B-4; reference/snp-launch-digest.md §7.2. */
_Static_assert(sizeof(struct snp_vmsa_seg_layout) == 16, "segment record");
_Static_assert(offsetof(struct snp_vmsa_seg_layout, attrib) == 2, "segment attrib");
_Static_assert(offsetof(struct snp_vmsa_seg_layout, limit) == 4, "segment limit");
_Static_assert(offsetof(struct snp_vmsa_seg_layout, base) == 8, "segment base");
_Static_assert(sizeof(struct snp_vmsa_layout) == SNP_VMSA_SIZE, "VMSA size");
_Static_assert(SNP_VMSA_OFF(es) == 0x000, "ES");
_Static_assert(SNP_VMSA_OFF(cs) == 0x010, "CS");
_Static_assert(SNP_VMSA_OFF(ss) == 0x020, "SS");
_Static_assert(SNP_VMSA_OFF(ds) == 0x030, "DS");
_Static_assert(SNP_VMSA_OFF(fs) == 0x040, "FS");
_Static_assert(SNP_VMSA_OFF(gs) == 0x050, "GS");
_Static_assert(SNP_VMSA_OFF(gdtr) == 0x060, "GDTR");
_Static_assert(SNP_VMSA_OFF(ldtr) == 0x070, "LDTR");
_Static_assert(SNP_VMSA_OFF(idtr) == 0x080, "IDTR");
_Static_assert(SNP_VMSA_OFF(tr) == 0x090, "TR");
_Static_assert(SNP_VMSA_OFF(efer) == 0x0D0, "EFER");
_Static_assert(SNP_VMSA_OFF(cr4) == 0x148, "CR4");
_Static_assert(SNP_VMSA_OFF(cr3) == 0x150, "CR3");
_Static_assert(SNP_VMSA_OFF(cr0) == 0x158, "CR0");
_Static_assert(SNP_VMSA_OFF(dr7) == 0x160, "DR7");
_Static_assert(SNP_VMSA_OFF(dr6) == 0x168, "DR6");
_Static_assert(SNP_VMSA_OFF(rflags) == 0x170, "RFLAGS");
_Static_assert(SNP_VMSA_OFF(rip) == 0x178, "RIP");
_Static_assert(SNP_VMSA_OFF(rsp) == 0x1D8, "RSP");
_Static_assert(SNP_VMSA_OFF(g_pat) == 0x268, "G_PAT");
_Static_assert(SNP_VMSA_OFF(rdx) == 0x310, "RDX");
_Static_assert(SNP_VMSA_OFF(rsi) == 0x330, "RSI");
_Static_assert(SNP_VMSA_OFF(rdi) == 0x338, "RDI");
_Static_assert(SNP_VMSA_OFF(sev_features) == 0x3B0, "SEV_FEATURES");
_Static_assert(SNP_VMSA_OFF(xcr0) == 0x3E8, "XCR0");
_Static_assert(SNP_VMSA_OFF(mxcsr) == 0x408, "MXCSR");
_Static_assert(SNP_VMSA_OFF(x87_ftw) == 0x40C, "X87_FTW");
_Static_assert(SNP_VMSA_OFF(x87_fsw) == 0x40E, "X87_FSW");
_Static_assert(SNP_VMSA_OFF(x87_fcw) == 0x410, "X87_FCW");

/*
 * One table drives both directions, so write and parse are inverses by
 * construction. Sorted by page offset.
 */
struct vmsa_field {
	const char *name;
	size_t off;     /* in the page */
	size_t mem_off; /* in struct snp_vmsa */
	size_t size;    /* 2, 4 or 8 */
};

#define F(name, field, sz) { name, SNP_VMSA_OFF(field), offsetof(struct snp_vmsa, field), sz }
#define SEG(name, s)                                                                   \
	F(name ".selector", s.selector, 2), F(name ".attrib", s.attrib, 2),            \
		F(name ".limit", s.limit, 4), F(name ".base", s.base, 8)

/* The layout struct names segment sub-fields as byte arrays with the same names. */
static const struct vmsa_field fields[] = {
	SEG("ES", es),
	SEG("CS", cs),
	SEG("SS", ss),
	SEG("DS", ds),
	SEG("FS", fs),
	SEG("GS", gs),
	SEG("GDTR", gdtr),
	SEG("LDTR", ldtr),
	SEG("IDTR", idtr),
	SEG("TR", tr),
	F("EFER", efer, 8),
	F("CR4", cr4, 8),
	F("CR3", cr3, 8),
	F("CR0", cr0, 8),
	F("DR7", dr7, 8),
	F("DR6", dr6, 8),
	F("RFLAGS", rflags, 8),
	F("RIP", rip, 8),
	F("RSP", rsp, 8),
	F("G_PAT", g_pat, 8),
	F("RDX", rdx, 8),
	F("RSI", rsi, 8),
	F("RDI", rdi, 8),
	F("SEV_FEATURES", sev_features, 8),
	F("XCR0", xcr0, 8),
	F("MXCSR", mxcsr, 4),
	F("X87_FTW", x87_ftw, 2),
	F("X87_FSW", x87_fsw, 2),
	F("X87_FCW", x87_fcw, 2),
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static uint64_t field_get(const struct snp_vmsa *v, const struct vmsa_field *f)
{
	const uint8_t *p = (const uint8_t *)v + f->mem_off;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	switch (f->size) {
	case 2:
		memcpy(&u16, p, 2);
		return u16;
	case 4:
		memcpy(&u32, p, 4);
		return u32;
	default:
		memcpy(&u64, p, 8);
		return u64;
	}
}

static void field_set(struct snp_vmsa *v, const struct vmsa_field *f, uint64_t val)
{
	uint8_t *p = (uint8_t *)v + f->mem_off;
	uint16_t u16 = (uint16_t)val;
	uint32_t u32 = (uint32_t)val;

	switch (f->size) {
	case 2:
		memcpy(p, &u16, 2);
		break;
	case 4:
		memcpy(p, &u32, 4);
		break;
	default:
		memcpy(p, &val, 8);
		break;
	}
}

void vmsa_write(const struct snp_vmsa *v, uint8_t page[SNP_VMSA_SIZE])
{
	memset(page, 0, SNP_VMSA_SIZE);
	for (size_t i = 0; i < NFIELDS; i++) {
		uint64_t val = field_get(v, &fields[i]);

		switch (fields[i].size) {
		case 2:
			le16_put(page + fields[i].off, (uint16_t)val);
			break;
		case 4:
			le32_put(page + fields[i].off, (uint32_t)val);
			break;
		default:
			le64_put(page + fields[i].off, val);
			break;
		}
	}
}

int vmsa_parse(const uint8_t *buf, size_t len, struct snp_vmsa *v, struct snp_err *err)
{
	int ret = SNP_E_INTERNAL;
	struct rd r = rd_init(buf, len, "VMSA");

	memset(v, 0, sizeof(*v));
	if ((ret = rd_expect_len(&r, SNP_VMSA_SIZE, err)) != 0)
		return ret;
	for (size_t i = 0; i < NFIELDS; i++) {
		const struct vmsa_field *f = &fields[i];
		uint16_t u16;
		uint32_t u32;
		uint64_t u64;

		if ((ret = rd_zero(&r, "reserved", f->off - r.off, err)) != 0)
			goto out;
		switch (f->size) {
		case 2:
			ret = rd_le16(&r, f->name, &u16, err);
			u64 = u16;
			break;
		case 4:
			ret = rd_le32(&r, f->name, &u32, err);
			u64 = u32;
			break;
		default:
			ret = rd_le64(&r, f->name, &u64, err);
			break;
		}
		if (ret != 0)
			goto out;
		field_set(v, f, u64);
	}
	if ((ret = rd_zero(&r, "reserved", rd_left(&r), err)) != 0 || (ret = rd_end(&r, err)) != 0)
		goto out;
	ret = 0;
out:
	return ret;
}
