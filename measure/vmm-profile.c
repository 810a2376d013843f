#include "measure/vmm-profile.h"

#include <strings.h>

#define SEG(sel, attr, lim, b) { .selector = (sel), .attrib = (attr), .limit = (lim), .base = (b) }

/* Real-mode reset state shared by the three cloud/VMM profiles (sevsnpmeasure/vmsa.py). */
#define REAL_MODE_COMMON                                  \
	.flat_32bit = false,                              \
	.es = SEG(0, 0x93, 0xFFFF, 0),                    \
	.ds = SEG(0, 0x93, 0xFFFF, 0),                    \
	.fs = SEG(0, 0x93, 0xFFFF, 0),                    \
	.gs = SEG(0, 0x93, 0xFFFF, 0),                    \
	.gdtr = SEG(0, 0, 0xFFFF, 0),                     \
	.ldtr = SEG(0, 0x82, 0xFFFF, 0),                  \
	.idtr = SEG(0, 0, 0xFFFF, 0),                     \
	.efer = 0x1000, .cr4 = 0x40, .cr0 = 0x10, .dr7 = 0x400, .dr6 = 0xFFFF0FF0, \
	.rflags = 0x2, .xcr0 = 0x1

static const struct vmm_profile profiles[] = {
	[VMM_QEMU] = {
		.name = "qemu",
		.provenance = "QEMU with KVM_SEV_INIT2 (Linux >= 6.10); sev-snp-measure >= 0.0.10",
		REAL_MODE_COMMON,
		.cs = SEG(0xF000, 0x9B, 0xFFFF, 0),
		.cs_attrib_bsp = 0x9B,
		.ss = SEG(0, 0x93, 0xFFFF, 0),
		.tr = SEG(0, 0x8B, 0xFFFF, 0),
		.g_pat = 0x0007040600070406ull,
		.mxcsr = 0x1F80,
		.x87_fcw = 0x37F,
		.sec_mem_type = SNP_PAGE_TYPE_ZERO,
	},
	[VMM_EC2] = {
		.name = "ec2",
		.provenance = "AWS EC2 as of sev-snp-measure 0.0.13 (RDX 0x600, PR #60)",
		REAL_MODE_COMMON,
		.cs = SEG(0xF000, 0x9B, 0xFFFF, 0),
		.cs_attrib_bsp = 0x9A,
		.ss = SEG(0, 0x92, 0xFFFF, 0),
		.tr = SEG(0, 0x83, 0xFFFF, 0),
		.g_pat = 0x0007040600070406ull,
		.rdx_fixed = true,
		.rdx = 0x600,
		.sec_mem_type = SNP_PAGE_TYPE_ZERO,
		.cpuid_last = true,
	},
	[VMM_GCE] = {
		.name = "gce",
		.provenance = "Google Compute Engine as of sev-snp-measure 0.0.13 (PR #56)",
		REAL_MODE_COMMON,
		.cs = SEG(0xF000, 0x9B, 0xFFFF, 0),
		.cs_attrib_bsp = 0x9B,
		.ss = SEG(0, 0x93, 0xFFFF, 0),
		.tr = SEG(0, 0x8B, 0xFFFF, 0),
		.g_pat = 0x00070106ull,
		.rdx_fixed = true,
		.rdx = 0x600,
		.sec_mem_type = SNP_PAGE_TYPE_UNMEASURED,
	},
	[VMM_QEMU_SVSM] = {
		.name = "qemu-svsm",
		.provenance = "sev-snp-measure 0.0.13 --mode snp:svsm (x87 FCW 0 is that tool's quirk)",
		.flat_32bit = true,
		.es = SEG(0x10, 0xC93, 0xFFFFFFFF, 0),
		.cs = SEG(0x08, 0xC9B, 0xFFFFFFFF, 0),
		.cs_attrib_bsp = 0xC9B,
		.ss = SEG(0x10, 0xC93, 0xFFFFFFFF, 0),
		.ds = SEG(0x10, 0xC93, 0xFFFFFFFF, 0),
		.fs = SEG(0x10, 0xC93, 0xFFFFFFFF, 0),
		.gs = SEG(0, 0x93, 0xFFFF, 0),
		.gdtr = SEG(0, 0, 0xFFFF, 0),
		.ldtr = SEG(0, 0x82, 0xFFFF, 0),
		.idtr = SEG(0, 0, 0xFFFF, 0),
		.tr = SEG(0, 0x8B, 0xFFFF, 0),
		.efer = 0x1000, .cr4 = 0x40, .cr0 = 0x11, .dr7 = 0x400, .dr6 = 0xFFFF0FF0,
		.rflags = 0x2, .xcr0 = 0x1,
		.g_pat = 0x0007040600070406ull,
		.mxcsr = 0x1F80,
		.x87_fcw = 0,
		.sev_features_fixed = true,
		.sev_features = 0x1,
		.sec_mem_type = SNP_PAGE_TYPE_ZERO,
	},
};

const struct vmm_profile *vmm_profile_get(enum vmm_type type)
{
	if ((unsigned)type >= sizeof(profiles) / sizeof(profiles[0]))
		return NULL;
	return &profiles[type];
}

int vmm_profile_find(const char *name, enum vmm_type *type, struct snp_err *err)
{
	static const enum vmm_type selectable[] = { VMM_QEMU, VMM_EC2, VMM_GCE };

	for (size_t i = 0; i < sizeof(selectable) / sizeof(selectable[0]); i++)
		if (strcasecmp(profiles[selectable[i]].name, name) == 0) {
			*type = selectable[i];
			return 0;
		}
	return snp_errf(err, SNP_E_UNSUPPORTED, "VMM type \"%s\" is unknown (want qemu, ec2 or gce)",
			name);
}
