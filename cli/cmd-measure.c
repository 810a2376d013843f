/*
 * snpvm measure: predict the SNP launch digest with sev-snp-measure's flags
 * (docs/measure.md). Parses argv into struct measure_cli, opens the inputs,
 * calls measure_run() and prints the digest.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "cli/cmd.h"
#include "cli/commands.h"
#include "measure/cpu-sig.h"
#include "measure/input.h"
#include "measure/kernel-hashes.h"
#include "measure/measure.h"
#include "util/hex.h"
#include "util/log.h"

#define MAX_FIRMWARE (64u << 20)
#define MAX_KERNEL ((size_t)4 << 30)

struct measure_cli {
	struct measure_opts o;
	const char *ovmf, *svsm, *kernel, *initrd, *append, *vcpu_type, *vmm_type;
	bool has_vcpus, has_sig, has_vars_size, has_features, is_base64, json;
	bool has_family, has_model, has_stepping;
	unsigned family, model, stepping;
	uint8_t ovmf_hash[SNP_LD_SIZE];
	bool has_ovmf_hash;
};

enum {
	OPT_MODE = 256, OPT_VCPUS, OPT_VCPU_TYPE, OPT_VCPU_SIG, OPT_VCPU_FAMILY, OPT_VCPU_MODEL,
	OPT_VCPU_STEPPING, OPT_VMM_TYPE, OPT_OVMF, OPT_KERNEL, OPT_INITRD, OPT_APPEND,
	OPT_GUEST_FEATURES, OPT_SNP_OVMF_HASH, OPT_SVSM, OPT_VARS_SIZE, OPT_OUTPUT_FORMAT,
	OPT_JSON, OPT_ALLOW_NO_MD,
};

static const struct option long_opts[] = {
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "vcpus", required_argument, NULL, OPT_VCPUS },
	{ "vcpu-type", required_argument, NULL, OPT_VCPU_TYPE },
	{ "vcpu-sig", required_argument, NULL, OPT_VCPU_SIG },
	{ "vcpu-family", required_argument, NULL, OPT_VCPU_FAMILY },
	{ "vcpu-model", required_argument, NULL, OPT_VCPU_MODEL },
	{ "vcpu-stepping", required_argument, NULL, OPT_VCPU_STEPPING },
	{ "vmm-type", required_argument, NULL, OPT_VMM_TYPE },
	{ "ovmf", required_argument, NULL, OPT_OVMF },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "guest-features", required_argument, NULL, OPT_GUEST_FEATURES },
	{ "snp-ovmf-hash", required_argument, NULL, OPT_SNP_OVMF_HASH },
	{ "svsm", required_argument, NULL, OPT_SVSM },
	{ "vars-size", required_argument, NULL, OPT_VARS_SIZE },
	{ "output-format", required_argument, NULL, OPT_OUTPUT_FORMAT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "allow-no-sev-metadata", no_argument, NULL, OPT_ALLOW_NO_MD },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: snpvm measure --mode snp|snp:ovmf-hash|snp:svsm --ovmf FILE [options]\n"
		"\n"
		"Prints the SEV-SNP launch digest (MEASUREMENT) a guest's attestation report\n"
		"will show. Flags are sev-snp-measure's; --flag=value and --flag value both work.\n"
		"\n"
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
		"  --output-format FMT    hex (default) or base64\n"
		"  --json                 the digest and every input's hash as JSON\n"
		"  --allow-no-sev-metadata\n"
		"                         measure firmware without SEV metadata as\n"
		"                         sev-snp-measure does (it cannot boot SNP)\n"
		"  -h, --help             this help\n"
		"\n"
		"Refused (exit 2): firmware without a footer table, SEV-ES reset block or SEV\n"
		"metadata, a size that is not a multiple of 4 KiB, unknown, overlapping or\n"
		"misplaced sections, a kernel on firmware without SNP_KERNEL_HASHES, unknown\n"
		"vCPU types.\n",
		MEASURE_MAX_VCPUS);
}

/* Decimal or 0x-hex, no sign, no trailing text, at most max. */
static int parse_num(const char *flag, const char *s, uint64_t max, uint64_t *out,
		     struct snp_err *err)
{
	int base = 10;
	uint64_t v = 0;
	const char *p = s;

	*out = 0;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p)
		return snp_errf(err, SNP_E_INVALID, "--%s: \"%s\" is not a number", flag, s);
	for (; *p; p++) {
		unsigned d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			return snp_errf(err, SNP_E_INVALID, "--%s: \"%s\" is not a number", flag, s);
		if (v > (max - d) / (uint64_t)base)
			return snp_errf(err, SNP_E_INVALID, "--%s: %s is larger than 0x%" PRIx64, flag,
					s, max);
		v = v * (uint64_t)base + d;
	}
	*out = v;
	return 0;
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
	return snp_errf(err, SNP_E_INVALID,
			"--mode %s: want snp, snp:ovmf-hash or snp:svsm", s);
}

static int parse_arg(struct measure_cli *c, int opt, const char *arg, struct snp_err *err)
{
	uint64_t v;
	int ret = 0;

	switch (opt) {
	case OPT_MODE:
		return parse_mode(arg, &c->o.mode, err);
	case OPT_VCPUS:
		if ((ret = parse_num("vcpus", arg, MEASURE_MAX_VCPUS, &v, err)) == 0) {
			c->o.vcpus = (unsigned)v;
			c->has_vcpus = true;
		}
		return ret;
	case OPT_VCPU_TYPE:
		c->vcpu_type = arg;
		return 0;
	case OPT_VCPU_SIG:
		if ((ret = parse_num("vcpu-sig", arg, UINT32_MAX, &v, err)) == 0) {
			c->o.vcpu_sig = (uint32_t)v;
			c->has_sig = true;
		}
		return ret;
	case OPT_VCPU_FAMILY:
		c->has_family = true;
		ret = parse_num("vcpu-family", arg, 0xFFFF, &v, err);
		c->family = (unsigned)v;
		return ret;
	case OPT_VCPU_MODEL:
		c->has_model = true;
		ret = parse_num("vcpu-model", arg, 0xFFFF, &v, err);
		c->model = (unsigned)v;
		return ret;
	case OPT_VCPU_STEPPING:
		c->has_stepping = true;
		ret = parse_num("vcpu-stepping", arg, 0xFFFF, &v, err);
		c->stepping = (unsigned)v;
		return ret;
	case OPT_VMM_TYPE:
		c->vmm_type = arg;
		return vmm_profile_find(arg, &c->o.vmm, err);
	case OPT_OVMF:
		c->ovmf = arg;
		return 0;
	case OPT_KERNEL:
		c->kernel = arg;
		return 0;
	case OPT_INITRD:
		c->initrd = arg;
		return 0;
	case OPT_APPEND:
		c->append = arg;
		return 0;
	case OPT_GUEST_FEATURES:
		c->has_features = true;
		return parse_num("guest-features", arg, UINT64_MAX, &c->o.guest_features, err);
	case OPT_SNP_OVMF_HASH:
		c->has_ovmf_hash = true;
		return hex_decode(arg, c->ovmf_hash, SNP_LD_SIZE, "--snp-ovmf-hash", err);
	case OPT_SVSM:
		c->svsm = arg;
		return 0;
	case OPT_VARS_SIZE:
		c->has_vars_size = true;
		return parse_num("vars-size", arg, UINT32_MAX, &c->o.vars_size, err);
	case OPT_OUTPUT_FORMAT:
		if (strcmp(arg, "hex") == 0 || strcmp(arg, "base64") == 0) {
			c->is_base64 = arg[0] == 'b';
			return 0;
		}
		return snp_errf(err, SNP_E_INVALID, "--output-format %s: want hex or base64", arg);
	case OPT_JSON:
		c->json = true;
		return 0;
	case OPT_ALLOW_NO_MD:
		c->o.allow_no_sev_metadata = true;
		return 0;
	}
	return snp_errf(err, SNP_E_INTERNAL, "option %d", opt);
}

/* Flags that make no sense together or in this mode are refused, not ignored. */
static int check_combination(struct measure_cli *c, struct snp_err *err)
{
	enum measure_mode m = c->o.mode;
	int nsig = (c->vcpu_type != NULL) + c->has_sig +
		   (c->has_family || c->has_model || c->has_stepping);
	int ret;

	if (!c->ovmf)
		return snp_errf(err, SNP_E_INVALID, "--ovmf is required");
	if (m != MEASURE_MODE_SVSM && (c->svsm || c->has_vars_size))
		return snp_errf(err, SNP_E_INVALID, "--svsm and --vars-size need --mode snp:svsm");
	if (m == MEASURE_MODE_SVSM && (!c->svsm || !c->has_vars_size))
		return snp_errf(err, SNP_E_INVALID, "--mode snp:svsm needs --svsm and --vars-size");
	if (c->has_ovmf_hash && m != MEASURE_MODE_SNP)
		return snp_errf(err, SNP_E_INVALID, "--snp-ovmf-hash needs --mode snp");
	if ((c->initrd || c->append) && !c->kernel)
		return snp_errf(err, SNP_E_INVALID, "--initrd and --append need --kernel");
	if (c->kernel && m != MEASURE_MODE_SNP)
		return snp_errf(err, SNP_E_INVALID, "--kernel needs --mode snp");
	if (m == MEASURE_MODE_OVMF_HASH) {
		if (c->has_vcpus || nsig || c->has_features || c->vmm_type)
			log_info("vCPU, VMM and guest-feature flags do not change the firmware seed");
		return 0;
	}
	if (m == MEASURE_MODE_SVSM && c->o.vmm != VMM_QEMU)
		return snp_errf(err, SNP_E_INVALID, "--mode snp:svsm is defined for --vmm-type qemu");
	if (!c->has_vcpus)
		return snp_errf(err, SNP_E_INVALID, "--vcpus is required");
	if (c->o.vcpus < 1)
		return snp_errf(err, SNP_E_INVALID, "--vcpus 0: want 1..%d", MEASURE_MAX_VCPUS);
	if (nsig > 1)
		return snp_errf(err, SNP_E_INVALID,
				"give one of --vcpu-type, --vcpu-sig or "
				"--vcpu-family/--vcpu-model/--vcpu-stepping");
	if (c->has_family || c->has_model || c->has_stepping) {
		if (!(c->has_family && c->has_model && c->has_stepping))
			return snp_errf(err, SNP_E_INVALID,
					"--vcpu-family, --vcpu-model and --vcpu-stepping go together");
		if ((ret = cpu_sig_pack(c->family, c->model, c->stepping, &c->o.vcpu_sig, err)))
			return ret;
	} else if (c->vcpu_type) {
		if ((ret = cpu_sig_lookup(c->vcpu_type, &c->o.vcpu_sig, err)) != 0)
			return ret;
	} else if (!c->has_sig && !vmm_profile_get(c->o.vmm)->rdx_fixed) {
		return snp_errf(err, SNP_E_INVALID,
				"the guest CPU model is required: give --vcpu-type, --vcpu-sig or "
				"--vcpu-family/--vcpu-model/--vcpu-stepping");
	}
	if (nsig && vmm_profile_get(c->o.vmm)->rdx_fixed)
		log_info("--vmm-type %s fixes RDX to 0x%" PRIx64 "; the vCPU model is ignored",
			 c->vmm_type, vmm_profile_get(c->o.vmm)->rdx);
	if (m == MEASURE_MODE_SVSM && c->has_features)
		log_warn("snp:svsm always measures SEV_FEATURES 0x1; --guest-features is ignored");
	else if (!(c->o.guest_features & 1))
		log_warn("guest features 0x%" PRIx64 " lack SNPActive (bit 0): KVM sets it, so "
			 "this digest will not match a real launch",
			 c->o.guest_features);
	return 0;
}

static int parse_args(int argc, char **argv, struct measure_cli *c, bool *help,
		      struct snp_err *err)
{
	int opt, ret;

	memset(c, 0, sizeof(*c));
	c->o.mode = MEASURE_MODE_SNP;
	c->o.vmm = VMM_QEMU;
	c->o.guest_features = 0x1;
	*help = false;
	optind = 0; /* full re-initialisation of GNU getopt */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
		if (opt == 'h') {
			*help = true;
			return 0;
		}
		if (opt == '?')
			return snp_errf(err, SNP_E_INVALID, "unknown or ambiguous option '%s'",
					argv[optind - 1]);
		if (opt == ':')
			return snp_errf(err, SNP_E_INVALID, "option '%s' needs a value",
					argv[optind - 1]);
		if ((ret = parse_arg(c, opt, optarg, err)) != 0)
			return ret;
	}
	if (optind < argc)
		return snp_errf(err, SNP_E_INVALID, "unexpected argument '%s'", argv[optind]);
	return check_combination(c, err);
}

struct inputs {
	struct input ovmf, svsm, kernel, initrd;
	struct sev_hashes hashes;
};

static void inputs_close(struct inputs *in)
{
	input_close(&in->ovmf);
	input_close(&in->svsm);
	input_close(&in->kernel);
	input_close(&in->initrd);
}

static int inputs_open(struct measure_cli *c, struct inputs *in, struct snp_err *err)
{
	int ret;

	if ((ret = input_open(c->ovmf, MAX_FIRMWARE, &in->ovmf, err)) != 0)
		return ret;
	c->o.ovmf = in->ovmf.data;
	c->o.ovmf_len = in->ovmf.len;
	if (c->svsm) {
		if ((ret = input_open(c->svsm, MAX_FIRMWARE, &in->svsm, err)) != 0)
			return ret;
		c->o.svsm = in->svsm.data;
		c->o.svsm_len = in->svsm.len;
	}
	if (c->has_ovmf_hash)
		c->o.ovmf_hash = c->ovmf_hash;
	if (!c->kernel)
		return 0;
	if ((ret = input_open(c->kernel, MAX_KERNEL, &in->kernel, err)) != 0 ||
	    (c->initrd && (ret = input_open(c->initrd, MAX_KERNEL, &in->initrd, err)) != 0) ||
	    (ret = kernel_hashes_compute(in->kernel.data, in->kernel.len,
					 c->initrd ? in->initrd.data : NULL, in->initrd.len,
					 c->append, &in->hashes, err)) != 0)
		return ret;
	c->o.kernel_hashes = &in->hashes;
	return 0;
}

static json_t *hex_json(const uint8_t *p, size_t len)
{
	char buf[2 * SNP_LD_SIZE + 1];

	hex_encode(p, len, buf);
	return json_string(buf);
}

static int file_json(json_t *inputs, const char *name, const char *path, const struct input *in,
		     const uint8_t *sha256, struct snp_err *err)
{
	uint8_t h[SEV_HASH_SIZE];
	json_t *o;
	int ret;

	if (!sha256) {
		if ((ret = kernel_hashes_sha256(in->data, in->len, h, err)) != 0)
			return ret;
		sha256 = h;
	}
	o = json_pack("{s:s,s:I,s:o}", "path", path, "size", (json_int_t)in->len, "sha256",
		      hex_json(sha256, SEV_HASH_SIZE));
	if (!o || json_object_set_new(inputs, name, o) != 0)
		return snp_errf(err, SNP_E_NOMEM, "JSON output");
	return 0;
}

static int print_json(const struct measure_cli *c, const struct inputs *in,
		      const struct measure_result *r, struct snp_err *err)
{
	const struct vmm_profile *p = vmm_profile_get(c->o.mode == MEASURE_MODE_SVSM ?
						      VMM_QEMU_SVSM : c->o.vmm);
	json_t *root = json_object(), *inputs = json_object();
	char num[32];
	int ret = SNP_E_NOMEM;

	if (!root || !inputs)
		goto out;
	json_object_set_new(root, "measurement", hex_json(r->ld, SNP_LD_SIZE));
	json_object_set_new(root, "mode", json_string(measure_mode_name(c->o.mode)));
	json_object_set_new(root, "ovmf_hash", hex_json(r->ovmf_hash, SNP_LD_SIZE));
	if (c->o.mode != MEASURE_MODE_OVMF_HASH) {
		json_object_set_new(root, "vmm_type", json_string(p->name));
		json_object_set_new(root, "vcpus", json_integer(c->o.vcpus));
		snprintf(num, sizeof(num), "0x%08" PRIx64,
			 p->rdx_fixed ? p->rdx : (uint64_t)c->o.vcpu_sig);
		json_object_set_new(root, "rdx", json_string(num));
		snprintf(num, sizeof(num), "0x%" PRIx64,
			 p->sev_features_fixed ? p->sev_features : c->o.guest_features);
		json_object_set_new(root, "guest_features", json_string(num));
	}
	json_object_set_new(root, "chain_steps", json_integer((json_int_t)r->npages));
	if ((ret = file_json(inputs, "ovmf", c->ovmf, &in->ovmf, NULL, err)) != 0 ||
	    (c->svsm && (ret = file_json(inputs, "svsm", c->svsm, &in->svsm, NULL, err)) != 0) ||
	    (c->kernel &&
	     (ret = file_json(inputs, "kernel", c->kernel, &in->kernel, in->hashes.kernel, err)) !=
		     0))
		goto out;
	if (c->kernel) {
		json_t *o;

		if (c->initrd &&
		    (ret = file_json(inputs, "initrd", c->initrd, &in->initrd, in->hashes.initrd,
				     err)) != 0)
			goto out;
		if (!c->initrd)
			json_object_set_new(inputs, "initrd",
					    json_pack("{s:n,s:o}", "path", "sha256",
						      hex_json(in->hashes.initrd, SEV_HASH_SIZE)));
		o = json_pack("{s:s,s:o}", "value", c->append ? c->append : "", "sha256",
			      hex_json(in->hashes.cmdline, SEV_HASH_SIZE));
		json_object_set_new(inputs, "cmdline", o);
	}
	json_object_set_new(root, "inputs", inputs);
	inputs = NULL;
	if (json_dumpf(root, stdout, JSON_INDENT(2)) != 0 || fputc('\n', stdout) == EOF) {
		ret = snp_errf(err, SNP_E_SYS, "writing JSON to stdout");
		goto out;
	}
	ret = 0;
out:
	if (ret == SNP_E_NOMEM)
		snp_errf(err, SNP_E_NOMEM, "JSON output: out of memory");
	json_decref(inputs);
	json_decref(root);
	return ret;
}

static int print_digest(const struct measure_cli *c, const struct measure_result *r,
			struct snp_err *err)
{
	char hex[2 * SNP_LD_SIZE + 1];
	char *b64 = NULL;
	int ok;

	if (c->is_base64) {
		b64 = b64_encode(r->ld, SNP_LD_SIZE);
		if (!b64)
			return snp_errf(err, SNP_E_NOMEM, "base64: out of memory");
		ok = printf("%s\n", b64) > 0;
		free(b64);
	} else {
		hex_encode(r->ld, SNP_LD_SIZE, hex);
		ok = printf("%s\n", hex) > 0;
	}
	if (!ok || fflush(stdout) != 0)
		return snp_errf(err, SNP_E_SYS, "writing the digest to stdout");
	return 0;
}

int cmd_measure(int argc, char **argv)
{
	struct snp_err err = { 0 };
	struct measure_cli c;
	struct inputs in;
	struct measure_result r;
	bool help;
	int ret;

	memset(&in, 0, sizeof(in));
	if ((ret = parse_args(argc, argv, &c, &help, &err)) != 0) {
		cli_print_error("measure", &err, c.json);
		fprintf(stderr, "(see 'snpvm measure --help')\n");
		return EXIT_USAGE;
	}
	if (help) {
		usage(stdout);
		return EXIT_DONE;
	}
	if ((ret = inputs_open(&c, &in, &err)) != 0 || (ret = measure_run(&c.o, &r, &err)) != 0 ||
	    (ret = c.json ? print_json(&c, &in, &r, &err) : print_digest(&c, &r, &err)) != 0) {
		cli_print_error("measure", &err, c.json);
		inputs_close(&in);
		return cli_exit_status(ret);
	}
	inputs_close(&in);
	return EXIT_DONE;
}
