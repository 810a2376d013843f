#include "cli/measure-args.h"

#include <inttypes.h>
#include <string.h>

#include "cli/args.h"
#include "measure/cpu-sig.h"
#include "measure/kernel-hashes.h"
#include "util/hex.h"
#include "util/log.h"

#define MAX_FIRMWARE (64u << 20)
#define MAX_KERNEL ((size_t)4 << 30)

void measure_args_init(struct measure_args *a)
{
	memset(a, 0, sizeof(*a));
	a->o.launch.mode = MEASURE_MODE_SNP;
	a->o.launch.vmm = VMM_QEMU;
	a->o.launch.guest_features = 0x1;
}

bool measure_args_is_option(int opt)
{
	return opt >= MEASURE_OPT_FIRST && opt <= MEASURE_OPT_LAST;
}

void measure_args_usage(FILE *f)
{
	fprintf(f,
		"  --mode MODE            snp (default), snp:ovmf-hash (the firmware seed only),\n"
		"                         snp:svsm (legacy coconut-SVSM layout, QEMU)\n"
		"  --ovmf FILE            the firmware image the VMM maps below 4 GiB\n"
		"  --vcpus N              number of vCPUs (1..%d)\n"
		"  --vcpu-type NAME       guest CPU model: EPYC[-v1..v4], EPYC-IBPB,\n"
		"                         EPYC-Rome[-v1..v3], EPYC-Milan[-v1,-v2],\n"
		"                         EPYC-Genoa[-v1], EPYC-Turin\n"
		"  --vcpu-sig SIG         or the CPUID 1 EAX signature itself (0 allowed)\n"
		"  --vcpu-family N --vcpu-model N --vcpu-stepping N\n"
		"                         or the signature's parts (all three)\n"
		"  --vmm-type TYPE        qemu (default), ec2 or gce (any case); ec2 and gce\n"
		"                         fix RDX, so they ignore the vCPU type\n"
		"  --guest-features N     SEV_FEATURES (default 0x1)\n"
		"  --kernel FILE          measured direct boot: needs a firmware with an\n"
		"                         SNP_KERNEL_HASHES section (AmdSevX64)\n"
		"  --initrd FILE          with --kernel (default: none)\n"
		"  --append CMDLINE       with --kernel (default: empty)\n"
		"  --snp-ovmf-hash HEX    resume from a snp:ovmf-hash seed (--ovmf still gives\n"
		"                         the metadata)\n"
		"  --svsm FILE            snp:svsm: the SVSM image\n"
		"  --vars-size N          snp:svsm: size of the OVMF_VARS gap\n"
		"  --allow-no-sev-metadata\n"
		"                         measure firmware without SEV metadata as\n"
		"                         sev-snp-measure does (it cannot boot SNP)\n",
		MEASURE_MAX_VCPUS);
}

static int parse_mode(const char *s, enum measure_mode *mode, struct snp_err *err)
{
	static const enum measure_mode modes[] = { MEASURE_MODE_SNP, MEASURE_MODE_OVMF_HASH,
						   MEASURE_MODE_SVSM };

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

/* A number flag into an unsigned no larger than max. */
static int parse_small(const char *flag, const char *arg, uint64_t max, unsigned *out,
		       struct snp_err *err)
{
	uint64_t v;
	int ret = cli_parse_u64(flag, arg, max, &v, err);

	*out = (unsigned)v;
	return ret;
}

int measure_args_option(struct measure_args *a, int opt, const char *arg, struct snp_err *err)
{
	uint64_t v;
	int ret;

	a->any = true;
	switch (opt) {
	case MEASURE_OPT_MODE:
		return parse_mode(arg, &a->o.launch.mode, err);
	case MEASURE_OPT_VCPUS:
		a->has_vcpus = true;
		return parse_small("--vcpus", arg, MEASURE_MAX_VCPUS, &a->o.launch.vcpus, err);
	case MEASURE_OPT_VCPU_TYPE:
		a->vcpu_type = arg;
		return 0;
	case MEASURE_OPT_VCPU_SIG:
		a->has_sig = true;
		ret = cli_parse_u64("--vcpu-sig", arg, UINT32_MAX, &v, err);
		a->o.launch.vcpu_sig = (uint32_t)v;
		return ret;
	case MEASURE_OPT_VCPU_FAMILY:
		a->has_family = true;
		return parse_small("--vcpu-family", arg, 0xFFFF, &a->family, err);
	case MEASURE_OPT_VCPU_MODEL:
		a->has_model = true;
		return parse_small("--vcpu-model", arg, 0xFFFF, &a->model, err);
	case MEASURE_OPT_VCPU_STEPPING:
		a->has_stepping = true;
		return parse_small("--vcpu-stepping", arg, 0xFFFF, &a->stepping, err);
	case MEASURE_OPT_VMM_TYPE:
		a->vmm_type = arg;
		return vmm_profile_find(arg, &a->o.launch.vmm, err);
	case MEASURE_OPT_OVMF:
		a->ovmf = arg;
		return 0;
	case MEASURE_OPT_KERNEL:
		a->kernel = arg;
		return 0;
	case MEASURE_OPT_INITRD:
		a->initrd = arg;
		return 0;
	case MEASURE_OPT_APPEND:
		a->append = arg;
		return 0;
	case MEASURE_OPT_GUEST_FEATURES:
		a->has_features = true;
		return cli_parse_u64("--guest-features", arg, UINT64_MAX, &a->o.launch.guest_features,
				     err);
	case MEASURE_OPT_SNP_OVMF_HASH:
		a->has_ovmf_hash = true;
		return hex_decode(arg, a->ovmf_hash, SNP_LD_SIZE, "--snp-ovmf-hash", err);
	case MEASURE_OPT_SVSM:
		a->svsm = arg;
		return 0;
	case MEASURE_OPT_VARS_SIZE:
		a->has_vars_size = true;
		return cli_parse_u64("--vars-size", arg, UINT32_MAX, &a->o.launch.vars_size, err);
	case MEASURE_OPT_ALLOW_NO_MD:
		a->o.launch.allow_no_sev_metadata = true;
		return 0;
	}
	return snp_errf(err, SNP_E_INTERNAL, "option %d", opt);
}

/* Flags that make no sense together or in this mode are refused, not ignored. */
int measure_args_check(struct measure_args *a, struct snp_err *err)
{
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
	if (a->o.launch.vcpus < 1)
		return snp_errf(err, SNP_E_INVALID, "--vcpus 0: want 1..%d", MEASURE_MAX_VCPUS);
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

int measure_args_open(struct measure_args *a, struct snp_err *err)
{
	int ret;

	if ((ret = input_open(a->ovmf, MAX_FIRMWARE, &a->in_ovmf, err)) != 0)
		return ret;
	a->o.launch.ovmf = a->in_ovmf.data;
	a->o.launch.ovmf_len = a->in_ovmf.len;
	if (a->svsm) {
		if ((ret = input_open(a->svsm, MAX_FIRMWARE, &a->in_svsm, err)) != 0)
			return ret;
		a->o.launch.svsm = a->in_svsm.data;
		a->o.launch.svsm_len = a->in_svsm.len;
	}
	if (a->has_ovmf_hash)
		a->o.ovmf_hash = a->ovmf_hash;
	if (!a->kernel)
		return 0;
	if ((ret = input_open(a->kernel, MAX_KERNEL, &a->in_kernel, err)) != 0 ||
	    (a->initrd && (ret = input_open(a->initrd, MAX_KERNEL, &a->in_initrd, err)) != 0) ||
	    (ret = kernel_hashes_compute(a->in_kernel.data, a->in_kernel.len,
					 a->initrd ? a->in_initrd.data : NULL, a->in_initrd.len,
					 a->append, &a->hashes, err)) != 0)
		return ret;
	a->o.launch.kernel_hashes = &a->hashes;
	return 0;
}

void measure_args_close(struct measure_args *a)
{
	input_close(&a->in_ovmf);
	input_close(&a->in_svsm);
	input_close(&a->in_kernel);
	input_close(&a->in_initrd);
}
