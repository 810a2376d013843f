#include "measure/plan.h"

#include <stdio.h>

#include "abi/vmsa.h"
#include "measure/firmware.h"
#include "measure/kernel-hashes.h"
#include "measure/payload.h"
#include "measure/vmm-profile.h"
#include "measure/vmsa-build.h"

static int emit(const struct launch_sink *sink, enum snp_page_type type, uint64_t gpa,
		const uint8_t *data, size_t len, struct snp_err *err)
{
	return sink->update(sink->ctx, type, gpa, data, len, err);
}

static int section_plan(const struct launch_sink *sink, const struct firmware *fw,
			const struct vmm_profile *p, const struct ovmf_sev_section *s,
			const struct sev_hashes *kh, struct snp_err *err)
{
	uint8_t page[SNP_PAGE_SIZE];
	uint32_t off;
	int ret;

	switch (s->type) {
	case OVMF_SECTION_SNP_SEC_MEM:
		return emit(sink, p->sec_mem_type, s->gpa, NULL, s->size, err);
	case OVMF_SECTION_SNP_SECRETS:
		return emit(sink, SNP_PAGE_TYPE_SECRETS, s->gpa, NULL, SNP_PAGE_SIZE, err);
	case OVMF_SECTION_CPUID:
		return emit(sink, SNP_PAGE_TYPE_CPUID, s->gpa, NULL, SNP_PAGE_SIZE, err);
	case OVMF_SECTION_SVSM_CAA:
		return emit(sink, SNP_PAGE_TYPE_ZERO, s->gpa, NULL, s->size, err);
	case OVMF_SECTION_SNP_KERNEL_HASHES:
		if (!kh)
			return emit(sink, SNP_PAGE_TYPE_ZERO, s->gpa, NULL, s->size, err);
		if ((ret = firmware_kernel_hashes_offset(fw, &off, err)) != 0 ||
		    (ret = kernel_hashes_page(kh, off, page, err)) != 0)
			return ret;
		return emit(sink, SNP_PAGE_TYPE_NORMAL, s->gpa, page, SNP_PAGE_SIZE, err);
	}
	/* firmware_parse() refuses other types. */
	return snp_errf(err, SNP_E_INTERNAL, "%s: SEV metadata section type 0x%x at 0x%zx",
			fw->what, s->type, s->desc_off);
}

/* The metadata sections in list order under profile p (EC2: CPUID last). */
static int sections_plan(const struct launch_sink *sink, const struct firmware *fw,
			 const struct vmm_profile *p, const struct sev_hashes *kh,
			 struct snp_err *err)
{
	int ret;

	for (size_t i = 0; i < fw->md.n; i++) {
		if (p->cpuid_last && fw->md.s[i].type == OVMF_SECTION_CPUID)
			continue;
		if ((ret = section_plan(sink, fw, p, &fw->md.s[i], kh, err)) != 0)
			return ret;
	}
	if (p->cpuid_last)
		for (size_t i = 0; i < fw->md.n; i++)
			if (fw->md.s[i].type == OVMF_SECTION_CPUID &&
			    (ret = section_plan(sink, fw, p, &fw->md.s[i], kh, err)) != 0)
				return ret;
	return 0;
}

/* The BSP's VMSA at bsp_eip, then one identical VMSA per AP at ap_eip. */
static int vmsas_plan(const struct launch_sink *sink, const struct vmm_profile *p,
		      uint32_t bsp_eip, uint32_t ap_eip, const struct launch_opts *o,
		      struct snp_err *err)
{
	struct snp_vmsa v;
	int ret;

	vmsa_build(p, true, bsp_eip, o->vcpu_sig, o->guest_features, &v);
	if ((ret = sink->vmsa(sink->ctx, 0, &v, err)) != 0)
		return ret;
	vmsa_build(p, false, ap_eip, o->vcpu_sig, o->guest_features, &v);
	for (unsigned i = 1; i < o->vcpus; i++)
		if ((ret = sink->vmsa(sink->ctx, i, &v, err)) != 0)
			return ret;
	return 0;
}

/*
 * The OVMF image with what snp and snp:ovmf-hash need of it: the firmware
 * safety check of both snpvm measure and snpvm launch. Refused, with messages
 * naming the file: no SEV metadata (e.g. Debian's OVMF_CODE_4M.fd: it cannot
 * launch SNP) unless allowed, and a kernel on firmware without an
 * SNP_KERNEL_HASHES section (e.g. Debian 12's OVMF.fd, edk2 2022.11 AmdSev
 * builds: the kernel would not be in the measurement).
 */
static int ovmf_open(const struct launch_opts *o, struct firmware *fw, char *name,
		     size_t name_size, struct snp_err *err)
{
	int ret;

	if (!o->ovmf)
		return snp_errf(err, SNP_E_INVALID, "no OVMF image given");
	if (o->ovmf_name)
		snprintf(name, name_size, "OVMF %s", o->ovmf_name);
	else
		snprintf(name, name_size, "OVMF");
	if ((ret = firmware_parse(name, o->ovmf, o->ovmf_len, FIRMWARE_END_GPA, fw, err)) != 0 ||
	    (ret = firmware_require_reset_block(fw, err)) != 0)
		return ret;
	if (!o->allow_no_sev_metadata && (ret = firmware_require_metadata(fw, err)) != 0)
		return ret;
	if (o->kernel_hashes) {
		uint32_t off;

		if ((ret = firmware_kernel_hashes_offset(fw, &off, err)) != 0)
			return ret;
	}
	return 0;
}

static int plan_snp(const struct launch_opts *o, const struct launch_sink *sink,
		    struct snp_err *err)
{
	const struct vmm_profile *p = vmm_profile_get(o->vmm);
	struct firmware fw;
	char name[512];
	int ret;

	if (!p || o->vmm == VMM_QEMU_SVSM)
		return snp_errf(err, SNP_E_INVALID, "VMM type %d is not qemu, ec2 or gce", o->vmm);
	if ((ret = ovmf_open(o, &fw, name, sizeof(name), err)) != 0 ||
	    (ret = emit(sink, SNP_PAGE_TYPE_NORMAL, fw.gpa, fw.data, fw.len, err)) != 0)
		return ret;
	if (o->mode == MEASURE_MODE_OVMF_HASH)
		return 0;
	if ((ret = sections_plan(sink, &fw, p, o->kernel_hashes, err)) != 0)
		return ret;
	return vmsas_plan(sink, p, VMSA_RESET_VECTOR, fw.ap_reset_addr, o, err);
}

static int plan_svsm(const struct launch_opts *o, const struct launch_sink *sink,
		     struct snp_err *err)
{
	const struct vmm_profile *p = vmm_profile_get(VMM_QEMU_SVSM);
	struct firmware svsm;
	uint64_t ovmf_gpa, svsm_end, eip;
	int ret;

	if (o->vmm != VMM_QEMU)
		return snp_errf(err, SNP_E_UNSUPPORTED, "SVSM mode is defined for QEMU only");
	if (o->kernel_hashes)
		return snp_errf(err, SNP_E_UNSUPPORTED,
				"SVSM mode measures neither a kernel nor a saved OVMF hash");
	if (!o->ovmf || !o->svsm)
		return snp_errf(err, SNP_E_INVALID, "SVSM mode needs an OVMF and an SVSM image");
	if (o->ovmf_len == 0 || o->ovmf_len % SNP_PAGE_SIZE || o->ovmf_len >= FIRMWARE_END_GPA)
		return snp_errf(err, SNP_E_INVALID,
				"OVMF: size %zu (0x%zx) is not a positive multiple of 4096 below 4 GiB",
				o->ovmf_len, o->ovmf_len);
	ovmf_gpa = FIRMWARE_END_GPA - o->ovmf_len;
	if (o->vars_size % SNP_PAGE_SIZE || o->vars_size >= ovmf_gpa)
		return snp_errf(err, SNP_E_INVALID,
				"VARS size 0x%llx is not a multiple of 4096 below the OVMF at 0x%llx",
				(unsigned long long)o->vars_size, (unsigned long long)ovmf_gpa);
	svsm_end = ovmf_gpa - o->vars_size;
	if ((ret = firmware_parse("SVSM", o->svsm, o->svsm_len, svsm_end, &svsm, err)) != 0 ||
	    (ret = firmware_require_metadata(&svsm, err)) != 0)
		return ret;
	if (!svsm.has_svsm_info)
		return snp_errf(err, SNP_E_INVALID,
				"SVSM: footer table at 0x%zx: no SVSM info entry: the entry point is "
				"unknown",
				svsm.table.start);
	if (svsm.svsm_entry_offset >= svsm.len)
		return snp_errf(err, SNP_E_INVALID,
				"SVSM: SVSM info entry offset 0x%x is outside the 0x%zx-byte image",
				svsm.svsm_entry_offset, svsm.len);
	eip = svsm.gpa + svsm.svsm_entry_offset;
	if ((ret = emit(sink, SNP_PAGE_TYPE_NORMAL, ovmf_gpa, o->ovmf, o->ovmf_len, err)) != 0 ||
	    (ret = emit(sink, SNP_PAGE_TYPE_NORMAL, svsm.gpa, svsm.data, svsm.len, err)) != 0 ||
	    (ret = sections_plan(sink, &svsm, p, NULL, err)) != 0)
		return ret;
	return vmsas_plan(sink, p, (uint32_t)eip, (uint32_t)eip, o, err);
}

/* The payload image's ranges, then each vCPU's start state (docs/launch-layout.md). */
static int plan_payload(const struct launch_opts *o, const struct launch_sink *sink,
			struct snp_err *err)
{
	const struct payload_image *img = o->payload;
	int ret;

	if (!img || img->nranges == 0 || img->vcpus == 0)
		return snp_errf(err, SNP_E_INVALID, "payload mode: no payload image given");
	if (o->ovmf || o->svsm || o->kernel_hashes)
		return snp_errf(err, SNP_E_INVALID,
				"payload mode launches no firmware, SVSM or kernel hashes");
	for (size_t i = 0; i < img->nranges; i++) {
		const struct payload_page_range *r = &img->ranges[i];

		if ((ret = emit(sink, r->type, r->gpa, r->data, r->len, err)) != 0)
			return ret;
	}
	for (unsigned i = 0; i < img->vcpus; i++)
		if ((ret = sink->vmsa(sink->ctx, i, &img->vcpu[i], err)) != 0)
			return ret;
	return 0;
}

const char *measure_mode_name(enum measure_mode mode)
{
	switch (mode) {
	case MEASURE_MODE_SNP:
		return "snp";
	case MEASURE_MODE_OVMF_HASH:
		return "snp:ovmf-hash";
	case MEASURE_MODE_SVSM:
		return "snp:svsm";
	case MEASURE_MODE_PAYLOAD:
		return "payload";
	}
	return "unknown";
}

int launch_plan_run(const struct launch_opts *o, const struct launch_sink *sink,
		    struct snp_err *err)
{
	if (o->mode == MEASURE_MODE_PAYLOAD)
		return plan_payload(o, sink, err);
	if (o->mode != MEASURE_MODE_OVMF_HASH && (o->vcpus < 1 || o->vcpus > MEASURE_MAX_VCPUS))
		return snp_errf(err, SNP_E_INVALID, "vCPU count %u is outside 1..%d", o->vcpus,
				MEASURE_MAX_VCPUS);
	switch (o->mode) {
	case MEASURE_MODE_SNP:
	case MEASURE_MODE_OVMF_HASH:
		return plan_snp(o, sink, err);
	case MEASURE_MODE_SVSM:
		return plan_svsm(o, sink, err);
	case MEASURE_MODE_PAYLOAD:
		break;
	}
	return snp_errf(err, SNP_E_INVALID, "measure mode %d is unknown", o->mode);
}
