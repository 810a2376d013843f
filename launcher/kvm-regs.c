#include "launcher/kvm-regs.h"

#include <string.h>

/* VMCB segment attributes (APM vol. 2, §15.5.1: type, S, DPL, P, AVL, L, D/B, G). */
static void seg_to_kvm(const struct snp_vmsa_seg *s, struct kvm_segment *k)
{
	memset(k, 0, sizeof(*k));
	k->base = s->base;
	k->limit = s->limit;
	k->selector = s->selector;
	k->type = s->attrib & 0xf;
	k->s = (s->attrib >> 4) & 1;
	k->dpl = (s->attrib >> 5) & 3;
	k->present = (s->attrib >> 7) & 1;
	k->avl = (s->attrib >> 8) & 1;
	k->l = (s->attrib >> 9) & 1;
	k->db = (s->attrib >> 10) & 1;
	k->g = (s->attrib >> 11) & 1;
	k->unusable = !k->present;
}

void kvm_regs_from_vmsa(const struct snp_vmsa *st, struct kvm_sregs *sregs,
			struct kvm_regs *regs)
{
	seg_to_kvm(&st->cs, &sregs->cs);
	seg_to_kvm(&st->ds, &sregs->ds);
	seg_to_kvm(&st->es, &sregs->es);
	seg_to_kvm(&st->fs, &sregs->fs);
	seg_to_kvm(&st->gs, &sregs->gs);
	seg_to_kvm(&st->ss, &sregs->ss);
	seg_to_kvm(&st->tr, &sregs->tr);
	seg_to_kvm(&st->ldtr, &sregs->ldt);
	sregs->gdt = (struct kvm_dtable){ .base = st->gdtr.base, .limit = (uint16_t)st->gdtr.limit };
	sregs->idt = (struct kvm_dtable){ .base = st->idtr.base, .limit = (uint16_t)st->idtr.limit };
	sregs->cr0 = st->cr0;
	sregs->cr3 = st->cr3;
	sregs->cr4 = st->cr4;
	sregs->efer = st->efer;
	memset(regs, 0, sizeof(*regs));
	regs->rip = st->rip;
	regs->rsp = st->rsp;
	regs->rsi = st->rsi;
	regs->rdi = st->rdi;
	regs->rdx = st->rdx;
	regs->rflags = st->rflags ? st->rflags : 0x2; /* bit 1 is always set */
}

void kvm_fpu_from_vmsa(const struct snp_vmsa *st, struct kvm_fpu *fpu)
{
	memset(fpu, 0, sizeof(*fpu));
	fpu->fcw = st->x87_fcw;
	fpu->fsw = st->x87_fsw;
	fpu->ftwx = (uint8_t)st->x87_ftw;
	fpu->mxcsr = st->mxcsr;
}
