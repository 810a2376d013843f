#include "cli/measure-args.h"

#include <inttypes.h>
#include <string.h>

#include "measure/cpu-sig.h"
#include "measure/kernel-hashes.h"
#include "util/log.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define MAX_FIRMWARE (64u << 20)
#define MAX_KERNEL ((size_t)4 << 30)

static int parse_mode(void *value, const char *s, struct snp_err *err)
{
	static const enum measure_mode modes[] = { MEASURE_MODE_SNP, MEASURE_MODE_OVMF_HASH,
						   MEASURE_MODE_SVSM };
	enum measure_mode *mode = value;

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(s, measure_mode_name(modes[i])) == 0) {
			*mode = modes[i];
			return 0;
		}
	if (strcmp(s, "sev") == 0 || strcmp(s, "seves") == 0)
		return snp_errf(err, SNP_E_UNSUPPORTED,
				"--mode %s: only SNP launch digests are supported", s);
	return snp_errf(err, SNP_E_INVALID, "--mode %s: want snp, snp:ovmf-hash or snp:svsm", s);
}

static int parse_vmm(void *value, const char *s, struct snp_err *err)
{
	struct measure_args *a = value;

	a->vmm_type = s;
	return vmm_profile_find(s, &a->o.launch.vmm, err);
}

void measure_args_init(struct measure_args *a)
{
	const struct opt opts[] = {
		OPT_CALL("mode", parse_mode, &a->o.launch.mode, "MODE",
			 "snp (default), snp:ovmf-hash (the firmware seed only),\n"
			 "snp:svsm (legacy coconut-SVSM layout, QEMU)"),
		OPT_STRING("ovmf", &a->ovmf, "FILE", "the firmware image the VMM maps below 4 GiB"),
		OPT_UINT("vcpus", &a->o.launch.vcpus, 1, MEASURE_MAX_VCPUS, "N",
			 "number of vCPUs (1.." STR(MEASURE_MAX_VCPUS) ")",
			 .given = &a->has_vcpus),
		OPT_STRING("vcpu-type", &a->vcpu_type, "NAME",
			   "guest CPU model: EPYC[-v1..v4], EPYC-IBPB,\n"
			   "EPYC-Rome[-v1..v3], EPYC-Milan[-v1,-v2],\n"
			   "EPYC-Genoa[-v1], EPYC-Turin"),
		OPT_U32("vcpu-sig", &a->o.launch.vcpu_sig, 0, UINT32_MAX, "SIG",
			"or the CPUID 1 EAX signature itself (0 allowed)", .given = &a->has_sig),
		OPT_UINT("vcpu-family", &a->family, 0, 0xFFFF, "N",
			 "or the signature's family, model and stepping (all three;\n"
			 "0/0/0 is signature 0)", .given = &a->has_family),
		OPT_UINT("vcpu-model", &a->model, 0, 0xFFFF, "N", "the signature's model",
			 .given = &a->has_model),
		OPT_UINT("vcpu-stepping", &a->stepping, 0, 0xFFFF, "N", "the signature's stepping",
			 .given = &a->has_stepping),
		OPT_CALL("vmm-type", parse_vmm, a, "TYPE",
			 "qemu (default), ec2 or gce (any case); ec2 and gce\n"
			 "fix RDX, so they ignore the vCPU type"),
		OPT_U64("guest-features", &a->o.launch.guest_features, 0, UINT64_MAX, "N",
			"SEV_FEATURES (default 0x1)", .given = &a->has_features),
		OPT_STRING("kernel", &a->kernel, "FILE",
			   "measured direct boot: needs a firmware with an\n"
			   "SNP_KERNEL_HASHES section (AmdSevX64)"),
		OPT_STRING("initrd", &a->initrd, "FILE", "with --kernel (default: none)"),
		OPT_STRING("append", &a->append, "CMDLINE", "with --kernel (default: empty)"),
		OPT_HEX("snp-ovmf-hash", a->ovmf_hash, SNP_LD_SIZE, "HEX",
			"resume from a snp:ovmf-hash seed (--ovmf still gives\n"
			"the metadata)", .given = &a->has_ovmf_hash),
		OPT_STRING("svsm", &a->svsm, "FILE", "snp:svsm: the SVSM image"),
		OPT_U64("vars-size", &a->o.launch.vars_size, 0, UINT32_MAX, "N",
			"snp:svsm: size of the OVMF_VARS gap", .given = &a->has_vars_size),
		OPT_FLAG("allow-no-sev-metadata", &a->o.launch.allow_no_sev_metadata,
			 "measure firmware without SEV metadata as\n"
			 "sev-snp-measure does (it cannot boot SNP)"),
		OPT_END,
	};

	_Static_assert(sizeof(opts) == sizeof(a->opts), "MEASURE_ARGS_NOPTS");
	memset(a, 0, sizeof(*a));
	a->o.launch.mode = MEASURE_MODE_SNP;
	a->o.launch.vmm = VMM_QEMU;
	a->o.launch.guest_features = 0x1;
	memcpy(a->opts, opts, sizeof(opts));
}

/* Flags that make no sense together or in this mode are refused, not ignored. */
int measure_args_check(void *args, struct snp_err *err)
{
	struct measure_args *a = args;
	enum measure_mode m = a->o.launch.mode;
	int nsig = (a->vcpu_type != NULL) + a->has_sig +
		   (a->has_family || a->has_model || a->has_stepping);
	const struct vmm_profile *p = vmm_profile_get(a->o.launch.vmm);
	int ret;

	if (!a->ovmf)
		return snp_errf(err, SNP_E_INVALID, "--ovmf is required");
	if (m != MEASURE_MODE_SVSM && (a->svsm || a->has_vars_size))
		return snp_errf(err, SNP_E_INVALID, "--svsm and --vars-size need --mode snp:svsm");
	if (m == MEASURE_MODE_SVSM && (!a->svsm || !a->has_vars_size))
		return snp_errf(err, SNP_E_INVALID, "--mode snp:svsm needs --svsm and --vars-size");
	if (a->has_ovmf_hash && m != MEASURE_MODE_SNP)
		return snp_errf(err, SNP_E_INVALID, "--snp-ovmf-hash needs --mode snp");
	if ((a->initrd || a->append) && !a->kernel)
		return snp_errf(err, SNP_E_INVALID, "--initrd and --append need --kernel");
	if (a->kernel && m != MEASURE_MODE_SNP)
		return snp_errf(err, SNP_E_INVALID, "--kernel needs --mode snp");
	if (m == MEASURE_MODE_OVMF_HASH) {
		if (a->has_vcpus || nsig || a->has_features || a->vmm_type)
			log_info("vCPU, VMM and guest-feature flags do not change the firmware seed");
		return 0;
	}
	if (m == MEASURE_MODE_SVSM && a->o.launch.vmm != VMM_QEMU)
		return snp_errf(err, SNP_E_INVALID, "--mode snp:svsm is defined for --vmm-type qemu");
	if (!a->has_vcpus)
		return snp_errf(err, SNP_E_INVALID, "--vcpus is required");
	if (nsig > 1)
		return snp_errf(err, SNP_E_INVALID,
				"give one of --vcpu-type, --vcpu-sig or "
				"--vcpu-family/--vcpu-model/--vcpu-stepping");
	if (a->has_family || a->has_model || a->has_stepping) {
		if (!(a->has_family && a->has_model && a->has_stepping))
			return snp_errf(err, SNP_E_INVALID,
					"--vcpu-family, --vcpu-model and --vcpu-stepping go together");
		if ((ret = cpu_sig_pack(a->family, a->model, a->stepping, &a->o.launch.vcpu_sig, err)))
			return ret;
	} else if (a->vcpu_type) {
		if ((ret = cpu_sig_lookup(a->vcpu_type, &a->o.launch.vcpu_sig, err)) != 0)
			return ret;
	} else if (!a->has_sig && !p->rdx_fixed) {
		return snp_errf(err, SNP_E_INVALID,
				"the guest CPU model is required: give --vcpu-type, --vcpu-sig or "
				"--vcpu-family/--vcpu-model/--vcpu-stepping");
	}
	if (nsig && p->rdx_fixed)
		log_info("--vmm-type %s fixes RDX to 0x%" PRIx64 "; the vCPU model is ignored",
			 a->vmm_type, p->rdx);
	if (m == MEASURE_MODE_SVSM && a->has_features)
		log_warn("snp:svsm always measures SEV_FEATURES 0x1; --guest-features is ignored");
	else if (!(a->o.launch.guest_features & 1))
		log_warn("guest features 0x%" PRIx64 " lack SNPActive (bit 0): KVM sets it, so "
			 "this digest will not match a real launch",
			 a->o.launch.guest_features);
	return 0;
}

void cli_warn_unknown_firmware(const char *path, const char *hex,
			       const struct firmware_known *known)
{
	if (!known)
		log_warn("firmware %s (sha256 %s) is not a known build (ovmf-config/README.md "
			 "lists them): nobody has vouched for what it runs",
			 path, hex);
}

int measure_args_open(struct measure_args *a, struct snp_err *err)
{
	const struct firmware_known *known;
	char hex[FIRMWARE_SHA256_HEX];
	int ret;

	if ((ret = file_map(a->ovmf, MAX_FIRMWARE, &a->ovmf_map, err)) != 0 ||
	    (ret = firmware_known_lookup(a->ovmf_map.data, a->ovmf_map.len, hex, &known, err)) != 0)
		return ret;
	cli_warn_unknown_firmware(a->ovmf, hex, known);
	a->o.launch.ovmf = a->ovmf_map.data;
	a->o.launch.ovmf_len = a->ovmf_map.len;
	a->o.launch.ovmf_name = a->ovmf;
	if (a->svsm) {
		if ((ret = file_map(a->svsm, MAX_FIRMWARE, &a->svsm_map, err)) != 0)
			return ret;
		a->o.launch.svsm = a->svsm_map.data;
		a->o.launch.svsm_len = a->svsm_map.len;
	}
	if (a->has_ovmf_hash)
		a->o.ovmf_hash = a->ovmf_hash;
	if (!a->kernel)
		return 0;
	if ((ret = kernel_hashes_compute_files(a->kernel, a->initrd, a->append, MAX_KERNEL,
					       &a->hashes, &a->kernel_len, &a->initrd_len,
					       err)) != 0)
		return ret;
	a->o.launch.kernel_hashes = &a->hashes;
	return 0;
}

void measure_args_close(struct measure_args *a)
{
	file_unmap(&a->ovmf_map);
	file_unmap(&a->svsm_map);
	a->o.launch.ovmf = a->o.launch.svsm = NULL;
}
