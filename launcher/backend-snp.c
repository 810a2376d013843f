/*
 * The `snp` security backend: the launch on the upstream KVM SEV-SNP API
 * (Linux 6.11+; Documentation/virt/kvm/x86/amd-memory-encryption.rst, and
 * Documentation/virt/kvm/api.rst for guest_memfd and memory attributes):
 *
 *   open     /dev/kvm: KVM_CAP_VM_TYPES has KVM_X86_SNP_VM, the SEV attribute
 *            group gives the VMSA features INIT2 accepts; /dev/sev;
 *            KVM_CREATE_VM(KVM_X86_SNP_VM), KVM_ENABLE_CAP(KVM_CAP_EXIT_HYPERCALL,
 *            KVM_HC_MAP_GPA_RANGE), KVM_CREATE_IRQCHIP, KVM_SEV_INIT2
 *            (vmsa_features = SEV_FEATURES without SNP_ACTIVE, which KVM adds);
 *            guest RAM as slot 0: KVM_CREATE_GUEST_MEMFD + KVM_SET_USER_MEMORY_REGION2
 *            (the launcher's RAM mapping as the shared view) + KVM_SET_MEMORY_ATTRIBUTES
 *            (PRIVATE) on all of it
 *   start    KVM_SEV_SNP_LAUNCH_START (policy, GOSVW)
 *   update   KVM_SEV_SNP_LAUNCH_UPDATE until the whole range is done (KVM may
 *            do part and advance gfn_start/uaddr/len; EAGAIN/EINTR are retried
 *            a bounded number of times without progress). A range outside
 *            every slot (the firmware flash below 4 GiB) gets its own private
 *            slot. A CPUID page is built from KVM_GET_SUPPORTED_CPUID; when
 *            the firmware refuses it, KVM hands back the firmware's corrected
 *            page: every differing register is recorded (backend_snp_cpuid_fixups)
 *            and the launch fails with their count and the first, unless
 *            accept_cpuid_fixup (then the corrected page is submitted once more).
 *   set_vcpu KVM_CREATE_VCPU, KVM_SET_CPUID2, KVM_SET_SREGS/REGS/FPU/XCRS: KVM
 *            builds each VMSA from these registers at LAUNCH_FINISH.
 *   finish   KVM_SEV_SNP_LAUNCH_FINISH (ID block, ID auth, author key, HOST_DATA).
 *   run      (launcher/accel-kvm-snp.c) each vCPU's kvm_run mapped, KVM_RUN; the
 *            SNP exits convert memory (backend_snp_convert: KVM_SET_MEMORY_ATTRIBUTES,
 *            then the unused side released) and, with a certificate table and
 *            Linux 7.0+ (KVM_SEV_SNP_ENABLE_REQ_CERTS after INIT2), serve it.
 *
 * KVM does not return the MEASUREMENT: be->has_measurement is set only when
 * LAUNCH_FINISH accepted an ID block (the firmware then checked that the
 * launch digest equals the block's). Guest requests are handled inside KVM.
 * Every failure names the ioctl, the errno and the firmware status.
 */
#include "launcher/backend.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "abi/cpuid-page.h"
#include "abi/sev-status.h"
#include "launcher/guest-mem.h"
#include "launcher/kvm-compat.h"
#include "launcher/kvm-ops.h"
#include "launcher/kvm-regs.h"

#define SNP_MAX_SLOTS 8
#define SNP_MAX_STALLS 64 /* EAGAIN/EINTR or no progress, in a row */
#define SNP_MAX_CPUID 256
#define SEV_FEATURE_SNP_ACTIVE 0x1ull

struct snp_slot {
	uint64_t gpa, size;
	uint8_t *hva;   /* the shared view */
	bool owned;     /* hva mapped here (else the launcher's RAM) */
	int gmem_fd;
	uint8_t *shared; /* per 4 KiB page: 1 when the page is shared (all private at bind) */
};

struct snp_be {
	const struct kvm_ops *k;
	struct snp_backend_opts o;
	int kvm_fd, sev_fd, vm_fd;
	struct snp_slot slot[SNP_MAX_SLOTS];
	unsigned nslots;
	int *vcpu_fd;
	unsigned nvcpus;
	struct kvm_cpuid2 *cpuid;
	bool started, finished;
	bool req_certs;    /* KVM_SEV_SNP_ENABLE_REQ_CERTS done */
	char certs_note[160]; /* why certificate requests are not enabled */
	struct snp_cpuid_fixup fixups[SNP_CPUID_MAX_FIXUPS]; /* the firmware's CPUID corrections */
	unsigned nfixups;
};

static struct snp_be *priv(struct sev_backend *be)
{
	return be->priv;
}

static int kio(struct snp_be *s, int fd, unsigned long req, const void *arg)
{
	return s->k->ioctl(s->k->ctx, fd, req, (unsigned long)(uintptr_t)arg);
}

static const char *errno_name(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "errno";
}

/* A failed ioctl: SNP_E_NOMEM, SNP_E_REFUSED (firmware status), or SNP_E_SYS. */
static int ioctl_fail(struct sev_backend *be, struct snp_err *err, int rc, uint32_t fw,
		      const char *what)
{
	int e = -rc, code = e == ENOMEM ? SNP_E_NOMEM : fw ? SNP_E_REFUSED : SNP_E_SYS;

	be->fw_status = fw;
	if (fw)
		return snp_errf(err, code, "snp: %s: %s (%s), firmware status %s (0x%02x)", what,
				errno_name(e), strerror(e), snp_fw_status_name(fw), fw);
	return snp_errf(err, code, "snp: %s: %s (%s)", what, errno_name(e), strerror(e));
}

/* KVM_MEMORY_ENCRYPT_OP: the result, with the firmware status in *fw and be->fw_status. */
static int sev_cmd(struct sev_backend *be, uint32_t id, void *data, uint32_t *fw)
{
	struct snp_be *s = priv(be);
	struct kvm_sev_cmd c = { .id = id, .data = (uint64_t)(uintptr_t)data,
				 .sev_fd = (uint32_t)s->sev_fd };
	int r = kio(s, s->vm_fd, KVM_MEMORY_ENCRYPT_OP, &c);

	*fw = r < 0 ? c.error : SNP_FW_SUCCESS;
	be->fw_status = *fw;
	return r;
}

static int get_supported_cpuid(struct sev_backend *be, struct snp_err *err)
{
	struct snp_be *s = priv(be);
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + SNP_MAX_CPUID * sizeof(c->entries[0]));
	int r;

	if (!c)
		return snp_errf(err, SNP_E_NOMEM, "snp: CPUID table: out of memory");
	c->nent = SNP_MAX_CPUID;
	if ((r = kio(s, s->kvm_fd, KVM_GET_SUPPORTED_CPUID, c)) < 0) {
		free(c);
		return ioctl_fail(be, err, r, 0, "KVM_GET_SUPPORTED_CPUID");
	}
	if (c->nent > SNP_MAX_CPUID) {
		uint32_t n = c->nent;

		free(c);
		return snp_errf(err, SNP_E_INVALID, "snp: KVM_GET_SUPPORTED_CPUID: nent %u", n);
	}
	s->cpuid = c;
	return 0;
}

/*
 * The CPUID page from KVM's supported leaves as QEMU target/i386/sev.c builds
 * it: the sub-leaf only where significant; leaf 0xD sub-leaves 0 and 1 with
 * EBX = 0x240 (legacy area + XSAVE header) for XCR0 = 1, which the guest
 * recomputes per component. Leaves outside the standard and extended ranges
 * are left out. More than 64 leaves do not fit the page (SNP_E_UNSUPPORTED).
 */
static int cpuid_page_from_kvm(const struct kvm_cpuid2 *c, struct snp_cpuid_page *p,
			       struct snp_err *err)
{
	memset(p, 0, sizeof(*p));
	for (uint32_t i = 0; i < c->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &c->entries[i];
		struct snp_cpuid_entry *o;

		if (e->function > 0xffff && (e->function < 0x80000000u || e->function > 0x8000ffffu))
			continue;
		if (p->count == SNP_CPUID_MAX_ENTRIES)
			return snp_errf(err, SNP_E_UNSUPPORTED,
					"snp: KVM supports more than %d CPUID leaves: they do not fit "
					"the CPUID page", SNP_CPUID_MAX_ENTRIES);
		o = &p->entries[p->count++];
		o->eax_in = e->function;
		o->ecx_in = (e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ? e->index : 0;
		o->eax = e->eax;
		o->ebx = e->ebx;
		o->ecx = e->ecx;
		o->edx = e->edx;
		if (e->function == 0xd && (e->index == 0 || e->index == 1)) {
			o->ebx = 0x240;
			o->xcr0_in = 1;
		}
	}
	return 0;
}

/* The slot holding [gpa, gpa + len) in *out; outside all: a new one (not yet bound). */
static int slot_for(struct sev_backend *be, uint64_t gpa, uint64_t len, struct snp_slot **out,
		    struct snp_err *err)
{
	struct snp_be *s = priv(be);
	struct snp_slot *sl;
	int r;

	for (unsigned i = 0; i < s->nslots; i++) {
		sl = &s->slot[i];
		*out = sl;
		if (gpa >= sl->gpa && len <= sl->size && gpa - sl->gpa <= sl->size - len)
			return 0;
		if (gpa < sl->gpa + sl->size && sl->gpa < gpa + len)
			return snp_errf(err, SNP_E_INVALID,
					"snp: [0x%llx, +0x%llx) straddles the memslot at 0x%llx",
					(unsigned long long)gpa, (unsigned long long)len,
					(unsigned long long)sl->gpa);
	}
	if (s->nslots == SNP_MAX_SLOTS)
		return snp_errf(err, SNP_E_UNSUPPORTED, "snp: more than %d memslots", SNP_MAX_SLOTS);
	sl = &s->slot[s->nslots];
	*sl = (struct snp_slot){ .gpa = gpa, .size = len, .gmem_fd = -1, .owned = true };
	if ((r = s->k->mmap(s->k->ctx, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, (void **)&sl->hva)) < 0)
		return ioctl_fail(be, err, r, 0, "mmap of a memslot's shared view");
	s->nslots++;
	*out = sl;
	return 0;
}

/* Binds the newest slot to a guest_memfd and makes it private. */
static int slot_bind(struct sev_backend *be, struct snp_slot *sl, unsigned idx,
		     struct snp_err *err)
{
	struct snp_be *s = priv(be);
	struct kvm_create_guest_memfd g = { .size = sl->size };
	struct kvm_userspace_memory_region2 m = {
		.slot = idx,
		.flags = KVM_MEM_GUEST_MEMFD,
		.guest_phys_addr = sl->gpa,
		.memory_size = sl->size,
		.userspace_addr = (uint64_t)(uintptr_t)sl->hva,
	};
	struct kvm_memory_attributes a = { .address = sl->gpa, .size = sl->size,
					   .attributes = KVM_MEMORY_ATTRIBUTE_PRIVATE };
	char what[96];
	int r;

	if (!(sl->shared = calloc(sl->size / SNP_PAGE_SIZE, 1)))
		return snp_errf(err, SNP_E_NOMEM, "snp: memslot page states");
	if ((r = kio(s, s->vm_fd, KVM_CREATE_GUEST_MEMFD, &g)) < 0) {
		snprintf(what, sizeof(what), "KVM_CREATE_GUEST_MEMFD (0x%llx bytes)",
			 (unsigned long long)sl->size);
		return ioctl_fail(be, err, r, 0, what);
	}
	sl->gmem_fd = r;
	m.guest_memfd = (uint32_t)r;
	if ((r = kio(s, s->vm_fd, KVM_SET_USER_MEMORY_REGION2, &m)) < 0) {
		snprintf(what, sizeof(what), "KVM_SET_USER_MEMORY_REGION2 (slot %u at 0x%llx)", idx,
			 (unsigned long long)sl->gpa);
		return ioctl_fail(be, err, r, 0, what);
	}
	if ((r = kio(s, s->vm_fd, KVM_SET_MEMORY_ATTRIBUTES, &a)) < 0) {
		snprintf(what, sizeof(what), "KVM_SET_MEMORY_ATTRIBUTES (PRIVATE, 0x%llx+0x%llx)",
			 (unsigned long long)sl->gpa, (unsigned long long)sl->size);
		return ioctl_fail(be, err, r, 0, what);
	}
	return 0;
}

static int snp_start(struct sev_backend *be, uint64_t policy, struct snp_err *err)
{
	struct snp_be *s = priv(be);
	struct kvm_sev_snp_launch_start st = { .policy = policy };
	uint32_t fw;
	int r;

	if (s->started)
		return snp_errf(err, SNP_E_STATE, "snp backend: a launch was already started");
	memcpy(st.gosvw, s->o.gosvw, sizeof(st.gosvw));
	if ((r = sev_cmd(be, KVM_SEV_SNP_LAUNCH_START, &st, &fw)) < 0)
		return ioctl_fail(be, err, r, fw, "KVM_SEV_SNP_LAUNCH_START");
	s->started = true;
	return 0;
}

/* One LAUNCH_UPDATE range, to the end: partial progress followed, stalls bounded. */
static int update_loop(struct sev_backend *be, uint8_t type, uint64_t gpa, uint8_t *hva,
		       size_t len, uint32_t *fw, struct snp_err *err)
{
	struct kvm_sev_snp_launch_update u = {
		.gfn_start = gpa >> 12, .uaddr = (uint64_t)(uintptr_t)hva, .len = len, .type = type,
	};
	unsigned stalls = 0;
	char what[96];
	int r;

	while (u.len) {
		const uint64_t len0 = u.len, gfn0 = u.gfn_start, ua0 = u.uaddr;
		uint64_t done;

		snprintf(what, sizeof(what), "KVM_SEV_SNP_LAUNCH_UPDATE (type %u, GPA 0x%llx)",
			 type, (unsigned long long)(gfn0 << 12));
		r = sev_cmd(be, KVM_SEV_SNP_LAUNCH_UPDATE, &u, fw);
		if ((r == -EAGAIN || r == -EINTR || (r >= 0 && u.len == len0)) &&
		    ++stalls <= SNP_MAX_STALLS)
			continue;
		if (r < 0)
			return ioctl_fail(be, err, r, *fw, what);
		if (u.len == len0)
			return snp_errf(err, SNP_E_SYS, "snp: %s: no progress after %d attempts", what,
					SNP_MAX_STALLS);
		done = len0 - u.len;
		if (u.len > len0 || done % SNP_PAGE_SIZE || u.gfn_start != gfn0 + done / SNP_PAGE_SIZE ||
		    (type != SNP_PAGE_TYPE_ZERO && u.uaddr != ua0 + done))
			return snp_errf(err, SNP_E_INTERNAL,
					"snp: %s: KVM reported inconsistent progress (len 0x%llx->0x%llx, "
					"gfn 0x%llx->0x%llx)", what, (unsigned long long)len0,
					(unsigned long long)u.len, (unsigned long long)gfn0,
					(unsigned long long)u.gfn_start);
		stalls = 0;
	}
	return 0;
}

static int update_cpuid(struct sev_backend *be, uint64_t gpa, uint8_t *hva, struct snp_err *err)
{
	struct snp_be *s = priv(be);
	struct snp_cpuid_page page, fixed;
	struct snp_err perr = { 0 };
	char first[SNP_CPUID_FIXUP_STR] = "";
	uint32_t fw = 0;
	int ret;

	if ((ret = cpuid_page_from_kvm(s->cpuid, &page, err)) != 0)
		return ret;
	cpuid_page_write(&page, hva);
	ret = update_loop(be, SNP_PAGE_TYPE_CPUID, gpa, hva, SNP_CPUID_PAGE_SIZE, &fw, err);
	if (ret == 0 || fw != SNP_FW_INVALID_PARAM)
		return ret;
	/* KVM copied the firmware's corrected page back into hva (amd-memory-encryption.rst) */
	if (cpuid_page_parse(hva, SNP_CPUID_PAGE_SIZE, &fixed, &perr) != 0)
		return snp_errf(err, SNP_E_REFUSED,
				"snp: KVM_SEV_SNP_LAUNCH_UPDATE: the firmware refused the CPUID page "
				"(INVALID_PARAM) and its corrected page does not parse: %s",
				perr.msg);
	s->nfixups = cpuid_page_diff(&page, &fixed, s->fixups);
	if (s->nfixups)
		cpuid_fixup_format(&s->fixups[0], first, sizeof(first));
	/* the whole list goes to the caller (backend_snp_cpuid_fixups): it may not fit here */
	if (!s->o.accept_cpuid_fixup)
		return snp_errf(err, SNP_E_REFUSED,
				"snp: KVM_SEV_SNP_LAUNCH_UPDATE: the firmware refused the CPUID page "
				"(INVALID_PARAM), %u correction(s)%s%s%s (--accept-cpuid-fixup takes "
				"its page)", s->nfixups, s->nfixups ? ": " : "", first,
				s->nfixups > 1 ? ", ... (every one listed in the launch result)" : "");
	return update_loop(be, SNP_PAGE_TYPE_CPUID, gpa, hva, SNP_CPUID_PAGE_SIZE, &fw, err);
}

static int snp_update(struct sev_backend *be, enum snp_page_type type, uint64_t gpa,
		      uint8_t *hva, size_t len, struct snp_err *err)
{
	struct snp_be *s = priv(be);
	unsigned before = s->nslots;
	struct snp_slot *sl = NULL;
	int ret;

	if (!s->started || s->finished)
		return snp_errf(err, SNP_E_STATE, "snp backend: update outside the launch");
	if (gpa % SNP_PAGE_SIZE || len == 0 || len % SNP_PAGE_SIZE || gpa + len < gpa)
		return snp_errf(err, SNP_E_INVALID, "snp: update [0x%llx, +0x%zx): not page-aligned",
				(unsigned long long)gpa, len);
	if (type == SNP_PAGE_TYPE_VMSA)
		return snp_errf(err, SNP_E_INVALID, "snp: KVM builds the VMSAs from the registers");
	if (type == SNP_PAGE_TYPE_CPUID && len != SNP_CPUID_PAGE_SIZE)
		return snp_errf(err, SNP_E_INVALID, "snp: CPUID update of 0x%zx bytes", len);
	if ((ret = slot_for(be, gpa, len, &sl, err)) != 0)
		return ret;
	if (s->nslots != before && (ret = slot_bind(be, sl, s->nslots - 1, err)) != 0)
		return ret;
	if (sl->owned) {
		/* outside guest RAM (the flash): from the slot's page-aligned view, as KVM wants */
		memcpy(sl->hva + (gpa - sl->gpa), hva, len);
		hva = sl->hva + (gpa - sl->gpa);
	}
	if (type == SNP_PAGE_TYPE_CPUID)
		return update_cpuid(be, gpa, hva, err);
	{
		uint32_t fw = 0;

		return update_loop(be, (uint8_t)type, gpa, hva, len, &fw, err);
	}
}

static int vcpu_ioctl(struct sev_backend *be, int fd, unsigned idx, unsigned long req,
		      const void *arg, const char *name, struct snp_err *err)
{
	char what[64];
	int r = kio(priv(be), fd, req, arg);

	if (r >= 0)
		return 0;
	snprintf(what, sizeof(what), "vCPU %u: %s", idx, name);
	return ioctl_fail(be, err, r, 0, what);
}

/*
 * KVM's VMSA takes DR6, DR7 and G_PAT from the vCPU's reset state, which this
 * backend does not change, and SEV_FEATURES from INIT2: a plan that wants
 * other values would be launched with a digest it did not predict.
 */
static int vcpu_state_check(const struct sev_backend *be, unsigned idx, const struct snp_vmsa *st,
			    struct snp_err *err)
{
	const struct snp_be *s = be->priv;

	if (st->dr6 != 0xffff0ff0u || st->dr7 != 0x400 || st->g_pat != 0x0007040600070406ull)
		return snp_errf(err, SNP_E_UNSUPPORTED,
				"snp: vCPU %u: DR6/DR7/G_PAT other than KVM's reset values", idx);
	if (st->sev_features != (s->o.guest_features | SEV_FEATURE_SNP_ACTIVE))
		return snp_errf(err, SNP_E_INVALID,
				"snp: vCPU %u: SEV_FEATURES 0x%llx, but KVM sets 0x%llx", idx,
				(unsigned long long)st->sev_features,
				(unsigned long long)(s->o.guest_features | SEV_FEATURE_SNP_ACTIVE));
	if (!(st->efer & VMSA_EFER_SVME))
		return snp_errf(err, SNP_E_INVALID, "snp: vCPU %u: EFER without SVME, which KVM sets",
				idx);
	return 0;
}

static int snp_set_vcpu(struct sev_backend *be, unsigned idx, const struct snp_vmsa *st,
			struct snp_err *err)
{
	struct snp_be *s = priv(be);
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_fpu fpu;
	struct kvm_xcrs xcrs = { .nr_xcrs = 1, .xcrs = { { .xcr = 0, .value = st->xcr0 } } };
	struct snp_vmsa kst = *st;
	int fd, ret;

	if (!s->started || s->finished)
		return snp_errf(err, SNP_E_STATE, "snp backend: vCPU state outside the launch");
	if (idx != s->nvcpus || idx >= s->o.vcpus)
		return snp_errf(err, SNP_E_INVALID, "snp: vCPU %u out of order (next %u of %u)", idx,
				s->nvcpus, s->o.vcpus);
	if ((ret = vcpu_state_check(be, idx, st, err)) != 0)
		return ret;
	if ((fd = kio(s, s->vm_fd, KVM_CREATE_VCPU, (void *)(uintptr_t)idx)) < 0)
		return ioctl_fail(be, err, fd, 0, "KVM_CREATE_VCPU");
	s->vcpu_fd[s->nvcpus++] = fd;
	kst.efer &= ~VMSA_EFER_SVME; /* KVM keeps SVME set in the VMCB itself; userspace may not */
	if ((ret = vcpu_ioctl(be, fd, idx, KVM_SET_CPUID2, s->cpuid, "KVM_SET_CPUID2", err)) != 0 ||
	    (ret = vcpu_ioctl(be, fd, idx, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS", err)) != 0)
		return ret;
	kvm_regs_from_vmsa(&kst, &sregs, &regs);
	kvm_fpu_from_vmsa(&kst, &fpu);
	if ((ret = vcpu_ioctl(be, fd, idx, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS", err)) != 0 ||
	    (ret = vcpu_ioctl(be, fd, idx, KVM_SET_REGS, &regs, "KVM_SET_REGS", err)) != 0 ||
	    (ret = vcpu_ioctl(be, fd, idx, KVM_SET_FPU, &fpu, "KVM_SET_FPU", err)) != 0 ||
	    (ret = vcpu_ioctl(be, fd, idx, KVM_SET_XCRS, &xcrs, "KVM_SET_XCRS", err)) != 0)
		return ret;
	return 0;
}

static int snp_finish(struct sev_backend *be, const uint8_t *id_block, const uint8_t *id_auth,
		      bool author_key_en, const uint8_t host_data[32], struct snp_err *err)
{
	struct snp_be *s = priv(be);
	struct kvm_sev_snp_launch_finish f = {
		.id_block_uaddr = (uint64_t)(uintptr_t)id_block,
		.id_auth_uaddr = (uint64_t)(uintptr_t)id_auth,
		.id_block_en = id_block != NULL,
		.auth_key_en = author_key_en,
	};
	uint32_t fw;
	int r;

	if (!s->started || s->finished)
		return snp_errf(err, SNP_E_STATE, "snp backend: finish outside the launch");
	if (s->nvcpus != s->o.vcpus)
		return snp_errf(err, SNP_E_STATE, "snp: finish with %u of %u vCPUs set", s->nvcpus,
				s->o.vcpus);
	if (!id_block != !id_auth || (author_key_en && !id_block))
		return snp_errf(err, SNP_E_INVALID, "snp: ID auth and author key need an ID block");
	if (host_data)
		memcpy(f.host_data, host_data, sizeof(f.host_data));
	if ((r = sev_cmd(be, KVM_SEV_SNP_LAUNCH_FINISH, &f, &fw)) < 0)
		return ioctl_fail(be, err, r, fw, "KVM_SEV_SNP_LAUNCH_FINISH");
	s->finished = true;
	if (id_block) {
		/* the firmware checked the launch digest against the ID block's LD (spec 56860 §8.18) */
		memcpy(be->measurement, id_block, SNP_MEASUREMENT_SIZE);
		be->has_measurement = true;
	}
	return 0;
}

static int snp_request(struct sev_backend *be, const uint8_t report_data[64], uint32_t vmpl,
		       uint8_t report[SNP_REPORT_SIZE], struct snp_err *err)
{
	(void)be, (void)report_data, (void)vmpl, (void)report;
	return snp_errf(err, SNP_E_UNSUPPORTED,
			"snp backend: guest requests are handled by KVM in the kernel");
}

static int snp_hv(struct sev_backend *be, const uint8_t report_data[64],
		  uint8_t report[SNP_REPORT_SIZE], struct snp_err *err)
{
	(void)be, (void)report_data, (void)report;
	return snp_errf(err, SNP_E_UNSUPPORTED,
			"snp backend: KVM offers no host-requested report (SNP_HV_REPORT_REQ)");
}

static void snp_close(struct sev_backend *be)
{
	struct snp_be *s = priv(be);

	if (!s)
		return;
	for (unsigned i = s->nvcpus; i-- > 0;)
		s->k->close(s->k->ctx, s->vcpu_fd[i]);
	for (unsigned i = s->nslots; i-- > 0;) {
		if (s->slot[i].gmem_fd >= 0)
			s->k->close(s->k->ctx, s->slot[i].gmem_fd);
		if (s->slot[i].owned && s->slot[i].hva)
			s->k->munmap(s->k->ctx, s->slot[i].hva, s->slot[i].size);
		free(s->slot[i].shared);
	}
	if (s->vm_fd >= 0)
		s->k->close(s->k->ctx, s->vm_fd);
	if (s->sev_fd >= 0)
		s->k->close(s->k->ctx, s->sev_fd);
	if (s->kvm_fd >= 0)
		s->k->close(s->k->ctx, s->kvm_fd);
	free(s->cpuid);
	free(s->vcpu_fd);
	free(s);
	be->priv = NULL;
}

static const struct sev_ops snp_ops = {
	.name = "snp",
	.start = snp_start,
	.update = snp_update,
	.set_vcpu = snp_set_vcpu,
	.finish = snp_finish,
	.guest_request = snp_request,
	.hv_report = snp_hv,
	.close = snp_close,
};

/* /dev/kvm offers SNP VMs and the VMSA features asked for. */
static int probe_kvm(struct sev_backend *be, struct snp_err *err)
{
	struct snp_be *s = priv(be);
	const uint64_t want = s->o.guest_features & ~SEV_FEATURE_SNP_ACTIVE;
	uint64_t feats = 0;
	struct kvm_device_attr a = { .group = KVM_X86_GRP_SEV, .attr = KVM_X86_SEV_VMSA_FEATURES,
				     .addr = (uint64_t)(uintptr_t)&feats };
	int r;

	r = kio(s, s->kvm_fd, KVM_CHECK_EXTENSION, (void *)(uintptr_t)KVM_CAP_VM_TYPES);
	if (r < 0)
		return ioctl_fail(be, err, r, 0, "KVM_CHECK_EXTENSION(KVM_CAP_VM_TYPES)");
	if (!(r & (1 << KVM_X86_SNP_VM)))
		return snp_errf(err, SNP_E_UNSUPPORTED,
				"snp: this KVM offers no SNP VMs (KVM_CAP_VM_TYPES 0x%x lacks "
				"KVM_X86_SNP_VM): Linux 6.11+ with kvm_amd sev_snp=1 is needed", r);
	if ((r = kio(s, s->kvm_fd, KVM_GET_DEVICE_ATTR, &a)) < 0)
		return ioctl_fail(be, err, r, 0,
				  "KVM_GET_DEVICE_ATTR(KVM_X86_GRP_SEV, KVM_X86_SEV_VMSA_FEATURES)");
	if (want & ~feats)
		return snp_errf(err, SNP_E_UNSUPPORTED,
				"snp: SEV_FEATURES 0x%llx: KVM supports VMSA features 0x%llx only",
				(unsigned long long)s->o.guest_features, (unsigned long long)feats);
	return 0;
}

/*
 * Certificate requests (Linux 7.0+, x86/amd-memory-encryption.rst
 * "KVM_SEV_SNP_ENABLE_REQ_CERTS"): probed through the SEV attribute
 * KVM_X86_SEV_SNP_REQ_CERTS on /dev/kvm, enabled before any vCPU exists.
 * An older kernel is noted, not an error: its guests get an empty table.
 */
static int enable_req_certs(struct sev_backend *be, struct snp_err *err)
{
	struct snp_be *s = priv(be);
	uint64_t supported = 0;
	struct kvm_device_attr a = { .group = KVM_X86_GRP_SEV, .attr = KVM_X86_SEV_SNP_REQ_CERTS,
				     .addr = (uint64_t)(uintptr_t)&supported };
	uint32_t fw;
	int r;

	if ((r = kio(s, s->kvm_fd, KVM_GET_DEVICE_ATTR, &a)) < 0 || !supported) {
		snprintf(s->certs_note, sizeof(s->certs_note),
			 "this KVM has no KVM_SEV_SNP_ENABLE_REQ_CERTS (Linux 7.0+): guests get an "
			 "empty certificate table");
		return 0;
	}
	if ((r = sev_cmd(be, KVM_SEV_SNP_ENABLE_REQ_CERTS, NULL, &fw)) < 0)
		return ioctl_fail(be, err, r, fw, "KVM_SEV_SNP_ENABLE_REQ_CERTS");
	s->req_certs = true;
	return 0;
}

static int open_vm(struct sev_backend *be, struct snp_err *err)
{
	struct snp_be *s = priv(be);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXIT_HYPERCALL,
				      .args = { 1ull << KVM_HC_MAP_GPA_RANGE } };
	struct kvm_sev_init init = { .vmsa_features = s->o.guest_features & ~SEV_FEATURE_SNP_ACTIVE,
				     .ghcb_version = 2 };
	uint32_t fw;
	char what[80];
	int r;

	if ((r = s->k->open(s->k->ctx, s->o.kvm_path, O_RDWR)) < 0) {
		snprintf(what, sizeof(what), "open %s", s->o.kvm_path);
		return ioctl_fail(be, err, r, 0, what);
	}
	s->kvm_fd = r;
	if ((r = probe_kvm(be, err)) != 0 || (r = get_supported_cpuid(be, err)) != 0)
		return r;
	if ((r = s->k->open(s->k->ctx, s->o.sev_path, O_RDWR)) < 0) {
		snprintf(what, sizeof(what), "open %s", s->o.sev_path);
		return ioctl_fail(be, err, r, 0, what);
	}
	s->sev_fd = r;
	if ((r = kio(s, s->kvm_fd, KVM_CREATE_VM, (void *)(uintptr_t)KVM_X86_SNP_VM)) < 0)
		return ioctl_fail(be, err, r, 0, "KVM_CREATE_VM(KVM_X86_SNP_VM)");
	s->vm_fd = r;
	if ((r = kio(s, s->vm_fd, KVM_ENABLE_CAP, &cap)) < 0)
		return ioctl_fail(be, err, r, 0, "KVM_ENABLE_CAP(KVM_CAP_EXIT_HYPERCALL)");
	if ((r = kio(s, s->vm_fd, KVM_CREATE_IRQCHIP, NULL)) < 0)
		return ioctl_fail(be, err, r, 0, "KVM_CREATE_IRQCHIP");
	if ((r = sev_cmd(be, KVM_SEV_INIT2, &init, &fw)) < 0)
		return ioctl_fail(be, err, r, fw, "KVM_SEV_INIT2");
	if (s->o.certs && (r = enable_req_certs(be, err)) != 0)
		return r;
	s->slot[0] = (struct snp_slot){ .gpa = 0, .size = s->o.mem->size, .hva = s->o.mem->hva,
					.gmem_fd = -1 };
	s->nslots = 1;
	return slot_bind(be, &s->slot[0], 0, err);
}

int backend_snp_open(const struct snp_backend_opts *o, struct sev_backend *be,
		     struct snp_err *err)
{
	struct snp_be *s;
	int ret;

	memset(be, 0, sizeof(*be));
	if (!o->mem || !o->mem->hva || o->vcpus == 0)
		return snp_errf(err, SNP_E_INVALID, "snp backend: no guest memory or no vCPUs");
	if (!(s = calloc(1, sizeof(*s))) || !(s->vcpu_fd = calloc(o->vcpus, sizeof(int)))) {
		free(s);
		return snp_errf(err, SNP_E_NOMEM, "snp backend: out of memory");
	}
	s->o = *o;
	s->k = o->kvm ? o->kvm : &kvm_ops_sys;
	if (!s->o.kvm_path)
		s->o.kvm_path = "/dev/kvm";
	if (!s->o.sev_path)
		s->o.sev_path = "/dev/sev";
	s->kvm_fd = s->sev_fd = s->vm_fd = -1;
	be->ops = &snp_ops;
	be->priv = s;
	if ((ret = open_vm(be, err)) != 0) {
		uint32_t fw = be->fw_status;

		snp_close(be);
		be->ops = NULL;
		be->fw_status = fw;
		return ret;
	}
	return 0;
}

const struct snp_cpuid_fixup *backend_snp_cpuid_fixups(const struct sev_backend *be, unsigned *n)
{
	const struct snp_be *s = be->ops == &snp_ops ? be->priv : NULL;

	*n = s ? s->nfixups : 0;
	return s ? s->fixups : NULL;
}

int backend_snp_fail(struct sev_backend *be, int rc, const char *what, struct snp_err *err)
{
	return ioctl_fail(be, err, rc, 0, what);
}

int backend_snp_convert(struct sev_backend *be, uint64_t gpa, uint64_t size, bool to_private,
			struct snp_err *err)
{
	struct snp_be *s = be->ops == &snp_ops ? be->priv : NULL;
	struct kvm_memory_attributes a = { .address = gpa, .size = size,
					   .attributes = to_private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0 };
	const struct snp_slot *sl = NULL;
	char what[96];
	int r;

	if (!s)
		return snp_errf(err, SNP_E_STATE, "snp: conversion on a backend that is not snp");
	if (gpa % SNP_PAGE_SIZE || size == 0 || size % SNP_PAGE_SIZE || gpa + size < gpa)
		return snp_errf(err, SNP_E_INVALID, "snp: conversion of [0x%llx, +0x%llx): not pages",
				(unsigned long long)gpa, (unsigned long long)size);
	for (unsigned i = 0;; i++) {
		if (i == s->nslots) {
			/* not guest memory: to shared is a no-op (QEMU accepts it for MMIO) */
			if (!to_private)
				return 0;
			return snp_errf(err, SNP_E_INVALID,
					"snp: conversion to private of [0x%llx, +0x%llx): not in one "
					"memslot", (unsigned long long)gpa, (unsigned long long)size);
		}
		sl = &s->slot[i];
		if (gpa >= sl->gpa && size <= sl->size && gpa - sl->gpa <= sl->size - size)
			break;
		if (gpa < sl->gpa + sl->size && sl->gpa < gpa + size)
			return snp_errf(err, SNP_E_INVALID,
					"snp: conversion of [0x%llx, +0x%llx): straddles the memslot "
					"at 0x%llx", (unsigned long long)gpa,
					(unsigned long long)size, (unsigned long long)sl->gpa);
	}
	if ((r = kio(s, s->vm_fd, KVM_SET_MEMORY_ATTRIBUTES, &a)) < 0) {
		snprintf(what, sizeof(what), "KVM_SET_MEMORY_ATTRIBUTES (%s, 0x%llx+0x%llx)",
			 to_private ? "PRIVATE" : "shared", (unsigned long long)gpa,
			 (unsigned long long)size);
		return ioctl_fail(be, err, r, 0, what);
	}
	memset(sl->shared + (gpa - sl->gpa) / SNP_PAGE_SIZE, !to_private, size / SNP_PAGE_SIZE);
	/* release the side the guest no longer uses (backend.h) */
	if (to_private)
		r = s->k->madvise(s->k->ctx, sl->hva + (gpa - sl->gpa), size, MADV_DONTNEED);
	else
		r = s->k->fallocate(s->k->ctx, sl->gmem_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				    gpa - sl->gpa, size);
	if (r < 0) {
		snprintf(what, sizeof(what), "%s of 0x%llx+0x%llx after the conversion",
			 to_private ? "madvise(MADV_DONTNEED)" : "fallocate(PUNCH_HOLE)",
			 (unsigned long long)gpa, (unsigned long long)size);
		return ioctl_fail(be, err, r, 0, what);
	}
	return 0;
}

bool backend_snp_is_shared(const struct sev_backend *be, uint64_t gpa, uint64_t len)
{
	const struct snp_be *s = be->ops == &snp_ops ? be->priv : NULL;

	if (!s || len == 0 || gpa + len < gpa)
		return false;
	for (unsigned i = 0; i < s->nslots; i++) {
		const struct snp_slot *sl = &s->slot[i];
		uint64_t first, last;

		if (gpa < sl->gpa || len > sl->size || gpa - sl->gpa > sl->size - len)
			continue;
		first = (gpa - sl->gpa) / SNP_PAGE_SIZE;
		last = (gpa - sl->gpa + len - 1) / SNP_PAGE_SIZE;
		for (uint64_t p = first; p <= last; p++)
			if (!sl->shared[p])
				return false;
		return true;
	}
	return false;
}

const uint8_t *backend_snp_certs(const struct sev_backend *be, size_t *len)
{
	const struct snp_be *s = be->ops == &snp_ops ? be->priv : NULL;

	*len = s ? s->o.certs_len : 0;
	return s ? s->o.certs : NULL;
}

bool backend_snp_req_certs(const struct sev_backend *be, const char **note)
{
	const struct snp_be *s = be->ops == &snp_ops ? be->priv : NULL;

	if (note)
		*note = s ? s->certs_note : "";
	return s && s->req_certs;
}

int backend_snp_vcpu_map(struct sev_backend *be, unsigned idx, int *fd, struct kvm_run **run,
			 size_t *run_size, struct snp_err *err)
{
	struct snp_be *s = be->ops == &snp_ops ? be->priv : NULL;
	void *p;
	int r;

	*run = NULL;
	*run_size = 0;
	*fd = -1;
	if (!s || !s->finished || idx >= s->nvcpus)
		return snp_errf(err, SNP_E_STATE, "snp: vCPU %u: no such vCPU after LAUNCH_FINISH",
				idx);
	if ((r = kio(s, s->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL)) < 0)
		return ioctl_fail(be, err, r, 0, "KVM_GET_VCPU_MMAP_SIZE");
	if ((size_t)r < sizeof(struct kvm_run))
		return snp_errf(err, SNP_E_UNSUPPORTED, "snp: vCPU mmap size %d too small", r);
	*run_size = (size_t)r;
	if ((r = s->k->mmap(s->k->ctx, *run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			    s->vcpu_fd[idx], &p)) < 0) {
		*run_size = 0;
		return ioctl_fail(be, err, r, 0, "mmap of a vCPU's kvm_run");
	}
	*run = p;
	*fd = s->vcpu_fd[idx];
	return 0;
}

void backend_snp_vcpu_unmap(struct sev_backend *be, struct kvm_run *run, size_t run_size)
{
	struct snp_be *s = be->ops == &snp_ops ? be->priv : NULL;

	if (s && run)
		s->k->munmap(s->k->ctx, run, run_size);
}

int backend_snp_run(struct sev_backend *be, int vcpu_fd)
{
	struct snp_be *s = be->ops == &snp_ops ? be->priv : NULL;

	return s ? kio(s, vcpu_fd, KVM_RUN, NULL) : -EBADF;
}
