/*
 * The fake KVM (tests/launcher/fake-kvm.h). Rules follow Linux 6.12
 * Documentation/virt/kvm/api.rst (guest_memfd, KVM_SET_USER_MEMORY_REGION2,
 * KVM_SET_MEMORY_ATTRIBUTES) and Documentation/virt/kvm/x86/
 * amd-memory-encryption.rst (KVM_SEV_INIT2, KVM_SEV_SNP_LAUNCH_*), and
 * arch/x86/kvm/svm/sev.c for the checks those documents leave implicit.
 */
#include "tests/launcher/fake-kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "abi/cpuid-page.h"
#include "abi/sev-status.h"
#include "abi/vmsa.h"
#include "launcher/kvm-compat.h"
#include "sim/cpuid.h"
#include "tests/sim/simtest.h"

enum { FD_FREE, FD_KVM, FD_SEV, FD_VM, FD_VCPU, FD_GMEM };

#define FD_BASE 1000
#define PAGE 4096ull
#define SNP_ACTIVE 0x1ull
#define EFER_SVME 0x1000ull

static int refuse(struct fake_kvm *fk, const char *fmt, ...) SNP_PRINTF(2, 3);
static int refuse(struct fake_kvm *fk, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fk->why, sizeof(fk->why), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static int new_fd(struct fake_kvm *fk, int kind, int idx)
{
	for (int i = 0; i < FAKE_KVM_MAX_FDS; i++) {
		if (fk->fd[i].kind == FD_FREE) {
			fk->fd[i].kind = kind;
			fk->fd[i].idx = idx;
			fk->nopen++;
			return FD_BASE + i;
		}
	}
	return -EMFILE;
}

static int fd_kind(const struct fake_kvm *fk, int fd)
{
	return fd >= FD_BASE && fd < FD_BASE + FAKE_KVM_MAX_FDS ? fk->fd[fd - FD_BASE].kind
								  : FD_FREE;
}

/* The injected failure for this call, if any: -errno with *fw set. */
static int injected(struct fake_kvm *fk, unsigned long req, uint32_t cmd, unsigned n, uint32_t *fw)
{
	for (size_t i = 0; i < sizeof(fk->fail) / sizeof(fk->fail[0]); i++) {
		const struct fake_kvm_fail *f = &fk->fail[i];

		if (!f->req || f->req != req || (req == KVM_MEMORY_ENCRYPT_OP && f->sev_cmd != cmd))
			continue;
		if (n >= f->nth && (f->count == 0 || n < f->nth + f->count)) {
			*fw = f->fw;
			return -f->err;
		}
	}
	return 0;
}

/* ---- /dev/kvm ---- */

static void sim_cpuid_to_kvm(struct fake_kvm *fk, struct kvm_cpuid2 *c)
{
	struct snp_cpuid_page p;

	sim_cpuid_fill(sim_sp_platform(fk->sp), &p);
	c->nent = p.count;
	for (uint32_t i = 0; i < p.count; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		memset(e, 0, sizeof(*e));
		e->function = p.entries[i].eax_in;
		e->index = p.entries[i].ecx_in;
		e->flags = e->index ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
		e->eax = p.entries[i].eax ^ fk->cpuid_flip_all;
		e->ebx = p.entries[i].ebx ^ fk->cpuid_flip_all;
		e->ecx = p.entries[i].ecx ^ fk->cpuid_flip_all ^
			 (e->function == 1 ? fk->cpuid_flip_leaf1_ecx : 0);
		e->edx = p.entries[i].edx ^ fk->cpuid_flip_all;
	}
}

static int kvm_fd_ioctl(struct fake_kvm *fk, unsigned long req, unsigned long arg)
{
	switch (req) {
	case KVM_CHECK_EXTENSION:
		return arg == KVM_CAP_VM_TYPES ? (int)fk->vm_types : 0;
	case KVM_GET_DEVICE_ATTR: {
		struct kvm_device_attr *a = (void *)arg;

		if (a->flags)
			return refuse(fk, "KVM_GET_DEVICE_ATTR: flags 0x%x", a->flags);
		if (a->group == KVM_X86_GRP_SEV && a->attr == KVM_X86_SEV_SNP_REQ_CERTS &&
		    fk->req_certs_attr) {
			*(uint64_t *)(uintptr_t)a->addr = 1;
			return 0;
		}
		if (a->group != KVM_X86_GRP_SEV || a->attr != KVM_X86_SEV_VMSA_FEATURES)
			return -ENXIO;
		*(uint64_t *)(uintptr_t)a->addr = fk->vmsa_features;
		return 0;
	}
	case KVM_GET_VCPU_MMAP_SIZE:
		return (int)(3 * PAGE); /* kvm_run, the PIO data page, the coalesced MMIO ring */
	case KVM_GET_SUPPORTED_CPUID: {
		struct kvm_cpuid2 *c = (void *)arg;

		if (c->nent < SNP_CPUID_MAX_ENTRIES)
			return -E2BIG;
		sim_cpuid_to_kvm(fk, c);
		return 0;
	}
	case KVM_CREATE_VM:
		if (fk->vm)
			return refuse(fk, "KVM_CREATE_VM: this fake holds one VM");
		if (arg != KVM_X86_SNP_VM || !(fk->vm_types & (1u << arg)))
			return refuse(fk, "KVM_CREATE_VM: type %lu", arg);
		fk->vm = true;
		return new_fd(fk, FD_VM, 0);
	}
	return -ENOTTY;
}

/* ---- the SEV commands ---- */

static int sev_init2(struct fake_kvm *fk, const struct kvm_sev_init *in)
{
	if (fk->init2)
		return refuse(fk, "KVM_SEV_INIT2: twice");
	if (in->flags || in->pad1 || !all_zero(in->pad2, sizeof(in->pad2)))
		return refuse(fk, "KVM_SEV_INIT2: flags or padding not zero");
	if (in->vmsa_features & ~fk->vmsa_features)
		return refuse(fk, "KVM_SEV_INIT2: vmsa_features 0x%llx not supported",
			      (unsigned long long)in->vmsa_features);
	if (in->ghcb_version != 0 && in->ghcb_version != 2)
		return refuse(fk, "KVM_SEV_INIT2: ghcb_version %u", in->ghcb_version);
	fk->init2 = true;
	fk->init2_features = in->vmsa_features;
	return 0;
}

static int sev_start(struct fake_kvm *fk, const struct kvm_sev_snp_launch_start *st,
		     uint32_t *fw)
{
	struct snp_err err = { 0 };
	/* KVM 6.12 accepts policy bits 0-17 and 19 only, and needs 16 and 17 (sev.c) */
	const uint64_t allowed = 0xffffull | (1ull << 16) | (1ull << 17) | (1ull << 19);

	if (!fk->init2 || fk->started)
		return refuse(fk, "LAUNCH_START: before INIT2 or twice");
	if (st->flags || !all_zero(st->pad0, sizeof(st->pad0)) ||
	    !all_zero(st->pad1, sizeof(st->pad1)))
		return refuse(fk, "LAUNCH_START: flags or padding not zero");
	if ((st->policy & ~allowed) || !(st->policy & (1ull << 16)) || !(st->policy & (1ull << 17)))
		return refuse(fk, "LAUNCH_START: policy 0x%llx", (unsigned long long)st->policy);
	if (sim_launch_start(fk->sp, st->policy, st->gosvw, &fk->g, fw, &err) != 0) {
		snprintf(fk->why, sizeof(fk->why), "sim: %s", err.msg);
		return -EIO;
	}
	fk->started = true;
	return 0;
}

static struct fake_slot *slot_of(struct fake_kvm *fk, uint64_t gpa, uint64_t len)
{
	for (int i = 0; i < FAKE_KVM_MAX_SLOTS; i++) {
		struct fake_slot *s = &fk->slot[i];

		if (s->used && gpa >= s->gpa && len <= s->size && gpa - s->gpa <= s->size - len)
			return s;
	}
	return NULL;
}

static int sev_update(struct fake_kvm *fk, struct kvm_sev_snp_launch_update *u, uint32_t *fw)
{
	const uint64_t gpa = u->gfn_start * PAGE;
	struct fake_slot *s;
	unsigned n = 0;

	if (!fk->started || fk->finished)
		return refuse(fk, "LAUNCH_UPDATE: outside the launch");
	if (u->flags || u->pad0 || u->pad1 || !all_zero(u->pad2, sizeof(u->pad2)))
		return refuse(fk, "LAUNCH_UPDATE: flags or padding not zero");
	if (u->type != KVM_SEV_SNP_PAGE_TYPE_NORMAL && u->type != KVM_SEV_SNP_PAGE_TYPE_ZERO &&
	    u->type != KVM_SEV_SNP_PAGE_TYPE_UNMEASURED && u->type != KVM_SEV_SNP_PAGE_TYPE_SECRETS &&
	    u->type != KVM_SEV_SNP_PAGE_TYPE_CPUID)
		return refuse(fk, "LAUNCH_UPDATE: type %u", u->type);
	if (!u->len || u->len % PAGE || (u->type != KVM_SEV_SNP_PAGE_TYPE_ZERO && u->uaddr % PAGE))
		return refuse(fk, "LAUNCH_UPDATE: len 0x%llx / uaddr not page-aligned",
			      (unsigned long long)u->len);
	if (!(s = slot_of(fk, gpa, u->len)))
		return refuse(fk, "LAUNCH_UPDATE: GPA 0x%llx+0x%llx not in one guest_memfd slot",
			      (unsigned long long)gpa, (unsigned long long)u->len);
	for (uint64_t p = (gpa - s->gpa) / PAGE; p < (gpa - s->gpa + u->len) / PAGE; p++) {
		if (!s->priv[p])
			return refuse(fk, "LAUNCH_UPDATE: GPA 0x%llx is not private",
				      (unsigned long long)(s->gpa + p * PAGE));
		if (s->done[p])
			return refuse(fk, "LAUNCH_UPDATE: GPA 0x%llx updated twice",
				      (unsigned long long)(s->gpa + p * PAGE));
	}
	if (fk->eagain_every && ++fk->update_calls % fk->eagain_every == 0)
		return -EAGAIN;
	while (u->len && n < fk->max_pages) {
		const uint64_t g = u->gfn_start * PAGE;
		uint8_t page[PAGE], *src = (uint8_t *)(uintptr_t)u->uaddr;
		struct snp_err err = { 0 };

		/* KVM copies from uaddr into the private page; the firmware fills SECRETS itself */
		if (u->type == KVM_SEV_SNP_PAGE_TYPE_NORMAL || u->type == KVM_SEV_SNP_PAGE_TYPE_CPUID)
			memcpy(page, src, PAGE);
		else
			memset(page, 0, PAGE);
		if (sim_launch_update(fk->g, g, page, PAGE, (enum snp_page_type)u->type, fw,
				      &err) != 0) {
			snprintf(fk->why, sizeof(fk->why), "sim: %s", err.msg);
			/* a refused CPUID page: KVM copies the firmware's page back to uaddr */
			if (u->type == KVM_SEV_SNP_PAGE_TYPE_CPUID && *fw == SNP_FW_INVALID_PARAM)
				memcpy(src, page, PAGE);
			return -EIO;
		}
		s->done[(g - s->gpa) / PAGE] = 1;
		u->gfn_start++;
		u->len -= PAGE;
		if (u->type != KVM_SEV_SNP_PAGE_TYPE_ZERO)
			u->uaddr += PAGE;
		n++;
	}
	return 0;
}

/* The VMCB attribute word of a kvm_segment (arch/x86/kvm/svm/svm.c svm_set_segment). */
static uint16_t seg_attrib(const struct kvm_segment *k)
{
	return (uint16_t)((k->type & 0xf) | (k->s & 1) << 4 | (k->dpl & 3) << 5 |
			  ((k->present & 1) && !k->unusable) << 7 | (k->avl & 1) << 8 |
			  (k->l & 1) << 9 | (k->db & 1) << 10 | (k->g & 1) << 11);
}

static struct snp_vmsa_seg seg(const struct kvm_segment *k)
{
	return (struct snp_vmsa_seg){ .selector = k->selector, .attrib = seg_attrib(k),
				      .limit = k->limit, .base = k->base };
}

/* The VMSA KVM builds from vCPU v's registers (sev.c sev_es_sync_vmsa). */
static int vmsa_from_regs(struct fake_kvm *fk, unsigned idx, struct snp_vmsa *v)
{
	const struct fake_vcpu *c = &fk->vcpu[idx];
	const struct kvm_sregs *s = c->sregs;
	const struct kvm_regs *r = c->regs;

	if (!c->sregs_set || !c->regs_set)
		return refuse(fk, "LAUNCH_FINISH: vCPU %u registers never set", idx);
	if (r->rax || r->rbx || r->rcx || r->rbp || r->r8 || r->r9 || r->r10 || r->r11 || r->r12 ||
	    r->r13 || r->r14 || r->r15)
		return refuse(fk, "LAUNCH_FINISH: vCPU %u: registers this fake cannot encode", idx);
	memset(v, 0, sizeof(*v));
	v->es = seg(&s->es);
	v->cs = seg(&s->cs);
	v->ss = seg(&s->ss);
	v->ds = seg(&s->ds);
	v->fs = seg(&s->fs);
	v->gs = seg(&s->gs);
	v->ldtr = seg(&s->ldt);
	v->tr = seg(&s->tr);
	v->gdtr = (struct snp_vmsa_seg){ .limit = s->gdt.limit, .base = s->gdt.base };
	v->idtr = (struct snp_vmsa_seg){ .limit = s->idt.limit, .base = s->idt.base };
	v->efer = s->efer | EFER_SVME; /* svm_set_efer keeps SVME set in the VMCB */
	v->cr0 = s->cr0;
	v->cr3 = s->cr3;
	v->cr4 = s->cr4;
	v->dr6 = 0xffff0ff0;       /* DR6_ACTIVE_LOW at reset */
	v->dr7 = 0x400;            /* DR7_FIXED_1 at reset */
	v->g_pat = 0x0007040600070406ull; /* MSR_IA32_CR_PAT_DEFAULT */
	v->rflags = r->rflags;
	v->rip = r->rip;
	v->rsp = r->rsp;
	v->rdx = r->rdx;
	v->rsi = r->rsi;
	v->rdi = r->rdi;
	v->sev_features = fk->init2_features | SNP_ACTIVE;
	v->xcr0 = c->xcr0;
	v->mxcsr = c->mxcsr;
	v->x87_fcw = c->fcw;
	v->x87_fsw = c->fsw;
	v->x87_ftw = c->ftw;
	return 0;
}

static int sev_finish(struct fake_kvm *fk, const struct kvm_sev_snp_launch_finish *f, uint32_t *fw)
{
	struct snp_err err = { 0 };
	int ret;

	if (!fk->started || fk->finished)
		return refuse(fk, "LAUNCH_FINISH: outside the launch");
	if (f->flags || f->vcek_disabled || !all_zero(f->pad0, sizeof(f->pad0)) ||
	    !all_zero(f->pad1, sizeof(f->pad1)))
		return refuse(fk, "LAUNCH_FINISH: flags or padding not zero");
	if (f->id_block_en > 1 || f->auth_key_en > 1 ||
	    (f->id_block_en && (!f->id_block_uaddr || !f->id_auth_uaddr)))
		return refuse(fk, "LAUNCH_FINISH: id_block_en %u auth_key_en %u", f->id_block_en,
			      f->auth_key_en);
	if (!fk->nvcpus)
		return refuse(fk, "LAUNCH_FINISH: no vCPU");
	for (unsigned i = 0; i < fk->nvcpus; i++) {
		struct snp_vmsa v;
		uint8_t page[SNP_VMSA_SIZE];

		if ((ret = vmsa_from_regs(fk, i, &v)) != 0)
			return ret;
		vmsa_write(&v, page);
		if (sim_launch_update(fk->g, SNP_VMSA_GPA, page, sizeof(page), SNP_PAGE_TYPE_VMSA, fw,
				      &err) != 0) {
			snprintf(fk->why, sizeof(fk->why), "sim: VMSA: %s", err.msg);
			return -EIO;
		}
	}
	if (sim_launch_finish(fk->g, f->id_block_en ? (void *)(uintptr_t)f->id_block_uaddr : NULL,
			      f->id_block_en ? (void *)(uintptr_t)f->id_auth_uaddr : NULL,
			      f->auth_key_en, f->host_data, fw, &err) != 0) {
		snprintf(fk->why, sizeof(fk->why), "sim: %s", err.msg);
		return -EIO;
	}
	fk->finished = true;
	return 0;
}

static int sev_op(struct fake_kvm *fk, struct kvm_sev_cmd *c)
{
	void *data = (void *)(uintptr_t)c->data;
	uint32_t fw = 0;
	int r;

	c->error = 0;
	if (c->id < sizeof(fk->sev_calls) / sizeof(fk->sev_calls[0]))
		fk->sev_calls[c->id]++;
	if ((r = injected(fk, KVM_MEMORY_ENCRYPT_OP, c->id,
			  c->id < 128 ? fk->sev_calls[c->id] : 0, &fw)) != 0) {
		c->error = fw;
		snprintf(fk->why, sizeof(fk->why), "injected");
		return r;
	}
	if (c->id == KVM_SEV_SNP_ENABLE_REQ_CERTS) {
		/* amd-memory-encryption.rst (7.0): after INIT2, before any vCPU; no data */
		if (!fk->req_certs_attr || !fk->init2 || fk->nvcpus || fk->req_certs)
			return refuse(fk, "ENABLE_REQ_CERTS: unsupported, before INIT2, after vCPUs "
					  "or twice");
		fk->req_certs = true;
		return 0;
	}
	if (!data)
		return refuse(fk, "KVM_MEMORY_ENCRYPT_OP: no data");
	if (c->id != KVM_SEV_INIT2 && fd_kind(fk, (int)c->sev_fd) != FD_SEV)
		return refuse(fk, "KVM_MEMORY_ENCRYPT_OP: sev_fd %u is not /dev/sev", c->sev_fd);
	switch (c->id) {
	case KVM_SEV_INIT2:
		r = sev_init2(fk, data);
		break;
	case KVM_SEV_SNP_LAUNCH_START:
		r = sev_start(fk, data, &fw);
		break;
	case KVM_SEV_SNP_LAUNCH_UPDATE:
		r = sev_update(fk, data, &fw);
		break;
	case KVM_SEV_SNP_LAUNCH_FINISH:
		r = sev_finish(fk, data, &fw);
		break;
	default:
		return refuse(fk, "KVM_MEMORY_ENCRYPT_OP: command %u", c->id);
	}
	c->error = fw;
	return r;
}

/* ---- the VM fd ---- */

static int set_region2(struct fake_kvm *fk, const struct kvm_userspace_memory_region2 *m)
{
	struct fake_slot *s;
	int gk = fd_kind(fk, (int)m->guest_memfd);
	uint64_t np;

	if (!fk->init2)
		return refuse(fk, "REGION2: before KVM_SEV_INIT2");
	if (m->slot >= FAKE_KVM_MAX_SLOTS || fk->slot[m->slot].used)
		return refuse(fk, "REGION2: slot %u", m->slot);
	if (m->flags != KVM_MEM_GUEST_MEMFD || m->pad1 || !all_zero(m->pad2, sizeof(m->pad2)))
		return refuse(fk, "REGION2: flags 0x%x or padding", m->flags);
	if (!m->memory_size || (m->guest_phys_addr | m->memory_size | m->userspace_addr |
				m->guest_memfd_offset) % PAGE)
		return refuse(fk, "REGION2: not page-aligned");
	if (gk != FD_GMEM)
		return refuse(fk, "REGION2: guest_memfd %u is not a guest_memfd", m->guest_memfd);
	if (m->guest_memfd_offset + m->memory_size >
	    fk->gmem_size[fk->fd[m->guest_memfd - FD_BASE].idx])
		return refuse(fk, "REGION2: beyond the guest_memfd");
	for (int i = 0; i < FAKE_KVM_MAX_SLOTS; i++) {
		const struct fake_slot *o = &fk->slot[i];

		if (o->used && m->guest_phys_addr < o->gpa + o->size &&
		    o->gpa < m->guest_phys_addr + m->memory_size)
			return refuse(fk, "REGION2: overlaps slot %d", i);
	}
	np = m->memory_size / PAGE;
	s = &fk->slot[m->slot];
	*s = (struct fake_slot){ .used = true, .gpa = m->guest_phys_addr, .size = m->memory_size,
				 .uaddr = m->userspace_addr,
				 .gmem = fk->fd[m->guest_memfd - FD_BASE].idx,
				 .priv = calloc(np, 1), .done = calloc(np, 1) };
	if (!s->priv || !s->done) {
		free(s->priv);
		free(s->done);
		s->used = false;
		return -ENOMEM;
	}
	return 0;
}

static int set_attributes(struct fake_kvm *fk, const struct kvm_memory_attributes *a)
{
	if (a->flags || (a->attributes & ~KVM_MEMORY_ATTRIBUTE_PRIVATE))
		return refuse(fk, "ATTRIBUTES: flags 0x%llx attributes 0x%llx",
			      (unsigned long long)a->flags, (unsigned long long)a->attributes);
	if (!a->size || (a->address | a->size) % PAGE || a->address + a->size < a->address)
		return refuse(fk, "ATTRIBUTES: range not page-aligned");
	for (uint64_t g = a->address; g < a->address + a->size; g += PAGE) {
		struct fake_slot *s = slot_of(fk, g, PAGE);

		if (!s)
			return refuse(fk, "ATTRIBUTES: GPA 0x%llx in no slot (fake restriction)",
				      (unsigned long long)g);
		s->priv[(g - s->gpa) / PAGE] = a->attributes != 0;
	}
	return 0;
}

static int vm_fd_ioctl(struct fake_kvm *fk, unsigned long req, unsigned long arg)
{
	switch (req) {
	case KVM_ENABLE_CAP: {
		const struct kvm_enable_cap *c = (void *)arg;

		if (c->cap != KVM_CAP_EXIT_HYPERCALL || c->flags ||
		    c->args[0] != (1ull << KVM_HC_MAP_GPA_RANGE) || c->args[1] || c->args[2] ||
		    c->args[3] || !all_zero(c->pad, sizeof(c->pad)))
			return refuse(fk, "KVM_ENABLE_CAP: cap %u args 0x%llx", c->cap,
				      (unsigned long long)c->args[0]);
		fk->exit_hc = true;
		return 0;
	}
	case KVM_CREATE_IRQCHIP:
		if (fk->irqchip || fk->nvcpus)
			return refuse(fk, "KVM_CREATE_IRQCHIP: twice or after vCPUs");
		fk->irqchip = true;
		return 0;
	case KVM_MEMORY_ENCRYPT_OP:
		return sev_op(fk, (struct kvm_sev_cmd *)arg);
	case KVM_CREATE_GUEST_MEMFD: {
		const struct kvm_create_guest_memfd *g = (void *)arg;

		if (!fk->init2)
			return refuse(fk, "CREATE_GUEST_MEMFD: before INIT2");
		if (!g->size || g->size % PAGE || g->flags || !all_zero(g->reserved, sizeof(g->reserved)))
			return refuse(fk, "CREATE_GUEST_MEMFD: size 0x%llx flags 0x%llx or reserved",
				      (unsigned long long)g->size, (unsigned long long)g->flags);
		if (fk->ngmem == FAKE_KVM_MAX_SLOTS)
			return -ENOSPC;
		fk->gmem_size[fk->ngmem] = g->size;
		return new_fd(fk, FD_GMEM, (int)fk->ngmem++);
	}
	case KVM_SET_USER_MEMORY_REGION2:
		return set_region2(fk, (const void *)arg);
	case KVM_SET_MEMORY_ATTRIBUTES:
		return set_attributes(fk, (const void *)arg);
	case KVM_CREATE_VCPU:
		if (!fk->init2 || fk->finished || arg != fk->nvcpus || arg >= FAKE_KVM_MAX_VCPUS)
			return refuse(fk, "KVM_CREATE_VCPU %lu (next %u)", arg, fk->nvcpus);
		{
			struct fake_vcpu *v = &fk->vcpu[fk->nvcpus];

			v->sregs = calloc(1, sizeof(*v->sregs));
			v->regs = calloc(1, sizeof(*v->regs));
			if (!v->sregs || !v->regs)
				return -ENOMEM;
			/* KVM's reset FPU and XCR0 (x86.c fx_init, kvm_vcpu_reset) */
			v->fcw = 0x37f;
			v->mxcsr = 0x1f80;
			v->xcr0 = 1;
		}
		return new_fd(fk, FD_VCPU, (int)fk->nvcpus++);
	}
	return -ENOTTY;
}

/* ---- KVM_RUN: the script (fake-kvm.h) ---- */

static int vcpu_run(struct fake_kvm *fk, int idx)
{
	struct kvm_run *run = fk->run[idx];
	struct fake_kvm_exit *e;

	if (!fk->finished)
		return refuse(fk, "KVM_RUN on vCPU %d before LAUNCH_FINISH", idx);
	if (!run)
		return refuse(fk, "KVM_RUN on vCPU %d without its kvm_run mapped", idx);
	if (run->immediate_exit)
		return -EINTR;
	if (idx != 0) {
		run->exit_reason = KVM_EXIT_HLT;
		return 0;
	}
	if (fk->run_calls > 0 && fk->run_calls <= fk->nscript) {
		e = &fk->script[fk->run_calls - 1];
		memcpy(e->answer, (uint8_t *)run + SNPVM_KVM_RUN_EXIT_OFF, sizeof(e->answer));
		e->answered = true;
	}
	if (fk->run_calls++ >= fk->nscript) {
		run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
		memset((uint8_t *)run + SNPVM_KVM_RUN_EXIT_OFF, 0, sizeof(fk->script[0].data));
		run->system_event.type = KVM_SYSTEM_EVENT_SHUTDOWN;
		return 0;
	}
	e = &fk->script[fk->run_calls - 1];
	if (e->reason == KVM_EXIT_SNP_REQ_CERTS && !fk->req_certs)
		return refuse(fk, "script: KVM_EXIT_SNP_REQ_CERTS without ENABLE_REQ_CERTS");
	run->exit_reason = e->reason;
	memcpy((uint8_t *)run + SNPVM_KVM_RUN_EXIT_OFF, e->data, sizeof(e->data));
	return e->err ? -e->err : 0;
}

static struct fake_kvm_exit exit_of(int err, uint32_t reason, const uint64_t *u64, size_t n)
{
	struct fake_kvm_exit e = { .err = err, .reason = reason };

	if (n) /* memcpy's source must be valid even for 0 bytes (C11 7.24.1) */
		memcpy(e.data, u64, n * sizeof(*u64));
	return e;
}

struct fake_kvm_exit fake_kvm_exit_map_gpa(uint64_t gpa, uint64_t npages, uint64_t attrs)
{
	const uint64_t v[] = { KVM_HC_MAP_GPA_RANGE, gpa, npages, attrs };

	return exit_of(0, KVM_EXIT_HYPERCALL, v, 4);
}

struct fake_kvm_exit fake_kvm_exit_memory_fault(uint64_t flags, uint64_t gpa, uint64_t size)
{
	const uint64_t v[] = { flags, gpa, size };

	return exit_of(EFAULT, KVM_EXIT_MEMORY_FAULT, v, 3);
}

struct fake_kvm_exit fake_kvm_exit_req_certs(uint64_t gpa, uint64_t npages)
{
	const uint64_t v[] = { gpa, npages };

	return exit_of(0, KVM_EXIT_SNP_REQ_CERTS, v, 2);
}

struct fake_kvm_exit fake_kvm_exit_sev_term(uint64_t ghcb_msr)
{
	/* system_event: type u32, ndata u32, data[0] */
	const uint64_t v[] = { KVM_SYSTEM_EVENT_SEV_TERM | 1ull << 32, ghcb_msr };

	return exit_of(0, KVM_EXIT_SYSTEM_EVENT, v, 2);
}

struct fake_kvm_exit fake_kvm_exit_pio_out(uint16_t port, uint8_t size, const void *bytes)
{
	struct fake_kvm_exit e = { .reason = KVM_EXIT_IO };
	const size_t io_len = 16; /* direction, size, port, count, data_offset (api.rst) */
	uint64_t off = SNPVM_KVM_RUN_EXIT_OFF + io_len;
	uint32_t count = 1;

	e.data[0] = KVM_EXIT_IO_OUT;
	e.data[1] = size;
	memcpy(e.data + 2, &port, sizeof(port));
	memcpy(e.data + 4, &count, sizeof(count));
	memcpy(e.data + 8, &off, sizeof(off));
	if (size > 4)
		size = 4;
	memcpy(e.data + io_len, bytes, size);
	return e;
}

struct fake_kvm_exit fake_kvm_exit_eintr(void)
{
	return exit_of(EINTR, KVM_EXIT_INTR, NULL, 0);
}

uint64_t fake_kvm_answer_u64(const struct fake_kvm_exit *e, unsigned off)
{
	uint64_t v = 0;

	if (off <= sizeof(e->answer) - sizeof(v))
		memcpy(&v, e->answer + off, sizeof(v));
	return v;
}

bool fake_kvm_is_private(const struct fake_kvm *fk, uint64_t gpa, uint64_t len)
{
	for (uint64_t g = gpa & ~(PAGE - 1); g < gpa + len; g += PAGE) {
		const struct fake_slot *s = NULL;

		for (int i = 0; i < FAKE_KVM_MAX_SLOTS && !s; i++)
			if (fk->slot[i].used && g >= fk->slot[i].gpa &&
			    g - fk->slot[i].gpa < fk->slot[i].size)
				s = &fk->slot[i];
		if (!s || !s->priv[(g - s->gpa) / PAGE])
			return false;
	}
	return true;
}

static int vcpu_fd_ioctl(struct fake_kvm *fk, int idx, unsigned long req, unsigned long arg)
{
	struct fake_vcpu *v = &fk->vcpu[idx];

	if (req == KVM_RUN)
		return vcpu_run(fk, idx);
	if (fk->finished && req != KVM_GET_SREGS)
		return refuse(fk, "vCPU %d: register write after LAUNCH_FINISH", idx);
	switch (req) {
	case KVM_SET_CPUID2: {
		const struct kvm_cpuid2 *c = (void *)arg;

		if (c->nent > 256 || c->padding)
			return refuse(fk, "KVM_SET_CPUID2: nent %u", c->nent);
		return 0;
	}
	case KVM_GET_SREGS:
		memcpy((void *)arg, v->sregs, sizeof(*v->sregs));
		return 0;
	case KVM_SET_SREGS:
		memcpy(v->sregs, (void *)arg, sizeof(*v->sregs));
		if (v->sregs->efer & EFER_SVME)
			return refuse(fk, "KVM_SET_SREGS: EFER.SVME without nested SVM");
		v->sregs_set = true;
		return 0;
	case KVM_SET_REGS:
		memcpy(v->regs, (void *)arg, sizeof(*v->regs));
		v->regs_set = true;
		return 0;
	case KVM_SET_FPU: {
		const struct kvm_fpu *f = (void *)arg;

		v->fcw = f->fcw;
		v->fsw = f->fsw;
		v->ftw = f->ftwx;
		v->mxcsr = f->mxcsr;
		return 0;
	}
	case KVM_SET_XCRS: {
		const struct kvm_xcrs *x = (void *)arg;

		if (x->nr_xcrs != 1 || x->flags || x->xcrs[0].xcr != 0 || !(x->xcrs[0].value & 1))
			return refuse(fk, "KVM_SET_XCRS: nr %u xcr %u value 0x%llx", x->nr_xcrs,
				      x->xcrs[0].xcr, (unsigned long long)x->xcrs[0].value);
		v->xcr0 = x->xcrs[0].value;
		return 0;
	}
	}
	return -ENOTTY;
}

/* ---- the ops ---- */

static int f_open(void *ctx, const char *path, int flags)
{
	struct fake_kvm *fk = ctx;
	uint32_t fw;
	int r;

	(void)flags;
	if ((r = injected(fk, FAKE_KVM_REQ_OPEN, 0, ++fk->open_calls, &fw)) != 0)
		return r;
	if (strcmp(path, "/dev/kvm") == 0)
		return new_fd(fk, FD_KVM, 0);
	if (strcmp(path, "/dev/sev") == 0)
		return new_fd(fk, FD_SEV, 0);
	return -ENOENT;
}

/* Every ioctl the fake knows: the number encodes the struct size (_IOW/_IOWR). */
static const unsigned long known[] = {
	KVM_CHECK_EXTENSION, KVM_GET_DEVICE_ATTR, KVM_GET_SUPPORTED_CPUID, KVM_CREATE_VM,
	KVM_ENABLE_CAP, KVM_CREATE_IRQCHIP, KVM_MEMORY_ENCRYPT_OP, KVM_CREATE_GUEST_MEMFD,
	KVM_SET_USER_MEMORY_REGION2, KVM_SET_MEMORY_ATTRIBUTES, KVM_CREATE_VCPU, KVM_SET_CPUID2,
	KVM_GET_SREGS, KVM_SET_SREGS, KVM_SET_REGS, KVM_SET_FPU, KVM_SET_XCRS, KVM_RUN,
	KVM_GET_VCPU_MMAP_SIZE,
};

static int f_ioctl(void *ctx, int fd, unsigned long req, unsigned long arg)
{
	struct fake_kvm *fk = ctx;
	int kind = fd_kind(fk, fd), r;
	uint32_t fw = 0;

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (_IOC_TYPE(req) == KVMIO && _IOC_NR(req) == _IOC_NR(known[i]) && req != known[i])
			return refuse(fk, "ioctl 0x%lx: a struct of %lu bytes where KVM takes %lu", req,
				      (unsigned long)_IOC_SIZE(req), (unsigned long)_IOC_SIZE(known[i]));
	fk->calls[req & 0xff]++;
	if (req != KVM_MEMORY_ENCRYPT_OP &&
	    (r = injected(fk, req, 0, fk->calls[req & 0xff], &fw)) != 0) {
		snprintf(fk->why, sizeof(fk->why), "injected");
		return r;
	}
	switch (kind) {
	case FD_KVM:
		return kvm_fd_ioctl(fk, req, arg);
	case FD_VM:
		return vm_fd_ioctl(fk, req, arg);
	case FD_VCPU:
		return vcpu_fd_ioctl(fk, fk->fd[fd - FD_BASE].idx, req, arg);
	case FD_FREE:
		return -EBADF;
	}
	return -ENOTTY;
}

static int f_mmap(void *ctx, size_t len, int prot, int flags, int fd, void **out)
{
	struct fake_kvm *fk = ctx;
	uint32_t fw;
	void *p;
	int r;

	if ((r = injected(fk, FAKE_KVM_REQ_MMAP, 0, ++fk->mmap_calls, &fw)) != 0)
		return r;
	if (fd_kind(fk, fd) == FD_VCPU) {
		int idx = fk->fd[fd - FD_BASE].idx;

		if ((r = injected(fk, FAKE_KVM_REQ_MMAP_RUN, 0, ++fk->mmap_run_calls, &fw)) != 0)
			return r;

		/* a vCPU's kvm_run: shared, read-write, the size KVM_GET_VCPU_MMAP_SIZE said */
		if (len != 3 * PAGE || !(flags & MAP_SHARED) || prot != (PROT_READ | PROT_WRITE) ||
		    fk->run[idx])
			return refuse(fk, "mmap of vCPU %d: len %zu flags 0x%x prot 0x%x (or twice)",
				      idx, len, flags, prot);
		p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return -errno;
		fk->run[idx] = p;
		fk->nmaps++;
		*out = p;
		return 0;
	}
	if (fd != -1 || !(flags & MAP_ANONYMOUS))
		return refuse(fk, "mmap: only anonymous mappings");
	p = mmap(NULL, len, prot, flags, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	fk->nmaps++;
	*out = p;
	return 0;
}

static void f_munmap(void *ctx, void *addr, size_t len)
{
	struct fake_kvm *fk = ctx;

	for (int i = 0; i < FAKE_KVM_MAX_VCPUS; i++)
		if (fk->run[i] == addr)
			fk->run[i] = NULL;
	munmap(addr, len);
	fk->nmaps--;
}

static int f_fallocate(void *ctx, int fd, int mode, uint64_t off, uint64_t len)
{
	struct fake_kvm *fk = ctx;
	struct fake_kvm_release *r;
	uint32_t fw;
	int e;

	if ((e = injected(fk, FAKE_KVM_REQ_FALLOCATE, 0, ++fk->fallocate_calls, &fw)) != 0)
		return e;
	/* guest_memfd (api.rst KVM_CREATE_GUEST_MEMFD): only PUNCH_HOLE | KEEP_SIZE, in bounds */
	if (fd_kind(fk, fd) != FD_GMEM)
		return refuse(fk, "fallocate on fd %d: not a guest_memfd", fd);
	if (mode != (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE) || (off | len) % PAGE ||
	    !len || off + len < off || off + len > fk->gmem_size[fk->fd[fd - FD_BASE].idx])
		return refuse(fk, "fallocate: mode 0x%x off 0x%llx len 0x%llx", mode,
			      (unsigned long long)off, (unsigned long long)len);
	if (fk->nrelease == FAKE_KVM_MAX_RELEASES)
		return -ENOSPC;
	r = &fk->release[fk->nrelease++];
	*r = (struct fake_kvm_release){ .is_punch = true, .mode = mode, .off = off, .len = len };
	return 0;
}

static int f_madvise(void *ctx, void *addr, size_t len, int advice)
{
	struct fake_kvm *fk = ctx;
	struct fake_kvm_release *r;
	uint32_t fw;
	int e;

	if ((e = injected(fk, FAKE_KVM_REQ_MADVISE, 0, ++fk->madvise_calls, &fw)) != 0)
		return e;
	if (fk->nrelease == FAKE_KVM_MAX_RELEASES)
		return -ENOSPC;
	r = &fk->release[fk->nrelease++];
	*r = (struct fake_kvm_release){ .mode = advice, .off = (uint64_t)(uintptr_t)addr,
					.len = len };
	return madvise(addr, len, advice) < 0 ? -errno : 0;
}

static void f_close(void *ctx, int fd)
{
	struct fake_kvm *fk = ctx;

	if (fd_kind(fk, fd) == FD_FREE) {
		snprintf(fk->why, sizeof(fk->why), "close of fd %d that is not open", fd);
		fk->nopen += 1000; /* a double close makes every leak check fail */
		return;
	}
	fk->fd[fd - FD_BASE].kind = FD_FREE;
	fk->nopen--;
}

void fake_kvm_init(struct fake_kvm *fk, struct sim_sp *sp)
{
	memset(fk, 0, sizeof(*fk));
	fk->ops = (struct kvm_ops){ .open = f_open, .ioctl = f_ioctl, .mmap = f_mmap,
				    .munmap = f_munmap, .close = f_close, .fallocate = f_fallocate,
				    .madvise = f_madvise, .ctx = fk };
	fk->sp = sp;
	fk->vm_types = 1u << KVM_X86_DEFAULT_VM | 1u << KVM_X86_SNP_VM;
	fk->vmsa_features = 0x3e; /* a few VMSA features beyond SNP_ACTIVE, as EPYC hosts offer */
	fk->max_pages = 5;
}

void fake_kvm_fini(struct fake_kvm *fk)
{
	sim_guest_free(fk->g);
	fk->g = NULL;
	for (int i = 0; i < FAKE_KVM_MAX_SLOTS; i++) {
		free(fk->slot[i].priv);
		free(fk->slot[i].done);
		fk->slot[i] = (struct fake_slot){ 0 };
	}
	for (int i = 0; i < FAKE_KVM_MAX_VCPUS; i++) {
		free(fk->vcpu[i].sregs);
		free(fk->vcpu[i].regs);
		fk->vcpu[i] = (struct fake_vcpu){ 0 };
	}
}

const uint8_t *fake_kvm_measurement(const struct fake_kvm *fk)
{
	return fk->finished && fk->g ? fk->g->measurement : NULL;
}

struct sim_sp *fake_kvm_sim_open(char **dir)
{
	struct snp_err err = { 0 };
	struct sim_sp *sp = NULL;

	*dir = simtest_dir(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK);
	if (sim_sp_open(*dir, &sp, &err) != 0)
		fail_msg("sim: %s", err.msg);
	return sp;
}

void fake_kvm_sim_close(struct sim_sp *sp, char *dir)
{
	sim_sp_close(sp);
	rm_rf(dir);
	free(dir);
}
