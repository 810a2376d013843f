#include "measure/vmsa-build.h"

#include <string.h>

void vmsa_build(const struct vmm_profile *p, bool is_bsp, uint32_t eip, uint32_t vcpu_sig,
		uint64_t guest_features, struct snp_vmsa *v)
{
	memset(v, 0, sizeof(*v));
	v->es = p->es;
	v->cs = p->cs;
	v->ss = p->ss;
	v->ds = p->ds;
	v->fs = p->fs;
	v->gs = p->gs;
	v->gdtr = p->gdtr;
	v->ldtr = p->ldtr;
	v->idtr = p->idtr;
	v->tr = p->tr;
	if (is_bsp)
		v->cs.attrib = p->cs_attrib_bsp;
	if (p->flat_32bit) {
		v->rip = eip;
	} else {
		/* Real mode: the selector stays 0xF000; base and IP split the address. */
		v->cs.base = eip & 0xFFFF0000u;
		v->rip = eip & 0xFFFFu;
	}
	v->efer = p->efer;
	v->cr4 = p->cr4;
	v->cr0 = p->cr0;
	v->dr7 = p->dr7;
	v->dr6 = p->dr6;
	v->rflags = p->rflags;
	v->g_pat = p->g_pat;
	v->rdx = p->rdx_fixed ? p->rdx : vcpu_sig;
	v->sev_features = p->sev_features_fixed ? p->sev_features : guest_features;
	v->xcr0 = p->xcr0;
	v->mxcsr = p->mxcsr;
	v->x87_fcw = p->x87_fcw;
}

void vmsa_build_page(const struct vmm_profile *p, bool is_bsp, uint32_t eip, uint32_t vcpu_sig,
		     uint64_t guest_features, uint8_t page[SNP_VMSA_SIZE])
{
	struct snp_vmsa v;

	vmsa_build(p, is_bsp, eip, vcpu_sig, guest_features, &v);
	vmsa_write(&v, page);
}
