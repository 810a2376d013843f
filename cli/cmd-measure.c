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

#include <jansson.h>

#include "cli/cmd.h"
#include "cli/commands.h"
#include "cli/measure-args.h"
#include "measure/kernel-hashes.h"
#include "measure/measure.h"
#include "util/hex.h"

struct measure_cli {
	struct measure_args m;
	bool is_base64, json;
};

enum { OPT_OUTPUT_FORMAT = 256, OPT_JSON };

static const struct option long_opts[] = {
	MEASURE_ARGS_LONGOPTS,
	{ "output-format", required_argument, NULL, OPT_OUTPUT_FORMAT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: snpvm measure --mode snp|snp:ovmf-hash|snp:svsm --ovmf FILE [options]\n"
		   "\n"
		   "Prints the SEV-SNP launch digest (MEASUREMENT) a guest's attestation report\n"
		   "will show. Flags are sev-snp-measure's; --flag=value and --flag value both work.\n"
		   "\n");
	measure_args_usage(f);
	fprintf(f, "  --output-format FMT    hex (default) or base64\n"
		   "  --json                 the digest and every input's hash as JSON\n"
		   "  -h, --help             this help\n"
		   "\n"
		   "Refused (exit 2): firmware without a footer table, SEV-ES reset block or SEV\n"
		   "metadata, a size that is not a multiple of 4 KiB, unknown, overlapping or\n"
		   "misplaced sections, a kernel on firmware without SNP_KERNEL_HASHES, unknown\n"
		   "vCPU types.\n");
}

static int parse_arg(struct measure_cli *c, int opt, const char *arg, struct snp_err *err)
{
	if (measure_args_is_option(opt))
		return measure_args_option(&c->m, opt, arg, err);
	switch (opt) {
	case OPT_OUTPUT_FORMAT:
		if (strcmp(arg, "hex") == 0 || strcmp(arg, "base64") == 0) {
			c->is_base64 = arg[0] == 'b';
			return 0;
		}
		return snp_errf(err, SNP_E_INVALID, "--output-format %s: want hex or base64", arg);
	case OPT_JSON:
		c->json = true;
		return 0;
	}
	return snp_errf(err, SNP_E_INTERNAL, "option %d", opt);
}

static int parse_args(int argc, char **argv, struct measure_cli *c, bool *help,
		      struct snp_err *err)
{
	int opt, ret;

	memset(c, 0, sizeof(*c));
	measure_args_init(&c->m);
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
	return measure_args_check(&c->m, err);
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

static int print_json(const struct measure_cli *c,
		      const struct measure_result *r, struct snp_err *err)
{
	const struct measure_args *m = &c->m;
	const struct vmm_profile *p = vmm_profile_get(m->o.launch.mode == MEASURE_MODE_SVSM ?
						      VMM_QEMU_SVSM : m->o.launch.vmm);
	json_t *root = json_object(), *inputs = json_object();
	char num[32];
	int ret = SNP_E_NOMEM;

	if (!root || !inputs)
		goto out;
	json_object_set_new(root, "measurement", hex_json(r->ld, SNP_LD_SIZE));
	json_object_set_new(root, "mode", json_string(measure_mode_name(m->o.launch.mode)));
	json_object_set_new(root, "ovmf_hash", hex_json(r->ovmf_hash, SNP_LD_SIZE));
	if (m->o.launch.mode != MEASURE_MODE_OVMF_HASH) {
		json_object_set_new(root, "vmm_type", json_string(p->name));
		json_object_set_new(root, "vcpus", json_integer(m->o.launch.vcpus));
		snprintf(num, sizeof(num), "0x%08" PRIx64,
			 p->rdx_fixed ? p->rdx : (uint64_t)m->o.launch.vcpu_sig);
		json_object_set_new(root, "rdx", json_string(num));
		snprintf(num, sizeof(num), "0x%" PRIx64,
			 p->sev_features_fixed ? p->sev_features : m->o.launch.guest_features);
		json_object_set_new(root, "guest_features", json_string(num));
	}
	json_object_set_new(root, "chain_steps", json_integer((json_int_t)r->npages));
	if ((ret = file_json(inputs, "ovmf", m->ovmf, &m->in_ovmf, NULL, err)) != 0 ||
	    (m->svsm && (ret = file_json(inputs, "svsm", m->svsm, &m->in_svsm, NULL, err)) != 0) ||
	    (m->kernel &&
	     (ret = file_json(inputs, "kernel", m->kernel, &m->in_kernel, m->hashes.kernel, err)) !=
		     0))
		goto out;
	if (m->kernel) {
		json_t *o;

		if (m->initrd &&
		    (ret = file_json(inputs, "initrd", m->initrd, &m->in_initrd, m->hashes.initrd,
				     err)) != 0)
			goto out;
		if (!m->initrd)
			json_object_set_new(inputs, "initrd",
					    json_pack("{s:n,s:o}", "path", "sha256",
						      hex_json(m->hashes.initrd, SEV_HASH_SIZE)));
		o = json_pack("{s:s,s:o}", "value", m->append ? m->append : "", "sha256",
			      hex_json(m->hashes.cmdline, SEV_HASH_SIZE));
		json_object_set_new(inputs, "cmdline", o);
	}
	json_object_set_new(root, "inputs", inputs);
	inputs = NULL;
	ret = cli_print_json(root, err);
	root = NULL;
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
	struct measure_result r;
	bool help;
	int ret;

	/* A launch policy file instead of sev-snp-measure's flags (docs/policy-file.md). */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--verifier-policy") == 0 ||
		    (argv[i][0] != '-' && (i == 1 || argv[i - 1][0] != '-' ||
					   strchr(argv[i - 1], '='))))
			return cmd_measure_policy(argc, argv);
	if ((ret = parse_args(argc, argv, &c, &help, &err)) != 0) {
		cli_print_error("measure", &err, c.json);
		fprintf(stderr, "(see 'snpvm measure --help')\n");
		return EXIT_USAGE;
	}
	if (help) {
		usage(stdout);
		return EXIT_DONE;
	}
	if ((ret = measure_args_open(&c.m, &err)) != 0 ||
	    (ret = measure_run(&c.m.o, &r, &err)) != 0 ||
	    (ret = c.json ? print_json(&c, &r, &err) : print_digest(&c, &r, &err)) != 0) {
		cli_print_error("measure", &err, c.json);
		measure_args_close(&c.m);
		return cli_exit_status(ret);
	}
	measure_args_close(&c.m);
	return EXIT_DONE;
}
